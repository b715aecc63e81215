/**
 * The birthday-paradox test of support size (Arora & Zhang, "Do GANs learn the distribution? Some
 * theory and empirics", ICLR 2018): if batches of s samples contain a (near-)duplicate pair with
 * probability about 1/2 or more, the distribution's support is about s² (the birthday paradox:
 * among s draws from N equally likely items a repeat is likely once s ≳ √N). Each batch's closest
 * pairs come from its exact pairwise distances (native Gram matrix of the batch, float64).
 */
import { GenmetricsError } from '../errors';
import { native, type FeatureData } from '../native';

export interface ClosePair {
  /** Rows of the batch, i < j. */
  i: number;
  j: number;
  distance: number;
}

export interface BatchPairs {
  /** The `count` closest pairs, by distance then (i, j). */
  pairs: ClosePair[];
  /** Each row's distance to its nearest other row of the batch. */
  nearest: Float64Array;
}

/** The closest pairs of a batch of `rows` rows (row-major, `dims` wide). */
export async function closestPairs(x: FeatureData, rows: number, dims: number, count: number, threads = 0): Promise<BatchPairs> {
  if (rows < 2) throw new GenmetricsError(`a batch needs at least 2 samples, got ${rows}`);
  if (x.length !== rows * dims) throw new GenmetricsError(`the batch holds ${x.length} values, not ${rows} x ${dims}`);
  const g = await native().gramMatrix(x, rows, { threads });
  const nearest = new Float64Array(rows).fill(Infinity);
  // The `count` smallest so far, ascending; `worst` prunes the rest.
  const best: ClosePair[] = [];
  let worst = Infinity;
  for (let i = 0; i < rows; i++) {
    for (let j = i + 1; j < rows; j++) {
      const d = Math.sqrt(Math.max(g[i * rows + i] + g[j * rows + j] - 2 * g[i * rows + j], 0));
      if (d < nearest[i]) nearest[i] = d;
      if (d < nearest[j]) nearest[j] = d;
      if (best.length === count && d >= worst) continue;
      let at = best.length;
      while (at > 0 && best[at - 1].distance > d) at--;
      best.splice(at, 0, { i, j, distance: d });
      if (best.length > count) best.pop();
      if (best.length === count) worst = best[count - 1].distance;
    }
  }
  return { pairs: best, nearest };
}

/** The median of the values (mean of the two middle ones for an even count, as numpy). */
export function median(values: ArrayLike<number>): number {
  const v = Float64Array.from(values).sort();
  const h = v.length >> 1;
  return v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
}
