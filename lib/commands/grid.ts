/** A grid of images: the first images of an input, or samples drawn from a generator. */
import { GenmetricsError } from '../errors';
import { openGeneratorSource } from '../generator/source';
import type { GeneratorProvenance } from '../generator/generator';
import { openImageSource } from '../images/sources';
import type { DecodedImage } from '../images/preprocess';
import { composeGrid } from '../pictures/grid';
import type { Device } from '../models/session';
import { defineCommand } from './descriptor';
import { deviceOption, maxPixelsOption, threadsOf, threadsOption } from './common';
import { checkGeneratorOptions, generatorOptionSpecs, generatorSpec, latentSeedOption, type GeneratorCommandOptions } from './generator-options';
import { checkImageOutput, imageOutputOption, layoutOptions, writeImage, type ImageOutputOptions } from './picture-options';

export interface GridCommandOptions extends Omit<GeneratorCommandOptions, 'samples'>, ImageOutputOptions {
  count: number;
  rows?: number;
  cols?: number;
  maxPixels: number;
  device: Device;
  threads?: number;
}

export interface GridCommandResult {
  output: string;
  images: number;
  rows: number;
  cols: number;
  width: number;
  height: number;
  source: { path: string; kind: string; generator?: GeneratorProvenance };
}

export const gridCommand = defineCommand<GridCommandOptions, GridCommandResult>({
  name: 'grid',
  summary: 'A grid of images (the first ones of an image folder/file/array, or samples of a generator), as one picture',
  example: 'grid --generator G.onnx -o grid.png --count 64',
  inputs: [{ name: 'images', help: 'image folder/file/uint8 array; left out with option generator, which draws the samples', generator: true }],
  options: [
    imageOutputOption,
    { key: 'count', type: 'integer', min: 1, max: 10_000, default: 64, help: 'images in the grid (rows x cols when both are given)', valueName: '<n>' },
    { key: 'rows', type: 'integer', min: 1, max: 1000, help: 'rows (default: as many as the images need)', valueName: '<r>' },
    { key: 'cols', type: 'integer', min: 1, max: 1000, defaultNote: 'ceil(sqrt(count))', help: 'columns', valueName: '<c>' },
    ...layoutOptions,
    ...generatorOptionSpecs.filter((s) => s.key !== 'samples'),
    latentSeedOption,
    maxPixelsOption,
    deviceOption(),
    threadsOption,
  ],
  check(_inputs, o) {
    checkImageOutput(o.output);
    checkGeneratorOptions({ ...o, samples: o.count });
  },
  async run(inputs, o, reporter) {
    const count = o.rows && o.cols ? Math.min(o.count, o.rows * o.cols) : o.count;
    let images: DecodedImage[];
    let source: GridCommandResult['source'];
    if (o.generator !== undefined) {
      const g = await openGeneratorSource(generatorSpec({ ...o, generator: o.generator, samples: count }), { device: o.device, threads: threadsOf(o, reporter), onNotice: (m) => reporter.notice(m) });
      try {
        images = await g.loadBatch!(0, count);
        source = { path: o.generator, kind: 'generator', generator: g.generator.provenance() };
      } finally {
        await g.generator.release();
      }
    } else {
      const s = openImageSource(inputs[0], { maxPixels: o.maxPixels });
      try {
        const n = Math.min(count, s.count);
        images = await Promise.all(Array.from({ length: n }, (_, i) => s.load(i)));
        source = { path: inputs[0], kind: s.kind };
      } finally {
        s.close();
      }
    }
    if (images.length === 0) throw new GenmetricsError(`${source.path}: no images`);
    const { image, layout } = await composeGrid(images, { rows: o.rows, cols: o.cols, pad: o.pad, background: o.background });
    await writeImage(o.output, image);
    return { output: o.output, images: images.length, rows: layout.rows, cols: layout.cols, width: image.width, height: image.height, source };
  },
});
