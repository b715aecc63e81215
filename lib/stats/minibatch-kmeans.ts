/**
 * Seeded mini-batch k-means (Sculley 2010), the algorithm of scikit-learn 1.2's MiniBatchKMeans with
 * its defaults, for clustering many rows quickly (PRD's 10 clusterings of 2 x 50k Inception features):
 *
 * 1. A validation subset of `initSize` rows (3 x batch size, or 3k if that is under k; at most all rows) is drawn
 *    with replacement. `restarts` times, k-means++ (greedy: 2 + floor(ln k) candidates per centre)
 *    picks k centres from a fresh random subset of `initSize` rows; the centres with the lowest
 *    inertia on the validation subset are kept.
 * 2. Each step draws a batch of rows with replacement, labels it by nearest centre, and moves each
 *    centre to the running mean of every row it has been given so far: with count c and the batch's
 *    m rows of sum s, centre <- (c centre + s) / (c + m), c <- c + m.
 * 3. Centres whose count falls below `reassignmentRatio` x the largest count (at most half a batch of
 *    them) jump to distinct random rows of the batch, and their counts are set to the smallest count
 *    kept. This is checked at a step whenever some count is 0 or 10k rows were seen since the last check.
 * 4. The batch's mean squared distance (before the update) is smoothed by an exponentially weighted
 *    average with alpha = min(1, 2 batch / (n + 1)); the first step is ignored. The run stops after
 *    `maxNoImprovement` steps without a new minimum, when the summed squared centre shift falls to
 *    tol x the mean per-feature variance (tol > 0 only), or after maxIter x n / batch steps.
 * 5. Every row is labelled by its nearest centre; inertia is the sum of the squared distances.
 *
 * Random draws follow NumPy's legacy RandomState(seed) in scikit-learn's order (validation rows,
 * then per restart its subset and k-means++ draws, then per step the batch and any reassignment), so
 * a seed plays the role of scikit-learn's random_state. Distances come from the native GEMM
 * (|x|² + |c|² - 2 x.c, float64), which gives the same bits at any thread count; the rest is
 * sequential, so a seed gives one result whatever `threads` is.
 */
import * as D from '../defaults';
import { GenmetricsError } from '../errors';
import type { FeatureMatrix } from '../features';
import { native } from '../native';
import { LegacyRandomState } from '../random/mt19937';

export interface MiniBatchKMeansOptions {
  /** Number of clusters. */
  k: number;
  /** Rows per step (default 1024; at most the row count). */
  batchSize?: number;
  /** k-means++ initialisations tried on random subsets; the lowest validation inertia wins (default 3). */
  restarts?: number;
  /** Rows of each initialisation subset and of the validation subset (default 3 x batch size; 3k if that is under k; at most all rows). */
  initSize?: number;
  /** Epochs: the run stops after maxIter x rows / batchSize steps at most (default 100). */
  maxIter?: number;
  /** Steps without a lower smoothed batch inertia before stopping (default 10; 0 turns the test off). */
  maxNoImprovement?: number;
  /** Stop when the summed squared centre shift of a step is at most tol x mean per-feature variance (default 0: off). */
  tol?: number;
  /** Centres under this share of the largest count are moved to random batch rows (default 0.01). */
  reassignmentRatio?: number;
  seed?: number;
  threads?: number;
  /** The rows' squared norms, when the caller has them (several runs over the same rows). */
  squaredNorms?: Float64Array;
}

export interface MiniBatchKMeansResult {
  /** Cluster of each row, 0..k-1 (nearest final centre). */
  labels: Int32Array;
  /** k x dims, row-major. */
  centres: Float64Array;
  /** Sum of squared distances of all rows to their nearest centre. */
  inertia: number;
  /** Inertia of the chosen initial centres on the validation subset. */
  initInertia: number;
  /** Mini-batch steps taken. */
  steps: number;
  /** Epochs (ceil(steps x batch / rows)), scikit-learn's n_iter_. */
  epochs: number;
  /** Why the steps ended. */
  stopped: 'no-improvement' | 'tol' | 'max-iter';
  k: number;
  seed: number;
  batchSize: number;
  initSize: number;
}

/** Squared Euclidean norm of each row. */
export function rowSquaredNorms(data: ArrayLike<number>, rows: number, dims: number): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    const o = i * dims;
    for (let t = 0; t < dims; t++) s += data[o + t] * data[o + t];
    out[i] = s;
  }
  return out;
}

