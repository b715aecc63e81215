import * as fs from 'fs';
import * as path from 'path';
import { featureMatrix, readFeatureMatrix } from '../lib/features';
import { drawSubsets, kid, mmd2 } from '../lib/metrics/kid';
import { LegacyRandomState } from '../lib/random/mt19937';
import { FIXTURES, expectedMetrics, relErr, sharedFile } from './helpers';

const E = expectedMetrics();
const REF = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'kid_reference.json'), 'utf8'));
const fake = () => readFeatureMatrix(sharedFile('fixtures', 'metrics', 'fake_3000x2048.npy'));
const real = () => readFeatureMatrix(sharedFile('fixtures', 'metrics', 'real_3000x2048.npy'));

describe("RandomState.choice(n, size, replace=False) equals NumPy's legacy draws", () => {
  const C = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'rng_choice.json'), 'utf8'));
  for (const c of C.single) {
    test(`seed ${c.seed}, choice(${c.n}, ${c.size})`, () => {
      expect(Array.from(new LegacyRandomState(c.seed).choice(c.n, c.size))).toEqual(c.indices);
    });
  }
  test('successive draws continue the stream, as in the KID loop', () => {
    const rs = new LegacyRandomState(C.sequence.seed);
    expect(C.sequence.n.map((n: number) => Array.from(rs.choice(n, C.sequence.size)))).toEqual(C.sequence.draws);
  });
  test('refuses a sample larger than the population', () => {
    expect(() => new LegacyRandomState(1).choice(3, 4)).toThrow(/cannot take a sample of 4 from 3 without replacement/);
  });
  test("the native draws KID's subsets take: NumPy's sequence, and the stream of LegacyRandomState at KID's sizes", () => {
    const { native } = require('../lib/native');
    const got = native().legacyChoices(C.sequence.seed, C.sequence.n, C.sequence.size);
    expect(C.sequence.n.map((_: number, q: number) => Array.from(got.subarray(q * C.sequence.size, (q + 1) * C.sequence.size)))).toEqual(C.sequence.draws);
    const d = drawSubsets(20000, 15000, { subsets: 30, subsetSize: 1000, seed: 2020, estimator: 'unbiased' });
    const rs = new LegacyRandomState(2020);
    for (let s = 0; s < 30; s++) {
      expect(Array.from(d.x.subarray(s * 1000, (s + 1) * 1000))).toEqual(Array.from(rs.choice(20000, 1000)));
      expect(Array.from(d.y.subarray(s * 1000, (s + 1) * 1000))).toEqual(Array.from(rs.choice(15000, 1000)));
    }
    expect(() => native().legacyChoices(1, [3], 4)).toThrow(/sizes must be integers in \[take, 2\^32\)/);
  });
});

