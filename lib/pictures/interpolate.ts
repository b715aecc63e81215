/**
 * Paths between latent codes, as torch-fidelity interpolates them (noise.py): lerp a + (b - a) t,
 * and slerp (Shoemake 1985) on the codes' directions with their norms interpolated as lerp does,
 * falling back to lerp when a code is ~0 or the two are (anti)parallel.
 */
const EPS = 1e-7;

export type Interpolation = 'lerp' | 'slerp';

function norm(v: Float32Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

/** lerp(a, b, t) in float32 exactly as a + (b - a) * t on float32 tensors (t rounded to float32 as torch does). */
export function lerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  const t32 = Math.fround(t);
  return Float32Array.from(a, (x, i) => Math.fround(x + Math.fround(Math.fround(b[i] - x) * t32)));
}

/**
 * torch-fidelity's slerp_any: omega = acos(<a/|a|, b/|b|>), out = sin((1 - t) omega) / sin(omega) a +
 * sin(t omega) / sin(omega) b (norms and sin clamped below at 1e-7), lerp where a code is ~0 or
 * |cos omega| > 1 - 1e-7. Computed in float64, rounded to float32 at the end.
 */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  const na = Math.max(norm(a), EPS);
  const nb = Math.max(norm(b), EPS);
  let d = 0;
  for (let i = 0; i < a.length; i++) d += (a[i] / na) * (b[i] / nb);
  // As torch-fidelity tests it: the normalised code's norm below eps (a code of norm below eps^2).
  const zero = norm(a) / na < EPS || norm(b) / nb < EPS;
  if (zero || Math.abs(d) > 1 - EPS) return lerp(a, b, t);
  const omega = Math.acos(d);
  const denom = Math.max(Math.sin(omega), EPS);
  const ca = Math.sin((1 - t) * omega) / denom;
  const cb = Math.sin(t * omega) / denom;
  return Float32Array.from(a, (x, i) => Math.fround(ca * x + cb * b[i]));
}

export function interpolate(kind: Interpolation, a: Float32Array, b: Float32Array, t: number): Float32Array {
  return kind === 'slerp' ? slerp(a, b, t) : lerp(a, b, t);
}

/** `steps` evenly spaced t in [0, 1], ends included. */
export function steps(n: number): number[] {
  return n === 1 ? [0] : Array.from({ length: n }, (_, k) => k / (n - 1));
}
