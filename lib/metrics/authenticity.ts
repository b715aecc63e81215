/**
 * Authenticity, as dgm-eval's AuthPct (Alaa et al., "How Faithful is your Synthetic Data?", ICML
 * 2022; the percentage of Stein et al. 2023): a generated sample is authentic when its nearest real
 * sample i lies closer to another real sample than to it (d2(i) < d1, strict). Exact Euclidean
 * distances (float32 products, float64 re-checks).
 */
import { GenmetricsError } from '../errors';
import { requireSameDims, type FeatureMatrix } from '../features';
import { native } from '../native';

export interface AuthenticityResult {
  /** 100 x the fraction of authentic generated samples. */
  authpct: number;
  /** The same, rounded to float32 as dgm-eval's `.item()` of a float32 tensor. */
  authpct_float32: number;
  authentic: Uint8Array;
}

export async function authenticity(real: FeatureMatrix, fake: FeatureMatrix, o: { threads?: number } = {}): Promise<AuthenticityResult> {
  requireSameDims(fake, real);
  if (real.rows < 2) throw new GenmetricsError(`${real.source}: authenticity needs at least 2 real samples (a nearest other real), got ${real.rows}`);
  const run = { threads: o.threads, precision: 'float32' as const };
  const [own] = await native().neighbourRadii(real.data, real.rows, [1], run);
  const nearest = await native().nearestNeighbours(fake.data, fake.rows, real.data, real.rows, 1, run);
  const authentic = Uint8Array.from({ length: fake.rows }, (_, j) => (own[nearest.index[j]] < nearest.distance[j] ? 1 : 0));
  const pct = (100 * authentic.reduce((a, v) => a + v, 0)) / fake.rows;
  return { authpct: pct, authpct_float32: Math.fround(pct), authentic };
}
