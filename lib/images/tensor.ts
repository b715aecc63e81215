import { GenmetricsError } from '../errors';
import { preprocessImages, type DecodedImage } from './preprocess';

/**
 * An image as the LPIPS networks take it: 3 x H x W float32 planes, x / 127.5 - 1 (the `lpips`
 * package's im2tensor). Gray is replicated and alpha dropped (PIL's convert("RGB")).
 */
export function signedRgb(img: DecodedImage, out: Float32Array, offset = 0): void {
  const { width: w, height: h, channels: c, data } = img;
  if (![1, 2, 3, 4].includes(c)) throw new GenmetricsError(`unsupported image with ${c} channels`);
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1 || data.length !== w * h * c) {
    throw new GenmetricsError(`image of ${w}x${h} pixels with ${c} channels: expected ${w * h * c} samples, got ${data.length}`);
  }
  const hw = w * h;
  if (!Number.isInteger(offset) || offset < 0 || out.length < offset + 3 * hw) {
    throw new GenmetricsError(`signedRgb: the output holds ${out.length} values, needs ${offset + 3 * hw} (offset ${offset} + 3 x ${w} x ${h})`);
  }
  const gray = c < 3;
  for (let p = 0; p < hw; p++) {
    const base = p * c;
    for (let k = 0; k < 3; k++) out[offset + k * hw + p] = data[base + (gray ? 0 : k)] / 127.5 - 1;
  }
}

/**
 * Images resized to size x size with PIL's bicubic filter and antialiasing on float values (the
 * resize of clean-fid), then scaled as signedRgb: N x 3 x size x size into `out`.
 */
export async function signedRgbResized(images: DecodedImage[], size: number, out: Float32Array, threads = 1): Promise<void> {
  const planes = await preprocessImages(images, { mode: 'clean', size, normalize: false, out, threads });
  for (let i = 0; i < planes.length; i++) planes[i] = planes[i] / 127.5 - 1;
}
