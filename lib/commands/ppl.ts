/** Perceptual path length of a generator (torch-fidelity's definition and defaults). */
import * as D from '../defaults';
import { OptionError } from '../errors';
import type { GeneratorProvenance } from '../generator/generator';
import { perceptualPathLengths } from '../generator/ppl';
import { writeCsv } from '../io/csv';
import { reducePathLengths } from '../metrics/ppl';
import type { Device } from '../models/session';
import type { Interpolation } from '../pictures/interpolate';
import { defineCommand } from './descriptor';
import { deviceOption, threadsOf, threadsOption, withProgress } from './common';
import { checkGeneratorOptions, generatorOptionSpecs, generatorSpec, latentSeedOption, type GeneratorCommandOptions } from './generator-options';

export interface PplCommandOptions extends GeneratorCommandOptions {
  generator: string;
  epsilon: number;
  interpolation: Interpolation;
  dtype: 'uint8' | 'float32';
  resize: number;
  lowerPercentile: number;
  upperPercentile: number;
  discard: boolean;
  batchSize: number;
  lpipsModel: string;
  perSample?: string;
  device: Device;
  threads?: number;
}

export interface PplCommandResult {
  ppl: { mean: number; std: number };
  samples: number;
  kept: number;
  percentiles: [number, number] | null;
  bounds: { lower: number | null; upper: number | null };
  epsilon: number;
  interpolation: Interpolation;
  dtype: 'uint8' | 'float32';
  resize: number;
  lpips: { name: string; sha256: string };
  generator: GeneratorProvenance;
}

export const pplCommand = defineCommand<PplCommandOptions, PplCommandResult>({
  name: 'ppl',
  summary: "Perceptual path length of a generator (Karras et al. 2019), torch-fidelity's definition and defaults: eps 1e-4, lerp in z, LPIPS-VGG16 at 64 px on uint8 images, 1st-99th percentiles kept",
  example: 'ppl --generator G.onnx -n 50000 --json',
  inputs: [],
  options: [
    ...generatorOptionSpecs.map((s) => (s.key === 'generator' ? { ...s, required: true, help: 'the generator (.onnx: input z N x Z, output N x 3 x H x W)' } : s)).filter((s) => s.key !== 'truncation' && s.key !== 'truncationMethod'),
    latentSeedOption,
    { key: 'epsilon', type: 'number', min: 0, exclusiveMin: true, max: 1, default: D.PPL_EPSILON, help: 'step between the two codes of a sample', valueName: '<eps>' },
    { key: 'interpolation', type: 'string', choices: ['lerp', 'slerp'], default: D.PPL_INTERPOLATION, help: "how the second code moves toward its partner (torch-fidelity's lerp or slerp_any)", valueName: '<m>' },
    { key: 'dtype', type: 'string', choices: ['uint8', 'float32'], default: D.PPL_DTYPE, help: 'uint8: LPIPS sees the images as saved (quantised); float32: the raw output', valueName: '<t>' },
    { key: 'resize', type: 'integer', min: 16, max: 1024, default: D.PPL_RESIZE, help: 'LPIPS input side (area down, bilinear up, as torch-fidelity)', valueName: '<px>' },
    { key: 'lowerPercentile', type: 'number', min: 0, exclusiveMin: true, max: 100, exclusiveMax: true, default: D.PPL_LOWER_PERCENTILE, help: "drop distances below this percentile (NumPy's 'lower')", valueName: '<q>' },
    { key: 'upperPercentile', type: 'number', min: 0, exclusiveMin: true, max: 100, exclusiveMax: true, default: D.PPL_UPPER_PERCENTILE, help: "drop distances above this percentile (NumPy's 'higher')", valueName: '<q>' },
    { key: 'discard', type: 'boolean', default: true, help: 'drop the outliers outside the percentiles (--no-discard keeps every sample)' },
    { key: 'batchSize', type: 'integer', min: 1, max: 4096, default: D.PPL_BATCH, help: 'samples per call (each runs two images through the generator and LPIPS)', valueName: '<n>' },
    { key: 'lpipsModel', type: 'string', default: D.PPL_LPIPS_MODEL, help: 'LPIPS network: a registry name or an .onnx file', valueName: '<name|path>' },
    { key: 'perSample', type: 'string', output: true, help: 'write every sample\'s distance to a CSV file (sample, distance, kept)', valueName: '<file.csv>' },
    deviceOption(),
    threadsOption,
  ],
  check(_inputs, o) {
    checkGeneratorOptions(o);
    if (o.discard && o.lowerPercentile >= o.upperPercentile) {
      throw new OptionError('lowerPercentile', `must be below option upperPercentile (${o.upperPercentile}), got ${o.lowerPercentile}`);
    }
  },
  async run(_inputs, o, reporter) {
    const threads = threadsOf(o, reporter);
    const spec = generatorSpec(o);
    const r = await withProgress(reporter, 'path lengths', 'samples', (bar) =>
      perceptualPathLengths(spec, {
        epsilon: o.epsilon,
        interpolation: o.interpolation,
        dtype: o.dtype,
        resize: o.resize,
        batchSize: o.batchSize,
        lpipsModel: o.lpipsModel,
        device: o.device,
        threads,
        onProgress: (d, t) => bar.update(d, t),
        onNotice: (m) => reporter.notice(m),
      }),
    );
    const reduced = reducePathLengths(r.distances, o.discard ? { lower: o.lowerPercentile, upper: o.upperPercentile } : { lower: null, upper: null });
    if (o.perSample) {
      const { lower, upper } = reduced.bounds;
      writeCsv(o.perSample, [
        ['sample', 'distance', 'kept'],
        ...Array.from(r.distances, (d, i) => [i, d, (lower === null || lower <= d) && (upper === null || d <= upper) ? 1 : 0]),
      ]);
    }
    return {
      ppl: { mean: reduced.mean, std: reduced.std },
      samples: r.distances.length,
      kept: reduced.kept,
      percentiles: o.discard ? [o.lowerPercentile, o.upperPercentile] : null,
      bounds: reduced.bounds,
      epsilon: o.epsilon,
      interpolation: o.interpolation,
      dtype: o.dtype,
      resize: o.resize,
      lpips: r.lpips,
      generator: r.generator,
    };
  },
});
