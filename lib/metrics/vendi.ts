/**
 * The Vendi score (Friedman & Dieng, "The Vendi Score", TMLR 2023) with the linear kernel on
 * L2-normalised rows, as dgm-eval's compute_vendi_score: with K = X Xᵀ / n, whose non-zero spectrum
 * is that of Xᵀ X / n (d x d, vertaix's score_dual, so memory stays d² at any n),
 *   q = 1: exp(-Σ λ log λ),  q = 2: 1 / Σ λ²,  q = ∞: 1 / max λ,  over the eigenvalues λ > 0.
 * Rows of norm 0 stay 0 (sklearn's normalize). float64 throughout.
 * The polynomial kernel is dgm-eval's option: sklearn's polynomial_kernel(degree 3, gamma 1/d,
 * coef0 1) on the normalised rows, K_ij = (<x_i, x_j>/d + 1)^3, whose n x n spectrum is computed
 * densely (every entry is about 1, so the score is about 1: degenerate, but the reference's value).
 */
import { GenmetricsError } from '../errors';
import type { FeatureMatrix } from '../features';
import { native } from '../native';
import { RunningMoments } from '../stats/moments';

export type VendiOrder = 1 | 2 | 'inf';
export type VendiKernel = 'linear' | 'polynomial';

/** The polynomial kernel needs the dense n x n matrix (no d x d dual): at most this many samples (2 GiB). */
export const MAX_POLYNOMIAL_VENDI_ROWS = 16384;

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

/** The L2-normalised rows (those of `rows`, or all), n x d float64; rows of norm 0 stay 0. */
function normalisedRows(m: FeatureMatrix, rows: ArrayLike<number> | undefined): Float64Array {
  const d = m.dims;
  const n = rows ? rows.length : m.rows;
  const x = new Float64Array(n * d);
  for (let q = 0; q < n; q++) {
    const r = rows ? rows[q] : q;
    let s = 0;
    for (let c = 0; c < d; c++) s += m.data[r * d + c] * m.data[r * d + c];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let c = 0; c < d; c++) x[q * d + c] = m.data[r * d + c] * inv;
  }
  return x;
}

/**
 * The n x n kernel matrix / n of the L2-normalised rows: linear (X Xᵀ / n, the cheaper side when
 * n < d) or dgm-eval's polynomial kernel.
 */
async function kernelMatrix(m: FeatureMatrix, rows: ArrayLike<number> | undefined, kernel: VendiKernel, threads: number): Promise<Float64Array> {
  const d = m.dims;
  const n = rows ? rows.length : m.rows;
  if (kernel === 'polynomial' && n > MAX_POLYNOMIAL_VENDI_ROWS) {
    throw new GenmetricsError(`${m.source}: the polynomial-kernel Vendi score builds the dense ${n} x ${n} kernel matrix; at most ${MAX_POLYNOMIAL_VENDI_ROWS} samples (use a subset, or the linear kernel)`);
  }
  const k = await native().gramMatrix(normalisedRows(m, rows), n, { threads });
  if (kernel === 'polynomial') for (let i = 0; i < k.length; i++) k[i] = (k[i] / d + 1) ** 3 / n;
  else for (let i = 0; i < k.length; i++) k[i] /= n;
  return k;
}

/** Vendi scores of a feature set (or of its rows `rows`) for each order q. */
export async function vendiScores(
  m: FeatureMatrix,
  orders: VendiOrder[],
  options: { rows?: ArrayLike<number>; threads?: number; kernel?: VendiKernel } = {},
): Promise<Record<string, number>> {
  const n = options.rows ? options.rows.length : m.rows;
  const threads = options.threads ?? 0;
  if (n < 1) throw new GenmetricsError(`${m.source}: the Vendi score needs at least one sample`);
  // The linear kernel's non-zero spectrum is also that of the d x d Xᵀ X / n: whichever side is smaller.
  const kernel = options.kernel ?? 'linear';
  const eig =
    kernel === 'polynomial' || n < m.dims
      ? await native().symmetricEigenvalues(await kernelMatrix(m, options.rows, kernel, threads), n, threads)
      : await native().symmetricEigenvalues(await normalisedGram(m, options.rows, threads), m.dims, threads);
  return Object.fromEntries(orders.map((q) => [`q${q}`, vendiFromEigenvalues(eig, q)]));
}
