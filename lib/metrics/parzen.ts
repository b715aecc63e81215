/**
 * The Parzen-window log-likelihood (Breuleux et al. 2011; Goodfellow et al. 2014, goodfeli's
 * parzen_ll.py): a Gaussian kernel density with bandwidth σ centred on the m generated samples μ_j,
 *   log p(x) = log (1/m) Σ_j exp(-|x − μ_j|² / (2σ²)) − d log(σ √(2π)),
 * σ is the grid value with the highest mean log-likelihood of a validation set (the first maximum,
 * as numpy's argmax), and the result is the mean over the test set with its standard error
 * std(ddof 0) / √n. The log-sums run natively over distance tiles in float64.
 */
import { GenmetricsError } from '../errors';
import { requireSameDims, type FeatureMatrix } from '../features';
import { native } from '../native';

export interface ParzenResult {
  sigma: number;
  /** The grid and each value's mean validation log-likelihood (empty when σ was given). */
  sigmas: number[];
  validation: number[];
  /** Mean test log-likelihood and its standard error. */
  ll: number;
  se: number;
  perSample: Float64Array;
}

/** np.logspace(start, end, count): 10 ** linspace(start, end, count). */
export function logspace(start: number, end: number, count: number): number[] {
  if (count === 1) return [10 ** start];
  return Array.from({ length: count }, (_, i) => 10 ** (start + ((end - start) * i) / (count - 1)));
}

/** Each test row's log-likelihood under the windows of each σ: one array per σ. */
export async function parzenLogLikelihoods(samples: FeatureMatrix, test: FeatureMatrix, sigmas: number[], o: { threads?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<Float64Array[]> {
  requireSameDims(test, samples);
  if (samples.rows < 1) throw new GenmetricsError(`${samples.source}: the Parzen window needs at least one sample`);
  if (test.rows < 1) throw new GenmetricsError(`${test.source}: no samples to evaluate`);
  const scales = Float64Array.from(sigmas, (s) => 1 / (2 * s * s));
  const sums = await native().parzenLogSums(test.data, test.rows, samples.data, samples.rows, scales, { threads: o.threads }, o.onProgress);
  const logM = Math.log(samples.rows);
  return sigmas.map((s, k) => {
    const z = samples.dims * Math.log(s * Math.sqrt(2 * Math.PI));
    return Float64Array.from({ length: test.rows }, (_, i) => sums[i * sigmas.length + k] - logM - z);
  });
}

function mean(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s / v.length;
}

export interface ParzenOptions {
  /** A fixed bandwidth; otherwise `validation` and `sigmas` choose it. */
  sigma?: number;
  sigmas?: number[];
  validation?: FeatureMatrix;
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

export async function parzen(samples: FeatureMatrix, test: FeatureMatrix, o: ParzenOptions): Promise<ParzenResult> {
  let sigma = o.sigma;
  let validation: number[] = [];
  const sigmas = o.sigma === undefined ? (o.sigmas ?? []) : [];
  if (sigma === undefined) {
    if (!o.validation) throw new GenmetricsError('the Parzen window needs a validation set to choose sigma, or a fixed sigma');
    if (sigmas.length === 0) throw new GenmetricsError('the Parzen window needs at least one candidate sigma');
    requireSameDims(o.validation, samples);
    validation = (await parzenLogLikelihoods(samples, o.validation, sigmas, o)).map(mean);
    let best = 0;
    for (let k = 1; k < validation.length; k++) if (validation[k] > validation[best]) best = k;
    sigma = sigmas[best];
  }
  const [ll] = await parzenLogLikelihoods(samples, test, [sigma], o);
  const mu = mean(ll);
  let ss = 0;
  for (const v of ll) ss += (v - mu) * (v - mu);
  return { sigma, sigmas, validation, ll: mu, se: Math.sqrt(ss / ll.length) / Math.sqrt(ll.length), perSample: ll };
}
