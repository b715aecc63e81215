/**
 * Perceptual path length's reduction (Karras et al. 2019, sec. 3; torch-fidelity's metric_ppl.py):
 * the per-sample distances outside the [lower, upper] percentiles dropped, then their mean and
 * (population) standard deviation. The percentiles are NumPy's `lower` and `higher` methods, so
 * both bounds are sample values and both are kept (lo <= d <= hi).
 */
import { GenmetricsError } from '../errors';

export interface PplReduction {
  /** Percentile below which distances are dropped (torch-fidelity: 1; null keeps all). */
  lower: number | null;
  /** Percentile above which distances are dropped (torch-fidelity: 99; null keeps all). */
  upper: number | null;
}

export interface PplResult {
  mean: number;
  std: number;
  /** Distances kept after the percentile filter. */
  kept: number;
  /** The filter's bounds (sample values), when set. */
  bounds: { lower: number | null; upper: number | null };
}

/** np.percentile(d, q, method='lower' | 'higher') of a sorted array. */
export function percentileOfSorted(sorted: ArrayLike<number>, q: number, method: 'lower' | 'higher'): number {
  const index = (sorted.length - 1) * (q / 100);
  return sorted[method === 'lower' ? Math.floor(index) : Math.ceil(index)];
}

export function reducePathLengths(distances: ArrayLike<number>, r: PplReduction): PplResult {
  if (distances.length === 0) throw new GenmetricsError('perceptual path length needs at least one sample');
  for (const q of [r.lower, r.upper]) if (q !== null && !(q > 0 && q < 100)) throw new GenmetricsError(`percentiles must lie strictly between 0 and 100, got ${q}`);
  if (r.lower !== null && r.upper !== null && r.lower >= r.upper) throw new GenmetricsError(`the lower percentile (${r.lower}) must be below the upper one (${r.upper})`);
  const sorted = Float64Array.from(distances).sort();
  if (Number.isNaN(sorted[sorted.length - 1])) throw new GenmetricsError('a path length is NaN (the generator or LPIPS produced NaN)');
  const lo = r.lower === null ? null : percentileOfSorted(sorted, r.lower, 'lower');
  const hi = r.upper === null ? null : percentileOfSorted(sorted, r.upper, 'higher');
  let n = 0;
  let sum = 0;
  for (let i = 0; i < distances.length; i++) {
    const d = distances[i];
    if ((lo === null || lo <= d) && (hi === null || d <= hi)) {
      n++;
      sum += d;
    }
  }
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < distances.length; i++) {
    const d = distances[i];
    if ((lo === null || lo <= d) && (hi === null || d <= hi)) ss += (d - mean) ** 2;
  }
  return { mean, std: Math.sqrt(ss / n), kept: n, bounds: { lower: lo, upper: hi } };
}
