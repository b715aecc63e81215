// CMMD against google-research's cmmd/distance.py formula evaluated in NumPy (float32, as the
// reference runs it in JAX, and float64) by scripts/make_extractor_fixtures.py, on feature sets this
// test rebuilds and on the shared Inception pair; and the command on features and on images.
import * as fs from 'fs';
import * as path from 'path';
import { run } from '../lib/api';
import { featureMatrix, readFeatureMatrix } from '../lib/features';
import { writeNpy } from '../lib/io/npy';
import { cmmd } from '../lib/metrics/cmmd';
import { FIXTURES, sharedFile, tmpDir } from './helpers';
import { hashedValues } from './onnx-builder';
import { CLIP_TWIN, vitTwin } from './vit-builder';

const REF = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'extractors', 'cmmd_reference.json'), 'utf8'));

// Tolerances, written: against the float64 evaluation of the formula, 1e-6 relative (our sums are
// float64 over float32 GEMM products); against the float32 reference, 1e-4 relative plus 1e-4
// absolute: the reference's float32 means of kernel values near 1 cancel (1000 x ~1e-7).
const REL64 = 1e-6;
const within32 = (v: number, ref: number) => Math.abs(v - ref) <= 1e-4 * Math.abs(ref) + 1e-4;

/** scripts/make_extractor_fixtures.py unit_rows: hashed values (+ shift), rows L2-normalised. */
function unitRows(n: number, d: number, seed: number, shift: number): Float32Array {
  const v = hashedValues(n * d, seed, 1);
  const out = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (v[r * d + j] + shift) ** 2;
    const norm = Math.sqrt(s);
    for (let j = 0; j < d; j++) out[r * d + j] = (v[r * d + j] + shift) / norm;
  }
  return out;
}

interface SyntheticCase {
  name: string;
  x: [number, number, number, number];
  y: [number, number, number, number];
  sigma: number;
  cmmd_float32: number;
  cmmd_float64: number;
}
const synthetic: [string, SyntheticCase][] = REF.cases.filter((c: { x?: number[] }) => c.x).map((c: SyntheticCase) => [c.name, c]);

describe('CMMD equals the reference formula', () => {
  test.each(synthetic)('%s', async (_name, c) => {
    const [nx, d, sx] = c.x;
    const [ny, , sy, shift] = c.y;
    const x = featureMatrix(unitRows(nx, d, sx, 0), nx, 'x');
    const y = featureMatrix(unitRows(ny, d, sy, shift), ny, 'y');
    for (const precision of ['float32', 'float64'] as const) {
      const r = await cmmd(x, y, { sigma: c.sigma, precision, tile: 64 });
      expect(Math.abs(r.cmmd - c.cmmd_float64) / c.cmmd_float64).toBeLessThan(REL64);
      expect(within32(r.cmmd, c.cmmd_float32)).toBe(true);
      expect(r.sizes).toEqual([nx, ny]);
      // Symmetric in the two sets, as the formula is.
      expect(Math.abs((await cmmd(y, x, { sigma: c.sigma, precision })).cmmd - r.cmmd)).toBeLessThan(1e-9 * Math.abs(r.cmmd) + 1e-12);
    }
  });

  test('the shared Inception pair (3000 x 2048 each), through the command on features files', async () => {
    const c = REF.cases.find((k: { name: string }) => k.name === 'shared_fake_vs_real_3000x2048');
    const [fake, real] = c.files.map((f: string) => sharedFile('fixtures', 'metrics', f));
    const r = (await run('cmmd', [fake, real], { threads: 2 })) as { cmmd: number; mmd2: number; sizes: number[]; convention: { kernel: { sigma: number }; scale: number; estimator: string; embedding: string | null } };
    expect(Math.abs(r.cmmd - c.cmmd_float64) / c.cmmd_float64).toBeLessThan(REL64);
    expect(within32(r.cmmd, c.cmmd_float32)).toBe(true);
    expect(r.mmd2 * 1000).toBeCloseTo(r.cmmd, 12);
    expect(r.sizes).toEqual([3000, 3000]);
    expect(r.convention).toMatchObject({ kernel: { sigma: 10 }, scale: 1000, estimator: 'biased', embedding: null });
  });

  test('sets of different sizes; identical sets give 0; sigma and scale options', async () => {
    const dir = tmpDir();
    try {
      const a = path.join(dir, 'a.npy');
      const b = path.join(dir, 'b.npy');
      writeNpy(a, { data: unitRows(40, 8, 5, 0), shape: [40, 8], dtype: 'float32' });
      writeNpy(b, { data: unitRows(25, 8, 6, 0.4), shape: [25, 8], dtype: 'float32' });
      const same = (await run('cmmd', [a, a], {})) as { cmmd: number };
      expect(Math.abs(same.cmmd)).toBeLessThan(1e-9);
      const base = (await run('cmmd', [a, b], {})) as { cmmd: number };
      const scaled = (await run('cmmd', [a, b], { scale: 1 })) as { cmmd: number };
      expect(scaled.cmmd * 1000).toBeCloseTo(base.cmmd, 10);
      const X = readFeatureMatrix(a);
      const Y = readFeatureMatrix(b);
      expect((await run('cmmd', [a, b], { sigma: 2 }) as { cmmd: number }).cmmd).toBeCloseTo((await cmmd(X, Y, { sigma: 2 })).cmmd, 12);
      await expect(run('cmmd', [a, b], { sigma: 0 })).rejects.toThrow(/sigma/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('on images: CLIP is the default extractor and the output says which convention was used', async () => {
    const dir = tmpDir();
    try {
      const [ga, gb] = [path.join(dir, 'gen'), path.join(dir, 'ref')];
      fs.mkdirSync(ga);
      fs.mkdirSync(gb);
      for (const f of ['img00_32x32_RGB.png', 'img13_300x200_RGB.png', 'img15_299x299_RGB.png']) fs.copyFileSync(sharedFile('fixtures', 'images', f), path.join(ga, f));
      for (const f of ['img09_28x28_L.png', 'img14_512x384_RGBA.png']) fs.copyFileSync(sharedFile('fixtures', 'images', f), path.join(gb, f));
      const twin = vitTwin(path.join(dir, 'clip.onnx'), CLIP_TWIN);
      const r = (await run('cmmd', [ga, gb], { model: twin, cache: false, threads: 1 })) as { cmmd: number; sizes: number[]; convention: { embedding: string }; inputs: { preprocessing: { mode: string } }[] };
      expect(r.sizes).toEqual([3, 2]);
      expect(r.cmmd).toBeGreaterThan(0);
      expect(r.convention.embedding).toMatch(/^clip-vit-l14: CMMD/);
      expect(r.inputs[0].preprocessing.mode).toBe('pil-bicubic-336-center-crop');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
