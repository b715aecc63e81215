// The Node API and the CLI are one path: run(name, inputs, options) resolves to exactly the object
// that `genmetrics <name> ...inputs --json` prints with the same options, for every command.
import * as fs from 'fs';
import * as path from 'path';
import { commands, run } from '../lib';
import { kebab } from '../lib/commands/descriptor';
import { readNpy, writeNpy } from '../lib/io/npy';
import { FIXTURES, cli, networkEnv, sharedFile, tmpDir, collectingReporter } from './helpers';
import { twinGenerator } from './onnx-builder';
import { twinCheckpoint } from './twin-checkpoint';

const env = networkEnv();
Object.assign(process.env, env);
const TWIN = sharedFile('models', 'inception-fid-twin.onnx');
const LPIPS_TWIN = sharedFile('models', 'lpips-alex-twin.onnx');
const fx = (f: string) => path.join(FIXTURES, f);
const img = (f: string) => sharedFile('fixtures', 'images', f);
const vae = (set: string, f: string) => sharedFile('fixtures', 'vae', set, f);
const dis = (f: string) => sharedFile('fixtures', 'disentanglement', f);
const dir = tmpDir();

/** The CLI arguments of API options: `--kebab value`, `--flag` for true, `--no-flag` for false. */
function flags(options: Record<string, unknown>): string[] {
  return Object.entries(options).flatMap(([k, v]) => {
    if (v === true) return [`--${kebab(k)}`];
    if (v === false) return [`--no-${kebab(k)}`];
    return [`--${kebab(k)}`, ...(Array.isArray(v) ? v.map(String) : [String(v)])];
  });
}

function rows(src: string, n: number, out: string): string {
  const a = readNpy(src);
  const per = a.shape.slice(1).reduce((x, y) => x * y, 1);
  writeNpy(out, { dtype: a.dtype, shape: [n, ...a.shape.slice(1)], data: a.data.slice(0, n * per) } as never);
  return out;
}

function images(names: string[]): string {
  const d = fs.mkdtempSync(path.join(dir, 'img-'));
  for (const n of names) fs.copyFileSync(img(n), path.join(d, n));
  return d;
}

const probeSet = (kind: 'train' | 'test', n: number) => [
  rows(vae('dcgan_mnist', `probe_${kind}_x.npy`), n, path.join(dir, `${kind}_x.npy`)),
  rows(vae('dcgan_mnist', `probe_${kind}_y.npy`), n, path.join(dir, `${kind}_y.npy`)),
];

/** answers.csv as the service writes it: 3 raters, 2 practice + 8 scored trials each. */
const hypeCsv = () => {
  const f = path.join(dir, 'answers.csv');
  const rows = ['rater,image,truth,answer,ms,trial,exposure_ms,tutorial'];
  for (let r = 1; r <= 3; r++) for (let t = 0; t < 10; t++) rows.push([r, (t * 3 + r) % 10, t % 2 ? 'real' : 'fake', (t * r) % 3 ? 'real' : 'fake', 500, t, 500, t < 2 ? 1 : 0].join(','));
  fs.writeFileSync(f, rows.join('\n') + '\n');
  return f;
};

type Case = [name: string, inputs: () => string[], options: () => Record<string, unknown>];

