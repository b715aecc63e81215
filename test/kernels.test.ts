// The native kernels behind the covariance and the Fréchet distance: the band reduction at sizes
// that hit its block edges, against NumPy/SciPy values (test/fixtures/fd_sizes.json, made by
// scripts/make_test_fixtures.py), and every GEMM micro-kernel (AVX-512, AVX2, generic) giving
// the same numbers.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { RunningMoments } from '../lib/stats/moments';
import { frechetDistance } from '../lib/metrics/fid';
import { native } from '../lib/native';
import { FIXTURES, relErr } from './helpers';

const ref = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'fd_sizes.json'), 'utf8'));

/** The fixture's integer-hash features, exactly as NumPy built them. */
function hashed(n: number, d: number, s: number): Float64Array {
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) x[i * d + j] = ((i * 7919 + j * 104729 + i * j * s) % 1009) / 1009;
  return x;
}

async function statsOf(x: Float64Array, d: number) {
  const m = new RunningMoments(d);
  await m.update(x);
  return m.finalize();
}

async function fdAt(d: number, n: number) {
  const a = await statsOf(hashed(n, d, 31), d);
  const b = await statsOf(hashed(n, d, 57), d);
  return frechetDistance(a, b);
}

describe('Fréchet distance through the two-stage band reduction', () => {
  for (const [dims, v] of Object.entries<any>(ref.sizes)) {
    test(`${dims}-d matches NumPy's eigh route and pytorch-fid's sqrtm within 1e-8`, async () => {
      const r = await fdAt(Number(dims), v.n);
      expect(relErr(r.fid, v.eigh_float64)).toBeLessThan(1e-8);
      expect(relErr(r.fid, v.pytorch_fid)).toBeLessThan(1e-8);
    });
  }
});

