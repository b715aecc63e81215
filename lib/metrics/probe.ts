/**
 * Linear probe of a network's intermediate features (the DCGAN paper's test of discriminator
 * features, Radford et al. 2016): chosen tensors of an ONNX model are exposed as outputs, each is
 * adaptive-max-pooled to pool x pool (PyTorch's bins: floor(i H / p) .. ceil((i + 1) H / p)),
 * flattened in C order and concatenated; a linear L2-SVM (squared hinge, one-vs-rest, dual
 * coordinate descent as LIBLINEAR) is trained on them and scored by accuracy.
 */
import * as fs from 'fs';
import { GenmetricsError } from '../errors';
import { decodeOnnx, withOutputs } from '../models/onnx-proto';
import { resolveModel } from '../models/registry';
import { openSession, ort, type Device, type ModelSession } from '../models/session';
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

/** Max over PyTorch's adaptive bins of each channel: n x c x h x w -> n x c x p x p. */
export function adaptiveMaxPool(a: Float32Array, n: number, c: number, h: number, w: number, p: number): Float32Array {
  const out = new Float32Array(n * c * p * p);
  const bin = (i: number, size: number): [number, number] => [Math.floor((i * size) / p), Math.ceil(((i + 1) * size) / p)];
  for (let q = 0; q < n * c; q++) {
    const plane = a.subarray(q * h * w, (q + 1) * h * w);
    for (let i = 0; i < p; i++) {
      const [r0, r1] = bin(i, h);
      for (let j = 0; j < p; j++) {
        const [c0, c1] = bin(j, w);
        let m = -Infinity;
        for (let r = r0; r < r1; r++) for (let s = c0; s < c1; s++) m = Math.max(m, plane[r * w + s]);
        out[q * p * p + i * p + j] = m;
      }
    }
  }
  return out;
}

type Session = ModelSession['session'];

/** A session of the model with the named tensors added as outputs (after checking they exist). */
async function openProbe(o: ProbeOptions): Promise<Session> {
  if (o.layers.length === 0) throw new GenmetricsError('name at least one layer (an ONNX tensor name)');
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
  const { session } = await openSession(resolveModel(o.model), { device: o.device, threads: o.threads, bytes: withOutputs(bytes, o.layers) });
  if (session.inputNames.length !== 1) {
    await session.release();
    throw new GenmetricsError(`${o.model}: the model must have one input, it has [${session.inputNames.join(', ')}]`);
  }
  return session;
}

async function pooledFeatures(session: Session, data: ProbeData, o: ProbeOptions): Promise<{ features: Float32Array; dims: number }> {
  const p = o.pool ?? 4;
  const input = session.inputNames[0];
  const per = data.itemShape.reduce((a, b) => a * b, 1);
  const batch = o.batchSize ?? 256;
  let features = new Float32Array(0);
  let dims = 0;
  for (let r0 = 0; r0 < data.rows; r0 += batch) {
    const rows = Math.min(batch, data.rows - r0);
    const t = new (ort().Tensor)('float32', data.x.subarray(r0 * per, (r0 + rows) * per), [rows, ...data.itemShape]);
    const out = await session.run({ [input]: t }, o.layers);
    const parts = o.layers.map((l) => {
      const v = out[l];
      if (v.dims.length !== 4) throw new GenmetricsError(`${o.model}: tensor ${l} has shape (${v.dims.join(', ')}); pooling needs N x C x H x W`);
      const [, c, h, w] = v.dims as number[];
      return { c, data: adaptiveMaxPool(v.data as Float32Array, rows, c, h, w, p) };
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
    o.onProgress?.(r0 + rows, data.rows);
  }
  return { features, dims };
}

function checkPool(o: ProbeOptions): void {
  const p = o.pool ?? 4;
  if (!Number.isInteger(p) || p < 1) throw new GenmetricsError(`pool must be a positive integer, got ${p}`);
}

/** The pooled, concatenated features of every input row (N x sum_l C_l p^2, float32). */
export async function probeFeatures(data: ProbeData, o: ProbeOptions): Promise<{ features: Float32Array; dims: number }> {
  checkPool(o);
  const session = await openProbe(o);
  try {
    return await pooledFeatures(session, data, o);
  } finally {
    await session.release();
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
  const session = await openProbe(o);
  let f;
  let g;
  try {
    f = await pooledFeatures(session, train, o);
    g = await pooledFeatures(session, test, o);
  } finally {
    await session.release();
  }
  const y = Int32Array.from(train.labels, (v) => index.get(v)!);
  const r = await native().linearSvm(f.features, train.rows, y, classes.length, { c: o.c ?? 1, tol: o.tol ?? 1e-4, maxIter: o.maxIter ?? 10000, seed: o.seed ?? 0, threads: o.threads ?? 0 }, g.features, test.rows);
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
