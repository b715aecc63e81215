/**
 * Feature extractors: which network turns images into the vectors a feature-based metric reads,
 * with the input and output it uses and the preprocessing its reference applies.
 *
 * - `inception` (default): pytorch-fid's FID Inception-v3, pool3 (2048), preprocessing by option
 *   mode (lib/images/preprocess.ts). Unchanged by the extractor option.
 * - `clip-vit-l14`: OpenAI CLIP ViT-L/14@336px image embeddings (768), as CMMD computes them
 *   (google-research/google-research cmmd/io_util.py + embedding.py): centre square cropped, PIL
 *   bicubic resize to 336 on the uint8 image, x/255, CLIP's mean/std, the visual tower's projected
 *   CLS token, L2-normalised.
 * - `dinov2-vit-l14`: DINOv2 ViT-L/14 (1024), dgm-eval's `dinov2` encoder (FD-DINOv2, Stein et al.
 *   2023): PIL bicubic resize to 224 x 224 (no crop), x/255, ImageNet mean/std, the CLS token of
 *   the last block after the final LayerNorm (`x_norm_clstoken`).
 * - `onnx:PATH`: any ONNX model with one image input; its preprocessing from the model's
 *   metadata_props (METADATA_KEYS; docs/extractors.md).
 */
import * as fs from 'fs';
import { INCEPTION_MODEL } from '../defaults';
import { GenmetricsError, OptionError } from '../errors';
import { readMetadataProps } from '../models/onnx-proto';
import { resolveModel, type ResolvedModel } from '../models/registry';
import { PIL_FILTERS, PIXEL_RANGES, type ImagePreprocessing, type PilFilter, type PixelRange } from './extractor-preprocess';

export const EXTRACTORS = ['inception', 'clip-vit-l14', 'dinov2-vit-l14'] as const;
export type BuiltinExtractor = (typeof EXTRACTORS)[number];
/** A built-in name, or `onnx:PATH`. */
export type ExtractorName = BuiltinExtractor | `onnx:${string}`;

/** CLIP's normalisation constants (openai/CLIP, scenic's IMAGE_MEAN/IMAGE_STD, HF's CLIPImageProcessor). */
export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;
/** ImageNet's (torchvision; dgm-eval's DINOv2 transform). */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** A non-Inception extractor: its network, input/output and preprocessing. */
export interface ViewExtractor {
  /** 'clip-vit-l14', 'dinov2-vit-l14' or 'onnx:PATH'. */
  name: string;
  /** The network, resolved (registry name, or a path). */
  model: ResolvedModel;
  input: string;
  output: string;
  preprocessing: ImagePreprocessing;
  /** Rows L2-normalised after the network (CMMD's CLIP embeddings). */
  normalize: 'l2' | 'none';
  /** The reference convention, in words (carried in results). */
  convention: string;
}

interface BuiltinSpec {
  /** Registry name of the network. */
  model: string;
  input: string;
  output: string;
  preprocessing: ImagePreprocessing;
  normalize: 'l2' | 'none';
  convention: string;
}

export const BUILTIN_EXTRACTORS: Record<Exclude<BuiltinExtractor, 'inception'>, BuiltinSpec> = {
  'clip-vit-l14': {
    model: 'clip-vit-l14-336',
    input: 'pixel_values',
    output: 'image_embeds',
    preprocessing: { size: 336, crop: 'center', filter: 'bicubic', range: '0,1', mean: CLIP_MEAN, std: CLIP_STD },
    normalize: 'l2',
    convention:
      "CMMD (google-research cmmd): centre square crop, PIL bicubic resize to 336 on uint8, x/255, CLIP mean/std, CLIP ViT-L/14@336px projected image embedding, L2-normalised",
  },
  'dinov2-vit-l14': {
    model: 'dinov2-vit-l14',
    input: 'pixel_values',
    output: 'x_norm_clstoken',
    preprocessing: { size: 224, crop: 'none', filter: 'bicubic', range: '0,1', mean: IMAGENET_MEAN, std: IMAGENET_STD },
    normalize: 'none',
    convention: "dgm-eval's dinov2 encoder: PIL bicubic resize to 224 x 224 on uint8 (no crop), x/255, ImageNet mean/std, DINOv2 ViT-L/14 CLS token after the final norm",
  },
};

