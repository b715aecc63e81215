import * as D from '../defaults';
import { GenmetricsError } from '../errors';
import { readNpy } from '../io/npy';
import { readLabels } from '../labels';
import type { Device } from '../models/session';
import { linearProbe, type ProbeData } from '../network/probe';
import { defineCommand } from './descriptor';
import { deviceOption, MAX_BATCH, threadsOf, threadsOption, withProgress, type ThreadsOption } from './common';

export interface ProbeOptions extends ThreadsOption {
  model: string;
  layers: string;
  train: string[];
  test: string[];
  pool: number;
  c: number;
  maxIter: number;
  seed: number;
  batchSize: number;
  device: Device;
}

export interface ProbeCommandResult {
  train_accuracy: number;
  test_accuracy: number;
  feature_dim: number;
  classes: number;
  layers: string[];
  pool: number;
  c: number;
  iterations: number[];
}

/** Inputs X.npy (N x ..., float) and labels Y.npy of one set. */
function loadSet([xf, yf]: string[]): ProbeData {
  const a = readNpy(xf);
  if (a.dtype !== 'float32' && a.dtype !== 'float64') throw new GenmetricsError(`${xf}: expected float32 or float64 inputs, got ${a.dtype}`);
  if (a.shape.length < 2) throw new GenmetricsError(`${xf}: expected N x ... inputs, got shape (${a.shape.join(', ')})`);
  const labels = readLabels(yf);
  if (labels.length !== a.shape[0]) throw new GenmetricsError(`${xf} has ${a.shape[0]} inputs but ${yf} has ${labels.length} labels`);
  const x = a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as Float64Array);
  return { x, rows: a.shape[0], itemShape: a.shape.slice(1), labels, source: xf };
}

export const probeCommand = defineCommand<ProbeOptions, ProbeCommandResult>({
  name: 'probe',
  summary:
    "linear probe of a network's features (as the DCGAN paper's L2-SVM on discriminator features): named tensors of an ONNX model, adaptive-max-pooled to 4x4 and concatenated, a linear L2-SVM (squared hinge, one-vs-rest), train and test accuracy",
  example: 'probe --model disc.onnx --layers h1,h2 --train x_train.npy y_train.npy --test x_test.npy y_test.npy --json',
  inputs: [],
  options: [
    { key: 'model', type: 'string', required: true, help: 'the network (one input)', valueName: '<D.onnx>' },
    { key: 'layers', type: 'string', required: true, help: 'comma-separated ONNX tensor names (N x C x H x W activations)', valueName: '<names>' },
    { key: 'train', type: 'list', arity: 2, required: true, help: 'training inputs X.npy and labels Y.npy', valueName: '<files...>' },
    { key: 'test', type: 'list', arity: 2, required: true, help: 'test inputs X.npy and labels Y.npy', valueName: '<files...>' },
    { key: 'pool', type: 'integer', min: 1, max: 1024, default: D.PROBE_POOL, help: 'adaptive max-pool each map to p x p', valueName: '<p>' },
    { key: 'c', type: 'number', min: 0, exclusiveMin: true, default: D.PROBE_C, help: 'SVM regularisation C (scikit-learn LinearSVC)', valueName: '<C>' },
    { key: 'maxIter', type: 'integer', min: 1, default: D.PROBE_MAX_ITER, help: 'coordinate-descent passes per class', valueName: '<n>' },
    { key: 'seed', type: 'integer', min: 0, max: 2 ** 32 - 1, default: D.PROBE_SEED, help: 'seed of the coordinate order', valueName: '<n>' },
    { key: 'batchSize', type: 'integer', min: 1, max: MAX_BATCH, default: D.PROBE_BATCH, help: 'inputs per network call', valueName: '<n>' },
    deviceOption(D.PROBE_DEVICE),
    threadsOption,
  ],
  async run(_inputs, o, reporter) {
    const threads = threadsOf(o, reporter);
    const layers = o.layers.split(',').map((s) => s.trim()).filter(Boolean);
    const train = loadSet(o.train);
    const test = loadSet(o.test);
    const { model, pool, c, maxIter, seed, batchSize, device } = o;
    const r = await withProgress(reporter, 'features', 'inputs', (bar) =>
      linearProbe(train, test, { model, layers, pool, c, maxIter, seed, batchSize, device, threads, onProgress: (d, t) => bar.update(d, t) }),
    );
    return { train_accuracy: r.trainAccuracy, test_accuracy: r.testAccuracy, feature_dim: r.dims, classes: r.classes.length, layers, pool, c, iterations: r.iterations };
  },
});
