/**
 * Memorisation: every generated sample's k nearest training samples (exact Euclidean k-NN, the
 * training set streamed in chunks so memory stays bounded at 50k x 1M), a copy threshold calibrated
 * on the training set's own nearest-neighbour distances, and which samples fall under it.
 *
 * The threshold: for up to CALIBRATION_ROWS training samples (drawn with RandomState(0)), the
 * distance to their nearest other training sample; the threshold is `ratio` (default 1/3) times
 * the median of those distances, the relative criterion of Carlini et al. 2023 ("Extracting
 * Training Data from Diffusion Models", sec. 4: a generation is a copy when its distance to a
 * training image is under a third of that image's typical neighbour distance), here with one
 * typical distance for the whole set. A generated sample is a copy when its nearest training
 * sample lies strictly closer than the threshold.
 */
import { GenmetricsError } from './errors';
import { readFeatureRows } from './feature-rows';
import { openFeatureFile } from './features';
import { toRgb } from './pictures/grid';
import type { ImageSource } from './images/sources';
import type { DecodedImage } from './images/preprocess';
import { native } from './native';
import { LegacyRandomState } from './random/mt19937';

/** Rows of a set read in chunks: features from a file, or pixels of images. */
export interface RowSource {
  rows: number;
  dims: number;
  read(start: number, count: number): Promise<Float32Array | Float64Array>;
  /** Rows by index (for the calibration subset). */
  readRows(rows: Uint32Array): Promise<Float32Array | Float64Array>;
}

export interface Neighbour {
  index: number;
  distance: number;
}

export const CALIBRATION_ROWS = 10_000;
export const CALIBRATION_SEED = 0;
/** Training rows per chunk of the k-NN pass. */
export const CHUNK_ROWS = 65_536;

