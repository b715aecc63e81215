// Generators as inputs: latent codes equal NumPy's, samples streamed to the network equal the same
// samples written to disk (bit for bit, at any batch size), truncation, conditional and uint8
// models, mapping networks, and the errors.
import * as fs from 'fs';
import * as path from 'path';
import { Generator, toImages } from '../lib/generator/generator';
import { LatentStream } from '../lib/generator/latents';
import { FIXTURES, cli, networkEnv, tmpDir } from './helpers';
import { twinGenerator, twinMapping } from './onnx-builder';

const REF = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'latents_reference.json'), 'utf8'));
const TWIN = ['--model', 'inception-fid-twin'];

function ok(args: string[], env: Record<string, string> = {}): any {
  const r = cli([...args, '--json', '-q'], env);
  if (r.code !== 0) throw new Error(`genmetrics ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('latent codes', () => {
  test("N(0, I) codes equal NumPy's RandomState(2020).randn(5, 3) as float32, exactly", () => {
    const s = new LatentStream({ seed: 2020, dims: 3, count: 5 });
    expect(Array.from(s.next(5).z)).toEqual(REF.seed2020_5x3);
  });

  test("conditional: codes then labels per block of 64, as torch-fidelity draws them at its default batch size", () => {
    const ref = REF.cond_seed7_70x4;
    const s = new LatentStream({ seed: 7, dims: 4, count: 70, classes: 10 });
    const b = s.next(70);
    expect(Array.from(b.z)).toEqual(ref.z);
    expect(Array.from(b.labels!, Number)).toEqual(ref.labels);
  });

  test('the same codes and labels whatever the batches they are asked for in', () => {
    const whole = new LatentStream({ seed: 3, dims: 5, count: 150, classes: 7 }).next(150);
    const parts = new LatentStream({ seed: 3, dims: 5, count: 150, classes: 7 });
    const z: number[] = [];
    const labels: number[] = [];
    for (const n of [1, 7, 64, 13, 65]) {
      const b = parts.next(n);
      z.push(...b.z);
      labels.push(...Array.from(b.labels!, Number));
    }
    expect(parts.position).toBe(150);
    expect(z).toEqual(Array.from(whole.z));
    expect(labels).toEqual(Array.from(whole.labels!, Number));
  });

  test('truncation: scale multiplies the float32 code by psi; resample keeps every entry within psi', () => {
    const plain = new LatentStream({ seed: 1, dims: 8, count: 20 }).next(20).z;
    const scaled = new LatentStream({ seed: 1, dims: 8, count: 20, truncation: { psi: 0.7, method: 'scale' } }).next(20).z;
    expect(Array.from(scaled)).toEqual(Array.from(plain, (v) => Math.fround(v * 0.7)));
    const resampled = new LatentStream({ seed: 1, dims: 8, count: 200, truncation: { psi: 0.5, method: 'resample' } }).next(200).z;
    expect(Math.max(...Array.from(resampled, Math.abs))).toBeLessThanOrEqual(0.5);
    // The entries already within psi keep their place in the stream: the first one is the first draw within.
    expect(resampled[0]).toBe(Array.from(plain).find((v) => Math.abs(v) <= 0.5));
    expect(() => new LatentStream({ seed: 1, dims: 8, count: 2, truncation: { psi: 0.01, method: 'resample' } })).toThrow('truncation: the resample method draws every entry with |z| > psi again, which needs psi >= 0.05; got 0.01');
  });
});

describe('float images to uint8', () => {
  const planar = (values: number[]) => ({ data: Float32Array.from(values), dims: [1, 1, 1, values.length] });
  test("round: StyleGAN's x * 127.5 + 128 (-1..1) and torchvision's x * 255 + 0.5 (0..1), clamped, truncated", () => {
    expect(Array.from(toImages(planar([-1.5, -1, -0.5, 0, 0.5, 0.999, 1, 2]), '-1,1', 'round')[0].data)).toEqual([0, 0, 64, 128, 191, 255, 255, 255]);
    expect(Array.from(toImages(planar([-0.1, 0, 0.5, 0.998, 1]), '0,1', 'round')[0].data)).toEqual([0, 0, 128, 254, 255]);
  });
  test("truncate: torch-fidelity's example, 255 * (x.clamp(-1, 1) * 0.5 + 0.5) cast to uint8", () => {
    expect(Array.from(toImages(planar([-2, -1, 0, 0.5, 1]), '-1,1', 'truncate')[0].data)).toEqual([0, 0, 127, 191, 255]);
  });
  test('channels are interleaved; NaN is an error naming the model', () => {
    const img = toImages({ data: Float32Array.from([0, 1, 0, 1, 0, 1]), dims: [1, 3, 1, 2] }, '0,1', 'round')[0];
    expect([img.channels, img.width, img.height, Array.from(img.data)]).toEqual([3, 2, 1, [0, 0, 0, 255, 255, 255]]);
    expect(() => toImages(planar([NaN]), '-1,1', 'round', 'g.onnx')).toThrow('g.onnx: the output of sample 0 of the batch holds NaN');
  });
});

describe('generator inputs of the metric commands', () => {
  const dir = tmpDir();
  const G = twinGenerator(path.join(dir, 'g.onnx'), { z: 16, height: 24, width: 20, seed: 3, scale: 0.6 });
  const env = networkEnv();

  test('fid, kid, prdc and is from a generator equal the same samples written to disk, bit for bit, at any batch size', () => {
    const samples = path.join(dir, 'samples');
    const wrote = ok(['generate', '--generator', G, '-n', '40', '-o', samples, '--batch-size', '7']);
    expect(wrote).toMatchObject({ files: 40, generator: { samples: 40, seed: 2020, z_dims: 16, range: '-1,1', quantize: 'round', image: { channels: 3, height: 24, width: 20 } } });
    expect(fs.readdirSync(samples).slice(0, 2)).toEqual(['000000.png', '000001.png']);
    const ref = path.join(dir, 'ref.npy');
    ok(['features', samples, '-o', ref, ...TWIN], env);
    const small = ['--subsets', '5', '--subset-size', '20', '--no-cache'];
    const onDisk = ok(['all', samples, ref, ...small, ...TWIN], env);
    for (const batch of ['8', '5']) {
      const streamed = ok(['all', '--generator', G, '-n', '40', ref, ...small, '--batch-size', batch, ...TWIN], env);
      for (const key of ['fid', 'kid', 'precision', 'recall', 'density', 'coverage', 'inception_score']) expect([batch, key, streamed[key]]).toEqual([batch, key, onDisk[key]]);
      expect(streamed.inputs[0]).toMatchObject({ kind: 'generator', path: G, count: 40, generator: { seed: 2020, samples: 40 } });
    }
    // A batch of 7 when writing, 8 and 5 when streaming: the feature files are identical too.
    const streamedFeatures = path.join(dir, 'streamed.npy');
    const viaFeatures = ok(['fid', '--generator', G, '-n', '40', ref, '--no-cache', ...TWIN], env);
    expect(viaFeatures.fid).toBe(onDisk.fid);
    ok(['features', samples, '-o', streamedFeatures, ...TWIN, '--no-cache'], env);
    expect(Buffer.compare(fs.readFileSync(streamedFeatures), fs.readFileSync(ref))).toBe(0);
    const is = ok(['is', '--generator', G, '-n', '40', '--splits', '2', ...TWIN], env);
    const isDisk = ok(['is', samples, '--splits', '2', ...TWIN], env);
    expect(is.inception_score).toEqual(isDisk.inception_score);
    expect(is.input).toMatchObject({ kind: 'generator', generator: { samples: 40 } });
  }, 240_000);

  test('a different seed or truncation draws other samples; the feature cache keys on them', () => {
    const a = ok(['generate', '--generator', G, '-n', '3', '-o', path.join(dir, 'a'), '--seed', '1']);
    const b = ok(['generate', '--generator', G, '-n', '3', '-o', path.join(dir, 'b'), '--seed', '1', '--truncation', '0.5']);
    const bytes = (d: string) => fs.readdirSync(d).map((f) => fs.readFileSync(path.join(d, f)).toString('base64'));
    expect(bytes(path.join(dir, 'a'))).not.toEqual(bytes(path.join(dir, 'b')));
    expect([a.generator.truncation, b.generator.truncation]).toEqual([null, { psi: 0.5, method: 'scale' }]);
    const ref = path.join(dir, 'a');
    const cached = (...more: string[]) => ok(['prdc', '--generator', G, '-n', '12', ref, '--k', '2', ...more, ...TWIN], env).inputs[0].images.cached;
    expect([cached('--seed', '1'), cached('--seed', '1'), cached('--seed', '2'), cached('--seed', '1', '--truncation', '0.5')]).toEqual([false, true, false, false]);
  }, 120_000);
});

describe('conditional, uint8 and mapped generators', () => {
  const dir = tmpDir();

  test("a conditional model gets int64 labels; its classes come from the option or the model's metadata", async () => {
    const f = twinGenerator(path.join(dir, 'cond.onnx'), { z: 4, height: 2, width: 2, classes: 10, metadata: { num_classes: '10' } });
    const g = await Generator.open({ generator: f, samples: 3, seed: 7 });
    try {
      expect(g.classes).toBe(10);
      const imgs = await g.images(g.latents().next(3));
      expect(imgs.map((i) => i.data.length)).toEqual([12, 12, 12]);
    } finally {
      await g.release();
    }
    const bare = twinGenerator(path.join(dir, 'cond-bare.onnx'), { z: 4, height: 2, width: 2, classes: 10 });
    await expect(Generator.open({ generator: bare, samples: 3, seed: 7 })).rejects.toThrow(/classes: .*cond-bare.onnx is conditional \(input 'class'\): give the number of classes/);
    const plain = twinGenerator(path.join(dir, 'plain.onnx'), { z: 4, height: 2, width: 2 });
    await expect(Generator.open({ generator: plain, samples: 3, seed: 7, classes: 5 })).rejects.toThrow(/has no 'class' input/);
  });

  test("uint8 output is taken as it is (torch-fidelity's convention); the range comes from the metadata", async () => {
    const u8 = twinGenerator(path.join(dir, 'u8.onnx'), { z: 4, height: 3, width: 3, output: 'uint8' });
    const g = await Generator.open({ generator: u8, samples: 2, seed: 1 });
    expect(g.provenance()).toMatchObject({ range: 'uint8', quantize: null });
    await g.release();
    const s = twinGenerator(path.join(dir, 'sig.onnx'), { z: 4, height: 3, width: 3, output: 'sigmoid', metadata: { range: '0,1' } });
    const h = await Generator.open({ generator: s, samples: 2, seed: 1 });
    expect(h.range).toBe('0,1');
    await h.release();
    const bad = twinGenerator(path.join(dir, 'bad-range.onnx'), { z: 4, height: 3, width: 3, metadata: { range: '0,255' } });
    await expect(Generator.open({ generator: bad, samples: 2, seed: 1 })).rejects.toThrow("bad-range.onnx: metadata 'range' is '0,255'; expected -1,1 or 0,1");
  });

  test('a mapping network: truncation pulls w toward w_avg (from the metadata, else estimated)', async () => {
    const m = twinMapping(path.join(dir, 'map.onnx'), 6, 5);
    const avg = '0.1,0.2,0.3,0.4,0.5';
    const mAvg = twinMapping(path.join(dir, 'map-avg.onnx'), 6, 5, 7, { w_avg: avg });
    const g = twinGenerator(path.join(dir, 'synth.onnx'), { z: 5, height: 2, width: 2, latent: 'w' });
    const run = async (mapping: string, psi?: number) => {
      const gen = await Generator.open({ generator: g, mapping, samples: 4, seed: 5, truncation: psi === undefined ? undefined : { psi, method: 'scale' } });
      try {
        return { images: (await gen.images(gen.latents().next(4))).map((i) => Array.from(i.data)), p: gen.provenance() };
      } finally {
        await gen.release();
      }
    };
    const full = await run(mAvg);
    const zero = await run(mAvg, 0);
    const one = await run(mAvg, 1);
    expect(one.images).toEqual(full.images);
    // psi = 0: every sample is the image of w_avg.
    expect(new Set(zero.images.map((i) => i.join())).size).toBe(1);
    expect(zero.p.mapping).toMatchObject({ w_avg: 'metadata' });
    const est = await run(m, 0.5);
    expect(est.p.mapping).toMatchObject({ w_avg: 'estimated' });
    expect(est.p.z_dims).toBe(6);
  });

  test('errors: not a generator, options without a generator, a psi too small to resample', () => {
    const notGen = twinMapping(path.join(dir, 'not-gen.onnx'), 4, 3);
    const r = cli(['generate', '--generator', notGen, '-n', '2', '-o', path.join(dir, 'x')]);
    expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(/not-gen\.onnx: not a generator: expected images N x 3 x H x W .* got \[1, 3\]/)]);
    expect(fs.existsSync(path.join(dir, 'x'))).toBe(false);
    const stray = cli(['fid', 'a', 'b', '--truncation', '0.5']);
    expect([stray.code, stray.stderr.trim()]).toEqual([1, 'genmetrics: error: --truncation: applies to generated samples: give --generator too']);
    const count = cli(['fid', '--generator', notGen, 'a', 'b']);
    expect(count.stderr).toMatch(/fid: expected inputs b \(--generator stands for the first\), got 2/);
    const small = cli(['generate', '--generator', notGen, '-n', '2', '-o', path.join(dir, 'y'), '--truncation', '0.01', '--truncation-method', 'resample']);
    expect(small.stderr).toMatch(/--truncation: the resample method draws every entry with \|z\| > psi again, which needs psi >= 0.05; got 0.01/);
  });
});

