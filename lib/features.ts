import * as path from 'path';
import { GenmetricsError } from './errors';
import { NpyRowReader } from './io/npy';
import { native, type FeatureData } from './native';

/** A set of feature vectors in memory: `rows` x `dims`, row-major, float32 or float64. */
export interface FeatureMatrix {
  data: FeatureData;
  rows: number;
  dims: number;
  /** Where it came from, for error messages. */
  source: string;
}

/** Wraps an array as a matrix, checking its shape and that every value is finite. */
export function featureMatrix(data: FeatureData, rows: number, source = '<memory>'): FeatureMatrix {
  if (!Number.isInteger(rows) || rows < 1 || data.length % rows !== 0 || data.length === 0) {
    throw new GenmetricsError(`${source}: ${data.length} values are not a whole number of rows (rows = ${rows})`);
  }
  const dims = data.length / rows;
  const bad = native().firstNonFinite(data);
  if (bad >= 0) {
    throw new GenmetricsError(`${source}: non-finite value (NaN or Inf) at row ${Math.floor(bad / dims)}, column ${bad % dims}`);
  }
  return { data, rows, dims, source };
}

/** A reader of a 2-D, non-empty float32/float64 features .npy (samples x dims); the caller closes it. */
export function openFeatureFile(file: string): NpyRowReader {
  const reader = new NpyRowReader(file);
  try {
    if (reader.dtype !== 'float32' && reader.dtype !== 'float64') {
      throw new GenmetricsError(`${file}: expected float32 or float64 features, got ${reader.dtype}`);
    }
    if (reader.rows === 0 || reader.cols === 0) {
      throw new GenmetricsError(`${file}: empty feature array, shape (${reader.rows}, ${reader.cols})`);
    }
    return reader;
  } catch (err) {
    reader.close();
    throw err;
  }
}

/** The file (absolute) and byte offset whose bytes an array read by readFeatureMatrix holds verbatim. */
const origins = new WeakMap<FeatureData, { file: string; offset: number }>();

/** A 2-D float32/float64 features .npy (samples x dims), read whole. */
export function readFeatureMatrix(file: string): FeatureMatrix {
  const reader = openFeatureFile(file);
  try {
    const m = featureMatrix(reader.read(0, reader.rows) as FeatureData, reader.rows, file);
    if (reader.rawOffset !== undefined) origins.set(m.data, { file: path.resolve(file), offset: reader.rawOffset });
    return m;
  } finally {
    reader.close();
  }
}

/**
 * Where `data`'s bytes lie verbatim in a file (a .npy in C order read whole by readFeatureMatrix,
 * the array not replaced since): lets a reader elsewhere (a scale-out worker) read them from there.
 */
export function featureOrigin(data: FeatureData): { file: string; offset: number } | undefined {
  return origins.get(data);
}

/** Refuses two sets of different dimension. */
export function requireSameDims(a: Pick<FeatureMatrix, 'dims' | 'source'>, b: Pick<FeatureMatrix, 'dims' | 'source'>): void {
  if (a.dims !== b.dims) {
    throw new GenmetricsError(`dimension mismatch: ${a.source} is ${a.dims}-d, ${b.source} is ${b.dims}-d`);
  }
}
