import * as path from 'path';
import { GenmetricsError, inputError } from './errors';
import { momentsFromFeatureFile, type StreamOptions } from './stats/features';
import { RunningMoments } from './stats/moments';
import { requireFile } from './io/paths';
import { readStatisticsFile, type Statistics } from './stats/statistics';

/** What an input path held, carried with every result. */
export interface InputProvenance {
  path: string;
  kind: 'features' | 'statistics' | 'partial-statistics';
  dims: number;
  count?: number;
}

export interface LoadOptions extends StreamOptions {
  /** Receives notices such as "fewer samples than dimensions". */
  onWarning?: (message: string) => void;
}

function inputKind(file: string): 'npy' | 'npz' {
  requireFile(file, 'features (.npy) or statistics (.npz)');
  const ext = path.extname(file).toLowerCase();
  if (ext === '.npy') return 'npy';
  if (ext === '.npz') return 'npz';
  throw new GenmetricsError(`${file}: unsupported input type '${ext || '(none)'}'; expected features (.npy) or statistics (.npz)`);
}

/** finalize(), with the file named in its error (e.g. fewer than 2 samples). */
function finalizeFor(file: string, moments: RunningMoments): Statistics {
  try {
    return moments.finalize();
  } catch (err) {
    throw inputError(file, err);
  }
}

/** Gaussian statistics of an input: features `.npy` (streamed), statistics or partial statistics `.npz`. */
export async function loadStatistics(file: string, options: LoadOptions = {}): Promise<{ stats: Statistics; provenance: InputProvenance }> {
  const kind = inputKind(file);
  let stats: Statistics;
  let provenance: InputProvenance;
  if (kind === 'npy') {
    stats = finalizeFor(file, await momentsFromFeatureFile(file, options));
    provenance = { path: file, kind: 'features', dims: stats.dims, count: stats.count };
  } else {
    const f = readStatisticsFile(file);
    if (f.kind === 'partial') {
      stats = finalizeFor(file, RunningMoments.fromPartial(f.partial));
      provenance = { path: file, kind: 'partial-statistics', dims: stats.dims, count: stats.count };
    } else {
      stats = f.stats;
      provenance = { path: file, kind: 'statistics', dims: stats.dims, count: stats.count };
    }
  }
  if (stats.count !== undefined && stats.count < stats.dims) {
    options.onWarning?.(
      `${file}: ${stats.count} samples < ${stats.dims} dimensions: the covariance is singular and FID is biased and unstable (use at least ${stats.dims}, ideally 10 000+ samples)`,
    );
  }
  return { stats, provenance };
}
