import type { Command } from 'commander';
import { GenmetricsError } from '../errors';
import { classifyInput, loadStatistics } from '../inputs';
import { readSidecar, requireSameOrigin, type Preprocessing } from '../network/meta';
import type { RunningMoments } from '../stats/moments';
import { mergeInputs } from '../stats/merge';
import { writePartial, writeStatistics } from '../stats/statistics';
import { makeContext, type CommandContext, type CommonOptions } from './context';
import { networkOptions, warnSkipped, withNetworkOptions, type NetworkCliOptions } from './network';
import { withCommonOptions } from './options';

interface StatsOptions extends NetworkCliOptions {
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
    writeStatistics(out, { ...moments.finalize(), preprocessing: commonPreprocessing(sources) });
  }
  ctx.print(
    { output: out, kind: opts.partial ? 'partial-statistics' : 'statistics', count: moments.count, dims: moments.dims, inputs: sources },
    [`wrote ${opts.partial ? 'partial statistics' : 'statistics'} of ${moments.count} samples x ${moments.dims} dims to ${out}`],
  );
}

/** The preprocessing recorded beside feature shards, when every shard has the same; refuses mixed ones. */
function commonPreprocessing(sources: string[]): Preprocessing | undefined {
  const known = sources.map((p) => ({ path: p, preprocessing: p.toLowerCase().endsWith('.npy') ? readSidecar(p) : undefined }));
  for (let i = 1; i < known.length; i++) requireSameOrigin(known[0], known[i]);
  return known.every((k) => k.preprocessing) ? known[0].preprocessing : undefined;
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

/** Statistics of images through the Inception network, with the mode and network recorded in the .npz. */
async function runImages(input: string, opts: StatsOptions): Promise<void> {
  const ctx = makeContext(opts);
  if (!opts.output) throw new GenmetricsError('-o/--output is required');
  if (opts.partial) throw new GenmetricsError('--partial: write features with \'genmetrics features\' and merge those; image inputs give finished statistics');
  const network = networkOptions(opts, ctx, 'features');
  const bar = ctx.progress('moments', 'rows');
  let loaded;
  try {
    loaded = await loadStatistics(input, { threads: ctx.threads, onWarning: ctx.warn, onProgress: (d, t) => bar.update(d, t), network });
  } finally {
    bar.stop();
    network.done();
  }
  const { stats, provenance } = loaded;
  warnSkipped(ctx, input, provenance.images?.skipped ?? []);
  writeStatistics(opts.output, stats);
  ctx.print(
    { output: opts.output, kind: 'statistics', count: stats.count, dims: stats.dims, inputs: [provenance] },
    [`wrote statistics of ${stats.count} images x ${stats.dims} dims (${provenance.preprocessing!.mode}) to ${opts.output}`],
  );
}

export function registerStats(program: Command): void {
  const stats = withNetworkOptions(
    withCommonOptions(
      program
        .command('stats')
        .enablePositionalOptions()
        .description('mean and covariance of images or features (.npy) as pytorch-fid statistics (.npz: mu, sigma)')
        .argument('[input]', 'image folder/file/uint8 array, or features .npy (N x D)')
        .option('-o, --output <file>', 'statistics file to write (.npz)')
        .option('--partial', 'write mergeable partial statistics (count, shift, sums) instead of mu/sigma'),
    ),
  ).action(async (input: string | undefined, opts: StatsOptions) => {
    if (!input) throw new GenmetricsError("stats: missing input (or use 'stats merge PART... -o OUT')");
    if (classifyInput(input) === 'images') await runImages(input, opts);
    else await run([input], opts);
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
