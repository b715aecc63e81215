/**
 * Small ONNX models written from JS for the tests (generators, mapping networks): a graph of
 * standard operators with seeded weights, encoded with protobufjs. No Python or PyTorch needed.
 */
import * as fs from 'fs';
import * as protobuf from 'protobufjs';

const root = protobuf.Root.fromJSON({
  nested: {
    onnx: {
      nested: {
        TensorProto: { fields: { dims: { id: 1, type: 'int64', rule: 'repeated' }, data_type: { id: 2, type: 'int32' }, name: { id: 8, type: 'string' }, raw_data: { id: 9, type: 'bytes' } } },
        Dimension: { fields: { dim_value: { id: 1, type: 'int64' }, dim_param: { id: 2, type: 'string' } } },
        TensorShapeProto: { fields: { dim: { id: 1, type: 'Dimension', rule: 'repeated' } } },
        TensorTypeProto: { fields: { elem_type: { id: 1, type: 'int32' }, shape: { id: 2, type: 'TensorShapeProto' } } },
        TypeProto: { fields: { tensor_type: { id: 1, type: 'TensorTypeProto' } } },
        ValueInfoProto: { fields: { name: { id: 1, type: 'string' }, type: { id: 2, type: 'TypeProto' } } },
        AttributeProto: { fields: { name: { id: 1, type: 'string' }, f: { id: 2, type: 'float' }, i: { id: 3, type: 'int64' }, type: { id: 20, type: 'int32' }, ints: { id: 8, type: 'int64', rule: 'repeated' } } },
        NodeProto: { fields: { input: { id: 1, type: 'string', rule: 'repeated' }, output: { id: 2, type: 'string', rule: 'repeated' }, name: { id: 3, type: 'string' }, op_type: { id: 4, type: 'string' }, attribute: { id: 5, type: 'AttributeProto', rule: 'repeated' } } },
        GraphProto: { fields: { node: { id: 1, type: 'NodeProto', rule: 'repeated' }, name: { id: 2, type: 'string' }, initializer: { id: 5, type: 'TensorProto', rule: 'repeated' }, input: { id: 11, type: 'ValueInfoProto', rule: 'repeated' }, output: { id: 12, type: 'ValueInfoProto', rule: 'repeated' } } },
        OperatorSetIdProto: { fields: { domain: { id: 1, type: 'string' }, version: { id: 2, type: 'int64' } } },
        StringStringEntryProto: { fields: { key: { id: 1, type: 'string' }, value: { id: 2, type: 'string' } } },
        ModelProto: { fields: { ir_version: { id: 1, type: 'int64' }, producer_name: { id: 2, type: 'string' }, graph: { id: 7, type: 'GraphProto' }, opset_import: { id: 8, type: 'OperatorSetIdProto', rule: 'repeated' }, metadata_props: { id: 14, type: 'StringStringEntryProto', rule: 'repeated' } } },
      },
    },
  },
});

const TYPES = { float32: 1, uint8: 2, int64: 7 } as const;
type ElemType = keyof typeof TYPES;

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, number | number[]>;
}

export interface GraphSpec {
  inputs: { name: string; type: ElemType; shape: (number | string)[] }[];
  outputs: { name: string; type: ElemType; shape: (number | string)[] }[];
  nodes: NodeSpec[];
  initializers: { name: string; dims: number[]; data: Float32Array | BigInt64Array }[];
  metadata?: Record<string, string>;
}

const valueInfo = (v: GraphSpec['inputs'][number]) => ({
  name: v.name,
  type: { tensor_type: { elem_type: TYPES[v.type], shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
});

export function encodeModel(g: GraphSpec): Uint8Array {
  const Model = root.lookupType('onnx.ModelProto');
  const msg = {
    ir_version: 8,
    producer_name: 'genmetrics-tests',
    opset_import: [{ domain: '', version: 17 }],
    metadata_props: Object.entries(g.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'g',
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
      initializer: g.initializers.map((t) => ({
        name: t.name,
        dims: t.dims,
        data_type: t.data instanceof Float32Array ? 1 : 7,
        raw_data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      })),
      node: g.nodes.map((n, k) => ({
        name: `n${k}`,
        op_type: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([name, v]) => (Array.isArray(v) ? { name, type: 7, ints: v } : Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v })),
      })),
    },
  };
  return Model.encode(Model.fromObject(msg)).finish();
}

