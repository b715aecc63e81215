/**
 * Reading only some rows of a features .npy: what KID needs from a file far larger than its
 * subsets (100 subsets of 1000 touch at most 100 000 rows of a file of any length).
 */
import { GenmetricsError } from './errors';
import { openFeatureFile, type FeatureMatrix } from './features';
import type { FeatureData } from './native';

/** The distinct rows of `draws` in increasing order, and `draws` renumbered into that list. */
export function compactRows(draws: Uint32Array): { rows: Uint32Array; remapped: Uint32Array } {
  const rows = Uint32Array.from(new Set(draws)).sort();
  const position = new Map<number, number>();
  rows.forEach((r, i) => position.set(r, i));
  return { rows, remapped: Uint32Array.from(draws, (r) => position.get(r)!) };
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
    const d = reader.cols;
    const data: FeatureData = reader.dtype === 'float32' ? new Float32Array(rows.length * d) : new Float64Array(rows.length * d);
    for (let i = 0; i < rows.length; ) {
      let j = i + 1;
      while (j < rows.length && rows[j] === rows[j - 1] + 1) j++;
      const block = reader.read(rows[i], j - i) as FeatureData;
      for (let k = 0; k < block.length; k++) {
        if (!Number.isFinite(block[k])) {
          throw new GenmetricsError(`${file}: non-finite value (NaN or Inf) at row ${rows[i] + Math.floor(k / d)}, column ${k % d}`);
        }
      }
      data.set(block, i * d);
      i = j;
    }
    return { data, rows: rows.length, dims: d, source: file };
  } finally {
    reader.close();
  }
}
