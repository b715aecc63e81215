/**
 * PyTorch zip checkpoints (torch.save since 1.6) read without executing their pickle: only
 * OrderedDict and the tensor-rebuild records are understood (anything else is recorded as
 * unsupported and looked into no further), and tensors come from the archive's `data/<key>`
 * entries (little-endian, as torch writes them).
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
    }
  };
  walk(root, '');
  return { tensors, unsupported, entries };
}

/** A float32 tensor of a checkpoint read with data: C-contiguous copy of its elements. */
export function float32Tensor(file: string, c: Checkpoint, name: string, shape?: readonly number[]): Float32Array {
  const t = c.tensors.find((x) => x.name === name);
  if (!t) throw new GenmetricsError(`${file}: no tensor '${name}' in the checkpoint`);
  if (t.dtype !== 'float32') throw new GenmetricsError(`${file}: tensor '${name}' is ${t.dtype}, expected float32`);
  if (shape && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
    throw new GenmetricsError(`${file}: tensor '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
  }
  const entry = Object.keys(c.entries).find((n) => n.endsWith(`/data/${t.storage}`) || n === `data/${t.storage}`);
  if (!entry) throw new GenmetricsError(`${file}: storage '${t.storage}' of tensor '${name}' is missing`);
  const bytes = c.entries[entry];
  const storage = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const count = t.shape.reduce((a, b) => a * b, 1);
  const contiguous = t.shape.every((_, i) => t.stride[i] === t.shape.slice(i + 1).reduce((a, b) => a * b, 1) || t.shape[i] === 1);
  if (contiguous) {
    if (t.offset + count > storage.length) throw new GenmetricsError(`${file}: tensor '${name}' reaches past its storage`);
    return storage.slice(t.offset, t.offset + count);
  }
  const out = new Float32Array(count);
  // Other strides (a transposed or sliced tensor): element by element, C order out.
  const idx = new Array(t.shape.length).fill(0);
  for (let i = 0; i < count; i++) {
    let at = t.offset;
    for (let k = 0; k < idx.length; k++) at += idx[k] * t.stride[k];
    if (at >= storage.length) throw new GenmetricsError(`${file}: tensor '${name}' reaches past its storage`);
    out[i] = storage[at];
    for (let k = idx.length - 1; k >= 0; k--) {
      if (++idx[k] < t.shape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}
