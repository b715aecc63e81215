import type { Command } from 'commander';
import { GenmetricsError } from '../errors';
import { evaluateVae } from '../metrics/vae';
import { writeNpy } from '../io/npy';
import { loadModelInput } from '../vae/data';
import { encodeMeans } from '../vae/encode';
import type { ImageScaling } from '../vae/images';
import { parseDevice } from '../models/session';
import type { LikelihoodKind } from '../vae/models';
import { makeContext, parseInteger, parseNumber, type CommonOptions } from './context';
import { writeCsv } from '../io/csv';
import { withCommonOptions } from './options';

interface VaeCliOptions extends CommonOptions {
  encoder: string;
  decoder: string;
  data: string;
  k: string;
  seed: string;
  likelihood?: string;
  gaussianLogvar: string;
  batchSize: string;
  device: string;
  perPoint?: string;
  scale: string;
  binarize?: string;
}

const DATA_HELP = 'data: a float .npy (N x D or N x C x H x W, as the encoder takes it), or images (folder, file, uint8 .npy/.npz) shaped to the encoder input';

function imageScaling(opts: { scale: string; binarize?: string }): ImageScaling {
  if (opts.scale !== 'unit' && opts.scale !== 'signed') throw new GenmetricsError(`--scale: expected unit (x/255) or signed (x/127.5 - 1), got '${opts.scale}'`);
  let binarize: number | undefined;
  if (opts.binarize !== undefined) {
    binarize = parseNumber(opts.binarize, '--binarize');
    if (binarize < 0 || binarize >= 1) throw new GenmetricsError(`--binarize: expected a threshold in [0, 1), got '${opts.binarize}'`);
  }
  return { scale: opts.scale, binarize };
}

function withImageOptions(cmd: Command): Command {
  return cmd
    .option('--scale <scale>', 'images: unit (x/255) or signed (x/127.5 - 1)', 'unit')
    .option('--binarize <t>', 'images: 1 where x/255 > t, else 0 (binary data for Bernoulli decoders)');
}

export function registerVae(program: Command): void {
  withImageOptions(
    withCommonOptions(
      program
        .command('vae')
        .description('evaluate a VAE (ONNX encoder x -> mu, logvar; decoder z -> logits or mean[, logvar]; prior N(0, I)): IWAE NLL, ELBO, reconstruction, KL, bits/dim')
        .requiredOption('--encoder <E.onnx>', 'encoder: x -> mu, logvar')
        .requiredOption('--decoder <D.onnx>', 'decoder: z -> logits (Bernoulli) or mean[, logvar] (Gaussian)')
        .requiredOption('--data <X.npy|DIR>', DATA_HELP)
        .option('-k, --k <K>', 'importance samples per point for the IWAE bound', '5000')
        .option('--seed <n>', "seed of the N(0, I) draws (NumPy's legacy RandomState)", '0')
        .option('--likelihood <kind>', 'bernoulli or gaussian, when the decoder outputs do not say')
        .option('--gaussian-logvar <v>', 'log-variance of a Gaussian decoder that outputs only a mean', '0')
        .option('--batch-size <n>', 'decoder rows per network call', '8192')
        .option('--device <device>', 'auto, cpu or cuda', 'auto')
        .option('--per-point <file.csv>', 'write each point\'s log p(x), ELBO, reconstruction and KL'),
    ),
  ).action(async (opts: VaeCliOptions) => {
    const ctx = makeContext(opts);
    const likelihood = opts.likelihood as LikelihoodKind | undefined;
    if (likelihood !== undefined && likelihood !== 'bernoulli' && likelihood !== 'gaussian') {
      throw new GenmetricsError(`--likelihood: expected bernoulli or gaussian, got '${opts.likelihood}'`);
    }
    const data = await loadModelInput(opts.data, opts.encoder, imageScaling(opts));
    const options = {
      encoder: opts.encoder,
      decoder: opts.decoder,
      k: parseInteger(opts.k, '-k', 1),
      seed: parseInteger(opts.seed, '--seed', 0),
      likelihood,
      gaussianLogvar: parseNumber(opts.gaussianLogvar, '--gaussian-logvar'),
      batchSize: parseInteger(opts.batchSize, '--batch-size', 1),
      device: parseDevice(opts.device),
      threads: ctx.threads,
    };
    const r = await ctx.withProgress('VAE', 'decodes', (onProgress) => evaluateVae(data, { ...options, onProgress }));
    if (opts.perPoint) {
      const p = r.perPoint;
      writeCsv(opts.perPoint, [
        ['point', 'log_px', 'elbo', 'reconstruction', 'kl', 'reconstruction_cubature', 'reconstruction_at_mean'],
        ...Array.from(p.log_px, (v, i) => [i, v, p.elbo[i], p.reconstruction[i], p.kl[i], p.reconstruction_cubature[i], p.reconstruction_at_mean[i]]),
      ]);
    }
    const m = r.mean;
    ctx.print(
      {
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
      },
      [
        `NLL (IWAE, K = ${r.k}): ${m.nll} nats (± ${r.sem.log_px.toPrecision(3)} s.e. over ${r.points} points), ${m.bits_per_dim} bits/dim`,
        `ELBO ${m.elbo} (± ${r.sem.elbo.toPrecision(3)}) = reconstruction E_q[log p(x|z)] ${m.reconstruction} (K samples) - KL ${m.kl} (closed form)`,
        `cubature (2L+1 points; exact for linear-Gaussian decoders): ELBO ${m.elbo_cubature}, reconstruction ${m.reconstruction_cubature}`,
        `reconstruction loss at the posterior mean (${r.likelihood === 'bernoulli' ? 'binary cross-entropy' : 'Gaussian negative log-likelihood'}): sum over ${r.dims} dims ${m.reconstruction_loss_at_mean_sum}, mean over dims ${m.reconstruction_loss_at_mean_mean}`,
      ],
    );
  });
}

interface EncodeOptions extends CommonOptions {
  encoder: string;
  data: string;
  output: string;
  scale: string;
  binarize?: string;
  batchSize: string;
  device: string;
}

export function registerEncode(program: Command): void {
  withImageOptions(
    withCommonOptions(
      program
        .command('encode')
        .description("the encoder's means of every data point (codes for disentanglement and clustering), as an N x L float32 .npy")
        .requiredOption('--encoder <E.onnx>', 'encoder: x -> mu, logvar (the means are written)')
        .requiredOption('--data <X.npy|DIR>', DATA_HELP)
        .requiredOption('-o, --output <C.npy>', 'codes file to write')
        .option('--batch-size <n>', 'inputs per network call', '1024')
        .option('--device <device>', 'auto, cpu or cuda', 'auto'),
    ),
  ).action(async (opts: EncodeOptions) => {
    const ctx = makeContext(opts);
    const data = await loadModelInput(opts.data, opts.encoder, imageScaling(opts));
    const options = { batchSize: parseInteger(opts.batchSize, '--batch-size', 1), device: parseDevice(opts.device), threads: ctx.threads };
    const r = await ctx.withProgress('encode', 'items', (onProgress) => encodeMeans(data, opts.encoder, { ...options, onProgress }));
    writeNpy(opts.output, { dtype: 'float32', shape: [data.rows, r.dims], data: r.codes });
    ctx.print({ output: opts.output, rows: data.rows, dims: r.dims }, [`wrote ${opts.output}: ${data.rows} x ${r.dims} codes (the encoder's means)`]);
  });
}