/** Copies the given rows of `data` into one float64 buffer (the batch, a subset). */
function gatherRows(data: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> }, dims: number, idx: ArrayLike<number>, into?: Float64Array): Float64Array {
  const out = into ?? new Float64Array(idx.length * dims);
  for (let i = 0; i < idx.length; i++) out.set(data.subarray(idx[i] * dims, (idx[i] + 1) * dims), i * dims);
  return out;
}

interface Nearest {
  labels: Int32Array;
  /** Squared distance of each row to its centre (clipped at 0). */
  distances: Float64Array;
  inertia: number;
}

/** Context of one fit: the dims, a zero mean for projectRows and the thread count. */
class Distances {
  private readonly zero: Float64Array;
  constructor(
    readonly dims: number,
    private readonly threads: number,
  ) {
    this.zero = new Float64Array(dims);
  }

  /** The inner products x_i . c_j of `rows` rows with `count` centres (rows x count, row-major). */
  dots(x: Float64Array | Float32Array, rows: number, centres: Float64Array, count: number): Promise<Float64Array> {
    return native().projectRows(x, rows, centres, count, this.zero, this.threads);
  }

  /** Each row's nearest centre (the first on ties) and squared distance. */
  async nearest(x: Float64Array | Float32Array, rows: number, xNorms: ArrayLike<number>, centres: Float64Array, k: number, into?: Nearest): Promise<Nearest> {
    const g = await this.dots(x, rows, centres, k);
    const cNorms = rowSquaredNorms(centres, k, this.dims);
    const labels = into?.labels ?? new Int32Array(rows);
    const distances = into?.distances ?? new Float64Array(rows);
    let inertia = 0;
    for (let i = 0; i < rows; i++) {
      let best = 0;
      let bestValue = Infinity;
      for (let j = 0; j < k; j++) {
        const v = cNorms[j] - 2 * g[i * k + j];
        if (v < bestValue) {
          bestValue = v;
          best = j;
        }
      }
      const dist = Math.max(0, xNorms[i] + bestValue);
      labels[i] = best;
      distances[i] = dist;
      inertia += dist;
    }
    return { labels, distances, inertia };
  }
}

/** Greedy k-means++ on the rows of `x` (m x d): the first centre uniform, each next one the best of `trials` draws by squared distance. */
async function kmeansPlusPlus(dist: Distances, x: Float64Array, m: number, norms: Float64Array, k: number, rng: LegacyRandomState): Promise<Float64Array> {
  const d = dist.dims;
  const trials = 2 + Math.floor(Math.log(k));
  const centres = new Float64Array(k * d);
  const first = rng.interval(m - 1);
  centres.set(x.subarray(first * d, (first + 1) * d), 0);
  const g0 = await dist.dots(x, m, centres.subarray(0, d), 1);
  let closest = new Float64Array(m);
  let potential = 0;
  for (let i = 0; i < m; i++) {
    closest[i] = Math.max(0, norms[i] + norms[first] - 2 * g0[i]);
    potential += closest[i];
  }
  const cumulative = new Float64Array(m);
  const picks = new Int32Array(trials);
  const candidates = new Float64Array(trials * d);
  for (let c = 1; c < k; c++) {
    let run = 0;
    for (let i = 0; i < m; i++) cumulative[i] = run += closest[i];
    for (let t = 0; t < trials; t++) {
      const target = rng.random() * potential;
      // The first row whose cumulative weight reaches the target (binary search), the last row at most.
      let lo = 0;
      let hi = m;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cumulative[mid] < target) lo = mid + 1;
        else hi = mid;
      }
      picks[t] = Math.min(lo, m - 1);
    }
    gatherRows(x, d, picks, candidates);
    const g = await dist.dots(x, m, candidates, trials);
    let bestTrial = 0;
    let bestPotential = Infinity;
    let bestClosest = closest;
    for (let t = 0; t < trials; t++) {
      const next = new Float64Array(m);
      let p = 0;
      const cn = norms[picks[t]];
      for (let i = 0; i < m; i++) {
        const v = Math.min(closest[i], Math.max(0, norms[i] + cn - 2 * g[i * trials + t]));
        next[i] = v;
        p += v;
      }
      if (p < bestPotential) {
        bestPotential = p;
        bestTrial = t;
        bestClosest = next;
      }
    }
    potential = bestPotential;
    closest = bestClosest;
    centres.set(candidates.subarray(bestTrial * d, (bestTrial + 1) * d), c * d);
  }
  return centres;
}

