/**
 * Scores of a clustering against reference labels, with scikit-learn's definitions (Rosenberg &
 * Hirschberg 2007 for homogeneity/completeness/V-measure; Hubert & Arabie 1985 for ARI; Vinh et
 * al. 2010 for NMI/AMI), edge cases included: natural logarithms, float64.
 */
import type Gammaln from '@stdlib/math-base-special-gammaln';
import { MI_AVERAGE, V_MEASURE_BETA } from '../defaults';
import { GenmetricsError } from '../errors';
import { lazyModule } from '../lazy';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadGammaln = lazyModule(() => require('@stdlib/math-base-special-gammaln') as typeof Gammaln);

const EPS = 2.220446049250313e-16; // np.finfo(float64).eps

/** The non-empty cells of the classes x clusters table, row-major, with the margins. */
export interface Contingency {
  n: number;
  /** Samples per class (rows) and per cluster (columns), over sorted distinct labels. */
  rows: number[];
  cols: number[];
  cells: { i: number; j: number; count: number }[];
}

/** Index of each label among the sorted distinct labels (np.unique's order). */
function encode(labels: ArrayLike<number>): { codes: Int32Array; count: number } {
  const distinct = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const index = new Map(distinct.map((v, k) => [v, k]));
  return { codes: Int32Array.from(labels, (v) => index.get(v)!), count: distinct.length };
}

export function contingency(labelsTrue: ArrayLike<number>, labelsPred: ArrayLike<number>): Contingency {
  if (labelsTrue.length !== labelsPred.length) {
    throw new GenmetricsError(`labels differ in length: ${labelsTrue.length} reference labels, ${labelsPred.length} cluster labels`);
  }
  for (const [name, l] of [
    ['reference', labelsTrue],
    ['cluster', labelsPred],
  ] as const) {
    for (let i = 0; i < l.length; i++) {
      if (!Number.isInteger(l[i])) throw new GenmetricsError(`${name} label ${i} is ${l[i]}; labels must be integers`);
    }
  }
  const t = encode(labelsTrue);
  const p = encode(labelsPred);
  const counts = new Map<number, number>();
  for (let s = 0; s < t.codes.length; s++) {
    const key = t.codes[s] * p.count + p.codes[s];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const rows = new Array<number>(t.count).fill(0);
  const cols = new Array<number>(p.count).fill(0);
  const cells = [...counts.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([key, count]) => {
      const i = Math.floor(key / p.count);
      const j = key - i * p.count;
      rows[i] += count;
      cols[j] += count;
      return { i, j, count };
    });
  return { n: t.codes.length, rows, cols, cells };
}

/** Entropy (nats) of a labelling given its class sizes; 1.0 for no samples (scikit-learn's). */
export function entropyOfCounts(counts: readonly number[]): number {
  const pi = counts.filter((c) => c > 0);
  if (pi.length === 0) return 1.0;
  const sum = pi.reduce((s, c) => s + c, 0);
  const logSum = Math.log(sum);
  let h = 0;
  for (const c of pi) h += (c / sum) * (Math.log(c) - logSum);
  return -h;
}

/** Mutual information (nats) of the two labellings; terms below machine epsilon are dropped, negatives clipped. */
export function mutualInfo(c: Contingency): number {
  if (c.n === 0) throw new GenmetricsError('mutual information of empty labellings is undefined');
  // MI <= min(H(true), H(pred)): a labelling with one class has zero entropy, so MI is exactly 0
  // (scikit-learn's special case; the sum below would leave ~1e-15 of round-off).
  if (c.rows.length === 1 || c.cols.length === 1) return 0;
  const logN = Math.log(c.n);
  let mi = 0;
  for (const { i, j, count } of c.cells) {
    const outer = c.rows[i] * c.cols[j];
    const logOuter = -(Number.isSafeInteger(outer) ? Math.log(outer) : Math.log(c.rows[i]) + Math.log(c.cols[j])) + logN + logN;
    const p = count / c.n;
    const term = p * (Math.log(count) - logN) + p * logOuter;
    if (Math.abs(term) >= EPS) mi += term;
  }
  return Math.max(0, mi);
}

/** Expected mutual information of two random labellings with these margins (hypergeometric model). */
export function expectedMutualInfo(c: Contingency): number {
  const { rows: a, cols: b } = c;
  if (a.length === 1 || b.length === 1) return 0;
  const N = c.n;
  const logN = Math.log(N);
  const gammaln = loadGammaln();
  const glnN = gammaln(N + 1);
  let emi = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < b.length; j++) {
      const fixed = gammaln(a[i] + 1) + gammaln(b[j] + 1) + gammaln(N - a[i] + 1) + gammaln(N - b[j] + 1);
      const start = Math.max(1, a[i] + b[j] - N);
      const end = Math.min(a[i], b[j]);
      for (let nij = start; nij <= end; nij++) {
        const term2 = logN + Math.log(nij) - Math.log(a[i]) - Math.log(b[j]);
        const gln = fixed - (gammaln(nij + 1) + glnN) - gammaln(a[i] - nij + 1) - gammaln(b[j] - nij + 1) - gammaln(N - a[i] - b[j] + nij + 1);
        emi += (nij / N) * term2 * Math.exp(gln);
      }
    }
  }
  return emi;
}

