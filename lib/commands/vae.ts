import * as D from '../defaults';
import { writeCsv } from '../io/csv';
import { writeNpy } from '../io/npy';
import type { Device } from '../models/session';
import { loadModelInput } from '../vae/data';
import { encodeMeans } from '../vae/encode';
import { evaluateVae } from '../vae/evaluate';
import type { ImageScaling } from '../vae/images';
import type { LikelihoodKind } from '../vae/models';
import { defineCommand, type OptionSpec } from './descriptor';
import { deviceOption, MAX_BATCH, maxPixelsOption, threadsOf, threadsOption, withProgress, type ThreadsOption } from './common';

const DATA_HELP = 'data: a float .npy (N x D or N x C x H x W, as the encoder takes it), or images (folder, file, uint8 .npy/.npz) shaped to the encoder input';

/** How images become model input (float .npy data is used as it is). */
const imageOptions: OptionSpec[] = [
  { key: 'scale', type: 'string', choices: ['unit', 'signed'], expect: 'unit (x/255) or signed (x/127.5 - 1)', default: D.IMAGE_SCALE, help: 'images: unit (x/255) or signed (x/127.5 - 1)', valueName: '<scale>' },
  maxPixelsOption,
  { key: 'binarize', type: 'number', min: 0, max: 1, exclusiveMax: true, help: 'images: 1 where x/255 > t, else 0 (binary data for Bernoulli decoders); t in [0, 1)', valueName: '<t>' },
];

interface ImageOptions {
  scale: 'unit' | 'signed';
  binarize?: number;
  maxPixels: number;
}

const scaling = (o: ImageOptions): ImageScaling => ({ scale: o.scale, binarize: o.binarize, maxPixels: o.maxPixels });

export interface VaeOptions extends ThreadsOption, ImageOptions {
  encoder: string;
  decoder: string;
  data: string;
  k: number;
  seed: number;
  likelihood?: LikelihoodKind;
  gaussianLogvar: number;
  batchSize: number;
  device: Device;
  perPoint?: string;
}

export interface VaeCommandResult {
  nll: number;
  log_px: number;
  bits_per_dim: number;
  elbo: number;
  reconstruction: number;
  kl: number;
  elbo_cubature: number;
  reconstruction_cubature: number;
  reconstruction_loss_at_mean: { sum_over_dims: number; mean_over_dims: number };
  sem: { log_px: number; elbo: number };
  k: number;
  seed: number;
  likelihood: LikelihoodKind;
  points: number;
  dims: number;
  latent: number;
  units: string;
}

