/**
 * Gradient-boosted decision trees for classification (Friedman 2001), as scikit-learn 1.2's
 * GradientBoostingClassifier() fits them with its defaults: 100 stages, learning rate 0.1,
 * regression trees of depth 3 on the deviance's negative gradient (one tree per stage for two
 * classes, one per class for more), friedman_mse split choice, min_samples_split 2,
 * min_samples_leaf 1, no subsampling, the class priors as the initial prediction and each leaf's
 * value set by one Newton step. Inputs are cast to float32 as scikit-learn casts them.
 *
 * Split search runs on index lists presorted per feature (one sort per feature per fit, then
 * stable partitions), which yields the candidate splits of scikit-learn's per-node sort in the same
 * order. Features are visited in the order scikit-learn's splitter draws them (its per-tree seed
 * from a NumPy RandomState, its xorshift and Fisher-Yates steps), and the first strictly better
 * split wins. The trees are scikit-learn's except where two features split a node into the same
 * two sample sets and scikit-learn's improvements differ by rounding only: its sums run in other
 * orders and over residuals from NumPy's exp, which differs from Math.exp in the last bit, so those
 * ties (frequent in small nodes of depth-3 trees) can go the other way.
 */
import { GenmetricsError } from '../errors';
import { LegacyRandomState } from '../random/mt19937';

export interface GradientBoostingOptions {
  nEstimators?: number;
  learningRate?: number;
  maxDepth?: number;
  /**
   * Where each tree's splitter seed comes from: scikit-learn draws randint(0, 2^31 - 1) per tree
   * from the classifier's random_state (disentanglement_lib leaves it None, so NumPy's global
   * RandomState). Default: a fresh RandomState(0), i.e. as after np.random.seed(0).
   */
  random?: LegacyRandomState;
  /** Called after every stage with the stages done. */
  onStage?: (done: number) => void;
}

// Module-level aliases: a lookup of a global such as Math per use is slow in vm contexts (Jest's).
const { abs, exp, fround, log, max, min } = Math;
const INF = Number.POSITIVE_INFINITY;

/** scikit-learn's tree/_splitter.pyx: float32 values within 1e-7 (added in float32) are one value. */
const FEATURE_THRESHOLD = fround(1e-7);
/** tree/_tree.pyx: a node whose impurity is at most double epsilon is a leaf. */
const EPSILON = 2.220446049250313e-16;
/** The priors are clipped to [eps, 1 - eps] with float32's epsilon before the log. */
const PRIOR_EPS = 1.1920928955078125e-7;

export interface Tree {
  feature: Int32Array; // -1 at leaves
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array; // leaf values (Newton steps); unused at split nodes
  impurity: Float64Array;
  samples: Int32Array;
  count: number;
}

export interface GradientBoostingModel {
  /** The distinct training labels, ascending (scikit-learn's classes_). */
  classes: number[];
  /** Impurity-based importance per feature: each tree's weighted impurity decreases over the root weight, averaged over the trees with a split, normalised to sum 1 (scikit-learn's feature_importances_). */
  featureImportances: Float64Array;
  /** Predicted labels of the training rows (from the boosted training predictions). */
  trainPredictions: Int32Array;
  /** Predicted labels of n x d rows. */
  predict(x: ArrayLike<number>, n: number): Int32Array;
  /** The fitted trees, stage by stage (K per stage), nodes in scikit-learn's order (feature -1 at leaves). */
  trees: Tree[];
  /** Raw predictions (n x K: the log-odds for two classes, else one column per class), scikit-learn's decision_function. */
  decisionFunction(x: ArrayLike<number>, n: number): Float64Array;
}

/** scikit-learn's tree/_utils.pyx our_rand_r (xorshift on a uint32 state) and rand_int(low, high). */
function randInt(state: Uint32Array, low: number, high: number): number {
  let x = state[0];
  if (x === 0) x = 1;
  x = (x ^ (x << 13)) >>> 0;
  x = (x ^ (x >>> 17)) >>> 0;
  x = (x ^ (x << 5)) >>> 0;
  state[0] = x;
  return low + ((x % 0x80000000) % (high - low));
}

