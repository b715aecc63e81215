/**
 * Latent traversals of a decoder (the β-VAE figures, Higgins et al. 2017): one row per latent
 * dimension, that dimension swept over [-range, range] while the others keep the base code's values.
 */
import { GenmetricsError, OptionError } from '../errors';
import { readFeatureMatrix } from '../features';
import { toImages, type OutputRange } from '../generator/generator';
import { LatentStream } from '../generator/latents';
import { OnnxModel } from '../models/onnx-model';
import type { Device } from '../models/session';
import { composeGrid } from '../pictures/grid';
import { defineCommand } from './descriptor';
import { deviceOption, threadsOf, threadsOption } from './common';
import { checkImageOutput, imageOutputOption, layoutOptions, writeImage, type ImageOutputOptions } from './picture-options';

type DecoderOutput = OutputRange | 'logits';

export interface TraverseOptions extends ImageOutputOptions {
  decoder: string;
  codes?: string;
  index: number;
  seed?: number;
  range: number;
  steps: number;
  dims?: string;
  outputRange?: DecoderOutput;
  shape?: string;
  device: Device;
  threads?: number;
}

export interface TraverseCommandResult {
  output: string;
  base: { codes: string; index: number } | { seed: number };
  dims: number[];
  values: number[];
  rows: number;
  cols: number;
  decoder: { path: string; sha256: string; output_range: DecoderOutput; shape: number[] };
}

/** "c,h,w" or "h,w" -> [c, h, w]. */
function parseShape(text: string): number[] {
  const v = text.split(',').map(Number);
  if (!v.every((x) => Number.isInteger(x) && x > 0) || (v.length !== 2 && v.length !== 3)) throw new OptionError('shape', `expected C,H,W or H,W (positive integers), got '${text}'`);
  const s = v.length === 2 ? [1, ...v] : v;
  if (s[0] !== 1 && s[0] !== 3) throw new OptionError('shape', `expected 1 or 3 channels, got ${s[0]}`);
  return s;
}

/** The image shape of a decoder's output: its own 4-D shape, the option, or a square of D (grey) or D / 3 (RGB). */
function imageShape(dims: number[], option: string | undefined, where: string): number[] {
  const per = dims.slice(1).reduce((a, b) => a * b, 1);
  if (option) {
    const s = parseShape(option);
    if (s[0] * s[1] * s[2] !== per) throw new OptionError('shape', `${s.join(' x ')} is ${s[0] * s[1] * s[2]} values, the decoder gives ${per} per code`);
    return s;
  }
  if (dims.length === 4 && (dims[1] === 1 || dims[1] === 3)) return dims.slice(1);
  for (const c of [1, 3]) {
    const side = Math.round(Math.sqrt(per / c));
    if (side * side * c === per) return [c, side, side];
  }
  throw new GenmetricsError(`${where}: cannot tell the image shape of ${per} values per code; give option shape (C,H,W)`);
}

