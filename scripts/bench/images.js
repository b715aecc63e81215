#!/usr/bin/env node
// npm run bench:images: images -> Inception features, end to end (decode, resize, network) against the
// bare onnxruntime network on the same batches and against pytorch-fid's CPU pipeline in Debian's
// PyTorch (scripts/bench/torch_inception.py), in one run on the same images. Prints img/s and ratios.
// The shared host's speed moves by 10-20% within a minute, more than the gap being measured, so the
// images are cut into chunks of BENCH_CHUNK and the three are interleaved chunk by chunk (which one
// goes first rotates); each ratio is of the sums. Ours share one session, opened once (its opening
// is counted in the end-to-end time), as one extraction of all the images would; the peer runs one
// untimed batch first in each of its processes, and measures the sgemm rate after each chunk.
// Env: BENCH_IMAGES (2000), BENCH_CHUNK (200), BENCH_BATCH (8), BENCH_PEER_BATCH (50), BENCH_THREADS (all cores),
// BENCH_MODE (legacy-pytorch), BENCH_PYTHON (/usr/bin/python3), BENCH_DIR (.bench), GENMETRICS_MODEL_DIR (../shared/models).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const sharp = require('sharp');
const gm = require('../../dist');
const { ModelPool } = require('../../dist/models/model-pool');
const { rotated } = require('./interleave');

const N = Number(process.env.BENCH_IMAGES || 2000);
const CHUNK = Number(process.env.BENCH_CHUNK || 200);
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

/** The images cut into folders of CHUNK (hard links, or copies where links fail), made once per N and CHUNK: their paths. */
function chunks(dir) {
  const files = fs.readdirSync(dir).sort();
  const root = path.join(DIR, `images-256-${N}-chunks-${CHUNK}`);
  const out = [];
  for (let c = 0; c * CHUNK < files.length; c++) {
    const sub = path.join(root, String(c).padStart(3, '0'));
    const part = files.slice(c * CHUNK, (c + 1) * CHUNK);
    if (!fs.existsSync(sub) || fs.readdirSync(sub).length !== part.length) {
      fs.rmSync(sub, { recursive: true, force: true });
      fs.mkdirSync(sub, { recursive: true });
      for (const f of part) {
        try {
          fs.linkSync(path.join(dir, f), path.join(sub, f));
        } catch {
          fs.copyFileSync(path.join(dir, f), path.join(sub, f));
        }
      }
    }
    out.push(sub);
  }
  return out;
}

const seconds = (t) => Number(process.hrtime.bigint() - t) / 1e9;

/** The network alone on the chunk's batches: decoded and resized beforehand, only the runs timed. */
async function bareNetwork(dir, model, pool) {
  const lent = await pool.borrow(model, { device: 'cpu', threads: THREADS });
  try {
    const files = fs.readdirSync(dir).sort().map((f) => path.join(dir, f));
    let net = 0;
    for (let i = 0; i < files.length; i += BATCH) {
      const imgs = await Promise.all(files.slice(i, i + BATCH).map(gm.decodeImage));
      const x = await gm.preprocessImages(imgs, { mode: MODE });
      const t = process.hrtime.bigint();
      await lent.net.run({ input: { data: x, dims: [imgs.length, 3, 299, 299] } }, ['pool3', 'logits_unbiased']);
      net += seconds(t);
    }
    return net;
  } finally {
    lent.giveBack();
  }
}

/** The whole extraction of the chunk (decode, resize, network, the .npy files written). */
async function endToEnd(dir, model, pool) {
  const t = process.hrtime.bigint();
  const files = await gm.extractFeatureFiles(dir, { model: model.name, mode: MODE, batchSize: BATCH, threads: THREADS, cache: false, device: 'cpu', models: pool });
  const s = seconds(t);
  files.dispose();
  return s;
}

async function main() {
  const dir = await makeImages();
  const model = gm.resolveModel('inception-fid-twin');
  const parts = chunks(dir);
  console.log(`images: ${N} x 256x256 PNG in ${parts.length} interleaved chunks of ${CHUNK}, batch ${BATCH} (PyTorch ${PEER_BATCH}), ${THREADS} threads, mode ${MODE}, model ${model.name}`);

  const pool = new ModelPool(1);
  const t0 = process.hrtime.bigint();
  (await pool.borrow(model, { device: 'cpu', threads: THREADS })).giveBack();
  const open = seconds(t0);
  const peerEnv = require('./peer_env').peerEnv(PY, THREADS).env; // the same threads, OpenBLAS on its best kernel
  const torchPipeline = (dir) => {
    const py = spawnSync(PY, [path.join(__dirname, 'torch_inception.py'), dir, model.path, String(PEER_BATCH), String(THREADS)], { encoding: 'utf8', env: peerEnv });
    if (py.status !== 0) throw new Error(`torch peer failed: ${py.stderr}`);
    return JSON.parse(py.stdout.trim().split('\n').pop());
  };
  let bare = 0;
  let e2e = open;
  const peer = { seconds: 0, network_seconds: 0, sgemm: [] };
  const ratios = [];
  for (const [c, part] of parts.entries()) {
    let b, e;
    const steps = [
      async () => (b = await bareNetwork(part, model, pool)),
      async () => (e = await endToEnd(part, model, pool)),
      async () => {
        const p = torchPipeline(part);
        peer.seconds += p.seconds;
        peer.network_seconds += p.network_seconds;
        peer.sgemm.push(p.sgemm_gflops);
      },
    ];
    await rotated(c, steps);
    bare += b;
    e2e += e;
    ratios.push(b / e);
  }
  await pool.close();
  const sgemm = peer.sgemm.reduce((a, b) => a + b, 0) / peer.sgemm.length;
  const pct = (x) => `${(100 * x).toFixed(1)}%`;
  console.log(`session opened in ${open.toFixed(2)} s; per chunk, end to end / bare: ${pct(Math.min(...ratios))} to ${pct(Math.max(...ratios))} (median ${pct([...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)])})`);

  const rate = (sec) => N / sec;
  const gflops = (sec) => (rate(sec) * 2 * GMAC_PER_IMAGE).toFixed(0);
  const row = (name, sec) => console.log(`${name.padEnd(44)} ${rate(sec).toFixed(1).padStart(6)} img/s  ${gflops(sec).padStart(4)} GFLOP/s`);
  row('genmetrics end to end (decode+resize+network)', e2e);
  row('onnxruntime network only, same batches', bare);
  row('PyTorch 1.13 pipeline (pytorch-fid, CPU)', peer.seconds);
  row('PyTorch 1.13 network only', peer.network_seconds);
  console.log(`end to end / bare network: ${(bare / e2e * 100).toFixed(1)}%   (target >= 95%)`);
  console.log(`genmetrics vs PyTorch pipeline: ${(peer.seconds / e2e).toFixed(2)}x   (target >= 1.5x); vs PyTorch network only: ${(peer.network_seconds / e2e).toFixed(2)}x`);
  console.log(`sgemm (NumPy/OpenBLAS, mean of ${peer.sgemm.length} measurements between the chunks): ${sgemm.toFixed(0)} GFLOP/s (${Math.min(...peer.sgemm).toFixed(0)} to ${Math.max(...peer.sgemm).toFixed(0)}); genmetrics reaches ${((rate(e2e) * 2 * GMAC_PER_IMAGE) / sgemm * 100).toFixed(0)}% of it`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
