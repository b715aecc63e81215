/**
 * Kernel Inception Distance (Bińkowski et al. 2018, "Demystifying MMD GANs"): the unbiased MMD²
 * with the polynomial kernel k(x, y) = (γ x·y + c)^d, d = 3, γ = 1/D, c = 1, averaged over random
 * subsets. Defaults and subset draws are torch-fidelity's: 100 subsets of 1000, NumPy's legacy
 * RandomState(2020), one `choice(n, m, replace=False)` from the first set then one from the
 * second for each subset, mean and population std (ddof 0) of the subset values.
 */
import * as D from '../defaults';
import { GenmetricsError, OptionError } from '../errors';
import { requireSameDims, type FeatureMatrix } from '../features';
import { native, pairwise, type NativeKernel, type NativeKernelSums } from '../native';

export type KernelName = 'poly' | 'rbf';
export type MmdEstimator = 'unbiased' | 'biased' | 'u-statistic';

export interface KernelOptions {
  kernel?: KernelName;
  /** poly: degree (default 3), gamma (default 1/D), coef0 (default 1) */
  degree?: number;
  gamma?: number;
  coef0?: number;
  /** rbf: exp(-|x-y|² / (2σ²)), σ default 10 (torch-fidelity's kid_kernel_rbf_sigma) */
  sigma?: number;
}

export type PairwisePrecision = 'float32' | 'float64';

