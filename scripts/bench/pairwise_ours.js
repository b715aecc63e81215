// One genmetrics measurement for scripts/bench/pairwise.js, in its own process (for its peak RSS).
// Usage: node pairwise_ours.js {prdc|kid} FAKE.npy REAL.npy -> JSON: seconds (the metric call,
// features loaded), max_rss_mb (the whole process, features included), result.
'use strict';
const gm = require('../../dist');
const { readFeatureMatrix } = require('../../dist/features');

async function main() {
  const [which, fakePath, realPath] = process.argv.slice(2);
  const fake = readFeatureMatrix(fakePath);
  const real = readFeatureMatrix(realPath);
  const t = process.hrtime.bigint();
  const tile = process.env.BENCH_TILE ? Number(process.env.BENCH_TILE) : undefined;
  const threads = Number(process.env.BENCH_THREADS || 0);
  let result;
  if (which === 'prdc') {
    const r = await gm.metrics.prdc(fake, real, { tile, threads });
    result = { precision: r.precision, recall: r.recall, density: r.density, coverage: r.coverage };
  } else {
    const r = await gm.metrics.kid(fake, real, { tile, threads });
    result = { mean: r.mean, std: r.std };
  }
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  process.stdout.write(`${JSON.stringify({ seconds, max_rss_mb: process.resourceUsage().maxRSS / 1024, result })}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
