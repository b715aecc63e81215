import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { decodeImage } from '../lib/images/decode';
import { preprocessImages } from '../lib/images/preprocess';
import { readNpy, writeNpy } from '../lib/io/npy';
import { fid } from '../lib';
import { inceptionScore } from '../lib/metrics/inception-score';
import { loadLogits } from '../lib/inception-logits';
import { ort } from '../lib/models/session';
import { computeFeatures } from '../lib/network/inception';
import { imageFolder, networkEnv, referenceImages, relErr, rowRelErr, sharedFile, tmpDir, collectingReporter } from './helpers';

const TWIN = 'inception-fid-twin';

// A ±1 change of every decoded sample (what two JPEG decoders may disagree on) moves the twin's
// pool3 by up to 2.4e-3 and logits by 2.0e-3 relative (measured on img11/img12), so JPEG rows get
// 5e-3; PNG decoding is lossless and exact, so PNG rows get the 1e-4.
const PNG_TOL = 1e-4;
const JPEG_TOL = 5e-3;
const tolFor = (name: string) => (name.endsWith('.jpg') ? JPEG_TOL : PNG_TOL);

function reference(name: string): { data: Float32Array; cols: number } {
  const a = readNpy(sharedFile('fixtures', 'reference', `${name}.npy`));
  return { data: a.data as Float32Array, cols: a.shape[1] };
}

beforeAll(() => {
  Object.assign(process.env, networkEnv());
});

describe('resize', () => {
  test("clean mode equals clean-fid's PIL bicubic resize within 1e-2 (0..255 scale)", async () => {
    const info = JSON.parse(fs.readFileSync(sharedFile('fixtures', 'reference', 'inception.json'), 'utf8'));
    const ref = readNpy(sharedFile('fixtures', 'reference', 'cleanfid_resized_299.npy'));
    const P = 299 * 299;
    for (const [r, name] of (info.cleanfid_resized_299_rows as string[]).entries()) {
      const im = await decodeImage(sharedFile('fixtures', 'images', name));
      const out = await preprocessImages([im], { mode: 'clean', normalize: false });
      let err = 0;
      for (let p = 0; p < P; p++) for (let c = 0; c < 3; c++) err = Math.max(err, Math.abs(out[c * P + p] - (ref.data[(r * P + p) * 3 + c] as number)));
      expect({ name, err: err <= 1e-2 }).toEqual({ name, err: true });
    }
  });

  test('gray and RGBA images become RGB as PIL convert("RGB") does', async () => {
    const gray = await decodeImage(sharedFile('fixtures', 'images', 'img09_28x28_L.png'));
    const x = await preprocessImages([gray], { mode: 'legacy-tensorflow', size: 28, normalize: false });
    const P = 28 * 28;
    expect(Array.from(x.subarray(0, P))).toEqual(Array.from(x.subarray(P, 2 * P)));
    const rgba = await decodeImage(sharedFile('fixtures', 'images', 'img14_512x384_RGBA.png'));
    const same = await preprocessImages([rgba], { mode: 'clean', size: 64 });
    const noAlpha = { ...rgba, channels: 3, data: rgba.data.filter((_, i) => i % rgba.channels < 3) };
    expect(Array.from(await preprocessImages([noAlpha], { mode: 'clean', size: 64 }))).toEqual(Array.from(same));
  });

  test('palette PNGs decode to their RGB colours', async () => {
    // 16 distinct colours: libvips' palette quantiser keeps them exactly.
    const rgb = new Uint8Array(16 * 16 * 3);
    for (let p = 0; p < 256; p++) {
      const k = Math.floor(p / 16);
      rgb.set([k * 16, 255 - k * 8, (k * 37) % 256], p * 3);
    }
    const file = path.join(tmpDir(), 'palette.png');
    await sharp(Buffer.from(rgb), { raw: { width: 16, height: 16, channels: 3 } }).png({ palette: true, colours: 16, dither: 0 }).toFile(file);
    expect((await sharp(file).metadata()).isPalette).toBe(true);
    const im = await decodeImage(file);
    expect(im.channels).toBe(3);
    expect(Buffer.from(im.data).equals(Buffer.from(rgb))).toBe(true);
  });

  test('the native resize rejects malformed images', async () => {
    await expect(preprocessImages([{ data: new Uint8Array(5), width: 2, height: 2, channels: 3 }], { mode: 'clean' })).rejects.toThrow(
      /data length does not match/,
    );
    await expect(preprocessImages([{ data: new Uint8Array(4), width: 2, height: 2, channels: 1 }], { mode: 'bogus' as never })).rejects.toThrow(
      /mode must be/,
    );
  });
});

