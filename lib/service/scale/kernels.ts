/**
 * The pairwise passes of P/R/D/C and KID spread over the workers: the same calls as the addon's
 * (lib/native.ts PairwiseKernels), made in shards and merged exactly, so that a command run under
 * withPairwise(new ScaleOutKernels(...)) returns the single-process result bit for bit:
 * - neighbourRadii: parts of the symmetric pass (upperParts: row blocks of the upper triangle,
 *   balanced by pairs); float64: each gives every row from its start its k + 1 smallest squared
 *   distances in the part, and a row's k + 1 smallest over the parts are exactly the whole pass's
 *   (the parts cover every pair once, and a pair's distance is the same bits whichever part
 *   computes it); float32: each gives its k + 3 float32 candidates per row, and recheck shards
 *   merge a row's candidates over the parts and re-check them once, as the single pass does;
 * - countBalls: row blocks of the fakes (whole tiles) against all reals; fake counts
 *   concatenated, real counts (integers) summed over blocks;
 * - kernelSumsSubsets: groups of subsets, each subset's sums as the whole call computes them.
 * The matrices are read where they lie when they are a dataset's features .npy in the blob
 * directory; others go there once, named by their SHA-256 (a rerun after a restart finds them, and
 * the shards already done).
 */
import * as fs from 'fs';
import * as path from 'path';
import { featureOrigin } from '../../features';
import type { FeatureData, NativeKernel, NativeKernelSums, NativePairwiseOptions, NativeProgress, PairwiseKernels } from '../../native';
import type { ShardQueue } from './queue';
import { putBytes, putMatrix, radiiPart, readBalls, readKidSums, readRadii, readRecheck, shardUnits, type BallsShard, type KidShard, type MatrixRef, type RecheckShard } from './shards';

export interface ShardSizes {
  /** Query rows per k-NN shard (radii: as many parts as blocks of this many rows, of equal work). */
  rows: number;
  /** Subsets per KID shard. */
  subsets: number;
}

/** [start, count) blocks of `n` by `size`. */
export function blocks(n: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += size) out.push([s, Math.min(size, n - s)]);
  return out;
}

/** The native passes' tile side when the options give none (native/src/pairwise.h). */
export const DEFAULT_TILE = 576;

/**
 * The parts of the symmetric radius pass over n rows: [start, count) row blocks of the upper
 * triangle, as many as blocks of `size` rows (at least one), of about equal pairs (the first rows
 * pair with all the rows after them, the last with few), their bounds on multiples of the tile
 * (of `size` when it is smaller) so that the part's tiles are whole.
 */
export function upperParts(n: number, size: number, tile: number, multiple = 1): [number, number][] {
  const parts = roundUp(Math.max(1, Math.ceil(n / size)), multiple);
  const step = Math.max(1, Math.min(tile, size));
  // Pairs {p, q} with min(p, q) < r: r n - r (r - 1) / 2; the k-th bound at the row where they
  // reach k / parts of all (the root of that quadratic), rounded to the nearest step.
  const total = (n * (n + 1)) / 2;
  const bounds = [0];
  for (let k = 1; k < parts; k++) {
    const b = n + 0.5;
    const r = b - Math.sqrt(b * b - (2 * total * k) / parts);
    const end = Math.min(n, Math.round(r / step) * step);
    if (end > bounds[bounds.length - 1] && end < n) bounds.push(end);
  }
  bounds.push(n);
  return bounds.slice(1).map((end, i) => [bounds[i], end - bounds[i]]);
}

const roundUp = (v: number, multiple: number): number => Math.ceil(v / multiple) * multiple;

/** Row blocks of the fakes for the ball counts: `size` rounded to whole tiles when it holds some. */
export const ballRows = (size: number, tile: number): number => (size >= tile ? Math.max(1, Math.round(size / tile)) * tile : size);

/**
 * The [start, count) ball blocks of n fakes: blocks of ballRows(size, tile), their number rounded
 * up to a multiple of the live workers so that the last round keeps them all busy (blocks of
 * equal rows then, on whole tiles when that keeps the count). The counts are integers summed per
 * block: any blocking gives the same result.
 */
