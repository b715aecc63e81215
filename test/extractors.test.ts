// The ViT extractors (option extractor): their reference preprocessing (PIL's uint8 resize, CMMD's
// centre crop, float32 normalisation) and whole path (image files -> features) on seeded twins,
// against the reference code's outputs (scripts/make_extractor_fixtures.py: PIL + openai/CLIP's and
// facebookresearch/dinov2's model code in PyTorch), and the wiring (cache key, onnx:PATH, refusals).
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import { run } from '../lib/api';
import { OptionError } from '../lib/errors';
import { decodeImage } from '../lib/images/decode';
import { readNpy } from '../lib/io/npy';
import { extractFeatureFiles } from '../lib/network/inception';
import { vitOnnx } from '../lib/models/graphs/vit';
import { checkExtractorName, extractorMetadata, preprocessingFromMetadata, BUILTIN_EXTRACTORS, METADATA_KEYS } from '../lib/network/extractor';
import { centerCropSquare, pilResize, preprocessForExtractor, toRgb } from '../lib/network/extractor-preprocess';
import { FIXTURES, sharedFile, tmpDir } from './helpers';
import { CLIP_TWIN, DINOV2_TWIN, twinArch, vitTensor } from './vit-builder';

const REF = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'extractors', 'reference.json'), 'utf8'));
const FILES: string[] = REF.images;
const image = (f: string) => sharedFile('fixtures', 'images', f);

// Written tolerance, against PyTorch float32 on the same weights and the same input bits:
// onnxruntime's kernels sum in other orders (measured max abs error 1.0e-7 for the CLIP twin's
// unit-norm embeddings, 5.4e-7 for the DINOv2 twin's features of magnitude up to 2.4).
const FEATURE_ABS_TOL = 5e-6;

let dir: string;
let images: string;
let clipTwin: string;
let dinoTwin: string;

