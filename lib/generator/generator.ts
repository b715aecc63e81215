/**
 * A generator as an ONNX file: input `z` (N x Z float32; with an optional int64 `class` input for a
 * conditional model), output images N x C x H x W (C = 1 or 3) as floats in a known range or as
 * uint8. Optionally a separate mapping network (StyleGAN's z -> w), whose truncation pulls w
 * toward w_avg.
 *
 * Float images become uint8 as the reference code writes samples to disk, so that a sample
 * streamed here and the same sample saved as PNG and read back are the same bytes:
 * - `round` (default): StyleGAN's `(x * 127.5 + 128).clamp(0, 255).to(uint8)` for -1..1 and
 *   torchvision's `save_image` (`x * 255 + 0.5`, clamped, truncated) for 0..1, in float32;
 * - `truncate`: torch-fidelity's example generator, `255 * (x.clamp(-1, 1) * 0.5 + 0.5)` cast to
 *   uint8 (which truncates), in float32.
 * A model whose output is already uint8 (what torch-fidelity itself requires) is taken as it is.
 */
import * as fs from 'fs';
import { GenmetricsError, OptionError } from '../errors';
import type { DecodedImage } from '../images/preprocess';
import { OnnxModel, type TypedTensor } from '../models/onnx-model';
import { readMetadataProps } from '../models/onnx-proto';
import { resolveModel } from '../models/registry';
import type { Device } from '../models/session';
import { LatentStream, type LatentBatch, type Truncation } from './latents';

export type OutputRange = '-1,1' | '0,1';
export const OUTPUT_RANGES: readonly OutputRange[] = ['-1,1', '0,1'];
export type Quantize = 'round' | 'truncate';
export const QUANTIZE_MODES: readonly Quantize[] = ['round', 'truncate'];

/** What to sample: the model and everything that decides its samples. */
export interface GeneratorSpec {
  /** The generator's .onnx file. */
  generator: string;
  /** Samples to draw. */
  samples: number;
  /** Seed of the latent codes (NumPy's legacy RandomState, as torch-fidelity's rng_seed). */
  seed: number;
  truncation?: Truncation;
  /** A mapping network z -> w run before the generator (which then takes w). */
  mapping?: string;
  /** The float output's range (default: the model's metadata `range`, else -1,1). */
  range?: OutputRange;
  quantize?: Quantize;
  /** Classes of a conditional model (default: the model's metadata `num_classes`). */
  classes?: number;
}

export interface GeneratorRunOptions {
  device?: Device;
  threads?: number;
  onNotice?: (message: string) => void;
}

/** Samples a generator was run for, as results report them. */
export interface GeneratorProvenance {
  path: string;
  sha256: string;
  mapping?: { path: string; sha256: string; w_avg: 'metadata' | 'estimated' };
  samples: number;
  seed: number;
  z_dims: number;
  classes: number;
  truncation: Truncation | null;
  range: OutputRange | 'uint8';
  quantize: Quantize | null;
  image: { channels: number; height: number; width: number };
}

/** Codes drawn to estimate w_avg when the mapping network does not carry it (StyleGAN tracks it in training). */
export const W_AVG_SAMPLES = 10_000;
const W_AVG_SEED = 0;

function metadataOf(file: string): Map<string, string> {
  try {
    return readMetadataProps(fs.readFileSync(file));
  } catch {
    return new Map();
  }
}

function floatInput(net: OnnxModel, preferred: string, what: string): string {
  if (net.inputNames.includes(preferred)) return preferred;
  const floats = net.inputNames.filter((n) => (net.elementType(n) ?? 'float32') === 'float32');
  if (floats.length !== 1) {
    throw new GenmetricsError(`${net.model.path}: not ${what}: expected a float32 input named '${preferred}' (or a single float32 input); it has inputs [${net.inputNames.join(', ')}]`);
  }
  return floats[0];
}

/** The size of a row of a declared shape [N, ...] (symbolic entries other than the first refused). */
function rowSize(net: OnnxModel, input: string, fallback: string | undefined, key: string): number {
  const shape = net.inputShape(input);
  const rest = shape?.slice(1);
  if (rest && rest.length > 0 && rest.every((d) => typeof d === 'number' && d > 0)) return (rest as number[]).reduce((a, b) => a * b, 1);
  const v = Number(fallback);
  if (fallback !== undefined && Number.isInteger(v) && v > 0) return v;
  throw new GenmetricsError(`${net.model.path}: the size of input '${input}' is not declared (shape [${(shape ?? []).join(', ')}]); declare it in the graph or in the model's metadata '${key}'`);
}

export class Generator {
  private wAvg: { values: Float32Array; from: 'metadata' | 'estimated' } | undefined;
  /** The images' size, from a first sample (the output's declared shape is often symbolic). */
  image = { channels: 0, height: 0, width: 0 };

  private constructor(
    private readonly net: OnnxModel,
    private readonly mapNet: OnnxModel | undefined,
    private readonly spec: GeneratorSpec,
    private readonly inputs: { latent: string; label?: string; mapLatent?: string; mapLabel?: string },
    readonly zDims: number,
    readonly classes: number,
    readonly range: OutputRange | 'uint8',
  ) {}

