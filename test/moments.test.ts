import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { RunningMoments } from '../lib/stats/moments';
import { FIXTURES } from './helpers';
import { readNpy } from '../lib/io/npy';

/** Two-pass float64 mean and covariance (ddof = 1), the textbook definition. */
function naiveStats(x: ArrayLike<number>, n: number, d: number) {
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) mu[c] += x[i * d + c];
  for (let c = 0; c < d; c++) mu[c] /= n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) cov[a * d + b] += (x[i * d + a] - mu[a]) * (x[i * d + b] - mu[b]);
  for (let k = 0; k < d * d; k++) cov[k] /= n - 1;
  return { mu, cov };
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    err = Math.max(err, Math.abs(a[i] - b[i]));
  }
  return err / scale;
}

function randomFeatures(n: number, d: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = 3 * next() ** 2 + 0.1 * (i % d);
  return x;
}

describe('RunningMoments', () => {
  test('matches np.cov (ddof 1) on the NumPy fixture within 1e-13', async () => {
    const x = readNpy(path.join(FIXTURES, 'features_40x6.npy')).data as Float32Array;
    const ref = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'features_40x6.json'), 'utf8'));
    const m = new RunningMoments(6);
    await m.update(x);
    const s = m.finalize();
    expect(s.count).toBe(40);
    expect(maxRel(s.mu, ref.mu)).toBeLessThan(1e-13);
    expect(maxRel(s.sigma, ref.sigma.flat())).toBeLessThan(1e-13);
  });

  test('matches the two-pass definition on sizes that do not divide the tiles (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 300 }), fc.integer({ min: 1, max: 300 }), fc.integer(), async (n, d, seed) => {
        const x = randomFeatures(n, d, seed);
        const m = new RunningMoments(d);
        await m.update(x, { threads: 3 });
        const s = m.finalize();
        const ref = naiveStats(x, n, d);
        expect(maxRel(s.mu, ref.mu)).toBeLessThan(1e-12);
        expect(maxRel(s.sigma, ref.cov)).toBeLessThan(1e-11);
      }),
      { numRuns: 25 },
    );
  });

  test('merged shards equal the single pass within 1e-12 relative', async () => {
    const n = 2500;
    const d = 300;
    const x = randomFeatures(n, d, 42);
    const single = new RunningMoments(d);
    await single.update(x);
    const cuts = [0, 7, 1100, 1101, 2500];
    const shards: RunningMoments[] = [];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const m = new RunningMoments(d);
      await m.update(x.subarray(cuts[i] * d, cuts[i + 1] * d));
      shards.push(m);
    }
    // merge through the partial-statistics representation, in a different order
    const merged = RunningMoments.fromPartial(shards[2].toPartial());
    for (const i of [0, 3, 1]) merged.merge(RunningMoments.fromPartial(shards[i].toPartial()));
    const a = single.finalize();
    const b = merged.finalize();
    expect(b.count).toBe(n);
    expect(maxRel(b.mu, a.mu)).toBeLessThan(1e-12);
    expect(maxRel(b.sigma, a.sigma)).toBeLessThan(1e-12);
  });

  test('batch boundaries and thread counts do not change the result', async () => {
    const n = 700;
    const d = 260;
    const x = randomFeatures(n, d, 9);
    const one = new RunningMoments(d);
    await one.update(x, { threads: 1 });
    const many = new RunningMoments(d);
    for (let s = 0; s < n; s += 123) await many.update(x.subarray(s * d, Math.min(n, s + 123) * d), { threads: 2 });
    expect(maxRel(many.finalize().sigma, one.finalize().sigma)).toBeLessThan(1e-13);
  });

  test('float64 input is accepted', async () => {
    const x = Float64Array.from(randomFeatures(50, 5, 3));
    const m = new RunningMoments(5);
    await m.update(x);
    expect(maxRel(m.finalize().sigma, naiveStats(x, 50, 5).cov)).toBeLessThan(1e-13);
  });

  test('NaN/Inf is rejected with its row and column; fewer than 2 samples is an error', async () => {
    const x = randomFeatures(10, 4, 1);
    x[6 * 4 + 2] = NaN;
    const m = new RunningMoments(4);
    await expect(m.update(x, { firstRow: 100 })).rejects.toThrow('non-finite value (NaN or Inf) at row 106, column 2');
    const y = randomFeatures(3, 4, 1);
    y[5] = Infinity;
    await expect(new RunningMoments(4).update(y)).rejects.toThrow(/row 1, column 1/);
    const one = new RunningMoments(4);
    await one.update(randomFeatures(1, 4, 1));
    expect(() => one.finalize()).toThrow('need at least 2 samples to estimate a covariance, got 1');
  });

  test('shape errors', async () => {
    const m = new RunningMoments(4);
    await expect(m.update(new Float32Array(10))).rejects.toThrow(/not a whole number of 4-d rows/);
    expect(() => m.merge(new RunningMoments(5))).toThrow(/cannot merge 5-d statistics into 4-d/);
    expect(() => new RunningMoments(0)).toThrow(/positive integer/);
  });
});
