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
