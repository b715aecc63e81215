/**
 * FD∞ (Chong & Forsyth, "Effectively Unbiased FID and Inception Score and where to find them", CVPR
 * 2020), as dgm-eval's compute_FD_infinity: the Fréchet distance of the reference (all rows) to
 * independent subsets of the generated rows at 15 sizes N = linspace(min(5000, max(m // 10, 2)), m,
 * 15) truncated to integers, an ordinary least-squares line of FD_N on 1/N, and its intercept (the
 * FD at N = ∞). dgm-eval draws the subsets from an unseeded default_rng; here they come from
 * NumPy's legacy RandomState(seed).choice, one generator for all sizes in order, or are given.
 */
import { GenmetricsError } from '../errors';
import { requireSameDims, type FeatureMatrix } from '../features';
import { LegacyRandomState } from '../random/mt19937';
import { statisticsOfMatrix } from '../stats/moments';
import { frechetDistance } from './fid';

export interface FdInfinityResult {
  fdInfinity: number;
  sizes: number[];
  fdN: number[];
}

/** np.linspace(start, stop, num).astype(int32). */
export function fdSizes(m: number, points: number): number[] {
  const start = Math.min(5000, Math.max(Math.floor(m / 10), 2));
  const step = (m - start) / (points - 1);
  return Array.from({ length: points }, (_, i) => Math.trunc(i === points - 1 ? m : i * step + start));
}

/** The intercept of the least-squares line y = a + b x. */
function intercept(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  return my - (sxy / sxx) * mx;
}

export async function fdInfinity(real: FeatureMatrix, fake: FeatureMatrix, o: { points?: number; seed?: number; subsets?: ArrayLike<number>; threads?: number } = {}): Promise<FdInfinityResult> {
  requireSameDims(fake, real);
  const points = o.points ?? 15;
  if (!Number.isInteger(points) || points < 2) throw new GenmetricsError(`points must be an integer >= 2, got ${points}`);
  const sizes = fdSizes(fake.rows, points);
  if (sizes[0] < 2) throw new GenmetricsError(`${fake.source}: FD∞ needs at least 2 generated samples per subset; the smallest subset has ${sizes[0]}`);
  const total = sizes.reduce((s, n) => s + n, 0);
  if (o.subsets && o.subsets.length !== total) throw new GenmetricsError(`the given subsets hold ${o.subsets.length} indices; the sizes ${sizes.join(', ')} need ${total}`);
  const threads = o.threads ?? 0;
  const ref = await statisticsOfMatrix(real, threads);
  const rng = o.subsets ? undefined : new LegacyRandomState(o.seed ?? 0);
  const fdN: number[] = [];
  let offset = 0;
  for (const n of sizes) {
    const rows = o.subsets ? Array.from({ length: n }, (_, k) => o.subsets![offset + k]) : rng!.choice(fake.rows, n);
    if (o.subsets && rows.some((r) => !Number.isInteger(r) || r < 0 || r >= fake.rows)) throw new GenmetricsError(`the given subsets hold an index outside 0 .. ${fake.rows - 1}`);
    offset += n;
    fdN.push((await frechetDistance(ref, await statisticsOfMatrix(fake, threads, rows), { threads })).fid);
  }
  return { fdInfinity: intercept(sizes.map((n) => 1 / n), fdN), sizes, fdN };
}
