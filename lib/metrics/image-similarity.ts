/**
 * SSIM (Wang et al. 2004), MS-SSIM (Wang et al. 2003) and PSNR between two RGB images of one size,
 * in scikit-image 0.19.3's or torchmetrics' (commit dab0333) conventions, on 8-bit samples
 * (data_range 255) in float64. Pure: decoded images in, numbers out. Channels are processed one at
 * a time and the local statistics stream through a ring of window rows, so memory stays near two
 * float64 planes per image pair.
 */
import { GenmetricsError } from '../errors';
import type { DecodedImage } from '../images/preprocess';

export type SimilarityConvention = 'skimage' | 'torchmetrics';
/** torchmetrics' MS-SSIM `normalize`: relu (its default) clamps each scale's term at 0, simple maps it to (x + 1) / 2. */
export type MsSsimNormalize = 'relu' | 'simple' | 'none';

export const DATA_RANGE = 255;
const K1 = 0.01;
const K2 = 0.03;
const C1 = (K1 * DATA_RANGE) ** 2;
const C2 = (K2 * DATA_RANGE) ** 2;
/** Wang et al. 2003's scale weights, as torchmetrics' default `betas`. */
export const MS_SSIM_BETAS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333] as const;

/** How the local means, variances and covariance are taken. */
interface Window {
  /** Normalised 1-D kernel, odd length, applied along rows and columns (the 2-D window is its outer product). */
  kernel: Float64Array;
  /**
   * torchmetrics pads by the radius with torch's reflect (edge not repeated: c b | a b c). skimage
   * filters with scipy's reflect (edge repeated) but crops the map by the radius, so only the
   * valid region counts and its border mode never reaches the mean: pad 0 here.
   */
  pad: number;
  /** N/(N-1): skimage's sample covariance (use_sample_covariance); 1 otherwise. */
  covNorm: number;
  /** torchmetrics clamps the variances at 0. */
  clamp: boolean;
}

function gaussianKernel(sigma: number, radius: number): Float64Array {
  const k = Float64Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-0.5 * ((i - radius) / sigma) ** 2));
  const sum = k.reduce((s, v) => s + v, 0);
  return k.map((v) => v / sum);
}

// Gaussian sigma 1.5: radius int(3.5 * 1.5 + 0.5) = 5, 11 taps (scipy's truncate 3.5; torchmetrics' size rule).
const SIGMA = 1.5;
const RADIUS = 5;
const WINDOWS = {
  uniform7: { kernel: new Float64Array(7).fill(1 / 7), pad: 0, covNorm: 49 / 48, clamp: false },
  gaussian: { kernel: gaussianKernel(SIGMA, RADIUS), pad: 0, covNorm: 1, clamp: false },
  torchmetrics: { kernel: gaussianKernel(SIGMA, RADIUS), pad: RADIUS, covNorm: 1, clamp: true },
} satisfies Record<string, Window>;

/** The parameters each convention uses, as reported with the results. */
export const SIMILARITY_PARAMETERS = {
  skimage: { window: 'uniform', size: 7, sample_covariance: true, border: 'map cropped by 3 px', k1: K1, k2: K2, data_range: DATA_RANGE },
  skimageGaussian: { window: 'gaussian', size: 11, sigma: SIGMA, truncate: 3.5, sample_covariance: false, border: 'map cropped by 5 px', k1: K1, k2: K2, data_range: DATA_RANGE },
  torchmetrics: { window: 'gaussian', size: 11, sigma: SIGMA, sample_covariance: false, border: "padded by 5 px (torch reflect), full map averaged", k1: K1, k2: K2, data_range: DATA_RANGE },
} as const;

/** Torch's reflect padding of n samples by p as an index map (-1 -> 1, n -> n - 2); p = 0 is the identity. */
function reflectIndex(n: number, p: number): Int32Array {
  const idx = new Int32Array(n + 2 * p);
  for (let q = 0; q < idx.length; q++) {
    const s = q - p;
    idx[q] = s < 0 ? -s : s >= n ? 2 * (n - 1) - s : s;
  }
  return idx;
}

