/**
 * Realism scores of generated samples (Kynkäänniemi et al., "Improved Precision and Recall Metric
 * for Assessing Generative Models", NeurIPS 2019, sec. 5), in the two conventions in use:
 * - `kynkaanniemi` (kynkaat's ManifoldEstimator(real, clamp_to_percentile=50)): squared distances,
 *   k = 3 radii of the reals (squared), those above their 50th percentile (linear interpolation)
 *   set to 0; realism(g) = max_i r_i / (d(g, x_i) + 1e-5); beside it the precision against the
 *   pruned balls (d <= r);
 * - `dgm-eval` (compute_prdc(realism=True)): plain distances, k = 5 radii, only the reals with a
 *   radius strictly below the median kept; realism(g) = max_i r_i / d(g, x_i), no eps (a duplicate
 *   gives Infinity).
 */
import { GenmetricsError } from '../errors';
import { requireSameDims, type FeatureMatrix } from '../features';
import { native } from '../native';

export type RealismConvention = 'kynkaanniemi' | 'dgm-eval';
export const REALISM_K: Record<RealismConvention, number> = { kynkaanniemi: 3, 'dgm-eval': 5 };

export interface RealismResult {
  scores: Float64Array;
  mean: number;
  median: number;
  /** kynkaanniemi: the share of generated samples inside a pruned real ball. */
  prunedPrecision: number | null;
}

function median(sorted: Float64Array): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

export async function realism(real: FeatureMatrix, fake: FeatureMatrix, o: { convention?: RealismConvention; k?: number; threads?: number } = {}): Promise<RealismResult> {
  requireSameDims(fake, real);
  const convention = o.convention ?? 'kynkaanniemi';
  const k = o.k ?? REALISM_K[convention];
  if (real.rows < k + 1) throw new GenmetricsError(`${real.source}: realism with k = ${k} needs at least ${k + 1} real samples, got ${real.rows}`);
  const run = { threads: o.threads, precision: 'float32' as const };
  const [plain] = await native().neighbourRadii(real.data, real.rows, [k], run);
  let radii: Float64Array;
  if (convention === 'kynkaanniemi') {
    radii = plain.map((r) => r * r);
    // np.percentile(r, 50), linear interpolation: the median.
    const cut = median(Float64Array.from(radii).sort());
    radii = radii.map((r) => (r > cut ? 0 : r));
  } else {
    const cut = median(Float64Array.from(plain).sort());
    radii = plain.map((r) => (r < cut ? r : NaN));
  }
  // The ratios from float64 distances (the references' float32 ones differ from them by up to 5.4e-5).
  const r = await native().realismScores(real.data, real.rows, fake.data, fake.rows, radii, convention === 'kynkaanniemi', convention === 'kynkaanniemi' ? 1e-5 : 0, { threads: o.threads, precision: 'float64' });
  const sorted = Float64Array.from(r.score).sort();
  return {
    scores: r.score,
    mean: r.score.reduce((s, v) => s + v, 0) / fake.rows,
    median: median(sorted),
    prunedPrecision: convention === 'kynkaanniemi' ? r.inside.reduce((s, v) => s + v, 0) / fake.rows : null,
  };
}
