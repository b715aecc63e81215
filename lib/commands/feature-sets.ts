/** Options, loading and results shared by the commands on two sample sets: kid, prdc, all. */
import * as D from '../defaults';
import { OptionError } from '../errors';
import { loadFeaturePair, loadFeatures, type InputProvenance, type LoadedFeatures, type SampleInput } from '../inputs';
import { requireSameDims, type FeatureMatrix } from '../features';
import { requireSameOrigin } from '../network/meta';
import { frechetDistance, type FrechetResult } from '../metrics/fid';
import { kid, type KernelName, type KidOptions, type KidResult, type MmdEstimator, type PairwisePrecision } from '../metrics/kid';
import { prdc, type BallConvention, type PrdcOptions, type PrdcResult } from '../metrics/prdc';
import { statisticsOfMatrix } from '../stats/moments';
import type { CommandDescriptor, OptionSpec, Reporter } from './descriptor';
import { featureOptions, networkOptions, phaseProgress, threadsOf, threadsOption, warnSkipped, withProgress, type NetworkOptions } from './common';
import { generatorOptionSpecs, latentSeedOption, sampleInputs, type GeneratorCommandOptions } from './generator-options';

/** KID's and P/R/D/C's arithmetic (the same option for both in `all`). */
export const precisionOption: OptionSpec = {
  key: 'precision',
  type: 'string',
  choices: ['float32', 'float64'],
  default: D.PAIRWISE_PRECISION,
  help: 'pairwise products: float32 (about 2x faster; KID within 1e-6 of float64, P/R/D/C exactly equal via float64 re-checks) or float64',
  valueName: '<p>',
};

export const kidOptionSpecs: OptionSpec[] = [
  { key: 'subsets', type: 'integer', min: 1, max: 1_000_000, default: D.KID_SUBSETS, help: 'KID: number of subsets', valueName: '<n>' },
  { key: 'subsetSize', type: 'integer', min: 2, max: 1_000_000, default: D.KID_SUBSET_SIZE, help: 'KID: samples per subset (each set needs at least m)', valueName: '<m>' },
  { key: 'seed', type: 'integer', min: 0, max: 2 ** 32 - 1, default: D.KID_SEED, help: "seed of NumPy's legacy RandomState drawing KID's subsets (and a generator's latent codes: torch-fidelity's one rng_seed)", valueName: '<n>' },
  { key: 'kernel', type: 'string', choices: ['poly', 'rbf'], default: D.KID_KERNEL, help: 'KID kernel', valueName: '<name>' },
  { key: 'degree', type: 'number', min: 0, exclusiveMin: true, default: D.KID_DEGREE, help: 'poly kernel degree', valueName: '<d>' },
  { key: 'gamma', type: 'number', min: 0, exclusiveMin: true, defaultNote: '1/D', help: 'poly kernel gamma', valueName: '<g>' },
  { key: 'coef0', type: 'number', default: D.KID_COEF0, help: 'poly kernel coef0', valueName: '<c>' },
  { key: 'sigma', type: 'number', min: 0, exclusiveMin: true, default: D.KID_RBF_SIGMA, help: 'rbf kernel sigma', valueName: '<s>' },
  { key: 'estimator', type: 'string', choices: ['unbiased', 'biased', 'u-statistic'], default: D.MMD_ESTIMATOR, help: 'MMD² estimator', valueName: '<name>' },
];

export interface KidCommandOptions {
  subsets: number;
  subsetSize: number;
  seed: number;
  kernel: KernelName;
  degree: number;
  gamma?: number;
  coef0: number;
  sigma: number;
  estimator: MmdEstimator;
  precision: PairwisePrecision;
}

/** Subset draws beyond this are refused: their row indices (8 bytes per draw) are held in memory. */
export const MAX_KID_DRAWS = 1 << 27;

export function checkDraws(o: KidCommandOptions & { full?: boolean }): void {
  const draws = o.subsets * o.subsetSize;
  if (!o.full && draws > MAX_KID_DRAWS) {
    throw new OptionError(
      'subsets',
      `${o.subsets} subsets of ${o.subsetSize} are ${draws} draws, which need ${((8 * draws) / 2 ** 30).toFixed(1)} GiB of row indices; at most ${MAX_KID_DRAWS} draws are allowed (lower option subsets or option subsetSize)`,
    );
  }
}