  static async open(spec: GeneratorSpec, options: GeneratorRunOptions = {}): Promise<Generator> {
    if (!Number.isInteger(spec.samples) || spec.samples < 1) throw new OptionError('samples', `expected a positive integer, got ${spec.samples}`);
    const model = resolveModel(spec.generator);
    const meta = metadataOf(model.path);
    const net = await OnnxModel.open(model, options);
    let mapNet: OnnxModel | undefined;
    try {
      const session = { device: options.device, threads: options.threads, onNotice: options.onNotice };
      mapNet = spec.mapping ? await OnnxModel.open(resolveModel(spec.mapping), session) : undefined;
      const mapMeta = spec.mapping ? metadataOf(spec.mapping) : new Map<string, string>();
      const latent = floatInput(net, mapNet ? 'w' : 'z', 'a generator');
      const label = net.inputNames.includes('class') ? 'class' : undefined;
      const extra = net.inputNames.filter((n) => n !== latent && n !== label);
      if (extra.length) throw new GenmetricsError(`${model.path}: not a generator: unexpected input(s) [${extra.join(', ')}]; expected '${latent}' and optionally 'class'`);
      const mapLatent = mapNet ? floatInput(mapNet, 'z', 'a mapping network') : undefined;
      const mapLabel = mapNet?.inputNames.includes('class') ? 'class' : undefined;
      const zDims = mapNet ? rowSize(mapNet, mapLatent!, mapMeta.get('z_dim'), 'z_dim') : rowSize(net, latent, meta.get('z_dim'), 'z_dim');
      const conditional = label !== undefined || mapLabel !== undefined;
      const declared = Number(meta.get('num_classes') ?? mapMeta.get('num_classes'));
      const classes = spec.classes ?? (Number.isInteger(declared) && declared > 0 ? declared : 0);
      if (conditional && classes < 1) throw new OptionError('classes', `${model.path} is conditional (input 'class'): give the number of classes (option classes) or store it in the model's metadata 'num_classes'`);
      if (!conditional && spec.classes) throw new OptionError('classes', `${model.path} has no 'class' input: it is not a conditional generator`);
      const outType = net.elementType(net.outputNames[0]);
      const fromMeta = meta.get('range');
      if (fromMeta !== undefined && !OUTPUT_RANGES.includes(fromMeta as OutputRange)) {
        throw new GenmetricsError(`${model.path}: metadata 'range' is '${fromMeta}'; expected ${OUTPUT_RANGES.join(' or ')}`);
      }
      const range: OutputRange | 'uint8' = outType === 'uint8' ? 'uint8' : (spec.range ?? (fromMeta as OutputRange | undefined) ?? '-1,1');
      const g = new Generator(net, mapNet, spec, { latent, label, mapLatent, mapLabel }, zDims, conditional ? classes : 0, range);
      if (mapNet && spec.truncation?.method === 'scale') g.wAvg = await g.loadWAvg(mapMeta);
      const probe = await g.forward(new LatentStream({ seed: 0, dims: zDims, count: 1, classes: g.classes }).next(1));
      const [, c, h, w] = probe.dims;
      if (probe.dims.length !== 4 || (c !== 1 && c !== 3)) {
        throw new GenmetricsError(`${model.path}: not a generator: expected images N x 3 x H x W (or N x 1 x H x W) as output '${net.outputNames[0]}', got [${probe.dims.join(', ')}]`);
      }
      g.image = { channels: c, height: h, width: w };
      return g;
    } catch (err) {
      await net.release();
      await mapNet?.release();
      throw err;
    }
  }

  /** The codes this spec samples, in order (or `count` codes of another seed, truncated alike). */
  latents(seed = this.spec.seed, count = this.spec.samples): LatentStream {
    // With a mapping network the scale truncation acts on w (after mapping), not on z.
    const truncation = this.mapNet && this.spec.truncation?.method === 'scale' ? undefined : this.spec.truncation;
    return new LatentStream({ seed, dims: this.zDims, count, classes: this.classes, truncation });
  }

  get device(): 'cpu' | 'cuda' {
    return this.net.device;
  }

  provenance(): GeneratorProvenance {
    const m = this.mapNet?.model;
    return {
      path: this.net.model.path,
      sha256: this.net.model.sha256,
      ...(m ? { mapping: { path: m.path, sha256: m.sha256, w_avg: this.wAvg?.from ?? 'estimated' } } : {}),
      samples: this.spec.samples,
      seed: this.spec.seed,
      z_dims: this.zDims,
      classes: this.classes,
      truncation: this.spec.truncation ?? null,
      range: this.range,
      quantize: this.range === 'uint8' ? null : (this.spec.quantize ?? 'round'),
      image: this.image,
    };
  }

