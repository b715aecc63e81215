// The tiled native kernels against naive O(n m d) definitions on small random sets, with tile
// sizes that do not divide the set sizes and several thread counts (fast-check properties).
import * as fc from 'fast-check';
import { native } from '../lib/native';

const addon = native();

/** Rows x dims; integer values make every distance exact, so ties are common and comparable. */
function matrix(values: number[], dims: number): Float64Array {
  return Float64Array.from(values.slice(0, Math.floor(values.length / dims) * dims));
}

function sqDist(a: Float64Array, i: number, b: Float64Array, j: number, d: number): number {
  let s = 0;
  for (let c = 0; c < d; c++) s += (a[i * d + c] - b[j * d + c]) ** 2;
  return s;
}

function naiveRadii(x: Float64Array, n: number, d: number, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const ds: number[] = [];
    for (let j = 0; j < n; j++) ds.push(Math.sqrt(sqDist(x, i, x, j, d)));
    ds.sort((p, q) => p - q);
    out.push(ds[k]);
  }
  return out;
}

const setArb = (minRows: number) =>
  fc
    .record({ d: fc.integer({ min: 1, max: 6 }), n: fc.integer({ min: minRows, max: 37 }), m: fc.integer({ min: minRows, max: 29 }) })
    .chain(({ d, n, m }) =>
      fc.record({
        d: fc.constant(d),
        n: fc.constant(n),
        m: fc.constant(m),
        x: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: n * d, maxLength: n * d }),
        y: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: m * d, maxLength: m * d }),
        tile: fc.integer({ min: 1, max: 13 }),
        threads: fc.integer({ min: 1, max: 3 }),
      }),
    );

