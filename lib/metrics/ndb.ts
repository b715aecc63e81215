/**
 * NDB, the number of statistically different bins (Richardson & Weiss, "On GANs and GMMs", NeurIPS
 * 2018; eitanrich/gans-n-gmms utils/ndb.py): the reference set is cut into K bins by k-means (on a
 * random d // 6 of the dimensions when d > 1000), each generated sample goes to its nearest centre
 * (L2 over those dimensions), and each bin's two proportions face a pooled two-proportion z-test
 * (p = (p1 n1 + p2 n2) / (n1 + n2), z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2)), different when
 * 2 Φ(-|z|) < alpha; a bin empty in both is not different). Also the Jensen-Shannon divergence of
 * the proportions, in nats.
 */
import type Erfc from '@stdlib/math-base-special-erfc';
import { GenmetricsError } from '../errors';
import type { FeatureMatrix } from '../features';
import { lazyModule } from '../lazy';
import { LegacyRandomState } from '../random/mt19937';
import { kmeans } from '../stats/kmeans';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const erfc = lazyModule(() => require('@stdlib/math-base-special-erfc') as typeof Erfc);

/** The bins: centres over the used dimensions (K x used, row-major), the reference proportions and size. */
export interface NdbBins {
  centers: Float64Array;
  usedDims: number[];
  refProportions: Float64Array;
  refSize: number;
}

export interface NdbResult {
  ndb: number;
  ndbOverK: number;
  js: number;
  proportions: Float64Array;
  differentBins: number[];
}

/** The bins of a reference set: dims drawn by RandomState(seed) (d > 1000), our seeded k-means, centres = member means, bins by size. */
export async function ndbBins(real: FeatureMatrix, k: number, seed: number, threads?: number): Promise<NdbBins> {
  const d = real.dims;
  const usedDims = d > 1000 ? Array.from(new LegacyRandomState(seed).choice(d, Math.floor(d / 6))) : Array.from({ length: d }, (_, c) => c);
  const u = usedDims.length;
  const x = new Float64Array(real.rows * u);
  for (let r = 0; r < real.rows; r++) for (let c = 0; c < u; c++) x[r * u + c] = real.data[r * d + usedDims[c]];
  const km = await kmeans({ data: x, rows: real.rows, dims: u, source: real.source }, { k, seed, maxIter: 100, threads });
  const counts = new Array<number>(k).fill(0);
  const sums = Array.from({ length: k }, () => new Float64Array(u));
  km.labels.forEach((l, r) => {
    counts[l]++;
    for (let c = 0; c < u; c++) sums[l][c] += x[r * u + c];
  });
  // Bins ordered by size, largest first (stable for equal sizes).
  const order = Array.from({ length: k }, (_, b) => b).sort((a, b) => counts[b] - counts[a] || a - b);
  const centers = new Float64Array(k * u);
  order.forEach((b, i) => sums[b].forEach((v, c) => (centers[i * u + c] = counts[b] ? v / counts[b] : 0)));
  return { centers, usedDims, refProportions: Float64Array.from(order, (b) => counts[b] / real.rows), refSize: real.rows };
}

function js(p: Float64Array, q: Float64Array): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i] + q[i]) / 2;
    if (p[i] > 0) s += 0.5 * p[i] * Math.log(p[i] / m);
    if (q[i] > 0) s += 0.5 * q[i] * Math.log(q[i] / m);
  }
  return s;
}

export function ndbTest(fake: FeatureMatrix, bins: NdbBins, alpha = 0.05): NdbResult {
  const k = bins.refProportions.length;
  const u = bins.usedDims.length;
  if (bins.centers.length !== k * u) throw new GenmetricsError(`the centres hold ${bins.centers.length} values; ${k} bins of ${u} dimensions need ${k * u}`);
  if (bins.usedDims.some((c) => c < 0 || c >= fake.dims)) throw new GenmetricsError(`a used dimension is outside 0 .. ${fake.dims - 1}`);
  const counts = new Float64Array(k);
  const x = new Float64Array(u);
  for (let r = 0; r < fake.rows; r++) {
    for (let c = 0; c < u; c++) x[c] = fake.data[r * fake.dims + bins.usedDims[c]];
    let best = 0;
    let bestD = Infinity;
    for (let b = 0; b < k; b++) {
      let s = 0;
      for (let c = 0; c < u; c++) s += (x[c] - bins.centers[b * u + c]) ** 2;
      if (s < bestD) {
        bestD = s;
        best = b;
      }
    }
    counts[best]++;
  }
  const proportions = counts.map((c) => c / fake.rows);
  const n1 = bins.refSize;
  const n2 = fake.rows;
  const differentBins: number[] = [];
  for (let b = 0; b < k; b++) {
    const p1 = bins.refProportions[b];
    const p2 = proportions[b];
    const p = (p1 * n1 + p2 * n2) / (n1 + n2);
    const z = (p1 - p2) / Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
    // 2 Φ(-|z|) = erfc(|z| / √2); NaN (empty in both) is not different.
    if (erfc()(Math.abs(z) / Math.SQRT2) < alpha) differentBins.push(b);
  }
  return { ndb: differentBins.length, ndbOverK: differentBins.length / k, js: js(bins.refProportions, proportions), proportions, differentBins };
}
