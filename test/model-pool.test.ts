// A worker's ModelPool: passes borrow one open session per (model, device, threads) instead of
// loading the network each time; the features are the same bytes as with a session of their own.
import * as fs from 'fs';
import * as path from 'path';
import { writeNpy } from '../lib/io/npy';
import { ModelPool } from '../lib/models/model-pool';
import { resolveModel } from '../lib/models/registry';
import { extractFeatureFiles } from '../lib/network/inception';
import { tmpDir } from './helpers';

process.env.GENMETRICS_MODEL_DIR ??= path.join(__dirname, '..', '..', 'shared', 'models');
const TWIN = 'inception-fid-twin';

function stack(file: string, n: number, seed: number): string {
  let q = seed;
  writeNpy(file, { dtype: 'uint8', shape: [n, 20, 20, 3], data: Uint8Array.from({ length: n * 1200 }, () => (q = (Math.imul(q, 1664525) + 1013904223) >>> 0) >>> 24) });
  return file;
}

test('passes borrow one session per model, device and thread count; the features equal an own session; at most max kept', async () => {
  const dir = tmpDir();
  const a = stack(path.join(dir, 'a.npy'), 5, 1);
  const b = stack(path.join(dir, 'b.npy'), 4, 2);
  const pool = new ModelPool(1);
  try {
    const pooled = async (input: string, threads: number) => fs.readFileSync((await extractFeatureFiles(input, { model: TWIN, mode: 'clean', cache: false, threads, models: pool })).pool3);
    const own = async (input: string) => fs.readFileSync((await extractFeatureFiles(input, { model: TWIN, mode: 'clean', cache: false, threads: 1 })).pool3);
    expect((await pooled(a, 1)).equals(await own(a))).toBe(true);
    expect((await pooled(b, 1)).equals(await own(b))).toBe(true);
    expect(pool.opened).toBe(1);
    // Another thread count is another session; with max 1, the idle first one is released.
    await pooled(a, 2);
    expect(pool.opened).toBe(2);
    await pooled(a, 1);
    expect(pool.opened).toBe(3);
    // Two passes at once share the session.
    await Promise.all([pooled(a, 1), pooled(b, 1)]);
    expect(pool.opened).toBe(3);
  } finally {
    await pool.close();
  }
}, 120_000);

test('a model that is not an Inception network fails the pass with its message, and the pool forgets it', async () => {
  const pool = new ModelPool(2);
  const dir = tmpDir();
  const lpips = resolveModel('lpips-alex-twin');
  try {
    for (let i = 0; i < 2; i++) {
      await expect(extractFeatureFiles(stack(path.join(dir, 'a.npy'), 2, 3), { model: lpips.path, cache: false, models: pool })).rejects.toThrow(/not an FID Inception model/);
    }
    expect(pool.opened).toBe(2);
  } finally {
    await pool.close();
  }
}, 60_000);