interface Sums {
  ssim: number;
  ssimCount: number;
  cs: number;
  csCount: number;
}

/**
 * Sums of the SSIM map and of the contrast-structure map (Wang et al. 2004, eq. 13 and 2003, eq. 3;
 * torchmetrics' `upper / lower`) of one channel, the latter `csCrop` px in from each side.
 */
function windowSums(x: Float64Array, y: Float64Array, w: number, h: number, win: Window, csCrop: number): Sums {
  const k = win.kernel;
  const K = k.length;
  const rows = reflectIndex(h, win.pad);
  const cols = reflectIndex(w, win.pad);
  const ow = cols.length - K + 1;
  const oh = rows.length - K + 1;
  // The horizontal pass of the last K padded rows, five moments each: x, y, x², y², xy.
  const ring = new Float64Array(5 * K * ow);
  const slots = new Int32Array(K);
  const out: Sums = { ssim: 0, ssimCount: ow * oh, cs: 0, csCount: Math.max(0, ow - 2 * csCrop) * Math.max(0, oh - 2 * csCrop) };
  for (let r = 0; r < rows.length; r++) {
    const src = rows[r] * w;
    const slot = (r % K) * 5 * ow;
    for (let j = 0; j < ow; j++) {
      let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
      for (let t = 0; t < K; t++) {
        const i = src + cols[j + t];
        const a = x[i], b = y[i], kt = k[t];
        sx += kt * a;
        sy += kt * b;
        sxx += kt * a * a;
        syy += kt * b * b;
        sxy += kt * a * b;
      }
      ring[slot + j] = sx;
      ring[slot + ow + j] = sy;
      ring[slot + 2 * ow + j] = sxx;
      ring[slot + 3 * ow + j] = syy;
      ring[slot + 4 * ow + j] = sxy;
    }
    const i = r - K + 1; // the output row now complete
    if (i < 0) continue;
    const inCsRows = i >= csCrop && i < oh - csCrop;
    for (let t = 0; t < K; t++) slots[t] = ((i + t) % K) * 5 * ow;
    for (let j = 0; j < ow; j++) {
      let mx = 0, my = 0, mxx = 0, myy = 0, mxy = 0;
      for (let t = 0; t < K; t++) {
        const s = slots[t] + j;
        const kt = k[t];
        mx += kt * ring[s];
        my += kt * ring[s + ow];
        mxx += kt * ring[s + 2 * ow];
        myy += kt * ring[s + 3 * ow];
        mxy += kt * ring[s + 4 * ow];
      }
      const mx2 = mx * mx, my2 = my * my, mxmy = mx * my;
      let vx = win.covNorm * (mxx - mx2);
      let vy = win.covNorm * (myy - my2);
      const vxy = win.covNorm * (mxy - mxmy);
      if (win.clamp) {
        vx = Math.max(vx, 0);
        vy = Math.max(vy, 0);
      }
      const upper = 2 * vxy + C2;
      const lower = vx + vy + C2;
      out.ssim += ((2 * mxmy + C1) * upper) / ((mx2 + my2 + C1) * lower);
      if (inCsRows && j >= csCrop && j < ow - csCrop) out.cs += upper / lower;
    }
  }
  return out;
}

/** Channel c of an image as RGB (PIL's convert('RGB'): gray replicated, alpha dropped), float64. */
function channelPlane(img: DecodedImage, c: number): Float64Array {
  const { data, channels } = img;
  const n = img.width * img.height;
  if (![1, 2, 3, 4].includes(channels) || data.length !== n * channels) {
    throw new GenmetricsError(`image of ${img.width}x${img.height} pixels with ${channels} channels: expected ${n * channels} samples, got ${data.length}`);
  }
  const src = channels < 3 ? 0 : c;
  const out = new Float64Array(n);
  for (let p = 0; p < n; p++) out[p] = data[p * channels + src];
  return out;
}

