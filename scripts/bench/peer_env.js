// The environment of a peer process in a fair benchmark: the same threads as genmetrics, and
// OpenBLAS on its best kernel. A machine's preset OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are removed
// for the peer alone; where the OpenBLAS that numpy loads then detects an older core than the CPU
// has (Debian's 0.3.21 takes some AVX-512 CPUs for Prescott), the matching core type is set, so the
// peer runs the kernel a user would tune it to. The kernel it ran is printed by the peer itself.
'use strict';
const fs = require('fs');
const { spawnSync } = require('child_process');

const THREAD_VARS = ['OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS', 'NUMEXPR_NUM_THREADS'];

function baseEnv(threads) {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  for (const v of THREAD_VARS) env[v] = String(threads);
  env.BENCH_THREADS = String(threads);
  return env;
}

/** The OpenBLAS core type `python` detects with `env` (threadpoolctl), or undefined. */
function detectedCore(python, env) {
  const r = spawnSync(python, ['-c', 'import numpy\nfrom threadpoolctl import threadpool_info\nprint(next((i.get("architecture") or "") for i in threadpool_info() if i.get("internal_api") == "openblas"))'], { encoding: 'utf8', env });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const OLD_CORES = new Set(['Prescott', 'Core2', 'Penryn', 'Dunnington', 'Nehalem', 'Sandybridge', 'Atom', 'Katmai', 'Coppermine', 'Northwood', 'Banias']);

/** { env, core, note } for a peer run with `threads` threads by `python`. */
function peerEnv(python, threads) {
  const env = baseEnv(threads);
  const core = detectedCore(python, env);
  const flags = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const best = /\bavx512f\b/.test(flags) ? 'SkylakeX' : /\bavx2\b/.test(flags) ? 'Haswell' : undefined;
  if (core && best && OLD_CORES.has(core)) {
    env.OPENBLAS_CORETYPE = best;
    return { env, core: best, note: `OpenBLAS detected ${core} on this CPU; the peer runs its ${best} kernel` };
  }
  return { env, core: core || 'unknown', note: `OpenBLAS kernel ${core || 'unknown'} (autodetected)` };
}

module.exports = { peerEnv };
