import { GenmetricsError } from './errors';
import { readNpy, type NdArray } from './io/npy';

/** The elements as float64 numbers (int64 checked to be exactly representable), and the first non-integer, or -1. */
function integralValues(a: NdArray, file: string, what: string): { values: Float64Array; bad: number } {
  let values: Float64Array;
  if (a.data instanceof BigInt64Array || a.data instanceof BigUint64Array) {
    const big = a.data;
    values = new Float64Array(big.length);
    for (let i = 0; i < big.length; i++) {
      const v = big[i];
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new GenmetricsError(`${file}: ${what} ${i} (${v}) is out of range`);
      values[i] = Number(v);
    }
  } else {
    values = Float64Array.from(a.data as ArrayLike<number>);
  }
  return { values, bad: values.findIndex((v) => !Number.isInteger(v)) };
}

/** Integer labels from a 1-D (or N x 1) .npy (an integer dtype, or floats holding integers), as float64 numbers. */
export function readLabels(file: string): Float64Array {
  const a = readNpy(file);
  if (!(a.shape.length === 1 || (a.shape.length === 2 && a.shape[1] === 1))) {
    throw new GenmetricsError(`${file}: expected a 1-D array of labels, got shape (${a.shape.join(', ')})`);
  }
  const { values, bad } = integralValues(a, file, 'label');
  if (bad >= 0) throw new GenmetricsError(`${file}: labels must be integers; element ${bad} is ${values[bad]}`);
  return values;
}

/** An N x K table of integer values (factor values per sample) from an integer or integral-float .npy. */
export function readIntegerTable(file: string): { data: Float64Array; rows: number; cols: number } {
  const a = readNpy(file);
  if (a.shape.length !== 2) throw new GenmetricsError(`${file}: expected an N x K table, got shape (${a.shape.join(', ')})`);
  const [rows, cols] = a.shape;
  const { values, bad } = integralValues(a, file, 'element');
  if (bad >= 0) throw new GenmetricsError(`${file}: values must be integers; row ${Math.floor(bad / cols)}, column ${bad % cols} is ${values[bad]}`);
  return { data: values, rows, cols };
}
