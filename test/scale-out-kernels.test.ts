/**
 * The scale-out service's pairwise passes without Redis: ScaleOutKernels with a queue that runs
 * each shard here (runShard, as a worker does), against the addon's single call. The radius pass
 * in parts of the upper triangle, merged per row, gives neighbourRadii's bits for
 * any number of parts, tile, precision and input type, duplicated rows included (float32: the
 * parts' candidates merged and re-checked by recheck shards); the ball counts
 * in row blocks give countBalls'.
 */
import * as fs from 'fs';
import * as path from 'path';
import { native, type FeatureData } from '../lib/native';
import { ballBlocks, ballRows, blocks, ScaleOutKernels, upperParts } from '../lib/service/scale/kernels';
import type { ShardQueue } from '../lib/service/scale/queue';
import { readFeatureMatrix } from '../lib/features';
import { writeNpy } from '../lib/io/npy';
import { runShard, shardOutput, upperTiles, type RadiiShard, type ShardSpec } from '../lib/service/scale/shards';
import { tmpDir } from './helpers';

/** ShardQueue's side the kernels use, computing each shard in this process; counts the shards and releases. */
class LocalQueue {
  readonly ran: ShardSpec[] = [];
  readonly held = new Map<string, number>();
  constructor(
    readonly root: string,
    private readonly live = 1,
  ) {}
  async workers(): Promise<number> {
    return this.live;
  }
  async use<T>(shards: ShardSpec[], _progress: unknown, read: () => T | Promise<T>): Promise<T> {
    for (const s of shards) await runShard(s, { root: this.root, threads: 2 });
    this.ran.push(...shards);
    try {
      return await read();
    } finally {
      for (const s of shards) fs.rmSync(path.join(this.root, shardOutput(s)), { recursive: true, force: true });
    }
  }
  holdFile(rel: string): void {
    this.held.set(rel, (this.held.get(rel) ?? 0) + 1);
  }
  releaseFile(rel: string): void {
    this.held.set(rel, this.held.get(rel)! - 1);
    fs.rmSync(path.join(this.root, rel), { force: true });
  }
}

const lcg = (seed: number) => {
  let s = seed;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
};
/** n x d uniform rows; with `dups`, every fifth row copied over another (distance-0 neighbours, ties). */
function rows(n: number, d: number, seed: number, type: 'float32' | 'float64', dups: boolean): FeatureData {
  const r = lcg(seed);
  const x = type === 'float32' ? new Float32Array(n * d) : new Float64Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = r();
  if (dups) for (let i = 0; i < n; i += 5) x.copyWithin(((i * 3 + 1) % n) * d, i * d, i * d + d);
  return x;
}
const bits = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('upperParts: the radius pass in parts of the upper triangle', () => {
  test.each([
    [20000, 2048, 576],
    [300, 64, 576],
    [1000, 100, 24],
    [5, 64, 576],
  ])('n %i, %i rows per part, tile %i: contiguous, whole steps, about equal pairs', (n, size, tile) => {
    const parts = upperParts(n, size, tile);
    expect(parts.length).toBeLessThanOrEqual(Math.ceil(n / size));
    let at = 0;
    for (const [start, count] of parts) {
      expect(start).toBe(at);
      expect(count).toBeGreaterThan(0);
      if (start + count < n) expect((start + count) % Math.min(size, tile)).toBe(0);
      at += count;
    }
    expect(at).toBe(n);
    // The parts' tiles add up to the symmetric pass's (nt (nt + 1) / 2 when every part is whole tiles).
    if (parts.every(([s, c]) => s % tile === 0 && (c % tile === 0 || s + c === n))) {
      const nt = Math.ceil(n / tile);
      expect(parts.reduce((a, [s, c]) => a + upperTiles(n, s, s + c, tile), 0)).toBe((nt * (nt + 1)) / 2);
    }
    if (n === 20000) {
      // Balanced by pairs: no part over twice the mean (the first ones are few rows, the last many).
      const pairs = parts.map(([s, c]) => c * (n - s) - (c * (c - 1)) / 2);
      expect(Math.max(...pairs)).toBeLessThan((2 * (n * (n + 1)) / 2) / parts.length);
      expect(parts[0][1]).toBeLessThan(parts[parts.length - 1][1]);
    }
  });

  test('ball blocks are whole tiles when they hold some', () => {
    expect([ballRows(2048, 576), ballRows(64, 576), ballRows(576, 576), ballRows(700, 576)]).toEqual([2304, 64, 576, 576]);
  });

  test('parts and ball blocks come in multiples of the live workers, covering every row once', () => {
    const covers = (b: [number, number][], n: number) => b.every(([s, c], i) => c > 0 && s === (i === 0 ? 0 : b[i - 1][0] + b[i - 1][1])) && b[b.length - 1][0] + b[b.length - 1][1] === n;
    expect(upperParts(20000, 2048, 576, 3)).toHaveLength(12);
    expect(covers(upperParts(20000, 2048, 576, 3), 20000)).toBe(true);
    // 9 blocks of 2304 rows for 1 or 3 workers; 10 of 2000 for 2 (whole tiles would give 9 again).
    expect(ballBlocks(20000, 2048, 576, 1)).toEqual(blocks(20000, 2304));
    expect(ballBlocks(20000, 2048, 576, 3)).toEqual(blocks(20000, 2304));
    expect(ballBlocks(20000, 2048, 576, 2)).toEqual(blocks(20000, 2000));
    // 4 workers: 12 blocks, of whole tiles (1728 rows) as that keeps the count.
    expect(ballBlocks(20000, 2048, 576, 4)).toEqual(blocks(20000, 1728));
    for (const [n, w] of [[5, 8], [350, 3], [100000, 7]]) {
      const b = ballBlocks(n, 2048, 576, w);
      expect(covers(b, n)).toBe(true);
      expect(b.length % w === 0 || b.length === n).toBe(true);
    }
  });
});

