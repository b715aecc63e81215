import { AsyncLocalStorage } from 'async_hooks';
import * as path from 'path';

export interface NativeFrechetResult {
  distance: number;
  meanTerm: number;
  trace1: number;
  trace2: number;
  traceSqrt: number;
  epsApplied: boolean;
  route: 'cholesky' | 'eigh';
  /** The distance as computed, before a round-off negative value was reported as 0. */
  rawDistance: number;
  /** `distance` is 0 because rawDistance was negative within round-off (1e-5 of tr S1 + tr S2). */
  clamped: boolean;
}

export interface NativeMoments {
  readonly count: number;
  readonly dims: number;
  update(batch: Float32Array | Float64Array, rows: number, threads?: number, rowOffset?: number): Promise<void>;
  merge(other: NativeMoments): void;
  state(): { n: number; shift: Float64Array; sum: Float64Array; sumOuter: Float64Array };
  setState(n: number, shift: Float64Array, sum: Float64Array, sumOuter: Float64Array): void;
  finalize(): { mean: Float64Array; cov: Float64Array };
}

/** Tiles per side and worker threads of the pairwise kernels. */
export interface NativePairwiseOptions {
  tile?: number;
  threads?: number;
  /** kernelSumsSubsets: gather the subsets from the kernel matrices of the whole sets. */
  dense?: boolean;
  /** Inner products from float32 GEMMs (float64 sums) or in float64 throughout. */
  precision?: 'float32' | 'float64';
  /**
   * The rows' squared norms (squaredNorms' bits) when the caller has them, so that calls on parts of
   * one set do not recompute them: of the set (neighbourBlock, neighbourBlockCandidates,
   * neighbourRecheck); countBalls takes realNorms and fakeNorms.
   */
  norms?: Float64Array;
  realNorms?: Float64Array;
  fakeNorms?: Float64Array;
}

export type NativeProgress = (done: number, total: number) => void;

export interface NativeKernel {
  kind: 'poly' | 'rbf';
  degree: number;
  gamma: number;
  coef0: number;
  sigma: number;
}

/** Sums of K over X x X, Y x Y, X x Y, and over their diagonals (i = j). */
export interface NativeKernelSums {
  xx: number;
  xxDiag: number;
  yy: number;
  yyDiag: number;
  xy: number;
  xyDiag: number;
}

export type FeatureData = Float32Array | Float64Array;

