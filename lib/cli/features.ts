import type { Command } from 'commander';
import { GenmetricsError } from '../errors';
import { copyFileAtomic } from '../io/atomic';
import { extractFeatureFiles, type FeatureFiles } from '../network/inception';
import { writeSidecar } from '../network/meta';
import { makeContext } from './context';
import { networkOptions, warnSkipped, withNetworkOptions, type NetworkCliOptions } from './network';
import { withCommonOptions } from './options';

interface FeaturesOptions extends NetworkCliOptions {
  output?: string;
  logits?: string;
}

/** Copies a feature file to the user's output, naming the output in any error. */
function copyAtomic(src: string, dst: string): void {
  try {
    copyFileAtomic(src, dst);
  } catch (err) {
    throw new GenmetricsError(`${dst}: cannot write: ${(err as Error).message}`);
  }
}

export function registerFeatures(program: Command): void {
  withNetworkOptions(
    withCommonOptions(
      program
        .command('features')
        .description('Inception pool3 features (N x 2048 float32 .npy) and optionally logits_unbiased (N x 1008) of images')
        .argument('<input>', 'image folder (recursive), image file, or uint8 .npy/.npz array (N x H x W x 3)')
        .option('-o, --output <file>', 'features file to write (.npy)')
        .option('--logits <file>', 'also write the logits_unbiased (.npy), the Inception Score input'),
    ),
  ).action(async (input: string, opts: FeaturesOptions) => {
    const ctx = makeContext(opts);
    if (!opts.output) throw new GenmetricsError('-o/--output is required');
    const network = networkOptions(opts, ctx, 'features');
    let files: FeatureFiles;
    try {
      files = await extractFeatureFiles(input, network);
    } finally {
      network.done();
    }
    try {
      const m = files.meta;
      const record = { mode: m.mode, model: m.model, source: m.source, count: m.count, skipped: m.skipped };
      copyAtomic(files.pool3, opts.output);
      writeSidecar(opts.output, { ...record, output: 'pool3' });
      if (opts.logits) {
        copyAtomic(files.logits, opts.logits);
        writeSidecar(opts.logits, { ...record, output: 'logits_unbiased' });
      }
      warnSkipped(ctx, input, m.skipped);
      ctx.print(
        {
          output: opts.output,
          logits: opts.logits ?? null,
          count: m.count,
          dims: 2048,
          mode: m.mode,
          model: m.model,
          images: m.source.images,
          skipped: m.skipped,
          cached: files.cached,
          device: files.device,
        },
        [`wrote ${m.count} x 2048 pool3 features (${m.mode}, ${m.model.name}) to ${opts.output}${opts.logits ? ` and logits to ${opts.logits}` : ''}`],
      );
    } finally {
      files.dispose();
    }
  });
}
