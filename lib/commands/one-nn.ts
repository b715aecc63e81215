/** The 1-NN (k-NN) two-sample test: leave-one-out nearest-neighbour accuracy over real ∪ generated. */
import type { InputProvenance } from '../inputs';
import { oneNnTest, type OneNnResult } from '../metrics/one-nn';
import type { NetworkOptions } from './common';
import { definePairCommand, pairOptionSpecs } from './feature-sets';
import { checkGeneratorOptions, generatedInput, type GeneratorCommandOptions } from './generator-options';

export interface OneNnOptions extends NetworkOptions, GeneratorCommandOptions {
  k: number;
}

export type OneNnCommandResult = OneNnResult & { inputs: InputProvenance[] };

export const oneNnCommand = definePairCommand<OneNnOptions, Omit<OneNnCommandResult, 'inputs'>>({
  name: 'c2st',
  aliases: ['one-nn'],
  summary: 'The 1-NN two-sample test (Lopez-Paz & Oquab 2017, as Xu et al. 2018): leave-one-out k-NN accuracy over real ∪ generated (0.5: indistinguishable), with the real and fake parts',
  example: 'c2st generated.npy real.npy -k 1 --json',
  inputs: [generatedInput(), { name: 'b', help: 'reference (real) set: same kinds' }],
  options: [
    { key: 'k', type: 'integer', short: 'k', min: 1, max: 1000, default: 1, help: 'neighbours voting (real when at least k/2 are real)', valueName: '<k>' },
    ...pairOptionSpecs,
  ],
  check: (_inputs, o) => checkGeneratorOptions(o),
  needs: 'the k-NN two-sample test needs',
  measure: async (A, B, o, threads) => oneNnTest(B.features, A.features, { k: o.k, threads }),
});
