/**
 * Perceptual path length (Karras et al. 2019, "A Style-Based Generator Architecture for GANs",
 * sec. 3) with torch-fidelity's definition and defaults (metric_ppl.py): for each sample, codes
 * z0 and z1 (all N codes z0 drawn first, then all N z1, from RandomState(seed), then the labels of
 * a conditional model), z1 moved to interp(z0, z1, eps), both generated in one call, the images
 * (uint8 by default) compared by LPIPS-VGG16 at 64 x 64, the distance divided by eps^2.
 *
 * The codes are drawn from three copies of the stream positioned where torch-fidelity's draws of
 * z0, z1 and the labels start, so memory stays bounded at any N.
 */
import { GenmetricsError } from '../errors';
import { resizeForLpips } from '../images/resize-float';
import { LpipsNetwork } from '../network/lpips';
import type { Device } from '../models/session';
import { interpolate, type Interpolation } from '../pictures/interpolate';
import { LegacyRandomState } from '../random/mt19937';
import { Generator, quantizer, type GeneratorProvenance, type GeneratorSpec } from './generator';
import type { LatentBatch } from './latents';

export interface PplOptions {
  epsilon: number;
  interpolation: Interpolation;
  /** uint8: images quantised as written to disk (torch-fidelity's default); float32: not. */
  dtype: 'uint8' | 'float32';
  /** LPIPS input side (torch-fidelity: 64). */
  resize: number;
  /** Samples per generator/LPIPS call (torch-fidelity's batch_size 64). */
  batchSize: number;
  /** LPIPS network (registry name or .onnx): lpips-vgg, torch-fidelity's lpips-vgg16. */
  lpipsModel: string;
  device?: Device;
  threads?: number;
  onProgress?: (done: number, total: number) => void;
  onNotice?: (message: string) => void;
}

export interface PathLengths {
  /** Per-sample LPIPS(G(z0), G(z1')) / eps^2, float32 as torch-fidelity computes them. */
  distances: Float32Array;
  generator: GeneratorProvenance;
  lpips: { name: string; sha256: string };
}

/** A stream positioned after `skip` standard normals (torch-fidelity's later draws from one RandomState). */
function streamAfter(seed: number, skip: number): LegacyRandomState {
  const rng = new LegacyRandomState(seed);
  for (let i = 0; i < skip; i++) rng.standardNormal();
  return rng;
}

/** Planar float32 images in [-1, 1] (LPIPS input) from the generator's output of 2B rows: e0 rows first. */
function lpipsInput(out: { data: Float32Array | BigInt64Array | Uint8Array; dims: number[] }, range: string, dtype: PplOptions['dtype'], quantize: (x: number) => number): Float32Array {
  const src = out.data;
  const x = new Float32Array(src.length);
  if (range === 'uint8') {
    for (let i = 0; i < src.length; i++) x[i] = Math.fround((src as Uint8Array)[i] / 127.5 - 1);
    return x;
  }
  const f = src as Float32Array;
  const lo = range === '-1,1' ? -1 : 0;
  const span = range === '-1,1' ? 2 : 1;
  for (let i = 0; i < f.length; i++) {
    const v = dtype === 'uint8' ? quantize(f[i]) : ((f[i] - lo) / span) * 255;
    x[i] = Math.fround(v / 127.5 - 1);
  }
  return x;
}

export async function perceptualPathLengths(spec: GeneratorSpec, o: PplOptions): Promise<PathLengths> {
  if (!(o.epsilon > 0)) throw new GenmetricsError(`epsilon must be positive, got ${o.epsilon}`);
  if (spec.truncation) throw new GenmetricsError('perceptual path length is defined without truncation (torch-fidelity has none): leave option truncation out');
  const g = await Generator.open(spec, { device: o.device, threads: o.threads, onNotice: o.onNotice });
  let lpips: LpipsNetwork | undefined;
  try {
    lpips = await LpipsNetwork.open({ model: o.lpipsModel, device: o.device, threads: o.threads, onNotice: o.onNotice });
    const { image } = g;
    if (image.channels !== 3) throw new GenmetricsError(`${spec.generator}: LPIPS compares RGB images; the generator makes ${image.channels}-channel images`);
    const n = spec.samples;
    const z = g.zDims;
    const rng0 = new LegacyRandomState(spec.seed);
    const rng1 = streamAfter(spec.seed, n * z);
    const rngLabels = g.classes ? streamAfter(spec.seed, 2 * n * z) : undefined;
    const distances = new Float32Array(n);
    const eps2 = Math.fround(o.epsilon ** 2);
    const quantize = g.range === 'uint8' ? (x: number) => x : quantizer(g.range, spec.quantize ?? 'round');
    for (let start = 0; start < n; start += o.batchSize) {
      const b = Math.min(o.batchSize, n - start);
      const codes = new Float32Array(2 * b * z);
      for (let i = 0; i < b * z; i++) codes[i] = rng0.standardNormal();
      const e1 = new Float32Array(b * z);
      for (let i = 0; i < b * z; i++) e1[i] = rng1.standardNormal();
      for (let r = 0; r < b; r++) {
        const a = codes.subarray(r * z, (r + 1) * z);
        codes.set(interpolate(o.interpolation, a, e1.subarray(r * z, (r + 1) * z), o.epsilon), (b + r) * z);
      }
      let labels: BigInt64Array | undefined;
      if (rngLabels) {
        labels = new BigInt64Array(2 * b);
        for (let r = 0; r < b; r++) labels[r] = labels[b + r] = BigInt(rngLabels.interval(g.classes - 1));
      }
      const batch: LatentBatch = { z: codes, labels, rows: 2 * b };
      const out = await g.forward(batch);
      const x = lpipsInput(out, g.range, o.dtype, quantize);
      if (x.some((v) => Number.isNaN(v))) throw new GenmetricsError(`${spec.generator}: the output holds NaN`);
      const half = b * 3 * image.height * image.width;
      const in0 = resizeForLpips(x.subarray(0, half), b, 3, image.height, image.width, o.resize);
      const in1 = resizeForLpips(x.subarray(half), b, 3, image.height, image.width, o.resize);
      const sim = await lpips.distances(in0, in1, b, o.resize, o.resize);
      for (let r = 0; r < b; r++) distances[start + r] = Math.fround(sim[r] / eps2);
      o.onProgress?.(start + b, n);
    }
    return { distances, generator: g.provenance(), lpips: lpips.model };
  } finally {
    await lpips?.release();
    await g.release();
  }
}