describe('network', () => {
  test('the ONNX twin reproduces PyTorch on the check input within 1e-4', async () => {
    const input = readNpy(sharedFile('fixtures', 'reference', 'onnx_check_input.npy'));
    const session = await ort().InferenceSession.create(sharedFile('models', 'inception-fid-twin.onnx'));
    const out = await session.run({ input: new (ort().Tensor)('float32', input.data as Float32Array, input.shape as number[]) });
    for (const [key, file] of [['pool3', 'onnx_check_pool3'], ['logits', 'onnx_check_logits']]) {
      const ref = reference(file);
      const rows = ref.data.length / ref.cols;
      for (let r = 0; r < rows; r++) expect(rowRelErr(out[key].data as Float32Array, ref.data, r, ref.cols)).toBeLessThan(1e-4);
    }
    await session.release();
  });

  const names = referenceImages();
  const cases: [string, string, 'pool3' | 'logits'][] = [
    ['legacy-pytorch', 'pytorch_fid_pool3', 'pool3'],
    ['legacy-tensorflow', 'torch_fidelity_pool3', 'pool3'],
    ['legacy-tensorflow', 'torch_fidelity_logits_unbiased', 'logits'],
  ];
  test.each(cases)('%s features match %s per image (PNG 1e-4, JPEG 5e-3 relative)', async (mode, refName, output) => {
    const f = await computeFeatures(imageFolder(names), { mode: mode as never, model: TWIN, cache: false });
    expect(f.count).toBe(names.length);
    const ref = reference(refName);
    const errs = names.map((n, i) => ({ n, ok: rowRelErr(f[output], ref.data, i, ref.cols) <= tolFor(n) }));
    expect(errs.filter((e) => !e.ok)).toEqual([]);
  });

  test('FID between two image folders equals the FID of the reference features', async () => {
    const a = names.slice(0, 8);
    const b = names.slice(8);
    const ref = reference('pytorch_fid_pool3');
    const dir = tmpDir();
    const fa = path.join(dir, 'a.npy');
    const fb = path.join(dir, 'b.npy');
    writeNpy(fa, { dtype: 'float32', shape: [8, 2048], data: ref.data.slice(0, 8 * 2048) });
    writeNpy(fb, { dtype: 'float32', shape: [8, 2048], data: ref.data.slice(8 * 2048) });
    const w = collectingReporter();
    const expected = await fid(fa, fb, {}, w.reporter);
    const got = await fid(imageFolder(a), imageFolder(b), { mode: 'legacy-pytorch', model: TWIN }, w.reporter);
    // 8 samples of 2048-d features: each of the four inputs is warned about once.
    expect(w.warnings.filter((m) => /: 8 samples < 2048 dimensions: the covariance is singular/.test(m)).length).toBe(4);
    expect(relErr(got.fid, expected.fid)).toBeLessThan(1e-5);
    expect(got.inputs[0].preprocessing?.mode).toBe('legacy-pytorch');
  });

  test('Inception Score of an image folder equals the score of the reference logits', async () => {
    const ref = reference('torch_fidelity_logits_unbiased');
    const expected = inceptionScore(ref.data, names.length, ref.cols, { splits: 4 });
    const logits = await loadLogits(imageFolder(names), { model: TWIN });
    const got = { ...inceptionScore(logits.data, logits.rows, logits.classes, { splits: 4 }), images: logits.images };
    expect(got.images?.mode).toBe('legacy-tensorflow');
    expect(relErr(got.mean, expected.mean)).toBeLessThan(1e-6);
    expect(relErr(got.std, expected.std)).toBeLessThan(1e-4);
  });

  test('uint8 arrays (N x H x W x 3 and N x 3 x H x W) give the features of the same images as files', async () => {
    const name = names.slice(0, 3); // 32 x 32 RGB
    const imgs = await Promise.all(name.map((n) => decodeImage(sharedFile('fixtures', 'images', n))));
    const nhwc = new Uint8Array(3 * 32 * 32 * 3);
    const nchw = new Uint8Array(nhwc.length);
    imgs.forEach((im, i) => {
      nhwc.set(im.data, i * 3072);
      for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) nchw[i * 3072 + c * 1024 + p] = im.data[p * 3 + c];
    });
    const dir = tmpDir();
    writeNpy(path.join(dir, 'nhwc.npy'), { dtype: 'uint8', shape: [3, 32, 32, 3], data: nhwc });
    writeNpy(path.join(dir, 'nchw.npy'), { dtype: 'uint8', shape: [3, 3, 32, 32], data: nchw });
    const files = await computeFeatures(imageFolder(name), { model: TWIN, cache: false });
    for (const arr of ['nhwc.npy', 'nchw.npy']) {
      const f = await computeFeatures(path.join(dir, arr), { model: TWIN, cache: false });
      expect(Array.from(f.pool3)).toEqual(Array.from(files.pool3));
    }
  });
});
