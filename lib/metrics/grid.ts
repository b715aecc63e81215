/**
 * disentanglement_lib's sampled metrics (Locatello et al. 2019) over a full factor grid whose codes
 * are known row by row: the representation of a sampled factor vector is the code of its grid
 * row. Each metric draws from its own NumPy legacy RandomState(seed) in disentanglement_lib's
 * order (factor vectors column by column with randint), with its defaults: MIG and
 * modularity/explicitness on 10 000 training points sampled in batches of 16 (5 000 test points),
 * Beta-VAE (Higgins et al. 2017) and FactorVAE (Kim & Mnih 2018) on 10 000 / 5 000 points of
 * batches of 64, SAP (Kumar et al. 2018) with LinearSVC(C = 0.01, balanced) per code and factor,
 * DCI (Eastwood & Williams 2018) on 10 000 / 5 000 points of batches of 16 and IRS (Suter et al.
 * 2019) on 10 000 points of batches of 16.
 */
import { GenmetricsError } from '../errors';
import type { FeatureMatrix } from '../features';
import { native } from '../native';
import { LegacyRandomState } from '../random/mt19937';
import { dci, type DciScores } from './dci';
import { codeFactorMutualInfo, mig, modularity } from './disentanglement';
import { irs, type IrsScores } from './irs';

export interface FactorGrid {
  /** Values per factor; row r of the grid is np.unravel_index(r, sizes) (C order). */
  sizes: number[];
  codes: FeatureMatrix;
}

/** Checks that `factors` (N x K integers) enumerates the full grid in C order and returns its sizes. */
export function gridSizes(factors: { data: ArrayLike<number>; rows: number; cols: number }, where: string): number[] {
  const { data, rows, cols } = factors;
  const sizes = Array.from({ length: cols }, (_, j) => {
    let m = 0;
    for (let i = 0; i < rows; i++) m = Math.max(m, data[i * cols + j]);
    return m + 1;
  });
  const total = sizes.reduce((a, b) => a * b, 1);
  if (total !== rows) {
    throw new GenmetricsError(`${where}: not a full factor grid: ${rows} rows, but the factor sizes (${sizes.join(', ')}) make ${total}`);
  }
  for (let r = 0; r < rows; r++) {
    let rest = r;
    for (let j = cols - 1; j >= 0; j--) {
      const want = rest % sizes[j];
      rest = Math.floor(rest / sizes[j]);
      if (data[r * cols + j] !== want) {
        throw new GenmetricsError(`${where}: not a full factor grid in C order: row ${r} holds (${Array.from({ length: cols }, (_, k) => data[r * cols + k]).join(', ')}), expected np.unravel_index(${r}, (${sizes.join(', ')}))`);
      }
    }
  }
  return sizes;
}

class Sampler {
  readonly rs: LegacyRandomState;
  constructor(
    private readonly g: FactorGrid,
    seed: number,
  ) {
    this.rs = new LegacyRandomState(seed);
  }

  get factors(): number {
    return this.g.sizes.length;
  }

  randint(n: number): number {
    return this.rs.interval(n - 1);
  }

  /** sample_factors(num): num x K, each column randint(size, size=num). */
  sample(num: number): Int32Array {
    const K = this.g.sizes.length;
    const f = new Int32Array(num * K);
    for (let j = 0; j < K; j++) for (let t = 0; t < num; t++) f[t * K + j] = this.randint(this.g.sizes[j]);
    return f;
  }

  /** The codes of factor vectors (num x L, float64). */
  codes(f: Int32Array, num: number): Float64Array {
    const K = this.g.sizes.length;
    const L = this.g.codes.dims;
    const out = new Float64Array(num * L);
    for (let t = 0; t < num; t++) {
      let row = 0;
      for (let j = 0; j < K; j++) row = row * this.g.sizes[j] + f[t * K + j];
      for (let c = 0; c < L; c++) out[t * L + c] = this.g.codes.data[row * L + c];
    }
    return out;
  }

  /** generate_batch_factor_code: num points sampled in batches. */
  batchFactorCode(num: number, batch = 16): { codes: Float64Array; factors: Int32Array } {
    const K = this.factors;
    const L = this.g.codes.dims;
    const codes = new Float64Array(num * L);
    const factors = new Int32Array(num * K);
    for (let i = 0; i < num; i += batch) {
      const m = Math.min(batch, num - i);
      const f = this.sample(m);
      factors.set(f, i * K);
      codes.set(this.codes(f, m), i * L);
    }
    return { codes, factors };
  }
}

