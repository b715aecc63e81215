import { GenmetricsError } from '../errors';
import { copyFileAtomic } from '../io/atomic';
import * as fs from 'fs';
import { parseNpyHeader } from '../io/npy';
import { extractFeatureFiles } from '../network/inception';
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

/** The column count of a written features .npy (2048 for pool3; the extractor's width otherwise). */
function featureDims(file: string): number {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(4096);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    return parseNpyHeader(head.subarray(0, n), file).shape[1];
  } finally {
    fs.closeSync(fd);
  }
}

export const featuresCommand = defineCommand<FeaturesOptions, FeaturesCommandResult>({
  name: 'features',
  summary: 'features of images (N x D float32 .npy): Inception pool3 (2048) by default, or option extractor\'s embeddings; optionally Inception\'s logits_unbiased (N x 1008)',
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
        dims: featureDims(o.output),
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