export function kidOptions(o: KidCommandOptions): Omit<KidOptions, 'threads' | 'onProgress'> {
  const { subsets, subsetSize, seed, kernel, degree, gamma, coef0, sigma, estimator, precision } = o;
  return { subsets, subsetSize, seed, kernel, degree, gamma, coef0, sigma, estimator, precision };
}

const TESTS = ['<=', '<'] as const;
const TEST_ALIASES = { le: '<=', lt: '<' };

export const prdcOptionSpecs: OptionSpec[] = [
  { key: 'prK', type: 'integer', min: 1, default: D.PR_K, help: 'precision/recall: neighbourhood size', valueName: '<k>' },
  { key: 'prTest', type: 'string', choices: TESTS, aliases: TEST_ALIASES, default: D.PR_TEST, expect: "'<=' (le) or '<' (lt)", help: "precision/recall ball test: '<=' (le) or '<' (lt)", valueName: '<t>' },
  { key: 'dcK', type: 'integer', min: 1, default: D.DC_K, help: 'density/coverage: neighbourhood size', valueName: '<k>' },
  { key: 'dcTest', type: 'string', choices: TESTS, aliases: TEST_ALIASES, default: D.DC_TEST, expect: "'<' (lt) or '<=' (le)", help: "density/coverage ball test: '<' (lt) or '<=' (le)", valueName: '<t>' },
  { key: 'k', type: 'integer', min: 1, help: 'one neighbourhood size for all four (sets prK and dcK)', valueName: '<k>' },
];

export interface PrdcCommandOptions {
  prK: number;
  prTest: BallConvention['test'];
  dcK: number;
  dcTest: BallConvention['test'];
  k?: number;
  precision: PairwisePrecision;
}

export function prdcOptions(o: PrdcCommandOptions): Omit<PrdcOptions, 'threads' | 'onProgress'> {
  return {
    precisionRecall: { k: o.k ?? o.prK, test: o.prTest },
    densityCoverage: { k: o.k ?? o.dcK, test: o.dcTest },
    precision: o.precision,
  };
}

/** The features of A and B, through the network for image inputs (with its progress bar). */
export function loadPair(
  [a, b]: SampleInput[],
  o: NetworkOptions,
  reporter: Reporter,
  threads: number,
  needs: string,
  logitsOfFirst = false,
): Promise<[LoadedFeatures, LoadedFeatures]> {
  return withProgress(reporter, 'features', 'img', (bar) => loadFeaturePair(a, b, { network: featureOptions(o, reporter, threads, bar), needs, logitsOfFirst }));
}

export function kidJson(r: KidResult) {
  return { kid: { mean: r.mean, std: r.std }, subsets: r.subsets, subset_size: r.subsetSize, seed: r.seed, estimator: r.estimator, kernel: r.kernel };
}

export function prdcJson(r: PrdcResult) {
  const c = r.conventions;
  return {
    precision: r.precision,
    recall: r.recall,
    f_score: r.fScore,
    density: r.density,
    coverage: r.coverage,
    conventions: { precision_recall: c.precisionRecall, density_coverage: c.densityCoverage },
  };
}

/** Warnings about the inputs: skipped images; a notice when KID < 0 (valid: very similar sets). */
export function reportInputs(reporter: Reporter, inputs: InputProvenance[], kid?: { mean: number }): void {
  for (const p of inputs) warnSkipped(reporter, p.path, p.images?.skipped ?? []);
  if (kid && kid.mean < 0) reporter.notice('KID values slightly below 0 are valid and mean the two distributions are very similar');
}

