import { LPIPS_BATCH_CPU, LPIPS_BATCH_CUDA } from '../defaults';
import { GenmetricsError, OptionError } from '../errors';
import { pipelined } from '../models/onnx-model';
import { decodeImage } from '../images/decode';
import { pairInputs, type ImagePair } from '../images/pairing';
import type { DecodedImage } from '../images/preprocess';
import { openImageSource, type ImageSource } from '../images/sources';
import { signedRgb, signedRgbResized } from '../images/tensor';
import { LpipsNetwork, type LpipsNetworkOptions } from './lpips';
import { drawPairs, type DiversityOptions, type DiversityResult } from '../metrics/diversity';
import { meanInterval, type MeanInterval } from '../stats/interval';

export interface LpipsOptions extends LpipsNetworkOptions {
  /** Resize both images of every pair to resize x resize (PIL bicubic with antialias, on floats);
   *  without it the two images of a pair must have the same size. */
  resize?: number;
  /** Pairs per network call (default 16 on the CPU, 64 on CUDA). */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
  /** Images with more pixels are refused before decoding. */
  maxPixels?: number;
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
    throw new OptionError('resize', `resize must be a positive integer, got ${o.resize}`);
  }
  if (o.batchSize !== undefined && (!Number.isInteger(o.batchSize) || o.batchSize < 1)) {
    throw new OptionError('batchSize', `batchSize must be a positive integer, got ${o.batchSize}`);
  }
}

/**
 * Distances of all pairs. Consecutive pairs of one size share a network call; decoding and
 * conversion of the next batch overlap the network call on the current one (two buffer slots).
 */
async function runPairs(net: LpipsNetwork, src: PairSource, o: LpipsOptions): Promise<Float32Array> {
  const batch = o.batchSize ?? (net.device === 'cuda' ? LPIPS_BATCH_CUDA : LPIPS_BATCH_CPU);
  // The trunk's smallest input (alex 31 px, vgg 16, squeeze 17): smaller ones are refused here,
  // as the lpips package refuses them; onnxruntime would trap (SIGFPE) on the empty activations.
  const min = net.minimum;
  const tooSmall = (h: number, w: number) => h < min.height || w < min.width;
  const smallest = min.height === min.width ? `${min.width} px` : `${min.width} x ${min.height} px (width x height)`;
  if (o.resize !== undefined && tooSmall(o.resize, o.resize)) {
    throw new OptionError('resize', `resize must be an integer >= ${smallest.replace(/ px.*/, '')} (the smallest input of ${net.model.name}: ${smallest}), got ${o.resize}`);
  }
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
          `${na} is ${a.width}x${a.height} but ${nb} is ${b.width}x${b.height}: LPIPS compares images of one size; use option resize N to resize both to N x N`,
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

  await pipelined(
    src.count,
    batch,
    prepare,
    async (runs) => {
      for (const r of runs) out.set(await net.distances(r.in0, r.in1, r.count, r.h, r.w), r.first);
    },
    o.onProgress,
  );
  return out;
}

/**
 * LPIPS of the pairs (a[first[p]], b[second[p]]) of two image sources (random access), e.g. a
 * generated sample and its candidate neighbours; sizes as for `lpips` (equal, or option resize).
 */
export async function lpipsOfIndexPairs(a: ImageSource, b: ImageSource, first: ArrayLike<number>, second: ArrayLike<number>, options: LpipsOptions = {}): Promise<Float32Array> {
  checkOptions(options);
  const net = await LpipsNetwork.open(options);
  try {
    return await runPairs(
      net,
      {
        count: first.length,
        names: (p) => [a.name(first[p]), b.name(second[p])],
        load: (p) => Promise.all([a.load(first[p]), b.load(second[p])]),
      },
      options,
    );
  } finally {
    await net.release();
  }
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
        load: (p) => Promise.all([decodeImage(pairs[p].a, options), decodeImage(pairs[p].b, options)]),
      },
      options,
    );
    return { lpips: meanInterval(distances), distances, pairs, model: net.model, device: net.device, resize: options.resize ?? null };
  } finally {
    await net.release();
  }
}

/**
 * Sample diversity: mean LPIPS over random distinct pairs of images of one input (a folder, an
 * image stack .npy/.npz), with a 95% confidence interval. The pairs depend only on the number of
 * images, the number of pairs and the seed.
 */
export async function diversity(input: string, options: LpipsOptions & DiversityOptions = {}): Promise<DiversityResult> {
  checkOptions(options);
  const source = openImageSource(input, options);
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

