import type { Command } from 'commander';
import { parseMode, RESIZE_MODES, DEFAULT_MODE } from '../images/preprocess';
import { DEFAULT_INCEPTION } from '../models/registry';
import { parseDevice } from '../models/session';
import type { FeatureOptions } from '../network/inception';
import { parseInteger, type CommandContext, type CommonOptions } from './context';

/** Options of commands that may run the Inception network on images. */
export interface NetworkCliOptions extends CommonOptions {
  mode?: string;
  model?: string;
  device?: string;
  batchSize?: string;
  cache: boolean;
  skipBad?: boolean;
}

export function withNetworkOptions(cmd: Command): Command {
  return cmd
    .option('--mode <mode>', `image preprocessing: ${RESIZE_MODES.join(', ')}`, DEFAULT_MODE)
    .option('--model <name|path>', 'Inception network: a registry name or an .onnx file', DEFAULT_INCEPTION)
    .option('--device <device>', 'auto, cpu or cuda', 'auto')
    .option('--batch-size <n>', 'images per network call (default: 8 on the CPU, 64 on CUDA)')
    .option('--no-cache', 'neither read nor write the feature cache')
    .option('--skip-bad', 'skip images that cannot be decoded (listed in the output) instead of stopping');
}

/** Network options from the command line, with a progress bar per image input. */
export function networkOptions(opts: NetworkCliOptions, ctx: CommandContext, label: string): FeatureOptions & { done(): void } {
  const bar = ctx.progress(label, 'img');
  return {
    mode: parseMode(opts.mode),
    model: opts.model,
    device: parseDevice(opts.device),
    batchSize: opts.batchSize === undefined ? undefined : parseInteger(opts.batchSize, '--batch-size', 1),
    threads: ctx.threads,
    cache: opts.cache,
    skipBad: Boolean(opts.skipBad),
    onProgress: (d, t) => bar.update(d, t),
    onNotice: ctx.notice,
    done: () => bar.stop(),
  };
}

/** Warns about images skipped with --skip-bad (they are also listed in the JSON output). */
export function warnSkipped(ctx: CommandContext, input: string, skipped: readonly { name: string }[]): void {
  if (skipped.length) ctx.warn(`${input}: skipped ${skipped.length} undecodable image(s): ${skipped.map((s) => s.name).join(', ')}`);
}