/**
 * The metadata_props an ONNX model may carry to be used as `onnx:PATH` (the exports of
 * scripts/export_vit_onnx.py and the test twins carry them all). Missing keys take the defaults.
 */
export const METADATA_KEYS = {
  input: 'genmetrics.input', // input name (default: the model's only input)
  output: 'genmetrics.output', // output name (default: the model's first output)
  size: 'genmetrics.size', // input side in pixels (default: the input's static H = W)
  crop: 'genmetrics.crop', // center | none (default none)
  resize: 'genmetrics.resize', // PIL filter on uint8: bicubic | bilinear | lanczos (default bicubic)
  range: 'genmetrics.range', // 0,1 | -1,1 | 0,255 (default 0,1)
  mean: 'genmetrics.mean', // three numbers, comma-separated (default 0,0,0)
  std: 'genmetrics.std', // three numbers (default 1,1,1)
  normalize: 'genmetrics.normalize', // l2 | none (default none)
  convention: 'genmetrics.convention', // free text, carried in results
} as const;

/** The metadata of a built-in extractor, as written into its exports and twins. */
export function extractorMetadata(name: Exclude<BuiltinExtractor, 'inception'>): Record<string, string> {
  const s = BUILTIN_EXTRACTORS[name];
  const p = s.preprocessing;
  return {
    [METADATA_KEYS.input]: s.input,
    [METADATA_KEYS.output]: s.output,
    [METADATA_KEYS.size]: String(p.size),
    [METADATA_KEYS.crop]: p.crop,
    [METADATA_KEYS.resize]: p.filter,
    [METADATA_KEYS.range]: p.range,
    [METADATA_KEYS.mean]: p.mean.join(','),
    [METADATA_KEYS.std]: p.std.join(','),
    [METADATA_KEYS.normalize]: s.normalize,
    [METADATA_KEYS.convention]: s.convention,
  };
}

/** Checks an extractor name (option extractor) without opening anything. */
export function checkExtractorName(name: string): ExtractorName {
  if ((EXTRACTORS as readonly string[]).includes(name)) return name as ExtractorName;
  if (name.startsWith('onnx:') && name.length > 5) return name as ExtractorName;
  throw new OptionError('extractor', `extractor must be one of ${EXTRACTORS.join(', ')} or onnx:PATH, got '${name}'`);
}

export function isInception(name: string | undefined): boolean {
  return name === undefined || name === 'inception';
}

function triple(key: string, text: string, file: string): [number, number, number] {
  const v = text.split(',').map((s) => Number(s.trim()));
  if (v.length !== 3 || !v.every(Number.isFinite)) throw new GenmetricsError(`${file}: metadata ${key} must be three comma-separated numbers, got '${text}'`);
  return v as [number, number, number];
}

function oneOf<T extends string>(key: string, text: string, choices: readonly T[], file: string): T {
  if (!(choices as readonly string[]).includes(text)) throw new GenmetricsError(`${file}: metadata ${key} must be one of ${choices.join(', ')}, got '${text}'`);
  return text as T;
}

/**
 * The preprocessing an `onnx:PATH` model declares (METADATA_KEYS). `inputSize` is the side of the
 * input's static shape, when it has one (used when genmetrics.size is absent).
 */
export function preprocessingFromMetadata(meta: Map<string, string>, file: string, inputSize?: number): { preprocessing: ImagePreprocessing; normalize: 'l2' | 'none'; input?: string; output?: string; convention?: string } {
  const K = METADATA_KEYS;
  const sizeText = meta.get(K.size);
  const size = sizeText !== undefined ? Number(sizeText) : inputSize;
  if (size === undefined || !Number.isInteger(size) || size < 1 || size > 4096) {
    throw new GenmetricsError(`${file}: no input size: set metadata ${K.size} (e.g. 224) or give the input a static N x 3 x S x S shape${sizeText !== undefined ? ` (metadata ${K.size} is '${sizeText}')` : ''}`);
  }
  return {
    preprocessing: {
      size: size as number,
      crop: oneOf(K.crop, meta.get(K.crop) ?? 'none', ['center', 'none'] as const, file),
      filter: oneOf<PilFilter>(K.resize, meta.get(K.resize) ?? 'bicubic', PIL_FILTERS, file),
      range: oneOf<PixelRange>(K.range, meta.get(K.range) ?? '0,1', PIXEL_RANGES, file),
      mean: triple(K.mean, meta.get(K.mean) ?? '0,0,0', file),
      std: triple(K.std, meta.get(K.std) ?? '1,1,1', file),
    },
    normalize: oneOf(K.normalize, meta.get(K.normalize) ?? 'none', ['l2', 'none'] as const, file),
    input: meta.get(K.input),
    output: meta.get(K.output),
    convention: meta.get(K.convention),
  };
}

