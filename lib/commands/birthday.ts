/** The birthday-paradox duplicate test: closest pairs in batches of s samples, and the support size s² when duplicates are common. */
import * as D from '../defaults';
import { OptionError } from '../errors';
import { inputPath, type InputProvenance } from '../inputs';
import { closestPairs, median } from '../metrics/birthday';
import { pixelRows, type RowSource } from '../memorization';
import { composeGrid } from '../pictures/grid';
import { LegacyRandomState } from '../random/mt19937';
import { defineCommand } from './descriptor';
import { networkOptions, phaseProgress, threadsOf, threadsOption, type NetworkOptions } from './common';
import { checkGeneratorOptions, generatorOptionSpecs, latentSeedOption, sampleInputs, type GeneratorCommandOptions } from './generator-options';
import { imagesAt, imagesOf, inceptionRows } from './memorization';
import { checkImageOutput, layoutOptions, writeImage } from './picture-options';
import type { GeneratorProvenance } from '../generator/generator';

export interface BirthdayOptions extends NetworkOptions, GeneratorCommandOptions {
  space: 'inception' | 'pixel';
  samplesPerBatch: number;
  batches: number;
  pairs: number;
  ratio: number;
  threshold?: number;
  birthdaySeed: number;
  output?: string;
  gallery: number;
  pad: number;
  background: number;
}

interface PairJson {
  batch: number;
  a: { index: number; path: string };
  b: { index: number; path: string };
  distance: number;
  duplicate: boolean;
}

export interface BirthdayCommandResult {
  /** The support-size estimate s² when at least half the batches hold a duplicate, else null. */
  birthday: number | null;
  /** When fewer than half do: the support is probably larger than s². */
  support_at_least: number | null;
  batch_size: number;
  batches: number;
  duplicate_batches: number;
  duplicate_rate: number;
  threshold: number;
  threshold_how: string;
  space: 'inception' | 'pixel';
  seed: number;
  /** Each batch's closest pairs. */
  pairs: PairJson[];
  gallery: string | null;
  input: Omit<InputProvenance, 'preprocessing'> & { generator?: GeneratorProvenance };
}

