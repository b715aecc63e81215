import * as path from 'path';
import { INCEPTION_BATCH_CPU, INCEPTION_BATCH_CUDA, INCEPTION_MODEL, RESIZE_MODE } from '../defaults';
import { GenmetricsError, OptionError } from '../errors';
import { NpyRowWriter, readNpy } from '../io/npy';
import { loadImages, openImageSource, type ImageSource } from '../images/sources';
import { preprocessImages, type ResizeMode } from '../images/preprocess';
import { resolveModel, type ResolvedModel } from '../models/registry';
import type { ModelLender } from '../models/model-pool';
import { OnnxModel, pipelined } from '../models/onnx-model';
import type { Device } from '../models/session';
import { featureCacheKey, openFeatureEntry } from './feature-cache';
import { extractorFeatureFiles } from './extractor-features';
import { checkExtractorName, isInception } from './extractor';
import type { ImagePreprocessing } from './extractor-preprocess';

export const POOL3_DIMS = 2048;
export const LOGITS_DIMS = 1008;
const SIZE = 299;

export interface FeatureOptions {
  /** Which network makes the features: inception (default), clip-vit-l14, dinov2-vit-l14 or
   *  onnx:PATH (lib/network/extractor.ts). The others bring their own preprocessing (mode is then
   *  not used). */
  extractor?: string;
  /** Inception preprocessing (default legacy-tensorflow, torch-fidelity's). */
  mode?: ResizeMode;
  /** Registry name or .onnx path (default inception-v3-fid); with a built-in ViT extractor, a
   *  value other than inception-v3-fid replaces its network (same architecture and interface). */
  model?: string;
  device?: Device;
  /** Images per network call (default: 8 on the CPU, where small batches keep the activations in
   *  cache; 64 on CUDA). */
  batchSize?: number;
  /** Threads for onnxruntime and the native resize (default: all cores). */
  threads?: number;
  /** List undecodable images and go on, instead of stopping at the first. */
  skipBad?: boolean;
  /** Images with more pixels are refused (or skipped with skipBad) before decoding. */
  maxPixels?: number;
  /** Use and fill the feature cache (default true). */
  cache?: boolean;
  onProgress?: (done: number, total: number) => void;
  /** Lends the network instead of opening and releasing one for this pass (a worker's ModelPool). */
  models?: ModelLender;
  onNotice?: (message: string) => void;
  /** Problems that change how the run works, e.g. an unwritable cache folder turning the cache
   *  off for the run (default: onNotice). */
  onWarning?: (message: string) => void;
}

/** What a feature file was made from; written beside every features file and cache entry. */
export interface FeatureMeta {
  source: { path: string; kind: ImageSource['kind']; images: number };
  count: number;
  mode: ResizeMode;
  model: { name: string; sha256: string };
  skipped: { name: string; error: string }[];
  /** Non-Inception extractors only: what made the features (absent for Inception). */
  extractor?: { name: string; input: string; output: string; dims: number; preprocessing: ImagePreprocessing; normalize: 'l2' | 'none'; convention: string };
}

export interface FeatureFiles {
  /** N x 2048 float32 .npy (Inception pool3); with another extractor, its N x D features. */
  pool3: string;
  /** N x 1008 float32 .npy: `logits_unbiased` (fc without bias, torch-fidelity's IS input); with
   *  another extractor, reading it throws (option extractor named). */
  logits: string;
  meta: FeatureMeta;
  device: 'cpu' | 'cuda' | 'cache';
  cached: boolean;
  /** Deletes the files when they are a private temporary copy (cache off); a no-op for cache entries. */
  dispose(): void;
}

const OUTPUTS = ['pool3', 'logits_unbiased'];

function cacheKey(source: ImageSource, mode: ResizeMode, model: ResolvedModel, skipBad: boolean, maxPixels: number | undefined): string {
  // The pixel limit decides which images are skipped, so it is part of the key only with skipBad.
  return featureCacheKey({ v: 1, source: source.fingerprint(), mode, model: model.sha256, size: SIZE, skipBad, ...(skipBad && maxPixels !== undefined ? { maxPixels } : {}) });
}

/** The files of an output directory: <dir>/{pool3.npy, logits.npy} (cache entries add meta.json). */
function filesIn(dir: string, meta: FeatureMeta, device: FeatureFiles['device'], dispose: () => void = () => undefined): FeatureFiles {
  return { pool3: path.join(dir, 'pool3.npy'), logits: path.join(dir, 'logits.npy'), meta, device, cached: device === 'cache', dispose };
}

/**
 * Runs the Inception network over an image input and streams pool3 and logits to .npy files
 * (bounded memory at any N). Decoding (sharp, libuv pool) and resizing (native, worker threads) of
 * the next batch overlap the network call on the current one. With the cache on, a second call
 * on an unchanged input with the same mode and model returns the stored files at once.
 */
