// One genmetrics measurement for scripts/bench/extras.js, in its own process (for its peak RSS).
// Usage: node extras_ours.js WHICH FAKE.npy REAL.npy -> JSON: seconds (the whole command through the
// API, features read from disk included), max_rss_mb, result (the headline value).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const gm = require('../../dist');
const { readFeatureMatrix } = require('../../dist/features');
const { writeNpy } = require('../../dist/io/npy');

/** Rows [from, to) and the first `cols` columns of a features file, written beside it once. */
function slice(file, from, to, cols) {
  const out = file.replace(/\.npy$/, `_${from}_${to}_${cols}.npy`);
  if (fs.existsSync(out)) return out;
  const m = readFeatureMatrix(file);
  const data = new Float32Array((to - from) * cols);
  for (let r = from; r < to; r++) for (let c = 0; c < cols; c++) data[(r - from) * cols + c] = m.data[r * m.dims + c];
  writeNpy(out, { dtype: 'float32', shape: [to - from, cols], data });
  return out;
}

async function main() {
  const [which, fake, real] = process.argv.slice(2);
  const threads = Number(process.env.BENCH_THREADS || os.availableParallelism());
  const n = readFeatureMatrix(real).rows;
  const half = n >> 1;
  const m = Number(process.env.BENCH_PARZEN_TEST || 1000);
  // The inputs and options that make each command compute what the reference computes.
  const jobs = {
    vendi: () => ['vendi', [fake], {}, (r) => r.vendi.q1],
    authpct: () => ['authpct', [fake, real], {}, (r) => r.authpct],
    'fd-inf': () => ['fd-inf', [fake, real], {}, (r) => r.fd_infinity],
    realism: () => ['realism', [fake, real], { convention: 'dgm-eval' }, (r) => r.mean],
    ct: () => ['ct', [fake, slice(real, 0, half, 2048)], { test: slice(real, half, n, 2048) }, (r) => r.ct],
    parzen: () => ['parzen', [slice(fake, 0, readFeatureMatrix(fake).rows, 256), slice(real, m, 2 * m, 256)], { valid: slice(real, 0, m, 256) }, (r) => r.parzen],
    mifid: () => ['mifid', [fake, real], {}, (r) => r.mifid],
    c2st: () => ['c2st', [fake, real], {}, (r) => r.accuracy],
    ndb: () => ['ndb', [fake, real], {}, (r) => r.ndb],
    prd: () => ['prd', [fake, real], {}, (r) => r.f8],
    birthday: () => ['birthday', [fake], {}, (r) => r.duplicate_rate],
    cmmd: () => ['cmmd', [fake, real], {}, (r) => r.cmmd],
  };
  const [name, inputs, options, value] = jobs[which]();
  const t = process.hrtime.bigint();
  const r = await gm.run(name, inputs, { ...options, threads });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  process.stdout.write(`${JSON.stringify({ seconds, max_rss_mb: process.resourceUsage().maxRSS / 1024, result: { value: value(r) } })}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