export interface NativeAddon {
  neighbourRadii(x: FeatureData, rows: number, ks: number[], options?: NativePairwiseOptions, onProgress?: NativeProgress): Promise<Float64Array[]>;
  nearestNeighbours(a: FeatureData, aRows: number, b: FeatureData, bRows: number, k: number, options?: NativePairwiseOptions, onProgress?: NativeProgress): Promise<{ index: Float64Array; distance: Float64Array }>;
  /**
   * neighbourRadii's symmetric pass in parts (the scale-out radius shards; native/src/knn.h). A
   * part [start, end) computes each pair of rows {p, q} with start <= min(p, q) < end once; row r's
   * partners in it: rows [start, rows) when r < end, [start, end) after. Float64 only: for each row
   * r in [start, rows), row-major ((rows - start) x need), the `need` smallest squared distances
   * (ascending; Infinity past the partners); the `need` smallest of a row's lists over parts that
   * cover [0, rows) are neighbourRadii's, bit for bit.
   */
  neighbourBlock(x: FeatureData, rows: number, start: number, end: number, need: number, options?: NativePairwiseOptions, onProgress?: NativeProgress): Promise<Float64Array>;
  /** Float32, first pass of a part: each row's L = need + 2 smallest float32-pass squared distances among its partners, ascending, with their rows (-1 past them); maxSquared: the largest squared norm of rows [start, rows). */
  neighbourBlockCandidates(x: FeatureData, rows: number, start: number, end: number, need: number, options?: NativePairwiseOptions, onProgress?: NativeProgress): Promise<{ value: Float64Array; index: Int32Array; L: number; maxSquared: number }>;
  /**
   * Float32, second pass over rows [start, start + count): from each row's L smallest candidates
   * over all parts (count x L, ascending by value then index; -1 for none) and a bound on every
   * squared norm, its exact `need` smallest squared distances to all rows (count x need), as
   * neighbourRadii's float32 pass decides them.
   */
  neighbourRecheck(x: FeatureData, rows: number, start: number, count: number, index: Int32Array, value: Float64Array, L: number, need: number, maxSquared: number, options?: NativePairwiseOptions, onProgress?: NativeProgress): Promise<Float64Array>;
  symmetricEigenvalues(m: Float64Array, n: number, threads?: number): Promise<Float64Array>;
  /** The `top` largest eigenvalues (descending) of a symmetric n x n matrix and their unit eigenvectors, one per row of `vectors` (top x n). */
  symmetricTopEigen(m: Float64Array, n: number, top: number): Promise<{ values: Float64Array; vectors: Float64Array }>;
  /** Per test row and scale s: log Σ_j exp(-s |x_i - μ_j|²) over the sample rows (row-major testRows x scales.length, float64). */
  parzenLogSums(test: FeatureData, testRows: number, samples: FeatureData, sampleRows: number, scales: Float64Array, options?: NativePairwiseOptions, onProgress?: NativeProgress): Promise<Float64Array>;
  /** The rows x rows inner products of x (row-major, float64). */
  gramMatrix(x: FeatureData, rows: number, options?: NativePairwiseOptions): Promise<Float64Array>;
  /** (x_i − mean) · c_j for every row and each of the k components (k x d, one per row): rows x k, row-major, float64. */
  projectRows(x: FeatureData, rows: number, components: Float64Array, k: number, mean: Float64Array, threads?: number): Promise<Float64Array>;
  realismScores(real: FeatureData, realRows: number, fake: FeatureData, fakeRows: number, radii: Float64Array, squared: boolean, eps: number, options?: NativePairwiseOptions): Promise<{ score: Float64Array; inside: Uint8Array }>;
  countBalls(
    real: FeatureData,
    realRows: number,
    fake: FeatureData,
    fakeRows: number,
    sets: { realRadii: Float64Array; fakeRadii: Float64Array; strict: boolean }[],
    options?: NativePairwiseOptions,
    onProgress?: NativeProgress,
  ): Promise<{
    fakeInReal: Uint32Array[];
    realInFake: Uint32Array[];
    /** Per set: the fakes inside each real's own ball. */
    realCovered: Uint32Array[];
    /** Float32: the pairs decided again in float64. */
    rechecked: number;
  }>;
  kernelSums(
    x: FeatureData,
    xRows: number,
    y: FeatureData,
    yRows: number,
    kernel: NativeKernel,
    options?: NativePairwiseOptions,
    onProgress?: NativeProgress,
  ): Promise<NativeKernelSums>;
  kernelSumsSubsets(
    x: FeatureData,
    xRows: number,
    y: FeatureData,
    yRows: number,
    idxX: Uint32Array,
    idxY: Uint32Array,
    subsets: number,
    m: number,
    kernel: NativeKernel,
    options?: NativePairwiseOptions,
    onProgress?: NativeProgress,
  ): Promise<NativeKernelSums[]>;
  Moments: new (dims: number) => NativeMoments;
  frechetDistance(
    dims: number,
    mu1: Float64Array,
    sigma1: Float64Array,
    mu2: Float64Array,
    sigma2: Float64Array,
    eps?: number,
    threads?: number,
  ): Promise<NativeFrechetResult>;
  preprocess(
    images: { data: Uint8Array; width: number; height: number; channels: number }[],
    mode: string,
    size: number,
    normalize: boolean,
    out: Float32Array,
    threads?: number,
  ): Promise<void>;
  kmeans(
    x: FeatureData,
    rows: number,
    options: { k: number; restarts?: number; maxIter?: number; tol?: number; seed?: number; threads?: number },
    onProgress?: NativeProgress,
  ): Promise<{ labels: Int32Array; centres: Float64Array; inertia: number; iterations: number; restart: number }>;
  /** Per decoded sample, sum over the d values of log p(x | decoder output), float64. */
  vaeLogLikelihoods(
    x: Float32Array,
    points: number,
    d: number,
    batch: {
      out: Float32Array;
      logvar?: Float32Array;
      fixedLogvar?: number;
      samples: number;
      perPoint: number;
      firstPoint: number;
      kind: 'bernoulli' | 'gaussian';
      threads?: number;
    },
  ): Float64Array;
  linearSvm(
    train: FeatureData,
    rows: number,
    labels: Int32Array,
    classes: number,
    options: { c?: number; tol?: number; maxIter?: number; bias?: number; seed?: number; threads?: number; classWeight?: Float64Array },
    test?: FeatureData,
    testRows?: number,
  ): Promise<{ w: Float64Array; b: Float64Array; iterations: Int32Array; trainPred: Int32Array; testPred?: Int32Array }>;
  logistic(
    train: FeatureData,
    rows: number,
    labels: Int32Array,
    classes: number,
    options: { c?: number; maxIter?: number; tol?: number },
    test?: FeatureData,
    testRows?: number,
  ): Promise<{ w: Float64Array; b: Float64Array; iterations: number; trainProba: Float64Array; testProba?: Float64Array }>;
  /** Median seconds of an n x n x n float64 product with the native GEMM (benchmarks). */
  gemmSeconds(n: number, threads: number, precision?: 'float32' | 'float64'): number;
  /** Each row's squared norm as the pairwise passes compute it (for their option norms). */
  squaredNorms(x: FeatureData, rows: number, threads?: number): Float64Array;
  /** Index of the first NaN or Inf of `data`, or -1 (a parallel scan; synchronous). */
  firstNonFinite(data: FeatureData, threads?: number): number;
  /** For each size in turn, legacy NumPy's RandomState(seed).choice(size, take, replace=False), from one stream. */
  legacyChoices(seed: number, sizes: number[], take: number): Uint32Array;
  /** An ArrayBuffer of `bytes` in huge-page memory (fewer first-touch faults); contents unspecified. */
  hugeArrayBuffer(bytes: number): ArrayBuffer;
  /** The first `bytes` of a file, mapped copy-on-write from the page cache; null where that is not possible. */
  mapFile(path: string, bytes: number): ArrayBuffer | null;
  simdLevel: string;
}

let cached: NativeAddon | undefined;

/** The compiled addon: a prebuild for this platform, or the local build (node-gyp-build decides). */
export function native(): NativeAddon {
  if (!cached) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = require('node-gyp-build') as (dir: string) => NativeAddon;
    cached = load(path.join(__dirname, '..'));
  }
  return cached;
}

/**
 * The pairwise passes a scale-out service spreads over workers (row blocks, subset groups).
 * `concurrent`: independent passes may run at once (their shards share the workers); the addon's
 * each take every core, so they run in turn.
 */
export type PairwiseKernels = Pick<NativeAddon, 'neighbourRadii' | 'countBalls' | 'kernelSumsSubsets'> & { readonly concurrent?: boolean };

const pairwiseOverride = new AsyncLocalStorage<PairwiseKernels>();

/** The pairwise passes of the current job: the addon's, or those withPairwise() put in place. */
export function pairwise(): PairwiseKernels {
  return pairwiseOverride.getStore() ?? native();
}

/** Runs `fn` with `kernels` standing for the addon's pairwise passes (in everything it awaits). */
export function withPairwise<T>(kernels: PairwiseKernels, fn: () => Promise<T>): Promise<T> {
  return pairwiseOverride.run(kernels, fn);
}
