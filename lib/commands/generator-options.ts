/**
 * The option group that lets a metric command draw its first input from a generator instead of
 * reading it (`fid --generator G.onnx -n 50000 REF`): the samples stream generator -> resize ->
 * network and are never written to disk.
 */
import * as D from '../defaults';
import { OptionError } from '../errors';
import { OUTPUT_RANGES, QUANTIZE_MODES, type GeneratorSpec, type OutputRange, type Quantize } from '../generator/generator';
import { checkTruncation, type TruncationMethod } from '../generator/latents';
import type { SampleInput } from '../inputs';
import type { InputSpec, OptionSpec } from './descriptor';

export const generatorOptionSpecs: OptionSpec[] = [
  { key: 'generator', type: 'string', help: 'draw the generated set from this generator (.onnx: input z N x Z, output N x C x H x W) instead of reading it', valueName: '<G.onnx>' },
  { key: 'samples', type: 'integer', short: 'n', min: 1, max: 100_000_000, default: D.GENERATOR_SAMPLES, help: 'generator: samples to draw', valueName: '<n>' },
  { key: 'truncation', type: 'number', min: 0, help: 'generator: truncation psi (none when absent)', valueName: '<psi>' },
  { key: 'truncationMethod', type: 'string', choices: ['scale', 'resample'], default: D.TRUNCATION_METHOD, help: 'generator: scale (z * psi; w_avg + psi (w - w_avg) with a mapping network) or resample (BigGAN: redraw entries with |z| > psi)', valueName: '<m>' },
  { key: 'mapping', type: 'string', help: 'generator: a mapping network z -> w (.onnx) run before the generator', valueName: '<M.onnx>' },
  { key: 'range', type: 'string', choices: OUTPUT_RANGES, defaultNote: "the model's metadata 'range', else -1,1", help: "generator: range of the float images ('-1,1' or '0,1')", valueName: '<lo,hi>' },
  { key: 'quantize', type: 'string', choices: QUANTIZE_MODES, default: D.QUANTIZE, help: "generator: float images to uint8 as StyleGAN/torchvision save them (round) or as torch-fidelity's example (truncate)", valueName: '<q>' },
  { key: 'classes', type: 'integer', min: 1, defaultNote: "the model's metadata 'num_classes'", help: 'generator: classes of a conditional model (labels drawn uniformly)', valueName: '<k>' },
];

/** The generated set's input, for which option generator may stand. */
export function generatedInput(name = 'a'): InputSpec {
  return { name, help: 'generated set: image folder/file/uint8 array or features .npy (N x D); left out with option generator, which draws it', generator: true };
}

/** For commands without a seed of their own: the latent codes' seed. */
export const latentSeedOption: OptionSpec = {
  key: 'seed',
  type: 'integer',
  min: 0,
  max: 2 ** 32 - 1,
  default: D.GENERATOR_SEED,
  help: "generator: seed of the latent codes (NumPy's legacy RandomState, torch-fidelity's rng_seed)",
  valueName: '<n>',
};

export interface GeneratorCommandOptions {
  generator?: string;
  samples: number;
  truncation?: number;
  truncationMethod: TruncationMethod;
  mapping?: string;
  range?: OutputRange;
  quantize: Quantize;
  classes?: number;
  seed: number;
}

const ONLY_WITH_GENERATOR = ['truncation', 'mapping', 'range', 'classes'] as const;

/** The generator options without option generator are refused (they would be silently ignored); the truncation is checked before any model opens. */
export function checkGeneratorOptions(o: GeneratorCommandOptions): void {
  if (o.generator !== undefined) {
    if (o.truncation !== undefined) checkTruncation({ psi: o.truncation, method: o.truncationMethod });
    return;
  }
  const stray = ONLY_WITH_GENERATOR.filter((k) => o[k] !== undefined);
  if (stray.length) throw new OptionError(stray[0], 'applies to generated samples: give option generator too');
}

export function generatorSpec(o: GeneratorCommandOptions & { generator: string }): GeneratorSpec {
  return {
    generator: o.generator,
    samples: o.samples,
    seed: o.seed,
    truncation: o.truncation === undefined ? undefined : { psi: o.truncation, method: o.truncationMethod },
    mapping: o.mapping,
    range: o.range,
    quantize: o.quantize,
    classes: o.classes,
  };
}

/** The command's inputs with the generator's samples in the first place when option generator is given. */
export function sampleInputs(inputs: string[], o: GeneratorCommandOptions): SampleInput[] {
  return o.generator === undefined ? inputs : [generatorSpec({ ...o, generator: o.generator }), ...inputs];
}