describe('KID against torch-fidelity (metric_kid run in float64: test/fixtures/kid_reference.json)', () => {
  const X = fake();
  const Y = real();
  // precision 'float64' reproduces the float64 reference to 1e-9; the default float32 products are
  // checked against the same references at 1e-6 below.
  const f64 = { precision: 'float64' as const };

  test('defaults (100 subsets x 1000, poly d=3 γ=1/D c=1, seed 2020): mean and std within 1e-9 relative', async () => {
    const r = await kid(X, Y, f64);
    expect(relErr(r.mean, REF.poly_default.mean)).toBeLessThan(1e-9);
    expect(relErr(r.std, REF.poly_default.std)).toBeLessThan(1e-9);
    expect(r.values.length).toBe(100);
    // ../shared's expected.json was made by torch-fidelity on the float32 features, whose kernels
    // are then float32 (BLAS-dependent rounding, ~1e-6 of the mean, ~1e-5 of the std): here and in
    // torch-fidelity's own float32 run on this machine, the float64 value differs from it by that much.
    const S = E.kid_torch_fidelity;
    expect(relErr(r.mean, S.kernel_inception_distance_mean)).toBeLessThan(3e-6);
    expect(relErr(r.std, S.kernel_inception_distance_std)).toBeLessThan(5e-5);
    expect(relErr(r.mean, REF.poly_default_float32.mean)).toBeLessThan(3e-6);
  });

  test('other settings: 10 subsets of 500 with seed 7; poly d=2 γ=0.01 c=0.5 (1e-9 relative)', async () => {
    const a = await kid(X, Y, { subsets: 10, subsetSize: 500, seed: 7, ...f64 });
    expect(relErr(a.mean, REF.poly_s10_m500_seed7.mean)).toBeLessThan(1e-9);
    expect(relErr(a.std, REF.poly_s10_m500_seed7.std)).toBeLessThan(1e-9);
    const c = await kid(X, Y, { subsets: 5, degree: 2, gamma: 0.01, coef0: 0.5, ...f64 });
    expect(relErr(c.mean, REF['poly_d2_g0.01_c0.5'].mean)).toBeLessThan(1e-9);
    expect(relErr(c.std, REF['poly_d2_g0.01_c0.5'].std)).toBeLessThan(1e-9);
  });

  test('a float32 set against a float64 set (the subset products then run per block): as both in float64', async () => {
    const Y64 = featureMatrix(Float64Array.from(Y.data), Y.rows, 'real64.npy');
    const X64 = featureMatrix(Float64Array.from(X.data), X.rows, 'fake64.npy');
    const opts = { subsets: 10, subsetSize: 500, seed: 7, dense: false };
    for (const precision of ['float64', 'float32'] as const) {
      const mixed = await kid(X, Y64, { ...opts, precision });
      const same = await kid(X64, Y64, { ...opts, precision });
      // The same rows and products in the same order: equal to the last bit in float64 and float32.
      expect(Array.from(mixed.values)).toEqual(Array.from(same.values));
    }
    expect(relErr((await kid(X, Y64, { ...opts, precision: 'float64' })).mean, REF.poly_s10_m500_seed7.mean)).toBeLessThan(1e-9);
  });

  test('rbf kernel with torch-fidelity defaults otherwise (1e-9 relative)', async () => {
    const r = await kid(X, Y, { kernel: 'rbf', ...f64 });
    expect(r.kernel).toEqual({ kernel: 'rbf', sigma: 10 });
    expect(relErr(r.mean, REF.rbf_sigma10.mean)).toBeLessThan(1e-9);
    expect(relErr(r.std, REF.rbf_sigma10.std)).toBeLessThan(1e-9);
  });

  test('full-set MMD²: unbiased (also ../shared mmd2_poly_full_unbiased), biased, u-statistic, rbf (1e-9 relative)', async () => {
    expect(relErr((await mmd2(X, Y, f64)).mmd2, E.mmd2_poly_full_unbiased)).toBeLessThan(1e-9);
    for (const est of ['unbiased', 'biased', 'u-statistic'] as const) {
      expect(relErr((await mmd2(X, Y, { estimator: est, tile: 700, ...f64 })).mmd2, REF.full[est])).toBeLessThan(1e-9);
    }
    expect(relErr((await mmd2(X, Y, { kernel: 'rbf', ...f64 })).mmd2, REF.full_rbf_unbiased)).toBeLessThan(1e-9);
  });

  test('the default float32 products: every case above within 1e-6 relative of the float64 reference', async () => {
    const cases: [Parameters<typeof kid>[2], { mean: number; std: number }][] = [
      [{}, REF.poly_default],
      [{ subsets: 10, subsetSize: 500, seed: 7 }, REF.poly_s10_m500_seed7],
      [{ subsets: 5, degree: 2, gamma: 0.01, coef0: 0.5 }, REF['poly_d2_g0.01_c0.5']],
      [{ kernel: 'rbf' }, REF.rbf_sigma10],
      [{ dense: false }, REF.poly_default],
      [{ dense: true }, REF.poly_default],
    ];
    for (const [o, ref] of cases) {
      const r = await kid(X, Y, o);
      expect(relErr(r.mean, ref.mean)).toBeLessThan(1e-6);
      expect(relErr(r.std, ref.std)).toBeLessThan(1e-6);
    }
    for (const est of ['unbiased', 'biased', 'u-statistic'] as const) {
      expect(relErr((await mmd2(X, Y, { estimator: est, tile: 700 })).mmd2, REF.full[est])).toBeLessThan(1e-6);
    }
    expect(relErr((await mmd2(X, Y, { kernel: 'rbf' })).mmd2, REF.full_rbf_unbiased)).toBeLessThan(1e-6);
  });

  test('precision must be float32 or float64', async () => {
    await expect(kid(X, Y, { precision: 'float16' as never })).rejects.toThrow(/^precision must be 'float32' or 'float64', got 'float16'/);
  });
});

describe('KID input errors', () => {
  const small = featureMatrix(Float64Array.from({ length: 40 }, (_, i) => i % 7), 10, 'small.npy');
  const other = featureMatrix(Float64Array.from({ length: 30 }, (_, i) => i % 5), 10, 'other.npy');
  test('a subset larger than a set names the file and the flag', async () => {
    await expect(kid(small, small)).rejects.toThrow(/^subsetSize: .*small\.npy: KID subset size 1000 is larger than its 10 samples/);
  });
  test('different dimensions', async () => {
    await expect(kid(small, other, { subsetSize: 5 })).rejects.toThrow(/dimension mismatch: small\.npy is 4-d, other\.npy is 3-d/);
  });
  test('bad kernel parameters and estimators', async () => {
    await expect(kid(small, small, { subsetSize: 5, gamma: -1 })).rejects.toThrow(/gamma must be a positive number/);
    await expect(kid(small, small, { subsetSize: 5, kernel: 'linear' as 'poly' })).rejects.toThrow(/unknown kernel 'linear'/);
    await expect(mmd2(small, featureMatrix(new Float64Array(8), 2), { estimator: 'u-statistic' })).rejects.toThrow(/equal size, got 10 and 2/);
    await expect(kid(small, small, { subsets: 0 })).rejects.toThrow(/subsets must be a positive integer/);
  });
  test('NaN or Inf in features is refused with its row and column', () => {
    const d = Float32Array.from([1, 2, 3, 4, NaN, 6]);
    expect(() => featureMatrix(d, 3, 'nan.npy')).toThrow(/nan\.npy: non-finite value \(NaN or Inf\) at row 2, column 0/);
    // The scan runs in blocks of 65536 values on several threads: the first bad value is named,
    // whichever block finds one first; the largest finite values and subnormals pass.
    for (const Arr of [Float32Array, Float64Array]) {
      const big = new Arr(300000).fill(1);
      big[7] = Arr === Float32Array ? 3.4028234663852886e38 : Number.MAX_VALUE;
      big[8] = Arr === Float32Array ? 1e-45 : 5e-324;
      expect(() => featureMatrix(big, 1000)).not.toThrow();
      big[250001] = -Infinity;
      big[70005] = Infinity; // row 233 of 300 values, column 105
      big[299999] = NaN;
      expect(() => featureMatrix(big, 1000, 'big.npy')).toThrow(/big\.npy: non-finite value \(NaN or Inf\) at row 233, column 105/);
    }
  });
});
