import { ENCODE_BATCH } from '../defaults';
import type { Device } from '../models/session';
import type { VaeData } from './evaluate';
import { openEncoder } from './models';

/** The encoder's means (N x L float32) of the data, in batches. */
export async function encodeMeans(
  x: VaeData,
  encoder: string,
  o: { batchSize?: number; device?: Device; threads?: number; onProgress?: (d: number, t: number) => void } = {},
): Promise<{ codes: Float32Array; dims: number }> {
  const enc = await openEncoder(encoder, o.device, o.threads);
  try {
    let codes = new Float32Array(0);
    let L = 0;
    const [mu] = enc.outputs;
    await enc.net.runRows(x, [mu], o.batchSize ?? ENCODE_BATCH, (out, r0, rows) => {
      if (r0 === 0) {
        L = out[mu].data.length / rows;
        codes = new Float32Array(x.rows * L);
      }
      codes.set(out[mu].data, r0 * L);
    }, o.onProgress);
    return { codes, dims: L };
  } finally {
    await enc.release();
  }
}
