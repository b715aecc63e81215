/** The Parzen-window log-likelihood of a test set under the generated samples (the GAN paper's table 1). */
import * as D from '../defaults';
import type { InputProvenance } from '../inputs';
import { writeCsv } from '../io/csv';
import { logspace, parzen } from '../metrics/parzen';
import type { NetworkOptions } from './common';
import { definePairCommand, loadThird, pairOptionSpecs } from './feature-sets';
import { checkGeneratorOptions, generatedInput, type GeneratorCommandOptions } from './generator-options';
import { OptionError } from '../errors';

export interface ParzenOptions extends NetworkOptions, GeneratorCommandOptions {
  valid?: string;
  sigma?: number;
  sigmaStart: number;
  sigmaEnd: number;
  sigmaCount: number;
  perSample?: string;
}

export interface ParzenCommandResult {
  /** Mean log-likelihood of the test set (nats per sample) and its standard error. */
  parzen: number;
  se: number;
  sigma: number;
  /** How σ was set: the validation grid (its values and mean log-likelihoods) or given. */
  sigma_from: 'validation' | 'given';
  sigmas: number[];
  validation_ll: number[];
  dims: number;
  samples: number;
  test_count: number;
  validation_input: InputProvenance | null;
  inputs: InputProvenance[];
}

export const parzenCommand = definePairCommand<ParzenOptions, Omit<ParzenCommandResult, 'inputs'>>({
  name: 'parzen',
  summary:
    "Parzen-window log-likelihood (Breuleux et al. 2011, as in Goodfellow et al. 2014's parzen_ll.py) of a test set under Gaussian windows on the generated samples, sigma the best of a log-spaced grid on a validation set; mean and standard error",
  example: 'parzen generated.npy test.npy --valid valid.npy --json',
  inputs: [generatedInput(), { name: 'test', help: 'test (real) set whose likelihood is estimated: same kinds' }],
  options: [
    { key: 'valid', type: 'string', help: 'validation (real) set choosing sigma: same kinds (needed unless option sigma is given)', valueName: '<V>' },
    { key: 'sigma', type: 'number', min: 0, exclusiveMin: true, help: 'a fixed window width instead of the validation grid', valueName: '<s>' },
    { key: 'sigmaStart', type: 'number', min: -20, max: 20, default: D.PARZEN_SIGMA_START, help: 'grid: log10 of the smallest sigma', valueName: '<e>' },
    { key: 'sigmaEnd', type: 'number', min: -20, max: 20, default: D.PARZEN_SIGMA_END, help: 'grid: log10 of the largest sigma', valueName: '<e>' },
    { key: 'sigmaCount', type: 'integer', min: 1, max: 1000, default: D.PARZEN_SIGMA_COUNT, help: "grid: number of values (parzen_ll.py's cross_val)", valueName: '<n>' },
    { key: 'perSample', type: 'string', output: true, help: "write every test sample's log-likelihood to a CSV file (sample, ll)", valueName: '<file.csv>' },
    ...pairOptionSpecs,
  ],
  check(_inputs, o) {
    checkGeneratorOptions(o);
    if (o.sigma === undefined && o.valid === undefined) throw new OptionError('valid', 'a validation set is needed to choose sigma (or give option sigma)');
    if (o.sigma !== undefined && o.valid !== undefined) throw new OptionError('sigma', 'give either a fixed sigma or a validation set (option valid), not both');
  },
  needs: 'the Parzen window needs',
  measure: async (A, B, o, threads, reporter) => {
    const V = o.valid === undefined ? undefined : await loadThird(o.valid, o, reporter, threads, 'the Parzen window needs', A);
    const sigmas = logspace(o.sigmaStart, o.sigmaEnd, o.sigmaCount);
    const r = await parzen(A.features, B.features, { sigma: o.sigma, sigmas, validation: V?.features, threads });
    if (o.perSample) writeCsv(o.perSample, [['sample', 'll'], ...Array.from(r.perSample, (v, i) => [i, v])]);
    return {
      parzen: r.ll,
      se: r.se,
      sigma: r.sigma,
      sigma_from: V ? ('validation' as const) : ('given' as const),
      sigmas: r.sigmas,
      validation_ll: r.validation,
      dims: A.features.dims,
      samples: A.features.rows,
      test_count: B.features.rows,
      validation_input: V?.provenance ?? null,
    };
  },
});
