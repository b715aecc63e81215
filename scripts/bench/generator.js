#!/usr/bin/env node
// npm run bench:generator: generator -> Inception features, streamed (genmetrics' pipeline: the next
// batch is generated while the network runs on the current one), against the two onnxruntime
// sessions run back to back on the same batches without the pipeline (target: the pipeline keeps
// >= 90% of that throughput), and against torch-fidelity's generator path in Debian's PyTorch
// (scripts/bench/torch_generator.py) on the same DCGAN twin. Prints samples/s and ratios.
// Env: BENCH_SAMPLES (1000), BENCH_BATCH (8), BENCH_PEER_BATCH (64, torch-fidelity's), BENCH_THREADS
// (all cores), BENCH_PYTHON (/usr/bin/python3), BENCH_DIR (.bench), GENMETRICS_MODEL_DIR (../shared/models).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const gm = require('../../dist');
const { openSession, ort } = require('../../dist/models/session');

const N = Number(process.env.BENCH_SAMPLES || 1000);
const BATCH = Number(process.env.BENCH_BATCH || 8);
const PEER_BATCH = Number(process.env.BENCH_PEER_BATCH || 64);
const THREADS = Number(process.env.BENCH_THREADS || os.availableParallelism());
const PY = process.env.BENCH_PYTHON || '/usr/bin/python3';
const DIR = path.resolve(process.env.BENCH_DIR || path.join(__dirname, '..', '..', '.bench'));
const MODE = 'legacy-pytorch';
process.env.GENMETRICS_MODEL_DIR ||= path.join(__dirname, '..', '..', '..', 'shared', 'models');

function python(args) {
  const r = spawnSync(PY, [path.join(__dirname, 'torch_generator.py'), ...args], { encoding: 'utf8', env: require('./peer_env').peerEnv(PY, THREADS).env });
  if (r.status !== 0) throw new Error(`torch_generator.py ${args[0]} failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').pop();
}

/** The generator and the Inception network called one after the other, batch by batch. */
async function backToBack(generator, model) {
  const g = await gm.Generator.open({ generator, samples: N, seed: 2020 }, { device: 'cpu', threads: THREADS });
  const net = await openSession(model, { device: 'cpu', threads: THREADS });
  const stream = g.latents();
  const t = process.hrtime.bigint();
  let genS = 0;
  for (let i = 0; i < N; i += BATCH) {
    const t0 = process.hrtime.bigint();
    const images = await g.images(stream.next(Math.min(BATCH, N - i)));
    genS += Number(process.hrtime.bigint() - t0) / 1e9;
    const x = await gm.preprocessImages(images, { mode: MODE, threads: 1 });
    await net.session.run({ input: new (ort().Tensor)('float32', x, [images.length, 3, 299, 299]) });
  }
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  await g.release();
  await net.session.release();
  return { seconds, generatorSeconds: genS };
}

async function main() {
  fs.mkdirSync(DIR, { recursive: true });
  const generator = path.join(DIR, 'dcgan64.onnx');
  if (!fs.existsSync(generator)) python(['export', generator]);
  const model = gm.resolveModel('inception-fid-twin');
  console.log(`generator: DCGAN z 128 -> 3 x 64 x 64 (${path.basename(generator)}), ${N} samples, batch ${BATCH} (PyTorch ${PEER_BATCH}), ${THREADS} threads, mode ${MODE}, ${model.name}`);

  const separate = await backToBack(generator, model);
  const t = process.hrtime.bigint();
  const source = await gm.openGeneratorSource({ generator, samples: N, seed: 2020 }, { device: 'cpu', threads: THREADS });
  const files = await gm.extractFeatureFiles(source, { model: model.name, mode: MODE, batchSize: BATCH, threads: THREADS, cache: false, device: 'cpu' });
  const piped = Number(process.hrtime.bigint() - t) / 1e9;
  files.dispose();
  const peer = JSON.parse(python(['run', String(N), String(PEER_BATCH), String(THREADS), model.path]));

  const row = (name, sec) => console.log(`${name.padEnd(52)} ${(N / sec).toFixed(1).padStart(6)} samples/s`);
  row('genmetrics pipeline (generator -> resize -> Inception)', piped);
  row('the two onnxruntime sessions back to back', separate.seconds);
  row("torch-fidelity's generator path, PyTorch 1.13 (CPU)", peer.seconds);
  console.log(`generator share of the back-to-back time: ${((separate.generatorSeconds / separate.seconds) * 100).toFixed(1)}%`);
  console.log(`pipeline / back to back: ${((separate.seconds / piped) * 100).toFixed(1)}%   (target >= 90%)`);
  console.log(`genmetrics vs torch-fidelity's path: ${(peer.seconds / piped).toFixed(2)}x`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
