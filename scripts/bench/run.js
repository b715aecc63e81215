#!/usr/bin/env node
// npm run bench: genmetrics' covariance and Fréchet distance against NumPy/SciPy in the same run,
// on the same data; prints medians and ratios. The shared host's speed moves by 10-20% within a
// minute, so the covariance is measured in rounds, each interleaving (in rotating order, with a pause
// between) our covariance, the native dgemm, NumPy's dgemm and np.cov (a peer process answering
// requests, scripts/bench/peers.py serve): the share of the float64 GEMM rate and the speed-up over
// np.cov are per round, against the better of the two dgemm rates of that round. Options (env): BENCH_N (50000), BENCH_D (2048),
// BENCH_REPEATS (3), BENCH_ROUNDS (7), BENCH_PYTHON (/usr/bin/python3, Debian's numpy/scipy), BENCH_DIR (.bench).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const gm = require('../../dist');

const N = Number(process.env.BENCH_N || 50000);
const D = Number(process.env.BENCH_D || 2048);
const REPEATS = Number(process.env.BENCH_REPEATS || 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 7);
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
const { rotated } = require('./interleave');

/** scripts/bench/peers.py serve: a NumPy process answering one measurement per request line. */
function peerServer(env) {
  const { spawn } = require('child_process');
  const child = spawn(PY, [path.join(__dirname, 'peers.py'), 'serve', featFileOf(), String(REPEATS)], { env, cwd: __dirname, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = require('readline').createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (l) => waiting.shift()?.resolve(JSON.parse(l)));
  child.on('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`peers.py serve exited (${code}); install Debian's python3-numpy python3-scipy`));
  });
  return {
    ask: (op) =>
      new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        child.stdin.write(`${op}\n`);
      }),
    close: () => child.stdin.end(),
  };
}

const featFileOf = () => path.join(DIR, `features_${N}x${D}.npy`);

async function main() {
  fs.mkdirSync(DIR, { recursive: true });
  console.log(`genmetrics bench: N=${N} D=${D}, ${os.cpus().length} cores, ${os.cpus()[0].model}, median of ${REPEATS}`);
  console.log(`native GEMM kernel: ${require('../../dist/native').native().simdLevel}`);
  const featFile = featFileOf();
  let x;
  if (fs.existsSync(featFile)) x = gm.readNpy(featFile).data;
  else {
    x = makeFeatures(N, D, 1);
    gm.writeNpy(featFile, { dtype: 'float32', shape: [N, D], data: x });
  }
  const y = makeFeatures(Math.max(D + 500, 5000), D, 2);

  // ours: covariance of N x D float32 (in memory, as the peer after np.load), in rounds with the two
  // dgemm rates and np.cov; its time is the median of the rounds' medians.
  const { native } = require('../../dist/native');
  const covFlops = N * D * (D + 1); // symmetric rank-N update: N*D(D+1)/2 multiply-adds
  const covariance = async () => {
    const m = new gm.RunningMoments(D);
    await m.update(x, { threads: THREADS });
    return m.finalize();
  };
  await covariance(); // warm-up (scratch pool, huge pages)
  const pe = peerEnv(PY, THREADS);
  const server = peerServer(pe.env);
  const pause = () => new Promise((r) => setTimeout(r, 300)); // the other side's BLAS threads go idle
  const rounds = [];
  let cov;
  for (let r = 0; r < ROUNDS; r++) {
    const round = {};
    const steps = [
      async () => {
        cov = await timed(covariance);
        round.s = cov.s;
        round.gflops = covFlops / cov.s / 1e9;
      },
      async () => (round.native = (2 * 4096 ** 3) / native().gemmSeconds(4096, THREADS) / 1e9),
      async () => (round.numpy = (await server.ask('dgemm')).dgemm_gflops),
      async () => (round.npCov = (await server.ask('cov')).np_cov_s),
    ];
    await rotated(r, steps, pause);
    round.dgemm = Math.max(round.native, round.numpy);
    rounds.push(round);
  }
  server.close();
  cov = { s: median(rounds.map((r) => r.s)), value: cov.value };
  const statsA = cov.value;
  const mb = new gm.RunningMoments(D);
  await mb.update(y);
  const statsB = mb.finalize();
  const fileA = path.join(DIR, 'stats_a.npz');
  const fileB = path.join(DIR, 'stats_b.npz');
  gm.writeStatistics(fileA, statsA);
  gm.writeStatistics(fileB, statsB);
  const fd = await timed(() => gm.frechetDistance(statsA, statsB));

  console.log(`${THREADS} threads for genmetrics and the peer; ${pe.note}`);
  const py = spawnSync(PY, [path.join(__dirname, 'peers.py'), fileA, fileB, String(REPEATS)], { env: pe.env, encoding: 'utf8' });
  if (py.status !== 0) {
    console.error(py.stderr);
    throw new Error(`peer run failed (${PY}); install Debian's python3-numpy python3-scipy`);
  }
  const peer = JSON.parse(py.stdout.trim().split('\n').pop());

  const ours = covFlops / cov.s / 1e9;
  const shares = rounds.map((r) => r.gflops / r.dgemm);
  const speedups = rounds.map((r) => r.npCov / r.s);
  const f = (v, d = 3) => v.toFixed(d);
  const rates = (k) => rounds.map((r) => f(r[k], 0)).join(', ');
  console.log(`peer: numpy ${peer.numpy}, scipy ${peer.scipy}, OpenBLAS ${pe.core}`);
  console.log(`machine GEMM (4096^3, GFLOP/s): OpenBLAS sgemm ${f(peer.sgemm_gflops, 1)}; dgemm per round: native ${rates('native')}, OpenBLAS ${rates('numpy')}`);
  console.log('');
  console.log(`covariance ${N}x${D} (${ROUNDS} rounds, median of ${REPEATS} each): genmetrics ${f(cov.s)} s (${f(ours, 1)} GFLOP/s) | np.cov ${f(median(rounds.map((r) => r.npCov)))} s | speed-up per round ${speedups.map((v) => f(v, 2)).join(', ')}: median x${f(median(speedups), 2)}`);
  console.log(`  share of the round's best dgemm rate: ${shares.map((v) => `${f(100 * v, 0)}%`).join(', ')}; median ${f(100 * median(shares), 0)}% (issue 17's target at 3000 x 2048: >= 60%)`);
  console.log(`Fréchet distance ${D}-d: genmetrics ${f(fd.s)} s (${fd.value.route}) | scipy sqrtm (pytorch-fid) ${f(peer.sqrtm_s)} s -> x${f(peer.sqrtm_s / fd.s, 2)} | numpy cholesky+eigvalsh ${f(peer.chol_eigvalsh_s)} s -> x${f(peer.chol_eigvalsh_s / fd.s, 2)}`);
  console.log(`FID values: genmetrics ${fd.value.fid} | sqrtm ${peer.sqrtm_fid} | cholesky+eigvalsh ${peer.chol_eigvalsh_fid}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
