/**
 * Every distribution metric of a generated set against a reference set from one feature pass:
 * FID, KID, precision/recall, density/coverage, and the Inception Score of the generated set when
 * it is given as images (the network's logits come with its features).
 */
import { loadFeaturePair, type InputProvenance, type LoadOptions } from '../inputs';
import type { FeatureMatrix } from '../features';
import { RunningMoments } from '../stats/moments';
import type { Statistics } from '../stats/statistics';
import { frechetDistance, type FrechetResult } from './fid';
import { inceptionScore, type InceptionScoreOptions, type InceptionScoreResult } from './inception-score';
import { kid, type KidOptions, type KidResult } from './kid';
import { prdc, type PrdcOptions, type PrdcResult } from './prdc';

export interface AllOptions extends LoadOptions {
  eps?: number;
  kid?: Omit<KidOptions, 'threads' | 'onProgress'>;
  prdc?: Omit<PrdcOptions, 'threads' | 'onProgress'>;
  inceptionScore?: InceptionScoreOptions;
  /** (phase, done, total) for the metric computations (image extraction reports through `network`). */
  onPhase?: (phase: string, done: number, total: number) => void;
}

export interface AllResult {
  fid: FrechetResult;
  kid: KidResult;
  prdc: PrdcResult;
  inceptionScore?: InceptionScoreResult;
  inputs: [InputProvenance, InputProvenance];
}

async function statisticsOf(m: FeatureMatrix, threads?: number): Promise<Statistics> {
  const moments = new RunningMoments(m.dims);
  await moments.update(m.data, { threads });
  return moments.finalize();
}

/** All metrics of `generated` against `reference` (image folders/files or features .npy). */
export async function allMetrics(generated: string, reference: string, options: AllOptions = {}): Promise<AllResult> {
  const [A, B] = await loadFeaturePair(generated, reference, {
    ...options,
    logitsOfFirst: true,
    needs: 'KID, precision/recall and density/coverage need',
  });
  const threads = options.threads;
  const phase = (name: string) => (options.onPhase ? (d: number, t: number) => options.onPhase!(name, d, t) : undefined);
  const fid = await frechetDistance(await statisticsOf(A.features, threads), await statisticsOf(B.features, threads), { eps: options.eps, threads });
  const k = await kid(A.features, B.features, { ...options.kid, threads, onProgress: phase('KID subsets') });
  const p = await prdc(A.features, B.features, { ...options.prdc, threads, onProgress: options.onPhase });
  const is = A.logits ? inceptionScore(A.logits.data, A.logits.rows, A.logits.dims, options.inceptionScore, generated) : undefined;
  return { fid, kid: k, prdc: p, inceptionScore: is, inputs: [A.provenance, B.provenance] };
}
