// PRD's default clustering, mini-batch k-means (lib/stats/minibatch-kmeans.ts), against scikit-learn
// 1.2.1's MiniBatchKMeans(n_clusters=20, n_init=10) and prd_score.py's procedure
// (test/fixtures/extras/prd_minibatch.json, made by scripts/make_prd_minibatch_fixture.py).
import * as fs from 'fs';
import * as path from 'path';
import { readFeatureMatrix, type FeatureMatrix } from '../lib/features';
import { prd, prdFromHistograms, maxFBetaPair } from '../lib/metrics/prd';
import { LegacyRandomState } from '../lib/random/mt19937';
import { miniBatchKMeans } from '../lib/stats/minibatch-kmeans';
import { FIXTURES, cli, relErr, sharedFile } from './helpers';

const R = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'extras', 'prd_minibatch.json'), 'utf8'));
const X = JSON.parse(fs.readFileSync(sharedFile('fixtures', 'extras', 'expected.json'), 'utf8'));
const FAKE = () => sharedFile('fixtures', 'metrics', 'fake_3000x2048.npy');
const REAL = () => sharedFile('fixtures', 'metrics', 'real_3000x2048.npy');

/** The fixture script's blobs, from the same legacy RandomState draws: centres, then labels, then noise. */
function blobs(b: { seed: number; rows: number; dims: number; centres: number; spread: number }): FeatureMatrix {
  const rs = new LegacyRandomState(b.seed);
  const centres = Float64Array.from({ length: b.centres * b.dims }, () => rs.standardNormal() * b.spread);
  const labels = Int32Array.from({ length: b.rows }, () => rs.interval(b.centres - 1));
  const data = new Float64Array(b.rows * b.dims);
  for (let i = 0; i < b.rows; i++) for (let t = 0; t < b.dims; t++) data[i * b.dims + t] = centres[labels[i] * b.dims + t] + rs.standardNormal();
  return { data, rows: b.rows, dims: b.dims, source: 'blobs' };
}

function stacked(a: FeatureMatrix, b: FeatureMatrix): FeatureMatrix {
  const data = new Float64Array((a.rows + b.rows) * a.dims);
  data.set(a.data);
  data.set(b.data, a.rows * a.dims);
  return { data, rows: a.rows + b.rows, dims: a.dims, source: 'stacked' };
}

const B = R.blobs;
let x: FeatureMatrix;
beforeAll(() => {
  x = blobs(B);
});

test('the blobs are the fixture script\'s (checksums of the RandomState-made set)', () => {
  let s = 0;
  let s2 = 0;
  for (const v of x.data) {
    s += v;
    s2 += v * v;
  }
  expect([relErr(s, B.checksum.sum) < 1e-10, relErr(s2, B.checksum.sum_squares) < 1e-12]).toEqual([true, true]);
  expect(Array.from(x.data.subarray(0, 4))).toEqual(B.checksum.first_row_head);
});

test("mini-batch k-means, 20 clusters, 10 inits: inertia within scikit-learn's own spread over random_state 0..9", async () => {
  const ours: number[] = [];
  for (const run of B.runs) ours.push((await miniBatchKMeans(x, { k: 20, restarts: 10, seed: run.random_state })).inertia);
  // Tolerance: the spread of scikit-learn's runs, [min, max] over its 10 random_state values
  // (about 126.6k .. 136.5k, i.e. ±4% around the mean): each of our 10 seeded runs lies inside it,
  // and our mean is within one standard deviation of scikit-learn's runs of the mean of those runs.
  for (const v of ours) expect([v >= B.inertia_min * (1 - 1e-12), v <= B.inertia_max * (1 + 1e-12)]).toEqual([true, true]);
  const mean = ours.reduce((a, b) => a + b, 0) / ours.length;
  expect(Math.abs(mean - B.inertia_mean)).toBeLessThanOrEqual(B.inertia_std);
});

test('seed s follows the draws of random_state=s: the same inertia (1e-9) and the same number of steps as scikit-learn', async () => {
  // Not required of the algorithm, but it holds: the draws are NumPy's legacy RandomState's in
  // scikit-learn's order, and the float64 distances agree closely enough that no choice differs.
  for (const run of B.runs) {
    const r = await miniBatchKMeans(x, { k: 20, restarts: 10, seed: run.random_state });
    expect([run.random_state, relErr(r.inertia, run.inertia) < 1e-9, r.steps]).toEqual([run.random_state, true, run.n_steps]);
  }
});

test("the same holds where the batch is every row, for small batches, with a tolerance, and at the epoch limit", async () => {
  for (const c of B.edge_cases) {
    const p = c.params;
    const r = await miniBatchKMeans(
      { data: x.data.subarray(0, c.rows * B.dims), rows: c.rows, dims: B.dims, source: 'blobs' },
      { k: 20, restarts: 10, seed: c.random_state, batchSize: p.batch_size, tol: p.tol, maxIter: p.max_iter, maxNoImprovement: 'max_no_improvement' in p ? 0 : undefined },
    );
    expect([c.rows, p, c.random_state, relErr(r.inertia, c.inertia) < 1e-9, r.steps]).toEqual([c.rows, p, c.random_state, true, c.n_steps]);
    if ('tol' in p) expect(r.stopped).toBe('tol');
    if ('max_iter' in p) expect([r.stopped, r.epochs]).toEqual(['max-iter', p.max_iter]);
  }
});