/** Per-column mean and variance (two-pass, divided by n - ddof) of n x L row-major codes. */
function columnMoments(codes: Float64Array, n: number, L: number, ddof: number): { mean: Float64Array; variance: Float64Array } {
  const mean = new Float64Array(L);
  const variance = new Float64Array(L);
  for (let c = 0; c < L; c++) {
    let m = 0;
    for (let t = 0; t < n; t++) m += codes[t * L + c];
    m /= n;
    let v = 0;
    for (let t = 0; t < n; t++) v += (codes[t * L + c] - m) ** 2;
    mean[c] = m;
    variance[c] = v / (n - ddof);
  }
  return { mean, variance };
}

function mutualInfoOf(s: { codes: Float64Array; factors: Int32Array }, L: number, K: number, n: number) {
  return codeFactorMutualInfo({ codes: s.codes, factors: s.factors, n, codeDims: L, factorDims: K });
}

export function sampledMig(g: FactorGrid, seed = 0, numTrain = 10000): number {
  const s = new Sampler(g, seed);
  return mig(mutualInfoOf(s.batchFactorCode(numTrain), g.codes.dims, s.factors, numTrain));
}

/** ROC AUC of scores against binary labels (ties get average ranks: the Mann-Whitney statistic). */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[order[k]]) (pos++, (rankSum += rank));
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) throw new GenmetricsError('ROC AUC is undefined when a class has no positive or no negative samples');
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export async function modularityExplicitness(g: FactorGrid, seed = 0, numTrain = 10000, numTest = 5000) {
  const s = new Sampler(g, seed);
  const L = g.codes.dims;
  const K = s.factors;
  const train = s.batchFactorCode(numTrain);
  const test = s.batchFactorCode(numTest);
  const mod = modularity(mutualInfoOf(train, L, K, numTrain));
  // z-score with the training mean and (ddof 0) std, then one logistic regression per factor.
  const norm = (x: Float64Array, mean: Float64Array, std: Float64Array) => Float64Array.from(x, (v, i) => (v - mean[i % L]) / std[i % L]);
  const { mean, variance } = columnMoments(train.codes, numTrain, L, 0);
  const std = variance.map(Math.sqrt);
  const xTrain = norm(train.codes, mean, std);
  const xTest = norm(test.codes, mean, std);
  let sumTrain = 0;
  let sumTest = 0;
  for (let j = 0; j < K; j++) {
    const yTrain = Int32Array.from({ length: numTrain }, (_, i) => train.factors[i * K + j]);
    const yTest = Int32Array.from({ length: numTest }, (_, i) => test.factors[i * K + j]);
    const classes = [...new Set(yTrain)].sort((a, b) => a - b);
    const idx = new Map(classes.map((c, k) => [c, k]));
    const r = await native().logistic(xTrain, numTrain, Int32Array.from(yTrain, (v) => idx.get(v)!), classes.length, { c: 1, maxIter: 100 }, xTest, numTest);
    const auc = (y: Int32Array, proba: Float64Array, n: number) => {
      let s2 = 0;
      classes.forEach((c, k) => {
        s2 += rocAuc(
          Int8Array.from(y, (v) => (v === c ? 1 : 0)),
          Float64Array.from({ length: n }, (_, i) => proba[i * classes.length + k]),
        );
      });
      return s2 / classes.length;
    };
    sumTrain += auc(yTrain, r.trainProba, numTrain);
    sumTest += auc(yTest, r.testProba!, numTest);
  }
  return { modularity: mod, explicitnessTrain: sumTrain / K, explicitnessTest: sumTest / K };
}

/**
 * SAP's score matrix for continuous factors (disentanglement_lib's compute_score_matrix with
 * continuous_factors=True): the squared correlation cov(z_i, v_j)^2 / (var z_i var v_j) of code
 * dimension i and factor j (ddof 1), 0 where var z_i <= 1e-12. Codes n x L, factors n x K, row-major.
 */
export function continuousSapMatrix(codes: Float64Array, factors: ArrayLike<number>, n: number, L: number, K: number): number[][] {
  const z = columnMoments(codes, n, L, 1);
  const v = columnMoments(Float64Array.from(factors), n, K, 1);
  return Array.from({ length: L }, (_, i) =>
    Array.from({ length: K }, (_, j) => {
      if (!(z.variance[i] > 1e-12)) return 0;
      let c = 0;
      for (let t = 0; t < n; t++) c += (codes[t * L + i] - z.mean[i]) * (factors[t * K + j] - v.mean[j]);
      c /= n - 1;
      return (c * c) / (z.variance[i] * v.variance[j]);
    }),
  );
}

