// Issue 21's first measures against the references' own values (shared/fixtures/extras/expected.json,
// made by running dgm-eval, torchmetrics and GAN-Metrics on the public pair real/fake_3000x2048).
import * as fs from 'fs';
import * as path from 'path';
import { readNpy, writeNpy } from '../lib/io/npy';
import { readFeatureMatrix } from '../lib/features';
import { vendiScores } from '../lib/metrics/vendi';
import { maxFBetaPair, prdFromHistograms } from '../lib/metrics/prd';
import { FIXTURES, cli, relErr, sharedFile, tmpDir } from './helpers';

const X = JSON.parse(fs.readFileSync(sharedFile('fixtures', 'extras', 'expected.json'), 'utf8'));
const FAKE = () => sharedFile('fixtures', 'metrics', 'fake_3000x2048.npy');
const REAL = () => sharedFile('fixtures', 'metrics', 'real_3000x2048.npy');

function ok(args: string[]): any {
  const r = cli([...args, '--json', '-q']);
  if (r.code !== 0) throw new Error(`genmetrics ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

test("vendi: dgm-eval's float64 values within 1e-9 for q = 1, 2, inf; its float32-input value within 1e-4", () => {
  for (const [set, file] of [['fake', FAKE()], ['real', REAL()]] as const) {
    const r = ok(['vendi', file, '--q', '1,2,inf']);
    const ref = X.vendi[set];
    expect([set, relErr(r.vendi.q1, ref.dgm_linear_q1_float64) < 1e-9, relErr(r.vendi.q2, ref.dgm_linear_q2_float64) < 1e-9, relErr(r.vendi.qinf, ref.dgm_linear_qinf_float64) < 1e-9]).toEqual([set, true, true, true]);
    expect(relErr(r.vendi.q1, ref.dgm_linear_q1_float32_input)).toBeLessThan(1e-4);
    expect(r).toMatchObject({ kernel: 'linear', per_class: null, count: 3000 });
  }
});

test('vendi --labels: the mean of the per-class scores, each the score of that class alone', async () => {
  const dir = tmpDir();
  const labels = path.join(dir, 'labels.npy');
  writeNpy(labels, { dtype: 'int64', shape: [3000], data: BigInt64Array.from({ length: 3000 }, (_, i) => BigInt(i % 3 === 0 ? 7 : 2)) });
  const r = ok(['vendi', FAKE(), '--labels', labels, '--q', '1,inf']);
  const m = readFeatureMatrix(FAKE());
  const c7 = await vendiScores(m, [1, 'inf'], { rows: Array.from({ length: 1000 }, (_, k) => 3 * k) });
  expect(relErr(r.per_class['7'].q1, c7.q1)).toBeLessThan(1e-12);
  expect(r.vendi.q1).toBeCloseTo((r.per_class['7'].q1 + r.per_class['2'].q1) / 2, 12);
  expect(cli(['vendi', FAKE(), '--q', '3']).stderr).toMatch(/--q: expected a comma-separated list of 1, 2 and inf, got '3'/);
});

test("mifid: torchmetrics' value (1e-9), its memorisation distance (1e-9) and orientation; the penalty is off here", () => {
  const r = ok(['mifid', FAKE(), REAL()]);
  expect(relErr(r.mifid, X.mifid.value_float64)).toBeLessThan(1e-9);
  expect(relErr(r.memorization_distance, X.mifid.mean_min_cosine_distance)).toBeLessThan(1e-9);
  expect([r.penalty, r.distance_used, r.cosine_distance_eps]).toEqual([false, X.mifid.distance_used, X.mifid.cosine_distance_eps]);
  // The other orientation's distance (0.063) is below 0.1: with the sets swapped the penalty is on.
  const swapped = ok(['mifid', REAL(), FAKE()]);
  expect(relErr(swapped.memorization_distance, X.mifid.mean_min_cosine_distance_fake_rows_informative)).toBeLessThan(1e-9);
  expect(swapped.penalty).toBe(true);
  expect(relErr(swapped.mifid, swapped.fid / swapped.memorization_distance)).toBeLessThan(1e-12);
});

test("authenticity: dgm-eval's AuthPct exactly (its float32 value, and the float64 recomputation)", () => {
  const r = ok(['authpct', FAKE(), REAL()]);
  expect([r.authpct_float32, relErr(r.authpct, X.authpct.value_float64_check) < 1e-12]).toEqual([X.authpct.value, true]);
});

test("one-nn: GAN-Metrics' 1-NN counts exactly; the k-NN generalisation votes", () => {
  const r = ok(['c2st', FAKE(), REAL()]);
  const ref = X.knn_1nn;
  expect([r.tp, r.fp, r.fn, r.tn]).toEqual([ref.tp, ref.fp, ref.fn, ref.tn]);
  expect([Math.fround(r.accuracy), Math.fround(r.accuracy_real), Math.fround(r.accuracy_fake), Math.fround(r.precision)]).toEqual([ref.acc, ref.acc_real, ref.acc_fake, ref.precision]);
  const k3 = ok(['c2st', FAKE(), REAL(), '-k', '3']);
  expect(k3.k).toBe(3);
  expect(k3.tp + k3.fn).toBe(3000);
});

test("fd-infinity: dgm-eval's FD_N and FD∞ from its stored subsets (rel. 1e-5, its sqrtm on singular products); our seeded subsets reproduce", () => {
  const ref = X.fd_infinity;
  const r = ok(['fd-inf', FAKE(), REAL(), '--subsets', sharedFile('fixtures', 'extras', 'fd_infinity_subsets_seed0.npy')]);
  expect(r.sizes).toEqual(ref.N);
  r.fd_n.forEach((v: number, i: number) => expect([ref.N[i], relErr(v, ref.fd_N[i]) < 1e-5]).toEqual([ref.N[i], true]));
  expect(relErr(r.fd_infinity, ref.value_seed0)).toBeLessThan(1e-5);
  expect(r.seed).toBeNull();
  const a = ok(['fd-inf', FAKE(), REAL(), '--seed', '4', '--points', '3']);
  const b = ok(['fd-inf', FAKE(), REAL(), '--seed', '4', '--points', '3']);
  expect(a.fd_n).toEqual(b.fd_n);
  expect(a.sizes).toEqual([300, 1650, 3000]);
  expect(cli(['fd-inf', FAKE(), REAL(), '--subsets', REAL()]).stderr).toMatch(/--subsets: .*expected a 1-D integer array of row indices, got float32/);
}, 120_000);

test("ndb: from the reference's stored bins, its NDB, different bins, shares and JS exactly (JS 1e-12); our own bins run seeded", () => {
  const ref = X.ndb;
  const extra = (f: string) => sharedFile('fixtures', 'extras', f);
  const stored = ['--centers', extra('ndb_k100_centers.npy'), '--used-dims', extra('ndb_k100_used_dims.npy'), '--ref-proportions', extra('ndb_k100_ref_proportions.npy')];
  const r = ok(['ndb', FAKE(), REAL(), ...stored]);
  expect([r.ndb, r.ndb_over_k, r.different_bins, r.proportions, r.seed]).toEqual([ref.NDB, ref.NDB_over_K, ref.different_bins, ref.fake_proportions, null]);
  expect(relErr(r.js, ref.JS)).toBeLessThan(1e-12);
  const real = ok(['ndb', REAL(), REAL(), ...stored]);
  expect([real.ndb, real.js, real.proportions]).toEqual([ref.real_reassigned.NDB, ref.real_reassigned.JS, ref.real_reassigned.proportions]);
  const own = ok(['ndb', FAKE(), REAL(), '--bins', '20', '--seed', '3']);
  expect([own.bins, own.seed, own.ref_proportions.reduce((a: number, b: number) => a + b, 0)]).toEqual([20, 3, expect.closeTo(1, 12)]);
  expect(cli(['ndb', FAKE(), REAL(), '--centers', extra('ndb_k100_centers.npy')]).stderr).toMatch(/--used-dims: stored bins need all three: --centers, --used-dims and --ref-proportions/);
}, 120_000);

test("prd: the reference's compute_prd and F_8 / F_1/8 from its own single-run histograms (1e-12), which one seeded run of ours reproduces; the command's curve and chart", () => {
  const h = X.prd.single_run_histograms;
  const [f8, f18] = maxFBetaPair(prdFromHistograms(h.eval_bins_fake, h.ref_bins_real));
  expect([relErr(f8, h.F8) < 1e-12, relErr(f18, h.F1_8) < 1e-12]).toEqual([true, true]);
  const dir = tmpDir();
  const svg = path.join(dir, 'prd.svg');
  const r = ok(['prd', FAKE(), REAL(), '--runs', '1', '--svg', svg]);
  expect([r.curve.precision.length, r.curve.recall.length, r.runs, r.plots]).toEqual([1001, 1001, 1, [svg]]);
  // One run at seed 0: our mini-batch k-means draws as scikit-learn's MiniBatchKMeans seeded 0 does,
  // so it finds the reference run's own clusters and its F-values.
  expect(r.clustering).toBe('minibatch');
  expect([relErr(r.f8, h.F8) < 1e-12, relErr(r.f1_8, h.F1_8) < 1e-12]).toEqual([true, true]);
  expect(fs.readFileSync(svg, 'utf8')).toContain('aria-roledescription="line mark"');
  const uneven = cli(['prd', path.join(FIXTURES, 'ties_fake_50x3.npy'), path.join(FIXTURES, 'ties_real_60x3.npy')]);
  expect([uneven.code, uneven.stderr]).toEqual([1, expect.stringMatching(/PRD compares sets of one size .* has 50 samples, .* 60/)]);
}, 120_000);

test("realism: both conventions' per-sample scores within 1e-4 of the references' float32 values; the pruned-manifold precision exactly", () => {
  const dir = tmpDir();
  for (const [convention, file, ref] of [
    ['kynkaanniemi', 'realism_kynkaat_k3_fake.npy', X.realism_kynkaat],
    ['dgm-eval', 'realism_dgm_eval_k5_fake.npy', X.realism_dgm_eval],
  ] as const) {
    const csv = path.join(dir, `${convention}.csv`);
    const r = ok(['realism', FAKE(), REAL(), '--convention', convention, '--per-sample', csv]);
    const expected = readNpy(sharedFile('fixtures', 'extras', file)).data as Float32Array;
    const got = fs.readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
    expect(got.length).toBe(expected.length);
    expect(Math.max(...got.map((v, i) => Math.abs(v - expected[i]) / Math.abs(expected[i])))).toBeLessThan(1e-4);
    expect(relErr(r.mean, convention === 'kynkaanniemi' ? ref.mean : ref.k5_mean)).toBeLessThan(1e-4);
    expect(r.k).toBe(convention === 'kynkaanniemi' ? 3 : 5);
    if (convention === 'kynkaanniemi') expect(r.pruned_manifold_precision).toBe(ref.pruned_manifold_precision);
    else expect(r.pruned_manifold_precision).toBeNull();
  }
});