export interface KnnOptions {
  threads?: number;
  precision?: 'float32' | 'float64';
  /** Rows of the training set per chunk (default CHUNK_ROWS). */
  chunk?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Merges a chunk's k-NN lists (indices relative to `offset`) into the running lists, by (distance, index). */
function mergeInto(best: Neighbour[][], found: { index: Float64Array; distance: Float64Array }, k: number, offset: number): void {
  for (let r = 0; r < best.length; r++) {
    const merged = best[r].slice();
    for (let q = 0; q < k; q++) {
      const j = found.index[r * k + q];
      if (j >= 0) merged.push({ index: offset + j, distance: found.distance[r * k + q] });
    }
    merged.sort((p, q) => p.distance - q.distance || p.index - q.index);
    best[r] = merged.slice(0, k);
  }
}

/** Query rows per block: the queries are read block by block, the training set once per block. */
export const QUERY_ROWS = 16_384;

/** The k nearest rows of `train` to each row of `queries`, ascending, exact. */
export async function nearestInSource(queries: RowSource, train: RowSource, k: number, o: KnnOptions = {}): Promise<Neighbour[][]> {
  if (queries.dims !== train.dims) throw new GenmetricsError(`the generated samples have ${queries.dims} values each, the training samples ${train.dims}`);
  const out: Neighbour[][] = [];
  const chunk = o.chunk ?? CHUNK_ROWS;
  const total = Math.ceil(queries.rows / QUERY_ROWS) * train.rows;
  let done = 0;
  for (let q0 = 0; q0 < queries.rows; q0 += QUERY_ROWS) {
    const n = Math.min(QUERY_ROWS, queries.rows - q0);
    const block = await queries.read(q0, n);
    const best: Neighbour[][] = Array.from({ length: n }, () => []);
    for (let start = 0; start < train.rows; start += chunk) {
      const count = Math.min(chunk, train.rows - start);
      const rows = await train.read(start, count);
      const found = await native().nearestNeighbours(block, n, rows, count, k, { threads: o.threads, precision: o.precision ?? 'float32' });
      mergeInto(best, found, k, start);
      o.onProgress?.((done += count), total);
    }
    out.push(...best);
  }
  return out;
}

/** The rows as they are, or an error naming the file, row and column of a NaN or infinity. */
function finiteRows<T extends Float32Array | Float64Array>(data: T, cols: number, rowOf: (k: number) => number, file = ''): T {
  const at = native().firstNonFinite(data);
  if (at >= 0) throw new GenmetricsError(`${file}non-finite value (NaN or Inf) at row ${rowOf(Math.floor(at / cols))}, column ${at % cols}`);
  return data;
}

/** A features .npy as a row source. */
export function featureFileRows(file: string): RowSource {
  const reader = openFeatureFile(file);
  const { rows, cols } = reader;
  reader.close();
  return {
    rows,
    dims: cols,
    async read(start, count) {
      const r = openFeatureFile(file);
      try {
        return finiteRows(r.read(start, count) as Float32Array | Float64Array, cols, (k) => start + k, `${file}: `);
      } finally {
        r.close();
      }
    },
    async readRows(picked) {
      return finiteRows(readFeatureRows(file, picked).data, cols, (k) => picked[k], `${file}: `);
    },
  };
}

/** Images as rows of their RGB values (0..255, H x W x 3); every image must have the size of the first. */
export async function pixelRows(source: ImageSource): Promise<RowSource> {
  const first = source.loadBatch ? (await source.loadBatch(0, 1))[0] : await source.load(0);
  const { width, height } = first;
  const dims = width * height * 3;
  const toRow = (img: DecodedImage, i: number, out: Float32Array, at: number) => {
    if (img.width !== width || img.height !== height) {
      throw new GenmetricsError(`${source.name(i)}: ${img.width} x ${img.height} px, the first image is ${width} x ${height}: pixel space needs images of one size (space inception compares any sizes)`);
    }
    out.set(toRgb(img).data, at * dims);
  };
  return {
    rows: source.count,
    dims,
    async read(start, count) {
      // (A generator source restarts its stream when asked for sample 0 again, after the probe.)
      const images = source.loadBatch ? await source.loadBatch(start, count) : await Promise.all(Array.from({ length: count }, (_, k) => source.load(start + k)));
      const out = new Float32Array(count * dims);
      images.forEach((img, k) => toRow(img, start + k, out, k));
      return out;
    },
    async readRows(picked) {
      const out = new Float32Array(picked.length * dims);
      const images = await Promise.all(Array.from(picked, (i) => source.load(i)));
      images.forEach((img, k) => toRow(img, picked[k], out, k));
      return out;
    },
  };
}

export interface Calibration {
  /** Training rows whose nearest other training row was measured. */
  rows: number;
  median: number;
  ratio: number;
  threshold: number;
}

/** Another distance (LPIPS) ordering each query's candidates: the lists re-sorted by it, its values as distances. */
export type Rerank = (queries: ArrayLike<number>, lists: Neighbour[][]) => Promise<Neighbour[][]>;

export interface CalibrationOptions extends KnnOptions {
  /** Training rows measured (default CALIBRATION_ROWS). */
  maxRows?: number;
  /** With rerank: the candidates (nearest in the rows' space) it orders. */
  candidates?: number;
  rerank?: Rerank;
}

/** The copy threshold from the training set's own nearest-neighbour distances (see above). */
export async function calibrateThreshold(train: RowSource, ratio: number, o: CalibrationOptions = {}): Promise<Calibration> {
  if (train.rows < 2) throw new GenmetricsError('the training set needs at least 2 samples to calibrate the copy threshold');
  const size = Math.min(o.maxRows ?? CALIBRATION_ROWS, train.rows);
  const picked = size === train.rows ? Uint32Array.from({ length: size }, (_, i) => i) : new LegacyRandomState(CALIBRATION_SEED).choice(train.rows, size);
  const subset = await train.readRows(picked);
  const queries: RowSource = { rows: size, dims: train.dims, read: async (s, c) => subset.subarray(s * train.dims, (s + c) * train.dims), readRows: () => Promise.reject(new Error('not needed')) };
  // One more neighbour than needed: the row itself (or an exact duplicate); the nearest other rows
  // are those whose index is not the row's own.
  const wanted = o.rerank ? (o.candidates ?? 1) : 1;
  const found = (await nearestInSource(queries, train, wanted + 1, o)).map((list, q) => list.filter((nb) => nb.index !== picked[q]).slice(0, wanted));
  const lists = o.rerank ? await o.rerank(picked, found) : found;
  const d = lists.map((list) => list[0].distance).sort((a, b) => a - b);
  const median = d.length % 2 ? d[(d.length - 1) / 2] : (d[d.length / 2 - 1] + d[d.length / 2]) / 2;
  return { rows: size, median, ratio, threshold: ratio * median };
}