export type SimilarityMetric = 'ssim' | 'ms-ssim' | 'psnr';
const LABELS: Record<SimilarityMetric, string> = { ssim: 'SSIM', 'ms-ssim': 'MS-SSIM', psnr: 'PSNR' };

/**
 * torchmetrics' MS-SSIM guard for 5 scales and an 11 px window: side >= 2^5 and side // 16 > 10
 * (four halvings must leave more than a window), so at least 176 px.
 */
export const MS_SSIM_MIN_SIDE = (() => {
  let s = 2 ** MS_SSIM_BETAS.length;
  while (Math.floor(s / (MS_SSIM_BETAS.length - 1) ** 2) <= 2 * RADIUS) s++;
  return s;
})();

/** The smallest side each metric takes, and why (its reference refuses smaller images). */
function minimumSide(metric: SimilarityMetric, convention: SimilarityConvention, gaussian: boolean): [number, string] {
  if (metric === 'psnr') return [1, ''];
  if (metric === 'ms-ssim') return [MS_SSIM_MIN_SIDE, `torchmetrics requires side // 16 > 10 for 5 scales and an 11 px window`];
  if (convention === 'torchmetrics') return [RADIUS + 1, `torchmetrics pads by ${RADIUS} px with reflect, which needs ${RADIUS + 1}`];
  return gaussian ? [2 * RADIUS + 1, "skimage's 11 x 11 Gaussian window"] : [7, "skimage's 7 x 7 window"];
}

/**
 * Refuses a pair the reference would refuse: two sizes (nothing is resized here), or images
 * smaller than the metric's window (MS-SSIM: smaller than its five scales need).
 */
export function checkImagePair(a: DecodedImage, b: DecodedImage, metric: SimilarityMetric, convention: SimilarityConvention, gaussian = false, names: [string, string] = ['the first image', 'the second image']): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new GenmetricsError(`${names[0]} is ${a.width}x${a.height} but ${names[1]} is ${b.width}x${b.height}: ${LABELS[metric]} compares images of one size, and nothing is resized`);
  }
  const [min, why] = minimumSide(metric, convention, gaussian);
  if (a.width < min || a.height < min) {
    throw new GenmetricsError(`${names[0]} and ${names[1]} are ${a.width}x${a.height}: ${LABELS[metric]} (${convention}) needs at least ${min} px on each side (${why})`);
  }
}

export interface SsimOptions {
  convention: SimilarityConvention;
  /** skimage only: gaussian_weights=True, sigma 1.5, use_sample_covariance=False (Wang et al.'s setting). */
  gaussian?: boolean;
}

/**
 * Mean SSIM of two same-size images. skimage: the mean over the map cropped by the window's radius,
 * per channel, then over channels. torchmetrics: the mean over every channel and pixel of the
 * full map of the reflect-padded images.
 */
export function ssim(a: DecodedImage, b: DecodedImage, options: SsimOptions): number {
  checkImagePair(a, b, 'ssim', options.convention, options.gaussian);
  const { width: w, height: h } = a;
  if (options.convention === 'skimage') {
    const win = options.gaussian ? WINDOWS.gaussian : WINDOWS.uniform7;
    let sum = 0;
    for (let c = 0; c < 3; c++) {
      const s = windowSums(channelPlane(a, c), channelPlane(b, c), w, h, win, 0);
      sum += s.ssim / s.ssimCount;
    }
    return sum / 3;
  }
  let sum = 0;
  let count = 0;
  for (let c = 0; c < 3; c++) {
    const s = windowSums(channelPlane(a, c), channelPlane(b, c), w, h, WINDOWS.torchmetrics, 0);
    sum += s.ssim;
    count += s.ssimCount;
  }
  return sum / count;
}

