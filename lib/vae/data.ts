import { GenmetricsError } from '../errors';
import { readNpy } from '../io/npy';
import type { VaeData } from '../metrics/vae';

/** N x ... float data from a .npy (float32 or float64), each item flattened in C order. */
export function readVaeData(file: string): VaeData {
  if (!file.toLowerCase().endsWith('.npy')) throw new GenmetricsError(`${file}: expected a .npy array of data points (N x D or N x C x H x W, float)`);
  const a = readNpy(file);
  if (a.dtype !== 'float32' && a.dtype !== 'float64') {
    throw new GenmetricsError(`${file}: expected float32 or float64 data (scaled as the model was trained), got ${a.dtype}`);
  }
  if (a.shape.length < 2 || a.shape[0] === 0) throw new GenmetricsError(`${file}: expected N x D (or N x C x H x W) data, got shape (${a.shape.join(', ')})`);
  const data = a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as Float64Array);
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new GenmetricsError(`${file}: non-finite value ${data[bad]} at element ${bad}`);
  return { data, rows: a.shape[0], itemShape: a.shape.slice(1), source: file };
}
