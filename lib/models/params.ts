/**
 * Parameter counts of a model file, read from its metadata only: ONNX initializers (protobuf),
 * safetensors headers, and PyTorch zip checkpoints (the pickle is parsed, never executed: only
 * OrderedDict and tensor-rebuild records are understood, anything else is refused).
 */
import * as fs from 'fs';
import * as path from 'path';
import { GenmetricsError } from '../errors';
import { decodeOnnx, toNumber, type OnnxModel } from './onnx-proto';
import { readCheckpoint } from './torch-checkpoint';


export interface TensorInfo {
  name: string;
  shape: number[];
  dtype: string;
  elements: number;
  bytes: number;
  /** 'buffer' for running statistics and counters (recognised by name), else 'parameter'. */
  kind: 'parameter' | 'buffer';
}

export interface ParamReport {
  file: string;
  format: 'onnx' | 'safetensors' | 'pytorch';
  tensors: TensorInfo[];
  total: number;
  learnable: number;
  buffers: number;
  /** Elements per layer (the tensor name without its last component). */
  layers: Record<string, number>;
  bytesByDtype: Record<string, number>;
}

/** Buffers a state dict does not mark as such: normalisation layers' running statistics and counters. */
export const DEFAULT_BUFFER_PATTERN = /(^|\.)(running_mean|running_var|num_batches_tracked)$/;

const ITEM: Record<string, number> = {
  float64: 8, float32: 4, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint64: 8, uint32: 4, uint16: 2, uint8: 1, bool: 1,
  float8: 1, complex64: 8, complex128: 16, string: 0,
};

// ONNX TensorProto.DataType
const ONNX_TYPES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 10: 'float16',
  11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16', 17: 'float8', 18: 'float8', 19: 'float8', 20: 'float8',
};

const SAFETENSORS_TYPES: Record<string, string> = {
  F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16', I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8',
  U64: 'uint64', U32: 'uint32', U16: 'uint16', U8: 'uint8', BOOL: 'bool', F8_E4M3: 'float8', F8_E5M2: 'float8',
};

function tensor(name: string, shape: number[], dtype: string, bufferPattern: RegExp): TensorInfo {
  const elements = shape.reduce((a, b) => a * b, 1);
  return { name, shape, dtype, elements, bytes: elements * (ITEM[dtype] ?? 0), kind: bufferPattern.test(name) ? 'buffer' : 'parameter' };
}

function readOnnx(file: string, pattern: RegExp): TensorInfo[] {
  let model: OnnxModel;
  try {
    model = decodeOnnx(fs.readFileSync(file));
  } catch (err) {
    throw new GenmetricsError(`${file}: not a readable ONNX model (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!model.graph) throw new GenmetricsError(`${file}: an ONNX file without a graph`);
  return (model.graph.initializer ?? []).map((t, i) =>
    tensor(t.name || `initializer_${i}`, (t.dims ?? []).map(toNumber), ONNX_TYPES[t.data_type ?? 0] ?? `onnx_type_${t.data_type}`, pattern),
  );
}

function readSafetensors(file: string, pattern: RegExp): TensorInfo[] {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(8);
    if (fs.readSync(fd, head, 0, 8, 0) !== 8) throw new GenmetricsError(`${file}: too short for a safetensors file`);
    const len = Number(head.readBigUInt64LE(0));
    const size = fs.fstatSync(fd).size;
    if (len <= 0 || len > size - 8 || len > 100 << 20) throw new GenmetricsError(`${file}: not a safetensors file (header length ${len}, file ${size} bytes)`);
    const json = Buffer.alloc(len);
    fs.readSync(fd, json, 0, len, 8);
    let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    try {
      header = JSON.parse(json.toString('utf8'));
    } catch {
      throw new GenmetricsError(`${file}: the safetensors header is not valid JSON`);
    }
    return Object.entries(header)
      .filter(([k]) => k !== '__metadata__')
      .sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0])
      .map(([name, t]) => tensor(name, t.shape, SAFETENSORS_TYPES[t.dtype] ?? t.dtype.toLowerCase(), pattern));
  } finally {
    fs.closeSync(fd);
  }
}

function readPytorch(file: string, pattern: RegExp): TensorInfo[] {
  const c = readCheckpoint(file, fs.readFileSync(file), false);
  const out = c.tensors.map((t) => tensor(t.name, t.shape, t.dtype, pattern));
  if (out.length === 0) {
    const why = c.unsupported.size ? ` (it pickles ${[...c.unsupported].slice(0, 3).join(', ')}: a whole module? save model.state_dict() instead)` : '';
    throw new GenmetricsError(`${file}: no tensors found in the checkpoint${why}`);
  }
  return out;
}

/** Parameter counts of an .onnx, .safetensors or PyTorch .pth/.pt file. */
export function modelParams(file: string, options: { bufferPattern?: RegExp } = {}): ParamReport {
  if (!fs.existsSync(file)) throw new GenmetricsError(`${file}: no such file`);
  const pattern = options.bufferPattern ?? DEFAULT_BUFFER_PATTERN;
  const ext = path.extname(file).toLowerCase();
  const format = ext === '.onnx' ? 'onnx' : ext === '.safetensors' ? 'safetensors' : ext === '.pth' || ext === '.pt' || ext === '.bin' || ext === '.ckpt' ? 'pytorch' : undefined;
  if (!format) throw new GenmetricsError(`${file}: unknown model format '${ext}'; expected .onnx, .safetensors or a PyTorch .pth/.pt`);
  const tensors = format === 'onnx' ? readOnnx(file, pattern) : format === 'safetensors' ? readSafetensors(file, pattern) : readPytorch(file, pattern);
  const layers: Record<string, number> = {};
  const bytesByDtype: Record<string, number> = {};
  let learnable = 0;
  let buffers = 0;
  for (const t of tensors) {
    const layer = t.name.includes('.') ? t.name.slice(0, t.name.lastIndexOf('.')) : t.name;
    layers[layer] = (layers[layer] ?? 0) + t.elements;
    bytesByDtype[t.dtype] = (bytesByDtype[t.dtype] ?? 0) + t.bytes;
    if (t.kind === 'buffer') buffers += t.elements;
    else learnable += t.elements;
  }
  return { file, format, tensors, total: learnable + buffers, learnable, buffers, layers, bytesByDtype };
}