describe('tiled pairwise kernels (property tests against naive definitions)', () => {
  // Integer coordinates: exact distances, so ties at the radii are everywhere. The float32 path
  // must decide each of them as float64 does (the band around every radius re-checks them).
  test.each(['float64', 'float32'] as const)('neighbourRadii (%s): the (k+1)-th smallest distance including self, exactly', async (precision) => {
    await fc.assert(
      fc.asyncProperty(setArb(6), fc.integer({ min: 1, max: 5 }), async (s, k) => {
        const x = matrix(s.x, s.d);
        const got = await addon.neighbourRadii(x, s.n, [k, 1], { tile: s.tile, threads: s.threads, precision });
        expect(Array.from(got[0])).toEqual(naiveRadii(x, s.n, s.d, k));
        expect(Array.from(got[1])).toEqual(naiveRadii(x, s.n, s.d, 1));
      }),
      { numRuns: 60 },
    );
  });

  test.each(['float64', 'float32'] as const)('countBalls (%s): ball memberships (< and <=) and coverage, exactly', async (precision) => {
    let rechecked = 0;
    await fc.assert(
      fc.asyncProperty(setArb(4), fc.integer({ min: 1, max: 3 }), async (s, k) => {
        const real = matrix(s.x, s.d);
        const fake = matrix(s.y, s.d);
        const rr = Float64Array.from(naiveRadii(real, s.n, s.d, k));
        const rf = Float64Array.from(naiveRadii(fake, s.m, s.d, k));
        const got = await addon.countBalls(real, s.n, fake, s.m, [
          { realRadii: rr, fakeRadii: rf, strict: false },
          { realRadii: rr, fakeRadii: rf, strict: true },
        ], { tile: s.tile, threads: s.threads, precision });
        rechecked += got.rechecked;
        for (const [set, strict] of [[0, false], [1, true]] as const) {
          const inside = (dd: number, r: number) => (strict ? dd < r : dd <= r);
          const fir = new Array(s.m).fill(0);
          const rif = new Array(s.n).fill(0);
          const covered = new Array(s.n).fill(0);
          for (let j = 0; j < s.m; j++) {
            for (let i = 0; i < s.n; i++) {
              const dd = Math.sqrt(sqDist(fake, j, real, i, s.d));
              fir[j] += inside(dd, rr[i]) ? 1 : 0;
              rif[i] += inside(dd, rf[j]) ? 1 : 0;
              covered[i] += inside(dd, rr[i]) ? 1 : 0;
            }
          }
          expect(Array.from(got.fakeInReal[set])).toEqual(fir);
          expect(Array.from(got.realInFake[set])).toEqual(rif);
          expect(Array.from(got.realCovered[set])).toEqual(covered);
        }
      }),
      { numRuns: 60 },
    );
    // The ties were decided by the float64 re-check; float64 itself re-checks nothing.
    if (precision === 'float32') expect(rechecked).toBeGreaterThan(0);
    else expect(rechecked).toBe(0);
  });

  test('kernelSums: poly and rbf sums and diagonals within 1e-12 relative', async () => {
    await fc.assert(
      fc.asyncProperty(setArb(2), fc.boolean(), async (s, rbf) => {
        const x = matrix(s.x, s.d);
        const y = matrix(s.y, s.d);
        const kernel = rbf
          ? { kind: 'rbf' as const, degree: 0, gamma: 0, coef0: 0, sigma: 2.5 }
          : { kind: 'poly' as const, degree: 3, gamma: 1 / s.d, coef0: 1, sigma: 0 };
        const K = (a: Float64Array, i: number, b: Float64Array, j: number) => {
          if (rbf) return Math.exp(-sqDist(a, i, b, j, s.d) / (2 * 2.5 * 2.5));
          let dot = 0;
          for (let c = 0; c < s.d; c++) dot += a[i * s.d + c] * b[j * s.d + c];
          return (dot / s.d + 1) ** 3;
        };
        const sum = (a: Float64Array, na: number, b: Float64Array, nb: number) => {
          let all = 0;
          let diag = 0;
          for (let i = 0; i < na; i++) {
            for (let j = 0; j < nb; j++) {
              all += K(a, i, b, j);
              if (i === j) diag += K(a, i, b, j);
            }
          }
          return [all, diag];
        };
        const got = await addon.kernelSums(x, s.n, y, s.m, kernel, { tile: s.tile, threads: s.threads });
        const want = [...sum(x, s.n, x, s.n), ...sum(y, s.m, y, s.m), ...sum(x, s.n, y, s.m)];
        const have = [got.xx, got.xxDiag, got.yy, got.yyDiag, got.xy, got.xyDiag];
        have.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want[i]))));
      }),
      { numRuns: 60 },
    );
  });

  test('kernelSumsSubsets equals kernelSums on the gathered rows', async () => {
    const d = 5;
    const n = 23;
    const x = Float64Array.from({ length: n * d }, (_, i) => Math.sin(i * 1.3));
    const y = Float64Array.from({ length: n * d }, (_, i) => Math.cos(i * 0.7));
    const m = 9;
    const idxX = Uint32Array.from({ length: 2 * m }, (_, i) => (i * 5) % n);
    const idxY = Uint32Array.from({ length: 2 * m }, (_, i) => (i * 7 + 3) % n);
    const kernels = [
      { kind: 'poly' as const, degree: 3, gamma: 0.2, coef0: 1, sigma: 0 },
      { kind: 'rbf' as const, degree: 0, gamma: 0, coef0: 0, sigma: 1.5 },
    ];
    for (const kernel of kernels) {
      const got = await addon.kernelSumsSubsets(x, n, y, n, idxX, idxY, 2, m, kernel, { tile: 4, threads: 2 });
      for (let s = 0; s < 2; s++) {
        const gx = new Float64Array(m * d);
        const gy = new Float64Array(m * d);
        for (let r = 0; r < m; r++) {
          gx.set(x.subarray(idxX[s * m + r] * d, idxX[s * m + r] * d + d), r * d);
          gy.set(y.subarray(idxY[s * m + r] * d, idxY[s * m + r] * d + d), r * d);
        }
        const want = await addon.kernelSums(gx, m, gy, m, kernel, { tile: 4, threads: 1 });
        for (const key of Object.keys(want) as (keyof typeof want)[]) expect(got[s][key]).toBeCloseTo(want[key], 12);
      }
    }
  });

  test('float32 and float64 inputs give the same results (rows are widened to float64)', async () => {
    const x64 = Float64Array.from({ length: 40 * 3 }, (_, i) => Math.fround(Math.sin(i)));
    const x32 = Float32Array.from(x64);
    const a = await addon.neighbourRadii(x64, 40, [3], { tile: 7 });
    const b = await addon.neighbourRadii(x32, 40, [3], { tile: 7 });
    expect(Array.from(b[0])).toEqual(Array.from(a[0]));
  });

  test('argument errors are thrown, not crashes', async () => {
    const x = new Float64Array(12);
    expect(() => addon.neighbourRadii(x, 5, [1])).toThrow(/12 values are not 5 rows/);
    await expect(addon.neighbourRadii(x, 4, [4])).rejects.toThrow(/k = 4 needs at least 5 samples, got 4/);
    expect(() => addon.neighbourRadii(new Int32Array(4) as unknown as Float64Array, 2, [1])).toThrow(/Float32Array or Float64Array/);
    expect(() => addon.neighbourRadii(x, 4, [1], { tile: 0 })).toThrow(/tile must be a positive integer/);
    const idx = Uint32Array.from([0, 1, 9]);
    expect(() =>
      addon.kernelSumsSubsets(x, 4, x, 4, idx, idx, 1, 3, { kind: 'poly', degree: 3, gamma: 1, coef0: 1, sigma: 0 }),
    ).toThrow(/index out of range/);
  });
});
