import type { Command } from 'commander';
import { GenmetricsError } from '../errors';
import type { RunningMoments } from '../stats/moments';
import { mergeInputs } from '../stats/merge';
import { writePartial, writeStatistics } from '../stats/statistics';
import { makeContext, type CommandContext, type CommonOptions } from './context';
import { withCommonOptions } from './options';

interface StatsOptions extends CommonOptions {
  output?: string;
  partial?: boolean;
}

/** Writes finished statistics (mu, sigma, n) or, with --partial, the mergeable sums. */
function writeResult(ctx: CommandContext, moments: RunningMoments, opts: StatsOptions, sources: string[]): void {
  const out = opts.output!;
  if (opts.partial) {
    writePartial(out, moments.toPartial());
  } else {
    if (moments.count >= 2 && moments.count < moments.dims) {
      ctx.warn(`${moments.count} samples < ${moments.dims} dimensions: the covariance is singular`);
    }
    writeStatistics(out, moments.finalize());
  }
  ctx.print(
    { output: out, kind: opts.partial ? 'partial-statistics' : 'statistics', count: moments.count, dims: moments.dims, inputs: sources },
    [`wrote ${opts.partial ? 'partial statistics' : 'statistics'} of ${moments.count} samples x ${moments.dims} dims to ${out}`],
  );
}

async function run(inputs: string[], opts: StatsOptions): Promise<void> {
  const ctx = makeContext(opts);
  if (!opts.output) throw new GenmetricsError('-o/--output is required');
  const bar = ctx.progress('moments', 'rows');
  let moments: RunningMoments;
  try {
    moments = await mergeInputs(inputs, { threads: ctx.threads, onProgress: (d, t) => bar.update(d, t) });
  } finally {
    bar.stop();
  }
  writeResult(ctx, moments, opts, inputs);
}

export function registerStats(program: Command): void {
  const stats = withCommonOptions(
    program
      .command('stats')
      .enablePositionalOptions()
      .description('mean and covariance of features (.npy) as pytorch-fid statistics (.npz: mu, sigma)')
      .argument('[features]', 'features .npy (N x D)')
      .option('-o, --output <file>', 'statistics file to write (.npz)')
      .option('--partial', 'write mergeable partial statistics (count, shift, sums) instead of mu/sigma'),
  ).action(async (features: string | undefined, opts: StatsOptions) => {
    if (!features) throw new GenmetricsError("stats: missing features file (or use 'stats merge PART... -o OUT')");
    await run([features], opts);
  });
  withCommonOptions(
    stats
      .command('merge')
      .description('merge shards (partial statistics .npz or features .npy) into statistics of their union')
      .argument('<parts...>', 'partial statistics or features files')
      .option('-o, --output <file>', 'statistics file to write (.npz)')
      .option('--partial', 'write merged partial statistics instead of mu/sigma'),
  ).action(async (parts: string[], opts: StatsOptions) => run(parts, opts));
}
