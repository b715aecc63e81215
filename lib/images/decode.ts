import * as fs from 'fs';
import * as path from 'path';
import type * as BmpJs from 'bmp-js';
import type Sharp from 'sharp';
import { lazyModule } from '../lazy';
import { MAX_IMAGE_PIXELS } from '../defaults';
import { GenmetricsError } from '../errors';
import { decodePnm } from './pnm';
import type { DecodedImage } from './preprocess';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const sharp = lazyModule(() => require('sharp') as typeof Sharp);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bmp = lazyModule(() => require('bmp-js') as typeof BmpJs);

/** Extensions of the formats decoded: sharp (libvips) for most; BMP and Netpbm here (pytorch-fid lists them). */
export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.jpe', '.jfif', '.webp', '.tif', '.tiff', '.gif', '.avif', '.bmp', '.pgm', '.ppm', '.pnm']);

export interface DecodeOptions {
  /** Images with more pixels are refused before decoding (default PIL's decompression-bomb limit). */
  maxPixels?: number;
}

function decodeBmp(buf: Buffer, file: string, maxPixels: number): DecodedImage {
  const width = buf.length >= 26 ? buf.readInt32LE(18) : 0;
  const height = buf.length >= 26 ? Math.abs(buf.readInt32LE(22)) : 0;
  if (width * height > maxPixels) throw new GenmetricsError(`${file}: ${width}x${height} = ${width * height} pixels, more than the limit of ${maxPixels} (option maxPixels)`);
  let img;
  try {
    img = bmp().decode(buf);
  } catch (err) {
    throw new GenmetricsError(`${file}: cannot decode image: ${err instanceof Error ? err.message : String(err)}`);
  }
  // bmp-js gives A, B, G, R per pixel -> RGB (PIL's convert("RGB") drops alpha).
  const n = img.width * img.height;
  if (img.data.length < n * 4) throw new GenmetricsError(`${file}: cannot decode image: truncated pixel data`);
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = img.data[i * 4 + 3 - c];
  return { data, width: img.width, height: img.height, channels: 3 };
}

/**
 * Decodes an image file to 8-bit samples, on libuv's thread pool for sharp's formats. No EXIF
 * rotation and no colour management, as PIL's Image.open; the first frame of animations. RGB
 * conversion (gray replicated, alpha dropped, as PIL's convert("RGB")) happens in the native
 * preprocessing. Truncated or corrupt files (a PNG chunk whose data fails its CRC included) throw,
 * naming the file; so do images of more than maxPixels pixels, before they are decoded.
 */
export async function decodeImage(file: string, options: DecodeOptions = {}): Promise<DecodedImage> {
  const maxPixels = options.maxPixels ?? MAX_IMAGE_PIXELS;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.bmp' || ext === '.pgm' || ext === '.ppm' || ext === '.pnm') {
    let buf: Buffer;
    try {
      buf = await fs.promises.readFile(file);
    } catch (err) {
      throw new GenmetricsError(`${file}: cannot read: ${(err as Error).message}`);
    }
    return ext === '.bmp' ? decodeBmp(buf, file, maxPixels) : decodePnm(buf, file, maxPixels);
  }
  try {
    const { data, info } = await sharp()(file, { failOn: 'error', limitInputPixels: maxPixels })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels };
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    if (/pixel limit/i.test(why)) {
      const meta = await sharp()(file, { limitInputPixels: false }).metadata().catch(() => undefined);
      const size = meta?.width && meta.height ? `${meta.width}x${meta.height} = ${meta.width * meta.height} pixels, ` : '';
      throw new GenmetricsError(`${file}: ${size}more than the limit of ${maxPixels} pixels (option maxPixels)`);
    }
    throw new GenmetricsError(`${file}: cannot decode image: ${why}`);
  }
}
