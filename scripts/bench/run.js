#!/usr/bin/env node
// npm run bench: genmetrics' covariance and Fréchet distance against NumPy/SciPy in the same run,
// on the same data; prints medians and ratios. Options (env): BENCH_N (50000), BENCH_D (2048),
// BENCH_REPEATS (3), BENCH_PYTHON (/usr/bin/python3, Debian's numpy/scipy), BENCH_DIR (.bench).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const gm = require('../../dist');

const N = Number(process.env.BENCH_N || 50000);
const D = Number(process.env.BENCH_D || 2048);
const REPEATS = Number(process.env.BENCH_REPEATS || 3);
const PY = process.env.BENCH_PYTHON || '/usr/bin/python3';
const DIR = path.resolve(process.env.BENCH_DIR || path.join(__dirname, '..', '..', '.bench'));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function timed(fn, repeats = REPEATS) {
  const times = [];
  let value;
  for (let i = 0; i < repeats; i++) {
    const t = process.hrtime.bigint();
    value = await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  return { s: median(times), value };
}

/** Inception-like features: non-negative, correlated, deterministic. */
function makeFeatures(n, d, seed) {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const x = new Float32Array(n * d);
  const k = 64;
  const basis = new Float32Array(k * d).map(() => rnd() - 0.5);
  const z = new Float32Array(k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) z[j] = rnd() - 0.5;
    for (let c = 0; c < d; c++) {
      let v = 0.3 * rnd();
      for (let j = 0; j < 8; j++) v += z[(c + j) % k] * basis[j * d + c];
      x[i * d + c] = v > 0 ? v : 0;
    }
  }
  return x;
}

// The peer's environment: the same threads, OpenBLAS on its best kernel (scripts/bench/peer_env.js).
const THREADS = Number(process.env.BENCH_THREADS || os.availableParallelism());
const { peerEnv } = require('./peer_env');

async function main() {
  fs.mkdirSync(DIR, { recursive: true });
  console.log(`genmetrics bench: N=${N} D=${D}, ${os.cpus().length} cores, ${os.cpus()[0].model}, median of ${REPEATS}`);
  console.log(`native GEMM kernel: ${require('../../dist/native').native().simdLevel}`);
  const featFile = path.join(DIR, `features_${N}x${D}.npy`);
  let x;
  if (fs.existsSync(featFile)) x = gm.readNpy(featFile).data;
  else {
    x = makeFeatures(N, D, 1);
    gm.writeNpy(featFile, { dtype: 'float32', shape: [N, D], data: x });
  }
  const y = makeFeatures(Math.max(D + 500, 5000), D, 2);

  // ours: covariance of N x D float32 (in memory, as the peer after np.load)
  const cov = await timed(async () => {
    const m = new gm.RunningMoments(D);
    await m.update(x, { threads: THREADS });
    return m.finalize();
  });
  const statsA = cov.value;
  const mb = new gm.RunningMoments(D);
  await mb.update(y);
  const statsB = mb.finalize();
  const fileA = path.join(DIR, 'stats_a.npz');
  const fileB = path.join(DIR, 'stats_b.npz');
  gm.writeStatistics(fileA, statsA);
  gm.writeStatistics(fileB, statsB);
  const fd = await timed(() => gm.frechetDistance(statsA, statsB));

  const pe = peerEnv(PY, THREADS);
  console.log(`${THREADS} threads for genmetrics and the peer; ${pe.note}`);
  const py = spawnSync(PY, [path.join(__dirname, 'peers.py'), featFile, fileA, fileB, String(REPEATS)], { env: pe.env, encoding: 'utf8' });
  if (py.status !== 0) {
    console.error(py.stderr);
    throw new Error(`peer run failed (${PY}); install Debian's python3-numpy python3-scipy`);
  }
  const peer = JSON.parse(py.stdout.trim().split('\n').pop());

  const covFlops = N * D * (D + 1); // symmetric rank-N update: N*D(D+1)/2 multiply-adds
  const ours = covFlops / cov.s / 1e9;
  const f = (v, d = 3) => v.toFixed(d);
  console.log(`peer: numpy ${peer.numpy}, scipy ${peer.scipy}, OpenBLAS ${pe.core}`);
  console.log(`machine GEMM: sgemm ${f(peer.sgemm_gflops, 1)} GFLOP/s, dgemm ${f(peer.dgemm_gflops, 1)} GFLOP/s (OpenBLAS, 4096^2)`);
  console.log('');
  console.log(`covariance ${N}x${D}: genmetrics ${f(cov.s)} s (${f(ours, 1)} GFLOP/s, ${f((100 * ours) / peer.dgemm_gflops, 0)}% of dgemm, ${f((100 * ours) / peer.sgemm_gflops, 0)}% of sgemm) | np.cov ${f(peer.np_cov_s)} s | speed-up x${f(peer.np_cov_s / cov.s, 2)}`);
  console.log(`Fréchet distance ${D}-d: genmetrics ${f(fd.s)} s (${fd.value.route}) | scipy sqrtm (pytorch-fid) ${f(peer.sqrtm_s)} s -> x${f(peer.sqrtm_s / fd.s, 2)} | numpy cholesky+eigvalsh ${f(peer.chol_eigvalsh_s)} s -> x${f(peer.chol_eigvalsh_s / fd.s, 2)}`);
  console.log(`FID values: genmetrics ${fd.value.fid} | sqrtm ${peer.sqrtm_fid} | cholesky+eigvalsh ${peer.chol_eigvalsh_fid}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