beforeAll(() => {
  dir = tmpDir();
  images = path.join(dir, 'images');
  fs.mkdirSync(images);
  for (const f of FILES) fs.copyFileSync(image(f), path.join(images, f));
  // The graphs `models install` builds (lib/models/graphs/vit.ts), filled with the twins' weights.
  clipTwin = path.join(dir, 'clip-twin.onnx');
  fs.writeFileSync(clipTwin, vitOnnx(twinArch(CLIP_TWIN), vitTensor, extractorMetadata('clip-vit-l14')));
  dinoTwin = path.join(dir, 'dinov2-twin.onnx');
  fs.writeFileSync(dinoTwin, vitOnnx(twinArch(DINOV2_TWIN), vitTensor, extractorMetadata('dinov2-vit-l14')));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('preprocessing: the references\' PIL resize and normalisation, bit for bit', () => {
  test.each(FILES)('CMMD (centre square, PIL bicubic to 336 on uint8) and dgm-eval DINOv2 (PIL bicubic to 224): %s', async (f) => {
    const k = FILES.indexOf(f);
    const rgb = toRgb(await decodeImage(image(f)));
    expect(sha(pilResize(centerCropSquare(rgb), 336, 336, 'bicubic').data)).toBe(REF.clip.resized_sha256[k]);
    expect(sha(pilResize(rgb, 224, 224, 'bicubic').data)).toBe(REF.dinov2.resized_sha256[k]);
  });

  test.each(FILES)('network input (x/255, mean/std in float32): the reference tensor\'s bits: %s', async (f) => {
    const k = FILES.indexOf(f);
    const img = await decodeImage(image(f));
    for (const [name, want] of [['clip-vit-l14', REF.clip.input_sha256[k]], ['dinov2-vit-l14', REF.dinov2.input_sha256[k]]] as const) {
      const p = BUILTIN_EXTRACTORS[name].preprocessing;
      const out = new Float32Array(3 * p.size * p.size);
      preprocessForExtractor(img, p, out);
      expect(sha(new Uint8Array(out.buffer))).toBe(want);
    }
  });

  test('a resize to the same size is a copy; upscaling and bilinear/lanczos filters run', () => {
    const img = { data: Uint8Array.from({ length: 5 * 4 * 3 }, (_, i) => (i * 37) % 256), width: 5, height: 4 };
    expect(pilResize(img, 5, 4, 'bicubic').data).toEqual(img.data);
    for (const f of ['bilinear', 'lanczos', 'bicubic'] as const) expect(pilResize(img, 9, 7, f).data.length).toBe(9 * 7 * 3);
  });
});

describe('the whole path on twins (image files -> features)', () => {
  test('clip-vit-l14: CMMD embeddings (L2-normalised) of the twin match openai/CLIP code on the reference preprocessing', async () => {
    const files = await extractFeatureFiles(images, { extractor: 'clip-vit-l14', model: clipTwin, cache: false, threads: 1 });
    try {
      const f = readNpy(files.pool3);
      expect(f.shape).toEqual([FILES.length, CLIP_TWIN.embed]);
      const err = maxAbs(f.data as Float32Array, REF.clip.embeds.flat());
      expect(err).toBeLessThan(FEATURE_ABS_TOL);
      expect(files.meta.extractor).toMatchObject({ name: 'clip-vit-l14', output: 'image_embeds', normalize: 'l2', dims: 16 });
      expect(files.meta.mode).toBe('pil-bicubic-336-center-crop');
      expect(() => files.logits).toThrow(OptionError);
    } finally {
      files.dispose();
    }
  });

  test('dinov2-vit-l14: the CLS token after the final norm matches facebookresearch/dinov2 code on dgm-eval preprocessing', async () => {
    const files = await extractFeatureFiles(images, { extractor: 'dinov2-vit-l14', model: dinoTwin, cache: false, threads: 1 });
    try {
      const f = readNpy(files.pool3);
      expect(f.shape).toEqual([FILES.length, DINOV2_TWIN.width]);
      expect(maxAbs(f.data as Float32Array, REF.dinov2.features.flat())).toBeLessThan(FEATURE_ABS_TOL);
    } finally {
      files.dispose();
    }
  });

  test('onnx:PATH reads the same preprocessing from the model metadata and gives the same features', async () => {
    const a = await extractFeatureFiles(images, { extractor: `onnx:${clipTwin}`, cache: false, threads: 1 });
    try {
      expect(maxAbs(readNpy(a.pool3).data as Float32Array, REF.clip.embeds.flat())).toBeLessThan(FEATURE_ABS_TOL);
      expect(a.meta.extractor?.name).toBe(`onnx:${clipTwin}`);
    } finally {
      a.dispose();
    }
  });

  test('the feature cache keys on the extractor: a second run hits, another extractor does not', async () => {
    const cache = path.join(dir, 'cache');
    const prev = process.env.GENMETRICS_CACHE_DIR;
    process.env.GENMETRICS_CACHE_DIR = cache;
    try {
      const first = await extractFeatureFiles(images, { extractor: 'dinov2-vit-l14', model: dinoTwin, threads: 1 });
      expect(first.cached).toBe(false);
      const again = await extractFeatureFiles(images, { extractor: 'dinov2-vit-l14', model: dinoTwin, threads: 1 });
      expect(again.cached).toBe(true);
      expect(again.pool3).toBe(first.pool3);
      const other = await extractFeatureFiles(images, { extractor: `onnx:${dinoTwin}`, threads: 1 });
      expect(other.cached).toBe(false);
      expect(other.pool3).not.toBe(first.pool3);
      expect(fs.readdirSync(path.join(cache, 'features')).length).toBe(2);
    } finally {
      if (prev === undefined) delete process.env.GENMETRICS_CACHE_DIR;
      else process.env.GENMETRICS_CACHE_DIR = prev;
    }
  });
});

describe('option extractor', () => {
  test('names are checked; errors name the option', () => {
    expect(checkExtractorName('clip-vit-l14')).toBe('clip-vit-l14');
    expect(checkExtractorName('onnx:model.onnx')).toBe('onnx:model.onnx');
    expect(() => checkExtractorName('clip')).toThrow(OptionError);
    try {
      checkExtractorName('onnx:');
    } catch (e) {
      expect((e as OptionError).key).toBe('extractor');
    }
  });

  test('the Inception Score refuses a ViT extractor, naming the option', async () => {
    await expect(run('is', [images], { extractor: 'clip-vit-l14', model: clipTwin, cache: false })).rejects.toThrow(/extractor/);
  });

  test('fd on DINOv2 features (FD-DINOv2) runs through the same option, and records the extractor preprocessing', async () => {
    const r = (await run('fid', [images, images], { extractor: 'dinov2-vit-l14', model: dinoTwin, cache: false, threads: 1 })) as { fid: number; inputs: { preprocessing: { mode: string } }[] };
    expect(Math.abs(r.fid)).toBeLessThan(1e-6);
    expect(r.inputs[0].preprocessing.mode).toBe('pil-bicubic-224');
  });

  test('metadata keys: defaults, the input size, and bad values named', () => {
    const d = preprocessingFromMetadata(new Map(), 'm.onnx', 64);
    expect(d.preprocessing).toEqual({ size: 64, crop: 'none', filter: 'bicubic', range: '0,1', mean: [0, 0, 0], std: [1, 1, 1] });
    expect(d.normalize).toBe('none');
    expect(() => preprocessingFromMetadata(new Map(), 'm.onnx')).toThrow(/genmetrics\.size/);
    expect(() => preprocessingFromMetadata(new Map([[METADATA_KEYS.crop, 'middle']]), 'm.onnx', 8)).toThrow(/genmetrics\.crop/);
    expect(() => preprocessingFromMetadata(new Map([[METADATA_KEYS.mean, '1,2']]), 'm.onnx', 8)).toThrow(/three comma-separated/);
  });
});
