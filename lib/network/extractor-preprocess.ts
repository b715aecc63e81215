/**
 * The image preprocessing of the ViT extractors, as their reference code runs it on a PIL image:
 * RGB (gray replicated, alpha dropped), optionally the centre square cropped (CMMD's
 * `_center_crop_and_resize`: box ((w-l)//2, (h-l)//2, +l, +l), l = min(w, h)), PIL's `resize` to
 * size x size on the uint8 image (Pillow's two-pass fixed-point resampling, antialiased when
 * shrinking), then float32 planes ((x / 255 - mean) / std, each step rounded to float32 as
 * NumPy/PyTorch/JAX do in float32).
 *
 * The resampling is Pillow's libImaging/Resample.c for 8-bit images: per axis, coefficients of the
 * filter scaled by max(in/out, 1) around centre (i + 0.5) in/out, normalised to sum 1 in double,
 * then rounded to 22-bit fixed point (PRECISION_BITS = 32 - 8 - 2); each output sample is
 * clip8((2^21 + sum v k) >> 22); the horizontal pass (rows the vertical pass uses) runs first and
 * is stored as uint8, then the vertical pass; an axis whose size does not change is not resampled.
 */
import { GenmetricsError } from '../errors';
import type { DecodedImage } from '../images/preprocess';

export type PilFilter = 'bicubic' | 'bilinear' | 'lanczos';
export const PIL_FILTERS: readonly PilFilter[] = ['bicubic', 'bilinear', 'lanczos'];

/** Value range before mean/std: x/255 (ToTensor, CLIP), x/127.5 - 1, or x. */
export type PixelRange = '0,1' | '-1,1' | '0,255';
export const PIXEL_RANGES: readonly PixelRange[] = ['0,1', '-1,1', '0,255'];

