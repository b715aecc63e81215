/**
 * The C_T data-copying statistic (Meehan, Chaudhuri & Dasgupta, "A Non-Parametric Test to Detect
 * Data-Copying in Generative Models", AISTATS 2020), in dgm-eval's conventions (ct.py):
 *  - sets of more than 64 dims are projected on the first 64 principal components of the training
 *    set; the space is cut into cells by k-means (3 cells) fitted on the projected training set;
 *  - in each cell π, L(x) = distance to the nearest training sample of π, for the test samples P_n
 *    and the generated ones Q_m; the Mann-Whitney U of L(Q_m) against L(P_n) (average ranks for
 *    ties) is z-scored under H0 as Z_U = (U − (nm/2 − 0.5)) / √(nm(n+m+1)/12) (the 0.5 sits on the
 *    mean, no tie correction, as the reference);
 *  - C_T = Σ P_n(π) Z_U(π) / Σ P_n(π) over the cells with Q_m(π) > τ = 20/m (eq. 4). C_T ≪ 0: the
 *    generated samples sit closer to the training set than fresh data does (copying).
 * PCA here is exact (eigenvectors of the training covariance) and k-means seeded, where dgm-eval
 * draws both from numpy's global RNG; given PCA parts and centres reproduce a run exactly.
 */
import { GenmetricsError } from '../errors';
import { requireSameDims, type FeatureMatrix } from '../features';
import { native } from '../native';
import { kmeans } from '../stats/kmeans';
import { statisticsOfMatrix } from '../stats/moments';

export interface CtProjection {
  /** The training mean (d) and the components (k x d, one per row). */
  mean: Float64Array;
  components: Float64Array;
  k: number;
}

export interface CtCell {
  train: number;
  test: number;
  gen: number;
  /** Z_U of the cell (0 when it holds no generated sample) and whether Q_m(π) > τ counted it. */
  zu: number;
  included: boolean;
}

export interface CtResult {
  ct: number;
  tau: number;
  cells: CtCell[];
  /** k x (projected dims) centres of the cells. */
  centres: Float64Array;
  projection: 'pca' | 'given' | 'none';
  dims: number;
}

/** The first `k` principal axes of a set (eigenvectors of its covariance, by decreasing variance). */
export async function principalAxes(m: FeatureMatrix, k: number, threads = 0): Promise<CtProjection> {
  const { mu, sigma } = await statisticsOfMatrix(m, threads);
  const { vectors } = await native().symmetricTopEigen(sigma, m.dims, k);
  return { mean: mu, components: vectors, k };
}

/** (x − mean) · componentsᵀ for every row: rows x k, float64 (one native GEMM pass). */
export async function project(m: FeatureMatrix, p: CtProjection, threads = 0): Promise<FeatureMatrix> {
  const d = m.dims;
  if (p.mean.length !== d || p.components.length !== p.k * d) throw new GenmetricsError(`${m.source} is ${d}-d but the projection is for ${p.mean.length}-d rows`);
  return { data: await native().projectRows(m.data, m.rows, p.components, p.k, p.mean, threads), rows: m.rows, dims: p.k, source: m.source };
}

/** The nearest centre of every row (squared Euclidean distance, first index on ties). */
export function nearestCentre(m: FeatureMatrix, centres: Float64Array, k: number): Int32Array {
  const d = m.dims;
  if (centres.length !== k * d) throw new GenmetricsError(`the centres are not ${k} x ${d}`);
  return Int32Array.from({ length: m.rows }, (_, r) => {
    let best = 0;
    let bestD = Infinity;
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) {
        const t = m.data[r * d + c] - centres[j * d + c];
        s += t * t;
      }
      if (s < bestD) [best, bestD] = [j, s];
    }
    return best;
  });
}

/** The Mann-Whitney U of x against y: the rank sum of x in x ∪ y (ties: mean rank) − m(m+1)/2. */
export function mannWhitneyU(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const all = [...Array.from(x, (v) => [v, 1] as const), ...Array.from(y, (v) => [v, 0] as const)].sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1][0] === all[i][0]) j++;
    const rank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) if (all[t][1] === 1) rankSum += rank;
    i = j + 1;
  }
  return rankSum - (x.length * (x.length + 1)) / 2;
}

