#!/usr/bin/env node
// npm run bench:kid: the whole `genmetrics kid A.npy B.npy` command (process wall time) against the
// kernel time of torch-fidelity's KID (kid_features_to_metric, numpy float32, inside its process),
// torch-fidelity's defaults (100 subsets of 1000, poly kernel, seed 2020), 2048-d features of
// BENCH_KID_SIZES (5000,20000) rows per side, the same BENCH_THREADS (all cores) for both, the peer on
// its best OpenBLAS kernel (scripts/bench/peer_env.js). Median of BENCH_REPEATS (3); prints ratios.
// Features: scripts/bench/synthetic.js (the same as bench:pairwise's). Peers come from PEERS_DIR (scripts/peer_modules.py); /usr/bin/python3 needs numpy, torch, threadpoolctl.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { featurePair } = require('./synthetic');
const { peerEnv } = require('./peer_env');

const SIZES = (process.env.BENCH_KID_SIZES || '5000,20000').split(',').filter(Boolean).map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS || 3);
const THREADS = Number(process.env.BENCH_THREADS || os.availableParallelism());
const PY = process.env.BENCH_PYTHON || '/usr/bin/python3';
const DIR = path.resolve(process.env.BENCH_DIR || path.join(__dirname, '..', '..', '.bench'));
const BIN = path.join(__dirname, '..', '..', 'bin', 'genmetrics.js');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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
    const { fake: a, real: b } = featurePair(DIR, n);
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