  private async loadWAvg(meta: Map<string, string>): Promise<{ values: Float32Array; from: 'metadata' | 'estimated' }> {
    const stored = meta.get('w_avg');
    if (stored !== undefined) {
      const values = Float32Array.from(stored.split(',').map(Number));
      if (values.some((v) => !Number.isFinite(v))) throw new GenmetricsError(`${this.spec.mapping}: metadata 'w_avg' must be comma-separated numbers`);
      return { values, from: 'metadata' };
    }
    const stream = new LatentStream({ seed: W_AVG_SEED, dims: this.zDims, count: W_AVG_SAMPLES, classes: this.classes });
    let sum: Float64Array | undefined;
    while (stream.position < W_AVG_SAMPLES) {
      const w = await this.map(stream.next(256));
      const per = w.data.length / w.dims[0];
      sum ??= new Float64Array(per);
      for (let i = 0; i < w.data.length; i++) sum[i % per] += (w.data as Float32Array)[i];
    }
    return { values: Float32Array.from(sum!, (s) => s / W_AVG_SAMPLES), from: 'estimated' };
  }

  private async map(b: LatentBatch): Promise<TypedTensor> {
    const feeds: Record<string, TypedTensor> = { [this.inputs.mapLatent!]: { data: b.z, dims: [b.rows, this.zDims] } };
    if (this.inputs.mapLabel) feeds[this.inputs.mapLabel] = { data: b.labels!, dims: [b.rows] };
    const out = await this.mapNet!.runTyped(feeds, [this.mapNet!.outputNames[0]]);
    return out[this.mapNet!.outputNames[0]];
  }

  /** The generator's raw output (N x C x H x W) for a batch of codes. */
  async forward(b: LatentBatch): Promise<TypedTensor> {
    let latent: TypedTensor = { data: b.z, dims: [b.rows, this.zDims] };
    if (this.mapNet) {
      latent = await this.map(b);
      const psi = this.spec.truncation?.method === 'scale' ? this.spec.truncation.psi : undefined;
      if (psi !== undefined && this.wAvg) {
        // w_avg + psi (w - w_avg), StyleGAN's truncation (Karras et al. 2019, eq. in sec. 2), in float32.
        const w = latent.data as Float32Array, a = this.wAvg.values, per = w.length / b.rows;
        if (a.length !== per) throw new GenmetricsError(`${this.spec.mapping}: w_avg has ${a.length} values, w has ${per} per sample`);
        for (let i = 0; i < w.length; i++) w[i] = Math.fround(a[i % per] + Math.fround(psi * Math.fround(w[i] - a[i % per])));
      }
    }
    const feeds: Record<string, TypedTensor> = { [this.inputs.latent]: latent };
    if (this.inputs.label) feeds[this.inputs.label] = { data: b.labels!, dims: [b.rows] };
    const name = this.net.outputNames[0];
    return (await this.net.runTyped(feeds, [name]))[name];
  }

  /** A batch of codes as uint8 images (interleaved channels), as they would be written to disk. */
  async images(b: LatentBatch): Promise<DecodedImage[]> {
    return toImages(await this.forward(b), this.range, this.spec.quantize ?? 'round', this.net.model.path);
  }

  async release(): Promise<void> {
    await this.net.release();
    await this.mapNet?.release();
  }
}

/** The uint8 value of one float output (NaN stays NaN for the caller to report). */
export function quantizer(range: OutputRange, quantize: Quantize): (x: number) => number {
  const lo = range === '-1,1' ? -1 : 0;
  // round: floor(x * s + o) in float32 (s = 127.5, o = 128 for -1..1; 255, 0.5 for 0..1).
  const s = range === '-1,1' ? 127.5 : 255;
  const o = range === '-1,1' ? 128 : 0.5;
  const inv = range === '-1,1' ? 0.5 : 1;
  const raw =
    quantize === 'round'
      ? (x: number) => Math.fround(Math.fround(x * s) + o)
      : (x: number) => Math.fround(255 * Math.fround(Math.fround(Math.min(Math.max(x, lo), 1) - lo) * inv));
  return (x) => {
    const v = raw(x);
    return Number.isNaN(v) ? NaN : v >= 255 ? 255 : v > 0 ? Math.floor(v) : 0;
  };
}

/** Planar N x C x H x W output -> one interleaved uint8 image per row. */
export function toImages(out: TypedTensor, range: OutputRange | 'uint8', quantize: Quantize, where = 'generator'): DecodedImage[] {
  const [n, c, h, w] = out.dims;
  const hw = h * w;
  const images: DecodedImage[] = [];
  const quant = range === 'uint8' ? undefined : quantizer(range, quantize);
  for (let k = 0; k < n; k++) {
    const data = new Uint8Array(hw * c);
    const base = k * c * hw;
    if (!quant) {
      const src = out.data as Uint8Array;
      for (let ch = 0; ch < c; ch++) for (let p = 0; p < hw; p++) data[p * c + ch] = src[base + ch * hw + p];
    } else {
      const src = out.data as Float32Array;
      for (let ch = 0; ch < c; ch++) {
        for (let p = 0; p < hw; p++) {
          const v = quant(src[base + ch * hw + p]);
          if (Number.isNaN(v)) throw new GenmetricsError(`${where}: the output of sample ${k} of the batch holds NaN`);
          data[p * c + ch] = v;
        }
      }
    }
    images.push({ data, width: w, height: h, channels: c });
  }
  return images;
}
