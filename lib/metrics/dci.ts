/**
 * DCI: disentanglement, completeness and informativeness (Eastwood & Williams 2018), with
 * disentanglement_lib's choices (evaluation/metrics/dci.py): the importance R_ij of code i for
 * factor j is the impurity-based feature importance of a gradient-boosted classifier
 * (scikit-learn's GradientBoostingClassifier() defaults) predicting factor j from all codes,
 * informativeness is that classifier's accuracy.
 */
import { GenmetricsError } from '../errors';
import { LegacyRandomState } from '../random/mt19937';
import { fitGradientBoosting } from './gradient-boosting';

export interface DciScores {
  disentanglement: number;
  completeness: number;
  informativeness_train: number;
  informativeness_test: number;
  /** importance_matrix[i][j]: importance of code dimension i for factor j (each column sums to 1, or is all 0). */
  importance_matrix: number[][];
}

/** Codes (n x L) and factors (n x K), row-major. */
export interface DciSample {
  codes: ArrayLike<number>;
  factors: ArrayLike<number>;
  n: number;
}

/**
 * 1 - H_base(p) for each of `count` distributions p (scipy.stats.entropy with base = the number of
 * outcomes): entry(a, b) is the weight of outcome b in distribution a, 1e-11 is added to every
 * weight before normalising, as the reference does.
 */
function oneMinusEntropy(entry: (a: number, b: number) => number, count: number, outcomes: number): number[] {
  return Array.from({ length: count }, (_, a) => {
    let total = 0;
    for (let b = 0; b < outcomes; b++) total += entry(a, b) + 1e-11;
    let h = 0;
    for (let b = 0; b < outcomes; b++) {
      const p = (entry(a, b) + 1e-11) / total;
      if (p > 0) h -= p * Math.log(p);
    }
    return 1 - h / Math.log(outcomes);
  });
}

/**
 * Disentanglement (Eastwood & Williams 2018): sum_i rho_i (1 - H_K(P_i.)) with P_i. code i's
 * row of importances normalised over the K factors and rho_i its share of the total importance;
 * completeness: the same over factors (columns, entropy base L). All-zero importances weigh
 * uniformly.
 */
export function dciFromImportance(R: number[][]): { disentanglement: number; completeness: number } {
  const L = R.length;
  const K = R[0].length;
  let total = 0;
  for (const row of R) for (const v of row) total += v;
  const w = total === 0 ? R.map((row) => row.map(() => 1)) : R;
  const wTotal = total === 0 ? L * K : total;
  const perCode = oneMinusEntropy((i, j) => R[i][j], L, K);
  const perFactor = oneMinusEntropy((j, i) => R[i][j], K, L);
  let disentanglement = 0;
  for (let i = 0; i < L; i++) disentanglement += (perCode[i] * w[i].reduce((a, b) => a + b, 0)) / wTotal;
  let completeness = 0;
  for (let j = 0; j < K; j++) {
    let col = 0;
    for (let i = 0; i < L; i++) col += w[i][j];
    completeness += (perFactor[j] * col) / wTotal;
  }
  return { disentanglement, completeness };
}

/**
 * compute_importance_gbt and _compute_dci: one classifier per factor on the training sample, scored
 * on both samples. The classifiers draw their trees' splitter seeds, factor after factor, from one
 * RandomState(`treeSeed`): what disentanglement_lib's unseeded GradientBoostingClassifier() draws
 * from NumPy's global RandomState after np.random.seed(treeSeed).
 */
export function dci(train: DciSample, test: DciSample, L: number, K: number, treeSeed = 0, progress?: (done: number, total: number) => void): DciScores {
  const R = Array.from({ length: L }, () => new Array<number>(K).fill(0));
  const random = new LegacyRandomState(treeSeed);
  const labels = Array.from({ length: K }, (_, j) => Int32Array.from({ length: train.n }, (_, t) => train.factors[t * K + j]));
  // Progress in trees: 100 stages of one tree (two values) or one per value.
  const treesOf = labels.map((y) => {
    const c = new Set(y).size;
    return 100 * (c === 2 ? 1 : c);
  });
  const total = treesOf.reduce((a, b) => a + b, 0);
  let before = 0;
  let accTrain = 0;
  let accTest = 0;
  for (let j = 0; j < K; j++) {
    const y = labels[j];
    if (new Set(y).size < 2) throw new GenmetricsError(`DCI: factor ${j} takes a single value in the training sample; a classifier needs at least 2 (scikit-learn refuses it too)`);
    const perStage = treesOf[j] / 100;
    const model = fitGradientBoosting(train.codes, train.n, L, y, { random, onStage: (done) => progress?.(before + done * perStage, total) });
    before += treesOf[j];
    for (let i = 0; i < L; i++) R[i][j] = Math.abs(model.featureImportances[i]);
    let ok = 0;
    model.trainPredictions.forEach((p, t) => (ok += p === y[t] ? 1 : 0));
    accTrain += ok / train.n;
    ok = 0;
    model.predict(test.codes, test.n).forEach((p, t) => (ok += p === test.factors[t * K + j] ? 1 : 0));
    accTest += ok / test.n;
  }
  return { ...dciFromImportance(R), informativeness_train: accTrain / K, informativeness_test: accTest / K, importance_matrix: R };
}
