/**
 * Improved precision and recall (Kynkäänniemi et al. 2019) and density and coverage (Naeem et
 * al. 2020) from k-nearest-neighbour balls. With r_k(x) the distance from x to its k-th nearest
 * neighbour in its own set (itself excluded), reals X and fakes Y:
 *   precision = mean_j 1[∃i: d(Y_j, X_i) ≤ r_k(X_i)]      (fakes inside the real manifold)
 *   recall    = mean_i 1[∃j: d(X_i, Y_j) ≤ r_k(Y_j)]      (reals inside the fake manifold)
 *   density   = 1/(kM) Σ_j Σ_i 1[d(Y_j, X_i) < r_k(X_i)]
 *   coverage  = mean_i 1[min_j d(X_i, Y_j) < r_k(X_i)]
 * By default precision/recall use torch-fidelity's convention (k = 3, d ≤ r) and density/coverage
 * the prdc package's (k = 5, d < r). Ties at the boundary are decided by the test, so both are
 * selectable. Distances are Euclidean; with the default float32 products every ball test within the
 * float32 error bound is re-decided from the float64 distance, so the results are the float64 ones.
 */
import * as D from '../defaults';
import { GenmetricsError } from '../errors';
import { requireSameDims, type FeatureMatrix } from '../features';
import { pairwise } from '../native';
import { precisionOf, type PairwiseRunOptions } from './kid';

/** A k-NN ball convention: k and the membership test (`<=` or strict `<`). */
export interface BallConvention {
  k: number;
  test: '<=' | '<';
}

export const TORCH_FIDELITY_PR: BallConvention = { k: D.PR_K, test: D.PR_TEST };
export const PRDC_DC: BallConvention = { k: D.DC_K, test: D.DC_TEST };

export interface PrdcOptions extends Omit<PairwiseRunOptions, 'onProgress'> {
  /** Convention of precision and recall (default k = 3, `<=`). */
  precisionRecall?: BallConvention;
  /** Convention of density and coverage (default k = 5, `<`). */
  densityCoverage?: BallConvention;
  /** (phase, done, total): phases 'real radii', 'fake radii', 'cross distances'. */
  onProgress?: (phase: string, done: number, total: number) => void;
}

export interface PrdcResult {
  precision: number;
  recall: number;
  /** 2PR / max(1e-5, P + R), as torch-fidelity. */
  fScore: number;
  density: number;
  coverage: number;
  conventions: { precisionRecall: BallConvention; densityCoverage: BallConvention };
  sizes: { fake: number; real: number };
}

function checkConvention(c: BallConvention, name: string, fake: FeatureMatrix, real: FeatureMatrix): void {
  if (!Number.isInteger(c.k) || c.k < 1) throw new GenmetricsError(`${name}: k must be a positive integer, got ${c.k}`);
  if (c.test !== '<=' && c.test !== '<') throw new GenmetricsError(`${name}: the ball test must be '<=' or '<', got '${c.test as string}'`);
  for (const s of [real, fake]) {
    if (s.rows < c.k + 1) {
      throw new GenmetricsError(`${s.source}: ${name} with k = ${c.k} needs at least ${c.k + 1} samples, got ${s.rows}`);
    }
  }
}

const fraction = (counts: Uint32Array) => counts.reduce((a, v) => a + (v > 0 ? 1 : 0), 0) / counts.length;

/** Precision, recall, density and coverage of generated samples `fake` against `real` ones. */
export async function prdc(fake: FeatureMatrix, real: FeatureMatrix, options: PrdcOptions = {}): Promise<PrdcResult> {
  requireSameDims(fake, real);
  const pr = options.precisionRecall ?? TORCH_FIDELITY_PR;
  const dc = options.densityCoverage ?? PRDC_DC;
  checkConvention(pr, 'precision/recall', fake, real);
  checkConvention(dc, 'density/coverage', fake, real);
  const run = { tile: options.tile, threads: options.threads, precision: precisionOf(options) };
  const progress = (phase: string) => (options.onProgress ? (d: number, t: number) => options.onProgress!(phase, d, t) : undefined);

  const ks = [...new Set([pr.k, dc.k])];
  const kernels = pairwise();
  let realRadii: Float64Array[], fakeRadii: Float64Array[];
  if (kernels.concurrent) {
    // Both sets' passes at once (a scale-out queue: their shards in one stage), one progress phase.
    const parts = [0, 0];
    const totals = [0, 0];
    const both = progress('radii');
    const part = (i: number) => (both ? (d: number, t: number) => ((parts[i] = d), (totals[i] = t), both(parts[0] + parts[1], totals[0] + totals[1])) : undefined);
    [realRadii, fakeRadii] = await Promise.all([kernels.neighbourRadii(real.data, real.rows, ks, run, part(0)), kernels.neighbourRadii(fake.data, fake.rows, ks, run, part(1))]);
  } else {
    realRadii = await kernels.neighbourRadii(real.data, real.rows, ks, run, progress('real radii'));
    fakeRadii = await kernels.neighbourRadii(fake.data, fake.rows, ks, run, progress('fake radii'));
  }
  const ballSet = (c: BallConvention) => ({ realRadii: realRadii[ks.indexOf(c.k)], fakeRadii: fakeRadii[ks.indexOf(c.k)], strict: c.test === '<' });
  const same = pr.k === dc.k && pr.test === dc.test;
  const sets = same ? [ballSet(pr)] : [ballSet(pr), ballSet(dc)];
  const counts = await kernels.countBalls(real.data, real.rows, fake.data, fake.rows, sets, run, progress('cross distances'));

  const precision = fraction(counts.fakeInReal[0]);
  const recall = fraction(counts.realInFake[0]);
  const d = same ? 0 : 1;
  const density = counts.fakeInReal[d].reduce((a, v) => a + v, 0) / (dc.k * fake.rows);
  // A real is covered when its nearest fake is inside its ball: when any fake is.
  const coverage = fraction(counts.realCovered[d]);
  return {
    precision,
    recall,
    fScore: (2 * precision * recall) / Math.max(1e-5, precision + recall),
    density,
    coverage,
    conventions: { precisionRecall: pr, densityCoverage: dc },
    sizes: { fake: fake.rows, real: real.rows },
  };
}
