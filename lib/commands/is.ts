import * as D from '../defaults';
import { loadLogits } from '../inception-logits';
import { inceptionScore } from '../metrics/inception-score';
import { defineCommand } from './descriptor';
import { checkGeneratorOptions, generatorOptionSpecs, sampleInputs, type GeneratorCommandOptions } from './generator-options';
import { featureOptions, networkOptions, threadsOf, threadsOption, warnSkipped, withProgress, type NetworkOptions, requireInceptionExtractor } from './common';

export interface IsOptions extends NetworkOptions, GeneratorCommandOptions {
  splits: number;
  shuffle: boolean;
  seed: number;
}

export interface IsCommandResult {
  inception_score: { mean: number; std: number };
  splits: number;
  shuffle: boolean;
  seed: number | null;
  count: number;
  per_split: number[];
  input: Record<string, unknown>;
}

export const isCommand = defineCommand<IsOptions, IsCommandResult>({
  name: 'is',
  summary:
    "Inception Score of images or logits (.npy, N x C), torch-fidelity's conventions: logits_unbiased, 10 splits, rows shuffled with NumPy's RandomState(2020)",
  example: 'is generated/ --splits 10 --json',
  inputs: [{ name: 'input', help: 'image folder/file/uint8 array, or logits .npy (N x C); left out with option generator, which draws the images', generator: true }],
  options: [
    { key: 'splits', type: 'integer', min: 1, max: 1_000_000, default: D.IS_SPLITS, help: 'number of splits', valueName: '<k>' },
    { key: 'shuffle', type: 'boolean', default: true, help: 'shuffle the rows before splitting (--no-shuffle keeps the row order: the OpenAI/TTUR reference)' },
    { key: 'seed', type: 'integer', min: 0, max: 2 ** 32 - 1, default: D.IS_SEED, help: "seed of NumPy's legacy RandomState for the shuffle (and a generator's latent codes: torch-fidelity's one rng_seed)", valueName: '<n>' },
    ...generatorOptionSpecs,
    ...networkOptions,
    threadsOption,
  ],
  check: (_inputs, o) => {
    checkGeneratorOptions(o);
    requireInceptionExtractor(o, 'the Inception Score');
  },
  async run(inputs, o, reporter) {
    const threads = threadsOf(o, reporter);
    const [source] = sampleInputs(inputs, o);
    const input = typeof source === 'string' ? source : source.generator;
    const l = await withProgress(reporter, 'features', 'img', (bar) => loadLogits(source, featureOptions(o, reporter, threads, bar)));
    const r = inceptionScore(l.data, l.rows, l.classes, { splits: o.splits, shuffle: o.shuffle, seed: o.seed }, input);
    const skipped = l.images?.skipped ?? [];
    warnSkipped(reporter, input, skipped);
    const m = l.images;
    return {
      inception_score: { mean: r.mean, std: r.std },
      splits: r.splits,
      shuffle: r.shuffle,
      seed: r.shuffle ? r.seed : null,
      count: r.count,
      per_split: r.perSplit,
      input: m
        ? { path: input, kind: l.generator ? 'generator' : 'images', images: m.source.images, mode: m.mode, model: m.model, skipped, cached: m.cached, ...(l.generator ? { generator: l.generator } : {}) }
        : { path: input, kind: 'logits' },
    };
  },
});