const cases: Case[] = [
  ['fid', () => [fx('features_40x6.npy'), fx('stats_6d_savez.npz')], () => ({ eps: 1e-6, threads: 1 })],
  ['fid', () => [images(['img00_32x32_RGB.png', 'img01_32x32_RGB.png', 'img02_32x32_RGB.png']), images(['img03_32x32_RGB.png', 'img04_32x32_RGB.png', 'img05_32x32_RGB.png'])], () => ({ model: TWIN, cache: false, mode: 'clean' })],
  ['stats', () => [fx('features_40x6.npy')], () => ({ output: path.join(dir, 'stats.npz'), partial: true })],
  ['stats merge', () => [fx('features_40x6.npy'), fx('features_40x6.npy')], () => ({ output: path.join(dir, 'merged.npz') })],
  ['is', () => [sharedFile('fixtures', 'metrics', 'logits_4000x1008.npy')], () => ({ splits: 4, seed: 3 })],
  ['kid', () => [fx('features_40x6.npy'), fx('features_40x6.npy')], () => ({ subsets: 5, subsetSize: 20, kernel: 'rbf', sigma: 2 })],
  ['kid', () => [fx('features_40x6.npy'), fx('features_40x6.npy')], () => ({ full: true, estimator: 'biased' })],
  ['prdc', () => [fx('ties_fake_50x3.npy'), fx('ties_real_60x3.npy')], () => ({ k: 2, prTest: 'lt' })],
  ['all', () => [fx('ties_fake_50x3.npy'), fx('ties_real_60x3.npy')], () => ({ subsets: 3, subsetSize: 10, dcK: 4 })],
  ['features', () => [images(['img09_28x28_L.png', 'img10_28x28_L.png'])], () => ({ output: path.join(dir, 'pool3.npy'), logits: path.join(dir, 'logits.npy'), model: TWIN, cache: false })],
  ['lpips', () => [img('lpips_ex_ref.png'), img('lpips_ex_p0.png')], () => ({ model: LPIPS_TWIN, batchSize: 2 })],
  ['diversity', () => [images(['img00_32x32_RGB.png', 'img01_32x32_RGB.png', 'img02_32x32_RGB.png'])], () => ({ model: LPIPS_TWIN, pairs: 2, seed: 5 })],
  ['diversity', () => [fx('features_40x6.npy')], () => ({ pairs: 50, perPair: path.join(dir, 'pairs.csv') })],
  ['cluster', () => [], () => ({ codes: fx('blobs_300x4.npy'), labels: fx('blobs_300x4_labels.npy'), restarts: 2, average: 'min' })],
  ['vae', () => [], () => ({ encoder: vae('linear_gaussian', 'encoder.onnx'), decoder: vae('linear_gaussian', 'decoder.onnx'), data: vae('linear_gaussian', 'x_500x16.npy'), k: 8, seed: 1 })],
  ['encode', () => [], () => ({ encoder: vae('bernoulli_mlp', 'encoder.onnx'), data: vae('bernoulli_mlp', 'x_400x64.npy'), output: path.join(dir, 'codes.npy') })],
  ['params', () => [vae('dcgan_mnist', 'generator.safetensors')], () => ({ tensors: true })],
  ['disentanglement', () => [], () => ({ codes: dis('fixed_codes_10000x7.npy'), factors: dis('fixed_factors_10000x5.npy'), bins: 10 })],
  ['generate', () => [], () => ({ generator: twinGenerator(path.join(dir, 'g.onnx'), { z: 4, height: 8, width: 6 }), samples: 5, output: path.join(dir, 'samples'), overwrite: true, seed: 3 })],
  ['ppl', () => [], () => ({ generator: twinGenerator(path.join(dir, 'g.onnx'), { z: 4, height: 8, width: 6 }), samples: 6, batchSize: 4, lpipsModel: LPIPS_TWIN, epsilon: 0.01 })],
  ['truncation', () => [sharedFile('fixtures', 'metrics', 'real_3000x2048.npy')], () => ({ generator: twinGenerator(path.join(dir, 'g.onnx'), { z: 4, height: 8, width: 6 }), samples: 6, psi: '0.5', subsets: 2, subsetSize: 3, model: TWIN, cache: false })],
  ['memorization', () => [images(['img00_32x32_RGB.png', 'img01_32x32_RGB.png', 'img02_32x32_RGB.png']), images(['img03_32x32_RGB.png', 'img04_32x32_RGB.png', 'img05_32x32_RGB.png', 'img00_32x32_RGB.png'])], () => ({ space: 'pixel', k: 2, output: path.join(dir, 'gallery.png'), gallery: 2 })],
  ['report', () => [fx('ties_fake_50x3.npy'), fx('ties_real_60x3.npy')], () => ({ output: path.join(dir, 'report.html'), subsets: 3, subsetSize: 10 })],
  ['vendi', () => [fx('features_40x6.npy')], () => ({ q: '1,2,inf' })],
  ['mifid', () => [fx('ties_fake_50x3.npy'), fx('ties_real_60x3.npy')], () => ({})],
  ['authpct', () => [fx('ties_fake_50x3.npy'), fx('ties_real_60x3.npy')], () => ({})],
  ['c2st', () => [fx('ties_fake_50x3.npy'), fx('ties_real_60x3.npy')], () => ({ k: 3 })],
  ['fd-inf', () => [fx('features_40x6.npy'), fx('features_40x6.npy')], () => ({ points: 3, seed: 2 })],
  ['ndb', () => [fx('features_40x6.npy'), fx('features_40x6.npy')], () => ({ bins: 4, seed: 1 })],
  ['prd', () => [fx('features_40x6.npy'), fx('features_40x6.npy')], () => ({ clusters: 4, runs: 2, angles: 11 })],
  ['realism', () => [fx('ties_fake_50x3.npy'), fx('ties_real_60x3.npy')], () => ({ convention: 'dgm-eval', k: 3 })],
  ['cmmd', () => [fx('ties_fake_50x3.npy'), fx('ties_real_60x3.npy')], () => ({ sigma: 10 })],
  ['parzen', () => [fx('ties_fake_50x3.npy'), fx('ties_real_60x3.npy')], () => ({ valid: fx('ties_real_60x3.npy'), sigmaCount: 4 })],
  ['ct', () => [fx('ties_fake_50x3.npy'), fx('ties_real_60x3.npy')], () => ({ test: fx('ties_fake_50x3.npy'), cells: 2, ctSeed: 4 })],
  ['birthday', () => [fx('features_40x6.npy')], () => ({ samplesPerBatch: 10, batches: 2, pairs: 3 })],
  ['ssim', () => [img('lpips_ex_ref.png'), img('lpips_ex_p0.png')], () => ({ gaussian: true, perPair: path.join(dir, 'ssim.csv') })],
  ['ms-ssim', () => [img('img11_256x256_RGB.jpg'), img('img12_256x256_RGB.jpg')], () => ({ normalize: 'simple' })],
  ['psnr', () => [img('lpips_ex_ref.png'), img('lpips_ex_p1.png')], () => ({ convention: 'torchmetrics' })],
  ['hype', () => [hypeCsv()], () => ({ mode: 'time', resamples: 500, seed: 3 })],
  ['grid', () => [images(['img00_32x32_RGB.png', 'img01_32x32_RGB.png', 'img09_28x28_L.png'])], () => ({ output: path.join(dir, 'grid.png'), pad: 1 })],
  ['interpolate', () => [], () => ({ generator: twinGenerator(path.join(dir, 'g.onnx'), { z: 4, height: 8, width: 6 }), seeds: '1,2', steps: 3, output: path.join(dir, 'interp.png'), slerp: true })],
  ['traverse', () => [], () => ({ decoder: vae('bernoulli_mlp', 'decoder.onnx'), seed: 1, steps: 3, dims: '0,2', output: path.join(dir, 'trav.png') })],
  ['models list', () => [], () => ({})],
  [
    'models install',
    () => {
      const pth = path.join(dir, 'pt_inception-twin.pth');
      if (!fs.existsSync(pth)) twinCheckpoint(pth);
      return ['inception-v3-fid'];
    },
    () => ({ from: path.join(dir, 'pt_inception-twin.pth'), dir: path.join(dir, 'installed') }),
  ],
  ['probe', () => [], () => ({ model: vae('dcgan_mnist', 'discriminator.onnx'), layers: '/LeakyRelu_output_0,/LeakyRelu_1_output_0', train: probeSet('train', 60), test: probeSet('test', 30), maxIter: 50 })],
];