export const traverseCommand = defineCommand<TraverseOptions, TraverseCommandResult>({
  name: 'traverse',
  summary: "Latent traversals of a decoder (β-VAE figures): one row per latent dimension swept over [-range, range], the others held at a base code",
  example: 'traverse --decoder decoder.onnx --codes codes.npy --index 0 --range 3 --steps 9 -o traversal.png',
  inputs: [],
  options: [
    { key: 'decoder', type: 'string', required: true, help: 'the decoder or generator (.onnx: one input z N x Z, output images N x C x H x W or N x D)', valueName: '<D.onnx>' },
    { key: 'codes', type: 'string', help: "codes (.npy, N x Z, e.g. from 'genmetrics encode'): the base code is row option index", valueName: '<Z.npy>' },
    { key: 'index', type: 'integer', min: 0, default: 0, help: 'row of option codes to start from', valueName: '<i>' },
    { key: 'seed', type: 'integer', min: 0, max: 2 ** 32 - 1, help: 'instead of codes: the base code is RandomState(seed).randn(1, Z)', valueName: '<s>' },
    { key: 'range', type: 'number', min: 0, exclusiveMin: true, default: 3, help: 'each dimension goes from -range to +range', valueName: '<r>' },
    { key: 'steps', type: 'integer', min: 2, max: 256, default: 9, help: 'images per row', valueName: '<n>' },
    { key: 'dims', type: 'string', defaultNote: 'all, up to 64', help: 'the latent dimensions to traverse, comma-separated', valueName: '<d1,d2,...>' },
    { key: 'outputRange', type: 'string', choices: ['logits', '0,1', '-1,1'], defaultNote: "logits for an output named logits (Bernoulli), else 0,1", help: 'what the decoder outputs: logits (a sigmoid gives 0..1), or values in 0..1 or -1..1', valueName: '<r>' },
    { key: 'shape', type: 'string', defaultNote: "the output's own N x C x H x W, else a square", help: 'image shape of a flat output', valueName: '<C,H,W>' },
    imageOutputOption,
    ...layoutOptions,
    deviceOption(),
    threadsOption,
  ],
  check(_inputs, o) {
    checkImageOutput(o.output);
    if ((o.codes === undefined) === (o.seed === undefined)) throw new OptionError('codes', 'give either option codes (with option index) or option seed, the base code');
  },
  async run(_inputs, o, reporter) {
    const net = await OnnxModel.open(o.decoder, { device: o.device, threads: threadsOf(o, reporter), onNotice: (m) => reporter.notice(m) });
    try {
      if (net.inputNames.length !== 1) throw new GenmetricsError(`${o.decoder}: the decoder must have one input (the code), it has [${net.inputNames.join(', ')}]`);
      let base: Float32Array;
      let from: TraverseCommandResult['base'];
      const declared = net.inputShape()?.[1];
      if (o.codes !== undefined) {
        const m = readFeatureMatrix(o.codes);
        if (o.index >= m.rows) throw new OptionError('index', `${o.codes} has ${m.rows} rows; index ${o.index} is past them`);
        base = Float32Array.from(m.data.subarray(o.index * m.dims, (o.index + 1) * m.dims));
        from = { codes: o.codes, index: o.index };
      } else {
        if (typeof declared !== 'number') throw new GenmetricsError(`${o.decoder}: the code size is not declared in the graph; give option codes instead of option seed`);
        base = new LatentStream({ seed: o.seed!, dims: declared, count: 1 }).next(1).z;
        from = { seed: o.seed! };
      }
      const z = base.length;
      if (typeof declared === 'number' && declared !== z) throw new GenmetricsError(`${o.decoder} takes codes of ${declared} values; ${o.codes} has ${z} per row`);
      const dims = o.dims === undefined ? Array.from({ length: Math.min(z, 64) }, (_, d) => d) : o.dims.split(',').map((s) => Number(s.trim()));
      const badDim = dims.find((d) => !Number.isInteger(d) || d < 0 || d >= z);
      if (badDim !== undefined) throw new OptionError('dims', `expected dimensions between 0 and ${z - 1}, got ${badDim}`);
      const values = Array.from({ length: o.steps }, (_, k) => -o.range + (2 * o.range * k) / (o.steps - 1));
      const rows = dims.length * o.steps;
      const codes = new Float32Array(rows * z);
      dims.forEach((d, r) =>
        values.forEach((v, k) => {
          const row = (r * o.steps + k) * z;
          codes.set(base, row);
          codes[row + d] = v;
        }),
      );
      const name = net.outputNames[0];
      const out = (await net.run({ [net.inputNames[0]]: { data: codes, dims: [rows, z] } }, [name]))[name];
      const shape = imageShape(out.dims, o.shape, o.decoder);
      const outputRange: DecoderOutput = o.outputRange ?? (/logits/i.test(name) ? 'logits' : '0,1');
      const data = outputRange === 'logits' ? Float32Array.from(out.data, (x) => 1 / (1 + Math.exp(-x))) : out.data;
      const images = toImages({ data, dims: [rows, ...shape] }, outputRange === 'logits' ? '0,1' : outputRange, 'round', o.decoder);
      const { image, layout } = await composeGrid(images, { cols: o.steps, pad: o.pad, background: o.background });
      await writeImage(o.output, image);
      return { output: o.output, base: from, dims, values, rows: layout.rows, cols: layout.cols, decoder: { path: o.decoder, sha256: net.model.sha256, output_range: outputRange, shape } };
    } finally {
      await net.release();
    }
  },
});