describe('ScaleOutKernels with shards run here: bit-identical to the single calls', () => {
  const root = tmpDir();
  const cases: [number, number, 'float32' | 'float64', 'float32' | 'float64', boolean, number, number | undefined][] = [
    // n, d, data, precision, duplicates, rows per part, tile
    [300, 32, 'float32', 'float32', false, 64, undefined],
    [300, 32, 'float32', 'float64', true, 64, undefined],
    [300, 32, 'float64', 'float32', true, 7, 48],
    [517, 700, 'float32', 'float32', true, 40, 24],
    [517, 700, 'float32', 'float64', false, 100, 96],
    [517, 700, 'float64', 'float64', true, 1000, 96],
    [6, 8, 'float32', 'float32', true, 1, 576],
  ];
  test.each(cases)('radii: n %i, d %i, %s rows, %s precision, duplicates %s, %i rows per part, tile %s', async (n, d, type, precision, dups, size, tile) => {
    const x = rows(n, d, n + d, type, dups);
    const ks = n > 6 ? [3, 5] : [1, 5];
    const options = { precision, tile, threads: 2 };
    const want = await native().neighbourRadii(x, n, ks, options);
    const q = new LocalQueue(root);
    const k = new ScaleOutKernels(q as unknown as ShardQueue, { rows: size, subsets: 10 });
    const got = await k.neighbourRadii(x, n, ks, options);
    k.dispose();
    // Float32: the parts' candidates, then recheck shards of 4 x size rows.
    expect(q.ran.map((r) => r.op)).toEqual([...upperParts(n, size, tile ?? 576).map(() => 'radii'), ...(precision === 'float32' ? Array(Math.ceil(n / (4 * size))).fill('recheck') : [])]);
    ks.forEach((_, i) => expect(bits(got[i])).toEqual(bits(want[i])));
  });

  test('countBalls in row blocks, and the job leaves no file behind', async () => {
    const real = rows(400, 64, 1, 'float32', true);
    const fake = rows(350, 64, 2, 'float32', false);
    const options = { precision: 'float32' as const, tile: 48, threads: 2 };
    const [rr, fr] = [await native().neighbourRadii(real, 400, [3, 5], options), await native().neighbourRadii(fake, 350, [3, 5], options)];
    const sets = [
      { realRadii: rr[0], fakeRadii: fr[0], strict: false },
      { realRadii: rr[1], fakeRadii: fr[1], strict: true },
    ];
    const want = await native().countBalls(real, 400, fake, 350, sets, options);
    const q = new LocalQueue(root);
    const k = new ScaleOutKernels(q as unknown as ShardQueue, { rows: 100, subsets: 10 });
    const got = await k.countBalls(real, 400, fake, 350, sets, options);
    expect(q.ran.length).toBe(Math.ceil(350 / ballRows(100, 48)));
    expect(got).toEqual(want);
    k.dispose();
    expect([...q.held.values()].every((v) => v === 0)).toBe(true);
    expect(fs.readdirSync(path.join(root, 'work', 'data'))).toEqual([]);
  });

  test('the passes take the squared norms from the caller (the same bits), and refuse ones of the wrong length', async () => {
    const x = rows(300, 40, 9, 'float32', true);
    const norms = native().squaredNorms(x, 300, 2);
    const options = { precision: 'float32' as const, tile: 48, threads: 2 };
    const [a, b] = [await native().neighbourBlockCandidates(x, 300, 96, 192, 4, options), await native().neighbourBlockCandidates(x, 300, 96, 192, 4, { ...options, norms })];
    expect(bits(b.value)).toEqual(bits(a.value));
    expect(b.index).toEqual(a.index);
    expect(() => native().neighbourBlockCandidates(x, 300, 96, 192, 4, { ...options, norms: norms.subarray(1) })).toThrow('norms must have 300 elements, got 299');
    const radii = await native().neighbourRadii(x, 300, [3], options);
    const sets = [{ realRadii: radii[0], fakeRadii: radii[0].subarray(0, 100), strict: false }];
    const want = await native().countBalls(x, 300, x.subarray(0, 100 * 40), 100, sets, options);
    expect(await native().countBalls(x, 300, x.subarray(0, 100 * 40), 100, sets, { ...options, realNorms: norms, fakeNorms: norms.subarray(0, 100) })).toEqual(want);
    expect(() => native().countBalls(x, 300, x.subarray(0, 100 * 40), 100, sets, { ...options, fakeNorms: norms })).toThrow('fakeNorms must have 100 elements, got 300');
  });

  test("a dataset's features .npy in the blob directory is read by the shards where it lies; others are copied in", async () => {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, 'ab'));
    const inside = path.join(dir, 'ab', 'real.npy');
    const outside = path.join(tmpDir(), 'fake.npy');
    writeNpy(inside, { dtype: 'float32', shape: [400, 64], data: rows(400, 64, 1, 'float32', true) });
    writeNpy(outside, { dtype: 'float32', shape: [350, 64], data: rows(350, 64, 2, 'float32', false) });
    const real = readFeatureMatrix(inside);
    const fake = readFeatureMatrix(outside);
    const options = { precision: 'float32' as const, tile: 48, threads: 2 };
    const want = await native().neighbourRadii(real.data, 400, [3, 5], options);
    const q = new LocalQueue(dir);
    const k = new ScaleOutKernels(q as unknown as ShardQueue, { rows: 100, subsets: 10 });
    const got = await k.neighbourRadii(real.data, 400, [3, 5], options);
    want.forEach((w, i) => expect(bits(got[i])).toEqual(bits(w)));
    // The shards name the .npy itself, from its data offset; nothing was written for it.
    const x = (q.ran[0] as RadiiShard).x;
    expect(x).toEqual({ file: path.join('ab', 'real.npy'), dtype: 'float32', rows: 400, cols: 64, offset: fs.statSync(inside).size - 400 * 64 * 4 });
    expect(fs.existsSync(path.join(dir, 'work', 'data'))).toBe(false);
    // The fakes lie outside: written once under their SHA-256, removed with the job.
    const wantFake = await native().neighbourRadii(fake.data, 350, [3], options);
    const gotFake = await k.neighbourRadii(fake.data, 350, [3], options);
    expect(bits(gotFake[0])).toEqual(bits(wantFake[0]));
    expect(fs.readdirSync(path.join(dir, 'work', 'data'))).toHaveLength(1);
    k.dispose();
    expect(fs.readdirSync(path.join(dir, 'work', 'data'))).toEqual([]);
    expect(fs.existsSync(inside)).toBe(true);
  });
});
