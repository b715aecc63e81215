/**
 * The Node API over the commands: `run(name, inputs, options)` resolves to exactly the object that
 * `genmetrics <name> ...inputs --json` prints with the same options (camelCase keys, as commander
 * derives them from the flags), and one function per command over it.
 */
import type { Reporter } from './commands/descriptor';
import { findCommand, runCommand } from './commands/registry';
import type { AllCommandResult, AllOptions } from './commands/all';
import type { ClusterCommandResult, ClusterOptions } from './commands/cluster';
import type { DisentanglementCommandResult, DisentanglementOptions } from './commands/disentanglement';
import type { DiversityCommandResult, DiversityOptions } from './commands/diversity';
import type { FeaturesCommandResult, FeaturesOptions } from './commands/features';
import type { FidCommandResult, FidOptions } from './commands/fid';
import type { GenerateCommandResult, GenerateOptions } from './commands/generate';
import type { PplCommandOptions, PplCommandResult } from './commands/ppl';
import type { ReportCommandResult, ReportOptions } from './commands/report';
import type { MemorizationCommandResult, MemorizationOptions } from './commands/memorization';
import type { TruncationCommandResult, TruncationOptions } from './commands/truncation';
import type { GridCommandOptions, GridCommandResult } from './commands/grid';
import type { InterpolateCommandResult, InterpolateOptions } from './commands/interpolate';
import type { TraverseCommandResult, TraverseOptions } from './commands/traverse';
import type { IsCommandResult, IsOptions } from './commands/is';
import type { KidCommandResult, KidOptions } from './commands/kid';
import type { LpipsCommandResult, LpipsCommonOptions } from './commands/lpips';
import type { ModelsInstallOptions, ModelsInstallResult, ModelsListResult } from './commands/models';
import type { ParamsCommandResult, ParamsOptions } from './commands/params';
import type { PrdcCommandResult, PrdcOptions } from './commands/prdc';
import type { ProbeCommandResult, ProbeOptions } from './commands/probe';
import type { MergeOptions, StatsCommandResult, StatsOptions } from './commands/stats';
import type { EncodeCommandResult, EncodeOptions, VaeCommandResult, VaeOptions } from './commands/vae';

/**
 * Runs the command `name` (`fid`, `kid`, ..., `stats merge`) on `inputs` (paths) with `options`
 * (values as numbers/booleans or as the strings the CLI would take; missing ones at their
 * defaults). `reporter` receives warnings, notices and progress; by default warnings go to
 * process.emitWarning and the rest is dropped.
 */
export async function run(name: string, inputs: string[], options: Record<string, unknown> = {}, reporter?: Reporter): Promise<Record<string, unknown>> {
  return runCommand(findCommand(name), inputs, options, reporter);
}

type Given<O> = Partial<O>;
const call = <O, R>(name: string) => (inputs: string[], options: Given<O> = {}, reporter?: Reporter) => run(name, inputs, options as Record<string, unknown>, reporter) as Promise<R>;

/** FID between two inputs (image folders/files/arrays, features .npy, statistics .npz). */
export const fid = (a: string, b: string, options?: Given<FidOptions>, reporter?: Reporter) => call<FidOptions, FidCommandResult>('fid')([a, b], options, reporter);
/** KID (or, with `full`, the MMD² of the full sets) of a generated set against a reference set. */
export const kid = (generated: string, reference: string, options?: Given<KidOptions>, reporter?: Reporter) => call<KidOptions, KidCommandResult>('kid')([generated, reference], options, reporter);
/** Precision, recall, density and coverage of a generated set against a reference set. */
export const prdc = (generated: string, reference: string, options?: Given<PrdcOptions>, reporter?: Reporter) => call<PrdcOptions, PrdcCommandResult>('prdc')([generated, reference], options, reporter);
/** FID, KID, P/R/D/C (and IS of the generated images) from one feature pass. */
export const all = (generated: string, reference: string, options?: Given<AllOptions>, reporter?: Reporter) => call<AllOptions, AllCommandResult>('all')([generated, reference], options, reporter);
/** Inception Score of images or a logits .npy. */
export const is = (input: string, options?: Given<IsOptions>, reporter?: Reporter) => call<IsOptions, IsCommandResult>('is')([input], options, reporter);
/** LPIPS between two images or two folders paired by relative path. */
export const lpips = (a: string, b: string, options?: Given<LpipsCommonOptions>, reporter?: Reporter) => call<LpipsCommonOptions, LpipsCommandResult>('lpips')([a, b], options, reporter);
/** Mean distance between random distinct pairs of one set (LPIPS or Inception features). */
export const diversity = (input: string, options?: Given<DiversityOptions>, reporter?: Reporter) => call<DiversityOptions, DiversityCommandResult>('diversity')([input], options, reporter);
/** Inception features (and logits) of images written to `options.output`. */
export const features = (input: string, options: Given<FeaturesOptions> & { output: string }, reporter?: Reporter) => call<FeaturesOptions, FeaturesCommandResult>('features')([input], options, reporter);
/** Mean and covariance (or partial sums) of images or features written to `options.output`. */
export const stats = (input: string, options: Given<StatsOptions> & { output: string }, reporter?: Reporter) => call<StatsOptions, StatsCommandResult>('stats')([input], options, reporter);
/** Statistics of the union of shards written to `options.output`. */
export const mergeStats = (parts: string[], options: Given<MergeOptions> & { output: string }, reporter?: Reporter) => call<MergeOptions, StatsCommandResult>('stats merge')(parts, options, reporter);
/** Clustering scores of k-means on codes (or of a given assignment) against labels. */
export const cluster = (options: Given<ClusterOptions> & { labels: string }, reporter?: Reporter) => call<ClusterOptions, ClusterCommandResult>('cluster')([], options, reporter);
/** IWAE NLL, ELBO and reconstruction of a VAE given as ONNX encoder and decoder. */
export const vae = (options: Given<VaeOptions> & { encoder: string; decoder: string; data: string }, reporter?: Reporter) => call<VaeOptions, VaeCommandResult>('vae')([], options, reporter);
/** The encoder's means of every data point written to `options.output`. */
export const encode = (options: Given<EncodeOptions> & { encoder: string; data: string; output: string }, reporter?: Reporter) => call<EncodeOptions, EncodeCommandResult>('encode')([], options, reporter);
/** Parameter counts of a model file. */
/** Writes a generator's samples as PNG files. (The metric commands take a generator too: run('fid', [reference], { generator, samples }).) */
export const generate = (options: Given<GenerateOptions> & { generator: string; output: string }, reporter?: Reporter) =>
  call<GenerateOptions, GenerateCommandResult>('generate')([], options, reporter);

