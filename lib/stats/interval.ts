import type TQuantile from '@stdlib/stats-base-dists-t-quantile';
import { GenmetricsError } from '../errors';
import { lazyModule } from '../lazy';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const tQuantile = lazyModule(() => require('@stdlib/stats-base-dists-t-quantile') as typeof TQuantile);

/** A sample mean with its spread and a two-sided confidence interval. */
export interface MeanInterval {
  mean: number;
  /** Sample standard deviation (ddof 1); null for a single value. */
  std: number | null;
  /** Standard error of the mean, std / sqrt(n); null for a single value. */
  sem: number | null;
  /** Student-t interval mean ± t_{(1+level)/2, n-1} · sem; null for a single value. */
  ci: [number, number] | null;
  level: number;
  n: number;
}

/**
 * Mean and Student-t confidence interval of independent values (the per-pair distances of LPIPS,
 * for instance). Summed in float64 in the order given; the variance from the two-pass formula.
 */
export function meanInterval(values: ArrayLike<number>, level = 0.95): MeanInterval {
  const n = values.length;
  if (n === 0) throw new GenmetricsError('no values to average');
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  if (n === 1) return { mean, std: null, sem: null, ci: null, level, n };
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  const std = Math.sqrt(ss / (n - 1));
  const sem = std / Math.sqrt(n);
  const half = tQuantile()((1 + level) / 2, n - 1) * sem;
  return { mean, std, sem, ci: [mean - half, mean + half], level, n };
}
