import { ENCODE_BATCH } from '../defaults';
import type { VaeData } from './evaluate';
import type { Device } from '../models/session';
import { openEncoder } from './models';

/** The encoder's means (N x L float32) of the data, in batches. */
export async function encodeMeans(x: VaeData, encoder: string, o: { batchSize?: number; device?: Device; threads?: number; onProgress?: (d: number, t: number) => void } = {}): Promise<{ codes: Float32Array; dims: number }> {
  const enc = await openEncoder(encoder, o.device, o.threads);
  try {
    const per = x.itemShape.reduce((a, b) => a * b, 1);
    const batch = o.batchSize ?? ENCODE_BATCH;
    let codes = new Float32Array(0);
    let L = 0;
    for (let r0 = 0; r0 < x.rows; r0 += batch) {
      const rows = Math.min(batch, x.rows - r0);
      const [mu] = await enc.run(x.data.subarray(r0 * per, (r0 + rows) * per), rows, x.itemShape);
      if (r0 === 0) {
        L = mu.length / rows;
        codes = new Float32Array(x.rows * L);
      }
      codes.set(mu, r0 * L);
      o.onProgress?.(r0 + rows, x.rows);
    }
    return { codes, dims: L };
  } finally {
    await enc.release();
  }
}