export const grid = (input: string | undefined, options: Given<GridCommandOptions> & { output: string }, reporter?: Reporter) =>
  call<GridCommandOptions, GridCommandResult>('grid')(input === undefined ? [] : [input], options, reporter);

export const interpolate = (options: Given<InterpolateOptions> & { generator: string; seeds: string; output: string }, reporter?: Reporter) =>
  call<InterpolateOptions, InterpolateCommandResult>('interpolate')([], options, reporter);

export const traverse = (options: Given<TraverseOptions> & { decoder: string; output: string }, reporter?: Reporter) =>
  call<TraverseOptions, TraverseCommandResult>('traverse')([], options, reporter);

/** Perceptual path length of a generator (torch-fidelity's definition). */
export const ppl = (options: Given<PplCommandOptions> & { generator: string }, reporter?: Reporter) => call<PplCommandOptions, PplCommandResult>('ppl')([], options, reporter);

/** The truncation trade-off of a generator against a reference set. */
export const truncation = (reference: string, options: Given<TruncationOptions> & { generator: string }, reporter?: Reporter) =>
  call<TruncationOptions, TruncationCommandResult>('truncation')([reference], options, reporter);

/** Memorisation: nearest training samples of each generated sample, copies under a calibrated threshold. */
export const memorization = (generated: string, train: string, options?: Given<MemorizationOptions>, reporter?: Reporter) =>
  call<MemorizationOptions, MemorizationCommandResult>('memorization')([generated, train], options, reporter);

/** A self-contained HTML report of an evaluation. */
export const report = (generated: string | undefined, reference: string, options: Given<ReportOptions> & { output: string }, reporter?: Reporter) =>
  call<ReportOptions, ReportCommandResult>('report')(generated === undefined ? [reference] : [generated, reference], options, reporter);

export const params = (model: string, options?: Given<ParamsOptions>, reporter?: Reporter) => call<ParamsOptions, ParamsCommandResult>('params')([model], options, reporter);
/** Disentanglement scores of codes against ground-truth factors. */
export const disentanglement = (options: Given<DisentanglementOptions> & { codes: string; factors: string }, reporter?: Reporter) =>
  call<DisentanglementOptions, DisentanglementCommandResult>('disentanglement')([], options, reporter);
/** Linear-probe accuracy of a network's features. */
export const probe = (options: Given<ProbeOptions> & { model: string; layers: string; train: string[]; test: string[] }, reporter?: Reporter) =>
  call<ProbeOptions, ProbeCommandResult>('probe')([], options, reporter);
/** The registry's networks: installed or not, where, their SHA-256. */
export const modelsList = (reporter?: Reporter) => call<Record<string, never>, ModelsListResult>('models list')([], {}, reporter);
/** Installs a network's real weights (inception-v3-fid from pytorch-fid's checkpoint, downloaded or option from). */
export const modelsInstall = (name: string, options?: Given<ModelsInstallOptions>, reporter?: Reporter) =>
  call<ModelsInstallOptions, ModelsInstallResult>('models install')([name], options, reporter);
