/**
 * IRS, the interventional robustness score (Suter et al. 2019), as disentanglement_lib's
 * evaluation/metrics/irs.py computes it: factors discretised into 20 histogram bins, codes of zero
 * variance dropped, then scalable_disentanglement_score with diff_quantile 0.99.
 *
 * The estimate (the paper's maximum deviation relaxed to a quantile): for code z and
 * factor g, the mean over g's values of the 99% quantile of |z - E[z | g]|, over max |z - E z|, is
 * how much z moves while g is held; 1 minus that, maximised over factors, scores the code.
 *
 * The sums follow NumPy's orders where a constant code's rounding decides the outcome: the
 * variance test sums each code over the samples one by one (as np.var over disentanglement_lib's
 * transposed codes does), so a code held at 0.1 keeps a tiny variance and counts as active, as in
 * the reference (its score is then a ratio of rounding errors, with a weight of ~1e-17); the
 * overall means use NumPy's pairwise summation.
 */
import { histogramBins } from './disentanglement';

// Module-level aliases: a lookup of a global such as Math per use is slow in vm contexts (Jest's).
const { abs, floor, max, min } = Math;

export interface IrsScores {
  /** IRS: the per-code scores averaged with the codes' maximal deviations as weights. */
  avg_score: number;
  /** Per active code dimension: max over factors of 1 - (mean 99% quantile of |z - E[z | factor bin]|) / max |z - E z|. */
  disentanglement_scores: number[];
  /** What irs.py reports under this name: np.sum of the active codes over the samples (a sum of code values, not a count). */
  num_active_dims: number;
  /** Indices of the code dimensions with variance > 0 (their count is the number of active dimensions). */
  active_dims: number[];
}

/** NumPy's pairwise_sum for a contiguous run (8-way unrolled blocks up to 128, halves above). */
function pairwise(a: Float64Array, lo: number, n: number): number {
  if (n < 8) {
    let s = -0;
    for (let i = 0; i < n; i++) s += a[lo + i];
    return s;
  }
  if (n <= 128) {
    const r = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let j = 0; j < 8; j++) r[j] = a[lo + j];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[lo + i + j];
    let s = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) s += a[lo + i];
    return s;
  }
  let n2 = floor(n / 2);
  n2 -= n2 % 8;
  return pairwise(a, lo, n2) + pairwise(a, lo + n2, n - n2);
}

/** np.add.reduce over a contiguous axis: pairwise sums of 8192-element buffers, accumulated in order. */
function numpySum(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i += 8192) s += pairwise(a, i, min(8192, a.length - i));
  return s;
}

/** np.quantile(v, q) with the default linear method (NumPy >= 1.22's virtual index and lerp). */
export function quantileLinear(values: Float64Array, q: number): number {
  const n = values.length;
  const v = Float64Array.from(values).sort();
  const virtual = n * q + (1 + q * (1 - 1 - 1)) - 1;
  let prevIndex = floor(virtual);
  let nextIndex = prevIndex + 1;
  if (virtual >= n - 1) prevIndex = nextIndex = -1;
  if (virtual < 0) prevIndex = nextIndex = 0;
  const gamma = virtual - prevIndex;
  const a = v[prevIndex < 0 ? n - 1 : prevIndex];
  const b = v[nextIndex < 0 ? n - 1 : nextIndex];
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/**
 * IRS of n sampled codes (n x L) against their factors (n x K), row-major. `diffQuantile` 1 is the
 * paper's maximum; disentanglement_lib uses 0.99.
 */
export function irs(codes: ArrayLike<number>, factors: ArrayLike<number>, n: number, L: number, K: number, diffQuantile = 0.99, bins = 20): IrsScores {
  const column = (data: ArrayLike<number>, cols: number, j: number) => Float64Array.from({ length: n }, (_, t) => data[t * cols + j]);
  // _drop_constant_dims: np.var(axis=1) > 0, its mean summed sample by sample.
  const active: number[] = [];
  const latents: Float64Array[] = [];
  for (let i = 0; i < L; i++) {
    const z = column(codes, L, i);
    let s = 0;
    for (let t = 0; t < n; t++) s += z[t];
    const mean = s / n;
    if (z.some((v) => v - mean !== 0)) {
      active.push(i);
      latents.push(z);
    }
  }
  // np.sum over the active codes' (L' x n, C-ordered) array: one pairwise run over all values.
  const codeSum = numpySum(Float64Array.from({ length: latents.length * n }, (_, k) => latents[floor(k / n)][k % n]));
  if (latents.length === 0) return { avg_score: 0, disentanglement_scores: [], num_active_dims: codeSum, active_dims: active };
  const La = latents.length;
  // Normaliser: max |z - E z| per code.
  const maxDev = latents.map((z) => {
    const mean = numpySum(z) / n;
    let m = 0;
    for (const v of z) m = max(m, abs(v - mean));
    return m;
  });
  const irsMatrix = latents.map(() => new Float64Array(K));
  // irs.py passes q = diff_quantile * 100 to np.percentile, which divides it by 100 again.
  const q = (diffQuantile * 100) / 100;
  for (let j = 0; j < K; j++) {
    const g = histogramBins(column(factors, K, j), bins);
    const values = [...new Set(g)].sort((a, b) => a - b);
    const cum = new Float64Array(La);
    for (const u of values) {
      const rows: number[] = [];
      for (let t = 0; t < n; t++) if (g[t] === u) rows.push(t);
      for (let c = 0; c < La; c++) {
        const z = latents[c];
        // E[z | g_j = u], summed row by row (the mean over axis 0 of a C-ordered selection).
        let s = 0;
        for (const t of rows) s += z[t];
        const loc = s / rows.length;
        cum[c] += quantileLinear(Float64Array.from(rows, (t) => abs(z[t] - loc)), q);
      }
    }
    for (let c = 0; c < La; c++) irsMatrix[c][j] = 1 - cum[c] / values.length / maxDev[c];
  }
  // Each code's best factor; np.max propagates NaN.
  const scores = irsMatrix.map((row) => row.reduce((a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : max(a, b)), -Infinity));
  const weightTotal = numpySum(Float64Array.from(maxDev));
  const avg = weightTotal > 0 ? numpySum(Float64Array.from(scores, (s, c) => s * maxDev[c])) / weightTotal : numpySum(Float64Array.from(scores)) / La;
  return { avg_score: avg, disentanglement_scores: scores, num_active_dims: codeSum, active_dims: active };
}
