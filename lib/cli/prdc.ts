import type { Command } from 'commander';
import { prdc } from '../metrics/prdc';
import { makeContext } from './context';
import { withNetworkOptions, type NetworkCliOptions } from './network';
import { withCommonOptions } from './options';
import { loadPair, ORDER_NOTE, phaseProgress, prdcJson, prdcLines, prdcOptions, reportInputs, withPrdcOptions, type PrdcCliOptions } from './pairwise';

export function registerPrdc(program: Command): void {
  withNetworkOptions(
    withPrdcOptions(
      withCommonOptions(
        program
          .command('prdc')
          .description(
            `Precision, recall (k=3, d <= r: torch-fidelity/Kynkäänniemi), density and coverage (k=5, d < r: prdc) between two image inputs or features .npy; ${ORDER_NOTE}`,
          )
          .argument('<a>', 'generated set: image folder/file/uint8 array or features .npy (N x D)')
          .argument('<b>', 'reference set: same kinds'),
      ),
    ),
  ).action(async (a: string, b: string, opts: NetworkCliOptions & PrdcCliOptions) => {
    const ctx = makeContext(opts);
    const p = prdcOptions(opts);
    const [A, B] = await loadPair(a, b, opts, ctx, 'precision/recall and density/coverage need');
    const bars = phaseProgress(ctx, 'tiles');
    let r;
    try {
      r = await prdc(A.features, B.features, { ...p, threads: ctx.threads, onProgress: bars.update });
    } finally {
      bars.stop();
    }
    const inputs = [A.provenance, B.provenance];
    reportInputs(ctx, inputs);
    ctx.print({ ...prdcJson(r), inputs }, prdcLines(r));
  });
}
