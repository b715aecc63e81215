import { inputError } from '../errors';
import { openFeatureFile } from '../features';
import { memoryLimit } from '../io/memory';
import { RunningMoments } from './moments';

export interface StreamOptions {
  threads?: number;
  /** Called after each block with (rows done, total rows). */
  onProgress?: (done: number, total: number) => void;
  /** Bytes read per block (default 64 MiB, or a quarter of the memory limit when that is lower). */
  blockBytes?: number;
}

/** Streams a 2-D float32/float64 features `.npy` (samples x dims) into running moments. */
export async function momentsFromFeatureFile(file: string, options: StreamOptions = {}): Promise<RunningMoments> {
  const reader = openFeatureFile(file);
  try {
    const moments = new RunningMoments(reader.cols);
    const itemBytes = reader.dtype === 'float32' ? 4 : 8;
    const blockBytes = options.blockBytes ?? Math.min(64 << 20, Math.floor(memoryLimit() / 4));
    const blockRows = Math.max(1, Math.floor(blockBytes / (reader.cols * itemBytes)));
    for (let start = 0; start < reader.rows; start += blockRows) {
      const batch = reader.read(start, blockRows) as Float32Array | Float64Array;
      try {
        await moments.update(batch, { threads: options.threads, firstRow: start });
      } catch (err) {
        throw inputError(file, err);
      }
      options.onProgress?.(Math.min(start + blockRows, reader.rows), reader.rows);
    }
    return moments;
  } finally {
    reader.close();
  }
}
