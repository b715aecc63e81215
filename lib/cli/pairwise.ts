// Options and output shared by the commands on raw features: kid, prdc, all.
import type { Command } from 'commander';
import { GenmetricsError } from '../errors';
import { loadFeaturePair, type InputProvenance, type LoadedFeatures } from '../inputs';
import type { KidOptions, KidResult, KernelName, MmdEstimator } from '../metrics/kid';
import type { BallConvention, PrdcOptions, PrdcResult } from '../metrics/prdc';
import { parseInteger, parseNumber, type CommandContext } from './context';
import { networkOptions, warnSkipped, type NetworkCliOptions } from './network';
import type { Progress } from './progress';

export const ORDER_NOTE = 'A is the generated set, B the reference (real) set, as torch-fidelity\'s input1/input2';

export interface KidCliOptions {
  subsets: string;
  subsetSize: string;
  seed: string;
  kernel: string;
  degree: string;
  gamma?: string;
  coef0: string;
  sigma: string;
  estimator: string;
}

export function withKidOptions(cmd: Command): Command {
  return cmd
    .option('--subsets <n>', 'KID: number of subsets', '100')
    .option('--subset-size <m>', 'KID: samples per subset (each set needs at least m)', '1000')
    .option('--seed <n>', "KID: seed of NumPy's legacy RandomState drawing the subsets", '2020')
    .option('--kernel <name>', 'KID: poly or rbf', 'poly')
    .option('--degree <d>', 'poly kernel degree', '3')
    .option('--gamma <g>', 'poly kernel gamma (default 1/D)')
    .option('--coef0 <c>', 'poly kernel coef0', '1')
    .option('--sigma <s>', 'rbf kernel sigma', '10')
    .option('--estimator <name>', 'MMD² estimator: unbiased, biased or u-statistic', 'unbiased');
}

export function kidOptions(o: KidCliOptions): Omit<KidOptions, 'threads' | 'onProgress'> {
  if (o.kernel !== 'poly' && o.kernel !== 'rbf') throw new GenmetricsError(`--kernel: expected poly or rbf, got '${o.kernel}'`);
  if (!['unbiased', 'biased', 'u-statistic'].includes(o.estimator)) {
    throw new GenmetricsError(`--estimator: expected unbiased, biased or u-statistic, got '${o.estimator}'`);
  }
  return {
    subsets: parseInteger(o.subsets, '--subsets', 1),
    subsetSize: parseInteger(o.subsetSize, '--subset-size', 2),
    seed: parseInteger(o.seed, '--seed', 0),
    kernel: o.kernel as KernelName,
    degree: parseNumber(o.degree, '--degree'),
    gamma: o.gamma === undefined ? undefined : parseNumber(o.gamma, '--gamma'),
    coef0: parseNumber(o.coef0, '--coef0'),
    sigma: parseNumber(o.sigma, '--sigma'),
    estimator: o.estimator as MmdEstimator,
  };
}

export interface PrdcCliOptions {
  k?: string;
  prK: string;
  prTest: string;
  dcK: string;
  dcTest: string;
}

export function withPrdcOptions(cmd: Command): Command {
  return cmd
    .option('--pr-k <k>', 'precision/recall: neighbourhood size', '3')
    .option('--pr-test <t>', "precision/recall ball test: '<=' (le) or '<' (lt)", '<=')
    .option('--dc-k <k>', 'density/coverage: neighbourhood size', '5')
    .option('--dc-test <t>', "density/coverage ball test: '<' (lt) or '<=' (le)", '<')
    .option('--k <k>', 'one neighbourhood size for all four (sets --pr-k and --dc-k)');
}

function parseTest(v: string, flag: string): BallConvention['test'] {
  if (v === '<=' || v === 'le') return '<=';
  if (v === '<' || v === 'lt') return '<';
  throw new GenmetricsError(`${flag}: expected '<=' (le) or '<' (lt), got '${v}'`);
}

export function prdcOptions(o: PrdcCliOptions): Omit<PrdcOptions, 'threads' | 'onProgress'> {
  const k = o.k === undefined ? undefined : parseInteger(o.k, '--k', 1);
  return {
    precisionRecall: { k: k ?? parseInteger(o.prK, '--pr-k', 1), test: parseTest(o.prTest, '--pr-test') },
    densityCoverage: { k: k ?? parseInteger(o.dcK, '--dc-k', 1), test: parseTest(o.dcTest, '--dc-test') },
  };
}

/** The features of A and B, through the network for image inputs (with its progress bar). */
export async function loadPair(a: string, b: string, opts: NetworkCliOptions, ctx: CommandContext, needs: string): Promise<[LoadedFeatures, LoadedFeatures]> {
  const network = networkOptions(opts, ctx, 'features');
  try {
    return await loadFeaturePair(a, b, { network, needs });
  } finally {
    network.done();
  }
}

/** One progress bar per phase of a multi-phase computation. */
export function phaseProgress(ctx: CommandContext, unit: string): { update(phase: string, done: number, total: number): void; stop(): void } {
  let current: { phase: string; bar: Progress } | undefined;
  return {
    update(phase, done, total) {
      if (current?.phase !== phase) {
        current?.bar.stop();
        current = { phase, bar: ctx.progress(phase, unit) };
      }
      current.bar.update(done, total);
    },
    stop: () => current?.bar.stop(),
  };
}

export function kidJson(r: KidResult): Record<string, unknown> {
  return { kid: { mean: r.mean, std: r.std }, subsets: r.subsets, subset_size: r.subsetSize, seed: r.seed, estimator: r.estimator, kernel: r.kernel };
}

export function prdcJson(r: PrdcResult): Record<string, unknown> {
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

export function prdcLines(r: PrdcResult): string[] {
  const pr = r.conventions.precisionRecall;
  const dc = r.conventions.densityCoverage;
  return [
    `Precision: ${r.precision}  (k=${pr.k}, d ${pr.test} r)`,
    `Recall:    ${r.recall}  (k=${pr.k}, d ${pr.test} r)`,
    `F-score:   ${r.fScore}`,
    `Density:   ${r.density}  (k=${dc.k}, d ${dc.test} r)`,
    `Coverage:  ${r.coverage}  (k=${dc.k}, d ${dc.test} r)`,
  ];
}

export function kidLine(r: KidResult): string {
  return `KID: ${r.mean} ± ${r.std} (${r.subsets} subsets of ${r.subsetSize}, ${r.kernel.kernel} kernel, seed ${r.seed})`;
}

/** Warnings about the inputs: skipped images; a notice when KID < 0 (valid: very similar sets). */
export function reportInputs(ctx: CommandContext, inputs: InputProvenance[], kid?: KidResult): void {
  for (const p of inputs) warnSkipped(ctx, p.path, p.images?.skipped ?? []);
  if (kid && kid.mean < 0) ctx.notice('KID values slightly below 0 are valid and mean the two distributions are very similar');
}
