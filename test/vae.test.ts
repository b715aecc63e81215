import * as fs from 'fs';
import * as path from 'path';
import { readNpy, writeNpy } from '../lib/io/npy';
import sharp from 'sharp';
import { loadModelInput, readVaeData } from '../lib/vae/data';
import { evaluateVae, type VaeOptions } from '../lib/vae/evaluate';
import { LegacyRandomState } from '../lib/random/mt19937';
import { cli, sharedFile, tmpDir } from './helpers';

const EXP = JSON.parse(fs.readFileSync(sharedFile('fixtures', 'vae', 'expected.json'), 'utf8'));
const model = (set: string, name: string) => sharedFile('fixtures', 'vae', set, name);
const LG = { data: () => readVaeData(model('linear_gaussian', 'x_500x16.npy')), encoder: model('linear_gaussian', 'encoder.onnx'), decoder: model('linear_gaussian', 'decoder.onnx') };
const BM = { data: () => readVaeData(model('bernoulli_mlp', 'x_400x64.npy')), encoder: model('bernoulli_mlp', 'encoder.onnx'), decoder: model('bernoulli_mlp', 'decoder.onnx') };

function run(set: typeof LG, options: Partial<VaeOptions> = {}) {
  return evaluateVae(set.data(), { encoder: set.encoder, decoder: set.decoder, seed: 0, ...options });
}

test("standard normals are NumPy's legacy RandomState draws (polar method, spare kept across calls)", () => {
  // np.random.RandomState(2020): standard_normal(3), random_sample(), standard_normal(2).
  const r = new LegacyRandomState(2020);
  expect([r.standardNormal(), r.standardNormal(), r.standardNormal()]).toEqual([-1.7688457055759508, 0.07555227120810952, -1.1306297028053423]);
  expect(r.random()).toBe(0.27647714315379956);
  expect([r.standardNormal(), r.standardNormal()]).toEqual([-0.6514301669047348, 0.893108221330348]);
});

describe('VAE evaluation: linear Gaussian (exact log p(x) known)', () => {
  const ref = EXP.linear_gaussian;

  test('IWAE at K = 1000 is within 3 standard errors of the exact log p(x); each K within 4 std of its reference', async () => {
    const r1000 = await run(LG, { k: 1000 });
    expect(Math.abs(r1000.mean.log_px - ref.exact_log_px_mean)).toBeLessThan(3 * ref.iwae_log_px['K=1000'].std_over_runs);
    for (const K of [1, 10, 100, 1000]) {
      const r = K === 1000 ? r1000 : await run(LG, { k: K });
      const want = ref.iwae_log_px[`K=${K}`];
      expect(Math.abs(r.mean.log_px - want.mean_over_20_runs)).toBeLessThan(4 * want.std_over_runs);
      expect(r.mean.nll).toBe(-r.mean.log_px);
    }
  });

  test('closed-form ELBO, reconstruction and KL within 1e-4 (cubature: exact for this decoder)', async () => {
    const r = await run(LG, { k: 1000 });
    expect(Math.abs(r.mean.elbo_cubature - ref.elbo_mean_closed_form)).toBeLessThan(1e-4);
    expect(Math.abs(r.mean.reconstruction_cubature - ref.recon_loglik_mean_closed_form)).toBeLessThan(1e-4);
    expect(Math.abs(r.mean.kl - ref.kl_mean_closed_form)).toBeLessThan(1e-4);
    // The Monte Carlo reconstruction term over the 1000 samples: within 1e-3 here.
    expect(Math.abs(r.mean.elbo - ref.elbo_mean_closed_form)).toBeLessThan(1e-3);
    expect(r.mean.bits_per_dim).toBeCloseTo(r.mean.nll / (16 * Math.LN2), 12);
    expect(r).toMatchObject({ likelihood: 'gaussian', points: 500, dims: 16, latent: 4, k: 1000 });
  });

  test('a seed reproduces exactly at any thread count; batching changes nothing beyond float32 rounding', async () => {
    const a = await run(LG, { k: 50, threads: 1 });
    const b = await run(LG, { k: 50, threads: 2 });
    expect(Array.from(b.perPoint.log_px)).toEqual(Array.from(a.perPoint.log_px));
    const c = await run(LG, { k: 50, batchSize: 7 });
    c.perPoint.log_px.forEach((v, i) => expect(Math.abs(v - a.perPoint.log_px[i])).toBeLessThan(1e-5));
    const d = await run(LG, { k: 50, seed: 1 });
    expect(d.mean.log_px).not.toBe(a.mean.log_px);
  });
});

