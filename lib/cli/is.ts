import type { Command } from 'commander';
import { inceptionScoreOf } from '../metrics/logits';
import { makeContext, parseInteger } from './context';
import { networkOptions, warnSkipped, withNetworkOptions, type NetworkCliOptions } from './network';
import { withCommonOptions } from './options';

interface IsOptions extends NetworkCliOptions {
  splits: string;
  shuffle: boolean;
  seed: string;
}

export function registerIs(program: Command): void {
  withNetworkOptions(
    withCommonOptions(
      program
        .command('is')
        .description(
          "Inception Score of images or logits (.npy, N x C), torch-fidelity's conventions: logits_unbiased, 10 splits, rows shuffled with NumPy's RandomState(2020)",
        )
        .argument('<input>', 'image folder/file/uint8 array, or logits .npy (N x C)')
        .option('--splits <k>', 'number of splits', '10')
        .option('--no-shuffle', 'keep the row order (the OpenAI/TTUR reference)')
        .option('--seed <n>', "seed of NumPy's legacy RandomState for the shuffle", '2020'),
    ),
  ).action(async (input: string, opts: IsOptions) => {
    const ctx = makeContext(opts);
    const splits = parseInteger(opts.splits, '--splits', 1);
    const seed = parseInteger(opts.seed, '--seed', 0);
    const network = networkOptions(opts, ctx, 'features');
    let r;
    try {
      r = await inceptionScoreOf(input, { splits, shuffle: opts.shuffle, seed, network });
    } finally {
      network.done();
    }
    const skipped = r.images?.skipped ?? [];
    warnSkipped(ctx, input, skipped);
    ctx.print(
      {
        inception_score: { mean: r.mean, std: r.std },
        splits: r.splits,
        shuffle: r.shuffle,
        seed: r.shuffle ? r.seed : null,
        count: r.count,
        per_split: r.perSplit,
        ...(r.images
          ? { input: { path: input, kind: 'images', images: r.images.source.images, mode: r.images.mode, model: r.images.model, skipped, cached: r.images.cached } }
          : { input: { path: input, kind: 'logits' } }),
      },
      [`Inception Score: ${r.mean} ± ${r.std} (${r.splits} splits of ${r.count} samples${r.shuffle ? `, shuffled with seed ${r.seed}` : ''})`],
    );
  });
}
