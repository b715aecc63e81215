import { GenmetricsError } from '../errors';
import { loadStatistics, type InputProvenance, type LoadOptions } from '../inputs';
import { native } from '../native';
import { requireSameOrigin } from '../network/meta';
import type { Statistics } from '../stats/statistics';

export interface FrechetOptions {
  /** pytorch-fid's eps: added to both covariance diagonals only if the first attempt is not finite. */
  eps?: number;
  threads?: number;
}

export interface FrechetResult {
  fid: number;
  /** |mu1 - mu2|^2 */
  meanTerm: number;
  /** tr S1 + tr S2 - 2 tr((S1^1/2 S2 S1^1/2)^1/2) */
  covarianceTerm: number;
  traceSqrt: number;
  epsApplied: boolean;
  /** "cholesky" (S1 positive definite) or "eigh" (symmetric square root, as the references do when S1 is singular). */
  route: string;
  /** True when the computed value was a tiny negative number (round-off within 1e-5 of
   *  tr S1 + tr S2, e.g. identical singular statistics) and `fid` reports 0 instead; see rawFid. */
  clamped: boolean;
  /** The value before clamping (equal to fid unless clamped). */
  rawFid: number;
}

/**
 * Fréchet distance between two Gaussians (pure: statistics in, number out). Each sigma must be
 * symmetric (to 1e-6 relative) and positive semi-definite (no eigenvalue below -1e-6 x its
 * Frobenius norm); otherwise the native core refuses it, naming sigma1 / sigma2. The result is
 * never negative: see `clamped`.
 */
export async function frechetDistance(a: Statistics, b: Statistics, options: FrechetOptions = {}): Promise<FrechetResult> {
  if (a.dims !== b.dims) {
    throw new GenmetricsError(`dimension mismatch: first statistics are ${a.dims}-d, second ${b.dims}-d`);
  }
  const r = await native().frechetDistance(a.dims, a.mu, a.sigma, b.mu, b.sigma, options.eps ?? 1e-6, options.threads ?? 0);
  return {
    clamped: r.clamped,
    rawFid: r.rawDistance,
    fid: r.distance,
    meanTerm: r.meanTerm,
    covarianceTerm: r.trace1 + r.trace2 - 2 * r.traceSqrt,
    traceSqrt: r.traceSqrt,
    epsApplied: r.epsApplied,
    route: r.route,
  };
}

export interface FidResult extends FrechetResult {
  inputs: [InputProvenance, InputProvenance];
}

/**
 * FID between two inputs, each an image folder/file/array (through the Inception network), a
 * features `.npy` or a statistics `.npz` (or in-memory statistics). Inputs whose recorded
 * preprocessing mode or network differ are refused.
 */
export async function fid(a: string | Statistics, b: string | Statistics, options: FrechetOptions & LoadOptions = {}): Promise<FidResult> {
  const load = async (x: string | Statistics) =>
    typeof x === 'string'
      ? loadStatistics(x, options)
      : { stats: x, provenance: { path: '<memory>', kind: 'statistics' as const, dims: x.dims, count: x.count, preprocessing: x.preprocessing } };
  const A = await load(a);
  const B = await load(b);
  requireSameOrigin(A.provenance, B.provenance);
  if (A.stats.dims !== B.stats.dims) {
    throw new GenmetricsError(
      `dimension mismatch: ${A.provenance.path} is ${A.stats.dims}-d, ${B.provenance.path} is ${B.stats.dims}-d`,
    );
  }
  try {
    const res = await frechetDistance(A.stats, B.stats, options);
    return { ...res, inputs: [A.provenance, B.provenance] };
  } catch (err) {
    // Name the input behind the native core's "sigma1"/"mu2"... in its messages.
    const msg = (err instanceof Error ? err.message : String(err))
      .replace(/\b(mu|sigma)1\b/, `${A.provenance.path} [$1]`)
      .replace(/\b(mu|sigma)2\b/, `${B.provenance.path} [$1]`);
    throw new GenmetricsError(msg);
  }
}
