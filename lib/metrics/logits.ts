import * as path from 'path';
import { GenmetricsError } from '../errors';
import { classifyInput } from '../inputs';
import { readNpy } from '../io/npy';
import { requireFile } from '../io/paths';
import { extractFeatureFiles, type FeatureMeta, type FeatureOptions } from '../network/inception';
import { inceptionScore, type InceptionScoreOptions, type InceptionScoreResult } from './inception-score';

/** Inception Score of a logits file (.npy, N x C float: torch-fidelity's `logits_unbiased` for the FID Inception). */
export function inceptionScoreFromFile(file: string, options: InceptionScoreOptions = {}): InceptionScoreResult {
  requireFile(file, 'logits (.npy, N x C)');
  if (path.extname(file).toLowerCase() !== '.npy') throw new GenmetricsError(`${file}: expected logits as a .npy file (N x C)`);
  const a = readNpy(file);
  if (a.shape.length !== 2) throw new GenmetricsError(`${file}: expected a 2-D array of logits (N x C), got shape (${a.shape.join(', ')})`);
  if (a.dtype !== 'float32' && a.dtype !== 'float64') throw new GenmetricsError(`${file}: expected float32 or float64 logits, got ${a.dtype}`);
  return inceptionScore(a.data as Float32Array | Float64Array, a.shape[0], a.shape[1], options, file);
}

export interface InputInceptionScore extends InceptionScoreResult {
  /** For image inputs: how the logits were made (mode, model, skipped images). */
  images?: FeatureMeta & { cached: boolean };
}

/**
 * Inception Score of an image input (the network's `logits_unbiased`, as torch-fidelity) or of a
 * logits .npy.
 */
export async function inceptionScoreOf(
  input: string,
  options: InceptionScoreOptions & { network?: FeatureOptions } = {},
): Promise<InputInceptionScore> {
  if (classifyInput(input) !== 'images') return inceptionScoreFromFile(input, options);
  const files = await extractFeatureFiles(input, options.network);
  try {
    return { ...inceptionScoreFromFile(files.logits, options), images: { ...files.meta, cached: files.cached } };
  } finally {
    files.dispose();
  }
}
