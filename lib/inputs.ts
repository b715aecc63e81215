import * as path from 'path';
import { GenmetricsError, inputError } from './errors';
import { readFeatureMatrix, requireSameDims, type FeatureMatrix } from './features';
import { IMAGE_EXTENSIONS } from './images/decode';
import { NpyRowReader, type NdArray } from './io/npy';
import { NpzArchive } from './io/npz';
import { statInput } from './io/paths';
import type { GeneratorProvenance, GeneratorSpec } from './generator/generator';
import { openGeneratorSource } from './generator/source';
import { extractFeatureFiles, type FeatureFiles, type FeatureOptions } from './network/inception';
import { readSidecar, requireSameOrigin, type Preprocessing } from './network/meta';
import { momentsFromFeatureFile, type StreamOptions } from './stats/features';
import { RunningMoments } from './stats/moments';
import { PARTIAL_MARKER, statisticsFromNpz, type Statistics } from './stats/statistics';

/** What an input path held, carried with every result. */
export interface InputProvenance {
  path: string;
  kind: 'images' | 'generator' | 'features' | 'statistics' | 'partial-statistics';
  dims: number;
  count?: number;
  /** Mode and network, when known (image inputs; files genmetrics wrote). */
  preprocessing?: Preprocessing;
  /** Image inputs: images found, those skipped (option skipBad), whether the features came from the cache. */
  images?: { total: number; skipped: { name: string; error: string }[]; cached: boolean; device: string };
  /** Generator inputs: the model and everything that decided its samples. */
  generator?: GeneratorProvenance;
}

/** What the metric commands read samples from: a path, or a generator's samples (drawn on the fly). */
export type SampleInput = string | GeneratorSpec;

/** The path that names an input in messages and results. */
export function inputPath(input: SampleInput): string {
  return typeof input === 'string' ? input : input.generator;
}

export interface LoadOptions extends StreamOptions {
  /** Receives notices such as "fewer samples than dimensions". */
  onWarning?: (message: string) => void;
  /** How image inputs become features (mode, model, device, cache...). */
  network?: FeatureOptions;
}

export type InputKind = 'images' | 'features' | 'statistics';

/**
 * What an input path holds (for an .npz, from its members' headers only); with `readStatistics`
 * also a statistics archive's members, so that loading it does not open the archive again.
 */
function probeInput(file: string, readStatistics = false): { kind: InputKind; npz?: Map<string, NdArray> } {
  if (statInput(file).isDirectory()) return { kind: 'images' };
  const ext = path.extname(file).toLowerCase();
  if (IMAGE_EXTENSIONS.has(ext)) return { kind: 'images' };
  if (ext === '.npy') {
    const r = new NpyRowReader(file, true);
    r.close();
    return { kind: r.dtype === 'uint8' && r.shape.length >= 3 ? 'images' : 'features' };
  }
  if (ext === '.npz') {
    // Statistics unless it holds a uint8 image stack and no statistics keys (the statistics reader
    // then names what is missing). Only the members' headers are read to decide.
    const z = NpzArchive.open(file);
    try {
      const statsKeys = ['mu', 'sigma', PARTIAL_MARKER].some((k) => z.members.has(k));
      const images = !statsKeys && [...z.members.values()].some((a) => a.dtype === 'uint8' && a.shape.length >= 3);
      if (images) return { kind: 'images' };
      return { kind: 'statistics', npz: readStatistics ? new Map([...z.members.keys()].map((k) => [k, z.read(k)])) : undefined };
    } finally {
      z.close();
    }
  }
  throw new GenmetricsError(
    `${file}: unsupported input type '${ext || '(none)'}'; expected an image folder or file, features (.npy) or statistics (.npz)`,
  );
}

/** Classifies an input path: image folder/file/uint8 stack, float features .npy, or statistics .npz. */
export function classifyInput(file: string): InputKind {
  return probeInput(file).kind;
}

/** finalize(), with the file named in its error (e.g. fewer than 2 samples). */
function finalizeFor(file: string, moments: RunningMoments): Statistics {
  try {
    return moments.finalize();
  } catch (err) {
    throw inputError(file, err);
  }
}

function imagesProvenance(file: string, files: FeatureFiles, dims: number, count: number, generator?: GeneratorProvenance): InputProvenance {
  return {
    path: file,
    kind: generator ? 'generator' : 'images',
    ...(generator ? { generator } : {}),
    dims,
    count,
    preprocessing: { mode: files.meta.mode, model: files.meta.model },
    images: { total: files.meta.source.images, skipped: files.meta.skipped, cached: files.cached, device: files.device },
  };
}

/** The Inception features of images or of a generator's samples, with the generator's provenance. */
export async function networkFeatures(input: SampleInput, options: LoadOptions): Promise<{ files: FeatureFiles; generator?: GeneratorProvenance }> {
  if (typeof input === 'string') return { files: await extractFeatureFiles(input, options.network) };
  const n = options.network ?? {};
  const source = await openGeneratorSource(input, { device: n.device, threads: n.threads, onNotice: n.onNotice });
  const generator = source.generator.provenance();
  return { files: await extractFeatureFiles(source, n), generator };
}

