#!/usr/bin/env node
// npm run bench:images: images -> Inception features, end to end (decode, resize, network) against the
// bare onnxruntime network on the same batches and against pytorch-fid's CPU pipeline in Debian's
// PyTorch (scripts/bench/torch_inception.py), in one run on the same images. Prints img/s and ratios.
// Env: BENCH_IMAGES (2000), BENCH_BATCH (8), BENCH_PEER_BATCH (50), BENCH_THREADS (all cores), BENCH_MODE (legacy-pytorch),
// BENCH_PYTHON (/usr/bin/python3), BENCH_DIR (.bench), GENMETRICS_MODEL_DIR (../shared/models).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const sharp = require('sharp');
const gm = require('../../dist');
const { openSession, ort } = require('../../dist/models/session');

const N = Number(process.env.BENCH_IMAGES || 2000);
const BATCH = Number(process.env.BENCH_BATCH || 8); // genmetrics' CPU default
const PEER_BATCH = Number(process.env.BENCH_PEER_BATCH || 50); // pytorch-fid's default
const THREADS = Number(process.env.BENCH_THREADS || os.availableParallelism());
const MODE = process.env.BENCH_MODE || 'legacy-pytorch';
const PY = process.env.BENCH_PYTHON || '/usr/bin/python3';
const DIR = path.resolve(process.env.BENCH_DIR || path.join(__dirname, '..', '..', '.bench'));
const GMAC_PER_IMAGE = 5.711; // convolutions of the FID Inception at 299 x 299 (2 flops per MAC)
process.env.GENMETRICS_MODEL_DIR ||= path.join(__dirname, '..', '..', '..', 'shared', 'models');

/** 256 x 256 PNGs with smooth structure and noise, generated once per N. */
async function makeImages() {
  const dir = path.join(DIR, `images-256-${N}`);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length === N) return dir;
  fs.mkdirSync(dir, { recursive: true });
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let i = 0; i < N; i++) {
    const px = Buffer.alloc(256 * 256 * 3);
    const f = [rnd() * 0.1, rnd() * 0.1, rnd() * 0.1];
    for (let y = 0; y < 256; y++)
      for (let x = 0; x < 256; x++)
        for (let c = 0; c < 3; c++) px[(y * 256 + x) * 3 + c] = 127 + 100 * Math.sin(f[c] * x + f[(c + 1) % 3] * y) + 27 * (rnd() - 0.5);
    await sharp(px, { raw: { width: 256, height: 256, channels: 3 } }).png().toFile(path.join(dir, `${String(i).padStart(5, '0')}.png`));
  }
  return dir;
}

async function bareNetwork(dir, model) {
  const s = await openSession(model, { device: 'cpu', threads: THREADS });
  const files = fs.readdirSync(dir).sort().map((f) => path.join(dir, f));
  let net = 0;
  for (let i = 0; i < files.length; i += BATCH) {
    const imgs = await Promise.all(files.slice(i, i + BATCH).map(gm.decodeImage));
    const x = await gm.preprocessImages(imgs, { mode: MODE });
    const t = process.hrtime.bigint();
    await s.session.run({ input: new (ort().Tensor)('float32', x, [imgs.length, 3, 299, 299]) });
    net += Number(process.hrtime.bigint() - t) / 1e9;
  }
  await s.session.release();
  return net;
}

async function main() {
  const dir = await makeImages();
  const model = gm.resolveModel('inception-fid-twin');
  console.log(`images: ${N} x 256x256 PNG, batch ${BATCH} (PyTorch ${PEER_BATCH}), ${THREADS} threads, mode ${MODE}, model ${model.name}`);

  const bare = await bareNetwork(dir, model);
  const t = process.hrtime.bigint();
  const files = await gm.extractFeatureFiles(dir, { model: model.name, mode: MODE, batchSize: BATCH, threads: THREADS, cache: false, device: 'cpu' });
  const e2e = Number(process.hrtime.bigint() - t) / 1e9;
  files.dispose();

  const py = spawnSync(PY, [path.join(__dirname, 'torch_inception.py'), dir, model.path, String(PEER_BATCH), String(THREADS)], {
    encoding: 'utf8',
    env: require('./peer_env').peerEnv(PY, THREADS).env, // the same threads, OpenBLAS on its best kernel
  });
  if (py.status !== 0) throw new Error(`torch peer failed: ${py.stderr}`);
  const peer = JSON.parse(py.stdout.trim().split('\n').pop());

  const rate = (sec) => N / sec;
  const gflops = (sec) => (rate(sec) * 2 * GMAC_PER_IMAGE).toFixed(0);
  const row = (name, sec) => console.log(`${name.padEnd(44)} ${rate(sec).toFixed(1).padStart(6)} img/s  ${gflops(sec).padStart(4)} GFLOP/s`);
  row('genmetrics end to end (decode+resize+network)', e2e);
  row('onnxruntime network only, same batches', bare);
  row('PyTorch 1.13 pipeline (pytorch-fid, CPU)', peer.seconds);
  row('PyTorch 1.13 network only', peer.network_seconds);
  console.log(`end to end / bare network: ${(bare / e2e * 100).toFixed(1)}%   (target >= 95%)`);
  console.log(`genmetrics vs PyTorch pipeline: ${(peer.seconds / e2e).toFixed(2)}x   (target >= 1.5x); vs PyTorch network only: ${(peer.network_seconds / e2e).toFixed(2)}x`);
  console.log(`sgemm peak (NumPy/OpenBLAS, same run): ${peer.sgemm_gflops.toFixed(0)} GFLOP/s; genmetrics reaches ${((rate(e2e) * 2 * GMAC_PER_IMAGE) / peer.sgemm_gflops * 100).toFixed(0)}% of it`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