export function writeModel(file: string, g: GraphSpec): string {
  fs.writeFileSync(file, encodeModel(g));
  return file;
}

/** Seeded uniform values in [-scale, scale) (an LCG: the same numbers on every machine). */
export function seededValues(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

export interface TwinGenerator {
  z: number;
  channels?: number;
  height: number;
  width: number;
  seed?: number;
  /** Output activation: tanh (-1..1), sigmoid (0..1), or uint8 (0..255 cast). */
  output?: 'tanh' | 'sigmoid' | 'uint8';
  /** A conditional generator with this many classes (a learned embedding added before the activation). */
  classes?: number;
  /** Input name of the code (default z). */
  latent?: string;
  metadata?: Record<string, string>;
  /** Weight scale (default 1 / sqrt(z)). */
  scale?: number;
  /** The deviation from the mode grows with |z|: act(b + (z W) |z|^2), a dense core of typical
   *  images at small |z| and scattered ones in the tails (what truncation trades away). */
  spread?: boolean;
}

/** images = act(z W + b [+ E[class]]) reshaped to N x C x H x W. */
export function twinGenerator(file: string, t: TwinGenerator): string {
  const c = t.channels ?? 3;
  const out = c * t.height * t.width;
  const seed = t.seed ?? 1;
  const latent = t.latent ?? 'z';
  const initializers: GraphSpec['initializers'] = [
    { name: 'W', dims: [t.z, out], data: seededValues(t.z * out, seed, t.scale ?? 1 / Math.sqrt(t.z)) },
    { name: 'b', dims: [out], data: seededValues(out, seed + 1, 0.2) },
    { name: 'shape', dims: [4], data: BigInt64Array.from([-1n, BigInt(c), BigInt(t.height), BigInt(t.width)]) },
  ];
  const nodes: NodeSpec[] = t.spread
    ? [
        { op: 'MatMul', inputs: [latent, 'W'], outputs: ['zw0'] },
        { op: 'ReduceSumSquare', inputs: [latent], outputs: ['r2'], attrs: { axes: [1], keepdims: 1 } },
        { op: 'Mul', inputs: ['zw0', 'r2'], outputs: ['zw'] },
        { op: 'Add', inputs: ['zw', 'b'], outputs: ['pre0'] },
      ]
    : [
        { op: 'MatMul', inputs: [latent, 'W'], outputs: ['zw'] },
        { op: 'Add', inputs: ['zw', 'b'], outputs: ['pre0'] },
      ];
  let pre = 'pre0';
  const inputs: GraphSpec['inputs'] = [{ name: latent, type: 'float32', shape: ['N', t.z] }];
  if (t.classes) {
    initializers.push({ name: 'E', dims: [t.classes, out], data: seededValues(t.classes * out, seed + 2, 1) });
    nodes.push({ op: 'Gather', inputs: ['E', 'class'], outputs: ['emb'], attrs: { axis: 0 } }, { op: 'Add', inputs: ['pre0', 'emb'], outputs: ['pre1'] });
    inputs.push({ name: 'class', type: 'int64', shape: ['N'] });
    pre = 'pre1';
  }
  const act = t.output ?? 'tanh';
  if (act === 'uint8') {
    initializers.push({ name: 's', dims: [], data: Float32Array.of(127.5) }, { name: 'o', dims: [], data: Float32Array.of(128) }, { name: 'lo', dims: [], data: Float32Array.of(0) }, { name: 'hi', dims: [], data: Float32Array.of(255) });
    nodes.push(
      { op: 'Tanh', inputs: [pre], outputs: ['t'] },
      { op: 'Mul', inputs: ['t', 's'], outputs: ['ts'] },
      { op: 'Add', inputs: ['ts', 'o'], outputs: ['tso'] },
      { op: 'Clip', inputs: ['tso', 'lo', 'hi'], outputs: ['cl'] },
      { op: 'Cast', inputs: ['cl'], outputs: ['flat'], attrs: { to: 2 } },
    );
  } else {
    nodes.push({ op: act === 'tanh' ? 'Tanh' : 'Sigmoid', inputs: [pre], outputs: ['flat'] });
  }
  nodes.push({ op: 'Reshape', inputs: ['flat', 'shape'], outputs: ['images'] });
  return writeModel(file, {
    inputs,
    outputs: [{ name: 'images', type: act === 'uint8' ? 'uint8' : 'float32', shape: ['N', c, t.height, t.width] }],
    nodes,
    initializers,
    metadata: t.metadata,
  });
}

/** A mapping network z -> w = tanh(z A) * 2 (w_dims wide), optionally with w_avg in its metadata. */
export function twinMapping(file: string, z: number, wDims: number, seed = 7, metadata?: Record<string, string>): string {
  return writeModel(file, {
    inputs: [{ name: 'z', type: 'float32', shape: ['N', z] }],
    outputs: [{ name: 'w', type: 'float32', shape: ['N', wDims] }],
    nodes: [
      { op: 'MatMul', inputs: ['z', 'A'], outputs: ['za'] },
      { op: 'Tanh', inputs: ['za'], outputs: ['t'] },
      { op: 'Mul', inputs: ['t', 'two'], outputs: ['w'] },
    ],
    initializers: [
      { name: 'A', dims: [z, wDims], data: seededValues(z * wDims, seed, 1 / Math.sqrt(z)) },
      { name: 'two', dims: [], data: Float32Array.of(2) },
    ],
    metadata,
  });
}

/**
 * A generator whose float32 output every implementation computes exactly alike:
 * images = clip(z W + b, -1, 1) where column j of W holds one entry, at row j mod z, equal to
 * +-2^-(1 + k) (k in 0..2): each output is one exact product plus b, rounded once, so onnxruntime
 * and PyTorch give the same bits (for comparing PPL on uint8 images, where one flipped rounding
 * would change a distance). The LCG draws, per column, k = floor(3 u1) and the sign (u2 < 0.5: -);
 * b = seededValues(out, seed + 1, 0.2). scripts/make_ppl_fixture.py rebuilds it.
 */
export function exactGenerator(file: string, t: { z: number; height: number; width: number; seed: number }): string {
  const out = 3 * t.height * t.width;
  const W = new Float32Array(t.z * out);
  let s = t.seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  for (let j = 0; j < out; j++) {
    const k = Math.floor(3 * u());
    const sign = u() < 0.5 ? -1 : 1;
    W[(j % t.z) * out + j] = sign * 2 ** -(1 + k);
  }
  return writeModel(file, {
    inputs: [{ name: 'z', type: 'float32', shape: ['N', t.z] }],
    outputs: [{ name: 'images', type: 'float32', shape: ['N', 3, t.height, t.width] }],
    nodes: [
      { op: 'MatMul', inputs: ['z', 'W'], outputs: ['zw'] },
      { op: 'Add', inputs: ['zw', 'b'], outputs: ['pre'] },
      { op: 'Clip', inputs: ['pre', 'lo', 'hi'], outputs: ['flat'] },
      { op: 'Reshape', inputs: ['flat', 'shape'], outputs: ['images'] },
    ],
    initializers: [
      { name: 'W', dims: [t.z, out], data: W },
      { name: 'b', dims: [out], data: seededValues(out, t.seed + 1, 0.2) },
      { name: 'lo', dims: [], data: Float32Array.of(-1) },
      { name: 'hi', dims: [], data: Float32Array.of(1) },
      { name: 'shape', dims: [4], data: BigInt64Array.from([-1n, 3n, BigInt(t.height), BigInt(t.width)]) },
    ],
  });
}

/** FNV-1a of a string (UTF-16 code units < 256 assumed): a tensor's seed from its name. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Values in [-scale, scale) from a counter hash (lowbias32 of i + seed * 0x9E3779B9), so that NumPy
 * rebuilds them vectorised (scripts/make_ppl_fixture.py): v_i = (2 h_i / 2^32 - 1) * scale.
 */
export function hashedValues(n: number, seed: number, scale: number): Float32Array {
  const base = Math.imul(seed, 0x9e3779b9) >>> 0;
  return Float32Array.from({ length: n }, (_, i) => {
    let x = (i + base) >>> 0;
    x ^= x >>> 16;
    x = Math.imul(x, 0x7feb352d) >>> 0;
    x ^= x >>> 15;
    x = Math.imul(x, 0x846ca68b) >>> 0;
    x ^= x >>> 16;
    return ((2 * (x >>> 0)) / 2 ** 32 - 1) * scale;
  });
}
