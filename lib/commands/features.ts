import { GenmetricsError } from '../errors';
import { copyFileAtomic } from '../io/atomic';
import { extractFeatureFiles, POOL3_DIMS } from '../network/inception';
import { writeSidecar } from '../network/meta';
import { defineCommand } from './descriptor';
import { featureOptions, networkOptions, threadsOf, threadsOption, warnSkipped, withProgress, type NetworkOptions } from './common';

export interface FeaturesOptions extends NetworkOptions {
  output: string;
  logits?: string;
}

export interface FeaturesCommandResult {
  output: string;
  logits: string | null;
  count: number;
  dims: number;
  mode: string;
  model: { name: string; sha256: string };
  images: number;
  skipped: { name: string; error: string }[];
  cached: boolean;
  device: string;
}

/** Copies a feature file to the user's output, naming the output in any error. */
function copyAtomic(src: string, dst: string): void {
  try {
    copyFileAtomic(src, dst);
  } catch (err) {
    throw new GenmetricsError(`${dst}: cannot write: ${(err as Error).message}`);
  }
}

export const featuresCommand = defineCommand<FeaturesOptions, FeaturesCommandResult>({
  name: 'features',
  summary: 'Inception pool3 features (N x 2048 float32 .npy) and optionally logits_unbiased (N x 1008) of images',
  example: 'features generated/ -o gen_pool3.npy --logits gen_logits.npy',
  inputs: [{ name: 'input', help: 'image folder (recursive), image file, or uint8 .npy/.npz array (N x H x W x 3)' }],
  options: [
    { key: 'output', short: 'o', type: 'string', required: true, output: true, help: 'features file to write (.npy)', valueName: '<file>' },
    { key: 'logits', type: 'string', output: true, help: 'also write the logits_unbiased (.npy), the Inception Score input', valueName: '<file>' },
    ...networkOptions,
    threadsOption,
  ],
  async run([input], o, reporter) {
    const threads = threadsOf(o, reporter);
    const files = await withProgress(reporter, 'features', 'img', (bar) => extractFeatureFiles(input, featureOptions(o, reporter, threads, bar)));
    try {
      const m = files.meta;
      const record = { mode: m.mode, model: m.model, source: m.source, count: m.count, skipped: m.skipped };
      copyAtomic(files.pool3, o.output);
      writeSidecar(o.output, { ...record, output: 'pool3' });
      if (o.logits) {
        copyAtomic(files.logits, o.logits);
        writeSidecar(o.logits, { ...record, output: 'logits_unbiased' });
      }
      warnSkipped(reporter, input, m.skipped);
      return {
        output: o.output,
        logits: o.logits ?? null,
        count: m.count,
        dims: POOL3_DIMS,
        mode: m.mode,
        model: m.model,
        images: m.source.images,
        skipped: m.skipped,
        cached: files.cached,
        device: files.device,
      };
    } finally {
      files.dispose();
    }
  },
});
