// Memorisation: exact and near copies (re-encoded JPEG, a 1-pixel shift) of training images planted
// among generated ones are the samples flagged, in pixel and Inception space; the nearest lists are
// exact; the gallery shows the closest pairs.
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { cli, networkEnv, sharedFile, tmpDir } from './helpers';

const SIZE = 32;

/** A smooth image: per channel 128 + 100 sin(a x + b y + phase), low frequencies from an LCG. */
function smooth(seed: number): Buffer {
  let s = seed * 7919 + 13;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const p = Array.from({ length: 3 }, () => ({ a: 0.03 + 0.09 * u(), b: 0.03 + 0.09 * u(), ph: 6.28 * u(), amp: 60 + 40 * u() }));
  const px = Buffer.alloc(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) for (let c = 0; c < 3; c++) px[(y * SIZE + x) * 3 + c] = Math.round(128 + p[c].amp * Math.sin(p[c].a * x + p[c].b * y + p[c].ph));
  return px;
}

const raw = { raw: { width: SIZE, height: SIZE, channels: 3 as const } };

describe('memorization', () => {
  const dir = tmpDir();
  const train = path.join(dir, 'train');
  const gen = path.join(dir, 'gen');
  const planted = new Map<string, number>(); // generated file -> training index it copies

  beforeAll(async () => {
    fs.mkdirSync(train);
    fs.mkdirSync(gen);
    for (let i = 0; i < 40; i++) await sharp(smooth(i), raw).png().toFile(path.join(train, `t${String(i).padStart(2, '0')}.png`));
    for (let i = 0; i < 20; i++) await sharp(smooth(1000 + i), raw).png().toFile(path.join(gen, `g${String(i).padStart(2, '0')}.png`));
    // An exact copy, a JPEG re-encoding and a 1-pixel shift (edge column repeated) of training images.
    fs.copyFileSync(path.join(train, 't05.png'), path.join(gen, 'g03-copy.png'));
    planted.set(path.join(gen, 'g03-copy.png'), 5);
    await sharp(smooth(10), raw).jpeg({ quality: 90 }).toFile(path.join(gen, 'g07-jpeg.jpg'));
    planted.set(path.join(gen, 'g07-jpeg.jpg'), 10);
    const src = smooth(15);
    const shifted = Buffer.alloc(src.length);
    for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) for (let c = 0; c < 3; c++) shifted[(y * SIZE + x) * 3 + c] = src[(y * SIZE + Math.max(0, x - 1)) * 3 + c];
    await sharp(shifted, raw).png().toFile(path.join(gen, 'g11-shift.png'));
    planted.set(path.join(gen, 'g11-shift.png'), 15);
  });

  const run = (...args: string[]) => {
    const r = cli(['memorization', gen, train, '--json', '-q', ...args], networkEnv());
    if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };

  for (const space of ['pixel', 'inception']) {
    test(`${space} space: the planted copies, and only they, are flagged, each next to the image it copies`, () => {
      const r = run('--space', space, '-k', '2', ...(space === 'inception' ? ['--model', 'inception-fid-twin'] : []));
      const flagged = r.samples.filter((s: { copy: boolean }) => s.copy).map((s: { path: string }) => s.path).sort();
      expect(flagged).toEqual([...planted.keys()].sort());
      for (const s of r.samples.filter((x: { copy: boolean }) => x.copy)) expect(s.nearest[0].index).toBe(planted.get(s.path));
      expect(r).toMatchObject({ space, k: 2, copies: 3, copy_rate: 3 / 23, calibration: { rows: 40, ratio: 1 / 3 }, generated: { kind: 'images', count: 23 }, training: { kind: 'images', count: 40 } });
      expect(r.threshold).toBeCloseTo(r.calibration.median / 3, 12);
      const exact = r.samples.find((s: { path: string }) => s.path.endsWith('g03-copy.png'));
      expect(exact.nearest[0]).toEqual({ index: 5, path: path.join(train, 't05.png'), distance: 0 });
    }, 120_000);
  }

  test('lpips space: LPIPS orders the Inception candidates; the planted copies, and only they, are flagged', () => {
    const r = run('--space', 'lpips', '-k', '2', '--candidates', '5', '--model', 'inception-fid-twin', '--lpips-model', sharedFile('models', 'lpips-alex-twin.onnx'));
    const flagged = r.samples.filter((s: { copy: boolean }) => s.copy).map((s: { path: string }) => s.path).sort();
    expect(flagged).toEqual([...planted.keys()].sort());
    for (const s of r.samples.filter((x: { copy: boolean }) => x.copy)) expect(s.nearest[0].index).toBe(planted.get(s.path));
    expect(r.calibration.how).toMatch(/LPIPS, among the 5 nearest in Inception space/);
    // Each list is ascending in LPIPS distance.
    for (const s of r.samples) expect(s.nearest[0].distance).toBeLessThanOrEqual(s.nearest[1].distance);
  }, 120_000);

  test('the nearest lists equal a brute-force search (pixel space, float64 and the float32 default)', async () => {
    const r = run('--space', 'pixel', '-k', '3');
    const f64 = run('--space', 'pixel', '-k', '3', '--precision', 'float64');
    expect(f64.samples).toEqual(r.samples);
    const load = async (f: string) => Float64Array.from((await sharp(f).removeAlpha().raw().toBuffer()) as Buffer);
    const trainFiles = fs.readdirSync(train).sort().map((f) => path.join(train, f));
    const t = await Promise.all(trainFiles.map(load));
    for (const s of r.samples.slice(0, 6)) {
      const g = await load(s.path);
      const d = t.map((x, j) => ({ j, d: Math.sqrt(x.reduce((acc, v, i) => acc + (v - g[i]) ** 2, 0)) })).sort((p, q) => p.d - q.d || p.j - q.j);
      expect(s.nearest.map((nb: { index: number }) => nb.index)).toEqual(d.slice(0, 3).map((x) => x.j));
      s.nearest.forEach((nb: { distance: number }, q: number) => expect(Math.abs(nb.distance - d[q].d)).toBeLessThan(1e-9 * Math.max(1, d[q].d)));
    }
  });

  test('the gallery: a row per closest pair, the generated image first', async () => {
    const out = path.join(dir, 'gallery.png');
    const r = run('--space', 'pixel', '-k', '2', '-o', out, '--gallery', '4', '--pad', '0');
    expect(r.gallery).toBe(out);
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([3 * SIZE, 4 * SIZE]);
    // The first row: the exact copy (distance 0) and t05 beside it, pixel for pixel.
    const row0 = (x0: number) => Array.from({ length: SIZE }, (_, y) => Array.from(data.subarray((y * info.width + x0) * 3, (y * info.width + x0 + SIZE) * 3))).flat();
    expect(row0(0)).toEqual(row0(SIZE));
    expect(Buffer.from(row0(SIZE)).equals(smooth(5))).toBe(true);
  });

  test('errors: pixel space on features, images of another size', async () => {
    const feats = sharedFile('fixtures', 'metrics', 'real_3000x2048.npy');
    expect(cli(['memorization', feats, feats, '--space', 'pixel']).stderr).toMatch(/--space: pixel space compares images: give image inputs/);
    expect(cli(['memorization', feats, feats, '-o', path.join(dir, 'g.png')]).stderr).toMatch(/--output: the gallery shows images/);
    const other = path.join(dir, 'other');
    fs.mkdirSync(other);
    await sharp(smooth(1), { raw: { width: 16, height: 32, channels: 3 } }).png().toFile(path.join(other, 'a.png'));
    const r = cli(['memorization', other, train, '--space', 'pixel']);
    expect(r.stderr).toMatch(/the generated samples have 1536 values each, the training samples 3072/);
  });
});
