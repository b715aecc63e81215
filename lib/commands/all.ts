/**
 * Every distribution metric of a generated set against a reference set from one feature pass:
 * FID, KID, precision/recall, density/coverage, and the Inception Score of the generated set when
 * it is given as images (the network's logits come with its features).
 */
import * as D from '../defaults';
import type { InputProvenance } from '../inputs';
import { inceptionScore } from '../metrics/inception-score';
import { checkGeneratorOptions, generatedInput, generatorOptionSpecs, sampleInputs, type GeneratorCommandOptions } from './generator-options';
import { defineCommand } from './descriptor';
import { networkOptions, ORDER_NOTE, threadsOf, threadsOption, type NetworkOptions } from './common';
import { checkDraws, distributionMetrics, kidJson, kidOptionSpecs, loadPair, prdcJson, prdcOptionSpecs, precisionOption, reportInputs, type KidCommandOptions, type PrdcCommandOptions } from './feature-sets';

export interface AllOptions extends NetworkOptions, KidCommandOptions, PrdcCommandOptions, GeneratorCommandOptions {
  splits: number;
  eps: number;
}

export type AllCommandResult = { fid: number } & ReturnType<typeof kidJson> &
  ReturnType<typeof prdcJson> & { inception_score?: { mean: number; std: number; splits: number }; inputs: InputProvenance[] };

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
    ...generatorOptionSpecs,
    ...networkOptions,
    threadsOption,
  ],
  check: (_inputs, o) => {
    checkDraws(o);
    checkGeneratorOptions(o);
  },
  async run(inputs, o, reporter) {
    const threads = threadsOf(o, reporter);
    const [A, B] = await loadPair(sampleInputs(inputs, o), o, reporter, threads, 'KID, precision/recall and density/coverage need', true);
    const { fid: f, kid: k, prdc: p } = await distributionMetrics(A.features, B.features, o, threads, reporter);
    // The Inception Score's shuffle uses the KID seed, as torch-fidelity's single rng_seed.
    const is = A.logits ? inceptionScore(A.logits.data, A.logits.rows, A.logits.dims, { seed: o.seed, splits: o.splits }, A.provenance.path) : undefined;
    const provenance = [A.provenance, B.provenance];
    reportInputs(reporter, provenance, k);
    if (f.epsApplied) reporter.warn(`the covariance product was not finite; added eps=${o.eps} to both diagonals (pytorch-fid behaviour)`);
    return {
      fid: f.fid,
      ...kidJson(k),
      ...prdcJson(p),
      ...(is ? { inception_score: { mean: is.mean, std: is.std, splits: is.splits } } : {}),
      inputs: provenance,
    };
  },
});
