/**
 * CMMD (Jayasumana et al. 2024, "Rethinking FID"): the MMD between two sets of CLIP embeddings with
 * the Gaussian RBF kernel k(x, y) = exp(-|x - y|² / (2σ²)), σ = 10, scaled by 1000, exactly as the
 * reference's `mmd` (google-research cmmd/distance.py):
 *
 *   CMMD = 1000 (mean K_XX + mean K_YY − 2 mean K_XY),
 *
 * each mean over all pairs, the diagonal included (the biased, minimum-variance V-statistic of
 * Gretton et al. 2012, Eq. 5); the sets may differ in size. The sums are streamed over tiles
 * (native kernelSums, the machinery of KID's --full), so memory stays O(tile²) at 50k per side,
 * where the reference builds the n x n matrices. The reference computes in float32 (JAX); the
 * products here are float32 GEMMs (or float64) with float64 sums, so the value is the reference's
 * formula with less rounding. The formula is symmetric in the two sets.
 */
import { CMMD_SCALE, CMMD_SIGMA } from '../defaults';
import { GenmetricsError } from '../errors';
import { requireSameDims, type FeatureMatrix } from '../features';
import { mmd2, type PairwiseRunOptions } from './kid';

export interface CmmdOptions extends PairwiseRunOptions {
  /** Kernel bandwidth (default 10, the reference's _SIGMA). */
  sigma?: number;
  /** Scale of the result (default 1000, the reference's _SCALE). */
  scale?: number;
}

export interface CmmdResult {
  cmmd: number;
  /** The unscaled biased MMD² (cmmd / scale). */
  mmd2: number;
  sigma: number;
  scale: number;
  sizes: [number, number];
}

/** CMMD between two sets of (CLIP) embeddings; x and y are interchangeable. */
export async function cmmd(x: FeatureMatrix, y: FeatureMatrix, options: CmmdOptions = {}): Promise<CmmdResult> {
  requireSameDims(x, y);
  const sigma = options.sigma ?? CMMD_SIGMA;
  const scale = options.scale ?? CMMD_SCALE;
  if (!Number.isFinite(sigma) || sigma <= 0) throw new GenmetricsError(`sigma must be a positive number, got ${sigma}`);
  if (!Number.isFinite(scale) || scale <= 0) throw new GenmetricsError(`scale must be a positive number, got ${scale}`);
  const r = await mmd2(x, y, { kernel: 'rbf', sigma, estimator: 'biased', threads: options.threads, precision: options.precision, tile: options.tile, onProgress: options.onProgress });
  return { cmmd: scale * r.mmd2, mmd2: r.mmd2, sigma, scale, sizes: r.sizes };
}
