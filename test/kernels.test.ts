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
  function run(kernel?: string) {
    const env = { ...process.env };
    if (kernel) env.GENMETRICS_KERNEL = kernel;
    else delete env.GENMETRICS_KERNEL;
    const p = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
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
});
