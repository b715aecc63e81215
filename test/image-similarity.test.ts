// ssim, ms-ssim and psnr against scikit-image 0.19.3 and torchmetrics (commit dab0333): the fixture
// pairs of shared/fixtures/extras/expected.json, larger crops, the commands' JSON and CSV, bad input.
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { findCommand, runCommand } from '../lib/commands/registry';
import { decodeImage } from '../lib/images/decode';
import type { DecodedImage } from '../lib/images/preprocess';
import { MS_SSIM_MIN_SIDE, msSsim, psnr, ssim } from '../lib/metrics/image-similarity';
import { cli, collectingReporter, sharedFile, tmpDir } from './helpers';

const X = JSON.parse(fs.readFileSync(sharedFile('fixtures', 'extras', 'expected.json'), 'utf8')).image_similarity;
const image = (name: string) => sharedFile('fixtures', 'images', name);

async function crop(name: string, left: number, top: number, width: number, height: number): Promise<DecodedImage> {
  const { data, info } = await sharp(image(name)).extract({ left, top, width, height }).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels };
}

/** The image with its RGB samples inverted (255 - x); alpha, if any, kept. */
function inverted(img: DecodedImage): DecodedImage {
  const data = img.data.map((v, i) => (img.channels === 4 && i % 4 === 3 ? v : 255 - v));
  return { ...img, data };
}

async function folder(files: Record<string, string | DecodedImage>): Promise<string> {
  const dir = tmpDir();
  for (const [to, from] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, to)), { recursive: true });
    if (typeof from === 'string') fs.copyFileSync(image(from), path.join(dir, to));
    else await sharp(Buffer.from(from.data), { raw: { width: from.width, height: from.height, channels: from.channels as 3 | 4 } }).png().toFile(path.join(dir, to));
  }
  return dir;
}

const run = (name: string, inputs: string[], options: Record<string, unknown> = {}, reporter = collectingReporter().reporter) =>
  runCommand(findCommand(name), inputs, options, reporter) as Promise<any>;

describe('the fixture pairs: scikit-image and torchmetrics values', () => {
  // Tolerances of shared/docs/extra-metrics.md: SSIM 1e-6 (PNG) and 1e-3 (JPEG: decoders may differ
  // by 1 per sample), PSNR 1e-5 dB (PNG) and 1e-3 dB (JPEG), MS-SSIM 1e-3. Measured here: at most
  // 2.1e-14 for every SSIM, 0 for PSNR, 2.8e-16 for MS-SSIM (sharp decodes the JPEG pair as Pillow).
  const pairs: [string, any][] = X.pairs.map((p: any) => [`${p.ref} / ${p.img}`, p]);
  test.each(pairs)('%s', async (_name, p) => {
    const jpeg = /\.jpe?g$/i.test(p.ref);
    const [a, b] = [await decodeImage(image(p.img)), await decodeImage(image(p.ref))];
    const s = jpeg ? 1e-3 : 1e-6;
    const d = jpeg ? 1e-3 : 1e-5;
    expect(Math.abs(ssim(a, b, { convention: 'skimage' }) - p.skimage_ssim_win7)).toBeLessThan(s);
    expect(Math.abs(ssim(a, b, { convention: 'skimage', gaussian: true }) - p.skimage_ssim_gaussian)).toBeLessThan(s);
    expect(Math.abs(ssim(a, b, { convention: 'torchmetrics' }) - p.torchmetrics_ssim)).toBeLessThan(s);
    expect(Math.abs(psnr(a, b, 'skimage') - p.skimage_psnr)).toBeLessThan(d);
    expect(Math.abs(psnr(a, b, 'torchmetrics') - p.torchmetrics_psnr)).toBeLessThan(jpeg ? d : 1e-7);
    if (p.torchmetrics_ms_ssim === null) expect(() => msSsim(a, b)).toThrow(/needs at least 176 px on each side/);
    else expect(Math.abs(msSsim(a, b).value - p.torchmetrics_ms_ssim)).toBeLessThan(1e-3);
  });

  test("torchmetrics' PSNR keeps its float32 ln 255: about 5e-7 dB from skimage's, and reproduced within 1e-7", async () => {
    const p = X.pairs[0];
    const [a, b] = [await decodeImage(image(p.img)), await decodeImage(image(p.ref))];
    expect(Math.abs(p.torchmetrics_psnr - p.skimage_psnr)).toBeGreaterThan(4e-7);
    expect(Math.abs(psnr(a, b, 'torchmetrics') - p.torchmetrics_psnr)).toBeLessThan(1e-8);
    expect(Math.abs(psnr(a, b, 'skimage') - p.skimage_psnr)).toBeLessThan(1e-8);
  });
});

