/** ssim, ms-ssim and psnr: full-reference similarity of image pairs, paired as lpips pairs them. */
import { decodeImage } from '../images/decode';
import { pairInputs } from '../images/pairing';
import type { DecodedImage } from '../images/preprocess';
import { writeCsv } from '../io/csv';
import {
  checkImagePair,
  msSsim,
  MS_SSIM_BETAS,
  psnr,
  SIMILARITY_PARAMETERS,
  ssim,
  type MsSsimNormalize,
  type SimilarityConvention,
  type SimilarityMetric,
} from '../metrics/image-similarity';
import { meanInterval } from '../stats/interval';
import { defineCommand, OptionError, type OptionSpec, type Reporter } from './descriptor';
import { maxPixelsOption, withProgress } from './common';

export interface ImageSimilarityOptions {
  convention: SimilarityConvention;
  gaussian?: boolean;
  normalize?: MsSsimNormalize;
  perPair?: string;
  maxPixels: number;
}

/** `ssim`, `ms_ssim` or `psnr` (the mean over pairs) is the result's headline key. */
export interface ImageSimilarityResult {
  ssim?: number;
  ms_ssim?: number;
  psnr?: number;
  std: number | null;
  sem: number | null;
  ci95: [number, number] | null;
  pairs: number;
  convention: SimilarityConvention;
  parameters: Record<string, unknown>;
  /** Every pair's value, in pair order (NaN and Infinity print as null in JSON). */
  values: { a: string; b: string; value: number }[];
  per_pair: string | null;
}

const KEYS: Record<SimilarityMetric, 'ssim' | 'ms_ssim' | 'psnr'> = { ssim: 'ssim', 'ms-ssim': 'ms_ssim', psnr: 'psnr' };

const conventionOption = (choices: readonly SimilarityConvention[], help: string, expect?: string): OptionSpec => ({ key: 'convention', type: 'string', choices, default: choices[0], help, ...(expect ? { expect } : {}), valueName: '<c>' });
const sharedOptions: OptionSpec[] = [
  { key: 'perPair', type: 'string', output: true, help: 'write every pair and its value to a CSV file (a, b, value)', valueName: '<file.csv>' },
  maxPixelsOption,
];
const inputs = [
  { name: 'a', help: 'image file or folder' },
  { name: 'b', help: 'image file or folder (same relative paths as <a>)' },
];

/** Decodes the pairs one ahead of the computation, checks each, and summarises the values. */
async function runPairs(
  metric: SimilarityMetric,
  [a, b]: string[],
  o: ImageSimilarityOptions,
  reporter: Reporter,
  parameters: Record<string, unknown>,
  value: (x: DecodedImage, y: DecodedImage) => number,
): Promise<ImageSimilarityResult> {
  const pairs = pairInputs(a, b);
  const load = (p: number) => Promise.all([decodeImage(pairs[p].a, o), decodeImage(pairs[p].b, o)]);
  const values = new Float64Array(pairs.length);
  await withProgress(reporter, metric.toUpperCase(), 'pairs', async (bar) => {
    let next = load(0);
    for (let p = 0; p < pairs.length; p++) {
      const [x, y] = await next;
      if (p + 1 < pairs.length) {
        next = load(p + 1);
        next.catch(() => undefined); // awaited on the next turn
      }
      checkImagePair(x, y, metric, o.convention, o.gaussian, [pairs[p].a, pairs[p].b]);
      values[p] = value(x, y);
      bar.update(p + 1, pairs.length);
    }
  });
  const m = meanInterval(values);
  if (o.perPair) writeCsv(o.perPair, [['a', 'b', KEYS[metric]], ...pairs.map((p, i) => [p.a, p.b, values[i]])]);
  return {
    [KEYS[metric]]: m.mean,
    std: m.std,
    sem: m.sem,
    ci95: m.ci,
    pairs: pairs.length,
    convention: o.convention,
    parameters,
    values: pairs.map((p, i) => ({ a: p.a, b: p.b, value: values[i] })),
    per_pair: o.perPair ?? null,
  };
}

const count = (values: ImageSimilarityResult['values'], bad: (v: number) => boolean) => values.filter((v) => bad(v.value)).length;