describe('run(name, inputs, options) equals `genmetrics name inputs --json` with the same options', () => {
  test('every command has a case', () => {
    expect(new Set(cases.map((c) => c[0]))).toEqual(new Set(commands.map((c) => c.name)));
  });

  test.each(cases)('%s', async (name, inputs, options) => {
    const ins = inputs();
    const o = options();
    const r = cli([...name.split(' '), ...ins, ...flags(o), '--json', '-q'], env);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const w = collectingReporter();
    const api = await run(name, ins, o, w.reporter);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(JSON.stringify(api)));
    // The same warnings as the CLI printed.
    for (const m of w.warnings) expect(r.stderr).toContain(`genmetrics: warning: ${m}`);
  });

  test('options may be given as the strings the CLI takes; unknown and bad ones are refused naming the key', async () => {
    const a = await run('kid', [fx('features_40x6.npy'), fx('features_40x6.npy')], { subsets: '5', subsetSize: '20' });
    const b = await run('kid', [fx('features_40x6.npy'), fx('features_40x6.npy')], { subsets: 5, subsetSize: 20 });
    expect(a).toEqual(b);
    await expect(run('kid', [fx('features_40x6.npy'), fx('features_40x6.npy')], { subsetsize: 5 })).rejects.toThrow(/kid: unknown option 'subsetsize'/);
    await expect(run('kid', [fx('features_40x6.npy'), fx('features_40x6.npy')], { subsets: 1e12 })).rejects.toThrow(/^subsets: expected at most 1000000, got 1000000000000/);
    await expect(run('kid', [fx('features_40x6.npy')])).rejects.toThrow(/kid: expected inputs a b, got 1/);
    await expect(run('nope', [])).rejects.toThrow(/unknown command 'nope'/);
  });
});