/** FID, KID and P/R/D/C of two feature sets (what `all` and `truncation` report), with progress. */
export async function distributionMetrics(
  A: FeatureMatrix,
  B: FeatureMatrix,
  o: KidCommandOptions & PrdcCommandOptions & { eps: number },
  threads: number,
  reporter: Reporter,
): Promise<{ fid: FrechetResult; kid: KidResult; prdc: PrdcResult }> {
  const r = await someDistributionMetrics(A, B, o, threads, reporter, ['fid', 'kid', 'prdc']);
  return { fid: r.fid!, kid: r.kid!, prdc: r.prdc! };
}

/** Those of FID, KID and P/R/D/C that `which` names. */
export async function someDistributionMetrics(
  A: FeatureMatrix,
  B: FeatureMatrix,
  o: KidCommandOptions & PrdcCommandOptions & { eps: number },
  threads: number,
  reporter: Reporter,
  which: readonly string[],
): Promise<{ fid?: FrechetResult; kid?: KidResult; prdc?: PrdcResult }> {
  const bars = phaseProgress(reporter, 'steps');
  try {
    const f = which.includes('fid') ? await frechetDistance(await statisticsOfMatrix(A, threads), await statisticsOfMatrix(B, threads), { eps: o.eps, threads }) : undefined;
    const k = which.includes('kid') ? await kid(A, B, { ...kidOptions(o), threads, onProgress: (d, t) => bars.update('KID subsets', d, t) }) : undefined;
    const p = which.includes('prdc') ? await prdc(A, B, { ...prdcOptions(o), threads, onProgress: bars.update }) : undefined;
    return { fid: f, kid: k, prdc: p };
  } finally {
    bars.stop();
  }
}

/** The options of a measure of a generated set (or its generator) against a reference set. */
export const pairOptionSpecs: OptionSpec[] = [...generatorOptionSpecs, latentSeedOption, ...networkOptions, threadsOption];

/**
 * Such a measure's frame: the two sets' features (the generated one drawn when option generator
 * is given), `work` on them, the inputs reported; the result gets their provenance as `inputs`.
 */
export async function onPair<R extends object>(
  inputs: string[],
  o: NetworkOptions & GeneratorCommandOptions,
  reporter: Reporter,
  needs: string,
  work: (A: LoadedFeatures, B: LoadedFeatures, threads: number) => Promise<R>,
): Promise<R & { inputs: InputProvenance[] }> {
  const threads = threadsOf(o, reporter);
  const [A, B] = await loadPair(sampleInputs(inputs, o), o, reporter, threads, needs);
  const r = await work(A, B, threads);
  const provenance = [A.provenance, B.provenance];
  reportInputs(reporter, provenance);
  return { ...r, inputs: provenance };
}

/** A third set of such a measure (a validation or test set): its features, from the same network and of the same dimension as `like`. */
export async function loadThird(input: string, o: NetworkOptions, reporter: Reporter, threads: number, needs: string, like: LoadedFeatures): Promise<LoadedFeatures> {
  const C = await withProgress(reporter, 'features', 'img', (bar) => loadFeatures(input, { network: featureOptions(o, reporter, threads, bar), needs }));
  requireSameOrigin(like.provenance, C.provenance);
  requireSameDims(like.features, C.features);
  warnSkipped(reporter, C.provenance.path, C.provenance.images?.skipped ?? []);
  return C;
}

/** A measure of two loaded sets (generated A, reference B), as its command and `all` run it. */
export type PairMeasure<O, R> = (A: LoadedFeatures, B: LoadedFeatures, o: O, threads: number, reporter: Reporter) => Promise<R>;

/** A command whose work is one PairMeasure in the onPair frame; `all --metrics` runs the same measure. */
export interface PairCommand<O, R> extends CommandDescriptor<O, R & { inputs: InputProvenance[] }> {
  measure: PairMeasure<O, R>;
  /** Who needs raw samples, for the error a statistics file gets ('MiFID needs'). */
  needs: string;
}

export function definePairCommand<O extends NetworkOptions & GeneratorCommandOptions, R extends object>(
  d: Omit<PairCommand<O, R>, 'run'>,
): PairCommand<O, R> {
  return { ...d, run: (inputs, o, reporter) => onPair(inputs, o, reporter, d.needs, (A, B, threads) => d.measure(A, B, o, threads, reporter)) };
}
