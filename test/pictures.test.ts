// Pictures: grids (pixels where the layout says), interpolations (torch-fidelity's lerp and slerp;
// the rows' ends are the seeds' samples) and traversals (each cell the decoder's image of its code).
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { Generator } from '../lib/generator/generator';
import { LatentStream } from '../lib/generator/latents';
import type { DecodedImage } from '../lib/images/preprocess';
import { writeNpy } from '../lib/io/npy';
import { composeGrid, gridLayout } from '../lib/pictures/grid';
import { lerp, slerp } from '../lib/pictures/interpolate';
import { FIXTURES, cli, tmpDir } from './helpers';
import { twinGenerator } from './onnx-builder';

const REF = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'interpolation_reference.json'), 'utf8'));

function ok(args: string[]): any {
  const r = cli([...args, '--json', '-q']);
  if (r.code !== 0) throw new Error(`genmetrics ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function pixels(file: string): Promise<DecodedImage> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels };
}

/** The cell (r, c) of a grid of w x h cells with padding pad, as RGB. */
function cell(img: DecodedImage, r: number, c: number, w: number, h: number, pad: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = ((pad + r * (h + pad) + y) * img.width + pad + c * (w + pad) + x) * img.channels;
      out.push(img.data[p], img.data[p + 1], img.data[p + 2]);
    }
  }
  return out;
}

const rgb = (img: DecodedImage) => Array.from(img.data);

describe('grid', () => {
  test("layout: torchvision's make_grid (ceil(sqrt(n)) columns, padding around and between)", () => {
    expect(gridLayout(Array(10).fill({ width: 5, height: 3 }), { pad: 2 })).toEqual({ rows: 3, cols: 4, cellWidth: 5, cellHeight: 3, width: 4 * 7 + 2, height: 3 * 5 + 2 });
    expect(gridLayout([{ width: 4, height: 9 }, { width: 6, height: 2 }], { rows: 1, pad: 0 })).toEqual({ rows: 1, cols: 2, cellWidth: 6, cellHeight: 9, width: 12, height: 9 });
  });

  test('every image lands in its cell unchanged (grey replicated to RGB, smaller ones centred); padding is the background', async () => {
    const img = (w: number, h: number, c: number, seed: number): DecodedImage => ({ data: Uint8Array.from({ length: w * h * c }, (_, i) => (i * 37 + seed * 11) % 256), width: w, height: h, channels: c });
    const a = img(4, 3, 3, 1);
    const b = img(4, 3, 1, 2);
    const small = img(2, 1, 3, 3);
    const { image, layout } = await composeGrid([a, b, small], { cols: 2, pad: 1, background: 200 });
    expect([layout.rows, layout.cols, image.width, image.height, image.channels]).toEqual([2, 2, 11, 9, 3]);
    expect(cell(image, 0, 0, 4, 3, 1)).toEqual(rgb(a));
    expect(cell(image, 0, 1, 4, 3, 1)).toEqual(Array.from(b.data).flatMap((v) => [v, v, v]));
    // The 2 x 1 image centred in its 4 x 3 cell: offset (1, 1); the rest of the cell is background.
    const c = cell(image, 1, 0, 4, 3, 1);
    expect(c.slice((1 * 4 + 1) * 3, (1 * 4 + 3) * 3)).toEqual(rgb(small));
    expect(c.slice(0, 12)).toEqual(Array(12).fill(200));
    expect(cell(image, 1, 1, 4, 3, 1)).toEqual(Array(36).fill(200));
    expect(Array.from(image.data.subarray(0, 33))).toEqual(Array(33).fill(200));
  });

  test("grid --generator shows the samples that 'generate' writes; grid of a folder shows its first images", async () => {
    const dir = tmpDir();
    const G = twinGenerator(path.join(dir, 'g.onnx'), { z: 6, height: 5, width: 7, seed: 9 });
    ok(['generate', '--generator', G, '-n', '6', '-o', path.join(dir, 's'), '--seed', '4']);
    const r = ok(['grid', '--generator', G, '--count', '6', '--seed', '4', '-o', path.join(dir, 'g.png'), '--pad', '3']);
    expect(r).toMatchObject({ images: 6, rows: 2, cols: 3, width: 3 * 10 + 3, height: 2 * 8 + 3, source: { kind: 'generator', generator: { seed: 4, samples: 6 } } });
    const f = ok(['grid', path.join(dir, 's'), '--count', '4', '--cols', '4', '-o', path.join(dir, 'f.png'), '--pad', '3']);
    expect(f).toMatchObject({ images: 4, rows: 1, cols: 4, source: { kind: 'folder' } });
    const grid = await pixels(path.join(dir, 'g.png'));
    const folder = await pixels(path.join(dir, 'f.png'));
    for (let k = 0; k < 6; k++) {
      const sample = await pixels(path.join(dir, 's', `00000${k}.png`));
      expect(cell(grid, Math.floor(k / 3), k % 3, 7, 5, 3)).toEqual(rgb(sample));
      if (k < 4) expect(cell(folder, 0, k, 7, 5, 3)).toEqual(rgb(sample));
    }
  });

  test('errors: an output that is not an image file, a truncation without a generator', () => {
    const dir = tmpDir();
    const bad = cli(['grid', dir, '-o', path.join(dir, 'g.gif')]);
    expect([bad.code, bad.stderr.trim()]).toEqual([1, `genmetrics: error: --output: expected an image file name ending in .png, .jpg, .jpeg, .webp, got '${path.join(dir, 'g.gif')}'`]);
    expect(cli(['grid', dir, '-o', path.join(dir, 'g.png'), '--truncation', '0.7']).stderr).toMatch(/--truncation: applies to generated samples/);
  });
});

describe('interpolate', () => {
  const near = (a: ArrayLike<number>, b: number[]) => Array.from(a).every((v, i) => Math.abs(v - b[i]) <= 1e-6 * Math.max(1, Math.abs(b[i])));
  test("lerp and slerp equal torch-fidelity's batch_lerp and batch_slerp_any (within 1e-6: float64 here, float32 there)", () => {
    const a = Float32Array.from(REF.a);
    const b = Float32Array.from(REF.b);
    REF.t.forEach((t: number, k: number) => {
      expect([t, near(lerp(a, b, t), REF.lerp[k])]).toEqual([t, true]);
      expect([t, near(slerp(a, b, t), REF.slerp[k])]).toEqual([t, true]);
    });
    // Parallel codes: slerp falls back to lerp, as there.
    expect(near(slerp(a, Float32Array.from(a, (v) => 2 * v), 0.5), REF.slerp_parallel)).toBe(true);
  });

  test("each row runs from one seed's sample to the next seed's", async () => {
    const dir = tmpDir();
    const G = twinGenerator(path.join(dir, 'g.onnx'), { z: 6, height: 4, width: 3, seed: 2 });
    const r = ok(['interpolate', '--generator', G, '--seeds', '11,12,13', '--steps', '5', '-o', path.join(dir, 'i.png'), '--slerp']);
    expect(r).toMatchObject({ seeds: [11, 12, 13], steps: 5, interpolation: 'slerp', rows: 2, cols: 5 });
    const strip = await pixels(path.join(dir, 'i.png'));
    const sampleOf = async (seed: number) => {
      ok(['generate', '--generator', G, '-n', '1', '--seed', String(seed), '-o', path.join(dir, `s${seed}`)]);
      return rgb(await pixels(path.join(dir, `s${seed}`, '000000.png')));
    };
    const [s11, s12, s13] = [await sampleOf(11), await sampleOf(12), await sampleOf(13)];
    expect([cell(strip, 0, 0, 3, 4, 2), cell(strip, 0, 4, 3, 4, 2), cell(strip, 1, 0, 3, 4, 2), cell(strip, 1, 4, 3, 4, 2)]).toEqual([s11, s12, s12, s13]);
    expect(cell(strip, 0, 2, 3, 4, 2)).not.toEqual(s11);
    expect(cli(['interpolate', '--generator', G, '--seeds', '3', '-o', path.join(dir, 'x.png')]).stderr).toMatch(/--seeds: expected at least two seeds/);
    expect(cli(['interpolate', '--generator', G, '--seeds', '3,x', '-o', path.join(dir, 'x.png')]).stderr).toMatch(/--seeds: expected comma-separated integers .* got 'x' in '3,x'/);
  });
});

describe('traverse', () => {
  test('cell (row d, column k) is the decoder image of the base code with dimension d set to the k-th value', async () => {
    const dir = tmpDir();
    const D = twinGenerator(path.join(dir, 'd.onnx'), { z: 4, height: 3, width: 2, seed: 5 });
    const codes = path.join(dir, 'codes.npy');
    const base = Float32Array.from([0.5, -1, 0.25, 2, 1, 1, 1, 1]);
    writeNpy(codes, { dtype: 'float32', shape: [2, 4], data: base });
    const r = ok(['traverse', '--decoder', D, '--codes', codes, '--index', '0', '--range', '2', '--steps', '5', '--dims', '1,3', '--output-range=-1,1', '-o', path.join(dir, 't.png')]);
    expect(r).toMatchObject({ dims: [1, 3], values: [-2, -1, 0, 1, 2], rows: 2, cols: 5, base: { codes, index: 0 }, decoder: { output_range: '-1,1', shape: [3, 3, 2] } });
    const img = await pixels(path.join(dir, 't.png'));
    const g = await Generator.open({ generator: D, samples: 1, seed: 0 });
    try {
      for (const [row, d] of [[0, 1], [1, 3]]) {
        for (const [k, v] of [[0, -2], [3, 1]]) {
          const z = base.slice(0, 4);
          z[d] = v;
          const [expected] = await g.images({ z, rows: 1 });
          expect([row, k, cell(img, row, k, 2, 3, 2)]).toEqual([row, k, rgb(expected)]);
        }
      }
    } finally {
      await g.release();
    }
    // From a seed: the base code is RandomState(seed).randn(1, Z).
    const s = ok(['traverse', '--decoder', D, '--seed', '8', '--steps', '3', '--dims', '0', '--output-range=-1,1', '-o', path.join(dir, 's.png')]);
    expect(s.base).toEqual({ seed: 8 });
    const viaSeed = await pixels(path.join(dir, 's.png'));
    const z = new LatentStream({ seed: 8, dims: 4, count: 1 }).next(1).z;
    z[0] = 3;
    const h = await Generator.open({ generator: D, samples: 1, seed: 0 });
    const [last] = await h.images({ z, rows: 1 });
    await h.release();
    expect(cell(viaSeed, 0, 2, 2, 3, 2)).toEqual(rgb(last));
  });

  test('errors: both or neither base, a dimension out of range, a shape that does not fit', () => {
    const dir = tmpDir();
    const D = twinGenerator(path.join(dir, 'd.onnx'), { z: 4, height: 3, width: 2 });
    const out = ['-o', path.join(dir, 't.png')];
    expect(cli(['traverse', '--decoder', D, ...out]).stderr).toMatch(/--codes: give either --codes \(with --index\) or --seed/);
    expect(cli(['traverse', '--decoder', D, '--seed', '1', '--dims', '4', ...out]).stderr).toMatch(/--dims: expected dimensions between 0 and 3, got 4/);
    expect(cli(['traverse', '--decoder', D, '--seed', '1', '--shape', '1,4,4', ...out]).stderr).toMatch(/--shape: 1 x 4 x 4 is 16 values, the decoder gives 18 per code/);
    expect(fs.existsSync(path.join(dir, 't.png'))).toBe(false);
  });
});