describe('larger pairs: MS-SSIM and SSIM against the references run on the same crops', () => {
  // Values from scikit-image 0.19.3 and torchmetrics' ssim.py / psnr.py at dab0333 (torch 1.13.1,
  // Debian bookworm, float64 inputs, data_range 255) on PIL crops of the fixture images; sharp's
  // crops hold the same samples. Measured agreement: 5e-14 or better.
  const cases: [string, () => Promise<[DecodedImage, DecodedImage]>, Record<string, number>][] = [
    [
      '300x200: img13 / img14 at (10, 20)',
      async () => [await decodeImage(image('img13_300x200_RGB.png')), await crop('img14_512x384_RGBA.png', 10, 20, 300, 200)],
      { win7: 0.19032398323491026, gaussian: 0.1972484651087729, tm: 0.19444195731786978, psnrSk: 9.851275757974204, psnrTm: 9.851275616556928, relu: 0.3557990324042936, simple: 0.6908347128613095 },
    ],
    [
      '299x299 (odd: the halvings drop a row and a column): img15 / img14 at (0, 0)',
      async () => [await decodeImage(image('img15_299x299_RGB.png')), await crop('img14_512x384_RGBA.png', 0, 0, 299, 299)],
      { win7: 0.19186311528547814, gaussian: 0.20091677009692913, tm: 0.19893732434699524, psnrSk: 10.472706027109702, psnrTm: 10.472705857504819, relu: 0.3134390168367908, simple: 0.6639039595869788 },
    ],
    [
      '176x176, the smallest MS-SSIM takes',
      async () => [await crop('img15_299x299_RGB.png', 0, 0, 176, 176), await crop('img14_512x384_RGBA.png', 100, 100, 176, 176)],
      { win7: 0.18436010485321708, gaussian: 0.19299459468310198, tm: 0.1911285955906198, psnrSk: 9.719250146606683, psnrTm: 9.719250011177996, relu: 0.3530846002630632, simple: 0.685616828280771 },
    ],
  ];
  test.each(cases)('%s', async (_name, load, ref) => {
    const [a, b] = await load();
    const got = {
      win7: ssim(a, b, { convention: 'skimage' }),
      gaussian: ssim(a, b, { convention: 'skimage', gaussian: true }),
      tm: ssim(a, b, { convention: 'torchmetrics' }),
      psnrSk: psnr(a, b, 'skimage'),
      psnrTm: psnr(a, b, 'torchmetrics'),
      relu: msSsim(a, b, 'relu').value,
      simple: msSsim(a, b, 'simple').value,
    };
    for (const k of Object.keys(ref)) expect([k, Math.abs(got[k as keyof typeof got] - ref[k]) < 1e-9]).toEqual([k, true]);
    // Every term positive here: normalize none gives the relu value.
    expect(msSsim(a, b, 'none').value).toBe(got.relu);
  });

  test('a negative term: relu (the default) gives 0, simple 0.5002866, none NaN', async () => {
    const a = await decodeImage(image('img14_512x384_RGBA.png'));
    const b = inverted(a);
    expect(msSsim(a, b, 'relu').value).toBe(0);
    expect(Math.abs(msSsim(a, b, 'simple').value - 0.5002865888334015)).toBeLessThan(1e-9);
    expect(msSsim(a, b, 'none').value).toBeNaN();
    expect(Math.abs(ssim(a, b, { convention: 'torchmetrics' }) - -0.1463747623313884)).toBeLessThan(1e-9);
    expect(Math.abs(ssim(a, b, { convention: 'skimage' }) - -0.1460981530721177)).toBeLessThan(1e-9);
  });

  test('an image with itself: 1 at every scale; PSNR infinite', async () => {
    const a = await crop('img15_299x299_RGB.png', 50, 60, 192, 192);
    const r = msSsim(a, a, 'none');
    for (const v of [r.value, ...r.cs, ...r.sim]) expect(Math.abs(v - 1)).toBeLessThan(1e-12);
    expect([r.cs.length, r.sim.length]).toEqual([5, 5]);
    expect(ssim(a, a, { convention: 'skimage' })).toBe(1);
    expect(psnr(a, a, 'skimage')).toBe(Infinity);
    expect(psnr(a, a, 'torchmetrics')).toBe(Infinity);
  });

  test("MS-SSIM's guard is torchmetrics': side // 16 > 10, so 176 px on both sides", async () => {
    expect(MS_SSIM_MIN_SIDE).toBe(176);
    const tall = await crop('img15_299x299_RGB.png', 0, 0, 175, 299);
    expect(() => msSsim(tall, tall)).toThrow(/are 175x299: MS-SSIM \(torchmetrics\) needs at least 176 px on each side \(torchmetrics requires side \/\/ 16 > 10/);
  });
});

describe('the commands', () => {
  // The fixture's values of the two pairs of these folders (lpips_ex_ref / p0, img00 / img01).
  const mean2 = (k: string) => (X.pairs[0][k] + X.pairs[2][k]) / 2;
  const pairA = { 'p0.png': 'lpips_ex_ref.png', 'sub/x.png': 'img00_32x32_RGB.png' };
  const pairB = { 'p0.png': 'lpips_ex_p0.png', 'sub/x.png': 'img01_32x32_RGB.png' };

  test('ssim of two folders, paired by relative path: the mean, std, per-pair values and CSV; JSON headline "ssim"', async () => {
    const [a, b] = [await folder(pairA), await folder(pairB)];
    const csv = path.join(tmpDir(), 'ssim.csv');
    const r = JSON.parse(JSON.stringify(await run('ssim', [a, b], { perPair: csv })));
    expect(Math.abs(r.ssim - mean2('skimage_ssim_win7'))).toBeLessThan(1e-9);
    expect(Math.abs(r.std - Math.abs(X.pairs[0].skimage_ssim_win7 - X.pairs[2].skimage_ssim_win7) / Math.SQRT2)).toBeLessThan(1e-9);
    expect(r).toMatchObject({ pairs: 2, convention: 'skimage', per_pair: csv, parameters: { window: 'uniform', size: 7, sample_covariance: true } });
    expect(r.values.map((v: any) => path.relative(a, v.a))).toEqual(['p0.png', path.join('sub', 'x.png')]);
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('a,b,ssim');
    expect(lines.slice(1).map((l) => Number(l.slice(l.lastIndexOf(',') + 1)))).toEqual(r.values.map((v: any) => v.value));
    const g = await run('ssim', [a, b], { gaussian: true });
    expect(Math.abs(g.ssim - mean2('skimage_ssim_gaussian'))).toBeLessThan(1e-9);
    expect(g.parameters).toMatchObject({ window: 'gaussian', size: 11, sigma: 1.5, sample_covariance: false });
    const t = await run('ssim', [a, b], { convention: 'torchmetrics' });
    expect(Math.abs(t.ssim - mean2('torchmetrics_ssim'))).toBeLessThan(1e-9);
    expect(t.convention).toBe('torchmetrics');
  });

  test('psnr and ms-ssim: headlines "psnr" and "ms_ssim"; infinite PSNR and NaN MS-SSIM are null in JSON, with a warning', async () => {
    const p = await run('psnr', [image('lpips_ex_ref.png'), image('lpips_ex_p0.png')], { convention: 'torchmetrics' });
    expect(Math.abs(p.psnr - X.pairs[0].torchmetrics_psnr)).toBeLessThan(1e-7);
    expect([p.pairs, p.std, p.ci95, p.parameters.data_range]).toEqual([1, null, null, 255]);
    const same = collectingReporter();
    const inf = JSON.parse(JSON.stringify(await run('psnr', [image('img00_32x32_RGB.png'), image('img00_32x32_RGB.png')], {}, same.reporter)));
    expect([inf.psnr, inf.values[0].value]).toEqual([null, null]);
    expect(same.warnings.join('\n')).toMatch(/1 of 1 pairs are identical images: their PSNR is infinite/);

    const jpeg = X.pairs.find((q: any) => q.torchmetrics_ms_ssim !== null);
    const m = await run('ms-ssim', [image(jpeg.ref), image(jpeg.img)]);
    expect(Math.abs(m.ms_ssim - jpeg.torchmetrics_ms_ssim)).toBeLessThan(1e-3);
    expect(m.parameters).toMatchObject({ scales: 5, betas: [0.0448, 0.2856, 0.3001, 0.2363, 0.1333], normalize: 'relu' });
    const big = await decodeImage(image('img14_512x384_RGBA.png'));
    const [a, b] = [await folder({ 'x.png': 'img14_512x384_RGBA.png' }), await folder({ 'x.png': inverted(big) })];
    const w = collectingReporter();
    const nan = JSON.parse(JSON.stringify(await run('ms-ssim', [a, b], { normalize: 'none' }, w.reporter)));
    expect([nan.ms_ssim, nan.values[0].value]).toEqual([null, null]);
    expect(w.warnings.join('\n')).toMatch(/1 of 1 pairs have a negative term at some scale: their MS-SSIM is NaN/);
    expect((await run('ms-ssim', [a, b])).ms_ssim).toBe(0);
  });

  test('the CLI prints the same object with --json', async () => {
    const [a, b] = [await folder(pairA), await folder(pairB)];
    const csv = path.join(tmpDir(), 'psnr.csv');
    const r = cli(['psnr', a, b, '--convention', 'torchmetrics', '--per-pair', csv, '--json', '-q']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(JSON.stringify(await run('psnr', [a, b], { convention: 'torchmetrics', perPair: csv }))));
    expect(fs.readFileSync(csv, 'utf8').split('\n')[0]).toBe('a,b,psnr');
    const bad = cli(['ms-ssim', image('lpips_ex_ref.png'), image('lpips_ex_p0.png'), '--convention', 'skimage']);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringMatching(/--convention: expected torchmetrics \(scikit-image has no MS-SSIM\), got 'skimage'/)]);
  });

  test('bad input: clear errors naming the files, and no CSV written', async () => {
    const csv = path.join(tmpDir(), 'out.csv');
    const px = (n: number): DecodedImage => ({ data: new Uint8Array(n * n * 3).map((_, i) => (i * 37) % 256), width: n, height: n, channels: 3 });
    const small = await folder({ 's6.png': px(6), 's10.png': px(10), 's5.png': px(5) });
    const f = (n: string) => path.join(small, n);
    const cases: [string, string[], Record<string, unknown>, RegExp][] = [
      ['ssim', [image('img00_32x32_RGB.png'), image('img06_64x64_RGB.png')], { perPair: csv }, /img00_32x32_RGB\.png is 32x32 but \S*img06_64x64_RGB\.png is 64x64: SSIM compares images of one size, and nothing is resized/],
      ['ssim', [f('s6.png'), f('s6.png')], {}, /s6\.png and \S*s6\.png are 6x6: SSIM \(skimage\) needs at least 7 px on each side \(skimage's 7 x 7 window\)/],
      ['ssim', [f('s10.png'), f('s10.png')], { gaussian: true }, /are 10x10: SSIM \(skimage\) needs at least 11 px on each side/],
      ['ssim', [f('s5.png'), f('s5.png')], { convention: 'torchmetrics' }, /are 5x5: SSIM \(torchmetrics\) needs at least 6 px on each side \(torchmetrics pads by 5 px with reflect/],
      ['ms-ssim', [image('lpips_ex_ref.png'), image('lpips_ex_p0.png')], { perPair: csv }, /lpips_ex_ref\.png and \S*lpips_ex_p0\.png are 64x64: MS-SSIM \(torchmetrics\) needs at least 176 px on each side/],
      ['psnr', [image('img00_32x32_RGB.png'), image('img06_64x64_RGB.png')], {}, /is 32x32 but .* is 64x64: PSNR compares images of one size/],
      ['ssim', [image('img00_32x32_RGB.png'), sharedFile('fixtures', 'extras', 'expected.json')], {}, /expected\.json: not an image file/],
      ['ssim', [tmpDir(), small], {}, /no images found/],
      ['ssim', [small, await folder({ 's6.png': px(6) })], {}, /without a partner in .*: s10\.png, s5\.png/],
      ['ssim', [image('img00_32x32_RGB.png'), image('img01_32x32_RGB.png')], { gaussian: true, convention: 'torchmetrics' }, /^gaussian applies to the skimage convention: torchmetrics always uses its 11x11 Gaussian window/],
    ];
    for (const [name, inputs, options, message] of cases) await expect(run(name, inputs, options)).rejects.toThrow(message);
    const corrupt = path.join(tmpDir(), 'bad.png');
    fs.writeFileSync(corrupt, 'not a png');
    await expect(run('psnr', [corrupt, image('img00_32x32_RGB.png')])).rejects.toThrow(/bad\.png: cannot decode image/);
    expect(fs.existsSync(csv)).toBe(false);
  });
});
