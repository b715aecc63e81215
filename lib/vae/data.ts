import { GenmetricsError } from '../errors';
import { NpyRowReader, readNpy } from '../io/npy';
import type { VaeData } from './evaluate';
import { modelItemShape, readImageData, type ImageScaling } from './images';

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

/**
 * Model input from a float .npy (as it is) or from images (a folder, an image file, a uint8
 * .npy/.npz stack) shaped to the encoder's input and scaled (see readImageData).
 */
export async function loadModelInput(input: string, encoder: string, scaling: ImageScaling = {}): Promise<VaeData> {
  if (input.toLowerCase().endsWith('.npy')) {
    const r = new NpyRowReader(input, true);
    const dtype = r.dtype;
    r.close();
    if (dtype !== 'uint8') return readVaeData(input);
  }
  return readImageData(input, await modelItemShape(encoder), scaling);
}
