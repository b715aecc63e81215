/**
 * NumPy's legacy `np.random.RandomState(seed)` stream (MT19937, Matsumoto & Nishimura 1998), so
 * that a seed means here what it means in torch-fidelity (IS shuffling, KID subsets):
 * `new LegacyRandomState(2020).permutation(n)` equals `np.random.RandomState(2020).permutation(n)`.
 */
import { GenmetricsError } from '../errors';

const N = 624;
const M = 397;

export class LegacyRandomState {
  private readonly mt = new Uint32Array(N);
  /** The tempered outputs of the current state, made 624 at a time by twist(). */
  private readonly out = new Uint32Array(N);
  private pos = N;

  /** An integer seed in [0, 2^32), seeded like RandomState's `init_genrand`. */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new GenmetricsError(`seed must be an integer between 0 and 2**32 - 1, got ${seed}`);
    }
    let s = seed >>> 0;
    for (let i = 0; i < N; i++) {
      this.mt[i] = s;
      s = (Math.imul(1812433253, s ^ (s >>> 30)) + i + 1) >>> 0;
    }
  }

  /** The next 32-bit output (tempered). */
  nextUint32(): number {
    if (this.pos >= N) this.twist();
    return this.out[this.pos++];
  }

  /** Uniform integer in [0, max] by masked rejection (NumPy's legacy `random_interval`), max < 2^32. */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let v: number;
    do v = (this.nextUint32() & mask) >>> 0;
    while (v > max);
    return v;
  }

  /** `RandomState.permutation(n)`: arange(n) shuffled by Fisher–Yates from the end. */
  permutation(n: number): Uint32Array {
    const a = new Uint32Array(n);
    for (let i = 0; i < n; i++) a[i] = i;
    // interval(i) for i = n - 1 .. 1, its mask (the smallest 2^b - 1 >= i) narrowed as i falls.
    let mask = 0xffffffff;
    for (let i = n - 1; i > 0; i--) {
      while (mask >>> 1 >= i) mask >>>= 1;
      let j: number;
      do j = (this.nextUint32() & mask) >>> 0;
      while (j > i);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /**
   * `RandomState.choice(n, size, replace=False)` without weights: legacy NumPy takes the first
   * `size` entries of `permutation(n)`, so it draws n - 1 numbers whatever `size` is.
   */
  choice(n: number, size: number): Uint32Array {
    if (!Number.isInteger(size) || size < 0 || size > n) {
      throw new GenmetricsError(`cannot take a sample of ${size} from ${n} without replacement`);
    }
    return this.permutation(n).subarray(0, size);
  }

  /** `RandomState.random_sample()`: a double in [0, 1) from two outputs (53 bits). */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** `RandomState.standard_normal()`: the polar Box–Muller method, the second value kept for the next call. */
  standardNormal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2 * this.random() - 1;
      x2 = 2 * this.random() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * Math.log(r2)) / r2);
    this.spare = f * x1;
    return f * x2;
  }

  private spare: number | undefined;

  private twist(): void {
    // The recurrence over the 624 words, in three runs so that no index needs a modulo.
    const mt = this.mt;
    const next = (k: number, k1: number, km: number) => {
      const y = (mt[k] & 0x80000000) | (mt[k1] & 0x7fffffff);
      mt[k] = mt[km] ^ (y >>> 1) ^ (-(y & 1) & 0x9908b0df);
    };
    let k = 0;
    for (; k < N - M; k++) next(k, k + 1, k + M);
    for (; k < N - 1; k++) next(k, k + 1, k + M - N);
    next(N - 1, 0, M - 1);
    const out = this.out;
    for (let i = 0; i < N; i++) {
      let y = mt[i];
      y ^= y >>> 11;
      y ^= (y << 7) & 0x9d2c5680;
      y ^= (y << 15) & 0xefc60000;
      y ^= y >>> 18;
      out[i] = y;
    }
    this.pos = 0;
  }
}