export type AverageMethod = 'min' | 'geometric' | 'arithmetic' | 'max';

function generalizedMean(u: number, v: number, method: AverageMethod): number {
  if (method === 'min') return Math.min(u, v);
  if (method === 'geometric') return Math.sqrt(u * v);
  if (method === 'arithmetic') return (u + v) / 2;
  return Math.max(u, v);
}

export interface ClusteringScores {
  homogeneity: number;
  completeness: number;
  v_measure: number;
  adjusted_rand: number;
  mutual_info: number | null;
  normalized_mutual_info: number;
  adjusted_mutual_info: number;
  classes: number;
  clusters: number;
  n: number;
}

export interface ClusteringScoreOptions {
  /** V-measure weight: beta > 1 weighs completeness more (default 1). */
  beta?: number;
  /** Normaliser of NMI and AMI (default arithmetic, scikit-learn's). */
  average?: AverageMethod;
}

/** Adjusted Rand index from the pair-counting confusion matrix, in exact integers. */
function adjustedRand(c: Contingency): number {
  const n = BigInt(c.n);
  let squares = 0n;
  let byCols = 0n;
  let byRows = 0n;
  for (const { i, j, count } of c.cells) {
    const v = BigInt(count);
    squares += v * v;
    byCols += v * BigInt(c.cols[j]);
    byRows += v * BigInt(c.rows[i]);
  }
  const tp = squares - n;
  const fp = byCols - squares;
  const fn = byRows - squares;
  const tn = n * n - fp - fn - squares;
  if (fn === 0n && fp === 0n) return 1.0;
  return (2.0 * Number(tp * tn - fn * fp)) / Number((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}

/** All scores of `labelsPred` (a clustering) against `labelsTrue` (reference classes). */
export function clusteringScores(labelsTrue: ArrayLike<number>, labelsPred: ArrayLike<number>, options: ClusteringScoreOptions = {}): ClusteringScores {
  const beta = options.beta ?? V_MEASURE_BETA;
  if (!(beta > 0) || !Number.isFinite(beta)) throw new GenmetricsError(`beta must be a positive number, got ${beta}`);
  const average = options.average ?? (MI_AVERAGE as AverageMethod);
  const c = contingency(labelsTrue, labelsPred);
  const base = { classes: c.rows.length, clusters: c.cols.length, n: c.n };
  if (c.n === 0) {
    return { ...base, homogeneity: 1, completeness: 1, v_measure: 1, adjusted_rand: 1, mutual_info: null, normalized_mutual_info: 1, adjusted_mutual_info: 1 };
  }
  const hC = entropyOfCounts(c.rows);
  const hK = entropyOfCounts(c.cols);
  const mi = mutualInfo(c);
  const homogeneity = hC ? mi / hC : 1.0;
  const completeness = hK ? mi / hK : 1.0;
  const v = homogeneity + completeness === 0 ? 0 : ((1 + beta) * homogeneity * completeness) / (beta * homogeneity + completeness);
  const trivial = c.rows.length === 1 && c.cols.length === 1;
  let nmi: number;
  let ami: number;
  if (trivial) {
    nmi = 1;
    ami = 1;
  } else {
    nmi = mi === 0 ? 0 : mi / generalizedMean(hC, hK, average);
    const emi = expectedMutualInfo(c);
    let denominator = generalizedMean(hC, hK, average) - emi;
    // Avoid 0/0 when the expected and the maximum mutual information coincide (scikit-learn).
    denominator = denominator < 0 ? Math.min(denominator, -EPS) : Math.max(denominator, EPS);
    ami = (mi - emi) / denominator;
  }
  return {
    ...base,
    homogeneity,
    completeness,
    v_measure: v,
    adjusted_rand: adjustedRand(c),
    mutual_info: mi,
    normalized_mutual_info: nmi,
    adjusted_mutual_info: ami,
  };
}
