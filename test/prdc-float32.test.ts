// P/R/D/C from float32 products with float64 re-checks: on sets built so that many distances lie
// within float32 rounding of the k-NN radii (and with duplicated rows), every radius is bit for bit
// the float64 one and every count, hence every metric, equals the float64 result exactly.
import { featureMatrix } from '../lib/features';
import { prdc } from '../lib/metrics/prdc';
import { native } from '../lib/native';

const D = 256;

/** A deterministic generator in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** n non-negative rows (like pooled features) with a block of 12 identical rows. */
function reals(n: number): Float32Array {
  const rnd = lcg(11);
  const x = Float32Array.from({ length: n * D }, () => Math.max(0, rnd() - 0.3) * 2);
  for (let r = 1; r <= 11; r++) x.copyWithin(r * D, 0, D);
  return x;
}

/**
 * Fakes on the spheres of the real balls: fake q = real i + radius_i * (1 + delta) * unit vector,
 * delta in {-1e-7, -1e-9, 0, 1e-9, 1e-7}, so its distance to real i ties with the radius up to
 * float32 rounding; the rest are fresh rows.
 */
function nearTies(x: Float32Array, n: number, radii: Float64Array, m: number): Float32Array {
  const rnd = lcg(29);
  const deltas = [-1e-7, -1e-9, 0, 1e-9, 1e-7];
  const y = new Float32Array(m * D);
  for (let q = 0; q < m; q++) {
    if (q % 3 === 2) {
      for (let c = 0; c < D; c++) y[q * D + c] = Math.max(0, rnd() - 0.3) * 2;
      continue;
    }
    const i = Math.floor(rnd() * n);
    const dir = Float64Array.from({ length: D }, () => rnd() - 0.5);
    const norm = Math.hypot(...dir);
    const scale = (radii[i] * (1 + deltas[q % deltas.length])) / norm;
    for (let c = 0; c < D; c++) y[q * D + c] = x[i * D + c] + dir[c] * scale;
  }
  return y;
}

describe('P/R/D/C in float32 with float64 re-checks equals float64 exactly', () => {
  const n = 600;
  const m = 500;
  const x = reals(n);
  let y: Float32Array;

  beforeAll(async () => {
    const [r3] = await native().neighbourRadii(x, n, [3], { precision: 'float64' });
    y = nearTies(x, n, r3, m);
  });

  test('k-NN radii (k = 1, 3, 5, 10; duplicated rows included) are bit for bit the float64 ones', async () => {
    for (const [set, rows] of [[x, n], [y, m]] as const) {
      for (const tile of [64, 576]) {
        const a = await native().neighbourRadii(set, rows, [1, 3, 5, 10], { precision: 'float32', tile, threads: 2 });
        const b = await native().neighbourRadii(set, rows, [1, 3, 5, 10], { precision: 'float64', tile, threads: 2 });
        a.forEach((r, q) => expect(Array.from(r)).toEqual(Array.from(b[q])));
      }
    }
  });

  test('ball counts are equal, and the near-ties were re-checked', async () => {
    const [rr3, rr5] = await native().neighbourRadii(x, n, [3, 5], { precision: 'float64' });
    const [rf3, rf5] = await native().neighbourRadii(y, m, [3, 5], { precision: 'float64' });
    const sets = [
      { realRadii: rr3, fakeRadii: rf3, strict: false },
      { realRadii: rr5, fakeRadii: rf5, strict: true },
    ];
    const a = await native().countBalls(x, n, y, m, sets, { precision: 'float32', tile: 96, threads: 2 });
    const b = await native().countBalls(x, n, y, m, sets, { precision: 'float64', tile: 96, threads: 2 });
    for (const key of ['fakeInReal', 'realInFake', 'realCovered'] as const) {
      a[key].forEach((c, s) => expect(Array.from(c)).toEqual(Array.from(b[key][s])));
    }
    expect(a.rechecked).toBeGreaterThan(m / 3);
    expect(b.rechecked).toBe(0);
  });

  test('float64 rows (rounded to float32 for the products): radii and counts still equal float64', async () => {
    // Values off the float32 grid, so that the rounding of the inputs enters the error bound.
    const x64 = Float64Array.from(x, (v, i) => v + 1e-9 * Math.sin(i));
    const y64 = Float64Array.from(y, (v, i) => v + 1e-9 * Math.cos(i));
    const [a, b] = await Promise.all(
      (['float32', 'float64'] as const).map(async (precision) => {
        const rr = await native().neighbourRadii(x64, n, [3, 5], { precision, tile: 128 });
        const rf = await native().neighbourRadii(y64, m, [3, 5], { precision, tile: 128 });
        const c = await native().countBalls(x64, n, y64, m, [
          { realRadii: rr[0], fakeRadii: rf[0], strict: false },
          { realRadii: rr[1], fakeRadii: rf[1], strict: true },
        ], { precision, tile: 128 });
        return { radii: [...rr, ...rf].map((r) => Array.from(r)), counts: [...c.fakeInReal, ...c.realInFake, ...c.realCovered].map((r) => Array.from(r)), rechecked: c.rechecked };
      }),
    );
    expect(a.radii).toEqual(b.radii);
    expect(a.counts).toEqual(b.counts);
    expect(a.rechecked).toBeGreaterThan(0);
  });

  test('precision, recall, density and coverage: identical numbers', async () => {
    const real = featureMatrix(x, n, 'real');
    const fake = featureMatrix(y, m, 'fake');
    for (const conventions of [{}, { precisionRecall: { k: 5, test: '<' as const }, densityCoverage: { k: 3, test: '<=' as const } }]) {
      const a = await prdc(fake, real, { ...conventions, precision: 'float32' });
      const b = await prdc(fake, real, { ...conventions, precision: 'float64' });
      expect(a).toEqual(b);
      expect(a.precision).toBeGreaterThan(0);
      expect(a.coverage).toBeGreaterThan(0);
    }
  });
});
