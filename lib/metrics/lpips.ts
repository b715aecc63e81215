import { GenmetricsError } from '../errors';
import type { FeatureMatrix } from '../features';
import { decodeImage } from '../images/decode';
import { pairInputs, type ImagePair } from '../images/pairing';
import type { DecodedImage } from '../images/preprocess';
import { openImageSource } from '../images/sources';
import { signedRgb, signedRgbResized } from '../images/tensor';
import { LpipsNetwork, type LpipsNetworkOptions } from '../network/lpips';
import { minimumInputSize } from '../network/lpips-size';
import { DEFAULT_LPIPS, resolveModel } from '../models/registry';
import { randomPairs, type Pairs } from '../random/pairs';
import { meanInterval, type MeanInterval } from '../stats/interval';

export interface LpipsOptions extends LpipsNetworkOptions {
  /** Resize both images of every pair to resize x resize (PIL bicubic with antialias, on floats);
   *  without it the two images of a pair must have the same size. */
  resize?: number;
  /** Pairs per network call (default 16 on the CPU, 64 on CUDA). */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface LpipsResult {
  /** Mean over pairs with its Student-t 95% interval. */
  lpips: MeanInterval;
  /** The distance of each pair, in the order of `pairs`. */
  distances: Float32Array;
  pairs: ImagePair[];
  model: { name: string; sha256: string };
  device: 'cpu' | 'cuda';
  resize: number | null;
}

/** The image pairs of a run, loaded on demand. */
interface PairSource {
  count: number;
  names(p: number): [string, string];
  load(p: number): Promise<[DecodedImage, DecodedImage]>;
}

interface Run {
  first: number;
  count: number;
  h: number;
  w: number;
  in0: Float32Array;
  in1: Float32Array;
}

function checkOptions(o: LpipsOptions): void {
  if (o.resize !== undefined && (!Number.isInteger(o.resize) || o.resize < 1)) {
    throw new GenmetricsError(`resize must be a positive integer, got ${o.resize}`);
  }
  if (o.batchSize !== undefined && (!Number.isInteger(o.batchSize) || o.batchSize < 1)) {
    throw new GenmetricsError(`batch size must be a positive integer, got ${o.batchSize}`);
  }
}

/**
 * Distances of all pairs. Consecutive pairs of one size share a network call; decoding and
 * conversion of the next batch overlap the network call on the current one (two buffer slots).
 */
async function runPairs(net: LpipsNetwork, src: PairSource, o: LpipsOptions): Promise<Float32Array> {
  // The trunk's smallest input (alex 31 px, vgg 16, squeeze 17): smaller ones are refused here,
  // as the lpips package refuses them; onnxruntime would trap (SIGFPE) on the empty activations.
  const min = minimumInputSize(resolveModel(o.model ?? DEFAULT_LPIPS).path);
  const tooSmall = (h: number, w: number) => h < min.height || w < min.width;
  const smallest = min.height === min.width ? `${min.width} px` : `${min.width} x ${min.height} px (width x height)`;
  if (o.resize !== undefined && tooSmall(o.resize, o.resize)) {
    throw new GenmetricsError(`resize must be an integer >= ${smallest.replace(/ px.*/, '')} (the smallest input of ${net.model.name}: ${smallest}), got ${o.resize}`);
  }
  const batch = o.batchSize ?? (net.device === 'cuda' ? 64 : 16);
  const out = new Float32Array(src.count);
  const slots: Float32Array[][] = [[new Float32Array(0), new Float32Array(0)], [new Float32Array(0), new Float32Array(0)]];

  const prepare = async (start: number, slot: number): Promise<Run[]> => {
    const ids = Array.from({ length: Math.min(batch, src.count - start) }, (_, k) => start + k);
    const images = await Promise.all(ids.map((p) => src.load(p)));
    // Runs of consecutive pairs with the same size.
    const runs: { first: number; count: number; h: number; w: number }[] = [];
    images.forEach(([a, b], k) => {
      const [na, nb] = src.names(ids[k]);
      if (o.resize === undefined && (a.width !== b.width || a.height !== b.height)) {
        throw new GenmetricsError(
          `${na} is ${a.width}x${a.height} but ${nb} is ${b.width}x${b.height}: LPIPS compares images of one size; pass --resize N to resize both to N x N`,
        );
      }
      const h = o.resize ?? a.height;
      const w = o.resize ?? a.width;
      if (tooSmall(h, w)) {
        throw new GenmetricsError(
          `${na} and ${nb} are ${w}x${h}: ${net.model.name} needs images of at least ${smallest} on each side; resize them (option resize) to ${Math.max(min.width, min.height)} or more`,
        );
      }
      const last = runs[runs.length - 1];
      if (last && last.h === h && last.w === w) last.count++;
      else runs.push({ first: k, count: 1, h, w });
    });
    const total = images.reduce((s, [a]) => s + 3 * (o.resize ? o.resize * o.resize : a.width * a.height), 0);
    for (let t = 0; t < 2; t++) if (slots[slot][t].length < total) slots[slot][t] = new Float32Array(total);
    const [buf0, buf1] = slots[slot];
    let offset = 0;
    const prepared: Run[] = [];
    for (const r of runs) {
      const size = 3 * r.h * r.w;
      const in0 = buf0.subarray(offset, offset + r.count * size);
      const in1 = buf1.subarray(offset, offset + r.count * size);
      const group = images.slice(r.first, r.first + r.count);
      if (o.resize) {
        await signedRgbResized(group.map((g) => g[0]), o.resize, in0);
        await signedRgbResized(group.map((g) => g[1]), o.resize, in1);
      } else {
        group.forEach(([a, b], k) => {
          signedRgb(a, in0, k * size);
          signedRgb(b, in1, k * size);
        });
      }
      prepared.push({ ...r, first: start + r.first, in0, in1 });
      offset += r.count * size;
    }
    return prepared;
  };

  let next = prepare(0, 0);
  for (let start = 0, slot = 0; start < src.count; start += batch, slot ^= 1) {
    const runs = await next;
    if (start + batch < src.count) {
      next = prepare(start + batch, slot ^ 1);
      next.catch(() => undefined); // awaited on the next turn; keeps an early rejection handled
    }
    for (const r of runs) out.set(await net.distances(r.in0, r.in1, r.count, r.h, r.w), r.first);
    o.onProgress?.(Math.min(start + batch, src.count), src.count);
  }
  return out;
}

/**
 * LPIPS between two image files, or between the images of two folders paired by relative path:
 * the distance of every pair and their mean with a 95% confidence interval. Images are converted
 * to RGB (gray replicated, alpha dropped) and scaled x / 127.5 - 1, as the lpips package does.
 */
export async function lpips(a: string, b: string, options: LpipsOptions = {}): Promise<LpipsResult> {
  checkOptions(options);
  const pairs = pairInputs(a, b);
  const net = await LpipsNetwork.open(options);
  try {
    const distances = await runPairs(
      net,
      {
        count: pairs.length,
        names: (p) => [pairs[p].a, pairs[p].b],
        load: (p) => Promise.all([decodeImage(pairs[p].a), decodeImage(pairs[p].b)]),
      },
      options,
    );
    return { lpips: meanInterval(distances), distances, pairs, model: net.model, device: net.device, resize: options.resize ?? null };
  } finally {
    await net.release();
  }
}

export interface DiversityOptions extends LpipsOptions {
  /** Random distinct pairs to average over (default 1000; all pairs when fewer exist). */
  pairs?: number;
  /** Seed of the pair draws (NumPy legacy MT19937; default 2020, torch-fidelity's). */
  seed?: number;
}

export interface DiversityResult {
  /** `lpips`: LPIPS between images; `features`: Euclidean distance between feature rows. */
  space: 'lpips' | 'features';
  value: MeanInterval;
  /** Item indices of each pair (i < j) and whether all pairs were used. */
  pairs: Pairs;
  distances: Float32Array | Float64Array;
  /** For image inputs: the names of the two images of each pair. */
  names?: [string, string][];
  seed: number;
  model?: { name: string; sha256: string };
  device?: 'cpu' | 'cuda';
  resize?: number | null;
}

export const DEFAULT_DIVERSITY_PAIRS = 1000;
export const DEFAULT_DIVERSITY_SEED = 2020;

function drawPairs(n: number, where: string, o: DiversityOptions): { pairs: Pairs; seed: number } {
  if (n < 2) throw new GenmetricsError(`${where}: diversity needs at least 2 samples, got ${n}`);
  const seed = o.seed ?? DEFAULT_DIVERSITY_SEED;
  return { pairs: randomPairs(n, o.pairs ?? DEFAULT_DIVERSITY_PAIRS, seed), seed };
}

/**
 * Sample diversity: mean LPIPS over random distinct pairs of images of one input (a folder, an
 * image stack .npy/.npz), with a 95% confidence interval. The pairs depend only on the number of
 * images, the number of pairs and the seed.
 */
export async function diversity(input: string, options: DiversityOptions = {}): Promise<DiversityResult> {
  checkOptions(options);
  const source = openImageSource(input);
  try {
    const { pairs, seed } = drawPairs(source.count, input, options);
    const net = await LpipsNetwork.open(options);
    try {
      const names = Array.from(pairs.first, (i, p): [string, string] => [source.name(i), source.name(pairs.second[p])]);
      const distances = await runPairs(
        net,
        {
          count: pairs.first.length,
          names: (p) => names[p],
          load: (p) => Promise.all([source.load(pairs.first[p]), source.load(pairs.second[p])]),
        },
        options,
      );
      return { space: 'lpips', value: meanInterval(distances), pairs, distances, names, seed, model: net.model, device: net.device, resize: options.resize ?? null };
    } finally {
      await net.release();
    }
  } finally {
    source.close();
  }
}

/** Diversity in a feature space: mean Euclidean distance between random distinct pairs of rows. */
export function featureDiversity(features: FeatureMatrix, options: Pick<DiversityOptions, 'pairs' | 'seed'> = {}): DiversityResult {
  const { pairs, seed } = drawPairs(features.rows, features.source, options);
  const d = features.dims;
  const x = features.data;
  const distances = new Float64Array(pairs.first.length);
  for (let p = 0; p < distances.length; p++) {
    const i = pairs.first[p] * d;
    const j = pairs.second[p] * d;
    let s = 0;
    for (let c = 0; c < d; c++) {
      const t = x[i + c] - x[j + c];
      s += t * t;
    }
    distances[p] = Math.sqrt(s);
  }
  return { space: 'features', value: meanInterval(distances), pairs, distances, seed };
}
