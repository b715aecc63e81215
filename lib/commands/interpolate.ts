/** Latent interpolations of a generator: one row per pair of consecutive seeds. */
import { OptionError } from '../errors';
import { Generator, type GeneratorProvenance } from '../generator/generator';
import type { DecodedImage } from '../images/preprocess';
import type { Device } from '../models/session';
import { composeGrid } from '../pictures/grid';
import { interpolate, steps as spaced, type Interpolation } from '../pictures/interpolate';
import { defineCommand } from './descriptor';
import { deviceOption, threadsOf, threadsOption } from './common';
import { checkGeneratorOptions, generatorOptionSpecs, generatorSpec, type GeneratorCommandOptions } from './generator-options';
import { checkImageOutput, imageOutputOption, layoutOptions, writeImage, type ImageOutputOptions } from './picture-options';

export interface InterpolateOptions extends Omit<GeneratorCommandOptions, 'samples' | 'seed'>, ImageOutputOptions {
  generator: string;
  seeds: string;
  steps: number;
  slerp: boolean;
  device: Device;
  threads?: number;
}

export interface InterpolateCommandResult {
  output: string;
  seeds: number[];
  steps: number;
  interpolation: Interpolation;
  rows: number;
  cols: number;
  generator: GeneratorProvenance;
}

/** "1,2,3" -> [1, 2, 3]: at least two seeds, each an integer in [0, 2^32). */
export function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((s) => s.trim());
  const bad = seeds.find((s) => !/^\d+$/.test(s) || Number(s) > 2 ** 32 - 1);
  if (bad !== undefined) throw new OptionError('seeds', `expected comma-separated integers between 0 and 2**32 - 1, got '${bad}' in '${text}'`);
  if (seeds.length < 2) throw new OptionError('seeds', `expected at least two seeds (the ends of an interpolation), got '${text}'`);
  return seeds.map(Number);
}

export const interpolateCommand = defineCommand<InterpolateOptions, InterpolateCommandResult>({
  name: 'interpolate',
  summary: "Latent interpolations of a generator: a row of images from each seed's code to the next seed's",
  example: 'interpolate --generator G.onnx --seeds 1,2,3 --steps 8 -o strip.png --slerp',
  inputs: [],
  options: [
    ...generatorOptionSpecs.filter((s) => s.key !== 'samples').map((s) => (s.key === 'generator' ? { ...s, required: true, help: 'the generator (.onnx: input z N x Z, output N x C x H x W)' } : s)),
    { key: 'seeds', type: 'string', required: true, help: "seeds of the codes to pass through, in order (each code is RandomState(seed).randn(1, Z), torch-fidelity's draw)", valueName: '<s1,s2,...>' },
    { key: 'steps', type: 'integer', min: 2, max: 256, default: 8, help: 'images per row, both ends included', valueName: '<n>' },
    { key: 'slerp', type: 'boolean', default: false, help: "spherical interpolation (torch-fidelity's slerp) instead of linear" },
    imageOutputOption,
    ...layoutOptions,
    deviceOption(),
    threadsOption,
  ],
  check(_inputs, o) {
    parseSeeds(o.seeds);
    checkImageOutput(o.output);
    checkGeneratorOptions({ ...o, samples: 1, seed: 0 });
  },
  async run(_inputs, o, reporter) {
    const seeds = parseSeeds(o.seeds);
    const g = await Generator.open(generatorSpec({ ...o, samples: 1, seed: seeds[0] }), { device: o.device, threads: threadsOf(o, reporter), onNotice: (m) => reporter.notice(m) });
    const kind: Interpolation = o.slerp ? 'slerp' : 'lerp';
    const ts = spaced(o.steps);
    const images: DecodedImage[] = [];
    try {
      const codes = seeds.map((s) => g.latents(s, 1).next(1));
      for (let r = 0; r + 1 < codes.length; r++) {
        const a = codes[r];
        const b = codes[r + 1];
        const z = new Float32Array(ts.length * g.zDims);
        ts.forEach((t, k) => z.set(interpolate(kind, a.z, b.z, t), k * g.zDims));
        // A conditional model keeps the class of the row's first seed.
        const labels = a.labels ? BigInt64Array.from(ts, () => a.labels![0]) : undefined;
        images.push(...(await g.images({ z, labels, rows: ts.length })));
      }
      const { image, layout } = await composeGrid(images, { cols: o.steps, pad: o.pad, background: o.background });
      await writeImage(o.output, image);
      return { output: o.output, seeds, steps: o.steps, interpolation: kind, rows: layout.rows, cols: layout.cols, generator: g.provenance() };
    } finally {
      await g.release();
    }
  },
});
