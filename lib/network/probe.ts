/**
 * Linear probe of a network's intermediate features (the DCGAN paper's test of discriminator
 * features, Radford et al. 2016): chosen tensors of an ONNX model are exposed as outputs, each is
 * adaptive-max-pooled to pool x pool (PyTorch's bins: floor(i H / p) .. ceil((i + 1) H / p)),
 * flattened in C order and concatenated; a linear L2-SVM (squared hinge, one-vs-rest, dual
 * coordinate descent as LIBLINEAR) is trained on them and scored by accuracy.
 */
import * as fs from 'fs';
import { PROBE_BATCH, PROBE_C, PROBE_MAX_ITER, PROBE_POOL, PROBE_SEED, PROBE_TOL } from '../defaults';
import { GenmetricsError, OptionError } from '../errors';
import { adaptiveMaxPool } from '../stats/adaptive-pool';
import { decodeOnnx, withOutputs } from '../models/onnx-proto';
import { OnnxModel } from '../models/onnx-model';
import type { Device } from '../models/session';
import { native } from '../native';

export interface ProbeData {
  /** N x ... float32 inputs in the model's layout. */
  x: Float32Array;
  rows: number;
  itemShape: number[];
  labels: ArrayLike<number>;
  source: string;
}

export interface ProbeOptions {
  model: string;
  layers: string[];
  pool?: number;
  /** SVM regularisation (scikit-learn's C, default 1). */
  c?: number;
  tol?: number;
  maxIter?: number;
  seed?: number;
  batchSize?: number;
  threads?: number;
  device?: Device;
  onProgress?: (done: number, total: number) => void;
}

/** The model with the named tensors added as outputs (after checking they exist). */
async function openProbe(o: ProbeOptions): Promise<OnnxModel> {
  if (o.layers.length === 0) throw new OptionError('layers', 'name at least one layer (an ONNX tensor name)');
  const bytes = fs.readFileSync(o.model);
  let graph;
  try {
    graph = decodeOnnx(bytes).graph;
  } catch (err) {
    throw new GenmetricsError(`${o.model}: not a readable ONNX model (${err instanceof Error ? err.message : String(err)})`);
  }
  const values = new Set((graph?.node ?? []).flatMap((nd) => nd.output ?? []));
  const missing = o.layers.filter((l) => !values.has(l));
  if (missing.length) {
    const shown = [...values].slice(0, 12).join(', ');
    throw new GenmetricsError(`${o.model}: no tensor named ${missing.join(', ')}; the graph's node outputs include ${shown}${values.size > 12 ? ', ...' : ''}`);
  }
  const net = await OnnxModel.open(o.model, { device: o.device, threads: o.threads, bytes: withOutputs(bytes, o.layers) });
  await net.expect('a one-input network', { oneInput: true });
  return net;
}

async function pooledFeatures(net: OnnxModel, data: ProbeData, o: ProbeOptions): Promise<{ features: Float32Array; dims: number }> {
  const p = o.pool ?? PROBE_POOL;
  let features = new Float32Array(0);
  let dims = 0;
  const x = { data: data.x, rows: data.rows, itemShape: data.itemShape };
  await net.runRows(
    x,
    o.layers,
    o.batchSize ?? PROBE_BATCH,
    (out, r0, rows) => {
      const parts = o.layers.map((l) => {
        const v = out[l];
        if (v.dims.length !== 4) throw new GenmetricsError(`${o.model}: tensor ${l} has shape (${v.dims.join(', ')}); pooling needs N x C x H x W`);
        const [, c, h, w] = v.dims;
        return { c, data: adaptiveMaxPool(v.data, rows, c, h, w, p) };
      });
      const width = parts.reduce((s, q) => s + q.c * p * p, 0);
      if (r0 === 0) {
        dims = width;
        features = new Float32Array(data.rows * dims);
      }
      for (let i = 0; i < rows; i++) {
        let off = (r0 + i) * dims;
        for (const q of parts) {
          const len = q.c * p * p;
          features.set(q.data.subarray(i * len, (i + 1) * len), off);
          off += len;
        }
      }
    },
    o.onProgress,
  );
  return { features, dims };
}

function checkPool(o: ProbeOptions): void {
  const p = o.pool ?? PROBE_POOL;
  if (!Number.isInteger(p) || p < 1) throw new OptionError('pool', `pool must be a positive integer, got ${p}`);
}

/** The pooled, concatenated features of every input row (N x sum_l C_l p^2, float32). */
export async function probeFeatures(data: ProbeData, o: ProbeOptions): Promise<{ features: Float32Array; dims: number }> {
  checkPool(o);
  const net = await openProbe(o);
  try {
    return await pooledFeatures(net, data, o);
  } finally {
    await net.release();
  }
}

export interface ProbeResult {
  trainAccuracy: number;
  testAccuracy: number;
  dims: number;
  classes: number[];
  iterations: number[];
  trainFeatures: Float32Array;
  testFeatures: Float32Array;
}

/** Trains the linear SVM on the train set's pooled features and scores both sets. */
export async function linearProbe(train: ProbeData, test: ProbeData, o: ProbeOptions): Promise<ProbeResult> {
  const classes = [...new Set(Array.from(train.labels))].sort((a, b) => a - b);
  if (classes.length < 2) throw new GenmetricsError(`${train.source}: the training labels hold ${classes.length} class; a classifier needs at least 2`);
  const index = new Map(classes.map((c, i) => [c, i]));
  checkPool(o);
  const net = await openProbe(o);
  let f;
  let g;
  try {
    f = await pooledFeatures(net, train, o);
    g = await pooledFeatures(net, test, o);
  } finally {
    await net.release();
  }
  const y = Int32Array.from(train.labels, (v) => index.get(v)!);
  const r = await native().linearSvm(f.features, train.rows, y, classes.length, { c: o.c ?? PROBE_C, tol: o.tol ?? PROBE_TOL, maxIter: o.maxIter ?? PROBE_MAX_ITER, seed: o.seed ?? PROBE_SEED, threads: o.threads ?? 0 }, g.features, test.rows);
  const acc = (pred: Int32Array, labels: ArrayLike<number>) => {
    let ok = 0;
    for (let i = 0; i < pred.length; i++) if (classes[pred[i]] === labels[i]) ok++;
    return ok / pred.length;
  };
  return {
    trainAccuracy: acc(r.trainPred, train.labels),
    testAccuracy: acc(r.testPred!, test.labels),
    dims: f.dims,
    classes,
    iterations: Array.from(r.iterations),
    trainFeatures: f.features,
    testFeatures: g.features,
  };
}
