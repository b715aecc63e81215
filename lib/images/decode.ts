import sharp from 'sharp';
import { GenmetricsError } from '../errors';
import type { DecodedImage } from './preprocess';

/** Extensions of the formats sharp (libvips) decodes. */
export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.jpe', '.jfif', '.webp', '.tif', '.tiff', '.gif', '.avif']);

/**
 * Decodes an image file to 8-bit samples with sharp, on libuv's thread pool. No EXIF rotation and
 * no colour management, as PIL's Image.open; the first frame of animations. RGB conversion (gray
 * replicated, alpha dropped, as PIL's convert("RGB")) happens in the native preprocessing.
 * Truncated or corrupt files throw, naming the file.
 */
export async function decodeImage(file: string): Promise<DecodedImage> {
  try {
    const { data, info } = await sharp(file, { failOn: 'truncated', limitInputPixels: false })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels };
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new GenmetricsError(`${file}: cannot decode image: ${why}`);
  }
}
