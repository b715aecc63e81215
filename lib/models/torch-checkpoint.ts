/**
 * PyTorch zip checkpoints (torch.save since 1.6) read without executing their pickle: only
 * OrderedDict and the tensor-rebuild records are understood (anything else is recorded as
 * unsupported and looked into no further), and tensors come from the archive's `data/<key>`
 * entries (little-endian, as torch writes them).
 *
 * TorchScript archives (torch.jit.save, e.g. OpenAI's CLIP .pt files) hold their tensors the same
 * way: data.pkl pickles the module tree as objects of `__torch__.*` classes whose state is a dict
 * of attributes (submodules, parameters, buffers, flags); those objects are walked like nested
 * dicts, so a parameter is named by its module path as in the module's state_dict
 * (`visual.conv1.weight`). The archive's code/ and constants/ are not read.
 */
import type * as Fflate from 'fflate';
import type * as PickleParser from 'pickleparser';
import { GenmetricsError } from '../errors';
import { lazyModule } from '../lazy';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fflate = lazyModule(() => require('fflate') as typeof Fflate);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pickle = lazyModule(() => require('pickleparser') as typeof PickleParser);

export const TORCH_STORAGES: Record<string, string> = {
  DoubleStorage: 'float64', FloatStorage: 'float32', HalfStorage: 'float16', BFloat16Storage: 'bfloat16', LongStorage: 'int64',
  IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8', BoolStorage: 'bool',
};

/** One tensor of a checkpoint: where its elements lie in which storage. */
export interface CheckpointTensor {
  name: string;
  dtype: string;
  shape: number[];
  stride: number[];
  /** In elements, from the start of the storage. */
  offset: number;
  storage: string;
}

export interface Checkpoint {
  tensors: CheckpointTensor[];
  /** Classes the pickle names that were not looked into. */
  unsupported: Set<string>;
  /** The archive's entries (name -> bytes), data/<key> among them. */
  entries: Record<string, Uint8Array>;
}

/** The tensors of a checkpoint (names joined with '.' through nested dicts). `withData`: keep the storages. */
export function readCheckpoint(file: string, bytes: Uint8Array, withData: boolean): Checkpoint {
  let entries: Record<string, Uint8Array>;
  try {
    entries = fflate().unzipSync(bytes, { filter: (f) => /(^|\/)data\.pkl$/.test(f.name) || (withData && /(^|\/)data\/[^/]+$/.test(f.name)) });
  } catch {
    throw new GenmetricsError(`${file}: not a PyTorch zip checkpoint (torch.save since 1.6); legacy tar/pickle files are not read`);
  }
  const pklName = Object.keys(entries).find((n) => /(^|\/)data\.pkl$/.test(n));
  if (!pklName) throw new GenmetricsError(`${file}: no data.pkl inside: not a PyTorch checkpoint`);
  const unsupported = new Set<string>();
  interface Rebuilt extends Omit<CheckpointTensor, 'name'> {
    tensor: true;
  }
  interface ScriptObject {
    scriptClass: string;
    attributes?: Map<unknown, unknown>;
    __setstate__(state: unknown): void;
  }
  const parser = new (pickle().Parser)({
    nameResolver: {
      resolve(mod: string, name: string) {
        if (mod === 'collections' && name === 'OrderedDict') return () => new Map();
        if (mod === 'torch._utils' && (name === '_rebuild_tensor_v2' || name === '_rebuild_tensor')) {
          return (storage: { dtype: string; key: string }, offset: number, shape: number[], stride: number[]): Rebuilt => ({
            tensor: true,
            dtype: storage.dtype,
            storage: storage.key,
            offset: Number(offset),
            shape: Array.from(shape, Number),
            stride: Array.from(stride ?? [], Number),
          });
        }
        if (mod === 'torch._utils' && name === '_rebuild_parameter') return (t: Rebuilt) => t;
        if (mod === 'torch' && name in TORCH_STORAGES) return Object.assign(() => undefined, { storageDtype: TORCH_STORAGES[name] });
        if (mod === '__torch__' || mod.startsWith('__torch__.')) {
          // A TorchScript object: built with NEWOBJ, its attributes given to BUILD as a dict.
          return function scriptObject(): ScriptObject {
            return {
              scriptClass: `${mod}.${name}`,
              __setstate__(state: unknown) {
                if (state instanceof Map) this.attributes = state;
              },
            };
          };
        }
        unsupported.add(`${mod}.${name}`);
        // A stand-in that records nothing (a plain function: pickles both call it and construct it).
        return function unsupportedObject() {
          return {};
        };
      },
    },
    persistentResolver: {
      resolve(pid: unknown) {
        // ('storage', storage type, key, location, numel)
        const p = pid as unknown[];
        const type = p[1] as { storageDtype?: string } | undefined;
        if (!type?.storageDtype) throw new GenmetricsError(`${file}: unsupported storage in the checkpoint`);
        return { dtype: type.storageDtype, key: String(p[2]) };
      },
    },
    unpicklingTypeOfDictionary: 'Map',
  });
  const root = parser.parse<unknown>(entries[pklName]);
  const tensors: CheckpointTensor[] = [];
  const walk = (v: unknown, prefix: string) => {
    if (v && typeof v === 'object' && (v as Rebuilt).tensor === true) {
      const { tensor: _t, ...t } = v as Rebuilt;
      tensors.push({ name: prefix, ...t });
    } else if (v instanceof Map) {
      for (const [k, x] of v) walk(x, prefix ? `${prefix}.${String(k)}` : String(k));
    } else if (v && typeof v === 'object' && typeof (v as ScriptObject).scriptClass === 'string' && (v as ScriptObject).attributes) {
      walk((v as ScriptObject).attributes, prefix);
    }
  };
  walk(root, '');
  return { tensors, unsupported, entries };
}

