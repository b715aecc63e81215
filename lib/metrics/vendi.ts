/**
 * The Vendi score (Friedman & Dieng, "The Vendi Score", TMLR 2023) with the linear kernel on
 * L2-normalised rows, as dgm-eval's compute_vendi_score: with K = X Xᵀ / n, whose non-zero spectrum
 * is that of Xᵀ X / n (d x d, vertaix's score_dual, so memory stays d² at any n),
 *   q = 1: exp(-Σ λ log λ),  q = 2: 1 / Σ λ²,  q = ∞: 1 / max λ,  over the eigenvalues λ > 0.
 * Rows of norm 0 stay 0 (sklearn's normalize). float64 throughout.
 */
import { GenmetricsError } from '../errors';
import type { FeatureMatrix } from '../features';
import { native } from '../native';
import { RunningMoments } from '../stats/moments';

export type VendiOrder = 1 | 2 | 'inf';

const BLOCK = 4096;

/**
 * Xᵀ X / n of the L2-normalised rows (those of `rows`, or all), from the native moments of row
 * blocks: Xᵀ X / n = Σ (n - 1) / n + μ μᵀ (Σ with ddof 1). Column-major = row-major (symmetric).
 */
async function normalisedGram(m: FeatureMatrix, rows: ArrayLike<number> | undefined, threads: number): Promise<Float64Array> {
  const d = m.dims;
  const n = rows ? rows.length : m.rows;
  if (n === 1) {
    const x = Float64Array.from(m.data.subarray((rows ? rows[0] : 0) * d, ((rows ? rows[0] : 0) + 1) * d));
    const s = Math.sqrt(x.reduce((a, v) => a + v * v, 0));
    const u = x.map((v) => (s > 0 ? v / s : 0));
    return Float64Array.from({ length: d * d }, (_, k) => u[Math.floor(k / d)] * u[k % d]);
  }
  const moments = new RunningMoments(d);
  const block = new Float64Array(Math.min(BLOCK, n) * d);
  for (let q0 = 0; q0 < n; q0 += BLOCK) {
    const count = Math.min(BLOCK, n - q0);
    for (let q = 0; q < count; q++) {
      const r = rows ? rows[q0 + q] : q0 + q;
      let s = 0;
      for (let c = 0; c < d; c++) s += m.data[r * d + c] * m.data[r * d + c];
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let c = 0; c < d; c++) block[q * d + c] = m.data[r * d + c] * inv;
    }
    await moments.update(block.subarray(0, count * d), { threads });
  }
  const { mu: mean, sigma: cov } = moments.finalize();
  const f = (n - 1) / n;
  return Float64Array.from(cov, (v, k) => v * f + mean[Math.floor(k / d)] * mean[k % d]);
}

export function vendiFromEigenvalues(eigenvalues: ArrayLike<number>, q: VendiOrder): number {
  const pos = Array.from(eigenvalues).filter((l) => l > 0);
  if (q === 1) return Math.exp(-pos.reduce((s, l) => s + l * Math.log(l), 0));
  if (q === 2) return Math.exp(-Math.log(pos.reduce((s, l) => s + l * l, 0)));
  return 1 / Math.max(...pos);
}

/** Vendi scores of a feature set (or of its rows `rows`) for each order q. */
export async function vendiScores(m: FeatureMatrix, orders: VendiOrder[], options: { rows?: ArrayLike<number>; threads?: number } = {}): Promise<Record<string, number>> {
  const n = options.rows ? options.rows.length : m.rows;
  if (n < 1) throw new GenmetricsError(`${m.source}: the Vendi score needs at least one sample`);
  const eig = await native().symmetricEigenvalues(await normalisedGram(m, options.rows, options.threads ?? 0), m.dims, options.threads ?? 0);
  return Object.fromEntries(orders.map((q) => [`q${q}`, vendiFromEigenvalues(eig, q)]));
}
