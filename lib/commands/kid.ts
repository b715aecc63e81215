import type { InputProvenance } from '../inputs';
import { kid, mmd2, type KernelDescription, type MmdEstimator } from '../metrics/kid';
import { defineCommand } from './descriptor';
import { networkOptions, ORDER_NOTE, threadsOf, threadsOption, withProgress, type NetworkOptions } from './common';
import { checkDraws, kidJson, kidOptions, kidOptionSpecs, loadPair, reportInputs, type KidCommandOptions } from './feature-sets';

export interface KidOptions extends NetworkOptions, KidCommandOptions {
  full: boolean;
}

export type KidCommandResult =
  | (ReturnType<typeof kidJson> & { inputs: InputProvenance[] })
  | { mmd2: number; estimator: MmdEstimator; kernel: KernelDescription; sizes: [number, number]; inputs: InputProvenance[] };

export const kidCommand = defineCommand<KidOptions, KidCommandResult>({
  name: 'kid',
  summary: `Kernel Inception Distance (torch-fidelity's defaults: 100 subsets of 1000, poly kernel, seed 2020) between two image inputs or features .npy; ${ORDER_NOTE}`,
  example: 'kid generated.npy real.npy --subsets 100 --subset-size 1000 --json',
  inputs: [
    { name: 'a', help: 'generated set: image folder/file/uint8 array or features .npy (N x D)' },
    { name: 'b', help: 'reference set: same kinds' },
  ],
  options: [
    ...kidOptionSpecs,
    { key: 'full', type: 'boolean', default: false, help: 'the deterministic MMD² between the full sets instead of subsets' },
    ...networkOptions,
    threadsOption,
  ],
  check: (_inputs, o) => checkDraws(o),
  async run(inputs, o, reporter) {
    const threads = threadsOf(o, reporter);
    const [A, B] = await loadPair(inputs, o, reporter, threads, 'KID needs');
    const provenance = [A.provenance, B.provenance];
    const k = kidOptions(o);
    if (o.full) {
      const r = await withProgress(reporter, 'MMD² tiles', 'tiles', (bar) => mmd2(A.features, B.features, { ...k, threads, onProgress: (d, t) => bar.update(d, t) }));
      reportInputs(reporter, provenance);
      return { mmd2: r.mmd2, estimator: r.estimator, kernel: r.kernel, sizes: r.sizes, inputs: provenance };
    }
    const r = await withProgress(reporter, 'KID subsets', 'subsets', (bar) => kid(A.features, B.features, { ...k, threads, onProgress: (d, t) => bar.update(d, t) }));
    reportInputs(reporter, provenance, r);
    return { ...kidJson(r), inputs: provenance };
  },
});
