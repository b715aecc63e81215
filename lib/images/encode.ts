/** Images to PNG bytes (sharp, lossless: reading the file back gives the same samples). */
import type Sharp from 'sharp';
import { lazyModule } from '../lazy';
import type { DecodedImage } from './preprocess';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const sharp = lazyModule(() => require('sharp') as typeof Sharp);

export function sharpOf(image: DecodedImage): Sharp.Sharp {
  const channels = image.channels as 1 | 2 | 3 | 4;
  return sharp()(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), { raw: { width: image.width, height: image.height, channels } });
}

export function encodePng(image: DecodedImage): Promise<Buffer> {
  return sharpOf(image).png({ compressionLevel: 6 }).toBuffer();
}

/** Formats an image output may take, by extension. */
export const IMAGE_OUTPUTS = ['.png', '.jpg', '.jpeg', '.webp'] as const;

/** The image in the format its file name says (.png lossless; .jpg quality 95; .webp lossless). */
export function encodeImage(image: DecodedImage, file: string): Promise<Buffer> {
  const ext = file.slice(file.lastIndexOf('.')).toLowerCase();
  const s = sharpOf(image);
  if (ext === '.jpg' || ext === '.jpeg') return s.jpeg({ quality: 95 }).toBuffer();
  if (ext === '.webp') return s.webp({ lossless: true }).toBuffer();
  return s.png({ compressionLevel: 6 }).toBuffer();
}
