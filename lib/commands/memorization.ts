/**
 * Memorisation: each generated sample's nearest training samples, the copy threshold calibrated
 * on the training set (lib/memorization.ts), the samples under it, and a gallery of the closest pairs.
 */
import { GenmetricsError, OptionError } from '../errors';
import { classifyInput, inputPath, networkFeatures, type SampleInput } from '../inputs';
import { openGeneratorSource } from '../generator/source';
import type { GeneratorProvenance } from '../generator/generator';
import { openImageSource, type ImageSource } from '../images/sources';
import type { DecodedImage } from '../images/preprocess';
import { calibrateThreshold, featureFileRows, nearestInSource, pixelRows, type Calibration, type Rerank, type RowSource } from '../memorization';
import { lpipsOfIndexPairs } from '../network/lpips-pairs';
import * as D from '../defaults';
import { readSidecar } from '../network/meta';
import { composeGrid } from '../pictures/grid';
import { defineCommand, type Reporter } from './descriptor';
import { featureOptions, networkOptions, phaseProgress, threadsOf, threadsOption, withProgress, type NetworkOptions } from './common';
import { precisionOption } from './feature-sets';
import { checkGeneratorOptions, generatedInput, generatorOptionSpecs, latentSeedOption, sampleInputs, type GeneratorCommandOptions } from './generator-options';
import { checkImageOutput, layoutOptions, writeImage } from './picture-options';
import type { PairwisePrecision } from '../metrics/kid';

export interface MemorizationOptions extends NetworkOptions, GeneratorCommandOptions {
  space: 'inception' | 'pixel' | 'lpips';
  candidates: number;
  lpipsModel: string;
  resize?: number;
  k: number;
  ratio: number;
  output?: string;
  gallery: number;
  pad: number;
  background: number;
  precision: PairwisePrecision;
}

/** Candidates LPIPS orders per sample, and training samples measured for its threshold (LPIPS costs a network call per pair). */
export const LPIPS_CANDIDATES = 20;
export const LPIPS_CALIBRATION_ROWS = 1000;

interface SampleResult {
  index: number;
  path: string;
  nearest: { index: number; path: string; distance: number }[];
  copy: boolean;
}

export interface MemorizationCommandResult {
  space: 'inception' | 'pixel' | 'lpips';
  k: number;
  threshold: number;
  calibration: Calibration & { how: string };
  copy_rate: number;
  copies: number;
  samples: SampleResult[];
  generated: { path: string; kind: string; count: number; generator?: GeneratorProvenance };
  training: { path: string; kind: string; count: number };
  gallery: string | null;
}

/** Opens an input as images (for names, pixels and the gallery), or undefined for a features file. */
export async function imagesOf(input: SampleInput, o: NetworkOptions, reporter: Reporter, threads: number): Promise<ImageSource | undefined> {
  if (typeof input !== 'string') return openGeneratorSource(input, { device: o.device, threads, onNotice: (m) => reporter.notice(m) });
  return classifyInput(input) === 'images' ? openImageSource(input, { maxPixels: o.maxPixels }) : undefined;
}

/** Images of a source by index (a generator draws in order up to the last one wanted). */
export async function imagesAt(source: ImageSource, wanted: number[]): Promise<Map<number, DecodedImage>> {
  const out = new Map<number, DecodedImage>();
  if (!source.loadBatch) {
    for (const i of wanted) out.set(i, await source.load(i));
    return out;
  }
  const need = new Set(wanted);
  const last = Math.max(...wanted);
  for (let start = 0; start <= last; start += 64) {
    const batch = await source.loadBatch(start, Math.min(64, last + 1 - start));
    batch.forEach((img, k) => need.has(start + k) && out.set(start + k, img));
  }
  return out;
}

/**
 * An input's rows in Inception space: a features file as it is, images (or a generator) through the
 * network into a temporary features file (disposed with `disposers`).
 */
export async function inceptionRows(
  input: SampleInput,
  o: NetworkOptions,
  reporter: Reporter,
  threads: number,
  disposers: (() => void)[],
): Promise<{ rows: RowSource; preprocessing?: { mode: string; model: { sha256: string } }; generator?: GeneratorProvenance }> {
  if (typeof input === 'string' && classifyInput(input) !== 'images') return { rows: featureFileRows(input), preprocessing: readSidecar(input) };
  const { files, generator } = await withProgress(reporter, 'features', 'img', (bar) => networkFeatures(input, { network: featureOptions(o, reporter, threads, bar) }));
  disposers.push(() => files.dispose());
  return { rows: featureFileRows(files.pool3), preprocessing: { mode: files.meta.mode, model: files.meta.model }, generator };
}

