/**
 * PRD, precision and recall for distributions (Sajjadi et al., NeurIPS 2018; msmsajjadi
 * prd_score.py): both sets are clustered together (20 clusters), and from the two histograms over
 * the clusters, for slopes λ = tan(θ), θ over linspace(1e-10, π/2 - 1e-10, 1001):
 *   precision(λ) = Σ min(λ ref, eval),  recall(λ) = precision(λ) / λ   (clipped to [0, 1]),
 * averaged over 10 clusterings; summarised by max F_8 (recall-like) and max F_{1/8} (precision-like),
 * F_β = (1 + β²) p r / (β² p + r + 1e-10). Each run's clustering is, by default, mini-batch k-means as
 * the reference's MiniBatchKMeans(n_clusters=20, n_init=10) (lib/stats/minibatch-kmeans.ts), seeded with
 * seed + run where the peer uses NumPy's global RNG; `clustering: 'lloyd'` runs full seeded k-means
 * (10 k-means++ restarts of Lloyd iterations, slower). Curves agree exactly given the same histograms.
 */
import { GenmetricsError } from '../errors';
import { requireSameDims, type FeatureMatrix } from '../features';
import * as D from '../defaults';
import { kmeans } from '../stats/kmeans';
import { miniBatchKMeans, rowSquaredNorms } from '../stats/minibatch-kmeans';

const EPS = 1e-10;

export interface PrdCurve {
  precision: Float64Array;
  recall: Float64Array;
}

/** compute_prd: the curve of two histograms (shares over the same clusters). */
export function prdFromHistograms(evalDist: ArrayLike<number>, refDist: ArrayLike<number>, angles = 1001): PrdCurve {
  if (evalDist.length !== refDist.length) throw new GenmetricsError('the two histograms need the same clusters');
  const start = EPS;
  const step = (Math.PI / 2 - EPS - start) / (angles - 1);
  const precision = new Float64Array(angles);
  const recall = new Float64Array(angles);
  for (let a = 0; a < angles; a++) {
    const slope = Math.tan(a === angles - 1 ? Math.PI / 2 - EPS : a * step + start);
    let p = 0;
    for (let i = 0; i < evalDist.length; i++) p += Math.min(refDist[i] * slope, evalDist[i]);
    precision[a] = p;
    recall[a] = p / slope;
  }
  const most = Math.max(...precision, ...recall);
  if (most > 1.001) throw new GenmetricsError(`PRD above 1 (${most}): the histograms must be shares that sum to 1`);
  for (let a = 0; a < angles; a++) {
    precision[a] = Math.min(Math.max(precision[a], 0), 1);
    recall[a] = Math.min(Math.max(recall[a], 0), 1);
  }
  return { precision, recall };
}

/** prd_to_max_f_beta_pair: (max F_β, max F_{1/β}). */
export function maxFBetaPair(c: PrdCurve, beta = 8): [number, number] {
  const f = (b: number) => Math.max(...Array.from(c.precision, (p, i) => ((1 + b * b) * p * c.recall[i]) / (b * b * p + c.recall[i] + EPS)));
  return [f(beta), f(1 / beta)];
}

/** How each run clusters the stacked sets: mini-batch k-means (the reference's) or full Lloyd k-means. */
export const PRD_CLUSTERINGS = ['minibatch', 'lloyd'] as const;
export type PrdClustering = (typeof PRD_CLUSTERINGS)[number];

export interface PrdOptions {
  clusters?: number;
  angles?: number;
  runs?: number;
  seed?: number;
  /** 'minibatch' (default, MiniBatchKMeans(n_init=10) as prd_score.py) or 'lloyd'. */
  clustering?: PrdClustering;
  threads?: number;
  /** Called after each run. */
  onProgress?: (runsDone: number, runs: number) => void;
}

/** compute_prd_from_embedding: the curve averaged over `runs` clusterings of the stacked sets (equal sizes). */
export async function prd(evalSet: FeatureMatrix, refSet: FeatureMatrix, o: PrdOptions = {}): Promise<PrdCurve & { f8: number; f1_8: number; clustering: PrdClustering }> {
  requireSameDims(evalSet, refSet);
  if (evalSet.rows !== refSet.rows) throw new GenmetricsError(`PRD compares sets of one size (the reference's enforce_balance): ${evalSet.source} has ${evalSet.rows} samples, ${refSet.source} ${refSet.rows}`);
  const clusters = o.clusters ?? D.PRD_CLUSTERS;
  const angles = o.angles ?? D.PRD_ANGLES;
  const runs = o.runs ?? D.PRD_RUNS;
  const seed = o.seed ?? D.PRD_SEED;
  const clustering = o.clustering ?? D.PRD_CLUSTERING;
  if (!PRD_CLUSTERINGS.includes(clustering)) throw new GenmetricsError(`PRD clustering must be ${PRD_CLUSTERINGS.join(' or ')}, got '${clustering}'`);
  const d = evalSet.dims;
  const n = evalSet.rows;
  if (2 * n < clusters) throw new GenmetricsError(`PRD: ${clusters} clusters need at least ${clusters} samples in the two sets together, got ${2 * n} (${evalSet.source}: ${n}, ${refSet.source}: ${n})`);
  const data = new Float64Array(2 * n * d);
  data.set(evalSet.data);
  data.set(refSet.data, n * d);
  const stacked: FeatureMatrix = { data, rows: 2 * n, dims: d, source: `${evalSet.source} + ${refSet.source}` };
  const squaredNorms = clustering === 'minibatch' ? rowSquaredNorms(data, 2 * n, d) : undefined;
  const sum: PrdCurve = { precision: new Float64Array(angles), recall: new Float64Array(angles) };
  for (let run = 0; run < runs; run++) {
    const km =
      clustering === 'minibatch'
        ? await miniBatchKMeans(stacked, { k: clusters, restarts: D.PRD_RESTARTS, seed: (seed + run) % 2 ** 32, threads: o.threads, squaredNorms })
        : await kmeans(stacked, { k: clusters, seed: seed + run, threads: o.threads });
    const hist = (from: number) => {
      const h = new Float64Array(clusters);
      for (let r = from; r < from + n; r++) h[km.labels[r]] += 1 / n;
      return h;
    };
    const c = prdFromHistograms(hist(0), hist(n), angles);
    for (let a = 0; a < angles; a++) {
      sum.precision[a] += c.precision[a] / runs;
      sum.recall[a] += c.recall[a] / runs;
    }
    o.onProgress?.(run + 1, runs);
  }
  const [f8, f1_8] = maxFBetaPair(sum);
  return { ...sum, f8, f1_8, clustering };
}
