// Inputs too small for a network, and degenerate sizes at the native entry points, end in an
// error message (exit 1 from the CLI), never in a signal (SIGFPE used to kill LPIPS, exit 136).
import * as fs from 'fs';
import * as path from 'path';
import * as protobuf from 'protobufjs';
import sharp from 'sharp';
import { signedRgb } from '../lib/images/tensor';
import { lpips } from '../lib/network/lpips-pairs';
import { native } from '../lib/native';
import { minimumInputSize } from '../lib/network/lpips-size';
import { SHARED, cli, sharedFile, tmpDir } from './helpers';

const TWIN = ['--model', 'lpips-alex-twin'];

function env(): Record<string, string> {
  sharedFile('models', 'lpips-alex-twin.onnx');
  return { GENMETRICS_MODEL_DIR: path.join(SHARED, 'models'), GENMETRICS_CACHE_DIR: tmpDir() };
}

/** A size x size RGB PNG of a deterministic pattern. */
async function png(dir: string, name: string, size: number, seed: number): Promise<string> {
  const buf = Buffer.alloc(size * size * 3);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 37 + seed * 91) % 256;
  const file = path.join(dir, name);
  await sharp(buf, { raw: { width: size, height: size, channels: 3 } }).png().toFile(file);
  return file;
}

describe('LPIPS below the network\'s smallest input', () => {
  const dir = tmpDir();

  test('the alex trunk needs 31 px (PyTorch\'s output-size rule on every conv and pool layer)', () => {
    expect(minimumInputSize(sharedFile('models', 'lpips-alex-twin.onnx'))).toEqual({ height: 31, width: 31 });
  });

  test.each([2, 8, 16, 22, 30])('%i px images: exit 1 with the minimum named, no signal', async (size) => {
    const a = await png(dir, `a${size}.png`, size, 0);
    const b = await png(dir, `b${size}.png`, size, 1);
    const r = cli(['lpips', a, b, ...TWIN], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`a${size}\\.png and .*b${size}\\.png are ${size}x${size}: lpips-alex-twin needs images of at least 31 px on each side`));
    expect(r.stderr).toMatch(/resize them \(--resize\) to 31 or more/); // the library's 'option resize', as the CLI's flag
  });

  test('--resize 16 is refused with the minimum; 31 px and --resize 31 work', async () => {
    const a = await png(dir, 'a40.png', 40, 0);
    const b = await png(dir, 'b40.png', 40, 1);
    const r = cli(['lpips', a, b, ...TWIN, '--resize', '16'], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/resize must be an integer >= 31 \(the smallest input of lpips-alex-twin: 31 px\), got 16/);

    const resized = cli(['lpips', a, b, ...TWIN, '--resize', '31', '--json'], env());
    expect(resized.code).toBe(0);
    expect(JSON.parse(resized.stdout).lpips.mean).toBeGreaterThan(0);

    const a31 = await png(dir, 'a31.png', 31, 0);
    const b31 = await png(dir, 'b31.png', 31, 1);
    const smallest = cli(['lpips', a31, b31, ...TWIN, '--json'], env());
    expect(smallest.code).toBe(0);
    expect(JSON.parse(smallest.stdout).lpips.mean).toBeGreaterThan(0);

    // Through the library: the option key and the value given.
    await expect(lpips(a, b, { model: 'lpips-alex-twin', resize: 30 })).rejects.toThrow(/resize must be an integer >= 31 .*got 30/);
  });

  test('diversity over a folder of tiny images: exit 1, not SIGFPE', async () => {
    const folder = tmpDir();
    for (let i = 0; i < 3; i++) await png(folder, `${i}.png`, 12, i);
    const r = cli(['diversity', folder, ...TWIN], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/are 12x12: lpips-alex-twin needs images of at least 31 px/);
    const resized = cli(['diversity', folder, ...TWIN, '--resize', '16'], env());
    expect(resized.code).toBe(1);
    expect(resized.stderr).toMatch(/resize must be an integer >= 31/);
    fs.rmSync(folder, { recursive: true, force: true });
  });
});

