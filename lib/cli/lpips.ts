import type { Command } from 'commander';
import { writeCsv } from '../io/csv';
import { lpips, type LpipsOptions } from '../metrics/lpips';
import { DEFAULT_LPIPS } from '../models/registry';
import { parseDevice } from '../models/session';
import type { MeanInterval } from '../stats/interval';
import { makeContext, parseInteger, type CommandContext, type CommonOptions } from './context';
import { withCommonOptions } from './options';

/** Options of the commands that run an LPIPS network. */
export interface LpipsCliOptions extends CommonOptions {
  model?: string;
  device?: string;
  batchSize?: string;
  resize?: string;
  perPair?: string;
}

export const RESIZE_NOTE = 'resize both images of a pair to N x N (PIL bicubic with antialias on float values, as clean-fid); without it they must have the same size';

export function withLpipsOptions(cmd: Command): Command {
  return cmd
    .option('--model <name|path>', 'LPIPS network: lpips-alex, lpips-vgg, lpips-squeeze or an .onnx file', DEFAULT_LPIPS)
    .option('--device <device>', 'auto, cpu or cuda', 'auto')
    .option('--batch-size <n>', 'pairs per network call (default: 16 on the CPU, 64 on CUDA)')
    .option('--resize <N>', RESIZE_NOTE)
    .option('--per-pair <file.csv>', 'write every pair and its distance to a CSV file');
}

export function lpipsOptions(opts: LpipsCliOptions, ctx: CommandContext, onProgress: (done: number, total: number) => void): LpipsOptions {
  return {
    model: opts.model,
    device: parseDevice(opts.device),
    batchSize: opts.batchSize === undefined ? undefined : parseInteger(opts.batchSize, '--batch-size', 1),
    resize: opts.resize === undefined ? undefined : parseInteger(opts.resize, '--resize', 16),
    threads: ctx.threads,
    onNotice: ctx.notice,
    onProgress,
  };
}

export function intervalJson(m: MeanInterval): Record<string, unknown> {
  return { mean: m.mean, std: m.std, sem: m.sem, ci95: m.ci, n: m.n };
}

export function intervalText(m: MeanInterval): string {
  if (!m.ci || m.std === null) return `${m.mean} (one pair: no interval)`;
  return `${m.mean} ± ${(m.ci[1] - m.mean).toPrecision(3)} (95% CI ${m.ci[0]} .. ${m.ci[1]}; std ${m.std}, ${m.n} pairs)`;
}

export function registerLpips(program: Command): void {
  withLpipsOptions(
    withCommonOptions(
      program
        .command('lpips')
        .description('LPIPS perceptual distance (Zhang et al. 2018, the lpips package v0.1) between two images, or between two folders paired by relative path')
        .argument('<a>', 'image file or folder')
        .argument('<b>', 'image file or folder (same relative paths as <a>)'),
    ),
  ).action(async (a: string, b: string, opts: LpipsCliOptions) => {
    const ctx = makeContext(opts);
    const r = await ctx.withProgress('LPIPS', 'pairs', (onProgress) => lpips(a, b, lpipsOptions(opts, ctx, onProgress)));
    if (opts.perPair) {
      const res = r;
      writeCsv(opts.perPair, [['a', 'b', 'lpips'], ...res.pairs.map((p, i) => [p.a, p.b, res.distances[i]])]);
    }
    ctx.print(
      { lpips: intervalJson(r.lpips), pairs: r.pairs.length, model: r.model, device: r.device, resize: r.resize, per_pair: opts.perPair ?? null },
      [`LPIPS (${r.model.name}, ${r.pairs.length} pair${r.pairs.length === 1 ? '' : 's'}${r.resize ? `, resized to ${r.resize}` : ''}): ${intervalText(r.lpips)}`],
    );
  });
}
