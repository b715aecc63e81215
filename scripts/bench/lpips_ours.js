// One genmetrics LPIPS measurement for scripts/bench/lpips.js, in its own process.
// Usage: node lpips_ours.js TWIN.onnx IN0.npy IN1.npy BATCH OUT.npy -> JSON: seconds (the network
// calls only, after one warm-up batch), pairs, pairs_per_s; the distances go to OUT.npy.
'use strict';
const { LpipsNetwork } = require('../../dist/network/lpips');
const { readNpy, writeNpy } = require('../../dist/io/npy');

async function main() {
  const [twin, p0, p1, batchArg, out] = process.argv.slice(2);
  const batch = Number(batchArg);
  const a = readNpy(p0);
  const b = readNpy(p1);
  const [n, , h, w] = a.shape;
  const size = 3 * h * w;
  const net = await LpipsNetwork.open({ model: twin, device: 'cpu', threads: Number(process.env.BENCH_THREADS || 0) });
  const d = new Float32Array(n);
  const run = (s, m) => net.distances(a.data.subarray(s * size, (s + m) * size), b.data.subarray(s * size, (s + m) * size), m, h, w);
  await run(0, Math.min(batch, n));
  const t = process.hrtime.bigint();
  for (let s = 0; s < n; s += batch) {
    const m = Math.min(batch, n - s);
    d.set(await run(s, m), s);
  }
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  await net.release();
  writeNpy(out, { dtype: 'float32', shape: [n], data: d });
  process.stdout.write(`${JSON.stringify({ seconds, pairs: n, pairs_per_s: n / seconds })}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