describe('GEMM micro-kernels', () => {
  // One child process per forced kernel (the kernel is chosen once, when the addon loads).
  const script = `
    const { RunningMoments, frechetDistance } = require(${JSON.stringify(path.resolve(__dirname, '..', 'dist'))});
    const { native } = require(${JSON.stringify(path.resolve(__dirname, '..', 'dist', 'native'))});
    const hashed = ${hashed.toString()};
    (async () => {
      const d = 161, n = 329;
      const stats = [];
      for (const s of [31, 57]) {
        const m = new RunningMoments(d);
        await m.update(hashed(n, d, s));
        stats.push(m.finalize());
      }
      const r = await frechetDistance(stats[0], stats[1]);
      let trace = 0;
      for (let i = 0; i < d; i++) trace += stats[0].sigma[i * d + i];
      console.log(JSON.stringify({ kernel: native().simdLevel, fid: r.fid, trace, c01: stats[0].sigma[1] }));
    })();`;
  /** Runs `code` (default: the script above) in a child process with the forced kernel; its JSON line. */
  function run(kernel?: string, code = script) {
    const env = { ...process.env };
    if (kernel) env.GENMETRICS_KERNEL = kernel;
    else delete env.GENMETRICS_KERNEL;
    const p = spawnSync(process.execPath, ['-e', code], { env, encoding: 'utf8', maxBuffer: 1 << 24 });
    if (p.status !== 0) throw new Error(p.stderr);
    return JSON.parse(p.stdout);
  }
  const cpu = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';

  test('forced kernels load and agree with the default one to 1e-12', () => {
    const base = run();
    expect(base.kernel).toBe(native().simdLevel);
    const expectedName: Record<string, string> = {
      generic: 'generic',
      avx2: /\bavx2\b/.test(cpu) && /\bfma\b/.test(cpu) ? 'avx2' : 'generic',
    };
    for (const k of ['avx2', 'generic']) {
      const r = run(k);
      expect(r.kernel).toBe(expectedName[k]);
      expect(relErr(r.fid, base.fid)).toBeLessThan(1e-12);
      expect(relErr(r.trace, base.trace)).toBeLessThan(1e-12);
      expect(relErr(r.c01, base.c01)).toBeLessThan(1e-12);
    }
    expect(relErr(base.fid, ref.sizes['161'].eigh_float64)).toBeLessThan(1e-8);
  });

  // The covariance's rank updates read its centred rows packed once for both sides of the product:
  // wider than one column block of the GEMM (1024), with one thread (one rectangle, several column
  // blocks) and two, float32 and float64 rows, against a plain two-pass covariance in float64.
  const wideScript = `
    const { RunningMoments } = require(${JSON.stringify(path.resolve(__dirname, '..', 'dist'))});
    const { native } = require(${JSON.stringify(path.resolve(__dirname, '..', 'dist', 'native'))});
    (async () => {
      const d = 1100, n = 301;
      const x64 = Float64Array.from({ length: n * d }, (_, i) => Math.abs(Math.sin(i * 0.37)) + ((i * 7) % 13) / 13);
      const x32 = Float32Array.from(x64);
      // np.cov's definition, two passes in float64 (the mean first, then the centred products)
      function plainCov(x) {
        const mean = new Float64Array(d);
        for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
        const c = new Float64Array(d * d), r = new Float64Array(d);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < d; j++) r[j] = x[i * d + j] - mean[j];
          for (let a = 0; a < d; a++) { const va = r[a] / (n - 1), row = c.subarray(a * d, a * d + d); for (let b = 0; b < d; b++) row[b] += va * r[b]; }
        }
        return c;
      }
      const out = { kernel: native().simdLevel };
      for (const [name, x] of [['float32', x32], ['float64', x64]]) {
        const plain = plainCov(x);
        let scale = 0;
        for (const v of plain) scale = Math.max(scale, Math.abs(v));
        const sigmas = [];
        for (const threads of [1, 2]) {
          const m = new RunningMoments(d);
          await m.update(x.subarray(0, 150 * d), { threads });
          await m.update(x.subarray(150 * d), { threads });
          const s = m.finalize().sigma;
          let worst = 0;
          for (let q = 0; q < d * d; q++) worst = Math.max(worst, Math.abs(s[q] - plain[q]));
          out[name + '/' + threads] = worst / scale;
          sigmas.push(s);
        }
        out[name + '/same'] = sigmas[0].every((v, q) => v === sigmas[1][q]);
      }
      console.log(JSON.stringify(out));
    })();`;

  test('covariance wider than a GEMM column block: every kernel, one thread and two, equals a plain two-pass covariance to 1e-12, bit for bit the same with either', () => {
    for (const k of [undefined, 'avx2', 'generic']) {
      const r = run(k, wideScript);
      for (const rows of ['float32', 'float64']) {
        expect(r[`${rows}/1`]).toBeLessThan(1e-12);
        expect(r[`${rows}/2`]).toBeLessThan(1e-12);
        expect(r[`${rows}/same`]).toBe(true);
      }
    }
  });

  // The float32 products per kernel: the float64 re-checks emulate the kernel in use (fused or
  // not), so radii and counts stay bit for bit those of its float64 pass; KID within 1e-6.
  const pairwiseScript = `
    const { native } = require(${JSON.stringify(path.resolve(__dirname, '..', 'dist', 'native'))});
    (async () => {
      const d = 300, n = 400, m = 350;
      const x = Float32Array.from({ length: n * d }, (_, i) => Math.abs(Math.sin(i * 0.61)) + 0.1 * Math.cos(i * 0.013));
      const y = Float32Array.from({ length: m * d }, (_, i) => Math.abs(Math.sin(i * 0.59 + 1)) + 0.1 * Math.cos(i * 0.017));
      const out = { kernel: native().simdLevel };
      for (const precision of ['float64', 'float32']) {
        const rr = await native().neighbourRadii(x, n, [3, 5], { precision, tile: 48 });
        const rf = await native().neighbourRadii(y, m, [3, 5], { precision, tile: 48 });
        const c = await native().countBalls(x, n, y, m, [{ realRadii: rr[0], fakeRadii: rf[0], strict: false }, { realRadii: rr[1], fakeRadii: rf[1], strict: true }], { precision, tile: 48 });
        const idx = Uint32Array.from({ length: 2 * 100 }, (_, i) => (i * 37) % m);
        const sums = await native().kernelSumsSubsets(x, n, y, m, idx, idx, 2, 100, { kind: 'poly', degree: 3, gamma: 1 / d, coef0: 1, sigma: 0 }, { precision });
        out[precision] = { radii: [...rr, ...rf].map((r) => Array.from(r)), counts: [...c.fakeInReal, ...c.realInFake, ...c.realCovered].map((r) => Array.from(r)), xy: sums.map((s) => s.xy) };
      }
      console.log(JSON.stringify(out));
    })();`;

  test('float32 products: P/R/D/C radii and counts equal float64 exactly, KID sums within 1e-6, with every kernel', () => {
    for (const k of [undefined, 'avx2', 'generic']) {
      const r = run(k, pairwiseScript);
      expect(r.float32.radii).toEqual(r.float64.radii);
      expect(r.float32.counts).toEqual(r.float64.counts);
      r.float32.xy.forEach((v: number, i: number) => expect(relErr(v, r.float64.xy[i])).toBeLessThan(1e-6));
    }
  });
});
