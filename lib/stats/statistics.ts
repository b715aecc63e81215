import * as fs from 'fs';
import { GenmetricsError } from '../errors';
import type { NdArray } from '../io/npy';
import { readNpz, writeNpz } from '../io/npz';
import { META_KEY, type Preprocessing } from '../network/meta';

/** Gaussian statistics of a feature set, interchangeable with pytorch-fid / TTUR `.npz` (`mu`, `sigma`). */
export interface Statistics {
  dims: number;
  mu: Float64Array;
  /** dims x dims, symmetric, row-major. */
  sigma: Float64Array;
  /** Sample count, when known (pytorch-fid files do not record it). */
  count?: number;
  /** Mode and network of the features, when genmetrics made them from images. */
  preprocessing?: Preprocessing;
}

/**
 * Mergeable partial statistics: sample count, a shift s, sum(x - s) and sum((x - s)(x - s)^T).
 * Shards computed anywhere merge exactly into the statistics of their union (`genmetrics stats merge`).
 */
export interface PartialStatistics {
  dims: number;
  n: number;
  shift: Float64Array;
  sum: Float64Array;
  sumOuter: Float64Array;
}

export const PARTIAL_MARKER = 'genmetrics_partial';
const PARTIAL_VERSION = 1;

function toFloat64(arr: NdArray, where: string): Float64Array {
  if (arr.dtype === 'float64') return arr.data as Float64Array;
  if (arr.dtype === 'float32') return Float64Array.from(arr.data as Float32Array);
  throw new GenmetricsError(`${where}: expected float32 or float64, got ${arr.dtype}`);
}

function requireFinite(data: Float64Array, where: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new GenmetricsError(`${where}: contains NaN or Inf (element ${i})`);
  }
}

function scalar(arr: NdArray, where: string): number {
  if (arr.data.length !== 1) throw new GenmetricsError(`${where}: expected a scalar`);
  const v = Number(arr.data[0]);
  if (!Number.isSafeInteger(v) || v < 0) throw new GenmetricsError(`${where}: expected a non-negative integer, got ${v}`);
  return v;
}

export type StatisticsFile = { kind: 'statistics'; stats: Statistics } | { kind: 'partial'; partial: PartialStatistics };

/** Reads a pytorch-fid/TTUR statistics file or a genmetrics partial-statistics file. */
export function readStatisticsFile(file: string): StatisticsFile {
  return statisticsFromNpz(file, readNpz(file));
}

/** readStatisticsFile() on an archive already read (`file` names it in errors). */
export function statisticsFromNpz(file: string, z: Map<string, NdArray>): StatisticsFile {
  if (z.has(PARTIAL_MARKER)) {
    for (const key of ['n', 'shift', 'sum', 'sum_outer']) {
      if (!z.has(key)) throw new GenmetricsError(`${file}: partial statistics without '${key}'`);
    }
    const shift = toFloat64(z.get('shift')!, `${file}[shift]`);
    const dims = shift.length;
    const sum = toFloat64(z.get('sum')!, `${file}[sum]`);
    const sumOuter = toFloat64(z.get('sum_outer')!, `${file}[sum_outer]`);
    if (sum.length !== dims || sumOuter.length !== dims * dims) {
      throw new GenmetricsError(`${file}: inconsistent partial statistics: shift has ${dims} values, sum ${sum.length}, sum_outer ${sumOuter.length}`);
    }
    requireFinite(shift, `${file}[shift]`);
    requireFinite(sum, `${file}[sum]`);
    requireFinite(sumOuter, `${file}[sum_outer]`);
    return { kind: 'partial', partial: { dims, n: scalar(z.get('n')!, `${file}[n]`), shift, sum, sumOuter } };
  }
  const mu = z.get('mu');
  const sigma = z.get('sigma');
  if (!mu || !sigma) {
    const found = [...z.keys()].join(', ') || 'none';
    throw new GenmetricsError(
      `${file}: expected statistics with keys 'mu' and 'sigma' (pytorch-fid/TTUR layout) or genmetrics partial statistics; found keys: ${found}`,
    );
  }
  if (mu.shape.length !== 1) throw new GenmetricsError(`${file}[mu]: expected a vector, got shape (${mu.shape.join(', ')})`);
  const dims = mu.shape[0];
  if (sigma.shape.length !== 2 || sigma.shape[0] !== dims || sigma.shape[1] !== dims) {
    throw new GenmetricsError(`${file}[sigma]: expected shape (${dims}, ${dims}) to match mu, got (${sigma.shape.join(', ')})`);
  }
  const stats: Statistics = { dims, mu: toFloat64(mu, `${file}[mu]`), sigma: toFloat64(sigma, `${file}[sigma]`) };
  requireFinite(stats.mu, `${file}[mu]`);
  requireFinite(stats.sigma, `${file}[sigma]`);
  const n = z.get('n');
  if (n) stats.count = scalar(n, `${file}[n]`);
  const meta = z.get(META_KEY);
  if (meta) {
    try {
      stats.preprocessing = JSON.parse(Buffer.from(meta.data as Uint8Array).toString('utf8')) as Preprocessing;
    } catch {
      throw new GenmetricsError(`${file}[${META_KEY}]: expected UTF-8 JSON bytes`);
    }
  }
  return { kind: 'statistics', stats };
}

/** Writes `mu` and `sigma` (float64, pytorch-fid layout) plus `n` when the count is known. */
export function writeStatistics(file: string, stats: Statistics): void {
  const entries: Record<string, NdArray> = {
    mu: { dtype: 'float64', shape: [stats.dims], data: stats.mu },
    sigma: { dtype: 'float64', shape: [stats.dims, stats.dims], data: stats.sigma },
  };
  if (stats.count !== undefined) entries.n = { dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(stats.count)) };
  if (stats.preprocessing) {
    const bytes = new Uint8Array(Buffer.from(JSON.stringify(stats.preprocessing)));
    entries[META_KEY] = { dtype: 'uint8', shape: [bytes.length], data: bytes };
  }
  writeNpz(file, entries);
}

export function writePartial(file: string, p: PartialStatistics): void {
  writeNpz(file, {
    [PARTIAL_MARKER]: { dtype: 'int32', shape: [], data: Int32Array.of(PARTIAL_VERSION) },
    n: { dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(p.n)) },
    shift: { dtype: 'float64', shape: [p.dims], data: p.shift },
    sum: { dtype: 'float64', shape: [p.dims], data: p.sum },
    sum_outer: { dtype: 'float64', shape: [p.dims, p.dims], data: p.sumOuter },
  });
}

export function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