export const vaeCommand = defineCommand<VaeOptions, VaeCommandResult>({
  name: 'vae',
  summary:
    'evaluate a VAE (ONNX encoder x -> mu, logvar; decoder z -> logits or mean[, logvar]; prior N(0, I)): IWAE NLL, ELBO, reconstruction, KL, bits/dim',
  example: 'vae --encoder enc.onnx --decoder dec.onnx --data test_x.npy -k 5000 --json',
  inputs: [],
  options: [
    { key: 'encoder', type: 'string', required: true, help: 'encoder: x -> mu, logvar', valueName: '<E.onnx>' },
    { key: 'decoder', type: 'string', required: true, help: 'decoder: z -> logits (Bernoulli) or mean[, logvar] (Gaussian)', valueName: '<D.onnx>' },
    { key: 'data', type: 'string', required: true, help: DATA_HELP, valueName: '<X.npy|DIR>' },
    { key: 'k', short: 'k', type: 'integer', min: 1, max: 10_000_000, default: D.VAE_K, help: 'importance samples per point for the IWAE bound', valueName: '<K>' },
    { key: 'seed', type: 'integer', min: 0, max: 2 ** 32 - 1, default: D.VAE_SEED, help: "seed of the N(0, I) draws (NumPy's legacy RandomState)", valueName: '<n>' },
    { key: 'likelihood', type: 'string', choices: ['bernoulli', 'gaussian'], help: 'bernoulli or gaussian, when the decoder outputs do not say', valueName: '<kind>' },
    { key: 'gaussianLogvar', type: 'number', default: D.VAE_GAUSSIAN_LOGVAR, help: 'log-variance of a Gaussian decoder that outputs only a mean', valueName: '<v>' },
    { key: 'batchSize', type: 'integer', min: 1, max: 1 << 20, default: D.VAE_BATCH, help: 'decoder rows per network call', valueName: '<n>' },
    deviceOption(),
    { key: 'perPoint', type: 'string', output: true, help: "write each point's log p(x), ELBO, reconstruction and KL", valueName: '<file.csv>' },
    ...imageOptions,
    threadsOption,
  ],
  async run(_inputs, o, reporter) {
    const threads = threadsOf(o, reporter);
    const data = await loadModelInput(o.data, o.encoder, scaling(o));
    const { k, seed, likelihood, gaussianLogvar, batchSize, device } = o;
    const options = { encoder: o.encoder, decoder: o.decoder, k, seed, likelihood, gaussianLogvar, batchSize, device, threads };
    const r = await withProgress(reporter, 'VAE', 'decodes', (bar) => evaluateVae(data, { ...options, onProgress: (d, t) => bar.update(d, t) }));
    if (o.perPoint) {
      const p = r.perPoint;
      writeCsv(o.perPoint, [
        ['point', 'log_px', 'elbo', 'reconstruction', 'kl', 'reconstruction_cubature', 'reconstruction_at_mean'],
        ...Array.from(p.log_px, (v, i) => [i, v, p.elbo[i], p.reconstruction[i], p.kl[i], p.reconstruction_cubature[i], p.reconstruction_at_mean[i]]),
      ]);
    }
    const m = r.mean;
    return {
      nll: m.nll,
      log_px: m.log_px,
      bits_per_dim: m.bits_per_dim,
      elbo: m.elbo,
      reconstruction: m.reconstruction,
      kl: m.kl,
      elbo_cubature: m.elbo_cubature,
      reconstruction_cubature: m.reconstruction_cubature,
      reconstruction_loss_at_mean: { sum_over_dims: m.reconstruction_loss_at_mean_sum, mean_over_dims: m.reconstruction_loss_at_mean_mean },
      sem: r.sem,
      k: r.k,
      seed: r.seed,
      likelihood: r.likelihood,
      points: r.points,
      dims: r.dims,
      latent: r.latent,
      units: 'nats per data point (sums over the dims), averaged over points; bits_per_dim = nll / (dims ln 2)',
    };
  },
});

export interface EncodeOptions extends ThreadsOption, ImageOptions {
  encoder: string;
  data: string;
  output: string;
  batchSize: number;
  device: Device;
}

export interface EncodeCommandResult {
  output: string;
  rows: number;
  dims: number;
}

export const encodeCommand = defineCommand<EncodeOptions, EncodeCommandResult>({
  name: 'encode',
  summary: "the encoder's means of every data point (codes for disentanglement and clustering), as an N x L float32 .npy",
  example: 'encode --encoder enc.onnx --data images/ -o codes.npy',
  inputs: [],
  options: [
    { key: 'encoder', type: 'string', required: true, help: 'encoder: x -> mu, logvar (the means are written)', valueName: '<E.onnx>' },
    { key: 'data', type: 'string', required: true, help: DATA_HELP, valueName: '<X.npy|DIR>' },
    { key: 'output', short: 'o', type: 'string', required: true, output: true, help: 'codes file to write', valueName: '<C.npy>' },
    { key: 'batchSize', type: 'integer', min: 1, max: MAX_BATCH, default: D.ENCODE_BATCH, help: 'inputs per network call', valueName: '<n>' },
    deviceOption(),
    ...imageOptions,
    threadsOption,
  ],
  async run(_inputs, o, reporter) {
    const threads = threadsOf(o, reporter);
    const data = await loadModelInput(o.data, o.encoder, scaling(o));
    const r = await withProgress(reporter, 'encode', 'items', (bar) =>
      encodeMeans(data, o.encoder, { batchSize: o.batchSize, device: o.device, threads, onProgress: (d, t) => bar.update(d, t) }),
    );
    writeNpy(o.output, { dtype: 'float32', shape: [data.rows, r.dims], data: r.codes });
    return { output: o.output, rows: data.rows, dims: r.dims };
  },
});