export interface PairwiseRunOptions {
  threads?: number;
  /**
   * Arithmetic of the pairwise products (default float32, DEFAULTS.PAIRWISE_PRECISION): float32
   * GEMMs with float64 sums of each 256-column panel, about twice the float64 rate; KID agrees
   * with float64 to about 1e-7 relative, and P/R/D/C re-checks near-threshold pairs in float64
   * so its results are those of float64 exactly.
   */
  precision?: PairwisePrecision;
  /** Rows per tile side of the native kernels (default 576). */
  tile?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface KidOptions extends KernelOptions, PairwiseRunOptions {
  subsets?: number;
  subsetSize?: number;
  seed?: number;
  estimator?: MmdEstimator;
  /**
   * Gather the subsets' kernel sums from the kernel matrices of the whole sets, computed once
   * (true), or compute each subset's own products (false). Default: whichever needs fewer
   * multiply-adds, when the matrices fit in DENSE_KID_BYTES. Both give the same sums up to the
   * order of float64 additions.
   */
  dense?: boolean;
}

/** The pairwise precision option, checked (default DEFAULTS.PAIRWISE_PRECISION). */
export function precisionOf(options: { precision?: string }): PairwisePrecision {
  const p = options.precision ?? D.PAIRWISE_PRECISION;
  if (p !== 'float32' && p !== 'float64') throw new OptionError('precision', `precision must be 'float32' or 'float64', got '${p}'`);
  return p;
}

/** The most memory the dense KID path may take for its three float64 kernel matrices. */
export const DENSE_KID_BYTES = 1 << 30;

/**
 * Whether KID's subsets should gather from whole-set kernel matrices: (nx + ny)^2 d multiply-adds
 * for the matrices against subsets x 4 m^2 d for the subsets' own products (their lower
 * triangles), and 8 (nx^2/2 + ny^2/2 + nx ny) bytes within DENSE_KID_BYTES.
 */
export function denseKidPays(nx: number, ny: number, subsets: number, m: number): boolean {
  const bytes = 8 * ((nx * (nx + 1)) / 2 + (ny * (ny + 1)) / 2 + nx * ny);
  return bytes <= DENSE_KID_BYTES && (nx + ny) ** 2 < subsets * 4 * m * m;
}

export interface KernelDescription {
  kernel: KernelName;
  degree?: number;
  gamma?: number;
  coef0?: number;
  sigma?: number;
}

export interface KidResult {
  mean: number;
  std: number;
  subsets: number;
  subsetSize: number;
  seed: number;
  estimator: MmdEstimator;
  kernel: KernelDescription;
  /** MMD² of each subset, in draw order. */
  values: Float64Array;
}

export interface MmdResult {
  mmd2: number;
  estimator: MmdEstimator;
  kernel: KernelDescription;
  sizes: [number, number];
}

function resolveKernel(o: KernelOptions, dims: number): { native: NativeKernel; description: KernelDescription } {
  const kernel = o.kernel ?? (D.KID_KERNEL as KernelName);
  const positive = (v: number, name: string) => {
    if (!Number.isFinite(v) || v <= 0) throw new GenmetricsError(`${name} must be a positive number, got ${v}`);
    return v;
  };
  if (kernel === 'poly') {
    const degree = positive(o.degree ?? D.KID_DEGREE, 'degree');
    const gamma = positive(o.gamma ?? 1 / dims, 'gamma');
    const coef0 = o.coef0 ?? D.KID_COEF0;
    if (!Number.isFinite(coef0)) throw new GenmetricsError(`coef0 must be a finite number, got ${coef0}`);
    return { native: { kind: 'poly', degree, gamma, coef0, sigma: 0 }, description: { kernel, degree, gamma, coef0 } };
  }
  if (kernel === 'rbf') {
    const sigma = positive(o.sigma ?? D.KID_RBF_SIGMA, 'sigma');
    return { native: { kind: 'rbf', degree: 0, gamma: 0, coef0: 0, sigma }, description: { kernel, sigma } };
  }
  throw new GenmetricsError(`unknown kernel '${kernel as string}': expected poly or rbf`);
}

/**
 * MMD² from kernel sums of sets of n and m samples (torch-fidelity's mmd2, which assumes n = m,
 * written for any n, m):
 *   unbiased:    Σ_{i≠j} K_XX/(n(n-1)) + Σ_{i≠j} K_YY/(m(m-1)) − 2 Σ K_XY/(nm)   (cross diagonal kept)
 *   biased:      Σ K_XX/n² + Σ K_YY/m² − 2 Σ K_XY/(nm)
 *   u-statistic: as unbiased, but the cross term drops i = j and divides by n(n-1); needs n = m.
 */
export function mmd2FromSums(s: NativeKernelSums, n: number, m: number, estimator: MmdEstimator): number {
  checkEstimator(estimator, n, m);
  if (estimator === 'biased') return s.xx / (n * n) + s.yy / (m * m) - (2 * s.xy) / (n * m);
  if (estimator === 'unbiased') return (s.xx - s.xxDiag) / (n * (n - 1)) + (s.yy - s.yyDiag) / (m * (m - 1)) - (2 * s.xy) / (n * m);
  return (s.xx - s.xxDiag + s.yy - s.yyDiag) / (n * (n - 1)) - (2 * (s.xy - s.xyDiag)) / (n * (n - 1));
}

function checkEstimator(estimator: MmdEstimator, n: number, m: number): void {
  if (!['unbiased', 'biased', 'u-statistic'].includes(estimator)) {
    throw new GenmetricsError(`unknown MMD estimator '${estimator}': expected unbiased, biased or u-statistic`);
  }
  if (estimator !== 'biased' && Math.min(n, m) < 2) {
    throw new GenmetricsError(`the ${estimator} MMD estimator needs at least 2 samples per set, got ${n} and ${m}`);
  }
  if (estimator === 'u-statistic' && n !== m) {
    throw new GenmetricsError(`the u-statistic MMD estimator needs sets of equal size, got ${n} and ${m}`);
  }
}

/** MMD² between the full sets (deterministic: no subsets), streamed over tiles. */
export async function mmd2(x: FeatureMatrix, y: FeatureMatrix, options: KernelOptions & PairwiseRunOptions & { estimator?: MmdEstimator } = {}): Promise<MmdResult> {
  requireSameDims(x, y);
  const estimator = options.estimator ?? (D.MMD_ESTIMATOR as MmdEstimator);
  checkEstimator(estimator, x.rows, y.rows);
  const k = resolveKernel(options, x.dims);
  const sums = await native().kernelSums(x.data, x.rows, y.data, y.rows, k.native, { tile: options.tile, threads: options.threads, precision: precisionOf(options) }, options.onProgress);
  return { mmd2: mmd2FromSums(sums, x.rows, y.rows, estimator), estimator, kernel: k.description, sizes: [x.rows, y.rows] };
}

/** Validated subset settings of a KID run. */
export interface KidPlan {
  subsets: number;
  subsetSize: number;
  seed: number;
  estimator: MmdEstimator;
}

/** KID's settings with their defaults, checked against the sizes of the two sets. */
export function kidPlan(x: { rows: number; source: string }, y: { rows: number; source: string }, options: KidOptions = {}): KidPlan {
  const subsets = options.subsets ?? D.KID_SUBSETS;
  const m = options.subsetSize ?? D.KID_SUBSET_SIZE;
  const seed = options.seed ?? D.KID_SEED;
  const estimator = options.estimator ?? (D.MMD_ESTIMATOR as MmdEstimator);
  if (!Number.isInteger(subsets) || subsets < 1) throw new OptionError('subsets', `subsets must be a positive integer, got ${subsets}`);
  if (!Number.isInteger(m) || m < 2) throw new OptionError('subsetSize', `subsetSize must be an integer >= 2, got ${m}`);
  for (const s of [x, y]) {
    if (s.rows < m) {
      throw new OptionError('subsetSize', `${s.source}: KID subset size ${m} is larger than its ${s.rows} samples; pass a smaller subset size or more samples`);
    }
  }
  checkEstimator(estimator, m, m);
  return { subsets, subsetSize: m, seed, estimator };
}

/**
 * torch-fidelity's subset draws: for each subset one `choice(nx, m, replace=False)` from the first
 * set, then one from the second, all from one NumPy legacy RandomState(seed).
 */
export function drawSubsets(nx: number, ny: number, plan: KidPlan): { x: Uint32Array; y: Uint32Array } {
  const { subsets, subsetSize: m } = plan;
  // choice(nx, m) then choice(ny, m) per subset, from one RandomState(seed) stream (torch-fidelity's
  // order), in native code: 100 subsets of 20 000-row sets take 4 million draws.
  const both = native().legacyChoices(plan.seed, Array.from({ length: 2 * subsets }, (_, q) => (q % 2 ? ny : nx)), m);
  const x = new Uint32Array(subsets * m);
  const y = new Uint32Array(subsets * m);
  for (let s = 0; s < subsets; s++) {
    x.set(both.subarray(2 * s * m, (2 * s + 1) * m), s * m);
    y.set(both.subarray((2 * s + 1) * m, (2 * s + 2) * m), s * m);
  }
  return { x, y };
}

/** KID of drawn subsets: `draws` index rows of x and y (which may hold only the drawn rows). */
export async function kidOfDraws(x: FeatureMatrix, y: FeatureMatrix, draws: { x: Uint32Array; y: Uint32Array }, plan: KidPlan, options: KidOptions = {}): Promise<KidResult> {
  requireSameDims(x, y);
  const { subsets, subsetSize: m, seed, estimator } = plan;
  const k = resolveKernel(options, x.dims);
  const sums = await pairwise().kernelSumsSubsets(
    x.data, x.rows, y.data, y.rows, draws.x, draws.y, subsets, m, k.native,
    { tile: options.tile, threads: options.threads, precision: precisionOf(options), dense: options.dense ?? denseKidPays(x.rows, y.rows, subsets, m) }, options.onProgress,
  );
  const values = Float64Array.from(sums, (s) => mmd2FromSums(s, m, m, estimator));
  const mean = values.reduce((a, v) => a + v, 0) / subsets;
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / subsets);
  return { mean, std, subsets, subsetSize: m, seed, estimator, kernel: k.description, values };
}

/** KID: MMD² over random subsets of both sets; x is drawn first (torch-fidelity's input1, the generated set). */
export async function kid(x: FeatureMatrix, y: FeatureMatrix, options: KidOptions = {}): Promise<KidResult> {
  requireSameDims(x, y);
  const plan = kidPlan(x, y, options);
  return kidOfDraws(x, y, drawSubsets(x.rows, y.rows, plan), plan, options);
}
