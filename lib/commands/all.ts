/**
 * Every distribution metric of a generated set against a reference set from one feature pass:
 * FID, KID, precision/recall, density/coverage, and the Inception Score of the generated set when
 * it is given as images (the network's logits come with its features).
 */
import * as D from '../defaults';
import type { InputProvenance } from '../inputs';
import { inceptionScore } from '../metrics/inception-score';
import { checkGeneratorOptions, generatedInput, generatorOptionSpecs, sampleInputs, type GeneratorCommandOptions } from './generator-options';
import { OptionError } from '../errors';
import { vendiScores } from '../metrics/vendi';
import { defineCommand, resolveOptions } from './descriptor';
import { authenticityCommand } from './authenticity';
import { cmmdCommand } from './cmmd';
import { isInception } from '../network/extractor';
import { fdInfinityCommand } from './fd-infinity';
import { mifidCommand } from './mifid';
import { ndbCommand } from './ndb';
import { oneNnCommand } from './one-nn';
import { prdCurveCommand } from './prd-curve';
import { realismCommand } from './realism';
import { networkOptions, ORDER_NOTE, threadsOf, threadsOption, type NetworkOptions } from './common';
import { checkDraws, someDistributionMetrics, kidJson, kidOptionSpecs, loadPair, prdcJson, prdcOptionSpecs, precisionOption, reportInputs, type KidCommandOptions, type PairCommand, type PrdcCommandOptions } from './feature-sets';

export interface AllOptions extends NetworkOptions, KidCommandOptions, PrdcCommandOptions, GeneratorCommandOptions {
  splits: number;
  eps: number;
  metrics?: string;
}

/** The two-set measures `all --metrics` runs beside FID, KID, P/R/D/C and IS, each with its own command's defaults. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const PAIR_MEASURES: readonly PairCommand<any, any>[] = [mifidCommand, authenticityCommand, oneNnCommand, fdInfinityCommand, ndbCommand, prdCurveCommand, realismCommand, cmmdCommand];
const CORE = ['fid', 'kid', 'prdc', 'is'] as const;
/** Every name option metrics takes (a measure's command name; its old name is accepted too). */
export const ALL_METRICS: readonly string[] = [...CORE, 'vendi', ...PAIR_MEASURES.map((c) => c.name)];

function pairMeasure(name: string) {
  return PAIR_MEASURES.find((c) => c.name === name || c.aliases?.includes(name));
}

/** Option metrics as canonical names, in the order given, without repeats. */
export function parseMetrics(text: string): string[] {
  const names = text.split(',').map((m) => m.trim()).filter((m) => m !== '');
  if (names.length === 0) throw new OptionError('metrics', `expected a comma-separated list of ${ALL_METRICS.join(', ')}`);
  const out = names.map((m) => {
    if ((ALL_METRICS as string[]).includes(m)) return m;
    const c = pairMeasure(m);
    if (!c) throw new OptionError('metrics', `unknown metric '${m}'; expected ${ALL_METRICS.join(', ')}`);
    return c.name;
  });
  return [...new Set(out)];
}

export type AllCommandResult = {
  fid?: number;
  inception_score?: { mean: number; std: number; splits: number };
  /** With option metrics: the names run; each other measure's result (its command's, without inputs) sits under its name. */
  metrics?: string[];
  inputs: InputProvenance[];
} & Partial<ReturnType<typeof kidJson>> &
  Partial<ReturnType<typeof prdcJson>> & { [measure: string]: unknown };

export const allCommand = defineCommand<AllOptions, AllCommandResult>({
  name: 'all',
  summary: `FID, KID, precision, recall, density, coverage (and the Inception Score of A when it is images) from one feature pass; ${ORDER_NOTE}`,
  example: 'all generated/ real/ --json',
  inputs: [
    generatedInput(),
    { name: 'b', help: 'reference set: same kinds' },
  ],
  options: [
    ...kidOptionSpecs,
    ...prdcOptionSpecs,
    precisionOption,
    { key: 'splits', type: 'integer', min: 1, max: 1_000_000, default: D.IS_SPLITS, help: 'Inception Score (image inputs): number of splits', valueName: '<k>' },
    { key: 'eps', type: 'number', min: 0, default: D.FID_EPS, help: "FID: pytorch-fid's eps, added to both covariance diagonals only if the result is not finite", valueName: '<x>' },
    {
      key: 'metrics',
      type: 'string',
      defaultNote: 'fid,kid,prdc, and is when A is images',
      help: `only these, comma-separated, from the same feature pass: ${ALL_METRICS.join(', ')} (vendi: of A; the others with their own command's defaults)`,
      valueName: '<m,...>',
    },
    ...generatorOptionSpecs,
    ...networkOptions,
    threadsOption,
  ],
  check: (_inputs, o) => {
    checkDraws(o);
    checkGeneratorOptions(o);
    if (o.metrics !== undefined && parseMetrics(o.metrics).includes('is') && !isInception(o.extractor)) {
      throw new OptionError('metrics', `is: the Inception Score needs the Inception network's logits, not extractor ${o.extractor}`);
    }
  },
  async run(inputs, o, reporter) {
    const threads = threadsOf(o, reporter);
    const chosen = o.metrics === undefined ? undefined : parseMetrics(o.metrics);
    const wants = (m: string) => chosen === undefined || chosen.includes(m);
    const [A, B] = await loadPair(sampleInputs(inputs, o), o, reporter, threads, 'KID, precision/recall and density/coverage need', wants('is') && isInception(o.extractor));
    if (chosen?.includes('is') && !A.logits) throw new OptionError('metrics', `is: the Inception Score needs the logits of A's images; ${A.provenance.path} is features`);
    const { fid: f, kid: k, prdc: p } = await someDistributionMetrics(A.features, B.features, o, threads, reporter, CORE.filter(wants));
    // The Inception Score's shuffle uses the KID seed, as torch-fidelity's single rng_seed.
    const is = A.logits && wants('is') ? inceptionScore(A.logits.data, A.logits.rows, A.logits.dims, { seed: o.seed, splits: o.splits }, A.provenance.path) : undefined;
    const measures: Record<string, unknown> = {};
    for (const name of chosen ?? []) {
      if (name === 'vendi') measures.vendi = { vendi: await vendiScores(A.features, [1], { threads }), kernel: 'linear', count: A.features.rows };
      const c = pairMeasure(name);
      // Each measure at its command's defaults, on these features (named by the same network options).
      const network = Object.fromEntries(['extractor', 'mode', 'model'].filter((k) => c?.options.some((s) => s.key === k)).map((k) => [k, o[k as keyof AllOptions]]));
      if (c) measures[name] = await c.measure(A, B, resolveOptions(c, network), threads, reporter);
    }
    const provenance = [A.provenance, B.provenance];
    reportInputs(reporter, provenance, k);
    if (f?.epsApplied) reporter.warn(`the covariance product was not finite; added eps=${o.eps} to both diagonals (pytorch-fid behaviour)`);
    return {
      ...(f ? { fid: f.fid } : {}),
      ...(k ? kidJson(k) : {}),
      ...(p ? prdcJson(p) : {}),
      ...(is ? { inception_score: { mean: is.mean, std: is.std, splits: is.splits } } : {}),
      ...(chosen ? { metrics: chosen } : {}),
      ...measures,
      inputs: provenance,
    };
  },
});