/** Mean over factors of the gap between the two highest scores of its column (compute_avg_diff_top_two). */
function meanTopTwoGap(score: number[][], K: number): number {
  let sum = 0;
  for (let j = 0; j < K; j++) {
    const col = score.map((r) => r[j]).sort((a, b) => b - a);
    sum += col[0] - col[1];
  }
  return sum / K;
}

/**
 * SAP (Kumar et al. 2018) as disentanglement_lib's sap_score: a score per code dimension and
 * factor, then the mean gap between each factor's two best dimensions. Discrete factors (the
 * default): the test accuracy of a one-dimensional linear SVM (C = 0.01, balanced classes);
 * continuous factors: the squared correlation on the training sample (the test sample is still
 * drawn, so later draws match the reference).
 */
export async function sap(g: FactorGrid, seed = 0, numTrain = 10000, numTest = 5000, continuousFactors = false): Promise<number> {
  const s = new Sampler(g, seed);
  const L = g.codes.dims;
  const K = s.factors;
  const train = s.batchFactorCode(numTrain);
  const test = s.batchFactorCode(numTest);
  if (continuousFactors) return meanTopTwoGap(continuousSapMatrix(train.codes, train.factors, numTrain, L, K), K);
  const score: number[][] = [];
  for (let i = 0; i < L; i++) {
    const xi = Float64Array.from({ length: numTrain }, (_, t) => train.codes[t * L + i]);
    const xt = Float64Array.from({ length: numTest }, (_, t) => test.codes[t * L + i]);
    const row: number[] = [];
    for (let j = 0; j < K; j++) {
      const y = Int32Array.from({ length: numTrain }, (_, t) => train.factors[t * K + j]);
      const yt = Int32Array.from({ length: numTest }, (_, t) => test.factors[t * K + j]);
      const classes = [...new Set(y)].sort((a, b) => a - b);
      const idx = new Map(classes.map((c, k) => [c, k]));
      const yi = Int32Array.from(y, (v) => idx.get(v)!);
      // class_weight='balanced': n / (classes * count).
      const counts = new Float64Array(classes.length);
      for (const v of yi) counts[v]++;
      const weight = Float64Array.from(counts, (c) => numTrain / (classes.length * c));
      const r = await native().linearSvm(xi, numTrain, yi, classes.length, { c: 0.01, tol: 1e-4, maxIter: 1000, classWeight: weight }, xt, numTest);
      let ok = 0;
      r.testPred!.forEach((p, t) => (ok += classes[p] === yt[t] ? 1 : 0));
      row.push(ok / numTest);
    }
    score.push(row);
  }
  return meanTopTwoGap(score, K);
}

export async function betaVae(g: FactorGrid, seed = 0, batch = 64, numTrain = 10000, numEval = 5000) {
  const s = new Sampler(g, seed);
  const L = g.codes.dims;
  const K = s.factors;
  const points = (num: number) => {
    const x = new Float64Array(num * L);
    const y = new Int32Array(num);
    for (let p = 0; p < num; p++) {
      const index = s.randint(K);
      const f1 = s.sample(batch);
      const f2 = s.sample(batch);
      for (let t = 0; t < batch; t++) f2[t * K + index] = f1[t * K + index];
      const c1 = s.codes(f1, batch);
      const c2 = s.codes(f2, batch);
      for (let c = 0; c < L; c++) {
        let m = 0;
        for (let t = 0; t < batch; t++) m += Math.abs(c1[t * L + c] - c2[t * L + c]);
        x[p * L + c] = m / batch;
      }
      y[p] = index;
    }
    return { x, y };
  };
  const train = points(numTrain);
  const evalSet = points(numEval);
  const r = await native().logistic(train.x, numTrain, train.y, K, { c: 1, maxIter: 100 }, evalSet.x, numEval);
  const accuracy = (proba: Float64Array, y: Int32Array) => {
    let ok = 0;
    for (let i = 0; i < y.length; i++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (proba[i * K + k] > proba[i * K + best]) best = k;
      if (best === y[i]) ok++;
    }
    return ok / y.length;
  };
  return { train: accuracy(r.trainProba, train.y), eval: accuracy(r.testProba!, evalSet.y) };
}

