/**
 * Resizing float planar images (N x C x H x W) to size x size as torch-fidelity's LPIPS does before
 * its network (sample_similarity_lpips.py): `area` (adaptive average pooling) when both sides are
 * larger than the target, else `bilinear` with align_corners=False and no antialiasing.
 */

/** Source rows/columns and weights of torch's bilinear (align_corners=False) for one axis. */
function bilinearTaps(input: number, output: number): { i0: Int32Array; i1: Int32Array; l1: Float64Array } {
  const scale = input / output;
  const i0 = new Int32Array(output);
  const i1 = new Int32Array(output);
  const l1 = new Float64Array(output);
  for (let d = 0; d < output; d++) {
    const src = Math.max(scale * (d + 0.5) - 0.5, 0);
    const lo = Math.min(Math.floor(src), input - 1);
    i0[d] = lo;
    i1[d] = lo < input - 1 ? lo + 1 : lo;
    l1[d] = src - lo;
  }
  return { i0, i1, l1 };
}

function bilinear(src: Float32Array, planes: number, h: number, w: number, oh: number, ow: number): Float32Array {
  const out = new Float32Array(planes * oh * ow);
  const ty = bilinearTaps(h, oh);
  const tx = bilinearTaps(w, ow);
  for (let p = 0; p < planes; p++) {
    const s = p * h * w;
    const o = p * oh * ow;
    for (let y = 0; y < oh; y++) {
      const r0 = s + ty.i0[y] * w;
      const r1 = s + ty.i1[y] * w;
      const ly = ty.l1[y];
      for (let x = 0; x < ow; x++) {
        const lx = tx.l1[x];
        const a = (1 - lx) * src[r0 + tx.i0[x]] + lx * src[r0 + tx.i1[x]];
        const b = (1 - lx) * src[r1 + tx.i0[x]] + lx * src[r1 + tx.i1[x]];
        out[o + y * ow + x] = (1 - ly) * a + ly * b;
      }
    }
  }
  return out;
}

/** adaptive_avg_pool2d: output cell i averages input [floor(i H / oh), ceil((i + 1) H / oh)). */
function area(src: Float32Array, planes: number, h: number, w: number, oh: number, ow: number): Float32Array {
  const out = new Float32Array(planes * oh * ow);
  for (let p = 0; p < planes; p++) {
    const s = p * h * w;
    for (let y = 0; y < oh; y++) {
      const y0 = Math.floor((y * h) / oh);
      const y1 = Math.ceil(((y + 1) * h) / oh);
      for (let x = 0; x < ow; x++) {
        const x0 = Math.floor((x * w) / ow);
        const x1 = Math.ceil(((x + 1) * w) / ow);
        let sum = 0;
        for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) sum += src[s + yy * w + xx];
        out[p * oh * ow + y * ow + x] = sum / ((y1 - y0) * (x1 - x0));
      }
    }
  }
  return out;
}

/** n x c x h x w -> n x c x size x size (the input itself when it has that size already). */
export function resizeForLpips(src: Float32Array, n: number, c: number, h: number, w: number, size: number): Float32Array {
  if (h === size && w === size) return src;
  return h > size && w > size ? area(src, n * c, h, w, size, size) : bilinear(src, n * c, h, w, size, size);
}
