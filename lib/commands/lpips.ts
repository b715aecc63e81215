import * as D from '../defaults';
import { writeCsv } from '../io/csv';
import { lpips, type LpipsOptions as LpipsRunOptions } from '../network/lpips-pairs';
import type { MeanInterval } from '../stats/interval';
import { defineCommand, type OptionSpec, type Progress, type Reporter } from './descriptor';
import { deviceOption, MAX_BATCH, MAX_RESIZE, maxPixelsOption, threadsOf, threadsOption, withProgress, type ThreadsOption } from './common';
import type { Device } from '../models/session';

/** Options of the commands that run an LPIPS network. */
export const lpipsOptionSpecs: OptionSpec[] = [
  { key: 'model', type: 'string', defaultNote: D.LPIPS_MODEL, help: 'LPIPS network: lpips-alex, lpips-vgg, lpips-squeeze or an .onnx file', valueName: '<name|path>' },
  deviceOption(),
  { key: 'batchSize', type: 'integer', min: 1, max: MAX_BATCH, defaultNote: `${D.LPIPS_BATCH_CPU} on the CPU, ${D.LPIPS_BATCH_CUDA} on CUDA`, help: 'pairs per network call', valueName: '<n>' },
  {
    key: 'resize',
    type: 'integer',
    min: 16,
    max: MAX_RESIZE,
    help: "resize both images of a pair to N x N (PIL bicubic with antialias on float values, as clean-fid); without it they must have the same size; at least the network's smallest input (alex 31, vgg 16, squeeze 17)",
    valueName: '<N>',
  },
  { key: 'perPair', type: 'string', output: true, help: 'write every pair and its distance to a CSV file', valueName: '<file.csv>' },
  maxPixelsOption,
];

export interface LpipsCommonOptions extends ThreadsOption {
  model?: string;
  device: Device;
  batchSize?: number;
  resize?: number;
  perPair?: string;
  maxPixels: number;
}

export function lpipsRunOptions(o: LpipsCommonOptions, reporter: Reporter, threads: number, bar: Progress): LpipsRunOptions {
  return {
    model: o.model ?? D.LPIPS_MODEL,
    device: o.device,
    batchSize: o.batchSize,
    resize: o.resize,
    maxPixels: o.maxPixels,
    threads,
    onNotice: (m) => reporter.notice(m),
    onProgress: (d, t) => bar.update(d, t),
  };
}

export function intervalJson(m: MeanInterval) {
  return { mean: m.mean, std: m.std, sem: m.sem, ci95: m.ci, n: m.n };
}

export interface LpipsCommandResult {
  lpips: ReturnType<typeof intervalJson>;
  pairs: number;
  model: { name: string; sha256: string };
  device: string;
  resize: number | null;
  per_pair: string | null;
}

export const lpipsCommand = defineCommand<LpipsCommonOptions, LpipsCommandResult>({
  name: 'lpips',
  summary: 'LPIPS perceptual distance (Zhang et al. 2018, the lpips package v0.1) between two images, or between two folders paired by relative path',
  example: 'lpips outputs/ targets/ --per-pair lpips.csv --json',
  inputs: [
    { name: 'a', help: 'image file or folder' },
    { name: 'b', help: 'image file or folder (same relative paths as <a>)' },
  ],
  options: [...lpipsOptionSpecs, threadsOption],
  async run([a, b], o, reporter) {
    const threads = threadsOf(o, reporter);
    const r = await withProgress(reporter, 'LPIPS', 'pairs', (bar) => lpips(a, b, lpipsRunOptions(o, reporter, threads, bar)));
    if (o.perPair) writeCsv(o.perPair, [['a', 'b', 'lpips'], ...r.pairs.map((p, i) => [p.a, p.b, r.distances[i]])]);
    return { lpips: intervalJson(r.lpips), pairs: r.pairs.length, model: r.model, device: r.device, resize: r.resize, per_pair: o.perPair ?? null };
  },
});
