import type { Command } from 'commander';
import { loadFeaturePair } from '../inputs';
import { kid, mmd2 } from '../metrics/kid';
import { makeContext } from './context';
import { networkOptions, withNetworkOptions, type NetworkCliOptions } from './network';
import { withCommonOptions } from './options';
import { kidJson, kidLine, kidOptions, ORDER_NOTE, reportInputs, withKidOptions, type KidCliOptions } from './pairwise';

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
    const network = networkOptions(opts, ctx, 'features');
    let pair;
    try {
      pair = await loadFeaturePair(a, b, { network, needs: 'KID needs' });
    } finally {
      network.done();
    }
    const [A, B] = pair;
    const bar = ctx.progress(opts.full ? 'MMD² tiles' : 'KID subsets', opts.full ? 'tiles' : 'subsets');
    const inputs = [A.provenance, B.provenance];
    try {
      if (opts.full) {
        const r = await mmd2(A.features, B.features, { ...k, threads: ctx.threads, onProgress: (d, t) => bar.update(d, t) });
        bar.stop();
        reportInputs(ctx, inputs);
        ctx.print({ mmd2: r.mmd2, estimator: r.estimator, kernel: r.kernel, sizes: r.sizes, inputs }, [
          `MMD² (${r.estimator}, full sets of ${r.sizes[0]} and ${r.sizes[1]}, ${r.kernel.kernel} kernel): ${r.mmd2}`,
        ]);
        return;
      }
      const r = await kid(A.features, B.features, { ...k, threads: ctx.threads, onProgress: (d, t) => bar.update(d, t) });
      bar.stop();
      reportInputs(ctx, inputs, r);
      ctx.print({ ...kidJson(r), inputs }, [kidLine(r)]);
    } finally {
      bar.stop();
    }
  });
}
