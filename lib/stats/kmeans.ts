import * as D from '../defaults';
import { GenmetricsError } from '../errors';
import type { FeatureMatrix } from '../features';
import { native } from '../native';

export interface KMeansOptions {
  /** Number of clusters. */
  k: number;
  /** Seeded k-means++ restarts; the lowest inertia wins (default 10, scikit-learn's n_init). */
  restarts?: number;
  /** Lloyd iterations per restart (default 300). */
  maxIter?: number;
  /** Convergence: squared centre shift <= tol x mean per-feature variance (default 1e-4). */
  tol?: number;
  seed?: number;
  threads?: number;
  onProgress?: (restartsDone: number, restarts: number) => void;
}

export interface KMeansResult {
  /** Cluster of each row, 0..k-1. */
  labels: Int32Array;
  /** k x dims, row-major. */
  centres: Float64Array;
  /** Sum of squared distances of the rows to their centres. */
  inertia: number;
  iterations: number;
  k: number;
  seed: number;
}

/**
 * k-means of the rows (native: greedy k-means++ seeding, Lloyd iterations over GEMM distances,
 * float64), the best of several seeded restarts. The same seed gives the same result at any
 * thread count.
 */
export async function kmeans(x: FeatureMatrix, options: KMeansOptions): Promise<KMeansResult> {
  const { k } = options;
  if (!Number.isInteger(k) || k < 1) throw new GenmetricsError(`k must be a positive integer, got ${k}`);
  if (x.rows < k) throw new GenmetricsError(`${x.source}: k = ${k} clusters need at least ${k} samples, got ${x.rows}`);
  const restarts = options.restarts ?? D.KMEANS_RESTARTS;
  const maxIter = options.maxIter ?? D.KMEANS_MAX_ITER;
  const tol = options.tol ?? D.KMEANS_TOL;
  const seed = options.seed ?? D.KMEANS_SEED;
  for (const [name, v] of [
    ['restarts', restarts],
    ['max iterations', maxIter],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new GenmetricsError(`${name} must be a positive integer, got ${v}`);
  }
  if (!(tol >= 0)) throw new GenmetricsError(`tol must be >= 0, got ${tol}`);
  if (!Number.isInteger(seed) || seed < 0) throw new GenmetricsError(`seed must be a non-negative integer, got ${seed}`);
  const r = await native().kmeans(x.data, x.rows, { k, restarts, maxIter, tol, seed, threads: options.threads ?? 0 }, options.onProgress);
  return { labels: r.labels, centres: r.centres, inertia: r.inertia, iterations: r.iterations, k, seed };
}