export interface ImagePreprocessing {
  /** Network input side (square). */
  size: number;
  /** 'center': the centre square is cropped before resizing (CMMD); 'none': resized to size x size as it is (dgm-eval). */
  crop: 'center' | 'none';
  filter: PilFilter;
  range: PixelRange;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

const PRECISION_BITS = 22;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

// Pillow's filters (a = -0.5 for bicubic) and their supports.
const FILTERS: Record<PilFilter, { support: number; f: (x: number) => number }> = {
  bicubic: {
    support: 2,
    f: (x) => {
      const a = -0.5;
      if (x < 0) x = -x;
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  bilinear: {
    support: 1,
    f: (x) => {
      if (x < 0) x = -x;
      return x < 1 ? 1 - x : 0;
    },
  },
  lanczos: { support: 3, f: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

interface Coefficients {
  ksize: number;
  /** Per output sample: first input index and tap count. */
  xmin: Int32Array;
  xcount: Int32Array;
  /** outSize x ksize fixed-point weights. */
  k: Int32Array;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for one axis (box 0..inSize). */
function coefficients(inSize: number, outSize: number, filter: PilFilter): Coefficients {
  const { support: base, f } = FILTERS[filter];
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = base * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const xmin = new Int32Array(outSize);
  const xcount = new Int32Array(outSize);
  const k = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    const n = hi - lo;
    let ww = 0;
    for (let x = 0; x < n; x++) {
      w[x] = f((x + lo - center + 0.5) * ss);
      ww += w[x];
    }
    for (let x = 0; x < n; x++) {
      const v = ww !== 0 ? w[x] / ww : w[x];
      // (int)(±0.5 + v * 2^22): C truncates toward zero.
      k[xx * ksize + x] = Math.trunc(v < 0 ? -0.5 + v * ONE : 0.5 + v * ONE);
    }
    xmin[xx] = lo;
    xcount[xx] = n;
  }
  return { ksize, xmin, xcount, k };
}

function clip8(ss: number): number {
  const v = Math.floor(ss / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** An RGB uint8 image (3 interleaved channels). */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** PIL's convert("RGB") of a decoded image: gray replicated, alpha dropped. */
export function toRgb(img: DecodedImage): RgbImage {
  const { width: w, height: h, channels: c, data } = img;
  if (![1, 2, 3, 4].includes(c) || data.length !== w * h * c) {
    throw new GenmetricsError(`image of ${w}x${h} pixels with ${c} channels: expected ${w * h * c} samples, got ${data.length}`);
  }
  if (c === 3) return { data, width: w, height: h };
  const out = new Uint8Array(w * h * 3);
  for (let p = 0; p < w * h; p++) {
    const s = p * c;
    if (c < 3) out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = data[s];
    else {
      out[3 * p] = data[s];
      out[3 * p + 1] = data[s + 1];
      out[3 * p + 2] = data[s + 2];
    }
  }
  return { data: out, width: w, height: h };
}

/** PIL's `im.crop(((w-l)//2, (h-l)//2, (w-l)//2 + l, (h-l)//2 + l))`, l = min(w, h). */
export function centerCropSquare(img: RgbImage): RgbImage {
  const l = Math.min(img.width, img.height);
  if (l === img.width && l === img.height) return img;
  const top = Math.floor((img.height - l) / 2);
  const left = Math.floor((img.width - l) / 2);
  const out = new Uint8Array(l * l * 3);
  for (let y = 0; y < l; y++) out.set(img.data.subarray(((top + y) * img.width + left) * 3, ((top + y) * img.width + left + l) * 3), y * l * 3);
  return { data: out, width: l, height: l };
}

/** PIL's `Image.resize((width, height), filter)` of an RGB image (8 bits per channel). */
export function pilResize(img: RgbImage, width: number, height: number, filter: PilFilter): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new GenmetricsError(`resize to ${width}x${height}: expected positive integer sides`);
  }
  let cur = img;
  const needH = width !== img.width;
  const needV = height !== img.height;
  const kv = coefficients(img.height, height, filter);
  if (needH) {
    // Only the rows the vertical pass reads (Pillow's ybox_first..ybox_last).
    const first = needV ? kv.xmin[0] : 0;
    const last = needV ? kv.xmin[height - 1] + kv.xcount[height - 1] : img.height;
    const kh = coefficients(img.width, width, filter);
    const rows = last - first;
    const out = new Uint8Array(width * rows * 3);
    const src = img.data;
    for (let y = 0; y < rows; y++) {
      const row = (y + first) * img.width * 3;
      for (let x = 0; x < width; x++) {
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        const lo = kh.xmin[x];
        const n = kh.xcount[x];
        const kb = x * kh.ksize;
        for (let t = 0; t < n; t++) {
          const kk = kh.k[kb + t];
          const p = row + (lo + t) * 3;
          s0 += src[p] * kk;
          s1 += src[p + 1] * kk;
          s2 += src[p + 2] * kk;
        }
        const o = (y * width + x) * 3;
        out[o] = clip8(s0);
        out[o + 1] = clip8(s1);
        out[o + 2] = clip8(s2);
      }
    }
    cur = { data: out, width, height: rows };
    if (needV) for (let i = 0; i < height; i++) kv.xmin[i] -= first;
  }
  if (!needV) return needH ? cur : { data: img.data.slice(), width: img.width, height: img.height };
  const out = new Uint8Array(width * height * 3);
  const src = cur.data;
  const stride = cur.width * 3;
  for (let y = 0; y < height; y++) {
    const lo = kv.xmin[y];
    const n = kv.xcount[y];
    const kb = y * kv.ksize;
    for (let x = 0; x < width; x++) {
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (let t = 0; t < n; t++) {
        const kk = kv.k[kb + t];
        const p = (lo + t) * stride + x * 3;
        s0 += src[p] * kk;
        s1 += src[p + 1] * kk;
        s2 += src[p + 2] * kk;
      }
      const o = (y * width + x) * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return { data: out, width, height };
}

/**
 * One image as the network takes it: 3 x size x size float32 planes written at `offset` of `out`.
 * Each step is one float32 operation, as the references compute them: x / 255 (ToTensor's
 * div(255); CMMD's float32 array / 255.0), then (x - mean) / std with float32 mean and std.
 */
export function preprocessForExtractor(img: DecodedImage, p: ImagePreprocessing, out: Float32Array, offset = 0): void {
  let rgb = toRgb(img);
  if (p.crop === 'center') rgb = centerCropSquare(rgb);
  const r = pilResize(rgb, p.size, p.size, p.filter);
  const f = Math.fround;
  const plane = p.size * p.size;
  for (let c = 0; c < 3; c++) {
    const mean = f(p.mean[c]);
    const std = f(p.std[c]);
    const o = offset + c * plane;
    for (let i = 0; i < plane; i++) {
      const v = r.data[i * 3 + c];
      const x = p.range === '0,1' ? f(v / 255) : p.range === '-1,1' ? f(f(v / 127.5) - 1) : v;
      out[o + i] = f(f(x - mean) / std);
    }
  }
}
