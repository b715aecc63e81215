/**
 * The k-NN two-sample test (Lopez-Paz & Oquab, ICLR 2017), as Xu et al. 2018 implement it
 * (xuqiantong/GAN-Metrics metric.py knn): over real ∪ fake, each sample is classified by its k
 * nearest other samples (leave-one-out; real if at least k/2 of them are real, so a tie counts as
 * real), real labelled positive. accuracy 0.5 means the sets cannot be told apart. Exact Euclidean
 * distances; ties between a real and a fake neighbour go to the real (it comes first in the union).
 */
import { GenmetricsError } from '../errors';
import { requireSameDims, type FeatureMatrix } from '../features';
import { native } from '../native';

export interface OneNnResult {
  k: number;
  accuracy: number;
  accuracy_real: number;
  accuracy_fake: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  precision: number;
  recall: number;
}

/** For each row of x: how many of its k nearest others in (own ∪ other) belong to `own`. */
async function ownAmongNearest(x: FeatureMatrix, other: FeatureMatrix, k: number, ownFirst: boolean, threads?: number): Promise<Uint32Array> {
  const run = { threads, precision: 'float32' as const };
  const same = await native().nearestNeighbours(x.data, x.rows, x.data, x.rows, k + 1, run);
  const cross = await native().nearestNeighbours(x.data, x.rows, other.data, other.rows, k, run);
  const out = new Uint32Array(x.rows);
  for (let r = 0; r < x.rows; r++) {
    // Union order: reals first; a tie between sets goes to the one earlier in the union.
    const cands: { d: number; own: boolean; order: number }[] = [];
    let selfSkipped = false;
    for (let q = 0; q <= k; q++) {
      const j = same.index[r * (k + 1) + q];
      if (j < 0) continue;
      if (j === r && !selfSkipped) {
        selfSkipped = true;
        continue;
      }
      cands.push({ d: same.distance[r * (k + 1) + q], own: true, order: ownFirst ? j : other.rows + j });
    }
    for (let q = 0; q < k; q++) {
      const j = cross.index[r * k + q];
      if (j >= 0) cands.push({ d: cross.distance[r * k + q], own: false, order: ownFirst ? x.rows + j : j });
    }
    cands.sort((a, b) => a.d - b.d || a.order - b.order);
    out[r] = cands.slice(0, k).filter((c) => c.own).length;
  }
  return out;
}

export async function oneNnTest(real: FeatureMatrix, fake: FeatureMatrix, o: { k?: number; threads?: number } = {}): Promise<OneNnResult> {
  requireSameDims(fake, real);
  const k = o.k ?? 1;
  if (!Number.isInteger(k) || k < 1) throw new GenmetricsError(`k must be a positive integer, got ${k}`);
  if (real.rows + fake.rows < k + 1) throw new GenmetricsError(`the k-NN test with k = ${k} needs at least ${k + 1} samples in all`);
  const realOwn = await ownAmongNearest(real, fake, k, true, o.threads);
  const fakeOwn = await ownAmongNearest(fake, real, k, false, o.threads);
  // Predicted real iff the real neighbours are at least k/2.
  const tp = realOwn.reduce((a, c) => a + (c >= k / 2 ? 1 : 0), 0);
  const fp = fakeOwn.reduce((a, c) => a + (k - c >= k / 2 ? 1 : 0), 0);
  const fn = real.rows - tp;
  const tn = fake.rows - fp;
  return {
    k,
    accuracy: (tp + tn) / (real.rows + fake.rows),
    accuracy_real: tp / (tp + fn),
    accuracy_fake: tn / (tn + fp),
    tp,
    fp,
    fn,
    tn,
    precision: tp / Math.max(tp + fp, 1),
    recall: tp / (tp + fn),
  };
}
