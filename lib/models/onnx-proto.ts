/**
 * The few fields of onnx.proto that genmetrics reads (protobufjs reflection; unknown fields, such
 * as the weights' raw bytes, are skipped), and a way to add graph outputs without re-encoding a
 * model: protobuf merges repeated occurrences of a message field, so appending
 * `ModelProto.graph { output { name } }` to the file's bytes adds outputs to its graph.
 */
import type * as Protobuf from 'protobufjs';
import { lazyModule } from '../lazy';

// The schema is built on first use (protobufjs loads in about 20 ms, which commands that never
// read an ONNX graph should not pay).
const schema = lazyModule(() => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const protobuf = require('protobufjs') as typeof Protobuf;
  const root = new protobuf.Root();
  root
    .define('onnx')
    .add(
      new protobuf.Type('TensorProto')
        .add(new protobuf.Field('dims', 1, 'int64', 'repeated'))
        .add(new protobuf.Field('data_type', 2, 'int32'))
        .add(new protobuf.Field('name', 8, 'string'))
        .add(new protobuf.Field('raw_data', 9, 'bytes')),
    )
    .add(new protobuf.Type('ValueInfoProto').add(new protobuf.Field('name', 1, 'string')))
    .add(
      new protobuf.Type('AttributeProto')
        .add(new protobuf.Field('name', 1, 'string'))
        .add(new protobuf.Field('i', 3, 'int64'))
        .add(new protobuf.Field('s', 4, 'bytes'))
        .add(new protobuf.Field('ints', 8, 'int64', 'repeated')),
    )
    .add(
      new protobuf.Type('NodeProto')
        .add(new protobuf.Field('input', 1, 'string', 'repeated'))
        .add(new protobuf.Field('output', 2, 'string', 'repeated'))
        .add(new protobuf.Field('name', 3, 'string'))
        .add(new protobuf.Field('op_type', 4, 'string'))
        .add(new protobuf.Field('attribute', 5, 'AttributeProto', 'repeated')),
    )
    .add(
      new protobuf.Type('GraphProto')
        .add(new protobuf.Field('node', 1, 'NodeProto', 'repeated'))
        .add(new protobuf.Field('initializer', 5, 'TensorProto', 'repeated'))
        .add(new protobuf.Field('input', 11, 'ValueInfoProto', 'repeated'))
        .add(new protobuf.Field('output', 12, 'ValueInfoProto', 'repeated')),
    )
    .add(new protobuf.Type('StringStringEntryProto').add(new protobuf.Field('key', 1, 'string')).add(new protobuf.Field('value', 2, 'string')))
    .add(
      new protobuf.Type('ModelProto')
        .add(new protobuf.Field('graph', 7, 'GraphProto'))
        .add(new protobuf.Field('metadata_props', 14, 'StringStringEntryProto', 'repeated')),
    )
    .add(new protobuf.Type('ModelMetadata').add(new protobuf.Field('metadata_props', 14, 'StringStringEntryProto', 'repeated')));
  return root;
});

/** The model's metadata (key, value pairs); the graph is skipped, not decoded. */
export function readMetadataProps(bytes: Uint8Array): Map<string, string> {
  const m = schema().lookupType('onnx.ModelMetadata').decode(bytes) as unknown as OnnxModel;
  return new Map((m.metadata_props ?? []).map((p) => [p.key ?? '', p.value ?? '']));
}

export type Int64 = number | { toNumber(): number };

export interface OnnxModel {
  metadata_props?: { key?: string; value?: string }[];
  graph?: {
    node?: { input?: string[]; output?: string[]; name?: string; op_type?: string; attribute?: { name?: string; i?: Int64; s?: Uint8Array; ints?: Int64[] }[] }[];
    initializer?: { dims?: Int64[]; data_type?: number; name?: string; raw_data?: Uint8Array }[];
    input?: { name?: string }[];
    output?: { name?: string }[];
  };
}

export function decodeOnnx(bytes: Uint8Array): OnnxModel {
  return schema().lookupType('onnx.ModelProto').decode(bytes) as unknown as OnnxModel;
}

export function toNumber(v: Int64): number {
  return typeof v === 'number' ? v : v.toNumber();
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** A length-delimited field (wire type 2). */
function field(num: number, payload: Uint8Array): Uint8Array {
  return Uint8Array.from([...varint(num * 8 + 2), ...varint(payload.length), ...payload]);
}

/** The model's bytes with the named values added as graph outputs (ValueInfoProto with a name only). */
export function withOutputs(model: Uint8Array, names: string[]): Uint8Array {
  const extra = names.map((n) => field(7, field(12, field(1, new TextEncoder().encode(n)))));
  const out = new Uint8Array(model.length + extra.reduce((s, e) => s + e.length, 0));
  out.set(model, 0);
  let off = model.length;
  for (const e of extra) {
    out.set(e, off);
    off += e.length;
  }
  return out;
}

/** A length-delimited field for large payloads (no copy through arrays). */
function bigField(num: number, parts: Uint8Array[]): Buffer {
  const length = parts.reduce((s, p) => s + p.length, 0);
  return Buffer.concat([Buffer.from(varint(num * 8 + 2)), Buffer.from(varint(length)), ...parts]);
}

/**
 * The model's bytes with float32 or int64 initializers added (TensorProto: dims, data_type 1 or 7,
 * name, raw_data little-endian), each as its own appended `graph { initializer }`: protobuf merges
 * repeated occurrences of the graph field, so the tensors join the graph's initializers.
 */
export function withInitializers(model: Uint8Array, tensors: { name: string; dims: readonly number[]; data: Float32Array | BigInt64Array }[]): Buffer {
  const parts: Uint8Array[] = [model];
  for (const t of tensors) {
    if (t.data.length !== t.dims.reduce((a, b) => a * b, 1)) throw new Error(`initializer ${t.name}: ${t.data.length} values for dims [${t.dims.join(', ')}]`);
    const dims = bigField(1, [Uint8Array.from(t.dims.flatMap(varint))]);
    const type = Uint8Array.from([...varint(2 * 8), ...varint(t.data instanceof Float32Array ? 1 : 7)]);
    const name = bigField(8, [new TextEncoder().encode(t.name)]);
    const raw = bigField(9, [new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)]);
    parts.push(bigField(7, [bigField(5, [dims, type, name, raw])]));
  }
  return Buffer.concat(parts);
}