/**
 * Resolves a non-Inception extractor. `model` (option model) replaces a built-in's registry network
 * when it is not the Inception default (a local export or a twin of the same architecture); the
 * built-in's names and preprocessing then apply. `onnx:PATH` reads everything from the model.
 */
export function resolveExtractor(name: string, model?: string): ViewExtractor | { name: string; model: ResolvedModel; metadata: Map<string, string> } {
  const checked = checkExtractorName(name);
  if (checked === 'inception') throw new GenmetricsError('resolveExtractor: inception is handled by the Inception pipeline');
  if (checked.startsWith('onnx:')) {
    const file = checked.slice(5);
    const resolved = resolveModel(file.toLowerCase().endsWith('.onnx') || file.includes('/') ? file : `./${file}`);
    const meta = readMetadataProps(fs.readFileSync(resolved.path));
    return { name: checked, model: resolved, metadata: meta };
  }
  const spec = BUILTIN_EXTRACTORS[checked as Exclude<BuiltinExtractor, 'inception'>];
  const network = model === undefined || model === INCEPTION_MODEL ? spec.model : model;
  return { name: checked, model: resolveModel(network), input: spec.input, output: spec.output, preprocessing: spec.preprocessing, normalize: spec.normalize, convention: spec.convention };
}

/**
 * An `onnx:PATH` extractor completed from its opened network: the metadata's names, else the only
 * input and the first output; the metadata's size, else the input's static side.
 */
export function completeOnnxExtractor(
  e: { name: string; model: ResolvedModel; metadata: Map<string, string> },
  net: { inputNames: readonly string[]; outputNames: readonly string[]; inputShape(name?: string): (number | string)[] | undefined },
): ViewExtractor {
  const file = e.model.path;
  const input = e.metadata.get(METADATA_KEYS.input) ?? (net.inputNames.length === 1 ? net.inputNames[0] : undefined);
  if (input === undefined || !net.inputNames.includes(input)) {
    throw new GenmetricsError(`${file}: extractor ${e.name} needs one image input (or metadata ${METADATA_KEYS.input} naming it); the model has inputs [${net.inputNames.join(', ')}]`);
  }
  const output = e.metadata.get(METADATA_KEYS.output) ?? net.outputNames[0];
  if (!net.outputNames.includes(output)) {
    throw new GenmetricsError(`${file}: metadata ${METADATA_KEYS.output} names '${output}', but the model's outputs are [${net.outputNames.join(', ')}]`);
  }
  const shape = net.inputShape(input);
  const side = shape && typeof shape[2] === 'number' && shape[2] === shape[3] ? shape[2] : undefined;
  const declared = preprocessingFromMetadata(e.metadata, file, side);
  return {
    name: e.name,
    model: e.model,
    input,
    output,
    preprocessing: declared.preprocessing,
    normalize: declared.normalize,
    convention: declared.convention ?? `preprocessing from the metadata of ${file}`,
  };
}

/** A short id of an extractor's preprocessing, recorded as the features' mode (e.g. pil-bicubic-336-center-crop). */
export function preprocessingId(p: ImagePreprocessing): string {
  return `pil-${p.filter}-${p.size}${p.crop === 'center' ? '-center-crop' : ''}`;
}

/** Refuses a non-Inception extractor for what needs the Inception network (its logits, say). */
export function requireInception(extractor: string | undefined, what: string): void {
  if (!isInception(extractor)) {
    throw new OptionError('extractor', `${what} needs the Inception network (extractor inception); option extractor is '${extractor}'`);
  }
}
