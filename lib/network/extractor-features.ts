/**
 * Features of an image input through a non-Inception extractor (CLIP, DINOv2, onnx:PATH), streamed
 * to a features .npy with the same cache, pipelining and provenance as the Inception path
 * (inception.ts, which dispatches here when option extractor is not inception).
 */
import * as path from 'path';
import { INCEPTION_BATCH_CPU, INCEPTION_BATCH_CUDA } from '../defaults';
import { GenmetricsError, OptionError } from '../errors';
import { NpyRowWriter } from '../io/npy';
import { loadImages, type ImageSource } from '../images/sources';
import type { ResizeMode } from '../images/preprocess';
import { OnnxModel, pipelined } from '../models/onnx-model';
import { featureCacheKey, openFeatureEntry } from './feature-cache';
import { preprocessForExtractor } from './extractor-preprocess';
import { completeOnnxExtractor, preprocessingId, resolveExtractor, type ViewExtractor } from './extractor';
import type { FeatureFiles, FeatureMeta, FeatureOptions } from './inception';

const FEATURES_FILE = 'features.npy';

/** The files of a finished run; `logits` refuses (only the Inception network has logits). */
function filesOf(dir: string, meta: FeatureMeta, device: FeatureFiles['device'], dispose: () => void = () => undefined): FeatureFiles {
  const name = meta.extractor?.name ?? 'this extractor';
  return {
    pool3: path.join(dir, FEATURES_FILE),
    meta,
    device,
    cached: device === 'cache',
    dispose,
    get logits(): string {
      throw new OptionError('extractor', `the Inception Score needs the Inception network's logits; option extractor is '${name}', which has none (use extractor inception)`);
    },
  };
}

/** L2-normalises each row in place (float32, as the reference's x / ||x||). */
function normalizeRows(data: Float32Array, rows: number, dims: number): void {
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < dims; j++) s += data[r * dims + j] * data[r * dims + j];
    const norm = Math.fround(Math.sqrt(s));
    if (norm === 0) continue;
    for (let j = 0; j < dims; j++) data[r * dims + j] = Math.fround(data[r * dims + j] / norm);
  }
}

/** Features through a non-Inception extractor; `source` is not closed here (the caller does). */
export async function extractorFeatureFiles(source: ImageSource, extractorName: string, options: FeatureOptions): Promise<FeatureFiles> {
  const resolved = resolveExtractor(extractorName, options.model);
  const useCache = options.cache ?? true;
  const skipBad = options.skipBad ?? false;
  // The network file (its SHA-256) fixes everything an onnx:PATH extractor does; a built-in's
  // preprocessing and names are in the key too.
  const builtin = 'preprocessing' in resolved ? { input: resolved.input, output: resolved.output, preprocessing: resolved.preprocessing, normalize: resolved.normalize } : {};
  const key = featureCacheKey({
    v: 1,
    extractor: extractorName.startsWith('onnx:') ? 'onnx' : extractorName,
    ...builtin,
    source: source.fingerprint(),
    model: resolved.model.sha256,
    skipBad,
    ...(skipBad && options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
  });
  const entry = openFeatureEntry<FeatureMeta>(key, [FEATURES_FILE], useCache, options);
  if (entry.hit) {
    options.onProgress?.(entry.hit.meta.source.images, entry.hit.meta.source.images);
    return filesOf(entry.hit.dir, entry.hit.meta, 'cache');
  }
  try {
    const { meta, device } = await runExtractor(source, resolved, entry.staging, options);
    return filesOf(entry.commit(meta), meta, device, entry.dispose);
  } catch (err) {
    entry.abort();
    throw err;
  }
}

async function runExtractor(
  source: ImageSource,
  resolved: ReturnType<typeof resolveExtractor>,
  dir: string,
  options: FeatureOptions,
): Promise<{ meta: FeatureMeta; device: 'cpu' | 'cuda' }> {
  if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1)) {
    throw new OptionError('batchSize', `batchSize must be a positive integer, got ${options.batchSize}`);
  }
  const net = await OnnxModel.open(resolved.model, { device: options.device, threads: options.threads, onNotice: options.onNotice });
  let x: ViewExtractor;
  try {
    x = 'preprocessing' in resolved ? resolved : completeOnnxExtractor(resolved, net);
  } catch (err) {
    await net.release();
    throw err;
  }
  await net.expect(`the ${x.name} network`, { inputs: [x.input], outputs: [x.output] });
  const size = x.preprocessing.size;
  const per = 3 * size * size;
  const batch = options.batchSize ?? (net.device === 'cuda' ? INCEPTION_BATCH_CUDA : INCEPTION_BATCH_CPU);
  const n = source.count;
  const skipped: FeatureMeta['skipped'] = [];
  const buffers = [new Float32Array(batch * per), new Float32Array(batch * per)];
  const file = path.join(dir, FEATURES_FILE);
  let writer: NpyRowWriter | undefined;

  const prepare = async (start: number, slot: number) => {
    const images = await loadImages(source, start, Math.min(batch, n - start), Boolean(options.skipBad), skipped);
    images.forEach((img, k) => preprocessForExtractor(img, x.preprocessing, buffers[slot], k * per));
    return { rows: images.length, data: buffers[slot] };
  };

  try {
    await pipelined(
      n,
      batch,
      prepare,
      async (cur) => {
        if (cur.rows === 0) return;
        const out = (await net.run({ [x.input]: { data: cur.data, dims: [cur.rows, 3, size, size] } }, [x.output]))[x.output];
        const dims = out.data.length / cur.rows;
        if (!Number.isInteger(dims) || dims < 1) throw new GenmetricsError(`${x.model.path}: output ${x.output} has ${out.data.length} values for ${cur.rows} images`);
        if (x.normalize === 'l2') normalizeRows(out.data, cur.rows, dims);
        writer ??= new NpyRowWriter(file, 'float32', dims, n);
        if (writer.cols !== dims) throw new GenmetricsError(`${x.model.path}: output ${x.output} changed width from ${writer.cols} to ${dims}`);
        writer.append(out.data, cur.rows);
      },
      options.onProgress,
    );
    if (!writer || writer.rows === 0) throw new GenmetricsError(`${source.path}: none of the ${n} images could be decoded`);
    writer.commit();
  } catch (err) {
    writer?.abort();
    throw err;
  } finally {
    await net.release();
  }
  return {
    meta: {
      source: { path: source.path, kind: source.kind, images: n },
      count: writer.rows,
      // The extractor's preprocessing stands where the Inception path records its resize mode, so
      // that features of different preprocessing are refused together (requireSameOrigin).
      mode: preprocessingId(x.preprocessing) as ResizeMode,
      model: { name: x.model.name, sha256: x.model.sha256 },
      skipped,
      extractor: { name: x.name, input: x.input, output: x.output, dims: writer.cols, preprocessing: x.preprocessing, normalize: x.normalize, convention: x.convention },
    },
    device: net.device,
  };
}