// Minimal ONNX graphs (onnx.proto field numbers) of the vgg16 and squeezenet1.1 trunks of
// scripts/lpips_net.py: only the layers that change the spatial size matter.
const onnx = new protobuf.Root();
onnx
  .define('t')
  .add(new protobuf.Type('A').add(new protobuf.Field('name', 1, 'string')).add(new protobuf.Field('i', 3, 'int64')).add(new protobuf.Field('type', 20, 'int32')).add(new protobuf.Field('ints', 8, 'int64', 'repeated')))
  .add(new protobuf.Type('N').add(new protobuf.Field('input', 1, 'string', 'repeated')).add(new protobuf.Field('output', 2, 'string', 'repeated')).add(new protobuf.Field('op_type', 4, 'string')).add(new protobuf.Field('attribute', 5, 'A', 'repeated')))
  .add(new protobuf.Type('G').add(new protobuf.Field('node', 1, 'N', 'repeated')))
  .add(new protobuf.Type('M').add(new protobuf.Field('graph', 7, 'G')));

type Layer = ['conv', number, number, number] | ['pool', number, number, boolean] | ['fire'];

function trunkModel(layers: Layer[]): string {
  const nodes: object[] = [];
  let x = 'in0';
  let id = 0;
  const ints = (name: string, v: number[]) => ({ name, ints: v, type: 7 });
  const conv = (input: string, k: number, s: number, p: number) => {
    const out = `t${id++}`;
    nodes.push({ input: [input, 'w'], output: [out], op_type: 'Conv', attribute: [ints('kernel_shape', [k, k]), ints('strides', [s, s]), ints('pads', [p, p, p, p])] });
    return out;
  };
  for (const l of layers) {
    if (l[0] === 'conv') x = conv(x, l[1], l[2], l[3]);
    else if (l[0] === 'pool') {
      const out = `t${id++}`;
      nodes.push({ input: [x], output: [out], op_type: 'MaxPool', attribute: [ints('kernel_shape', [l[1], l[1]]), ints('strides', [l[2], l[2]]), { name: 'ceil_mode', i: l[3] ? 1 : 0, type: 2 }] });
      x = out;
    } else {
      const sq = conv(x, 1, 1, 0);
      const a = conv(sq, 1, 1, 0);
      const b = conv(sq, 3, 1, 1);
      const out = `t${id++}`;
      nodes.push({ input: [a, b], output: [out], op_type: 'Concat', attribute: [] });
      x = out;
    }
  }
  const M = onnx.lookupType('t.M');
  const file = path.join(tmpDir(), 'trunk.onnx');
  fs.writeFileSync(file, M.encode(M.fromObject({ graph: { node: nodes } })).finish());
  return file;
}

describe('smallest LPIPS inputs from the graph', () => {
  test('vgg16: 16 px (four 2 x 2 pools); squeezenet1.1: 17 px (stride-2 conv, three ceil-mode pools)', () => {
    const vgg: Layer[] = [];
    [2, 2, 3, 3, 3].forEach((convs, block) => {
      if (block > 0) vgg.push(['pool', 2, 2, false]);
      for (let i = 0; i < convs; i++) vgg.push(['conv', 3, 1, 1]);
    });
    expect(minimumInputSize(trunkModel(vgg))).toEqual({ height: 16, width: 16 });
    const squeeze: Layer[] = [['conv', 3, 2, 0], ['pool', 3, 2, true], ['fire'], ['fire'], ['pool', 3, 2, true], ['fire'], ['fire'], ['pool', 3, 2, true], ['fire'], ['fire'], ['fire'], ['fire']];
    expect(minimumInputSize(trunkModel(squeeze))).toEqual({ height: 17, width: 17 });
    // The alex trunk rebuilt the same way agrees with the exported twin.
    const alex: Layer[] = [['conv', 11, 4, 2], ['pool', 3, 2, false], ['conv', 5, 1, 2], ['pool', 3, 2, false], ['conv', 3, 1, 1], ['conv', 3, 1, 1], ['conv', 3, 1, 1]];
    expect(minimumInputSize(trunkModel(alex))).toEqual({ height: 31, width: 31 });
  });
});

