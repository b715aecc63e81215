#!/usr/bin/env node
// npm run bench:pairwise: precision/recall/density/coverage and KID on 2048-d features.
//  - N = BENCH_PEER_N (10000; 0 skips the peers) per side: genmetrics (all four metrics: k=3 '<=' and k=5 '<') against
//    prdc (clovaai, sklearn; k=5) and torch-fidelity's precision/recall (k=3), and KID against
//    torch-fidelity's, each in its own process: median time of BENCH_REPEATS (3) and peak RSS.
//  - N = BENCH_SIZES (20000,50000) per side: genmetrics alone (float32 products with float64
//    re-checks, the default), against the time the machine's float64 GEMM rate needs for the
//    distance work: (N(N+1)/2 + M(M+1)/2 + NM) dot products of 2D flops (the two k-NN passes use
//    symmetry), at the best of the native GEMM and NumPy's (OpenBLAS) dgemm, each measured before
//    and after the sizes (the mean; the shared host's rate drifts). Target: at most 0.5x that
//    time, peak RSS within 1 GiB beyond the features. The float32 GEMM rates of the same run are
//    printed beside it: 0.5x asks for the whole pass at twice the float64 rate.
// Peers come from PEERS_DIR (see scripts/peer_modules.py). Features are synthetic, non-negative and
// clustered like Inception pool3 (fake: fewer clusters, less spread), written under BENCH_DIR (.bench).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { native } = require('../../dist/native');
const { D, featurePair } = require('./synthetic');

