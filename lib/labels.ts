import { GenmetricsError } from './errors';
import { readNpy } from './io/npy';

/** Integer labels from a 1-D (or N x 1) .npy of an integer dtype, as float64 numbers. */
export function readLabels(file: string): Float64Array {
  const a = readNpy(file);
  const n = a.shape[0] ?? 0;
  if (!(a.shape.length === 1 || (a.shape.length === 2 && a.shape[1] === 1))) {
    throw new GenmetricsError(`${file}: expected a 1-D array of labels, got shape (${a.shape.join(', ')})`);
  }
  if (a.dtype === 'float32' || a.dtype === 'float64') {
    const out = Float64Array.from(a.data as Float32Array | Float64Array);
    const bad = out.findIndex((v) => !Number.isInteger(v));
    if (bad >= 0) throw new GenmetricsError(`${file}: labels must be integers; element ${bad} is ${out[bad]}`);
    return out;
  }
  if (a.data instanceof BigInt64Array) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = a.data[i];
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new GenmetricsError(`${file}: label ${i} (${v}) is out of range`);
      out[i] = Number(v);
    }
    return out;
  }
  return Float64Array.from(a.data as Int32Array | Uint8Array);
}

/** An N x K table of integer values (factor values per sample) from an integer or integral-float .npy. */
export function readIntegerTable(file: string): { data: Float64Array; rows: number; cols: number } {
  const a = readNpy(file);
  if (a.shape.length !== 2) throw new GenmetricsError(`${file}: expected an N x K table, got shape (${a.shape.join(', ')})`);
  const [rows, cols] = a.shape;
  const data =
    a.data instanceof BigInt64Array ? Float64Array.from(a.data, (v) => Number(v)) : Float64Array.from(a.data as ArrayLike<number>);
  const bad = data.findIndex((v) => !Number.isInteger(v));
  if (bad >= 0) throw new GenmetricsError(`${file}: values must be integers; row ${Math.floor(bad / cols)}, column ${bad % cols} is ${data[bad]}`);
  return { data, rows, cols };
}