export const birthdayCommand = defineCommand<BirthdayOptions, BirthdayCommandResult>({
  name: 'birthday',
  summary:
    'Birthday-paradox test (Arora & Zhang 2018): the closest pairs in random batches of s samples (exact, Inception or pixel space), a gallery of them, and the support-size estimate s² when at least half the batches hold a duplicate',
  example: 'birthday generated/ -s 400 --batches 10 -o pairs.png --json',
  inputs: [{ name: 'input', help: 'image folder/file/uint8 array or features .npy (N x D); left out with option generator, which draws it', generator: true }],
  options: [
    { key: 'samplesPerBatch', type: 'integer', short: 's', min: 2, max: 16384, default: D.BIRTHDAY_BATCH, help: 'samples per batch (s)', valueName: '<s>' },
    { key: 'batches', type: 'integer', min: 1, max: 100_000, default: D.BIRTHDAY_BATCHES, help: 'batches drawn', valueName: '<n>' },
    { key: 'pairs', type: 'integer', min: 1, max: 1000, default: D.BIRTHDAY_PAIRS, help: "closest pairs kept per batch (the paper inspects each batch's 20)", valueName: '<n>' },
    { key: 'space', type: 'string', choices: ['inception', 'pixel'], default: 'inception', help: "where distances are measured: Inception pool3 features, or the images' RGB values (one image size)", valueName: '<s>' },
    { key: 'ratio', type: 'number', min: 0, exclusiveMin: true, max: 1, default: D.BIRTHDAY_RATIO, help: "a duplicate is a pair closer than this x the median distance of the batches' samples to their nearest other sample", valueName: '<r>' },
    { key: 'threshold', type: 'number', min: 0, exclusiveMin: true, help: 'an absolute duplicate distance instead of option ratio', valueName: '<d>' },
    { key: 'birthdaySeed', type: 'integer', min: 0, max: 2 ** 32 - 1, default: 0, help: "seed of the batches (NumPy's legacy RandomState(seed).choice(n, s, replace=False) per batch)", valueName: '<n>' },
    { key: 'output', short: 'o', type: 'string', output: true, help: 'gallery of the closest pairs over all batches, one pair per row', valueName: '<file.png>' },
    { key: 'gallery', type: 'integer', min: 1, max: 1000, default: D.BIRTHDAY_PAIRS, help: 'pairs in the gallery', valueName: '<n>' },
    ...layoutOptions,
    ...generatorOptionSpecs,
    latentSeedOption,
    ...networkOptions,
    threadsOption,
  ],
  check(_inputs, o) {
    checkGeneratorOptions(o);
    if (o.output !== undefined) checkImageOutput(o.output);
  },
  async run(inputs, o, reporter) {
    const threads = threadsOf(o, reporter);
    const [input] = sampleInputs(inputs, o);
    const images = await imagesOf(input, o, reporter, threads);
    const disposers: (() => void)[] = [() => images?.close()];
    try {
      let rows: RowSource;
      let generator: GeneratorProvenance | undefined;
      if (o.space === 'pixel') {
        if (!images) throw new OptionError('space', 'pixel space compares images: give image inputs (or use space inception with features)');
        rows = await pixelRows(images);
        generator = (images as { generator?: { provenance(): GeneratorProvenance } }).generator?.provenance();
      } else {
        const r = await inceptionRows(input, o, reporter, threads, disposers);
        rows = r.rows;
        generator = r.generator;
      }
      const n = rows.rows;
      if (o.samplesPerBatch > n) throw new OptionError('samplesPerBatch', `a batch of ${o.samplesPerBatch} needs at least that many samples; ${inputPath(input)} has ${n}`);
      const rs = new LegacyRandomState(o.birthdaySeed);
      const bars = phaseProgress(reporter, 'batches');
      const found: { batch: number; index: Uint32Array; pairs: { i: number; j: number; distance: number }[] }[] = [];
      const nearest: number[] = [];
      try {
        for (let b = 0; b < o.batches; b++) {
          const index = rs.choice(n, o.samplesPerBatch);
          const x = await rows.readRows(index);
          const r = await closestPairs(x, o.samplesPerBatch, rows.dims, o.pairs, threads);
          found.push({ batch: b, index: Uint32Array.from(index), pairs: r.pairs });
          nearest.push(...r.nearest);
          bars.update('closest pairs', b + 1, o.batches);
        }
      } finally {
        bars.stop();
      }
      const threshold = o.threshold ?? o.ratio * median(nearest);
      const how = o.threshold !== undefined ? 'given' : `${+o.ratio.toPrecision(4)} x the median distance of the ${nearest.length} batch samples to their nearest other sample in the batch`;
      const name = (i: number) => (images ? images.name(i) : `${inputPath(input)}[${i}]`);
      const pairs: PairJson[] = found.flatMap((f) =>
        f.pairs.map((p) => ({ batch: f.batch, a: { index: f.index[p.i], path: name(f.index[p.i]) }, b: { index: f.index[p.j], path: name(f.index[p.j]) }, distance: p.distance, duplicate: p.distance < threshold })),
      );
      const duplicateBatches = found.filter((f) => f.pairs.length > 0 && f.pairs[0].distance < threshold).length;
      const rate = duplicateBatches / o.batches;
      const s2 = o.samplesPerBatch * o.samplesPerBatch;
      let gallery: string | null = null;
      if (o.output !== undefined) {
        if (!images) throw new OptionError('output', 'the gallery shows images: give image inputs (features files hold none)');
        const closest = [...pairs].sort((p, q) => p.distance - q.distance || p.batch - q.batch).slice(0, o.gallery);
        const got = await imagesAt(images, [...new Set(closest.flatMap((p) => [p.a.index, p.b.index]))]);
        const { image } = await composeGrid(
          closest.flatMap((p) => [got.get(p.a.index)!, got.get(p.b.index)!]),
          { cols: 2, pad: o.pad, background: o.background },
        );
        await writeImage(o.output, image);
        gallery = o.output;
      }
      return {
        birthday: rate >= 0.5 ? s2 : null,
        support_at_least: rate >= 0.5 ? null : s2,
        batch_size: o.samplesPerBatch,
        batches: o.batches,
        duplicate_batches: duplicateBatches,
        duplicate_rate: rate,
        threshold,
        threshold_how: how,
        space: o.space,
        seed: o.birthdaySeed,
        pairs,
        gallery,
        input: { path: inputPath(input), kind: typeof input === 'string' ? (images ? 'images' : 'features') : 'generator', dims: rows.dims, count: n, ...(generator ? { generator } : {}) },
      };
    } finally {
      for (const d of disposers) d();
    }
  },
});
