// lpips and diversity from the command line: values, output files and input errors.
import * as fs from 'fs';
import * as path from 'path';
import { writeNpy } from '../lib/io/npy';
import { SHARED, cli, sharedFile, tmpDir } from './helpers';

const TWIN = ['--model', 'lpips-alex-twin'];
const image = (name: string) => sharedFile('fixtures', 'images', name);

function env(): Record<string, string> {
  sharedFile('models', 'lpips-alex-twin.onnx');
  return { GENMETRICS_MODEL_DIR: path.join(SHARED, 'models'), GENMETRICS_CACHE_DIR: tmpDir() };
}

function ok(args: string[]): any {
  const r = cli([...args, '--json'], env());
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function folder(files: Record<string, string>): string {
  const dir = tmpDir();
  for (const [to, from] of Object.entries(files)) fs.copyFileSync(image(from), path.join(dir, to));
  return dir;
}

describe('genmetrics lpips', () => {
  test('two images: the lpips package value (1e-5), JSON shape', () => {
    const ref = JSON.parse(fs.readFileSync(sharedFile('fixtures', 'reference', 'lpips.json'), 'utf8')).pairs[0];
    const r = ok(['lpips', image(ref.a), image(ref.b), ...TWIN]);
    expect(Math.abs(r.lpips.mean - ref.lpips)).toBeLessThan(1e-5);
    expect(r).toMatchObject({ pairs: 1, device: 'cpu', resize: null, model: { name: 'lpips-alex-twin' }, lpips: { n: 1, ci95: null } });
  });

  test('folders: per-pair CSV, mean and 95% interval', () => {
    const a = folder({ '1.png': 'img00_32x32_RGB.png', '2.png': 'img01_32x32_RGB.png', '3,x.png': 'img02_32x32_RGB.png' });
    const b = folder({ '1.png': 'img03_32x32_RGB.png', '2.png': 'img04_32x32_RGB.png', '3,x.png': 'img05_32x32_RGB.png' });
    const csv = path.join(tmpDir(), 'pairs.csv');
    const r = ok(['lpips', a, b, ...TWIN, '--per-pair', csv]);
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('a,b,lpips');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(/^"[^"]*3,x\.png","[^"]*3,x\.png",0\.\d+$/);
    const values = lines.slice(1).map((l) => Number(l.slice(l.lastIndexOf(',') + 1)));
    expect(r.lpips.mean).toBeCloseTo(values.reduce((s, v) => s + v, 0) / 3, 6);
    expect(r.lpips.ci95[0]).toBeLessThan(r.lpips.mean);
    expect(r.lpips.ci95[1]).toBeGreaterThan(r.lpips.mean);
    const human = cli(['lpips', a, b, ...TWIN], env());
    expect(human.stdout).toMatch(/^LPIPS \(lpips-alex-twin, 3 pairs\): 0\.\d+ ± [\d.e-]+ \(95% CI /);
  });

  test('bad input: exit 1, a message naming the files, no output file', () => {
    const csv = path.join(tmpDir(), 'pairs.csv');
    const size = cli(['lpips', image('img00_32x32_RGB.png'), image('img06_64x64_RGB.png'), ...TWIN, '--per-pair', csv], env());
    expect(size.code).toBe(1);
    expect(size.stderr).toMatch(/img00_32x32_RGB\.png is 32x32 but .*img06_64x64_RGB\.png is 64x64.*--resize N/);
    expect(fs.existsSync(csv)).toBe(false);
    const a = folder({ '1.png': 'img00_32x32_RGB.png', 'lonely.png': 'img01_32x32_RGB.png' });
    const b = folder({ '1.png': 'img02_32x32_RGB.png' });
    const unpaired = cli(['lpips', a, b, ...TWIN], env());
    expect(unpaired.code).toBe(1);
    expect(unpaired.stderr).toMatch(/without a partner in .*: lonely\.png/);
    expect(cli(['lpips', a, b, ...TWIN, '--resize', 'big'], env()).stderr).toMatch(/--resize: expected an integer >= 16, got 'big'/);
    const missing = cli(['lpips', image('img00_32x32_RGB.png'), image('img01_32x32_RGB.png'), '--model', 'lpips-vgg'], env());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/model 'lpips-vgg' \(lpips-vgg\.onnx\) not found .*vgg16-397923af\.pth.*scripts\/export_onnx\.py/);
  });
});

describe('genmetrics diversity', () => {
  const set = () =>
    folder(Object.fromEntries(['img00_32x32_RGB.png', 'img01_32x32_RGB.png', 'img02_32x32_RGB.png', 'img03_32x32_RGB.png', 'img04_32x32_RGB.png'].map((n) => [n, n])));

  test('LPIPS over random pairs: same seed, same output (any thread count); all pairs when fewer exist', () => {
    const dir = set();
    const a = ok(['diversity', dir, ...TWIN, '--pairs', '6', '--seed', '5', '--threads', '1']);
    const b = ok(['diversity', dir, ...TWIN, '--pairs', '6', '--seed', '5', '--threads', '2']);
    expect(b).toEqual(a);
    expect(a).toMatchObject({ space: 'lpips', distance: 'lpips', pairs: 6, all_pairs: false, seed: 5, diversity: { n: 6 } });
    const all = cli(['diversity', dir, ...TWIN, '--pairs', '50', '--json'], env());
    expect(JSON.parse(all.stdout)).toMatchObject({ pairs: 10, all_pairs: true });
    expect(all.stderr).toMatch(/only 10 distinct pairs exist; all are used/);
  });

  test('--space inception on images: the feature diversity of their pool3 features', () => {
    sharedFile('models', 'inception-fid-twin.onnx');
    const dir = set();
    const e = env();
    const features = path.join(tmpDir(), 'pool3.npy');
    const f = cli(['features', dir, '-o', features, '--model', 'inception-fid-twin', '-q'], e);
    expect(f.code).toBe(0);
    const run = (args: string[]) => JSON.parse(cli([...args, '--pairs', '7', '--seed', '3', '--json'], e).stdout);
    const fromImages = run(['diversity', dir, '--space', 'inception', '--model', 'inception-fid-twin']);
    const fromFeatures = run(['diversity', features]);
    expect(fromImages).toMatchObject({ space: 'inception', distance: 'euclidean', pairs: 7 });
    expect(fromImages.diversity).toEqual(fromFeatures.diversity);
    const bad = cli(['diversity', dir, '--space', 'inception', '--resize', '64'], e);
    expect(bad.stderr).toMatch(/--resize applies to LPIPS/);
  });

  test('features .npy: mean Euclidean distance between rows; per-pair CSV', () => {
    const rows = 6;
    const dims = 3;
    const data = Float32Array.from({ length: rows * dims }, (_, k) => (k * 7) % 5);
    const file = path.join(tmpDir(), 'f.npy');
    writeNpy(file, { dtype: 'float32', shape: [rows, dims], data });
    const csv = path.join(tmpDir(), 'd.csv');
    const r = ok(['diversity', file, '--pairs', '4', '--per-pair', csv]);
    expect(r).toMatchObject({ space: 'inception', distance: 'euclidean', pairs: 4, model: null });
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\n').slice(1);
    let sum = 0;
    for (const line of lines) {
      const [i, j, , , d] = line.split(',');
      const want = Math.hypot(...[0, 1, 2].map((c) => data[Number(i) * dims + c] - data[Number(j) * dims + c]));
      expect(Number(d)).toBeCloseTo(want, 12);
      sum += want;
    }
    expect(r.diversity.mean).toBeCloseTo(sum / 4, 12);
    const bad = cli(['diversity', file, '--space', 'lpips'], env());
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/f\.npy: a features array has no images to compare with LPIPS; use --space inception/);
  });
});