function rowsOf(m: FeatureMatrix, cells: Int32Array, cell: number): FeatureMatrix {
  const idx: number[] = [];
  cells.forEach((c, i) => c === cell && idx.push(i));
  const out = new Float64Array(idx.length * m.dims);
  idx.forEach((r, q) => out.set(m.data.subarray(r * m.dims, (r + 1) * m.dims), q * m.dims));
  return { data: out, rows: idx.length, dims: m.dims, source: m.source };
}

async function nearestTrainDistances(q: FeatureMatrix, train: FeatureMatrix, threads: number): Promise<Float64Array> {
  return (await native().nearestNeighbours(q.data, q.rows, train.data, train.rows, 1, { threads, precision: 'float64' })).distance;
}

export interface CtOptions {
  /** PCA target dims (sets of more dims are projected), cells, k-means seed and restarts. */
  components: number;
  cells: number;
  seed: number;
  restarts?: number;
  /** Given parts: the projection (instead of the training PCA) and the centres (instead of k-means). */
  projection?: CtProjection;
  centres?: Float64Array;
  tauSamples?: number;
  threads?: number;
}

export async function ctStatistic(train: FeatureMatrix, test: FeatureMatrix, gen: FeatureMatrix, o: CtOptions): Promise<CtResult> {
  requireSameDims(gen, train);
  requireSameDims(test, train);
  const threads = o.threads ?? 0;
  for (const s of [train, test, gen]) if (s.rows < 1) throw new GenmetricsError(`${s.source}: C_T needs samples, got none`);
  let projection: CtResult['projection'] = 'none';
  let [T, P, Q] = [train, test, gen];
  if (o.projection || train.dims > o.components) {
    if (!o.projection && train.rows < 2) throw new GenmetricsError(`${train.source}: the PCA needs at least 2 training samples`);
    const p = o.projection ?? (await principalAxes(train, o.components, threads));
    projection = o.projection ? 'given' : 'pca';
    [T, P, Q] = await Promise.all([train, test, gen].map((s) => project(s, p, threads)));
  }
  const k = o.cells;
  let centres = o.centres;
  if (centres) {
    if (centres.length !== k * T.dims) throw new GenmetricsError(`the centres must be ${k} x ${T.dims} (cells x projected dims), got ${centres.length} values`);
  } else {
    if (T.rows < k) throw new GenmetricsError(`${train.source}: ${k} cells need at least ${k} training samples, got ${T.rows}`);
    centres = (await kmeans(T, { k, seed: o.seed, restarts: o.restarts ?? 10, threads })).centres;
  }
  const [cT, cP, cQ] = [T, P, Q].map((s) => nearestCentre(s, centres!, k));
  const tau = (o.tauSamples ?? 20) / Q.rows;
  const cells: CtCell[] = [];
  for (let c = 0; c < k; c++) {
    const [t, p, q] = [rowsOf(T, cT, c), rowsOf(P, cP, c), rowsOf(Q, cQ, c)];
    if (t.rows === 0 || p.rows === 0) {
      throw new GenmetricsError(`C_T: cell ${c} holds ${t.rows} training and ${p.rows} test samples; every cell needs both (use fewer cells, option cells)`);
    }
    let zu = 0;
    if (q.rows > 0) {
      const [lq, lp] = [await nearestTrainDistances(q, t, threads), await nearestTrainDistances(p, t, threads)];
      const [n, m] = [p.rows, q.rows];
      zu = (mannWhitneyU(lq, lp) - ((n * m) / 2 - 0.5)) / Math.sqrt((n * m * (n + m + 1)) / 12);
    }
    cells.push({ train: t.rows, test: p.rows, gen: q.rows, zu, included: q.rows / Q.rows > tau });
  }
  const used = cells.filter((c) => c.included);
  if (used.length === 0) throw new GenmetricsError(`C_T: no cell holds more than tau = ${tau} of the generated samples`);
  const weight = used.reduce((s, c) => s + c.test / P.rows, 0);
  const ct = used.reduce((s, c) => s + (c.test / P.rows) * c.zu, 0) / weight;
  return { ct, tau, cells, centres, projection, dims: T.dims };
}
