/**
 * Disentanglement scores of latent codes against ground-truth factors, with disentanglement_lib's
 * definitions (Locatello et al. 2019): codes discretised per dimension into 20 equal-width bins
 * (np.histogram edges, np.digitize), mutual information in nats (scikit-learn's
 * mutual_info_score), MIG (Chen et al. 2018) and modularity (Ridgeway & Zemel 2018).
 */
import { GenmetricsError } from '../errors';
import { contingency, mutualInfo } from './clustering';

/** Codes (n x L) and factor values (n x K), row-major, one row per sample. */
export interface CodeSample {
  codes: ArrayLike<number>;
  factors: ArrayLike<number>;
  n: number;
  codeDims: number;
  factorDims: number;
}

/**
 * Bin index 1..bins of every value of one code dimension: edges as np.histogram(x, bins) makes
 * them (min + i (max - min)/bins, the last edge exactly max; +-0.5 around a constant), then
 * np.digitize against all edges but the last (the number of those edges <= x).
 */
export function histogramBins(x: ArrayLike<number>, bins = 20): Int32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    lo = Math.min(lo, x[i]);
    hi = Math.max(hi, x[i]);
  }
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const step = (hi - lo) / bins;
  const edges = Float64Array.from({ length: bins }, (_, i) => i * step + lo); // edges[0..bins-1]
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    // Largest count c with edges[c - 1] <= x (binary search over the increasing edges).
    let a = 0;
    let b = bins;
    while (a < b) {
      const m = (a + b) >> 1;
      if (edges[m] <= x[i]) a = m + 1;
      else b = m;
    }
    out[i] = a;
  }
  return out;
}

function column(data: ArrayLike<number>, n: number, cols: number, j: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = data[i * cols + j];
  return out;
}

export interface MutualInfoResult {
  /** mi[i][j]: mutual information between discretised code i and factor j (nats). */
  mi: number[][];
  /** Entropy of each factor (nats), as MI(y, y). */
  factorEntropy: number[];
}

export function codeFactorMutualInfo(s: CodeSample, bins = 20): MutualInfoResult {
  if (s.n < 1) throw new GenmetricsError('no samples');
  const factors = Array.from({ length: s.factorDims }, (_, j) => column(s.factors, s.n, s.factorDims, j));
  for (const [j, f] of factors.entries()) {
    const bad = f.findIndex((v) => !Number.isInteger(v));
    if (bad >= 0) throw new GenmetricsError(`factor ${j} of sample ${bad} is ${f[bad]}; factor values must be integers`);
  }
  const mi = Array.from({ length: s.codeDims }, (_, i) => {
    const d = histogramBins(column(s.codes, s.n, s.codeDims, i), bins);
    return factors.map((f) => mutualInfo(contingency(f, d)));
  });
  const factorEntropy = factors.map((f) => mutualInfo(contingency(f, f)));
  return { mi, factorEntropy };
}

/** Mutual information gap: mean over factors of (largest - second largest MI over codes) / H(factor). */
export function mig(m: MutualInfoResult): number {
  const K = m.factorEntropy.length;
  if (m.mi.length < 2) throw new GenmetricsError('MIG needs at least 2 code dimensions');
  let sum = 0;
  for (let j = 0; j < K; j++) {
    const col = m.mi.map((row) => row[j]).sort((a, b) => b - a);
    sum += (col[0] - col[1]) / m.factorEntropy[j];
  }
  return sum / K;
}

/** Modularity: per code 1 - (sum_j m_ij^2 - max^2) / (max^2 (K - 1)), 0 when max = 0; the mean over codes. */
export function modularity(m: MutualInfoResult): number {
  const K = m.factorEntropy.length;
  if (K < 2) throw new GenmetricsError('modularity needs at least 2 factors');
  let sum = 0;
  for (const row of m.mi) {
    const sq = row.map((v) => v * v);
    const max = Math.max(...sq);
    const total = sq.reduce((a, b) => a + b, 0);
    sum += max === 0 ? 0 : 1 - (total - max) / (max * (K - 1));
  }
  return sum / m.mi.length;
}