describe('native entry points validate sizes', () => {
  test('signedRgb: pixel data or output shorter than the image', () => {
    const img = { data: new Uint8Array(10), width: 2, height: 2, channels: 3 };
    expect(() => signedRgb(img, new Float32Array(12))).toThrow(/image of 2x2 pixels with 3 channels: expected 12 samples, got 10/);
    expect(() => signedRgb({ ...img, data: new Uint8Array(12) }, new Float32Array(11))).toThrow(/output holds 11 values, needs 12/);
  });

  const n = native();
  // Argument errors are thrown synchronously by the bindings; as rejections here either way.
  const settle = <T>(f: () => Promise<T>) => Promise.resolve().then(f);
  const poly = { kind: 'poly' as const, degree: 3, gamma: 1, coef0: 1, sigma: 1 };

  test('an RBF kernel with sigma 0 is refused (it divided by zero into NaN sums)', async () => {
    const x = Float32Array.of(0, 1, 2, 3);
    await expect(settle(() => n.kernelSums(x, 2, x, 2, { ...poly, kind: 'rbf', sigma: 0 }))).rejects.toThrow(/kernel\.sigma must be a positive finite number/);
    await expect(settle(() => n.kernelSums(x, 2, x, 2, { ...poly, gamma: NaN }))).rejects.toThrow(/must be finite/);
  });

  test('vaeLogLikelihoods: zero or overflowing sizes', () => {
    const batch = { out: new Float32Array(4), samples: 2, perPoint: 1, firstPoint: 0, kind: 'gaussian' as const };
    expect(() => n.vaeLogLikelihoods(new Float32Array(4), 2, 0, batch)).toThrow(/points and d must be integers in 1\.\.2\^31, got 2 and 0/);
    expect(() => n.vaeLogLikelihoods(new Float32Array(4), 2 ** 40, 2 ** 40, batch)).toThrow(/points and d must be integers/);
    expect(() => n.vaeLogLikelihoods(new Float32Array(4), 2, 2, { ...batch, samples: 2 ** 62, perPoint: 2 ** 62 })).toThrow(/do not fit the data/);
  });

  test('sizes that overflow or exhaust memory: a JS error, not an abort (SIGABRT)', () => {
    expect(() => new n.Moments(2 ** 30)).toThrow(/dims must be an integer in 1\.\.65536, got 1073741824/);
    expect(() => n.gemmSeconds(2 ** 20, 1)).toThrow(/n must be in 1\.\.32768/);
  });

  test('kernel, k-means and Fréchet parameters that would only give NaN are refused', async () => {
    const x = Float32Array.of(0, 1, 2, 3);
    await expect(settle(() => n.kernelSums(x, 2, x, 2, { ...poly, degree: -1, gamma: 0 }))).rejects.toThrow(/kernel\.degree must be positive/);
    await expect(settle(() => n.kmeans(Float32Array.of(0, 1, 2, 3), 4, { k: 2, tol: NaN }))).rejects.toThrow(/options\.tol must be a finite number >= 0/);
    const eye = Float64Array.of(1, 0, 0, 1);
    await expect(settle(() => n.frechetDistance(2, new Float64Array(2), eye, new Float64Array(2), eye, NaN))).rejects.toThrow(/eps must be a finite number >= 0/);
  });

  test('preprocess: an output size whose buffer would overflow is refused', async () => {
    await expect(settle(() => n.preprocess([], 'clean', 2 ** 30, true, new Float32Array(0)))).rejects.toThrow(/size must be in 1\.\.65536, got 1073741824/);
    await expect(
      settle(() => n.preprocess([{ data: new Uint8Array(3), width: 1, height: 1, channels: 3 }], 'clean', 0, true, new Float32Array(0))),
    ).rejects.toThrow(/size must be in 1\.\.65536/);
  });
});