export const ssimCommand = defineCommand<ImageSimilarityOptions, ImageSimilarityResult>({
  name: 'ssim',
  summary: "SSIM (Wang et al. 2004) between two images, or two folders paired by relative path: scikit-image's structural_similarity (uniform 7x7 window, or --gaussian) or torchmetrics'",
  example: 'ssim outputs/ targets/ --convention torchmetrics --per-pair ssim.csv --json',
  inputs,
  options: [
    conventionOption(['skimage', 'torchmetrics'], "skimage: scikit-image 0.19.3's defaults (7x7 uniform window, sample covariance, map cropped by 3 px); torchmetrics: its 11x11 Gaussian on reflect-padded images, full map"),
    { key: 'gaussian', type: 'boolean', default: false, help: "skimage only: gaussian_weights=True, sigma 1.5, use_sample_covariance=False (Wang et al.'s setting; map cropped by 5 px)" },
    ...sharedOptions,
  ],
  check(_inputs, o) {
    if (o.gaussian && o.convention === 'torchmetrics') throw new OptionError('gaussian', 'gaussian applies to the skimage convention: torchmetrics always uses its 11x11 Gaussian window');
  },
  run: (ab, o, reporter) =>
    runPairs('ssim', ab, o, reporter, SIMILARITY_PARAMETERS[o.convention === 'torchmetrics' ? 'torchmetrics' : o.gaussian ? 'skimageGaussian' : 'skimage'], (x, y) =>
      ssim(x, y, { convention: o.convention, gaussian: o.gaussian }),
    ),
});

export const msSsimCommand = defineCommand<ImageSimilarityOptions, ImageSimilarityResult>({
  name: 'ms-ssim',
  summary: "MS-SSIM (Wang et al. 2003) between two images, or two folders paired by relative path, as torchmetrics computes it (5 scales; images of at least 176 px a side)",
  example: 'ms-ssim outputs/ targets/ --per-pair ms-ssim.csv --json',
  inputs,
  options: [
    conventionOption(['torchmetrics'], 'only torchmetrics (scikit-image has no MS-SSIM)', 'torchmetrics (scikit-image has no MS-SSIM)'),
    {
      key: 'normalize',
      type: 'string',
      choices: ['relu', 'simple', 'none'],
      default: 'relu',
      help: "torchmetrics' normalize: relu (its default) clamps each scale's term at 0; simple uses (x + 1) / 2; none leaves a negative term, which makes the value NaN",
      valueName: '<n>',
    },
    ...sharedOptions,
  ],
  async run(ab, o, reporter) {
    const normalize = o.normalize ?? 'relu';
    const parameters = { ...SIMILARITY_PARAMETERS.torchmetrics, scales: MS_SSIM_BETAS.length, betas: [...MS_SSIM_BETAS], downsampling: 'avg_pool2d(2)', normalize };
    const r = await runPairs('ms-ssim', ab, o, reporter, parameters, (x, y) => msSsim(x, y, normalize).value);
    const nan = count(r.values, Number.isNaN);
    if (nan) reporter.warn(`${nan} of ${r.pairs} pairs have a negative term at some scale: their MS-SSIM is NaN (null in JSON), and so is the mean (normalize none; torchmetrics' default relu clamps such terms at 0)`);
    return r;
  },
});

export const psnrCommand = defineCommand<ImageSimilarityOptions, ImageSimilarityResult>({
  name: 'psnr',
  summary: "PSNR in dB (data range 255, MSE over all pixels and channels) between two images, or two folders paired by relative path, as scikit-image or torchmetrics computes it",
  example: 'psnr outputs/ targets/ --per-pair psnr.csv --json',
  inputs,
  options: [conventionOption(['skimage', 'torchmetrics'], 'skimage: 10 log10(255² / MSE) in float64; torchmetrics: its float32 ln 255 and 10 / ln 10 (about 5e-7 dB apart)'), ...sharedOptions],
  async run(ab, o, reporter) {
    const r = await runPairs('psnr', ab, o, reporter, { data_range: SIMILARITY_PARAMETERS.skimage.data_range, mse: 'all pixels and channels' }, (x, y) => psnr(x, y, o.convention));
    const same = count(r.values, (v) => v === Infinity);
    if (same) reporter.warn(`${same} of ${r.pairs} pairs are identical images: their PSNR is infinite (null in JSON), and so is the mean`);
    return r;
  },
});
