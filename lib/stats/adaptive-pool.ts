/** Max over PyTorch's adaptive bins of each channel: n x c x h x w -> n x c x p x p. */
export function adaptiveMaxPool(a: Float32Array, n: number, c: number, h: number, w: number, p: number): Float32Array {
  const out = new Float32Array(n * c * p * p);
  const bin = (i: number, size: number): [number, number] => [Math.floor((i * size) / p), Math.ceil(((i + 1) * size) / p)];
  for (let q = 0; q < n * c; q++) {
    const plane = a.subarray(q * h * w, (q + 1) * h * w);
    for (let i = 0; i < p; i++) {
      const [r0, r1] = bin(i, h);
      for (let j = 0; j < p; j++) {
        const [c0, c1] = bin(j, w);
        let m = -Infinity;
        for (let r = r0; r < r1; r++) for (let s = c0; s < c1; s++) m = Math.max(m, plane[r * w + s]);
        out[q * p * p + i * p + j] = m;
      }
    }
  }
  return out;
}
