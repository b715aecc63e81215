// The truncation sweep: on a generator whose images spread out as |z| grows (a dense core of typical
// images, scattered ones in the tails), precision rises and recall falls as psi falls; the chart has
// one point per psi and metric, as SVG and PNG.
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { cli, networkEnv, tmpDir } from './helpers';
import { twinGenerator } from './onnx-builder';

const TWIN = ['--model', 'inception-fid-twin'];

test('precision rises and recall falls monotonically as psi falls; the chart has one point per psi', async () => {
  const dir = tmpDir();
  const env = networkEnv();
  const G = twinGenerator(path.join(dir, 'g.onnx'), { z: 2, height: 16, width: 16, seed: 11, scale: 0.3, spread: true });
  const ok = (args: string[]) => {
    const r = cli([...args, '--json', '-q'], env);
    if (r.code !== 0) throw new Error(`genmetrics ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  // The reference: the untruncated generator's samples under another seed.
  ok(['generate', '--generator', G, '-n', '100', '--seed', '1', '-o', path.join(dir, 'ref')]);
  ok(['features', path.join(dir, 'ref'), '-o', path.join(dir, 'ref.npy'), ...TWIN]);
  const svg = path.join(dir, 'curve.svg');
  const png = path.join(dir, 'curve.png');
  const r = ok(['truncation', '--generator', G, path.join(dir, 'ref.npy'), '--psi', '0.25,0.5,1.0', '-n', '100', '--seed', '2', '--subsets', '20', '--subset-size', '50', '--svg', svg, '--png', png, ...TWIN]);
  expect(r).toMatchObject({ method: 'scale', samples: 100, plots: [svg, png], reference: { kind: 'features', count: 100 }, generator: { seed: 2, samples: 100 } });
  const at = (psi: number) => r.rows.find((x: { psi: number }) => x.psi === psi);
  const [low, mid, full] = [at(0.25), at(0.5), at(1)];
  expect([low.precision > mid.precision, mid.precision > full.precision]).toEqual([true, true]);
  expect([low.recall <= mid.recall, mid.recall <= full.recall, low.recall < full.recall]).toEqual([true, true, true]);
  // Coverage falls with the support too; FID is lowest untruncated (the reference is untruncated).
  expect(low.coverage < full.coverage && full.fid < low.fid).toBe(true);
  const points = fs.readFileSync(svg, 'utf8').match(/aria-roledescription="point"/g) ?? [];
  expect(points.length).toBe(6 * 3);
  const meta = await sharp(png).metadata();
  expect([meta.format, (meta.width ?? 0) > 400]).toEqual(['png', true]);
}, 240_000);

test('errors: a bad psi list, a chart file of the wrong kind, a resample psi too small', () => {
  const dir = tmpDir();
  const G = twinGenerator(path.join(dir, 'g.onnx'), { z: 2, height: 4, width: 4 });
  const run = (...extra: string[]) => cli(['truncation', '--generator', G, dir, ...extra]).stderr.trim();
  expect(run('--psi', '0.5,x')).toBe("genmetrics: error: --psi: expected comma-separated numbers >= 0, got 'x' in '0.5,x'");
  expect(run('--psi', '0.5,0.5')).toBe("genmetrics: error: --psi: each psi once, got '0.5,0.5'");
  expect(run('--svg', path.join(dir, 'c.png'))).toMatch(/--svg: expected a file name ending in \.svg/);
  expect(run('--psi', '0.01,1', '--truncation-method', 'resample')).toMatch(/--psi: the resample method draws every entry with \|z\| > psi again, which needs psi >= 0.05; got 0.01/);
});