/** A float32 tensor of a checkpoint read with data: C-contiguous copy of its elements. */
export function float32Tensor(file: string, c: Checkpoint, name: string, shape?: readonly number[]): Float32Array {
  return readFloats(file, c, name, shape, false);
}

/**
 * A floating-point tensor (float32, float16, bfloat16 or float64) as float32, C-contiguous:
 * float16 and bfloat16 widen exactly, float64 is rounded to nearest (OpenAI's CLIP archives hold
 * their convolution, linear and attention weights in float16, the rest in float32).
 */
export function floatTensor(file: string, c: Checkpoint, name: string, shape?: readonly number[]): Float32Array {
  return readFloats(file, c, name, shape, true);
}

const WIDE: Record<string, number> = { float32: 4, float16: 2, bfloat16: 2, float64: 8 };

/** float16 bits -> number (exact). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

let halfValues: Float32Array | undefined;

/** Every float16 bit pattern's value. */
function halfTable(): Float32Array {
  if (!halfValues) {
    halfValues = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfValues[h] = halfToFloat(h);
  }
  return halfValues;
}

function readFloats(file: string, c: Checkpoint, name: string, shape: readonly number[] | undefined, widen: boolean): Float32Array {
  const t = c.tensors.find((x) => x.name === name);
  if (!t) throw new GenmetricsError(`${file}: no tensor '${name}' in the checkpoint`);
  if (widen ? !(t.dtype in WIDE) : t.dtype !== 'float32') {
    throw new GenmetricsError(`${file}: tensor '${name}' is ${t.dtype}, expected ${widen ? 'a floating-point type (float32, float16, bfloat16, float64)' : 'float32'}`);
  }
  if (shape && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
    throw new GenmetricsError(`${file}: tensor '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
  }
  const entry = Object.keys(c.entries).find((n) => n.endsWith(`/data/${t.storage}`) || n === `data/${t.storage}`);
  if (!entry) throw new GenmetricsError(`${file}: storage '${t.storage}' of tensor '${name}' is missing`);
  const bytes = c.entries[entry];
  const item = WIDE[t.dtype];
  if (bytes.byteLength % item !== 0) throw new GenmetricsError(`${file}: storage '${t.storage}' of tensor '${name}' is ${bytes.byteLength} bytes, not a whole number of ${t.dtype} values`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = bytes.byteLength / item;
  const scratch = new DataView(new ArrayBuffer(4));
  // Element k of the storage, little-endian.
  const at: (k: number) => number =
    t.dtype === 'float32'
      ? (k) => view.getFloat32(4 * k, true)
      : t.dtype === 'float16'
        ? (k) => halfToFloat(view.getUint16(2 * k, true))
        : t.dtype === 'bfloat16'
          ? (k) => {
              scratch.setUint32(0, view.getUint16(2 * k, true) << 16, true);
              return scratch.getFloat32(0, true);
            }
          : (k) => view.getFloat64(8 * k, true);
  const count = t.shape.reduce((a, b) => a * b, 1);
  const contiguous = t.shape.every((_, i) => t.stride[i] === t.shape.slice(i + 1).reduce((a, b) => a * b, 1) || t.shape[i] === 1);
  if (contiguous) {
    if (t.offset + count > length) throw new GenmetricsError(`${file}: tensor '${name}' reaches past its storage`);
    if (t.dtype === 'float32') {
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset + 4 * t.offset, bytes.byteOffset + 4 * (t.offset + count)));
    }
    const out = new Float32Array(count);
    if (t.dtype === 'float16') {
      // By table (a ViT-L's 300 million weights): the 65536 float16 values, widened once.
      const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
      const bits = new Uint16Array(aligned.buffer, aligned.byteOffset + 2 * t.offset, count);
      const table = halfTable();
      for (let i = 0; i < count; i++) out[i] = table[bits[i]];
      return out;
    }
    for (let i = 0; i < count; i++) out[i] = at(t.offset + i);
    return out;
  }
  const out = new Float32Array(count);
  // Other strides (a transposed or sliced tensor): element by element, C order out.
  const idx = new Array(t.shape.length).fill(0);
  for (let i = 0; i < count; i++) {
    let k = t.offset;
    for (let d = 0; d < idx.length; d++) k += idx[d] * t.stride[d];
    if (k >= length) throw new GenmetricsError(`${file}: tensor '${name}' reaches past its storage`);
    out[i] = at(k);
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < t.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}