const PEER_N = Number(process.env.BENCH_PEER_N || 10000);
const SIZES = (process.env.BENCH_SIZES ?? '20000,50000').split(',').filter(Boolean).map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS || 3);
const PY = process.env.BENCH_PYTHON || '/usr/bin/python3';
const DIR = path.resolve(process.env.BENCH_DIR || path.join(__dirname, '..', '..', '.bench'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const pair = (n) => featurePair(DIR, n);

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function measure(label, cmd, args, env, repeats) {
  const runs = [];
  for (let i = 0; i < repeats; i++) runs.push(run(cmd, args, env));
  const out = { label, seconds: median(runs.map((r) => r.seconds)), max_rss_mb: Math.max(...runs.map((r) => r.max_rss_mb)), result: runs[0].result };
  console.log(`  ${label.padEnd(34)} ${out.seconds.toFixed(2).padStart(8)} s   peak RSS ${out.max_rss_mb.toFixed(0).padStart(6)} MiB`);
  return out;
}

// Both sides get THREADS threads; the peers their environment from peer_env.js (same threads, OpenBLAS
// on its best kernel for this CPU).
const THREADS = Number(process.env.BENCH_THREADS || os.availableParallelism());
const PEER = require('./peer_env').peerEnv(PY, THREADS);
const ours = (which, p) => ['node', [path.join(__dirname, 'pairwise_ours.js'), which, p.fake, p.real], { ...process.env, BENCH_THREADS: String(THREADS) }];
const peer = (which, p) => [PY, [path.join(__dirname, 'pairwise_peers.py'), which, p.fake, p.real], PEER.env];

// GFLOP/s of 4096^3 products: the native GEMM (float64 and float32) and NumPy's (scripts/bench/blas_rate.py).
function gemmRates() {
  const native64 = (2 * 4096 ** 3) / native().gemmSeconds(4096, 0) / 1e9;
  const native32 = (2 * 4096 ** 3) / native().gemmSeconds(4096, 0, 'float32') / 1e9;
  const py = spawnSync(PY, ['-c', 'import json, numpy as np\nfrom blas_rate import gemm_gflops\nprint(json.dumps([gemm_gflops(np.float64), gemm_gflops(np.float32)]))'], {
    encoding: 'utf8',
    env: PEER.env,
    cwd: __dirname,
  });
  const [numpy64, numpy32] = py.status === 0 ? JSON.parse(py.stdout.trim()) : [NaN, NaN];
  return { native64, native32, numpy64, numpy32 };
}

const mean = (a, b) => (Number.isFinite(a) && Number.isFinite(b) ? (a + b) / 2 : Number.isFinite(a) ? a : b);
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');

// Each rate as the mean of two measurements (before and after the sizes); best: the float64 yardstick.
function combined(before, after) {
  const r = {};
  for (const k of Object.keys(before)) r[k] = mean(before[k], after[k]);
  r.best = Math.max(r.native64, Number.isFinite(r.numpy64) ? r.numpy64 : 0);
  return r;
}

function printRates(label, r) {
  console.log(`${label}: float64 native ${f1(r.native64)}, NumPy/OpenBLAS ${f1(r.numpy64)} GFLOP/s; float32 native ${f1(r.native32)}, NumPy/OpenBLAS ${f1(r.numpy32)} GFLOP/s`);
}

// The peers at PEER_N per side (BENCH_PEER_N=0 skips them).
function peers(report) {
  const p = pair(PEER_N);
  console.log(`\nN = ${PEER_N} per side (median of ${REPEATS})`);
  const o = measure('genmetrics prdc (P,R k=3 <=; D,C k=5 <)', ...ours('prdc', p), REPEATS);
  const pd = measure('prdc (clovaai, sklearn) k=5', ...peer('prdc', p), REPEATS);
  const tf = measure('torch-fidelity prc k=3', ...peer('torch-fidelity-prc', p), REPEATS);
  const ok = measure('genmetrics kid (100 x 1000)', ...ours('kid', p), REPEATS);
  const tk = measure('torch-fidelity kid (100 x 1000)', ...peer('torch-fidelity-kid', p), REPEATS);
  console.log(`  speed-up: ${(pd.seconds / o.seconds).toFixed(2)}x prdc, ${(tf.seconds / o.seconds).toFixed(2)}x torch-fidelity prc, ${(tk.seconds / ok.seconds).toFixed(2)}x torch-fidelity kid`);
  const same = ['precision', 'recall'].every((k) => Math.fround(o.result[k]) === Math.fround(tf.result[k]));
  const sameP = ['density', 'coverage'].every((k) => Math.abs(o.result[k] - pd.result[k]) < 1e-12);
  console.log(`  agreement: P/R = torch-fidelity's: ${same}; density/coverage = prdc's: ${sameP}; KID mean rel. diff ${Math.abs(ok.result.mean / tk.result.kernel_inception_distance_mean - 1).toExponential(1)} (theirs: float32 kernels)`);
  report.peers = { n: PEER_N, genmetrics_prdc: o, prdc: pd, torch_fidelity_prc: tf, genmetrics_kid: ok, torch_fidelity_kid: tk };

}

function main() {
  console.log(`genmetrics bench:pairwise: D=${D}, ${os.cpus().length} cores, ${os.cpus()[0].model}, simd ${native().simdLevel}`);
  console.log(`${THREADS} threads for genmetrics and each peer; peers: ${PEER.note}`);
  const before = gemmRates();
  printRates('GEMM 4096^3 before', before);
  const report = { gemm_gflops: {}, peers: {}, scale: [] };

  if (PEER_N > 0) peers(report);
  const runs = SIZES.map((n) => {
    const q = pair(n);
    console.log(`\nN = ${n} per side (one run)`);
    return { n, r: measure('genmetrics prdc (all four)', ...ours('prdc', q), 1) };
  });
  const after = gemmRates();
  printRates('\nGEMM 4096^3 after', after);
  const rate = combined(before, after);
  report.gemm_gflops = { before, after, mean: rate };
  const sgemm = Math.max(rate.native32, Number.isFinite(rate.numpy32) ? rate.numpy32 : 0);
  console.log(`yardstick: the best float64 rate, ${rate.best.toFixed(1)} GFLOP/s (mean of before and after); 0.5x asks for ${(2 * rate.best).toFixed(1)} GFLOP/s, ${((200 * rate.best) / sgemm).toFixed(0)}% of the best float32 rate (${sgemm.toFixed(1)})`);
  for (const { n, r } of runs) {
    const flops = (n * (n + 1) + n * n) * 2 * D; // N(N+1)/2 per set, two sets, plus N^2 cross, 2D flops each
    const bound = flops / (rate.best * 1e9);
    const features = (2 * n * D * 4) / 2 ** 20;
    console.log(`  N = ${n}: distance work ${(flops / 1e12).toFixed(1)} TFLOP: ${bound.toFixed(1)} s at the float64 rate; genmetrics ${r.seconds.toFixed(2)} s = ${(r.seconds / bound).toFixed(2)}x that (target <= 0.5x; ${(flops / r.seconds / 1e9).toFixed(1)} GFLOP/s, ${((100 * flops) / r.seconds / 1e9 / sgemm).toFixed(0)}% of the float32 rate); peak RSS ${(r.max_rss_mb - features).toFixed(0)} MiB beyond the ${features.toFixed(0)} MiB of features`);
    report.scale.push({ n, ...r, tflop: flops / 1e12, gemm_bound_s: bound, ratio: r.seconds / bound });
  }
  fs.writeFileSync(path.join(DIR, 'pairwise.json'), `${JSON.stringify(report, null, 1)}\n`);
}

main();