describe('VAE evaluation: Bernoulli MLP', () => {
  const ref = EXP.bernoulli_mlp;

  test('IWAE per K within 4 std; reconstruction at the mean (both conventions) and KL within 1e-4', async () => {
    for (const K of [1, 10, 100, 1000]) {
      const r = await run(BM, { k: K });
      const want = ref.iwae_log_px[`K=${K}`];
      expect(Math.abs(r.mean.log_px - want.mean_over_20_runs)).toBeLessThan(4 * want.std_over_runs);
      if (K === 1) {
        expect(Math.abs(r.mean.reconstruction_loss_at_mean_sum - ref.reconstruction_bce_at_mu_sum_over_pixels)).toBeLessThan(1e-4);
        expect(Math.abs(r.mean.reconstruction_loss_at_mean_mean - ref.reconstruction_bce_at_mu_mean_over_pixels)).toBeLessThan(1e-4);
        expect(Math.abs(r.mean.kl - ref.kl_mean)).toBeLessThan(1e-4);
        expect(r.likelihood).toBe('bernoulli');
      }
    }
  });
});

describe('VAE evaluation: bad input', () => {
  test('non-binary data, wrong sizes, models without the expected outputs', async () => {
    const dir = tmpDir();
    const x = readNpy(model('bernoulli_mlp', 'x_400x64.npy'));
    const half = Float32Array.from(x.data as Float32Array);
    half[70] = 0.5;
    const nb = path.join(dir, 'nonbinary.npy');
    writeNpy(nb, { dtype: 'float32', shape: x.shape, data: half });
    await expect(evaluateVae(readVaeData(nb), { encoder: BM.encoder, decoder: BM.decoder, k: 2 })).rejects.toThrow(
      /nonbinary\.npy: a Bernoulli decoder needs binary data \(0 or 1\); value 0\.5 at point 1, element 6/,
    );
    await expect(evaluateVae(LG.data(), { encoder: BM.encoder, decoder: BM.decoder, k: 2 })).rejects.toThrow(/items of shape \(16\) do not fit the encoder's input \(64\)/);
    await expect(evaluateVae(BM.data(), { encoder: BM.decoder, decoder: BM.decoder, k: 2 })).rejects.toThrow(/the encoder must output mu and logvar .*outputs \[logits\]/);
    await expect(evaluateVae(BM.data(), { encoder: BM.encoder, decoder: BM.encoder, k: 2, likelihood: 'bernoulli' })).rejects.toThrow(
      /likelihood bernoulli needs one output/,
    );
    await expect(evaluateVae(LG.data(), { encoder: LG.encoder, decoder: LG.encoder, k: 2 })).rejects.toThrow(/encoder\.onnx: the decoder takes inputs of shape \(16\), the encoder's codes have 4 dims/);
    const ints = path.join(dir, 'ints.npy');
    writeNpy(ints, { dtype: 'int32', shape: [2, 3], data: new Int32Array(6) });
    expect(() => readVaeData(ints)).toThrow(/ints\.npy: expected float32 or float64 data/);
  });
});

describe('genmetrics vae', () => {
  test('--json and --per-point', () => {
    const csv = path.join(tmpDir(), 'points.csv');
    const r = cli(['vae', '--encoder', BM.encoder, '--decoder', BM.decoder, '--data', model('bernoulli_mlp', 'x_400x64.npy'), '-k', '20', '--per-point', csv, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ k: 20, seed: 0, likelihood: 'bernoulli', points: 400, dims: 64, latent: 8 });
    expect(Math.abs(j.reconstruction_loss_at_mean.sum_over_dims - EXP.bernoulli_mlp.reconstruction_bce_at_mu_sum_over_pixels)).toBeLessThan(1e-4);
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('point,log_px,elbo,reconstruction,kl,reconstruction_cubature,reconstruction_at_mean');
    expect(lines).toHaveLength(401);
    const bad = cli(['vae', '--encoder', BM.encoder, '--decoder', BM.decoder, '--data', model('bernoulli_mlp', 'x_400x64.npy'), '--likelihood', 'poisson']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--likelihood: expected bernoulli or gaussian, got 'poisson'/);
  });
});

describe('images as model input (vae --data DIR, encode)', () => {
  async function imageSet(rows: number): Promise<{ dir: string; npy: string }> {
    const x = readNpy(model('bernoulli_mlp', 'x_400x64.npy'));
    const dir = tmpDir();
    for (let i = 0; i < rows; i++) {
      const px = Buffer.from(Array.from((x.data as Float32Array).subarray(i * 64, (i + 1) * 64), (v) => v * 255));
      await sharp(px, { raw: { width: 8, height: 8, channels: 1 } }).png().toFile(path.join(dir, `${String(i).padStart(3, '0')}.png`));
    }
    const npy = path.join(tmpDir(), 'x.npy');
    writeNpy(npy, { dtype: 'float32', shape: [rows, 64], data: (x.data as Float32Array).slice(0, rows * 64) });
    return { dir, npy };
  }

  test('8x8 gray PNGs through a flat 64-d encoder give the same data, scores and codes as the .npy', async () => {
    const { dir, npy } = await imageSet(20);
    const fromImages = await loadModelInput(dir, BM.encoder, { binarize: 0.5 });
    const fromNpy = await loadModelInput(npy, BM.encoder);
    expect(Array.from(fromImages.data)).toEqual(Array.from(fromNpy.data));
    const a = await evaluateVae(fromImages, { encoder: BM.encoder, decoder: BM.decoder, k: 10 });
    const b = await evaluateVae(fromNpy, { encoder: BM.encoder, decoder: BM.decoder, k: 10 });
    expect(a.mean).toEqual(b.mean);
    const out1 = path.join(tmpDir(), 'c1.npy');
    const out2 = path.join(tmpDir(), 'c2.npy');
    expect(cli(['encode', '--encoder', BM.encoder, '--data', dir, '--binarize', '0.5', '-o', out1]).code).toBe(0);
    expect(cli(['encode', '--encoder', BM.encoder, '--data', npy, '-o', out2]).code).toBe(0);
    const c1 = readNpy(out1);
    expect(c1.shape).toEqual([20, 8]);
    expect(Array.from(c1.data as Float32Array)).toEqual(Array.from(readNpy(out2).data as Float32Array));
    const unit = await loadModelInput(dir, BM.encoder, { scale: 'signed' });
    expect(unit.data[0]).toBe(fromNpy.data[0] * 2 - 1);
  });

  test('images of another size and a bad --scale are refused', async () => {
    const wrong = tmpDir();
    fs.copyFileSync(sharedFile('fixtures', 'images', 'img00_32x32_RGB.png'), path.join(wrong, 'a.png'));
    await expect(loadModelInput(wrong, BM.encoder)).rejects.toThrow(/a\.png is 32x32: the model takes 64 values per item, neither 1024 \(gray\) nor 3072 \(RGB\)/);
    const r = cli(['vae', '--encoder', BM.encoder, '--decoder', BM.decoder, '--data', wrong, '--scale', 'huge']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--scale: expected unit \(x\/255\) or signed/);
  });
});
