// Perceptual path length against torch-fidelity's own calculate_ppl and LPIPS-VGG16, run on the
// same twins (scripts/make_ppl_fixture.py): an exactly computable generator and an LPIPS-VGG16 with
// hashed weights. What limits the agreement: onnxruntime's and PyTorch's float32 convolutions sum in
// different orders (the LPIPS values differ by ~1e-6 relative), and the resize to 64 px is computed
// in float64 here, float32 there; the uint8 images themselves are identical.
import * as fs from 'fs';
import * as path from 'path';
import { resizeForLpips } from '../lib/images/resize-float';
import { percentileOfSorted, reducePathLengths } from '../lib/metrics/ppl';
import { FIXTURES, cli, relErr, tmpDir } from './helpers';
import { installLpipsVggTwin } from './lpips-twin';
import { exactGenerator } from './onnx-builder';

const REF = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'ppl_reference.json'), 'utf8'));

describe('the reduction', () => {
  test("NumPy's percentile methods 'lower' and 'higher', both bounds kept, population std", () => {
    const sorted = [1, 2, 3, 4, 5];
    expect([percentileOfSorted(sorted, 25, 'lower'), percentileOfSorted(sorted, 75, 'higher'), percentileOfSorted(sorted, 30, 'lower'), percentileOfSorted(sorted, 30, 'higher')]).toEqual([2, 4, 2, 3]);
    const r = reducePathLengths([5, 1, 4, 2, 3], { lower: 25, upper: 75 });
    expect(r).toEqual({ mean: 3, std: Math.sqrt(2 / 3), kept: 3, bounds: { lower: 2, upper: 4 } });
    expect(reducePathLengths([5, 1], { lower: null, upper: null }).mean).toBe(3);
    expect(() => reducePathLengths([1, NaN], { lower: 1, upper: 99 })).toThrow(/NaN/);
  });

  test("the resize to LPIPS' input: torch's area (down) and bilinear, align_corners=False (up)", () => {
    const r = REF.resize;
    const x = Float32Array.from(r.input);
    const [n, c, h, w] = r.shape;
    const close = (a: Float32Array, b: number[]) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
    expect(close(resizeForLpips(x, n, c, h, w, 4), r.area4)).toBeLessThan(1e-6);
    expect(close(resizeForLpips(x, n, c, h, w, 9), r.bilinear9)).toBeLessThan(1e-6);
  });
});

describe('ppl', () => {
  const dir = tmpDir();
  let lpips = '';
  beforeAll(() => {
    lpips = installLpipsVggTwin(dir);
  }, 120_000);

  const generator = (g: { z: number; height: number; width: number; seed: number }) => exactGenerator(path.join(dir, `g-${g.seed}.onnx`), g);

  test("uint8 images, lerp, eps 1e-4 (torch-fidelity's defaults): every kept distance and the mean within 1e-3", () => {
    const ref = REF.uint8_lerp;
    const csv = path.join(dir, 'per-sample.csv');
    const k = ref.kwargs;
    const r = cli(['ppl', '--generator', generator(ref.generator), '-n', String(k.input1_model_num_samples), '--seed', String(k.rng_seed), '--batch-size', String(k.batch_size), '--lpips-model', lpips, '--per-sample', csv, '--json', '-q']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ samples: 300, kept: ref.kept.length, percentiles: [1, 99], epsilon: 1e-4, interpolation: 'lerp', dtype: 'uint8', resize: 64, generator: { seed: 5, samples: 300, quantize: 'round' } });
    expect(relErr(out.ppl.mean, ref.mean)).toBeLessThan(1e-3);
    expect(relErr(out.ppl.std, ref.std)).toBeLessThan(1e-3);
    const rows = fs.readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    const kept = rows.filter((row) => row[2] === 1).map((row) => row[1]);
    expect(kept.length).toBe(ref.kept.length);
    const worst = Math.max(...kept.map((d, i) => Math.abs(d - ref.kept[i]) / Math.max(ref.kept[i], 1e-3 * ref.mean)));
    expect(worst).toBeLessThan(1e-3);
  }, 180_000);

  test('float32 images, slerp, eps 1e-2: the mean within 1e-3', () => {
    const ref = REF.float32_slerp;
    const k = ref.kwargs;
    const r = cli(['ppl', '--generator', generator(ref.generator), '-n', String(k.input1_model_num_samples), '--seed', String(k.rng_seed), '--batch-size', String(k.batch_size), '--epsilon', String(k.ppl_epsilon), '--interpolation', 'slerp', '--dtype', 'float32', '--lpips-model', lpips, '--json', '-q']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const out = JSON.parse(r.stdout);
    expect(out.kept).toBe(ref.kept.length);
    expect(relErr(out.ppl.mean, ref.mean)).toBeLessThan(1e-3);
  }, 180_000);

  test('the distances do not depend on the batch size; errors name the option', () => {
    const g = generator({ z: 8, height: 16, width: 16, seed: 3 });
    const run = (batch: string) => JSON.parse(cli(['ppl', '--generator', g, '-n', '12', '--batch-size', batch, '--lpips-model', lpips, '--json', '-q', '--no-discard']).stdout);
    const [a, b] = [run('12'), run('5')];
    expect(relErr(a.ppl.mean, b.ppl.mean)).toBeLessThan(1e-6);
    expect(a.percentiles).toBeNull();
    expect(cli(['ppl', '--generator', g, '--lower-percentile', '60', '--upper-percentile', '40']).stderr).toMatch(/--lower-percentile: must be below --upper-percentile \(40\), got 60/);
    expect(cli(['ppl', '--generator', g, '--truncation', '0.5']).stderr).toMatch(/unknown option '--truncation'/);
  }, 120_000);
});