/** torch's avg_pool2d(2): the mean of each 2 x 2 block, a trailing odd row or column dropped. */
function halve(x: Float64Array, w: number, h: number): Float64Array {
  const w2 = w >> 1;
  const h2 = h >> 1;
  const out = new Float64Array(w2 * h2);
  for (let i = 0; i < h2; i++) {
    for (let j = 0; j < w2; j++) {
      const p = 2 * i * w + 2 * j;
      out[i * w2 + j] = (x[p] + x[p + 1] + x[p + w] + x[p + w + 1]) / 4;
    }
  }
  return out;
}

export interface MsSsimResult {
  value: number;
  /** Contrast-structure term of each scale (cropped by 5 px), after normalize. */
  cs: number[];
  /** SSIM of each scale (full map), after normalize; the last is the luminance-bearing factor. */
  sim: number[];
}

/**
 * torchmetrics' MS-SSIM (Wang et al. 2003): Π_s cs_s^β_s over the first four scales times
 * ssim_5^β_5, the images halved between scales; a negative term to a fractional power is NaN
 * (normalize none).
 */
export function msSsim(a: DecodedImage, b: DecodedImage, normalize: MsSsimNormalize = 'relu'): MsSsimResult {
  checkImagePair(a, b, 'ms-ssim', 'torchmetrics');
  const S = MS_SSIM_BETAS.length;
  const sums = Array.from({ length: S }, () => ({ ssim: 0, ssimCount: 0, cs: 0, csCount: 0 }));
  for (let c = 0; c < 3; c++) {
    let x = channelPlane(a, c);
    let y = channelPlane(b, c);
    let w = a.width;
    let h = a.height;
    for (let s = 0; s < S; s++) {
      const r = windowSums(x, y, w, h, WINDOWS.torchmetrics, RADIUS);
      sums[s].ssim += r.ssim;
      sums[s].ssimCount += r.ssimCount;
      sums[s].cs += r.cs;
      sums[s].csCount += r.csCount;
      if (s < S - 1) {
        x = halve(x, w, h);
        y = halve(y, w, h);
        w >>= 1;
        h >>= 1;
      }
    }
  }
  const norm = (v: number) => (normalize === 'relu' ? Math.max(v, 0) : normalize === 'simple' ? (v + 1) / 2 : v);
  const sim = sums.map((t) => norm(t.ssim / t.ssimCount));
  const cs = sums.map((t) => norm(t.cs / t.csCount));
  let value = 1;
  // torch.tensor(betas) is float32: the exponents are the float32 roundings of the betas.
  for (let s = 0; s < S; s++) value *= Math.pow(s < S - 1 ? cs[s] : sim[s], Math.fround(MS_SSIM_BETAS[s]));
  return { value, cs, sim };
}

/**
 * PSNR in dB from the MSE over all pixels and channels. skimage: 10 log10(255² / MSE).
 * torchmetrics: (2 ln 255 - ln MSE) · 10 / ln 10 with ln 255 and 10 / ln 10 taken in float32
 * (its data_range and base are float32 tensors). Identical images give +Infinity in both.
 */
export function psnr(a: DecodedImage, b: DecodedImage, convention: SimilarityConvention): number {
  checkImagePair(a, b, 'psnr', convention);
  let sse = 0;
  for (let c = 0; c < 3; c++) {
    const x = channelPlane(a, c);
    const y = channelPlane(b, c);
    for (let i = 0; i < x.length; i++) sse += (x[i] - y[i]) ** 2;
  }
  const mse = sse / (3 * a.width * a.height);
  if (convention === 'skimage') return 10 * Math.log10((DATA_RANGE * DATA_RANGE) / mse);
  const f32 = Math.fround;
  return (2 * f32(Math.log(DATA_RANGE)) - Math.log(mse)) * f32(10 / f32(Math.log(10)));
}
