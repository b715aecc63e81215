/**
 * ONNX models written from TypeScript (the ViT extractors that `models install` builds): the
 * graph's structure (inputs, outputs, nodes, metadata, opset 17) is encoded with protobufjs, and
 * the initializers are appended to those bytes by withInitializers, one `graph { initializer }`
 * field at a time (protobuf merges repeated occurrences of the graph field), so a model of a
 * gigabyte is not copied through protobufjs' writer.
 */
import type * as Protobuf from 'protobufjs';
import { lazyModule } from '../lazy';
import { withInitializers } from './onnx-proto';

const schema = lazyModule(() => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const protobuf = require('protobufjs') as typeof Protobuf;
  return protobuf.Root.fromJSON({
    nested: {
      onnx: {
        nested: {
          Dimension: { fields: { dim_value: { id: 1, type: 'int64' }, dim_param: { id: 2, type: 'string' } } },
          TensorShapeProto: { fields: { dim: { id: 1, type: 'Dimension', rule: 'repeated' } } },
          TensorTypeProto: { fields: { elem_type: { id: 1, type: 'int32' }, shape: { id: 2, type: 'TensorShapeProto' } } },
          TypeProto: { fields: { tensor_type: { id: 1, type: 'TensorTypeProto' } } },
          ValueInfoProto: { fields: { name: { id: 1, type: 'string' }, type: { id: 2, type: 'TypeProto' } } },
          AttributeProto: {
            fields: { name: { id: 1, type: 'string' }, f: { id: 2, type: 'float' }, i: { id: 3, type: 'int64' }, ints: { id: 8, type: 'int64', rule: 'repeated' }, type: { id: 20, type: 'int32' } },
          },
          NodeProto: {
            fields: {
              input: { id: 1, type: 'string', rule: 'repeated' },
              output: { id: 2, type: 'string', rule: 'repeated' },
              name: { id: 3, type: 'string' },
              op_type: { id: 4, type: 'string' },
              attribute: { id: 5, type: 'AttributeProto', rule: 'repeated' },
            },
          },
          GraphProto: {
            fields: {
              node: { id: 1, type: 'NodeProto', rule: 'repeated' },
              name: { id: 2, type: 'string' },
              input: { id: 11, type: 'ValueInfoProto', rule: 'repeated' },
              output: { id: 12, type: 'ValueInfoProto', rule: 'repeated' },
            },
          },
          OperatorSetIdProto: { fields: { domain: { id: 1, type: 'string' }, version: { id: 2, type: 'int64' } } },
          StringStringEntryProto: { fields: { key: { id: 1, type: 'string' }, value: { id: 2, type: 'string' } } },
          ModelProto: {
            fields: {
              ir_version: { id: 1, type: 'int64' },
              producer_name: { id: 2, type: 'string' },
              graph: { id: 7, type: 'GraphProto' },
              opset_import: { id: 8, type: 'OperatorSetIdProto', rule: 'repeated' },
              metadata_props: { id: 14, type: 'StringStringEntryProto', rule: 'repeated' },
            },
          },
        },
      },
    },
  });
});

/** One node: operator, inputs, outputs and attributes (integers, floats, integer lists). */
export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Integers are written as INT, other numbers as FLOAT, arrays as INTS. */
  attrs?: Record<string, number | number[]>;
}

export interface OnnxValue {
  name: string;
  /** Dimensions; strings are symbolic (the batch 'N'). */
  shape: (number | string)[];
}

export interface OnnxTensor {
  name: string;
  dims: readonly number[];
  data: Float32Array | BigInt64Array;
}

export interface OnnxGraphSpec {
  /** float32 inputs and outputs. */
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  metadata?: Record<string, string>;
}

const valueInfo = (v: OnnxValue) => ({
  name: v.name,
  type: { tensor_type: { elem_type: 1, shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
});

/** The model's bytes (ONNX IR 8, opset 17). */
export function encodeOnnx(g: OnnxGraphSpec): Buffer {
  const Model = schema().lookupType('onnx.ModelProto');
  const msg = {
    ir_version: 8,
    producer_name: 'genmetrics',
    opset_import: [{ domain: '', version: 17 }],
    metadata_props: Object.entries(g.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'genmetrics',
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
      node: g.nodes.map((n, k) => ({
        name: `n${k}`,
        op_type: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([name, v]) =>
          Array.isArray(v) ? { name, type: 7, ints: v } : Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v },
        ),
      })),
    },
  };
  const head = Model.encode(Model.fromObject(msg)).finish();
  return withInitializers(head, g.initializers);
}
