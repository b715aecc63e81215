import * as path from 'path';
import { GenmetricsError } from '../errors';
import { momentsFromFeatureFile, type StreamOptions } from './features';
import { RunningMoments } from './moments';
import { readStatisticsFile } from './statistics';

/**
 * Running moments of one input: a features `.npy` (streamed) or a partial-statistics `.npz`.
 * Plain `mu`/`sigma` files cannot be merged: they do not keep the sums.
 */
export async function momentsFromInput(file: string, options: StreamOptions = {}): Promise<RunningMoments> {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.npy') return momentsFromFeatureFile(file, options);
  if (ext === '.npz') {
    const f = readStatisticsFile(file);
    if (f.kind !== 'partial') {
      throw new GenmetricsError(
        `${file}: holds finished statistics (mu, sigma), which cannot be merged; write shards as partial statistics (the stats command's partial option)`,
      );
    }
    return RunningMoments.fromPartial(f.partial);
  }
  throw new GenmetricsError(`${file}: unsupported input type '${ext || '(none)'}'; expected features (.npy) or partial statistics (.npz)`);
}

/** Merges shards (features or partial statistics) into one accumulator. */
export async function mergeInputs(files: string[], options: StreamOptions = {}): Promise<RunningMoments> {
  if (files.length === 0) throw new GenmetricsError('nothing to merge: no input files given');
  let total: RunningMoments | undefined;
  for (const file of files) {
    const m = await momentsFromInput(file, options);
    if (!total) {
      total = m;
      continue;
    }
    if (m.dims !== total.dims) {
      throw new GenmetricsError(`${file}: ${m.dims}-d statistics cannot be merged with ${files[0]} (${total.dims}-d)`);
    }
    total.merge(m);
  }
  return total!;
}
