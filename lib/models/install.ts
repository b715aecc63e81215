/**
 * The real weights without Python: `genmetrics models install inception-v3-fid` (and the LPIPS networks) turns pytorch-fid's
 * published checkpoint (pt_inception-2015-12-05-6726825d.pth, pinned by SHA-256) into the ONNX
 * file genmetrics runs. The graph ships with the package without weights
 * (lib/models/graphs/inception-v3-fid.graph.onnx, the exported architecture); the checkpoint's
 * tensors are read without executing its pickle, each BasicConv2d's batch norm is folded into its
 * convolution as torch's ONNX export folds it (w * g / sqrt(v + eps); b - m * g / sqrt(v + eps),
 * eps = 0.001, in float32), and the result is checked by running it before it is moved into place.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { GenmetricsError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import { decodeOnnx, withInitializers } from './onnx-proto';
import { float32Tensor, readCheckpoint, type Checkpoint } from './torch-checkpoint';

const GRAPHS = path.join(__dirname, '..', '..', 'lib', 'models', 'graphs');
const BN_EPS = 0.001;

// The graph's module path blocks.B.J (pytorch-fid's InceptionV3.blocks) -> the checkpoint's names.
const BLOCKS = [
  ['Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3'],
  ['Conv2d_3b_1x1', 'Conv2d_4a_3x3'],
  ['Mixed_5b', 'Mixed_5c', 'Mixed_5d', 'Mixed_6a', 'Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e'],
  ['Mixed_7a', 'Mixed_7b', 'Mixed_7c'],
];

/** The initializers the graph expects (name -> dims), from its metadata. */
function expected(graph: Uint8Array): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const p of decodeOnnx(graph).metadata_props ?? []) {
    if (!p.key?.startsWith('initializer:')) continue;
    out.set(p.key.slice('initializer:'.length), (p.value ?? '').split(':')[1].split(',').filter(Boolean).map(Number));
  }
  return out;
}