export async function extractFeatureFiles(input: string | ImageSource, options: FeatureOptions = {}): Promise<FeatureFiles> {
  const mode = options.mode ?? (RESIZE_MODE as ResizeMode);
  // A source given is closed here too, as one opened from a path.
  const source = typeof input === 'string' ? openImageSource(input, { maxPixels: options.maxPixels }) : input;
  try {
    if (options.extractor !== undefined) checkExtractorName(options.extractor);
    const ignored = () => {
      if (source.ignored?.length) options.onNotice?.(`${source.path}: ignored ${source.ignored.length} non-image file(s), e.g. ${source.ignored[0]}`);
    };
    if (!isInception(options.extractor)) {
      ignored();
      return await extractorFeatureFiles(source, options.extractor!, options);
    }
    const model = resolveModel(options.model ?? INCEPTION_MODEL);
    ignored();
    const useCache = options.cache ?? true;
    const skipBad = options.skipBad ?? false;
    // A verified cache entry, or the folder this run writes into (a cache staging folder, or a
    // private temporary one without the cache); both are removed if the run fails or is interrupted.
    const entry = openFeatureEntry<FeatureMeta>(cacheKey(source, mode, model, skipBad, options.maxPixels), ['pool3.npy', 'logits.npy'], useCache, options);
    if (entry.hit) {
      options.onProgress?.(entry.hit.meta.source.images, entry.hit.meta.source.images);
      return filesIn(entry.hit.dir, entry.hit.meta, 'cache');
    }
    try {
      const { meta, device } = await runNetwork(source, model, mode, entry.staging, options);
      return filesIn(entry.commit(meta), meta, device, entry.dispose);
    } catch (err) {
      entry.abort();
      throw err;
    }
  } finally {
    source.close();
  }
}

/**
 * The cache entry extractFeatureFiles would use for the Inception features of `source` (found, or
 * opened for writing), for callers that compute those features elsewhere and fill it: the
 * scale-out service concatenates its workers' shards into it.
 */
export function inceptionCacheEntry(source: ImageSource, options: { mode?: ResizeMode; model?: string; skipBad?: boolean; maxPixels?: number; onNotice?: (m: string) => void }) {
  const mode = options.mode ?? (RESIZE_MODE as ResizeMode);
  const model = resolveModel(options.model ?? INCEPTION_MODEL);
  const entry = openFeatureEntry<FeatureMeta>(cacheKey(source, mode, model, options.skipBad ?? false, options.maxPixels), ['pool3.npy', 'logits.npy'], true, options);
  return { mode, model, entry };
}

async function runNetwork(
  source: ImageSource,
  model: ResolvedModel,
  mode: ResizeMode,
  dir: string,
  options: FeatureOptions,
): Promise<{ meta: FeatureMeta; device: 'cpu' | 'cuda' }> {
  if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1)) {
    throw new OptionError('batchSize', `batchSize must be a positive integer, got ${options.batchSize}`);
  }
  const sessionOptions = { device: options.device, threads: options.threads, onNotice: options.onNotice };
  const lent = options.models ? await options.models.borrow(model, sessionOptions) : undefined;
  const net = lent ? lent.net : await OnnxModel.open(model, sessionOptions);
  try {
    await net.expect('an FID Inception model', { inputs: ['input'], outputs: OUTPUTS });
  } catch (err) {
    lent?.giveBack(true);
    throw err;
  }
  const batch = options.batchSize ?? (net.device === 'cuda' ? INCEPTION_BATCH_CUDA : INCEPTION_BATCH_CPU);
  const n = source.count;
  const skipped: FeatureMeta['skipped'] = [];
  const buffers = [new Float32Array(batch * 3 * SIZE * SIZE), new Float32Array(batch * 3 * SIZE * SIZE)];
  const pool3 = new NpyRowWriter(path.join(dir, 'pool3.npy'), 'float32', POOL3_DIMS, n);
  const logits = new NpyRowWriter(path.join(dir, 'logits.npy'), 'float32', LOGITS_DIMS, n);

  // Decodes and resizes images [start, start + batch) into buffers[slot].
  const prepare = async (start: number, slot: number) => {
    const images = await loadImages(source, start, Math.min(batch, n - start), Boolean(options.skipBad), skipped);
    // One worker thread: the parallelism is the overlap with the network, which has the cores.
    const data = images.length ? await preprocessImages(images, { mode, out: buffers[slot], threads: 1 }) : undefined;
    return { rows: images.length, data };
  };

  try {
    await pipelined(
      n,
      batch,
      prepare,
      async (cur) => {
        if (cur.rows === 0 || !cur.data) return;
        const out = await net.run({ input: { data: cur.data, dims: [cur.rows, 3, SIZE, SIZE] } }, OUTPUTS);
        pool3.append(out.pool3.data, cur.rows);
        logits.append(out.logits_unbiased.data, cur.rows);
      },
      options.onProgress,
    );
    if (pool3.rows === 0) throw new GenmetricsError(`${source.path}: none of the ${n} images could be decoded`);
    pool3.commit();
    logits.commit();
  } catch (err) {
    pool3.abort();
    logits.abort();
    throw err;
  } finally {
    if (lent) lent.giveBack();
    else await net.release();
  }
  return {
    meta: {
      source: { path: source.path, kind: source.kind, images: n },
      count: pool3.rows,
      mode,
      model: { name: model.name, sha256: model.sha256 },
      skipped,
    },
    device: net.device,
  };
}

export interface Features {
  /** count x 2048, row-major */
  pool3: Float32Array;
  /** count x 1008: logits_unbiased (empty with a non-Inception extractor, which has no logits) */
  logits: Float32Array;
  count: number;
  meta: FeatureMeta;
  cached: boolean;
}

/** Features of an image input (Inception's pool3 and logits, or option extractor's), in memory (for large inputs prefer extractFeatureFiles). */
export async function computeFeatures(input: string, options: FeatureOptions = {}): Promise<Features> {
  const files = await extractFeatureFiles(input, options);
  try {
    const pool3 = readNpy(files.pool3).data as Float32Array;
    const logits = isInception(options.extractor) ? (readNpy(files.logits).data as Float32Array) : new Float32Array(0);
    return { pool3, logits, count: files.meta.count, meta: files.meta, cached: files.cached };
  } finally {
    files.dispose();
  }
}
