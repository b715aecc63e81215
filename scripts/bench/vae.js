#!/usr/bin/env node
// npm run bench:vae: (1) IWAE throughput, data points x K importance samples per second, on the
// two VAE fixtures (../shared/fixtures/vae); (2) the linear probe's SVM against scikit-learn's
// LinearSVC (Debian's python3-sklearn, C=1, max_iter=10000, as the fixture's reference) on the
// same pooled float64 features of the DCGAN discriminator, in the same run.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { readNpy, writeNpy } = require('../../dist/io/npy');
const { evaluateVae } = require('../../dist/vae/evaluate');
const { readVaeData } = require('../../dist/vae/data');
const { probeFeatures } = require('../../dist/network/probe');
const { native } = require('../../dist/native');

const SHARED = path.resolve(process.env.SHARED_DIR || path.join(__dirname, '..', '..', '..', 'shared'));
const VAE = path.join(SHARED, 'fixtures', 'vae');
const K = Number(process.env.BENCH_IWAE_K || 1000);
const PY = process.env.BENCH_PYTHON || '/usr/bin/python3';
const DIR = path.resolve(process.env.BENCH_DIR || path.join(__dirname, '..', '..', '.bench'));

async function iwae() {
  for (const [set, data] of [['linear_gaussian', 'x_500x16.npy'], ['bernoulli_mlp', 'x_400x64.npy']]) {
    const x = readVaeData(path.join(VAE, set, data));
    const t = process.hrtime.bigint();
    const r = await evaluateVae(x, { encoder: path.join(VAE, set, 'encoder.onnx'), decoder: path.join(VAE, set, 'decoder.onnx'), k: K });
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    console.log(`  IWAE ${set} (${r.points} points x K = ${K}, D = ${r.dims}, L = ${r.latent}): ${s.toFixed(2)} s, ${((r.points * K) / s / 1e3).toFixed(0)}k point-samples/s`);
  }
}

async function probe() {
  const dc = path.join(VAE, 'dcgan_mnist');
  const layers = JSON.parse(fs.readFileSync(path.join(VAE, 'expected.json'), 'utf8')).dcgan_mnist_model_size.discriminator.onnx_activation_tensors;
  const sets = {};
  for (const s of ['train', 'test']) {
    const a = readNpy(path.join(dc, `probe_${s}_x.npy`));
    const y = readNpy(path.join(dc, `probe_${s}_y.npy`)).data;
    const f = await probeFeatures({ x: a.data, rows: a.shape[0], itemShape: a.shape.slice(1), labels: y, source: s }, { model: path.join(dc, 'discriminator.onnx'), layers });
    const file = path.join(DIR, `probe_${s}_features.npy`);
    writeNpy(file, { dtype: 'float64', shape: [a.shape[0], f.dims], data: Float64Array.from(f.features) });
    sets[s] = { x: Float64Array.from(f.features), rows: a.shape[0], y: Int32Array.from(y), file, yfile: path.join(dc, `probe_${s}_y.npy`) };
  }
  const classes = [...new Set(sets.train.y)].sort((a, b) => a - b);
  const idx = Int32Array.from(sets.train.y, (v) => classes.indexOf(v));
  const t = process.hrtime.bigint();
  const r = await native().linearSvm(sets.train.x, sets.train.rows, idx, classes.length, { c: 1, tol: 1e-4, maxIter: 10000 }, sets.test.x, sets.test.rows);
  const ours = Number(process.hrtime.bigint() - t) / 1e9;
  const acc = (pred, y) => pred.reduce((s, p, i) => s + (classes[p] === y[i] ? 1 : 0), 0) / y.length;
  const code = [
    'import json, sys, time, numpy as np',
    'from sklearn.svm import LinearSVC',
    'X, y, Xt, yt = (np.load(f) for f in sys.argv[1:5])',
    't = time.perf_counter(); m = LinearSVC(C=1.0, random_state=0, max_iter=10000).fit(X, y); s = time.perf_counter() - t',
    'print(json.dumps({"seconds": s, "train": m.score(X, y), "test": m.score(Xt, yt)}))',
  ].join('\n');
  const env = require('./peer_env').peerEnv(PY, require('os').availableParallelism()).env; // same threads, best OpenBLAS kernel
  const p = spawnSync(PY, ['-W', 'ignore', '-c', code, sets.train.file, sets.train.yfile, sets.test.file, sets.test.yfile], { encoding: 'utf8', env });
  if (p.status !== 0) throw new Error(`scikit-learn LinearSVC failed: ${p.stderr}`);
  const sk = JSON.parse(p.stdout.trim().split('\n').pop());
  console.log(`  probe SVM (2000 x 3072 float64, 10 classes): genmetrics ${ours.toFixed(1)} s (train ${acc(r.trainPred, sets.train.y)}, test ${acc(r.testPred, sets.test.y)}), scikit-learn LinearSVC ${sk.seconds.toFixed(1)} s (train ${sk.train}, test ${sk.test}) -> ${(sk.seconds / ours).toFixed(2)}x`);
}

async function main() {
  fs.mkdirSync(DIR, { recursive: true });
  console.log(`genmetrics bench:vae: ${os.cpus().length} cores, ${os.cpus()[0].model}`);
  await iwae();
  await probe();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