/** The FID Inception's ONNX bytes from pytorch-fid's checkpoint (read from `bytes`, named `file` in errors). */
export function inceptionOnnx(file: string, bytes: Uint8Array): Buffer {
  const graph = fs.readFileSync(path.join(GRAPHS, 'inception-v3-fid.graph.onnx'));
  const dims = expected(graph);
  let c: Checkpoint;
  c = readCheckpoint(file, bytes, true);
  if (!c.tensors.some((t) => t.name === 'Mixed_7c.branch_pool.conv.weight')) {
    throw new GenmetricsError(
      `${file}: not pytorch-fid's Inception checkpoint (no 'Mixed_7c.branch_pool.conv.weight'); expected pt_inception-2015-12-05-6726825d.pth. ` +
        "TTUR's classify_image_graph_def.pb (TensorFlow) is not read: pytorch-fid's .pth holds the same weights converted",
    );
  }
  const tensors: { name: string; dims: number[]; data: Float32Array }[] = [];
  const want = (name: string) => {
    const d = dims.get(name);
    if (!d) throw new GenmetricsError(`the packaged graph has no initializer '${name}'`);
    return d;
  };
  const f32 = Math.fround;
  for (const node of decodeOnnx(graph).graph?.node ?? []) {
    if (node.op_type === 'Conv') {
      const m = /^\/body\/blocks\.(\d+)\/blocks\.\d+\.(\d+)\/(?:(.+)\/)?conv\/Conv$/.exec(node.name ?? '');
      if (!m) throw new GenmetricsError(`the packaged graph has an unexpected convolution '${node.name}'`);
      const prefix = [BLOCKS[Number(m[1])][Number(m[2])], ...(m[3] ? [m[3].replace(/\//g, '.')] : [])].join('.');
      const [wName, bName] = [node.input![1], node.input![2]];
      const wDims = want(wName);
      const w = float32Tensor(file, c, `${prefix}.conv.weight`, wDims);
      const out = wDims[0];
      const [g, b, mean, v] = ['weight', 'bias', 'running_mean', 'running_var'].map((k) => float32Tensor(file, c, `${prefix}.bn.${k}`, [out]));
      const per = w.length / out;
      const folded = new Float32Array(w.length);
      const bias = new Float32Array(out);
      for (let o = 0; o < out; o++) {
        const scale = f32(g[o] / f32(Math.sqrt(f32(v[o] + f32(BN_EPS)))));
        for (let i = 0; i < per; i++) folded[o * per + i] = f32(w[o * per + i] * scale);
        bias[o] = f32(f32(f32(0 - mean[o]) * scale) + b[o]);
      }
      tensors.push({ name: wName, dims: wDims, data: folded }, { name: bName, dims: want(bName), data: bias });
    } else if (node.op_type === 'MatMul') {
      // pool3 (N x 2048) times fc.weight^T (2048 x 1008).
      const name = node.input![1];
      const [k, n] = want(name);
      const w = float32Tensor(file, c, 'fc.weight', [n, k]);
      const t = new Float32Array(k * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) t[j * n + i] = w[i * k + j];
      tensors.push({ name, dims: [k, n], data: t });
    } else if (node.op_type === 'Add' && node.input?.includes('fc.bias')) {
      tensors.push({ name: 'fc.bias', dims: want('fc.bias'), data: float32Tensor(file, c, 'fc.bias', want('fc.bias')) });
    }
  }
  const missing = [...dims.keys()].filter((n) => !tensors.some((t) => t.name === n));
  if (missing.length) throw new GenmetricsError(`${file}: no weights for ${missing.length} of the graph's initializers (${missing.slice(0, 3).join(', ')})`);
  return withInitializers(graph, tensors);
}

/**
 * LPIPS v0.1 from the lpips package's linear layers (<net>.pth: lin<k>.model.1.weight) and
 * torchvision's ImageNet trunk (features.<i>.*), into the packaged graph of that net: its
 * net.slice<k>.<rest> is the trunk's features.<rest> (scripts/lpips_net.py, trunk_state), and the
 * scaling layer's constants come with the graph.
 */
export function lpipsOnnx(net: 'alex' | 'vgg' | 'squeeze', lin: { file: string; bytes: Uint8Array }, trunk: { file: string; bytes: Uint8Array }): Buffer {
  const graph = fs.readFileSync(path.join(GRAPHS, `lpips-${net}.graph.onnx`));
  const dims = expected(graph);
  const linC = readCheckpoint(lin.file, lin.bytes, true);
  const trunkC = readCheckpoint(trunk.file, trunk.bytes, true);
  if (!linC.tensors.some((t) => t.name === 'lin0.model.1.weight')) {
    throw new GenmetricsError(`${lin.file}: not the lpips package's ${net}.pth (no 'lin0.model.1.weight')`);
  }
  if (!trunkC.tensors.some((t) => t.name === 'features.0.weight')) {
    throw new GenmetricsError(`${trunk.file}: not torchvision's ${net} weights (no 'features.0.weight')`);
  }
  const tensors = [...dims].map(([name, d]) => {
    const slice = /^net\.slice\d+\.(.+)$/.exec(name);
    if (slice) return { name, dims: d, data: float32Tensor(trunk.file, trunkC, `features.${slice[1]}`, d) };
    if (/^lin\d\.model\.1\.weight$/.test(name)) return { name, dims: d, data: float32Tensor(lin.file, linC, name, d) };
    throw new GenmetricsError(`the packaged LPIPS graph has an unexpected initializer '${name}'`);
  });
  return withInitializers(graph, tensors);
}

export const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Writes an installed model and its `.sha256` beside it (each atomically). */
export function writeModel(file: string, bytes: Uint8Array): string {
  const sha = sha256Of(bytes);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, bytes);
  writeFileAtomic(`${file}.sha256`, Buffer.from(`${sha}  ${path.basename(file)}\n`));
  return sha;
}