export function factorVae(g: FactorGrid, seed = 0, batch = 64, numTrain = 10000, numEval = 5000, numVariance = 10000, threshold = 0.05) {
  const s = new Sampler(g, seed);
  const L = g.codes.dims;
  const K = s.factors;
  const variances = (codes: Float64Array, n: number) => columnMoments(codes, n, L, 1).variance;
  const global = variances(s.codes(s.sample(numVariance), numVariance), numVariance);
  const active = Array.from(global, (v, c) => (Math.sqrt(v) >= threshold ? c : -1)).filter((c) => c >= 0);
  if (active.length === 0) return { train: 0, eval: 0, activeDims: 0 };
  const votes = (num: number) => {
    const table = Array.from({ length: K }, () => new Float64Array(L));
    for (let p = 0; p < num; p++) {
      const index = s.randint(K);
      const f = s.sample(batch);
      for (let t = 1; t < batch; t++) f[t * K + index] = f[index];
      const local = variances(s.codes(f, batch), batch);
      let arg = 0;
      for (let q = 1; q < active.length; q++) if (local[active[q]] / global[active[q]] < local[active[arg]] / global[active[arg]]) arg = q;
      // The argmin indexes the pruned dimensions but votes into the full-width table (as the reference).
      table[index][arg]++;
    }
    return table;
  };
  const train = votes(numTrain);
  const classifier = Array.from({ length: L }, (_, c) => {
    let best = 0;
    for (let k = 1; k < K; k++) if (train[k][c] > train[best][c]) best = k;
    return best;
  });
  const accuracy = (t: Float64Array[]) => {
    let ok = 0;
    let all = 0;
    for (let c = 0; c < L; c++) {
      ok += t[classifier[c]][c];
      for (let k = 0; k < K; k++) all += t[k][c];
    }
    return ok / all;
  };
  const evalVotes = votes(numEval);
  return { train: accuracy(train), eval: accuracy(evalVotes), activeDims: active.length };
}

/**
 * DCI as disentanglement_lib's compute_dci (gin: num_train 10 000, num_test 5 000, batches of 16);
 * the boosted trees' feature order is drawn as after np.random.seed(seed) (see dci()).
 */
export function sampledDci(g: FactorGrid, seed = 0, numTrain = 10000, numTest = 5000, progress?: (done: number, total: number) => void): DciScores {
  const s = new Sampler(g, seed);
  const train = s.batchFactorCode(numTrain);
  const test = s.batchFactorCode(numTest);
  try {
    return dci({ ...train, n: numTrain }, { ...test, n: numTest }, g.codes.dims, s.factors, seed, progress);
  } catch (e) {
    if (e instanceof GenmetricsError) throw new GenmetricsError(`${e.message}; option dci false (--no-dci) leaves DCI out`);
    throw e;
  }
}

/** IRS as disentanglement_lib's compute_irs (gin: num_train 10 000, batches of 16, diff_quantile 0.99, 20 factor bins). */
export function sampledIrs(g: FactorGrid, seed = 0, numTrain = 10000, diffQuantile = 0.99): IrsScores {
  const s = new Sampler(g, seed);
  const sample = s.batchFactorCode(numTrain);
  return irs(sample.codes, sample.factors, numTrain, g.codes.dims, s.factors, diffQuantile);
}

export interface GridScores {
  mig: number;
  modularity: number;
  explicitness_train: number;
  explicitness_test: number;
  sap: number;
  beta_vae_train: number;
  beta_vae_eval: number;
  factor_vae_train: number;
  factor_vae_eval: number;
  factor_vae_active_dims: number;
  /** null when skipped (option `dci: false`). */
  dci: DciScores | null;
  irs: IrsScores;
}

/**
 * Every sampled metric, each from its own RandomState(seed); SAP with discrete factors unless
 * `continuousFactors`; DCI (100 x classes boosted trees per factor, the slow one) unless `dci` is false.
 */
export async function gridScores(
  g: FactorGrid,
  seed = 0,
  options: { continuousFactors?: boolean; dci?: boolean; dciProgress?: (done: number, total: number) => void } = {},
): Promise<GridScores> {
  const me = await modularityExplicitness(g, seed);
  const b = await betaVae(g, seed);
  const f = factorVae(g, seed);
  return {
    mig: sampledMig(g, seed),
    modularity: me.modularity,
    explicitness_train: me.explicitnessTrain,
    explicitness_test: me.explicitnessTest,
    sap: await sap(g, seed, undefined, undefined, options.continuousFactors ?? false),
    beta_vae_train: b.train,
    beta_vae_eval: b.eval,
    factor_vae_train: f.train,
    factor_vae_eval: f.eval,
    factor_vae_active_dims: f.activeDims,
    dci: options.dci === false ? null : sampledDci(g, seed, undefined, undefined, options.dciProgress),
    irs: sampledIrs(g, seed),
  };
}
