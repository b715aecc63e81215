/**
 * Reading only some rows of a features .npy: what KID needs from a file far larger than its
 * subsets (100 subsets of 1000 touch at most 100 000 rows of a file of any length).
 */
import { GenmetricsError } from './errors';
import { openFeatureFile, type FeatureMatrix } from './features';
import { requireMemory } from './io/memory';
import { native, type FeatureData } from './native';

/** The distinct rows of `draws` in increasing order, and `draws` renumbered into that list. */
export function compactRows(draws: Uint32Array): { rows: Uint32Array; remapped: Uint32Array } {
  let top = 0;
  for (let i = 0; i < draws.length; i++) if (draws[i] > top) top = draws[i];
  // position[r]: 1 + the index of row r in `rows` (0: not drawn); one pass marks, one numbers.
  const position = new Uint32Array(draws.length ? top + 1 : 0);
  for (let i = 0; i < draws.length; i++) position[draws[i]] = 1;
  let count = 0;
  for (let r = 0; r < position.length; r++) if (position[r]) position[r] = ++count;
  const rows = new Uint32Array(count);
  for (let r = 0; r < position.length; r++) if (position[r]) rows[position[r] - 1] = r;
  const remapped = new Uint32Array(draws.length);
  for (let i = 0; i < draws.length; i++) remapped[i] = position[draws[i]] - 1;
  return { rows, remapped };
}

/** Calls `visit(first, count, at)` for each run of consecutive values of `rows` (sorted, distinct); `at`: its index in `rows`. */
function forEachRun(rows: Uint32Array, visit: (first: number, count: number, at: number) => void): void {
  for (let i = 0; i < rows.length; ) {
    let j = i + 1;
    while (j < rows.length && rows[j] === rows[j - 1] + 1) j++;
    visit(rows[i], j - i, i);
    i = j;
  }
}

function nonFinite(file: string, row: number, column: number): GenmetricsError {
  return new GenmetricsError(`${file}: non-finite value (NaN or Inf) at row ${row}, column ${column}`);
}

/** Rows and dimension of a features .npy, from its header. */
export function featureFileShape(file: string): { rows: number; dims: number } {
  const reader = openFeatureFile(file);
  reader.close();
  return { rows: reader.rows, dims: reader.cols };
}

/**
 * Rows `rows` (sorted, distinct) of a 2-D float features .npy as a matrix of rows.length rows,
 * read in runs of consecutive rows; a non-finite value is reported with its row in the file.
 */
export function readFeatureRows(file: string, rows: Uint32Array): FeatureMatrix {
  const reader = openFeatureFile(file);
  try {
    return readRowsFrom(reader, file, rows);
  } finally {
    reader.close();
  }
}

function readRowsFrom(reader: ReturnType<typeof openFeatureFile>, file: string, rows: Uint32Array): FeatureMatrix {
  const d = reader.cols;
  // Huge-page memory: the read fills it at once, and 4 KiB page faults would cost more than the copy.
  const count = rows.length * d;
  const f32 = reader.dtype === 'float32';
  requireMemory(count * (f32 ? 4 : 8), file, `${rows.length} x ${d} ${reader.dtype}`);
  const buffer = native().hugeArrayBuffer(count * (f32 ? 4 : 8));
  const data: FeatureData = f32 ? new Float32Array(buffer, 0, count) : new Float64Array(buffer, 0, count);
  forEachRun(rows, (first, count, at) => reader.readInto(first, count, data, at * d));
  const bad = native().firstNonFinite(data);
  if (bad >= 0) throw nonFinite(file, rows[Math.floor(bad / d)], bad % d);
  return { data, rows: rows.length, dims: d, source: file };
}

/**
 * The rows that `draws` index in a 2-D float features .npy, as a matrix, with `draws` numbered for
 * it. When the draws touch at least half of the file's rows (KID's 100 x 1000 from up to 200 000),
 * the file's data is mapped whole from the page cache (native mapFile) and `draws` is kept as it
 * is: no copy and no fresh memory. Otherwise, or where mapping is not possible, only the drawn rows
 * are read (readFeatureRows). Either way the drawn rows are checked for NaN and Inf.
 */
export function readDrawnRows(file: string, draws: Uint32Array): { matrix: FeatureMatrix; draws: Uint32Array } {
  const compact = compactRows(draws);
  const reader = openFeatureFile(file);
  try {
    const f32 = reader.dtype === 'float32';
    const item = f32 ? 4 : 8;
    const offset = reader.rawOffset;
    const count = reader.rows * reader.cols;
    const buffer = offset !== undefined && offset % item === 0 && 2 * compact.rows.length >= reader.rows ? native().mapFile(file, offset + count * item) : null;
    if (!buffer) return { matrix: readRowsFrom(reader, file, compact.rows), draws: compact.remapped };
    const data: FeatureData = f32 ? new Float32Array(buffer, offset, count) : new Float64Array(buffer, offset, count);
    const d = reader.cols;
    forEachRun(compact.rows, (first, rows) => {
      const bad = native().firstNonFinite(data.subarray(first * d, (first + rows) * d));
      if (bad >= 0) throw nonFinite(file, first + Math.floor(bad / d), bad % d);
    });
    return { matrix: { data, rows: reader.rows, dims: d, source: file }, draws };
  } finally {
    reader.close();
  }
}
