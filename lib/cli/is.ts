import type { Command } from 'commander';
import { inceptionScoreFromFile } from '../metrics/logits';
import { makeContext, parseInteger, type CommonOptions } from './context';
import { withCommonOptions } from './options';

interface IsOptions extends CommonOptions {
  splits: string;
  shuffle: boolean;
  seed: string;
}

export function registerIs(program: Command): void {
  withCommonOptions(
    program
      .command('is')
      .description("Inception Score from logits (.npy, N x C), torch-fidelity's conventions: 10 splits, rows shuffled with NumPy's RandomState(2020)")
      .argument('<logits>', 'logits .npy (N x C)')
      .option('--splits <k>', 'number of splits', '10')
      .option('--no-shuffle', 'keep the row order (the OpenAI/TTUR reference)')
      .option('--seed <n>', "seed of NumPy's legacy RandomState for the shuffle", '2020'),
  ).action(async (file: string, opts: IsOptions) => {
    const ctx = makeContext(opts);
    const splits = parseInteger(opts.splits, '--splits', 1);
    const seed = parseInteger(opts.seed, '--seed', 0);
    const r = inceptionScoreFromFile(file, { splits, shuffle: opts.shuffle, seed });
    ctx.print(
      {
        inception_score: { mean: r.mean, std: r.std },
        splits: r.splits,
        shuffle: r.shuffle,
        seed: r.shuffle ? r.seed : null,
        count: r.count,
        per_split: r.perSplit,
      },
      [`Inception Score: ${r.mean} ± ${r.std} (${r.splits} splits of ${r.count} samples${r.shuffle ? `, shuffled with seed ${r.seed}` : ''})`],
    );
  });
}