export function ballBlocks(n: number, size: number, tile: number, workers = 1): [number, number][] {
  const rows = ballRows(size, tile);
  const count = Math.ceil(n / rows);
  if (count % workers === 0) return blocks(n, rows);
  const want = Math.min(n, roundUp(count, workers));
  const even = Math.ceil(n / want);
  const tiled = even >= tile ? roundUp(even, tile) : even;
  return blocks(n, Math.ceil(n / tiled) === want ? tiled : even);
}

export class ScaleOutKernels implements PairwiseKernels {
  /** Independent passes run at once: their shards share the workers. */
  readonly concurrent = true;

  constructor(
    private readonly queue: ShardQueue,
    private readonly sizes: ShardSizes,
  ) {}

  /** The data files this job's shards read (held in the queue until dispose()). */
  private readonly files = new Set<string>();

  private get root(): string {
    return this.queue.root;
  }

  private held<T extends string | MatrixRef>(ref: T): T {
    const file = typeof ref === 'string' ? ref : ref.file;
    if (!this.files.has(file)) {
      this.files.add(file);
      this.queue.holdFile(file);
    }
    return ref;
  }

  /**
   * The matrix as the shards read it: a dataset's features .npy in the blob directory is read by
   * the workers where it lies (no copy, no hash: blobs are content-addressed and kept while an
   * evaluation uses them); any other array is written once under its SHA-256, held for this job.
   */
  private matrix(data: FeatureData, rows: number): MatrixRef {
    const origin = featureOrigin(data);
    if (origin) {
      const rel = path.relative(this.root, origin.file);
      const inside = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) && !rel.startsWith(`work${path.sep}`);
      if (inside && fs.statSync(origin.file, { throwIfNoEntry: false })?.size === origin.offset + data.byteLength) {
        return { file: rel, dtype: data instanceof Float32Array ? 'float32' : 'float64', rows, cols: data.length / rows, offset: origin.offset };
      }
    }
    return this.held(putMatrix(this.root, data, rows));
  }

  /** The job is over: its data files are removed from the blob directory (unless another job holds them). */
  dispose(): void {
    for (const f of this.files) this.queue.releaseFile(f);
    this.files.clear();
  }

  async neighbourRadii(x: FeatureData, rows: number, ks: number[], options: NativePairwiseOptions = {}, onProgress?: NativeProgress): Promise<Float64Array[]> {
    if (ks.length === 0) return [];
    if (ks.some((k) => !Number.isInteger(k) || k < 1)) throw new Error('k must be at least 1');
    const need = Math.max(...ks) + 1;
    if (need > rows) throw new Error(`k = ${need - 1} needs at least ${need} samples, got ${rows}`);
    const X = this.matrix(x, rows);
    const tile = options.tile ?? DEFAULT_TILE;
    const precision = options.precision ?? 'float64';
    // As many parts as a multiple of the live workers (equal work each: no worker idles at the end).
    const parts = upperParts(rows, this.sizes.rows, tile, await this.queue.workers());
    const shards = parts.map(([start, count]) => radiiPart(X, start, count, need, precision, tile));
    // Each row's `need` smallest squared distances, ascending.
    const best = new Float64Array(rows * need).fill(Infinity);
    if (precision === 'float64') {
      // The `need` smallest over the parts' lists (a value equal to the last one kept changes nothing).
      await this.queue.use(shards, onProgress, () => {
        for (const s of shards) {
          const lists = readRadii(this.root, s);
          for (let r = s.start; r < rows; r++) {
            const from = (r - s.start) * need;
            const b = r * need;
            for (let q = 0; q < need; q++) {
              const d = lists[from + q];
              if (!(d < best[b + need - 1])) break;
              let p = need - 1;
              while (p > 0 && best[b + p - 1] > d) {
                best[b + p] = best[b + p - 1];
                p--;
              }
              best[b + p] = d;
            }
          }
        }
      });
    } else {
      // Float32: the parts' candidates, then each row's merged and re-checked once (recheck shards
      // of 4 blocks of rows), as the single pass re-checks its thread lists. Progress: the parts'
      // tiles, then 2% more for the rechecks.
      const tiles = shards.reduce((a, s) => a + shardUnits(s), 0);
      const extra = Math.max(1, Math.round(tiles / 50));
      const rechecks: RecheckShard[] = blocks(rows, 4 * this.sizes.rows).map(([start, count]) => ({ op: 'recheck', x: X, parts, start, count, need, tile }));
      await this.queue.use(
        shards,
        onProgress && ((d, t) => onProgress(d, t + extra)),
        () =>
          this.queue.use(
            rechecks,
            onProgress && ((d, t) => onProgress(tiles + Math.floor((d / t) * extra), tiles + extra)),
            () => {
              for (const s of rechecks) best.set(readRecheck(this.root, s), s.start * need);
            },
          ),
      );
    }
    return ks.map((k) => {
      const radii = new Float64Array(rows);
      for (let r = 0; r < rows; r++) radii[r] = Math.sqrt(best[r * need + k]);
      return radii;
    });
  }

  async countBalls(
    real: FeatureData,
    realRows: number,
    fake: FeatureData,
    fakeRows: number,
    sets: { realRadii: Float64Array; fakeRadii: Float64Array; strict: boolean }[],
    options: NativePairwiseOptions = {},
    onProgress?: NativeProgress,
  ): Promise<{ fakeInReal: Uint32Array[]; realInFake: Uint32Array[]; realCovered: Uint32Array[]; rechecked: number }> {
    const R = this.matrix(real, realRows);
    const F = this.matrix(fake, fakeRows);
    const files = sets.map((b) => ({ realRadii: this.held(putBytes(this.root, b.realRadii, 'f64')), fakeRadii: this.held(putBytes(this.root, b.fakeRadii, 'f64')), strict: b.strict }));
    const shards: BallsShard[] = ballBlocks(fakeRows, this.sizes.rows, options.tile ?? DEFAULT_TILE, await this.queue.workers()).map(([start, count]) => ({ op: 'balls', real: R, fake: F, start, count, sets: files, precision: options.precision ?? 'float64', tile: options.tile }));
    const out = {
      fakeInReal: sets.map(() => new Uint32Array(fakeRows)),
      realInFake: sets.map(() => new Uint32Array(realRows)),
      realCovered: sets.map(() => new Uint32Array(realRows)),
      rechecked: 0,
    };
    await this.queue.use(shards, onProgress, () => {
      for (const s of shards) {
        const b = readBalls(this.root, s);
        out.rechecked += b.rechecked;
        sets.forEach((_, q) => {
          out.fakeInReal[q].set(b.fakeInReal[q], s.start);
          const rif = out.realInFake[q], rc = out.realCovered[q];
          for (let i = 0; i < realRows; i++) {
            rif[i] += b.realInFake[q][i];
            rc[i] += b.realCovered[q][i];
          }
        });
      }
    });
    return out;
  }

  async kernelSumsSubsets(
    x: FeatureData,
    xRows: number,
    y: FeatureData,
    yRows: number,
    idxX: Uint32Array,
    idxY: Uint32Array,
    subsets: number,
    m: number,
    kernel: NativeKernel,
    options: NativePairwiseOptions = {},
    onProgress?: NativeProgress,
  ): Promise<NativeKernelSums[]> {
    const X = this.matrix(x, xRows);
    const Y = this.matrix(y, yRows);
    const both = new Uint32Array(2 * subsets * m);
    both.set(idxX.subarray(0, subsets * m), 0);
    both.set(idxY.subarray(0, subsets * m), subsets * m);
    const draws = this.held(putBytes(this.root, both, 'u32'));
    const shards: KidShard[] = blocks(subsets, this.sizes.subsets).map(([first, count]) => ({
      op: 'kid',
      x: X,
      y: Y,
      draws,
      subsets,
      first,
      count,
      m,
      kernel,
      precision: options.precision ?? 'float64',
      // The whole call's choice (dense gathers and per-subset products sum in different orders).
      dense: options.dense ?? false,
      tile: options.tile,
    }));
    return this.queue.use(shards, onProgress, () => shards.flatMap((s) => readKidSums(this.root, s)));
  }
}
