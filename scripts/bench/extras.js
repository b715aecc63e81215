#!/usr/bin/env node
// npm run bench:extras: issue 21's measures against their references on 2048-d features.
//  - N = BENCH_PEER_N (10000; 0 skips the peers) per side: each measure that has a runnable
//    reference (dgm-eval's vendi, authpct, FD∞, realism and C_T; parzen_ll.py's expression) against
//    genmetrics' command, each in its own process with the same threads: median time of
//    BENCH_REPEATS (1) and peak RSS, the values side by side. C_T and FD∞ are seeded differently
//    (their references draw from NumPy's global RNG), so only their magnitudes compare.
//  - N = BENCH_SIZES (50000) per side: genmetrics alone, every measure.
// Parzen: 256 dims, BENCH_PARZEN_TEST (1000) validation and test rows. Peers come from PEERS_DIR.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { D, featurePair } = require('./synthetic');

const PEER_N = Number(process.env.BENCH_PEER_N ?? 10000);
const SIZES = (process.env.BENCH_SIZES ?? '50000').split(',').filter(Boolean).map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS || 1);
const PY = process.env.BENCH_PYTHON || '/usr/bin/python3';
const DIR = path.resolve(process.env.BENCH_DIR || path.join(__dirname, '..', '..', '.bench'));
const THREADS = Number(process.env.BENCH_THREADS || os.availableParallelism());
const PEER = require('./peer_env').peerEnv(PY, THREADS);
const WITH_PEERS = (process.env.BENCH_PEER_MEASURES ?? 'vendi,authpct,fd-inf,realism,ct,parzen').split(',').filter(Boolean);
const ALONE = (process.env.BENCH_MEASURES ?? 'vendi,authpct,fd-inf,realism,ct,parzen,mifid,c2st,ndb,prd,birthday,cmmd').split(',').filter(Boolean);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function run(cmd, args, env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function measure(label, cmd, args, env) {
  const runs = Array.from({ length: REPEATS }, () => run(cmd, args, env));
  const out = { seconds: median(runs.map((r) => r.seconds)), max_rss_mb: Math.max(...runs.map((r) => r.max_rss_mb)), value: runs[0].result.value };
  console.log(`  ${label.padEnd(26)} ${out.seconds.toFixed(2).padStart(9)} s   peak RSS ${out.max_rss_mb.toFixed(0).padStart(6)} MiB   value ${out.value}`);
  return out;
}

const ours = (which, p) => ['node', [path.join(__dirname, 'extras_ours.js'), which, p.fake, p.real], { ...process.env, BENCH_THREADS: String(THREADS) }];
const peer = (which, p) => [PY, [path.join(__dirname, 'extras_peers.py'), which, p.fake, p.real], { ...PEER.env, PEERS_DIR: process.env.PEERS_DIR || '' }];

function main() {
  console.log(`genmetrics bench:extras: D=${D}, ${os.cpus().length} cores, ${os.cpus()[0].model}`);
  console.log(`${THREADS} threads for genmetrics and each peer; peers: ${PEER.note}`);
  const report = { threads: THREADS, peers: [], alone: [] };
  if (PEER_N > 0) {
    if (!process.env.PEERS_DIR) throw new Error('PEERS_DIR must name the folder holding dgm-eval (see scripts/peer_modules.py), or set BENCH_PEER_N=0');
    const p = featurePair(DIR, PEER_N);
    console.log(`\nN = ${PEER_N} per side`);
    for (const m of WITH_PEERS) {
      const o = measure(`genmetrics ${m}`, ...ours(m, p));
      const r = measure(`reference ${m}`, ...peer(m, p));
      console.log(`  ${m}: ${(r.seconds / o.seconds).toFixed(2)}x faster, peak RSS ${(o.max_rss_mb / r.max_rss_mb).toFixed(2)}x the reference's, values rel. diff ${Math.abs(o.value / r.value - 1).toExponential(1)}`);
      report.peers.push({ measure: m, n: PEER_N, genmetrics: o, reference: r, speedup: r.seconds / o.seconds });
    }
  }
  for (const n of SIZES) {
    const p = featurePair(DIR, n);
    console.log(`\nN = ${n} per side, genmetrics alone`);
    for (const m of ALONE) report.alone.push({ measure: m, n, ...measure(`genmetrics ${m}`, ...ours(m, p)) });
  }
  fs.writeFileSync(path.join(DIR, 'extras.json'), `${JSON.stringify(report, null, 1)}\n`);
}

main();
