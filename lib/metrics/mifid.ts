/**
 * MiFID, as torchmetrics' MemorizationInformedFrechetInceptionDistance (Bai et al., KDD 2021):
 * FID divided by a memorisation distance that only counts when it is small. The distance
 * (torchmetrics' orientation): rows whose sum is 0 dropped, rows L2-normalised, for each REAL row
 * the minimum over fake rows of 1 - |cos|, averaged over the real rows; used when below
 * cosine_distance_eps (0.1), else replaced by 1 (the penalty off). MiFID = FID / (d + 1e-14) when
 * FID > 1e-8, else 0.
 *
 * min over fakes of 1 - |cos(r, g)| is the nearest of ±ĝ to r̂ in Euclidean distance
 * (|r̂ - ĝ|² = 2 - 2 cos): the exact k-NN pass over the fakes and their negations, in chunks.
 */
import { requireSameDims, type FeatureMatrix } from '../features';
import { nearestInSource, type RowSource } from '../memorization';

export const COSINE_DISTANCE_EPS = 0.1;

/** Unit rows of those whose sum is not 0 (torchmetrics' filter), followed by their negations when `signed`. */
function unitRows(m: FeatureMatrix, signed: boolean): RowSource {
  const d = m.dims;
  const kept: number[] = [];
  for (let r = 0; r < m.rows; r++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += m.data[r * d + c];
    if (s !== 0) kept.push(r);
  }
  const rows = signed ? 2 * kept.length : kept.length;
  const row = (q: number, out: Float64Array, at: number) => {
    const r = kept[q % kept.length];
    const sign = q >= kept.length ? -1 : 1;
    let s = 0;
    for (let c = 0; c < d; c++) s += m.data[r * d + c] ** 2;
    const inv = sign / Math.sqrt(s);
    for (let c = 0; c < d; c++) out[at * d + c] = m.data[r * d + c] * inv;
  };
  return {
    rows,
    dims: d,
    async read(start, count) {
      const out = new Float64Array(count * d);
      for (let q = 0; q < count; q++) row(start + q, out, q);
      return out;
    },
    async readRows(picked) {
      const out = new Float64Array(picked.length * d);
      picked.forEach((q, k) => row(q, out, k));
      return out;
    },
  };
}

/** Mean over real rows of the minimum over fake rows of 1 - |cos| (torchmetrics' _compute_cosine_distance(real, fake)). */
export async function meanMinCosineDistance(real: FeatureMatrix, fake: FeatureMatrix, o: { threads?: number } = {}): Promise<number> {
  requireSameDims(fake, real);
  // Float64 unit rows in chunks of 16 384 (256 MiB at 2048-d) bound the memory at any set size.
  const nearest = await nearestInSource(unitRows(real, false), unitRows(fake, true), 1, { threads: o.threads, precision: 'float32', chunk: 16384 });
  // 1 - |cos| = |r̂ - ±ĝ|² / 2 at the nearest of ±ĝ.
  return nearest.reduce((s, list) => s + list[0].distance ** 2 / 2, 0) / nearest.length;
}

/** MiFID from the FID and the memorisation distance (torchmetrics' _mifid_compute). */
export function mifidFrom(fid: number, distance: number, eps = COSINE_DISTANCE_EPS): { mifid: number; distanceUsed: number; penalty: boolean } {
  const penalty = distance < eps;
  const distanceUsed = penalty ? distance : 1;
  return { mifid: fid > 1e-8 ? fid / (distanceUsed + 1e-14) : 0, distanceUsed, penalty };
}