/** Mean over the features of their variance (ddof 0): scikit-learn's scale for a tolerance. */
function meanVariance(data: ArrayLike<number>, rows: number, dims: number): number {
  const mean = new Float64Array(dims);
  for (let i = 0; i < rows; i++) for (let t = 0; t < dims; t++) mean[t] += data[i * dims + t];
  for (let t = 0; t < dims; t++) mean[t] /= rows;
  let s = 0;
  for (let i = 0; i < rows; i++) {
    for (let t = 0; t < dims; t++) {
      const v = data[i * dims + t] - mean[t];
      s += v * v;
    }
  }
  return s / rows / dims;
}

function positiveInteger(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new GenmetricsError(`${name} must be a positive integer, got ${v}`);
}

/** Mini-batch k-means of the rows (see the module comment): seeded, float64, the same at any thread count. */
export async function miniBatchKMeans(x: FeatureMatrix, options: MiniBatchKMeansOptions): Promise<MiniBatchKMeansResult> {
  const { k } = options;
  positiveInteger('k', k);
  const n = x.rows;
  const d = x.dims;
  if (n < k) throw new GenmetricsError(`${x.source}: k = ${k} clusters need at least ${k} samples, got ${n}`);
  const restarts = options.restarts ?? D.MINIBATCH_KMEANS_RESTARTS;
  const maxIter = options.maxIter ?? D.MINIBATCH_KMEANS_MAX_ITER;
  const maxNoImprovement = options.maxNoImprovement ?? D.MINIBATCH_KMEANS_MAX_NO_IMPROVEMENT;
  const tol = options.tol ?? D.MINIBATCH_KMEANS_TOL;
  const ratio = options.reassignmentRatio ?? D.MINIBATCH_KMEANS_REASSIGNMENT_RATIO;
  const seed = options.seed ?? D.KMEANS_SEED;
  positiveInteger('batch size', options.batchSize ?? D.MINIBATCH_KMEANS_BATCH);
  positiveInteger('restarts', restarts);
  positiveInteger('max iterations', maxIter);
  if (!Number.isInteger(maxNoImprovement) || maxNoImprovement < 0) throw new GenmetricsError(`max no improvement must be a non-negative integer, got ${maxNoImprovement}`);
  if (!(tol >= 0)) throw new GenmetricsError(`tol must be >= 0, got ${tol}`);
  if (!(ratio >= 0)) throw new GenmetricsError(`reassignment ratio must be >= 0, got ${ratio}`);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new GenmetricsError(`seed must be an integer in [0, 2^32), got ${seed}`);
  const batch = Math.min(options.batchSize ?? D.MINIBATCH_KMEANS_BATCH, n);
  let initSize = options.initSize ?? 3 * batch;
  if (options.initSize !== undefined) positiveInteger('init size', initSize);
  if (initSize < k) initSize = 3 * k;
  initSize = Math.min(initSize, n);
  const norms = options.squaredNorms ?? rowSquaredNorms(x.data, n, d);
  if (norms.length !== n) throw new GenmetricsError(`squared norms: expected ${n}, got ${norms.length}`);
  const dist = new Distances(d, options.threads ?? 0);
  const rng = new LegacyRandomState(seed);
  const draw = (count: number) => {
    const idx = new Int32Array(count);
    for (let i = 0; i < count; i++) idx[i] = rng.interval(n - 1);
    return idx;
  };

  // 1. Initial centres: the best of `restarts` k-means++ runs on random subsets, judged on a validation subset.
  const validIdx = draw(initSize);
  const valid = gatherRows(x.data, d, validIdx);
  const validNorms = Float64Array.from(validIdx, (i) => norms[i]);
  let centres: Float64Array = new Float64Array(0);
  let initInertia = Infinity;
  let all: Float64Array | undefined;
  for (let r = 0; r < restarts; r++) {
    let sub: Float64Array;
    let subNorms: Float64Array;
    if (initSize < n) {
      const idx = draw(initSize);
      sub = gatherRows(x.data, d, idx);
      subNorms = Float64Array.from(idx, (i) => norms[i]);
    } else {
      all ??= x.data instanceof Float64Array ? x.data.subarray(0, n * d) : Float64Array.from(x.data.subarray(0, n * d));
      sub = all;
      subNorms = norms;
    }
    const c = await kmeansPlusPlus(dist, sub, initSize, subNorms, k, rng);
    const { inertia } = await dist.nearest(valid, initSize, validNorms, c, k);
    if (inertia < initInertia || r === 0) {
      initInertia = inertia;
      centres = c;
    }
  }

  // 2-4. Mini-batch steps.
  const tolerance = tol > 0 ? tol * meanVariance(x.data, n, d) : 0;
  const counts = new Float64Array(k);
  const sums = new Float64Array(k * d);
  const batchCount = new Float64Array(k);
  const buffer = new Float64Array(batch * d);
  const bNorms = new Float64Array(batch);
  const scratch: Nearest = { labels: new Int32Array(batch), distances: new Float64Array(batch), inertia: 0 };
  let next: Float64Array = new Float64Array(k * d);
  const steps = Math.floor((maxIter * n) / batch);
  const alpha = Math.min(1, (2 * batch) / (n + 1));
  let ewa: number | undefined;
  let ewaMin: number | undefined;
  let noImprovement = 0;
  let sinceReassign = 0;
  let step = 0;
  let stopped: MiniBatchKMeansResult['stopped'] = 'max-iter';
  for (; step < steps; step++) {
    const idx = draw(batch);
    gatherRows(x.data, d, idx, buffer);
    for (let i = 0; i < batch; i++) bNorms[i] = norms[idx[i]];
    sinceReassign += batch;
    let reassign = false;
    if (counts.some((c) => c === 0) || sinceReassign >= 10 * k) {
      sinceReassign = 0;
      reassign = true;
    }
    const { labels, inertia: batchInertia } = await dist.nearest(buffer, batch, bNorms, centres, k, scratch);

    // Each centre becomes the mean of all the rows it has been given.
    sums.fill(0);
    batchCount.fill(0);
    for (let i = 0; i < batch; i++) {
      const j = labels[i];
      batchCount[j] += 1;
      const o = j * d;
      const r = i * d;
      for (let t = 0; t < d; t++) sums[o + t] += buffer[r + t];
    }
    for (let j = 0; j < k; j++) {
      const o = j * d;
      if (batchCount[j] > 0) {
        const total = counts[j] + batchCount[j];
        const scale = 1 / total;
        for (let t = 0; t < d; t++) next[o + t] = (centres[o + t] * counts[j] + sums[o + t]) * scale;
        counts[j] = total;
      } else {
        for (let t = 0; t < d; t++) next[o + t] = centres[o + t];
      }
    }

    // Centres with few rows move to random rows of this batch.
    if (reassign && ratio > 0) {
      let most = 0;
      for (let j = 0; j < k; j++) most = Math.max(most, counts[j]);
      const low = Array.from(counts, (c) => c < ratio * most);
      if (low.filter(Boolean).length > 0.5 * batch) {
        // Keep the centres beyond the first floor(batch / 2) by count (ascending, stable).
        const order = Array.from(counts.keys()).sort((a, b) => counts[a] - counts[b] || a - b);
        for (const j of order.slice(Math.floor(0.5 * batch))) low[j] = false;
      }
      const moved = low.reduce((s, v) => s + (v ? 1 : 0), 0);
      if (moved > 0) {
        const rowsPicked = rng.choice(batch, moved);
        let p = 0;
        for (let j = 0; j < k; j++) {
          if (!low[j]) continue;
          const r = rowsPicked[p++];
          next.set(buffer.subarray(r * d, (r + 1) * d), j * d);
        }
        let fewest = Infinity;
        for (let j = 0; j < k; j++) if (!low[j]) fewest = Math.min(fewest, counts[j]);
        for (let j = 0; j < k; j++) if (low[j]) counts[j] = fewest;
      }
    }

    let shift = 0;
    if (tolerance > 0) for (let t = 0; t < k * d; t++) shift += (next[t] - centres[t]) ** 2;
    [centres, next] = [next, centres];

    // Early stopping on the smoothed mean batch inertia (the first step, from the initial centres, is skipped).
    if (step === 0) continue;
    const mean = batchInertia / batch;
    ewa = ewa === undefined ? mean : ewa * (1 - alpha) + mean * alpha;
    if (tolerance > 0 && shift <= tolerance) {
      stopped = 'tol';
      break;
    }
    if (ewaMin === undefined || ewa < ewaMin) {
      noImprovement = 0;
      ewaMin = ewa;
    } else noImprovement += 1;
    if (maxNoImprovement > 0 && noImprovement >= maxNoImprovement) {
      stopped = 'no-improvement';
      break;
    }
  }
  const taken = stopped === 'max-iter' ? steps : step + 1;

  // 5. Labels of all rows.
  const final = await dist.nearest(x.data, n, norms, centres, k);
  return {
    labels: final.labels,
    centres,
    inertia: final.inertia,
    initInertia,
    steps: taken,
    epochs: Math.ceil((taken * batch) / n),
    stopped,
    k,
    seed,
    batchSize: batch,
    initSize,
  };
}
