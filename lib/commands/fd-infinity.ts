/** FD∞ (Chong & Forsyth 2020, as dgm-eval): FD at 15 subset sizes of the generated set, extrapolated to N = ∞. */
import { OptionError } from '../errors';
import type { InputProvenance } from '../inputs';
import { readNpy } from '../io/npy';
import { fdInfinity } from '../metrics/fd-infinity';
import { networkOptions, threadsOption, withProgress, type NetworkOptions } from './common';
import { definePairCommand } from './feature-sets';
import { checkGeneratorOptions, generatedInput, generatorOptionSpecs, type GeneratorCommandOptions } from './generator-options';

export interface FdInfinityOptions extends NetworkOptions, GeneratorCommandOptions {
  points: number;
  subsets?: string;
}

export interface FdInfinityCommandResult {
  fd_infinity: number;
  sizes: number[];
  fd_n: number[];
  /** The seed of the subsets (NumPy's legacy RandomState), or null when they were given. */
  seed: number | null;
  inputs: InputProvenance[];
}

export const fdInfinityCommand = definePairCommand<FdInfinityOptions, Omit<FdInfinityCommandResult, 'inputs'>>({
  name: 'fd-inf',
  aliases: ['fd-infinity'],
  summary: "FD∞ (Chong & Forsyth 2020, dgm-eval's compute_FD_infinity): the Fréchet distance of the reference to subsets of the generated set at 15 sizes, its least-squares line in 1/N extrapolated to N = ∞",
  example: 'fd-inf generated.npy real.npy --seed 0 --json',
  inputs: [generatedInput(), { name: 'b', help: 'reference set (all its rows give its statistics): same kinds' }],
  options: [
    { key: 'points', type: 'integer', min: 2, max: 100, default: 15, help: 'subset sizes (linspace(min(5000, max(m // 10, 2)), m, points))', valueName: '<n>' },
    { key: 'seed', type: 'integer', min: 0, max: 2 ** 32 - 1, default: 0, help: "seed of NumPy's legacy RandomState drawing the subsets (dgm-eval's own draw is unseeded); with a generator, also its latent codes", valueName: '<n>' },
    { key: 'subsets', type: 'string', help: 'the subsets instead: one integer .npy of row indices of the generated set, the subsets concatenated in order of size', valueName: '<S.npy>' },
    ...generatorOptionSpecs,
    ...networkOptions,
    threadsOption,
  ],
  check: (_inputs, o) => checkGeneratorOptions(o),
  needs: 'FD∞ needs',
  measure: async (A, B, o, threads, reporter) => {
    let subsets: ArrayLike<number> | undefined;
    if (o.subsets !== undefined) {
      const s = readNpy(o.subsets);
      if (!/int/.test(s.dtype) || s.shape.length !== 1) throw new OptionError('subsets', `${o.subsets}: expected a 1-D integer array of row indices, got ${s.dtype} with shape (${s.shape.join(', ')})`);
      subsets = Array.from(s.data as ArrayLike<number | bigint>, Number);
    }
    const r = await withProgress(reporter, 'FD subsets', 'sizes', () => fdInfinity(B.features, A.features, { points: o.points, seed: o.seed, subsets, threads }));
    return { fd_infinity: r.fdInfinity, sizes: r.sizes, fd_n: r.fdN, seed: subsets ? null : o.seed };
  },
});