/**
 * Grows one regression tree depth first (left child first, scikit-learn's node numbering) on
 * index lists presorted per feature, stably partitioned at every split. A node's features are
 * visited in the order scikit-learn's BestSplitter draws them (Fisher-Yates steps from its
 * xorshift state, seeded per tree, with its bookkeeping of features found constant), and the
 * first strictly better split wins, so features that split a node identically are chosen as
 * scikit-learn chooses them when their improvements are equal.
 */
class TreeBuilder {
  /** Leaf of each training sample after fit. */
  readonly leafOf: Int32Array;
  private readonly ord: Int32Array;
  private readonly buf: Int32Array;
  private readonly goLeft: Uint8Array;
  private readonly features: Int32Array;
  private readonly constants: Int32Array;
  private readonly rand = new Uint32Array(1);
  private r: Float64Array = new Float64Array(0);
  private feature: number[] = [];
  private threshold: number[] = [];
  private left: number[] = [];
  private right: number[] = [];
  private impurity: number[] = [];
  private weight: number[] = [];

  constructor(
    private readonly xcol: Float32Array,
    private readonly master: Int32Array,
    private readonly n: number,
    private readonly d: number,
    private readonly maxDepth: number,
  ) {
    this.leafOf = new Int32Array(n);
    this.ord = new Int32Array(n * d);
    this.buf = new Int32Array(n);
    this.goLeft = new Uint8Array(n);
    this.features = new Int32Array(d);
    this.constants = new Int32Array(d);
  }

