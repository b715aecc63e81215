import type { Command } from 'commander';
import { GenmetricsError } from '../errors';
import { evaluateVae } from '../metrics/vae';
import { readVaeData } from '../vae/data';
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
}

export function registerVae(program: Command): void {
  withCommonOptions(
    program
      .command('vae')
      .description('evaluate a VAE (ONNX encoder x -> mu, logvar; decoder z -> logits or mean[, logvar]; prior N(0, I)): IWAE NLL, ELBO, reconstruction, KL, bits/dim')
      .requiredOption('--encoder <E.onnx>', 'encoder: x -> mu, logvar')
      .requiredOption('--decoder <D.onnx>', 'decoder: z -> logits (Bernoulli) or mean[, logvar] (Gaussian)')
      .requiredOption('--data <X.npy>', 'data points, N x D or N x C x H x W, float, as the model takes them')
      .option('-k, --k <K>', 'importance samples per point for the IWAE bound', '5000')
      .option('--seed <n>', "seed of the N(0, I) draws (NumPy's legacy RandomState)", '0')
      .option('--likelihood <kind>', 'bernoulli or gaussian, when the decoder outputs do not say')
      .option('--gaussian-logvar <v>', 'log-variance of a Gaussian decoder that outputs only a mean', '0')
      .option('--batch-size <n>', 'decoder rows per network call', '8192')
      .option('--device <device>', 'auto, cpu or cuda', 'auto')
      .option('--per-point <file.csv>', 'write each point\'s log p(x), ELBO, reconstruction and KL'),
  ).action(async (opts: VaeCliOptions) => {
    const ctx = makeContext(opts);
    const likelihood = opts.likelihood as LikelihoodKind | undefined;
    if (likelihood !== undefined && likelihood !== 'bernoulli' && likelihood !== 'gaussian') {
      throw new GenmetricsError(`--likelihood: expected bernoulli or gaussian, got '${opts.likelihood}'`);
    }
    const data = readVaeData(opts.data);
    const bar = ctx.progress('VAE', 'decodes');
    let r;
    try {
      r = await evaluateVae(data, {
        encoder: opts.encoder,
        decoder: opts.decoder,
        k: parseInteger(opts.k, '-k', 1),
        seed: parseInteger(opts.seed, '--seed', 0),
        likelihood,
        gaussianLogvar: parseNumber(opts.gaussianLogvar, '--gaussian-logvar'),
        batchSize: parseInteger(opts.batchSize, '--batch-size', 1),
        device: parseDevice(opts.device),
        threads: ctx.threads,
        onProgress: (d, t) => bar.update(d, t),
      });
    } finally {
      bar.stop();
    }
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
