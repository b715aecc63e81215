/**
 * The smallest input an LPIPS network accepts, read from its ONNX graph. Every Conv and pooling
 * layer of the trunk must produce at least one output pixel; below that PyTorch (the lpips
 * package) raises "Output size is too small", while onnxruntime either computes a value from a
 * truncated window that no reference defines or divides by zero on an empty tensor and kills the
 * process with SIGFPE. Derived from the graph, so it covers alex (31 px), vgg (16 px), squeeze
 * (the graph decides) and any compatible export alike.
 */
import * as fs from 'fs';
import { decodeOnnx, type Int64 } from '../models/onnx-proto';

const num = (v: Int64 | undefined | null, dflt: number): number => (v === undefined || v === null ? dflt : typeof v === 'number' ? v : v.toNumber());

interface WindowLayer {
  pool: boolean;
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** ONNX order: begin of each axis, then end of each axis. */
  pads: number[];
  ceil: boolean;
  autoPad: string;
}

interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  window?: WindowLayer;
}

const WINDOW_OPS = new Set(['Conv', 'MaxPool', 'AveragePool', 'LpPool']);

function parseGraph(bytes: Uint8Array): Node[] {
  const model = decodeOnnx(bytes);
  return (model.graph?.node ?? []).map((n) => {
    const op = n.op_type ?? '';
    const node: Node = { op, inputs: n.input ?? [], outputs: n.output ?? [] };
    if (WINDOW_OPS.has(op)) {
      const attr = (name: string) => (n.attribute ?? []).find((a) => a.name === name);
      const ints = (name: string) => (attr(name)?.ints ?? []).map((v) => num(v, 0));
      node.window = {
        pool: op !== 'Conv',
        kernel: ints('kernel_shape'),
        strides: ints('strides'),
        dilations: ints('dilations'),
        pads: ints('pads'),
        ceil: num(attr('ceil_mode')?.i, 0) === 1,
        autoPad: attr('auto_pad')?.s ? Buffer.from(attr('auto_pad')!.s!).toString() : 'NOTSET',
      };
    }
    return node;
  });
}

/**
 * Output length of one spatial axis of a window layer as PyTorch computes it (floor, or ceil with
 * the last window starting inside the input), or 0 when the input is too small for the window.
 */
function outputLength(w: WindowLayer, axis: number, n: number): number {
  const k = w.kernel[axis] ?? 1;
  const s = w.strides[axis] ?? 1;
  const dil = w.dilations[axis] ?? 1;
  if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return Math.ceil(n / s);
  const axes = w.kernel.length;
  const begin = w.autoPad === 'VALID' ? 0 : (w.pads[axis] ?? 0);
  const end = w.autoPad === 'VALID' ? 0 : (w.pads[axis + axes] ?? 0);
  const span = n + begin + end - dil * (k - 1) - 1;
  if (!w.pool || !w.ceil) return span < 0 ? 0 : Math.floor(span / s) + 1;
  let out = Math.ceil(span / s) + 1;
  if ((out - 1) * s >= n + begin) out--; // the last window must start inside the input (or its left padding)
  return Math.max(out, 0);
}

/** Whether an input of `n` pixels along `axis` (0 = height, 1 = width) leaves every window layer non-empty. */
function fits(nodes: Node[], inputs: string[], axis: number, n: number): boolean {
  const length = new Map<string, number>(inputs.map((i) => [i, n]));
  for (const node of nodes) {
    const known = node.inputs.find((i) => length.has(i));
    if (known === undefined) continue; // weights, constants, shapes
    let out = length.get(known)!;
    if (node.window) {
      out = outputLength(node.window, axis, out);
      if (out < 1) return false;
    } else if (node.op.startsWith('Global')) {
      out = 1;
    }
    // Elementwise ops, activations, Concat, reductions keep (or reduce to >= 1) the spatial size.
    for (const o of node.outputs) length.set(o, out);
  }
  return true;
}

export interface MinimumSize {
  height: number;
  width: number;
}

const memo = new Map<string, MinimumSize>();

/**
 * The smallest height and width (pixels) the network in `onnxPath` accepts on `inputs`
 * (default in0, in1), searched up to `limit` (beyond it the graph is taken to have no window
 * layers that shrink the input). Cached per file path, size and mtime.
 */
export function minimumInputSize(onnxPath: string, inputs: string[] = ['in0', 'in1'], limit = 4096): MinimumSize {
  const st = fs.statSync(onnxPath);
  const key = `${onnxPath}\0${st.size}\0${st.mtimeMs}\0${inputs.join(',')}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const nodes = parseGraph(fs.readFileSync(onnxPath));
  // Fitting is monotone in n (every layer's output length is non-decreasing in its input's).
  const smallest = (axis: number) => {
    let lo = 1;
    let hi = limit;
    if (!fits(nodes, inputs, axis, hi)) return limit;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (fits(nodes, inputs, axis, mid)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  const size = { height: smallest(0), width: smallest(1) };
  memo.set(key, size);
  return size;
}
