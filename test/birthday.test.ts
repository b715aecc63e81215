// The birthday-paradox test (Arora & Zhang 2018): each batch's closest pairs against a brute-force
// search with direct differences, planted duplicates found and the s² estimate, the batches as
// NumPy's RandomState(seed).choice draws them, the gallery, and bad input.
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { writeNpy } from '../lib/io/npy';
import { LegacyRandomState } from '../lib/random/mt19937';
import { cli, sharedFile, tmpDir } from './helpers';

const dir = tmpDir();

function ok(args: string[]): any {
  const r = cli([...args, '--json', '-q']);
  if (r.code !== 0) throw new Error(`genmetrics ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** n rows of d pseudo-random values; rows listed in `copies` repeat row copies[r] (plus a tiny offset). */
function features(name: string, n: number, d: number, copies: Map<number, number> = new Map()): { file: string; data: Float32Array } {
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const data = Float32Array.from({ length: n * d }, () => rnd());
  for (const [r, of] of copies) for (let c = 0; c < d; c++) data[r * d + c] = data[of * d + c] + (c === 0 ? 1e-3 : 0);
  const file = path.join(dir, name);
  writeNpy(file, { dtype: 'float32', shape: [n, d], data });
  return { file, data };
}

test("each batch's closest pairs equal a brute-force search with direct differences", () => {
  const { file, data } = features('plain.npy', 300, 16);
  const r = ok(['birthday', file, '-s', '50', '--batches', '3', '--pairs', '5', '--birthday-seed', '7']);
  const rs = new LegacyRandomState(7);
  for (let b = 0; b < 3; b++) {
    const idx = rs.choice(300, 50);
    const all: [number, number, number][] = [];
    for (let i = 0; i < 50; i++)
      for (let j = i + 1; j < 50; j++) {
        let ss = 0;
        for (let c = 0; c < 16; c++) ss += (data[idx[i] * 16 + c] - data[idx[j] * 16 + c]) ** 2;
        all.push([idx[i], idx[j], Math.sqrt(ss)]);
      }
    all.sort((p, q) => p[2] - q[2]);
    const got = r.pairs.filter((p: any) => p.batch === b);
    expect(got.map((p: any) => [p.a.index, p.b.index])).toEqual(all.slice(0, 5).map((p) => [p[0], p[1]]));
    got.forEach((p: any, k: number) => expect(Math.abs(p.distance - all[k][2])).toBeLessThan(1e-9));
  }
  expect(r).toMatchObject({ batch_size: 50, batches: 3, space: 'inception', seed: 7 });
});

test('planted duplicates: most batches hold one, the support estimate is s²; without them none do', () => {
  // 200 rows, rows 100..199 copy rows 0..99: 100 distinct items, so batches of 40 hold a pair almost surely.
  const copies = new Map(Array.from({ length: 100 }, (_, k) => [100 + k, k] as [number, number]));
  const { file } = features('dups.npy', 200, 8, copies);
  const r = ok(['birthday', file, '-s', '40', '--batches', '8']);
  expect(r.duplicate_batches).toBeGreaterThanOrEqual(4);
  expect([r.birthday, r.support_at_least]).toEqual([1600, null]);
  const dup = r.pairs.filter((p: any) => p.duplicate);
  expect(dup.length).toBeGreaterThan(0);
  for (const p of dup) expect(Math.abs(p.a.index - p.b.index)).toBe(100);
  const plain = ok(['birthday', features('plain2.npy', 200, 8).file, '-s', '40', '--batches', '8']);
  expect([plain.duplicate_batches, plain.birthday, plain.support_at_least]).toEqual([0, null, 1600]);
  // An absolute threshold replaces the ratio.
  expect(ok(['birthday', file, '-s', '40', '--batches', '2', '--threshold', '1e-9']).duplicate_batches).toBe(0);
});

test('pixel space on images, with a gallery of the closest pairs', async () => {
  const img = path.join(dir, 'imgs');
  fs.mkdirSync(img);
  const src = sharedFile('fixtures', 'images');
  for (const f of ['img00_32x32_RGB.png', 'img01_32x32_RGB.png', 'img02_32x32_RGB.png', 'img03_32x32_RGB.png']) fs.copyFileSync(path.join(src, f), path.join(img, f));
  fs.copyFileSync(path.join(src, 'img01_32x32_RGB.png'), path.join(img, 'img01_copy.png'));
  const out = path.join(dir, 'pairs.png');
  const r = ok(['birthday', img, '--space', 'pixel', '-s', '5', '--batches', '1', '--pairs', '3', '-o', out, '--gallery', '2', '--pad', '0']);
  expect(r.pairs[0]).toMatchObject({ distance: 0, duplicate: true });
  expect([r.pairs[0].a.path, r.pairs[0].b.path].map((p: string) => path.basename(p)).sort()).toEqual(['img01_32x32_RGB.png', 'img01_copy.png']);
  expect(r.birthday).toBe(25);
  const meta = await sharp(out).metadata();
  expect([meta.width, meta.height]).toEqual([64, 64]);
});

test('bad input: batches larger than the set, pixel space or a gallery from features, a bad ratio', () => {
  const { file } = features('small.npy', 30, 4);
  expect(cli(['birthday', file, '-s', '31']).stderr).toMatch(/--samples-per-batch: a batch of 31 needs at least that many samples; .*small\.npy has 30/);
  expect(cli(['birthday', file, '-s', '10', '--space', 'pixel']).stderr).toMatch(/--space: pixel space compares images/);
  expect(cli(['birthday', file, '-s', '10', '-o', path.join(dir, 'g.png')]).stderr).toMatch(/--output: the gallery shows images/);
  expect(cli(['birthday', file, '--ratio', '0']).stderr).toMatch(/--ratio: expected a positive number, got '0'/);
  const nan = features('nan.npy', 30, 4, new Map());
  nan.data[7 * 4 + 1] = NaN;
  writeNpy(nan.file, { dtype: 'float32', shape: [30, 4], data: nan.data });
  expect(cli(['birthday', nan.file, '-s', '30']).stderr).toMatch(/nan\.npy: non-finite value \(NaN or Inf\) at row 7, column 1/);
  const r = cli(['birthday', file, '-s', '1']);
  expect([r.code, r.stderr]).toEqual([1, "genmetrics: error: --samples-per-batch: expected an integer >= 2, got '1'\n"]);
});