test('the same seed gives the same clustering; so do 1, 2 and 3 threads', async () => {
  const a = await miniBatchKMeans(x, { k: 20, restarts: 3, seed: 5, threads: 1 });
  for (const threads of [1, 2, 3]) {
    const b = await miniBatchKMeans(x, { k: 20, restarts: 3, seed: 5, threads });
    expect([threads, Buffer.from(b.labels.buffer).equals(Buffer.from(a.labels.buffer)), Buffer.from(b.centres.buffer).equals(Buffer.from(a.centres.buffer)), b.inertia, b.steps]).toEqual([threads, true, true, a.inertia, a.steps]);
  }
  const other = await miniBatchKMeans(x, { k: 20, restarts: 3, seed: 6, threads: 1 });
  expect(other.inertia).not.toBe(a.inertia);
});

test('fewer rows than clusters, and bad options, are refused with a clear error', async () => {
  const few: FeatureMatrix = { data: x.data.subarray(0, 10 * B.dims), rows: 10, dims: B.dims, source: 'ten.npy' };
  await expect(miniBatchKMeans(few, { k: 20 })).rejects.toThrow(/^ten\.npy: k = 20 clusters need at least 20 samples, got 10$/);
  await expect(miniBatchKMeans(x, { k: 0 })).rejects.toThrow(/k must be a positive integer, got 0/);
  await expect(miniBatchKMeans(x, { k: 3, batchSize: 0 })).rejects.toThrow(/batch size must be a positive integer, got 0/);
  await expect(miniBatchKMeans(x, { k: 3, reassignmentRatio: -1 })).rejects.toThrow(/reassignment ratio must be >= 0, got -1/);
  const five: FeatureMatrix = { data: x.data.subarray(0, 5 * B.dims), rows: 5, dims: B.dims, source: 'five.npy' };
  await expect(prd(five, five)).rejects.toThrow(/PRD: 20 clusters need at least 20 samples in the two sets together, got 10 \(five\.npy: 5, five\.npy: 5\)/);
  await expect(prd(five, five, { clustering: 'kmeans' as never })).rejects.toThrow(/PRD clustering must be minibatch or lloyd, got 'kmeans'/);
  const f = path.join(FIXTURES, 'features_40x6.npy');
  const r = cli(['prd', f, f, '--clusters', '100']);
  expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(/PRD: 100 clusters need at least 100 samples in the two sets together, got 80/)]);
  const c = cli(['prd', f, f, '--clustering', 'kmeans']);
  expect([c.code, c.stderr]).toEqual([1, expect.stringMatching(/--clustering: expected minibatch or lloyd, got 'kmeans'/)]);
});

describe('PRD on the shared 3000 x 2048 pair', () => {
  let fake: FeatureMatrix;
  let real: FeatureMatrix;
  beforeAll(() => {
    fake = readFeatureMatrix(FAKE());
    real = readFeatureMatrix(REAL());
  });

  test("seed 0's first clustering gives the reference's own single-run histograms (np.random.seed(0), one _cluster_into_bins)", async () => {
    const h = X.prd.single_run_histograms;
    const km = await miniBatchKMeans(stacked(fake, real), { k: 20, restarts: 10, seed: 0 });
    const hist = (from: number) => {
      const out = new Array<number>(20).fill(0);
      for (let r = from; r < from + 3000; r++) out[km.labels[r]] += 1;
      return out.map((c) => c / 3000);
    };
    const close = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) < 1e-12);
    expect([close(hist(0), h.eval_bins_fake), close(hist(3000), h.ref_bins_real)]).toEqual([true, true]);
    const [f8, f18] = maxFBetaPair(prdFromHistograms(hist(0), hist(3000)));
    expect([relErr(f8, h.F8) < 1e-12, relErr(f18, h.F1_8) < 1e-12]).toEqual([true, true]);
  }, 120_000);

  test("the default (mini-batch, 10 runs) F_8 and F_1/8 lie within the reference's spread over np.random.seed 0..4", async () => {
    const P = R.prd;
    const r = await prd(fake, real, { seed: 0 });
    expect(r.clustering).toBe('minibatch');
    // Tolerance: the [min, max] of compute_prd_from_embedding's F_8 and F_1/8 over the 5 global seeds.
    expect([r.f8 >= P.F8_min, r.f8 <= P.F8_max, r.f1_8 >= P.F1_8_min, r.f1_8 <= P.F1_8_max]).toEqual([true, true, true, true]);
  }, 300_000);

  test('the curve is the same at 1 and 3 threads, and for the same seed; the CLI names the clustering', async () => {
    const a = await prd(fake, real, { runs: 2, seed: 3, threads: 1 });
    const b = await prd(fake, real, { runs: 2, seed: 3, threads: 3 });
    expect([Buffer.from(a.precision.buffer).equals(Buffer.from(b.precision.buffer)), Buffer.from(a.recall.buffer).equals(Buffer.from(b.recall.buffer)), a.f8 === b.f8, a.f1_8 === b.f1_8]).toEqual([true, true, true, true]);
    const j = cli(['prd', FAKE(), REAL(), '--runs', '2', '--seed', '3', '--threads', '2', '--json', '-q']);
    expect(j.code).toBe(0);
    const out = JSON.parse(j.stdout);
    expect([out.clustering, out.f8, out.f1_8, out.curve.precision]).toEqual(['minibatch', a.f8, a.f1_8, Array.from(a.precision)]);
    const lloyd = cli(['prd', FAKE(), REAL(), '--runs', '1', '--clustering', 'lloyd', '--json', '-q']);
    expect(lloyd.code).toBe(0);
    const l = JSON.parse(lloyd.stdout);
    expect(l.clustering).toBe('lloyd');
    const direct = await prd(fake, real, { runs: 1, clustering: 'lloyd' });
    expect([l.f8, l.f1_8]).toEqual([direct.f8, direct.f1_8]);
  }, 300_000);
});
