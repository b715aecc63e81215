/** Options of the commands that draw pictures (grid, interpolate, traverse): the image file and its layout. */
import * as path from 'path';
import { OptionError } from '../errors';
import { encodeImage, IMAGE_OUTPUTS } from '../images/encode';
import type { DecodedImage } from '../images/preprocess';
import { writeFileAtomic } from '../io/atomic';
import type { OptionSpec } from './descriptor';

export const imageOutputOption: OptionSpec = {
  key: 'output',
  short: 'o',
  type: 'string',
  required: true,
  output: true,
  help: `image to write (${IMAGE_OUTPUTS.join(', ')})`,
  valueName: '<file>',
};

export const layoutOptions: OptionSpec[] = [
  { key: 'pad', type: 'integer', min: 0, max: 256, default: 2, help: "pixels between and around the images (torchvision's make_grid padding)", valueName: '<px>' },
  { key: 'background', type: 'integer', min: 0, max: 255, default: 0, help: 'grey level of the padding (0 black ... 255 white)', valueName: '<v>' },
];

export interface ImageOutputOptions {
  output: string;
  pad: number;
  background: number;
}

export function checkImageOutput(file: string): void {
  const ext = path.extname(file).toLowerCase();
  if (!(IMAGE_OUTPUTS as readonly string[]).includes(ext)) {
    throw new OptionError('output', `expected an image file name ending in ${IMAGE_OUTPUTS.join(', ')}, got '${file}'`);
  }
}

/** Writes the image whole or not at all. */
export async function writeImage(file: string, image: DecodedImage): Promise<void> {
  writeFileAtomic(file, await encodeImage(image, file));
}