  /**
   * Fits a regression tree to r (unit weights). `seed` is the splitter's rand_r state (scikit-learn
   * draws it as randint(0, 2^31 - 1) per tree). Returns the tree and its importances (weighted
   * impurity decreases over the root weight).
   */
  fit(r: Float64Array, seed: number): { tree: Tree; importances: Float64Array } {
    const { n, d } = this;
    this.r = r;
    this.ord.set(this.master);
    for (let f = 0; f < d; f++) this.features[f] = f;
    this.rand[0] = seed;
    this.feature = [];
    this.threshold = [];
    this.left = [];
    this.right = [];
    this.impurity = [];
    this.weight = [];
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      sum += r[i];
      sq += r[i] * r[i];
    }
    // MSE node impurity E[r^2] - E[r]^2 (scikit-learn's node_impurity) for the root; every other
    // node takes the impurity computed at its parent's split (children_impurity).
    this.build(0, n, 0, sq / n - (sum / n) ** 2, 0, 0);
    const count = this.feature.length;
    const importances = new Float64Array(d);
    for (let node = 0; node < count; node++) {
      const f = this.feature[node];
      if (f < 0) continue;
      const l = this.left[node];
      const rt = this.right[node];
      importances[f] += this.weight[node] * this.impurity[node] - this.weight[l] * this.impurity[l] - this.weight[rt] * this.impurity[rt];
    }
    for (let f = 0; f < d; f++) importances[f] /= n;
    const tree: Tree = {
      feature: Int32Array.from(this.feature),
      threshold: Float64Array.from(this.threshold),
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      value: new Float64Array(count),
      impurity: Float64Array.from(this.impurity),
      samples: Int32Array.from(this.weight),
      count,
    };
    return { tree, importances };
  }

  /**
   * Node samples[start:end]: every feature's list that is not a known constant here holds them,
   * sorted, in that range; `listFeature` names one such list.
   */
  private build(start: number, end: number, depth: number, impurity: number, knownConstants: number, listFeature: number): number {
    const { n, d, xcol, ord, r, features, constants } = this;
    const node = this.feature.length;
    this.feature.push(-1);
    this.threshold.push(0);
    this.left.push(-1);
    this.right.push(-1);
    this.impurity.push(impurity);
    this.weight.push(end - start);
    const leaf = () => {
      const o = listFeature * n;
      for (let p = start; p < end; p++) this.leafOf[ord[o + p]] = node;
      return node;
    };
    if (depth >= this.maxDepth || end - start < 2 || impurity <= EPSILON) return leaf();
    let sumTotal = 0;
    let sqTotal = 0;
    for (let p = listFeature * n + start; p < listFeature * n + end; p++) {
      const v = r[ord[p]];
      sumTotal += v;
      sqTotal += v * v;
    }
    let best = -INF;
    let bestFeature = -1;
    let bestPos = end;
    let bestThreshold = 0;
    // BestSplitter.node_split's feature draws (max_features = all features).
    let fi = d;
    let visited = 0;
    let found = 0;
    let drawn = 0;
    let totalConstants = knownConstants;
    while (fi > totalConstants && (visited < d || visited <= found + drawn)) {
      visited++;
      let fj = randInt(this.rand, drawn, fi - found);
      if (fj < knownConstants) {
        [features[drawn], features[fj]] = [features[fj], features[drawn]];
        drawn++;
        continue;
      }
      fj += found;
      const f = features[fj];
      const o = f * n;
      // Constant in this node: max <= min + FEATURE_THRESHOLD (in float32).
      if (xcol[o + ord[o + end - 1]] <= fround(xcol[o + ord[o + start]] + FEATURE_THRESHOLD)) {
        [features[fj], features[totalConstants]] = [features[totalConstants], features[fj]];
        found++;
        totalConstants++;
        continue;
      }
      fi--;
      [features[fi], features[fj]] = [features[fj], features[fi]];
      // Candidate splits between node-consecutive values more than FEATURE_THRESHOLD apart,
      // scored by friedman_mse's proxy (n_r s_l - n_l s_r)^2 / (n_l n_r); the first strictly larger wins.
      let a = xcol[o + ord[o + start]];
      let bound = fround(a + FEATURE_THRESHOLD);
      let sumLeft = r[ord[o + start]];
      for (let p = start + 1; p < end; p++) {
        const s = ord[o + p];
        const v = xcol[o + s];
        if (v > bound) {
          const nl = p - start;
          const nr = end - p;
          const diff = nr * sumLeft - nl * (sumTotal - sumLeft);
          // (The division only when the product test cannot rule the candidate out.)
          if (diff * diff >= best * (nl * nr) * (1 - 1e-9) && (diff * diff) / (nl * nr) > best) {
            best = (diff * diff) / (nl * nr);
            bestFeature = f;
            bestPos = p;
            // Midpoint of the two float32 values in double, or the lower one if it rounds up to v.
            let t = a / 2 + v / 2;
            if (t === v || t === INF || t === -INF) t = a;
            bestThreshold = t;
          }
        }
        bound = fround(v + FEATURE_THRESHOLD);
        a = v;
        sumLeft += r[s];
      }
    }
    // Known constants keep their order; the newly found ones are recorded for the subtree.
    for (let k = 0; k < knownConstants; k++) features[k] = constants[k];
    for (let k = knownConstants; k < totalConstants; k++) constants[k] = features[k];
    if (bestFeature < 0) return leaf();
    // Children's impurities from the sums at the split (children_impurity).
    const ob = bestFeature * n;
    let sumLeft = 0;
    let sqLeft = 0;
    for (let p = start; p < bestPos; p++) {
      const v = r[ord[ob + p]];
      sumLeft += v;
      sqLeft += v * v;
    }
    const nl = bestPos - start;
    const nr = end - bestPos;
    const impLeft = sqLeft / nl - (sumLeft / nl) ** 2;
    const impRight = (sqTotal - sqLeft) / nr - ((sumTotal - sumLeft) / nr) ** 2;
    this.feature[node] = bestFeature;
    this.threshold[node] = bestThreshold;
    if (depth + 1 >= this.maxDepth) {
      // Both children are leaves: the best feature's list already holds them in order.
      this.left[node] = this.build(start, bestPos, depth + 1, impLeft, totalConstants, bestFeature);
      this.right[node] = this.build(bestPos, end, depth + 1, impRight, totalConstants, bestFeature);
      return node;
    }
    // Stable partition of the other lists (known constants are never read again): left child first.
    const goLeft = this.goLeft;
    const buf = this.buf;
    for (let p = start; p < bestPos; p++) goLeft[ord[ob + p]] = 1;
    for (let p = bestPos; p < end; p++) goLeft[ord[ob + p]] = 0;
    for (let k = totalConstants; k < d; k++) {
      const f = features[k];
      if (f === bestFeature) continue;
      const o = f * n;
      let a = o + start;
      let b = 0;
      for (let p = o + start; p < o + end; p++) {
        const s = ord[p];
        const g = goLeft[s];
        ord[a] = s;
        buf[b] = s;
        a += g;
        b += 1 - g;
      }
      ord.set(buf.subarray(0, b), a);
    }
    this.left[node] = this.build(start, bestPos, depth + 1, impLeft, totalConstants, bestFeature);
    this.right[node] = this.build(bestPos, end, depth + 1, impRight, totalConstants, bestFeature);
    return node;
  }
}

