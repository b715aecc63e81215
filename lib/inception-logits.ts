/**
 * The Inception Score's input: logits (N x C), read from a .npy or made by the network from images
 * (its `logits_unbiased`, torch-fidelity's IS input).
 */
import * as path from 'path';
import { GenmetricsError } from './errors';
import type { GeneratorProvenance } from './generator/generator';
import { classifyInput, inputPath, networkFeatures, type SampleInput } from './inputs';
import { readNpy } from './io/npy';
import { requireFile } from './io/paths';
import { inceptionScore, type InceptionScoreOptions, type InceptionScoreResult } from './metrics/inception-score';
import { type FeatureMeta, type FeatureOptions } from './network/inception';

export interface Logits {
  data: Float32Array | Float64Array;
  rows: number;
  classes: number;
  source: string;
}

/** A logits file (.npy, N x C float: torch-fidelity's `logits_unbiased` for the FID Inception). */
export function readLogits(file: string): Logits {
  requireFile(file, 'logits (.npy, N x C)');
  if (path.extname(file).toLowerCase() !== '.npy') throw new GenmetricsError(`${file}: expected logits as a .npy file (N x C)`);
  const a = readNpy(file);
  if (a.shape.length !== 2) throw new GenmetricsError(`${file}: expected a 2-D array of logits (N x C), got shape (${a.shape.join(', ')})`);
  if (a.dtype !== 'float32' && a.dtype !== 'float64') throw new GenmetricsError(`${file}: expected float32 or float64 logits, got ${a.dtype}`);
  return { data: a.data as Float32Array | Float64Array, rows: a.shape[0], classes: a.shape[1], source: file };
}

/** Inception Score of a logits .npy. */
export function inceptionScoreFromFile(file: string, options: InceptionScoreOptions = {}): InceptionScoreResult {
  const l = readLogits(file);
  return inceptionScore(l.data, l.rows, l.classes, options, file);
}

/** The logits of an input: a logits .npy, or images through the network (with how they were made). */
export async function loadLogits(
  input: SampleInput,
  network: FeatureOptions = {},
): Promise<Logits & { images?: FeatureMeta & { cached: boolean }; generator?: GeneratorProvenance }> {
  if (typeof input === 'string' && classifyInput(input) !== 'images') return readLogits(input);
  const { files, generator } = await networkFeatures(input, { network });
  try {
    return { ...readLogits(files.logits), source: inputPath(input), images: { ...files.meta, cached: files.cached }, ...(generator ? { generator } : {}) };
  } finally {
    files.dispose();
  }
}
