/**
 * Evaluation of a VAE given as ONNX encoder and decoder: the importance-weighted bound on log p(x)
 * (Burda et al. 2016, "IWAE"), the ELBO with its reconstruction term and closed-form KL (Kingma &
 * Welling 2014), and reconstruction losses at the posterior mean. Prior N(0, I); posterior
 * N(mu, diag(exp(logvar))). All sums in float64, per data point, then averaged.
 */
import { VAE_BATCH, VAE_GAUSSIAN_LOGVAR, VAE_K, VAE_SEED } from '../defaults';
import { GenmetricsError, OptionError } from '../errors';
import type { Device } from '../models/session';
import { native } from '../native';
import { LegacyRandomState } from '../random/mt19937';
import { meanInterval } from '../stats/interval';
import { openDecoder, openEncoder, type LikelihoodKind } from './models';

export interface VaeData {
  /** N x D float32, row-major (any item shape, flattened). */
  data: Float32Array;
  rows: number;
  /** The shape of one item (e.g. [1, 28, 28]), as the encoder takes it. */
  itemShape: number[];
  source: string;
}

export interface VaeOptions {
  encoder: string;
  decoder: string;
  /** Importance samples per data point (default 5000). */
  k?: number;
  /** Seed of the N(0, I) draws: NumPy's legacy RandomState(seed).standard_normal, point by point. */
  seed?: number;
  likelihood?: LikelihoodKind;
  /** Log-variance of a Gaussian decoder that outputs only a mean (default 0: unit variance). */
  gaussianLogvar?: number;
  /** Decoder rows per network call (default 8192). */
  batchSize?: number;
  device?: Device;
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface VaeResult {
  likelihood: LikelihoodKind;
  k: number;
  seed: number;
  points: number;
  dims: number;
  latent: number;
  /** Means over the data points (nats per point). */
  mean: {
    log_px: number;
    nll: number;
    bits_per_dim: number;
    elbo: number;
    reconstruction: number;
    kl: number;
    elbo_cubature: number;
    reconstruction_cubature: number;
    reconstruction_loss_at_mean_sum: number;
    reconstruction_loss_at_mean_mean: number;
  };
  /** Standard errors over points of log_px and of the ELBO. */
  sem: { log_px: number; elbo: number };
  perPoint: {
    log_px: Float64Array;
    elbo: Float64Array;
    reconstruction: Float64Array;
    kl: Float64Array;
    reconstruction_cubature: Float64Array;
    reconstruction_at_mean: Float64Array;
  };
}

function meanOf(v: Float64Array): number {
  return meanInterval(v).mean;
}

/** Standard error of the mean over points (NaN for a single point). */
function semOf(v: Float64Array): number {
  return meanInterval(v).sem ?? NaN;
}

/**
 * log p(x) by importance sampling with K samples of the posterior, log-sum-exp in float64. The
 * ELBO is E_q[log p(x|z)] - KL with the closed-form KL and the reconstruction term the mean of
 * log p(x|z_k) over the same K samples (unbiased). A deterministic second value of both comes from
 * the 2L+1-point cubature rule f(mu) + 1/2 sum_j [f(mu + s_j e_j) + f(mu - s_j e_j) - 2 f(mu)]:
 * exact when log p(x|z) is quadratic in z (a Gaussian decoder with an affine mean and a fixed
 * variance), only a second-order approximation otherwise. Memory: one decoder batch at a time.
 */
export async function evaluateVae(x: VaeData, o: VaeOptions): Promise<VaeResult> {
  const K = o.k ?? VAE_K;
  const seed = o.seed ?? VAE_SEED;
  const batch = o.batchSize ?? VAE_BATCH;
  if (!Number.isInteger(K) || K < 1) throw new GenmetricsError(`k must be a positive integer, got ${K}`);
  if (!Number.isInteger(batch) || batch < 1) throw new OptionError('batchSize', `batchSize must be a positive integer, got ${batch}`);
  if (x.rows < 1) throw new GenmetricsError(`${x.source}: no data points`);
  const D = x.itemShape.reduce((a, b) => a * b, 1);
  const enc = await openEncoder(o.encoder, o.device, o.threads);
  let dec;
  try {
    dec = await openDecoder(o.decoder, o.likelihood, o.device, o.threads);
  } catch (err) {
    await enc.release();
    throw err;
  }
  try {
    const shape = enc.itemShape;
    if (shape && shape.every((v) => typeof v === 'number') && shape.reduce((a: number, b) => a * (b as number), 1) !== D) {
      throw new GenmetricsError(`${x.source}: items of shape (${x.itemShape.join(', ')}) do not fit the encoder's input (${shape.join(', ')})`);
    }
    const itemShape = shape && shape.every((v) => typeof v === 'number') ? (shape as number[]) : x.itemShape;
    if (dec.kind === 'bernoulli') {
      const bad = x.data.findIndex((v) => v !== 0 && v !== 1);
      if (bad >= 0) {
        throw new GenmetricsError(
          `${x.source}: a Bernoulli decoder needs binary data (0 or 1); value ${x.data[bad]} at point ${Math.floor(bad / D)}, element ${bad % D}. Binarise the data, or use a Gaussian decoder`,
        );
      }
    }
    // Encode.
    const n = x.rows;
    let L = 0;
    let mu = new Float64Array(0);
    let lv = new Float64Array(0);
    for (let r0 = 0; r0 < n; r0 += batch) {
      const rows = Math.min(batch, n - r0);
      const [m, v] = await enc.run(x.data.subarray(r0 * D, (r0 + rows) * D), rows, itemShape);
      if (r0 === 0) {
        L = m.length / rows;
        if (!Number.isInteger(L) || v.length !== m.length) throw new GenmetricsError(`${o.encoder}: mu and logvar differ in size (${m.length} and ${v.length} values for ${rows} rows)`);
        mu = new Float64Array(n * L);
        lv = new Float64Array(n * L);
      }
      mu.set(m, r0 * L);
      lv.set(v, r0 * L);
    }
    const decIn = dec.fn.itemShape;
    if (decIn && decIn.every((v) => typeof v === 'number') && decIn.reduce((a: number, b) => a * (b as number), 1) !== L) {
      throw new GenmetricsError(`${o.decoder}: the decoder takes inputs of shape (${decIn.join(', ')}), the encoder's codes have ${L} dims`);
    }
    const nat = native();
    // Decodes rows of z (float32) for data points, returning log p(x|z) per row.
    const logLik = async (z: Float32Array, rows: number, perPoint: number, firstPoint: number): Promise<Float64Array> => {
      const outs = await dec.fn.run(z, rows, [L]);
      if (outs[0].length !== rows * D) {
        throw new GenmetricsError(`${o.decoder}: the decoder outputs ${outs[0].length / rows} values per sample, the data has ${D}`);
      }
      return nat.vaeLogLikelihoods(x.data, n, D, {
        out: outs[0],
        logvar: dec.hasLogvar ? outs[1] : undefined,
        fixedLogvar: o.gaussianLogvar ?? VAE_GAUSSIAN_LOGVAR,
        samples: rows,
        perPoint,
        firstPoint,
        kind: dec.kind,
        threads: o.threads,
      });
    };
    const total = n * (K + 2 * L + 1);
    let done = 0;
    // KL, reconstruction at the mean, and the cubature expectation: 2L + 1 decodes per point.
    const kl = new Float64Array(n);
    const atMean = new Float64Array(n);
    const expected = new Float64Array(n);
    const per = 2 * L + 1;
    const pointsPerCall = Math.max(1, Math.floor(batch / per));
    for (let p0 = 0; p0 < n; p0 += pointsPerCall) {
      const pts = Math.min(pointsPerCall, n - p0);
      const z = new Float32Array(pts * per * L);
      for (let p = 0; p < pts; p++) {
        const m = mu.subarray((p0 + p) * L, (p0 + p + 1) * L);
        const s = Array.from(lv.subarray((p0 + p) * L, (p0 + p + 1) * L), (v) => Math.exp(v / 2));
        for (let q = 0; q < per; q++) {
          const row = z.subarray((p * per + q) * L, (p * per + q + 1) * L);
          for (let j = 0; j < L; j++) row[j] = m[j];
          if (q > 0) row[(q - 1) >> 1] += (q & 1 ? 1 : -1) * s[(q - 1) >> 1];
        }
      }
      const ll = await logLik(z, pts * per, per, p0);
      for (let p = 0; p < pts; p++) {
        const f = ll.subarray(p * per, (p + 1) * per);
        let e = f[0];
        for (let j = 0; j < L; j++) e += 0.5 * (f[1 + 2 * j] + f[2 + 2 * j] - 2 * f[0]);
        const P = p0 + p;
        atMean[P] = f[0];
        expected[P] = e;
        let k = 0;
        for (let j = 0; j < L; j++) {
          const m = mu[P * L + j];
          const v = lv[P * L + j];
          k += m * m + Math.exp(v) - 1 - v;
        }
        kl[P] = 0.5 * k;
      }
      done += pts * per;
      o.onProgress?.(done, total);
    }
    // Importance sampling: K draws per point, point-major, in batches of whole or partial points.
    const rng = new LegacyRandomState(seed);
    const logPx = new Float64Array(n);
    const recon = new Float64Array(n);
    const chunk = Math.min(K, batch);
    const z = new Float32Array(chunk * L);
    const logPrior = new Float64Array(chunk); // log p(z) - log q(z|x) per sample
    for (let P = 0; P < n; P++) {
      let max = -Infinity;
      let sum = 0; // sum of exp(log w - max)
      let meanLl = 0;
      for (let k0 = 0; k0 < K; k0 += chunk) {
        const rows = Math.min(chunk, K - k0);
        for (let r = 0; r < rows; r++) {
          let lp = 0;
          for (let j = 0; j < L; j++) {
            const eps = rng.standardNormal();
            const v = lv[P * L + j];
            const zz = mu[P * L + j] + Math.exp(v / 2) * eps;
            z[r * L + j] = zz;
            // log N(z; 0, I) - log N(z; mu, e^v), with (z - mu)^2 / e^v = eps^2 (the 2 pi terms cancel).
            lp += -0.5 * (zz * zz) + 0.5 * (v + eps * eps);
          }
          logPrior[r] = lp;
        }
        const ll = await logLik(z, rows, rows, P);
        for (let r = 0; r < rows; r++) {
          const w = ll[r] + logPrior[r];
          meanLl += ll[r];
          if (w > max) {
            sum = sum * Math.exp(max - w) + 1;
            max = w;
          } else {
            sum += Math.exp(w - max);
          }
        }
        done += rows;
        o.onProgress?.(done, total);
      }
      logPx[P] = max + Math.log(sum) - Math.log(K);
      recon[P] = meanLl / K;
    }
    const elbo = Float64Array.from(recon, (e, p) => e - kl[p]);
    const lp = meanOf(logPx);
    return {
      likelihood: dec.kind,
      k: K,
      seed,
      points: n,
      dims: D,
      latent: L,
      mean: {
        log_px: lp,
        nll: -lp,
        bits_per_dim: -lp / (D * Math.LN2),
        elbo: meanOf(elbo),
        reconstruction: meanOf(recon),
        kl: meanOf(kl),
        elbo_cubature: meanOf(expected) - meanOf(kl),
        reconstruction_cubature: meanOf(expected),
        reconstruction_loss_at_mean_sum: -meanOf(atMean),
        reconstruction_loss_at_mean_mean: -meanOf(atMean) / D,
      },
      sem: { log_px: semOf(logPx), elbo: semOf(elbo) },
      perPoint: { log_px: logPx, elbo, reconstruction: recon, kl, reconstruction_cubature: expected, reconstruction_at_mean: atMean },
    };
  } finally {
    await enc.release();
    await dec.fn.release();
  }
}
