/**
 * Sample diversity: the mean distance between random distinct pairs of one set, with a 95%
 * confidence interval (a mode-collapse check). The pairs depend only on the number of items, the
 * number of pairs and the seed. LPIPS diversity runs a network (lib/network/lpips-pairs.ts); this
 * module holds the pair draws and the Euclidean distance in a feature space.
 */
import * as D from '../defaults';
import { GenmetricsError } from '../errors';
import type { FeatureMatrix } from '../features';
import { randomPairs, type Pairs } from '../random/pairs';
import { meanInterval, type MeanInterval } from '../stats/interval';

export interface DiversityOptions {
  /** Random distinct pairs to average over (default 1000; all pairs when fewer exist). */
  pairs?: number;
  /** Seed of the pair draws (NumPy legacy MT19937; default 2020, torch-fidelity's). */
  seed?: number;
}

export interface DiversityResult {
  /** `lpips`: LPIPS between images; `features`: Euclidean distance between feature rows. */
  space: 'lpips' | 'features';
  value: MeanInterval;
  /** Item indices of each pair (i < j) and whether all pairs were used. */
  pairs: Pairs;
  distances: Float32Array | Float64Array;
  /** For image inputs: the names of the two images of each pair. */
  names?: [string, string][];
  seed: number;
  model?: { name: string; sha256: string };
  device?: 'cpu' | 'cuda';
  resize?: number | null;
}

export function drawPairs(n: number, where: string, o: DiversityOptions): { pairs: Pairs; seed: number } {
  if (n < 2) throw new GenmetricsError(`${where}: diversity needs at least 2 samples, got ${n}`);
  const seed = o.seed ?? D.DIVERSITY_SEED;
  return { pairs: randomPairs(n, o.pairs ?? D.DIVERSITY_PAIRS, seed), seed };
}

/** Diversity in a feature space: mean Euclidean distance between random distinct pairs of rows. */
export function featureDiversity(features: FeatureMatrix, options: DiversityOptions = {}): DiversityResult {
  const { pairs, seed } = drawPairs(features.rows, features.source, options);
  const d = features.dims;
  const x = features.data;
  const distances = new Float64Array(pairs.first.length);
  for (let p = 0; p < distances.length; p++) {
    const i = pairs.first[p] * d;
    const j = pairs.second[p] * d;
    let s = 0;
    for (let c = 0; c < d; c++) {
      const t = x[i + c] - x[j + c];
      s += t * t;
    }
    distances[p] = Math.sqrt(s);
  }
  return { space: 'features', value: meanInterval(distances), pairs, distances, seed };
}
