/**
 * The pairwise passes of P/R/D/C and KID spread over the workers: the same calls as the addon's
 * (lib/native.ts PairwiseKernels), made in shards and merged exactly, so that a command run under
 * withPairwise(new ScaleOutKernels(...)) returns the single-process result bit for bit:
 * - neighbourRadii: row blocks of X against all of X, concatenated;
 * - countBalls: row blocks of the fakes against all reals; fake counts concatenated, real counts
 *   (integers) summed over blocks;
 * - kernelSumsSubsets: groups of subsets, each subset's sums as the whole call computes them.
 * The matrices go to the blob directory once, named by their SHA-256 (a rerun after a restart
 * finds them, and the shards already done).
 */
import type { FeatureData, NativeKernel, NativeKernelSums, NativePairwiseOptions, NativeProgress, PairwiseKernels } from '../../native';
import type { ShardQueue } from './queue';
import { putBytes, putMatrix, readBalls, readKidSums, readRadii, type BallsShard, type KidShard, type RadiiShard } from './shards';

export interface ShardSizes {
  /** Query rows per k-NN shard. */
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

export class ScaleOutKernels implements PairwiseKernels {
  constructor(
    private readonly queue: ShardQueue,
    private readonly sizes: ShardSizes,
  ) {}

  private get root(): string {
    return this.queue.root;
  }

  async neighbourRadii(x: FeatureData, rows: number, ks: number[], options: NativePairwiseOptions = {}, onProgress?: NativeProgress): Promise<Float64Array[]> {
    const X = putMatrix(this.root, x, rows);
    const shards: RadiiShard[] = blocks(rows, this.sizes.rows).map(([start, count]) => ({ op: 'radii', x: X, start, count, ks, precision: options.precision ?? 'float64', tile: options.tile }));
    await this.queue.run(shards, onProgress);
    const out = ks.map(() => new Float64Array(rows));
    for (const s of shards) {
      const r = readRadii(this.root, s);
      ks.forEach((_, q) => out[q].set(r.subarray(q * s.count, (q + 1) * s.count), s.start));
    }
    return out;
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
    const R = putMatrix(this.root, real, realRows);
    const F = putMatrix(this.root, fake, fakeRows);
    const files = sets.map((b) => ({ realRadii: putBytes(this.root, b.realRadii, 'f64'), fakeRadii: putBytes(this.root, b.fakeRadii, 'f64'), strict: b.strict }));
    const shards: BallsShard[] = blocks(fakeRows, this.sizes.rows).map(([start, count]) => ({ op: 'balls', real: R, fake: F, start, count, sets: files, precision: options.precision ?? 'float64', tile: options.tile }));
    await this.queue.run(shards, onProgress);
    const out = {
      fakeInReal: sets.map(() => new Uint32Array(fakeRows)),
      realInFake: sets.map(() => new Uint32Array(realRows)),
      realCovered: sets.map(() => new Uint32Array(realRows)),
      rechecked: 0,
    };
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
    const X = putMatrix(this.root, x, xRows);
    const Y = putMatrix(this.root, y, yRows);
    const both = new Uint32Array(2 * subsets * m);
    both.set(idxX.subarray(0, subsets * m), 0);
    both.set(idxY.subarray(0, subsets * m), subsets * m);
    const draws = putBytes(this.root, both, 'u32');
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
    await this.queue.run(shards, onProgress);
    return shards.flatMap((s) => readKidSums(this.root, s));
  }
}