/** scipy.special.logsumexp of one row: shifted by its maximum (0 if that is not finite). */
function logSumExp(row: Float64Array, off: number, K: number): number {
  let top = -INF;
  for (let k = 0; k < K; k++) top = max(top, row[off + k]);
  if (!(top > -INF && top < INF)) top = 0;
  let s = 0;
  for (let k = 0; k < K; k++) s += exp(row[off + k] - top);
  return log(s) + top;
}

const expit = (v: number) => 1 / (1 + exp(-v));

/** Label index of each row from raw predictions (n x K): argmax of the class probabilities, first on ties. */
function decide(raw: Float64Array, n: number, K: number, binary: boolean): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (binary) {
      const p1 = expit(raw[i]);
      out[i] = p1 > 1 - p1 ? 1 : 0;
      continue;
    }
    const lse = logSumExp(raw, i * K, K);
    let best = 0;
    let bp = -INF;
    for (let k = 0; k < K; k++) {
      const p = exp(raw[i * K + k] - lse);
      if (p > bp) (bp = p), (best = k);
    }
    out[i] = best;
  }
  return out;
}

/** Fits the classifier on n x d row-major features x and integer labels y. */
export function fitGradientBoosting(x: ArrayLike<number>, n: number, d: number, y: ArrayLike<number>, options: GradientBoostingOptions = {}): GradientBoostingModel {
  const nEstimators = options.nEstimators ?? 100;
  const lr = options.learningRate ?? 0.1;
  const maxDepth = options.maxDepth ?? 3;
  if (y.length !== n) throw new GenmetricsError(`gradient boosting: ${n} rows but ${y.length} labels`);
  const classes = [...new Set(Array.from(y))].sort((a, b) => a - b);
  if (classes.length < 2) throw new GenmetricsError(`gradient boosting needs at least 2 classes; the labels hold ${classes.length}`);
  const index = new Map(classes.map((c, k) => [c, k]));
  const yi = Int32Array.from(y, (v) => index.get(v)!);
  const C = classes.length;
  const binary = C === 2;
  const K = binary ? 1 : C;

  // float32 features, column-major, and each column's sort order.
  const xcol = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) xcol[f * n + i] = x[i * d + f];
  const master = new Int32Array(n * d);
  for (let f = 0; f < d; f++) {
    const col = xcol.subarray(f * n, f * n + n);
    const idx = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => col[a] - col[b]);
    master.set(idx, f * n);
  }

  // Initial raw predictions from the class priors (DummyClassifier(strategy='prior')).
  const counts = new Float64Array(C);
  for (const v of yi) counts[v]++;
  const clip = (p: number) => min(max(p, PRIOR_EPS), 1 - PRIOR_EPS);
  const init = new Float64Array(K);
  if (binary) {
    const p = clip(counts[1] / n);
    init[0] = log(p / (1 - p));
  } else for (let k = 0; k < K; k++) init[k] = log(clip(counts[k] / n));
  const raw = new Float64Array(n * K);
  for (let i = 0; i < n; i++) raw.set(init, i * K);

  const random = options.random ?? new LegacyRandomState(0);
  const builder = new TreeBuilder(xcol, master, n, d, maxDepth);
  const trees: Tree[] = [];
  const importanceSum = new Float64Array(d);
  let relevant = 0;
  const residual = Array.from({ length: K }, () => new Float64Array(n));
  const target = new Float64Array(n);
  for (let stage = 0; stage < nEstimators; stage++) {
    // Negative gradients of the deviance at the stage's start: y_k - p_k (softmax, or the logistic for two classes).
    for (let i = 0; i < n; i++) {
      if (binary) {
        residual[0][i] = yi[i] - expit(raw[i]);
        continue;
      }
      const lse = logSumExp(raw, i * K, K);
      for (let k = 0; k < K; k++) residual[k][i] = (yi[i] === k ? 1 : 0) - exp(raw[i * K + k] - lse);
    }
    for (let k = 0; k < K; k++) {
      const r = residual[k];
      for (let i = 0; i < n; i++) target[i] = binary ? yi[i] : yi[i] === k ? 1 : 0;
      const { tree, importances } = builder.fit(r, random.interval(0x7ffffffe));
      if (tree.count > 1) {
        relevant++;
        for (let f = 0; f < d; f++) importanceSum[f] += importances[f];
      }
      // One Newton step per leaf: sum(r) / sum(p (1 - p)), times (K - 1)/K for K > 2 classes.
      const num = new Float64Array(tree.count);
      const den = new Float64Array(tree.count);
      const leafOf = builder.leafOf;
      for (let i = 0; i < n; i++) {
        const l = leafOf[i];
        num[l] += r[i];
        den[l] += (target[i] - r[i]) * (1 - target[i] + r[i]);
      }
      for (let l = 0; l < tree.count; l++) {
        if (tree.feature[l] >= 0) continue;
        const numerator = binary ? num[l] : (num[l] * (K - 1)) / K;
        tree.value[l] = abs(den[l]) < 1e-150 ? 0 : numerator / den[l];
      }
      for (let i = 0; i < n; i++) raw[i * K + k] += lr * tree.value[leafOf[i]];
      trees.push(tree);
    }
    options.onStage?.(stage + 1);
  }
  const featureImportances = new Float64Array(d);
  if (relevant > 0) {
    let total = 0;
    for (let f = 0; f < d; f++) total += importanceSum[f] / relevant;
    for (let f = 0; f < d; f++) featureImportances[f] = importanceSum[f] / relevant / total;
  }
  const toLabels = (e: Int32Array) => Int32Array.from(e, (k) => classes[k]);
  const decisionFunction = (xt: ArrayLike<number>, m: number): Float64Array => {
    const rt = new Float64Array(m * K);
    for (let i = 0; i < m; i++) rt.set(init, i * K);
    const row = new Float32Array(d);
    trees.forEach((t, j) => {
      const k = j % K;
      for (let i = 0; i < m; i++) {
        for (let f = 0; f < d; f++) row[f] = xt[i * d + f];
        let node = 0;
        while (t.feature[node] >= 0) node = row[t.feature[node]] <= t.threshold[node] ? t.left[node] : t.right[node];
        rt[i * K + k] += lr * t.value[node];
      }
    });
    return rt;
  };
  return {
    classes,
    featureImportances,
    trees,
    trainPredictions: toLabels(decide(raw, n, K, binary)),
    decisionFunction,
    predict: (xt: ArrayLike<number>, m: number) => toLabels(decide(decisionFunction(xt, m), m, K, binary)),
  };
}