export const memorizationCommand = defineCommand<MemorizationOptions, MemorizationCommandResult>({
  name: 'memorization',
  summary: "Memorisation: each generated sample's k nearest training samples (exact), a copy threshold calibrated on the training set's own nearest-neighbour distances, the copy rate, and a gallery of the closest pairs",
  example: 'memorization generated/ train/ -k 3 -o gallery.png --json',
  inputs: [
    generatedInput('generated'),
    { name: 'train', help: 'training set: image folder/file/uint8 array or features .npy' },
  ],
  options: [
    { key: 'space', type: 'string', choices: ['inception', 'pixel', 'lpips'], default: 'inception', help: "where distances are measured: Inception pool3 features, the images' RGB values (one image size), or LPIPS (re-ranking the nearest candidates in Inception space)", valueName: '<s>' },
    { key: 'candidates', type: 'integer', min: 1, max: 1000, default: LPIPS_CANDIDATES, help: 'space lpips: candidates per sample (nearest in Inception space) that LPIPS orders', valueName: '<n>' },
    { key: 'lpipsModel', type: 'string', default: D.LPIPS_MODEL, help: 'space lpips: LPIPS network, a registry name or an .onnx file', valueName: '<name|path>' },
    { key: 'resize', type: 'integer', min: 1, max: 4096, help: 'space lpips: resize both images of a pair to N x N (needed when sizes differ)', valueName: '<n>' },
    { key: 'k', type: 'integer', short: 'k', min: 1, max: 100, default: 3, help: 'nearest training samples per generated sample', valueName: '<k>' },
    { key: 'ratio', type: 'number', min: 0, exclusiveMin: true, max: 1, default: 1 / 3, help: 'copy threshold as a fraction of the median nearest-neighbour distance within the training set (Carlini et al. 2023: 1/3)', valueName: '<r>' },
    { key: 'output', short: 'o', type: 'string', output: true, help: 'gallery of the closest pairs (a row each: generated, then its nearest training samples)', valueName: '<file.png>' },
    { key: 'gallery', type: 'integer', min: 1, max: 1000, default: 16, help: 'rows of the gallery', valueName: '<n>' },
    ...layoutOptions,
    precisionOption,
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
    const [gen, train] = sampleInputs(inputs, o);
    if (typeof train !== 'string') throw new GenmetricsError('the training set must be a path');
    const genImages = await imagesOf(gen, o, reporter, threads);
    const trainImages = await imagesOf(train, o, reporter, threads);
    const disposers: (() => void)[] = [() => genImages?.close(), () => trainImages?.close()];
    try {
      let genRows: RowSource;
      let trainRows: RowSource;
      let generator: GeneratorProvenance | undefined;
      const lpipsSpace = o.space === 'lpips';
      if (lpipsSpace && (!genImages || !trainImages)) throw new OptionError('space', 'lpips space compares images: give image inputs');
      if (lpipsSpace && typeof gen !== 'string') throw new OptionError('space', "lpips space reads generated samples in any order: write them first with 'genmetrics generate', then pass the folder");
      if (o.space === 'pixel') {
        if (!genImages || !trainImages) throw new OptionError('space', 'pixel space compares images: give image inputs (or use space inception with features)');
        genRows = await pixelRows(genImages);
        trainRows = await pixelRows(trainImages);
        generator = (genImages as { generator?: { provenance(): GeneratorProvenance } }).generator?.provenance();
      } else {
        const a = await inceptionRows(gen, o, reporter, threads, disposers);
        const b = await inceptionRows(train, o, reporter, threads, disposers);
        if (a.generator) generator = a.generator;
        if (a.preprocessing && b.preprocessing && (a.preprocessing.mode !== b.preprocessing.mode || a.preprocessing.model.sha256 !== b.preprocessing.model.sha256)) {
          throw new GenmetricsError(`${inputPath(gen)} and ${train} come from different preprocessing or networks; their features are not comparable`);
        }
        genRows = a.rows;
        trainRows = b.rows;
      }
      const bars = phaseProgress(reporter, 'rows');
      let calibration: Calibration;
      let nearest;
      // LPIPS: each query's candidates (nearest in Inception space) ordered by their LPIPS distance.
      const rerank =
        (queries: ImageSource): Rerank =>
        async (ids, lists) => {
          const first: number[] = [];
          const second: number[] = [];
          lists.forEach((list, q) => list.forEach((nb) => (first.push(ids[q]), second.push(nb.index))));
          const d = await lpipsOfIndexPairs(queries, trainImages!, first, second, { model: o.lpipsModel, resize: o.resize, device: o.device, threads, maxPixels: o.maxPixels, onProgress: (x, t) => bars.update('LPIPS', x, t) });
          let p = 0;
          return lists.map((list) => list.map((nb) => ({ index: nb.index, distance: d[p++] })).sort((x, y) => x.distance - y.distance || x.index - y.index));
        };
      try {
        const knn = { threads, precision: o.precision };
        calibration = await calibrateThreshold(trainRows, o.ratio, {
          ...knn,
          onProgress: (d, t) => bars.update('calibration', d, t),
          ...(lpipsSpace ? { maxRows: LPIPS_CALIBRATION_ROWS, candidates: o.candidates, rerank: rerank(trainImages!) } : {}),
        });
        nearest = await nearestInSource(genRows, trainRows, lpipsSpace ? Math.max(o.k, o.candidates) : o.k, { ...knn, onProgress: (d, t) => bars.update('nearest training samples', d, t) });
        if (lpipsSpace) nearest = (await rerank(genImages!)(Array.from(nearest, (_, i) => i), nearest)).map((list) => list.slice(0, o.k));
      } finally {
        bars.stop();
      }
      const genName = (i: number) => (genImages ? genImages.name(i) : `${inputPath(gen)}[${i}]`);
      const trainName = (i: number) => (trainImages ? trainImages.name(i) : `${train}[${i}]`);
      const samples: SampleResult[] = nearest.map((list, i) => ({
        index: i,
        path: genName(i),
        nearest: list.map((nb) => ({ index: nb.index, path: trainName(nb.index), distance: nb.distance })),
        copy: list.length > 0 && list[0].distance < calibration.threshold,
      }));
      const copies = samples.filter((s) => s.copy).length;
      let gallery: string | null = null;
      if (o.output !== undefined) {
        if (!genImages || !trainImages) throw new OptionError('output', 'the gallery shows images: give image inputs (features files hold none)');
        const closest = [...samples].sort((p, q) => p.nearest[0].distance - q.nearest[0].distance || p.index - q.index).slice(0, o.gallery);
        const g = await imagesAt(genImages, closest.map((s) => s.index));
        const t = await imagesAt(trainImages, [...new Set(closest.flatMap((s) => s.nearest.map((nb) => nb.index)))]);
        const cells = closest.flatMap((s) => [g.get(s.index)!, ...s.nearest.map((nb) => t.get(nb.index)!)]);
        const { image } = await composeGrid(cells, { cols: o.k + 1, pad: o.pad, background: o.background });
        await writeImage(o.output, image);
        gallery = o.output;
      }
      const kind = (input: SampleInput) => (typeof input !== 'string' ? 'generator' : classifyInput(input));
      return {
        space: o.space,
        k: o.k,
        threshold: calibration.threshold,
        calibration: {
          ...calibration,
          how: `${+calibration.ratio.toPrecision(4)} x the median distance from ${calibration.rows} training samples (RandomState(0)) to their nearest other training sample${lpipsSpace ? ` (LPIPS, among the ${o.candidates} nearest in Inception space)` : ''}`,
        },
        copy_rate: copies / samples.length,
        copies,
        samples,
        generated: { path: inputPath(gen), kind: kind(gen), count: genRows.rows, ...(generator ? { generator } : {}) },
        training: { path: train, kind: kind(train), count: trainRows.rows },
        gallery,
      };
    } finally {
      for (const d of disposers) d();
    }
  },
});

/** A one-row picture of the generated samples at `indices` (in that order), written to `file`. */
export async function samplesByIndex(inputs: string[], o: GeneratorCommandOptions & { maxPixels: number; device: MemorizationOptions['device'] }, reporter: Reporter, indices: number[], file: string): Promise<void> {
  const [gen] = sampleInputs(inputs, o);
  const source = await imagesOf(gen, { ...o, threads: undefined } as unknown as MemorizationOptions, reporter, 0);
  if (!source) throw new GenmetricsError(`${inputPath(gen)}: holds features, not images`);
  try {
    const images = await imagesAt(source, indices);
    const { image } = await composeGrid(indices.map((i) => images.get(i)!), { cols: indices.length, pad: 2 });
    await writeImage(file, image);
  } finally {
    source.close();
  }
}
