import { GenmetricsError } from '../errors';
import type { DecodedImage } from '../images/preprocess';
import { openImageSource } from '../images/sources';
import type { VaeData } from './evaluate';
import { OnnxModel } from '../models/onnx-model';

export interface ImageScaling {
  /** unit: x / 255 (default); signed: x / 127.5 - 1. */
  scale?: 'unit' | 'signed';
  /** Threshold on x / 255: values above it become 1, the rest 0 (binary data for Bernoulli decoders). */
  binarize?: number;
  /** Images with more pixels are refused before decoding. */
  maxPixels?: number;
}

/** The static item shape of a one-input ONNX model (its input's dimensions after the batch axis). */
export async function modelItemShape(modelPath: string): Promise<number[]> {
  const net = await OnnxModel.open(modelPath, { device: 'cpu', threads: 1 });
  try {
    const shape = net.inputShape()?.slice(1);
    if (!shape || shape.length === 0 || !shape.every((v) => typeof v === 'number' && v > 0)) {
      throw new GenmetricsError(`${modelPath}: its input has no fixed item shape (${shape?.join(', ') ?? 'unknown'}); pass the data as a .npy instead of images`);
    }
    return shape as number[];
  } finally {
    await net.release();
  }
}

/** PIL's RGB -> L: (299 R + 587 G + 114 B) / 1000 in its fixed-point form. */
function luminance(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

/**
 * Images (a folder, an image file, or a uint8 .npy/.npz stack) as model input of `itemShape`:
 * C x H x W with C = 1 (gray, PIL's "L" conversion) or 3 (RGB), or a flat D = H W (gray) or
 * 3 H W (RGB planes, C order as a flattened C x H x W tensor). Images must already be H x W.
 */
export async function readImageData(input: string, itemShape: number[], o: ImageScaling = {}): Promise<VaeData> {
  const source = openImageSource(input, { maxPixels: o.maxPixels });
  try {
    const n = source.count;
    const per = itemShape.reduce((a, b) => a * b, 1);
    const first = await source.load(0);
    let channels: number;
    let h: number;
    let w: number;
    if (itemShape.length === 3) {
      [channels, h, w] = itemShape;
      if (channels !== 1 && channels !== 3) throw new GenmetricsError(`the model takes ${channels}-channel images; only 1 (gray) and 3 (RGB) can be made from image files`);
    } else if (itemShape.length === 1) {
      [h, w] = [first.height, first.width];
      channels = per === h * w ? 1 : per === 3 * h * w ? 3 : 0;
      if (!channels) throw new GenmetricsError(`${source.name(0)} is ${w}x${h}: the model takes ${per} values per item, neither ${h * w} (gray) nor ${3 * h * w} (RGB)`);
    } else {
      throw new GenmetricsError(`the model's items have shape (${itemShape.join(', ')}); images fit C x H x W or a flat vector`);
    }
    const scale = o.scale ?? 'unit';
    const data = new Float32Array(n * per);
    const value = (v: number) => {
      if (o.binarize !== undefined) return v / 255 > o.binarize ? 1 : 0;
      return scale === 'unit' ? v / 255 : v / 127.5 - 1;
    };
    for (let i = 0; i < n; i++) {
      const img: DecodedImage = i === 0 ? first : await source.load(i);
      if (img.width !== w || img.height !== h) throw new GenmetricsError(`${source.name(i)} is ${img.width}x${img.height}; the model takes ${w}x${h} images`);
      const c = img.channels;
      const out = data.subarray(i * per, (i + 1) * per);
      for (let p = 0; p < w * h; p++) {
        const base = p * c;
        const [r, g, b] = c < 3 ? [img.data[base], img.data[base], img.data[base]] : [img.data[base], img.data[base + 1], img.data[base + 2]];
        if (channels === 1) out[p] = value(c < 3 ? r : luminance(r, g, b));
        else for (let k = 0; k < 3; k++) out[k * w * h + p] = value([r, g, b][k]);
      }
    }
    return { data, rows: n, itemShape, source: input };
  } finally {
    source.close();
  }
}