async function statisticsOfImages(input: SampleInput, options: LoadOptions): Promise<{ stats: Statistics; provenance: InputProvenance }> {
  const file = inputPath(input);
  const { files, generator } = await networkFeatures(input, options);
  try {
    const stats = finalizeFor(file, await momentsFromFeatureFile(files.pool3, options));
    const provenance = imagesProvenance(file, files, stats.dims, stats.count!, generator);
    stats.preprocessing = provenance.preprocessing;
    return { stats, provenance };
  } finally {
    files.dispose();
  }
}

/**
 * Gaussian statistics of an input: images (through the Inception network), features `.npy`
 * (streamed), statistics or partial statistics `.npz`.
 */
export async function loadStatistics(input: SampleInput, options: LoadOptions = {}): Promise<{ stats: Statistics; provenance: InputProvenance }> {
  let stats: Statistics;
  let provenance: InputProvenance;
  const file = inputPath(input);
  const probe = typeof input === 'string' ? probeInput(file, true) : { kind: 'images' as const };
  if (probe.kind === 'images') {
    ({ stats, provenance } = await statisticsOfImages(input, options));
  } else if (probe.kind === 'features') {
    stats = finalizeFor(file, await momentsFromFeatureFile(file, options));
    stats.preprocessing = readSidecar(file);
    provenance = { path: file, kind: 'features', dims: stats.dims, count: stats.count, preprocessing: stats.preprocessing };
  } else {
    const f = statisticsFromNpz(file, probe.npz!);
    if (f.kind === 'partial') {
      stats = finalizeFor(file, RunningMoments.fromPartial(f.partial));
      provenance = { path: file, kind: 'partial-statistics', dims: stats.dims, count: stats.count };
    } else {
      stats = f.stats;
      provenance = { path: file, kind: 'statistics', dims: stats.dims, count: stats.count, preprocessing: stats.preprocessing };
    }
  }
  if (stats.count !== undefined && stats.count < stats.dims) {
    options.onWarning?.(
      `${file}: ${stats.count} samples < ${stats.dims} dimensions: the covariance is singular and FID is biased and unstable (use at least ${stats.dims}, ideally 10 000+ samples)`,
    );
  }
  return { stats, provenance };
}

function statisticsRefused(file: string, needs = 'this metric needs'): GenmetricsError {
  return new GenmetricsError(
    `${file}: a statistics file (mu, sigma) holds no samples, and ${needs} raw features: pass the image folder or a features .npy (N x D), e.g. from 'genmetrics features'; only FID works from statistics`,
  );
}

export interface LoadedFeatures {
  features: FeatureMatrix;
  /** Image inputs with `logits: true`: the network's logits_unbiased (for the Inception Score). */
  logits?: FeatureMatrix;
  provenance: InputProvenance;
}

async function featuresOf(input: SampleInput, kind: 'images' | 'features', options: LoadOptions & { logits?: boolean }): Promise<LoadedFeatures> {
  const file = inputPath(input);
  if (kind === 'features') {
    const features = readFeatureMatrix(file);
    const preprocessing = readSidecar(file);
    return { features, provenance: { path: file, kind: 'features', dims: features.dims, count: features.rows, preprocessing } };
  }
  const { files, generator } = await networkFeatures(input, options);
  try {
    const features = { ...readFeatureMatrix(files.pool3), source: file };
    const logits = options.logits ? { ...readFeatureMatrix(files.logits), source: file } : undefined;
    return { features, logits, provenance: imagesProvenance(file, files, features.dims, features.rows, generator) };
  } finally {
    files.dispose();
  }
}

/** The kind of an input that must hold samples (not statistics). */
function sampleKind(input: SampleInput, needs: string | undefined): 'images' | 'features' {
  if (typeof input !== 'string') return 'images';
  const file = input;
  const kind = probeInput(file).kind;
  if (kind === 'statistics') throw statisticsRefused(file, needs);
  return kind;
}

/**
 * Raw feature vectors of an input, in memory: images (through the Inception network, pool3) or a
 * features `.npy`. Statistics files cannot serve; `needs` says who asks, for the error (e.g. 'KID needs').
 */
export async function loadFeatures(
  file: SampleInput,
  options: LoadOptions & { logits?: boolean; needs?: string } = {},
): Promise<LoadedFeatures> {
  return featuresOf(file, sampleKind(file, options.needs), options);
}

/**
 * The features of two inputs to be compared (generated first, reference second), refusing
 * statistics files, mixed preprocessing or networks, and different dimensions.
 */
export async function loadFeaturePair(
  a: SampleInput,
  b: SampleInput,
  options: LoadOptions & { logitsOfFirst?: boolean; needs?: string } = {},
): Promise<[LoadedFeatures, LoadedFeatures]> {
  // Both paths are checked (once) before a network runs over either.
  const kinds = [sampleKind(a, options.needs), sampleKind(b, options.needs)];
  const A = await featuresOf(a, kinds[0], { ...options, logits: options.logitsOfFirst });
  const B = await featuresOf(b, kinds[1], options);
  requireSameOrigin(A.provenance, B.provenance);
  requireSameDims(A.features, B.features);
  return [A, B];
}
