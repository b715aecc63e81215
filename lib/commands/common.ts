/** Option groups shared by several commands, and the helpers that turn them into library options. */
import * as os from 'os';
import * as D from '../defaults';
import { RESIZE_MODES, type ResizeMode } from '../images/preprocess';
import type { Device } from '../models/session';
import type { FeatureOptions } from '../network/inception';
import { checkExtractorName, EXTRACTORS, requireInception } from '../network/extractor';
import type { OptionSpec, Progress, Reporter } from './descriptor';

const DEVICES = ['auto', 'cpu', 'cuda'] as const;

/** Larger values only exhaust memory: the pipelines hold a batch (or subset, pair list) at a time. */
export const MAX_BATCH = 4096;
export const MAX_RESIZE = 4096;

export const threadsOption: OptionSpec = {
  key: 'threads',
  type: 'integer',
  min: 1,
  expect: 'a positive integer',
  help: 'worker threads for the native core and onnxruntime (more than the cores are clamped, with a notice)',
  defaultNote: 'all cores',
  valueName: '<n>',
};

export interface ThreadsOption {
  threads?: number;
}

/** The thread count to use: the option, clamped to the cores (with a notice), or 0 for "all cores". */
export function threadsOf(o: ThreadsOption, reporter: Reporter): number {
  if (o.threads === undefined) return 0;
  const cores = os.availableParallelism();
  if (o.threads > cores) {
    reporter.notice(`option threads ${o.threads} is more than the ${cores} cores; using ${cores}`);
    return cores;
  }
  return o.threads;
}

export const deviceOption = (def: string = D.DEVICE): OptionSpec => ({
  key: 'device',
  type: 'string',
  choices: DEVICES,
  expect: 'auto, cpu or cuda',
  default: def,
  help: 'where the network runs: auto (CUDA when installed, else CPU), cpu or cuda',
  valueName: '<device>',
});

/** Images with more pixels are refused before decoding (a 20000 x 20000 PNG would take 1.2 GB). */
export const maxPixelsOption: OptionSpec = {
  key: 'maxPixels',
  type: 'integer',
  min: 1,
  max: 2 ** 40,
  default: D.MAX_IMAGE_PIXELS,
  help: "refuse images with more pixels, before decoding them (PIL's decompression-bomb limit)",
  valueName: '<n>',
};

/** Which network turns images into features (lib/network/extractor.ts; docs/extractors.md). */
export const extractorOption: OptionSpec = {
  key: 'extractor',
  type: 'string',
  default: D.EXTRACTOR,
  expect: `${EXTRACTORS.join(', ')} or onnx:PATH`,
  help: `feature extractor for image inputs: ${EXTRACTORS.join(', ')} or onnx:PATH (a model whose metadata declares its preprocessing); the ViTs bring their reference preprocessing (option mode is for inception)`,
  valueName: '<name>',
};

/** Options of commands that may run a feature network (Inception by default) on images. */
export const networkOptions: OptionSpec[] = [
  extractorOption,
  { key: 'mode', type: 'string', choices: RESIZE_MODES, default: D.RESIZE_MODE, help: 'image preprocessing', valueName: '<mode>' },
  { key: 'model', type: 'string', default: D.INCEPTION_MODEL, help: 'Inception network: a registry name or an .onnx file (with extractor clip-vit-l14 or dinov2-vit-l14, another value replaces that network)', valueName: '<name|path>' },
  deviceOption(),
  {
    key: 'batchSize',
    type: 'integer',
    min: 1,
    max: MAX_BATCH,
    defaultNote: `${D.INCEPTION_BATCH_CPU} on the CPU, ${D.INCEPTION_BATCH_CUDA} on CUDA`,
    help: 'images per network call',
    valueName: '<n>',
  },
  { key: 'cache', type: 'boolean', default: true, help: 'use the feature cache (off: neither read nor write it)' },
  { key: 'skipBad', type: 'boolean', default: false, help: 'skip images that cannot be decoded (listed in the output) instead of stopping' },
  maxPixelsOption,
];

export interface NetworkOptions extends ThreadsOption {
  /** inception (default), clip-vit-l14, dinov2-vit-l14 or onnx:PATH. */
  extractor?: string;
  maxPixels: number;
  mode: ResizeMode;
  model: string;
  device: Device;
  batchSize?: number;
  cache: boolean;
  skipBad: boolean;
}

/** Library feature options from the command's options, with a progress bar for the network pass. */
export function featureOptions(o: NetworkOptions, reporter: Reporter, threads: number, bar: Progress): FeatureOptions {
  if (o.extractor !== undefined) checkExtractorName(o.extractor);
  return {
    extractor: o.extractor,
    mode: o.mode,
    model: o.model,
    device: o.device,
    batchSize: o.batchSize,
    threads,
    cache: o.cache,
    skipBad: o.skipBad,
    maxPixels: o.maxPixels,
    onProgress: (d, t) => bar.update(d, t),
    onNotice: (m) => reporter.notice(m),
    onWarning: (m) => reporter.warn(m),
  };
}

/** For a command's check(): refuses a non-Inception extractor where the Inception network is needed (e.g. its logits). */
export function requireInceptionExtractor(o: { extractor?: string }, what: string): void {
  requireInception(o.extractor, what);
}

/** Runs `work` with a progress bar, stopping the bar however `work` ends. */
export async function withProgress<T>(reporter: Reporter, label: string, unit: string, work: (bar: Progress) => Promise<T>): Promise<T> {
  const bar = reporter.progress(label, unit);
  try {
    return await work(bar);
  } finally {
    bar.stop();
  }
}

/** One progress bar per phase of a multi-phase computation. */
export function phaseProgress(reporter: Reporter, unit: string): { update(phase: string, done: number, total: number): void; stop(): void } {
  let current: { phase: string; bar: Progress } | undefined;
  return {
    update(phase, done, total) {
      if (current?.phase !== phase) {
        current?.bar.stop();
        current = { phase, bar: reporter.progress(phase, unit) };
      }
      current.bar.update(done, total);
    },
    stop: () => current?.bar.stop(),
  };
}

/** Warns about images skipped with skipBad (they are also listed in the result). */
export function warnSkipped(reporter: Reporter, input: string, skipped: readonly { name: string }[]): void {
  if (skipped.length) reporter.warn(`${input}: skipped ${skipped.length} undecodable image(s): ${skipped.map((s) => s.name).join(', ')}`);
}

export const ORDER_NOTE = "A is the generated set, B the reference (real) set, as torch-fidelity's input1/input2";
