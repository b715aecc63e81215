#!/usr/bin/env node
// npm run bench:lpips: LPIPS pairs per second, genmetrics (onnxruntime) against the lpips package
// (PyTorch, Debian's python3-torch) on the CPU, same twin weights (models/lpips-alex-twin.onnx,
// found through GENMETRICS_MODEL_DIR), same random [-1, 1] pairs, same batch size, in one run.
// For each size (BENCH_LPIPS_SIZES, default 64,256): BENCH_REPEATS (3) runs of each, each in its
// own process after a warm-up batch; the median pairs/s and the largest difference of the values.
// The lpips package comes from PEERS_DIR (scripts/peer_modules.py). Both get BENCH_THREADS (all cores)
// threads; the peer's environment comes from scripts/bench/peer_env.js. Each side's arithmetic rate
// (the graph's multiply-adds per pair, from ONNX shape inference) is printed against the machine's
// sgemm rate, NumPy's float32 4096^3 product in the peer's environment, measured before and after
// the sizes (their mean). Issue 17's targets: >= 2x the package, >= 70% of sgemm at 64 x 64.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { readNpy, writeNpy } = require('../../dist/io/npy');
const { resolveModel } = require('../../dist/models/registry');

const SIZES = (process.env.BENCH_LPIPS_SIZES ?? '64,256').split(',').filter(Boolean).map(Number);
const PAIRS = { 64: 512, 256: 96 };
const BATCH = Number(process.env.BENCH_LPIPS_BATCH || 16);
const REPEATS = Number(process.env.BENCH_REPEATS || 3);
const THREADS = Number(process.env.BENCH_THREADS || os.availableParallelism());
const { peerEnv } = require('./peer_env');
const PY = process.env.BENCH_PYTHON || '/usr/bin/python3';
const DIR = path.resolve(process.env.BENCH_DIR || path.join(__dirname, '..', '..', '.bench'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function tensors(size, n) {
  const files = [0, 1].map((k) => path.join(DIR, `lpips_in${k}_${n}x3x${size}x${size}.npy`));
  let s = 12345 + size;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  for (const f of files) {
    if (!fs.existsSync(f)) writeNpy(f, { dtype: 'float32', shape: [n, 3, size, size], data: Float32Array.from({ length: n * 3 * size * size }, rnd) });
  }
  return files;
}

function run(cmd, args, env = { ...process.env, BENCH_THREADS: String(THREADS) }) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 24, env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function main() {
  fs.mkdirSync(DIR, { recursive: true });
  const twin = resolveModel('lpips-alex-twin').path;
  const pe = peerEnv(PY, THREADS);
  console.log(`genmetrics bench:lpips: ${os.cpus().length} cores, ${os.cpus()[0].model}; ${THREADS} threads each; batch ${BATCH}; median of ${REPEATS}; peer: ${pe.note}`);
  // The sgemm rate (and, with sizes, the multiply-adds of a pair at each size).
  const yardsticks = (sizes) => run(PY, [path.join(__dirname, 'lpips_peer.py'), '--machine', twin, ...sizes.map(String)], pe.env);
  const before = yardsticks(SIZES);
  const report = [];
  for (const size of SIZES) {
    const n = PAIRS[size] ?? 64;
    const [in0, in1] = tensors(size, n);
    const outOurs = path.join(DIR, `lpips_ours_${size}.npy`);
    const outPeer = path.join(DIR, `lpips_peer_${size}.npy`);
    const ours = [];
    const peer = [];
    for (let i = 0; i < REPEATS; i++) {
      ours.push(run('node', [path.join(__dirname, 'lpips_ours.js'), twin, in0, in1, String(BATCH), outOurs]).pairs_per_s);
      peer.push(run(PY, [path.join(__dirname, 'lpips_peer.py'), twin, in0, in1, String(BATCH), outPeer], pe.env).pairs_per_s);
    }
    const a = readNpy(outOurs).data;
    const b = readNpy(outPeer).data;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
    const row = { size, pairs: n, genmetrics_pairs_per_s: median(ours), lpips_pairs_per_s: median(peer), max_abs_diff: diff };
    row.speedup = row.genmetrics_pairs_per_s / row.lpips_pairs_per_s;
    console.log(
      `  ${size}x${size}: genmetrics ${row.genmetrics_pairs_per_s.toFixed(1)} pairs/s, lpips package ${row.lpips_pairs_per_s.toFixed(1)} pairs/s -> ${row.speedup.toFixed(2)}x (${n} pairs; max |difference| ${diff.toExponential(1)})`,
    );
    report.push(row);
  }
  const sgemm = (before.sgemm_gflops + yardsticks([]).sgemm_gflops) / 2;
  console.log(`  sgemm (NumPy float32 4096^3, the peer's environment, mean of before and after): ${sgemm.toFixed(0)} GFLOP/s`);
  for (const row of report) {
    const flops = 2 * before.multiply_adds[row.size];
    row.sgemm_gflops = sgemm;
    row.genmetrics_gflops = (row.genmetrics_pairs_per_s * flops) / 1e9;
    row.lpips_gflops = (row.lpips_pairs_per_s * flops) / 1e9;
    const pct = (g) => `${((100 * g) / sgemm).toFixed(0)}%`;
    console.log(
      `  ${row.size}x${row.size}: ${(flops / 1e6).toFixed(0)} MFLOP a pair; genmetrics ${row.genmetrics_gflops.toFixed(0)} GFLOP/s (${pct(row.genmetrics_gflops)} of sgemm), lpips package ${row.lpips_gflops.toFixed(0)} GFLOP/s (${pct(row.lpips_gflops)})`,
    );
  }
  fs.writeFileSync(path.join(DIR, 'lpips.json'), `${JSON.stringify(report, null, 1)}\n`);
}

main();
