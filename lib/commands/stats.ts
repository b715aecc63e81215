import { OptionError } from '../errors';
import { classifyInput, loadStatistics, type InputProvenance } from '../inputs';
import { readSidecar, requireSameOrigin, type Preprocessing } from '../network/meta';
import { mergeInputs } from '../stats/merge';
import type { RunningMoments } from '../stats/moments';
import { writePartial, writeStatistics } from '../stats/statistics';
import { defineCommand, type OptionSpec, type Reporter } from './descriptor';
import { featureOptions, networkOptions, threadsOf, threadsOption, warnSkipped, withProgress, type NetworkOptions } from './common';

export interface StatsOptions extends NetworkOptions {
  output: string;
  partial: boolean;
}

export interface StatsCommandResult {
  output: string;
  kind: 'statistics' | 'partial-statistics';
  count: number;
  dims: number;
  inputs: (string | InputProvenance)[];
}

const outputOption: OptionSpec = { key: 'output', short: 'o', type: 'string', required: true, output: true, help: 'statistics file to write (.npz)', valueName: '<file>' };

/** The preprocessing recorded beside feature shards, when every shard has the same; refuses mixed ones. */
function commonPreprocessing(sources: string[]): Preprocessing | undefined {
  const known = sources.map((p) => ({ path: p, preprocessing: p.toLowerCase().endsWith('.npy') ? readSidecar(p) : undefined }));
  for (let i = 1; i < known.length; i++) requireSameOrigin(known[0], known[i]);
  return known.every((k) => k.preprocessing) ? known[0].preprocessing : undefined;
}

/** Merges features/partial statistics and writes finished statistics (mu, sigma, n) or the mergeable sums. */
async function writeMoments(sources: string[], o: StatsOptions, reporter: Reporter): Promise<StatsCommandResult> {
  const threads = threadsOf(o, reporter);
  const preprocessing = o.partial ? undefined : commonPreprocessing(sources);
  const moments: RunningMoments = await withProgress(reporter, 'moments', 'rows', (bar) =>
    mergeInputs(sources, { threads, onProgress: (d, t) => bar.update(d, t) }),
  );
  if (o.partial) {
    writePartial(o.output, moments.toPartial());
  } else {
    if (moments.count >= 2 && moments.count < moments.dims) reporter.warn(`${moments.count} samples < ${moments.dims} dimensions: the covariance is singular`);
    writeStatistics(o.output, { ...moments.finalize(), preprocessing });
  }
  return { output: o.output, kind: o.partial ? 'partial-statistics' : 'statistics', count: moments.count, dims: moments.dims, inputs: sources };
}

export const statsCommand = defineCommand<StatsOptions, StatsCommandResult>({
  name: 'stats',
  summary: 'mean and covariance of images or features (.npy) as pytorch-fid statistics (.npz: mu, sigma)',
  example: 'stats real/ -o real_stats.npz',
  inputs: [{ name: 'input', help: 'image folder/file/uint8 array, or features .npy (N x D)' }],
  options: [
    outputOption,
    { key: 'partial', type: 'boolean', default: false, help: 'write mergeable partial statistics (count, shift, sums) instead of mu/sigma' },
    ...networkOptions,
    threadsOption,
  ],
  check([input], o) {
    if (o.partial && classifyInput(input) === 'images') {
      throw new OptionError('partial', 'image inputs give finished statistics; write features with the features command and merge those');
    }
  },
  async run([input], o, reporter) {
    if (classifyInput(input) !== 'images') return writeMoments([input], o, reporter);
    // Images: through the Inception network, with the mode and network recorded in the .npz.
    const threads = threadsOf(o, reporter);
    const { stats, provenance } = await withProgress(reporter, 'features', 'img', (net) =>
      withProgress(reporter, 'moments', 'rows', (bar) =>
        loadStatistics(input, { threads, onWarning: (m) => reporter.warn(m), onProgress: (d, t) => bar.update(d, t), network: featureOptions(o, reporter, threads, net) }),
      ),
    );
    warnSkipped(reporter, input, provenance.images?.skipped ?? []);
    writeStatistics(o.output, stats);
    return { output: o.output, kind: 'statistics', count: stats.count!, dims: stats.dims, inputs: [provenance] };
  },
});

export interface MergeOptions {
  output: string;
  partial: boolean;
  threads?: number;
}

export const mergeCommand = defineCommand<MergeOptions, StatsCommandResult>({
  name: 'stats merge',
  summary: 'merge shards (partial statistics .npz or features .npy) into statistics of their union',
  example: 'stats merge part1.npz part2.npz features3.npy -o all.npz',
  inputs: [{ name: 'parts', help: 'partial statistics or features files', variadic: true }],
  options: [outputOption, { key: 'partial', type: 'boolean', default: false, help: 'write merged partial statistics instead of mu/sigma' }, threadsOption],
  run: (parts, o, reporter) => writeMoments(parts, { ...o } as StatsOptions, reporter),
});
