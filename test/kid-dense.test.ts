// KID's dense path (the kernel matrices of the whole sets computed once, the subsets gathered from
// them) against the per-subset products: the same sums up to the order of float64 additions.
import { featureMatrix, readFeatureMatrix } from '../lib/features';
import { denseKidPays, kid } from '../lib/metrics/kid';
import { relErr, sharedFile } from './helpers';

const fake = () => readFeatureMatrix(sharedFile('fixtures', 'metrics', 'fake_3000x2048.npy'));
const real = () => readFeatureMatrix(sharedFile('fixtures', 'metrics', 'real_3000x2048.npy'));

/** Rows of sin/cos values: deterministic, different per seed. */
function rows(n: number, d: number, seed: number): ReturnType<typeof featureMatrix> {
  return featureMatrix(Float32Array.from({ length: n * d }, (_, i) => Math.sin(i * 0.37 + seed) + 0.5 * Math.cos(i * 0.011 * seed)), n, `set${seed}`);
}

describe('dense KID equals per-subset KID', () => {
  test('the 3000 x 2048 fixtures, torch-fidelity defaults (1e-12 relative)', async () => {
    const [a, b] = [fake(), real()];
    const dense = await kid(a, b, { dense: true });
    const subsets = await kid(a, b, { dense: false });
    expect(relErr(dense.mean, subsets.mean)).toBeLessThan(1e-12);
    expect(relErr(dense.std, subsets.std)).toBeLessThan(1e-10);
    dense.values.forEach((v, i) => expect(Math.abs(v - subsets.values[i])).toBeLessThan(1e-13 * Math.max(1, Math.abs(subsets.values[i])) + 1e-16));
  });

  test.each([
    ['poly, sets of different sizes, tiles that do not divide them', { kernel: 'poly' as const, tile: 7 }, 37, 53, 6],
    ['rbf', { kernel: 'rbf' as const, sigma: 3, tile: 5 }, 41, 29, 4],
    ['poly degree 2, biased estimator, one thread', { kernel: 'poly' as const, degree: 2, estimator: 'biased' as const, threads: 1 }, 30, 30, 3],
    ['u-statistic', { kernel: 'poly' as const, estimator: 'u-statistic' as const, tile: 11 }, 25, 31, 5],
  ])('%s', async (_name, o, nx, ny, d) => {
    const [a, b] = [rows(nx, d, 1), rows(ny, d, 2)];
    const common = { subsets: 9, subsetSize: 12, seed: 5, ...o };
    const dense = await kid(a, b, { ...common, dense: true });
    const subsets = await kid(a, b, { ...common, dense: false });
    dense.values.forEach((v, i) => expect(Math.abs(v - subsets.values[i])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(subsets.values[i]))));
  });

  test('progress runs over the matrices, then the subsets, to the end', async () => {
    const seen: [number, number][] = [];
    await kid(rows(40, 3, 3), rows(40, 3, 4), { subsets: 5, subsetSize: 10, tile: 16, dense: true, onProgress: (d, t) => seen.push([d, t]) });
    const total = seen[0][1];
    expect(seen.every(([, t]) => t === total)).toBe(true);
    expect(seen[seen.length - 1][0]).toBe(total);
    expect(total).toBe(6 + 6 + 9 + 5); // 40 rows in tiles of 16: 6 tiles per triangle, 9 cross, then 5 subsets
  });

  test('the automatic choice: dense while the matrices are cheaper and fit in 1 GiB', () => {
    expect(denseKidPays(3000, 3000, 100, 1000)).toBe(true);
    expect(denseKidPays(5000, 5000, 100, 1000)).toBe(true);
    expect(denseKidPays(20000, 20000, 100, 1000)).toBe(false); // 4.8 GiB and more work
    expect(denseKidPays(3000, 3000, 2, 50)).toBe(false); // few small subsets: their own products are cheaper
  });
});
