#!/usr/bin/env node
// npm run bench:kid: the whole `genmetrics kid A.npy B.npy` command (process wall time) against the
// kernel time of torch-fidelity's KID (kid_features_to_metric, numpy float32, inside its process),
// torch-fidelity's defaults (100 subsets of 1000, poly kernel, seed 2020), 2048-d features of
// BENCH_KID_SIZES (5000,20000) rows per side, the same BENCH_THREADS (all cores) for both, the peer on
// its best OpenBLAS kernel (scripts/bench/peer_env.js). Median of BENCH_REPEATS (3); prints ratios.
// Peers come from PEERS_DIR (scripts/peer_modules.py); /usr/bin/python3 needs numpy, torch, threadpoolctl.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { NpyRowWriter } = require('../../dist/io/npy');
const { peerEnv } = require('./peer_env');

const D = 2048;
const SIZES = (process.env.BENCH_KID_SIZES || '5000,20000').split(',').filter(Boolean).map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS || 3);
const THREADS = Number(process.env.BENCH_THREADS || os.availableParallelism());
const PY = process.env.BENCH_PYTHON || '/usr/bin/python3';
const DIR = path.resolve(process.env.BENCH_DIR || path.join(__dirname, '..', '..', '.bench'));
const BIN = path.join(__dirname, '..', '..', 'bin', 'genmetrics.js');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** n x D float32: relu(centre + spread * noise), non-negative and clustered like Inception pool3. */
function features(file, n, clusters, spread, seed) {
  if (fs.existsSync(file)) return file;
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const centres = Float32Array.from({ length: clusters * D }, () => rnd() * 0.6);
  const w = new NpyRowWriter(file, 'float32', D);
  const buf = new Float32Array(1000 * D);
  for (let r0 = 0; r0 < n; r0 += 1000) {
    const rows = Math.min(1000, n - r0);
    for (let r = 0; r < rows; r++) {
      const k = Math.floor(rnd() * clusters);
      for (let j = 0; j < D; j++) buf[r * D + j] = Math.max(0, centres[k * D + j] + spread * gauss());
    }
    w.append(buf.subarray(0, rows * D), rows);
  }
  w.commit();
  return file;
}

function ours(a, b) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BIN, 'kid', a, b, '--json', '-q', '--threads', String(THREADS)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`genmetrics kid failed: ${r.stderr}`);
  return { seconds, kid: JSON.parse(r.stdout).kid };
}

function peer(a, b, env) {
  const r = spawnSync(PY, [path.join(__dirname, 'kid_peer.py'), a, b], { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`torch-fidelity KID failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function main() {
  fs.mkdirSync(DIR, { recursive: true });
  const pe = peerEnv(PY, THREADS);
  console.log(`KID, ${os.cpus()[0].model}, ${os.availableParallelism()} cores; ${THREADS} threads each; median of ${REPEATS}`);
  console.log(`peer: torch-fidelity kid_features_to_metric (numpy float32); ${pe.note}`);
  for (const n of SIZES) {
    const a = features(path.join(DIR, `kid_fake_${n}x${D}.npy`), n, 40, 0.15, 1 + n);
    const b = features(path.join(DIR, `kid_real_${n}x${D}.npy`), n, 64, 0.2, 2 + n);
    const o = [];
    const p = [];
    for (let i = 0; i < REPEATS; i++) {
      o.push(ours(a, b));
      p.push(peer(a, b, pe.env));
    }
    const os_ = median(o.map((r) => r.seconds));
    const ps = median(p.map((r) => r.seconds));
    const rel = Math.abs(o[0].kid.mean - p[0].kid_mean) / Math.abs(p[0].kid_mean);
    const blas = p[0].blas.map((x) => `${x.internal_api} ${x.architecture || ''} x${x.num_threads}`).join(', ');
    console.log(`  ${n} per side: genmetrics kid (whole command) ${os_.toFixed(2)} s, torch-fidelity (kernel) ${ps.toFixed(2)} s -> ${(ps / os_).toFixed(2)}x; KID ${o[0].kid.mean.toPrecision(8)} vs ${p[0].kid_mean.toPrecision(8)} (rel ${rel.toExponential(1)}); peer BLAS: ${blas}`);
  }
}

main();
