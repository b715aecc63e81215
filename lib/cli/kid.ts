import type { Command } from 'commander';
import { kid, mmd2 } from '../metrics/kid';
import { makeContext } from './context';
import { withNetworkOptions, type NetworkCliOptions } from './network';
import { withCommonOptions } from './options';
import { kidJson, kidLine, kidOptions, loadPair, ORDER_NOTE, reportInputs, withKidOptions, type KidCliOptions } from './pairwise';

interface KidCommandOptions extends NetworkCliOptions, KidCliOptions {
  full?: boolean;
}

export function registerKid(program: Command): void {
  withNetworkOptions(
    withKidOptions(
      withCommonOptions(
        program
          .command('kid')
          .description(`Kernel Inception Distance (torch-fidelity's defaults: 100 subsets of 1000, poly kernel, seed 2020) between two image inputs or features .npy; ${ORDER_NOTE}`)
          .argument('<a>', 'generated set: image folder/file/uint8 array or features .npy (N x D)')
          .argument('<b>', 'reference set: same kinds')
          .option('--full', 'the deterministic MMD² between the full sets instead of subsets'),
      ),
    ),
  ).action(async (a: string, b: string, opts: KidCommandOptions) => {
    const ctx = makeContext(opts);
    const k = kidOptions(opts);
    const [A, B] = await loadPair(a, b, opts, ctx, 'KID needs');
    const inputs = [A.provenance, B.provenance];
    const bar = ctx.progress(opts.full ? 'MMD² tiles' : 'KID subsets', opts.full ? 'tiles' : 'subsets');
    const run = { ...k, threads: ctx.threads, onProgress: (d: number, t: number) => bar.update(d, t) };
    let full;
    let subsets;
    try {
      if (opts.full) full = await mmd2(A.features, B.features, run);
      else subsets = await kid(A.features, B.features, run);
    } finally {
      bar.stop();
    }
    reportInputs(ctx, inputs, subsets);
    if (full) {
      ctx.print({ mmd2: full.mmd2, estimator: full.estimator, kernel: full.kernel, sizes: full.sizes, inputs }, [
        `MMD² (${full.estimator}, full sets of ${full.sizes[0]} and ${full.sizes[1]}, ${full.kernel.kernel} kernel): ${full.mmd2}`,
      ]);
    } else if (subsets) {
      ctx.print({ ...kidJson(subsets), inputs }, [kidLine(subsets)]);
    }
  });
}
