import { GenmetricsError } from '../errors';
import { LegacyRandomState } from './mt19937';

/** Unordered pairs (i, j), i < j, of items [0, n): pair p is (first[p], second[p]). */
export interface Pairs {
  first: Uint32Array;
  second: Uint32Array;
  /** All n(n-1)/2 pairs were taken (fewer than were asked for exist). */
  all: boolean;
}

/** The number of unordered pairs of n items. */
export function pairCount(n: number): number {
  return (n * (n - 1)) / 2;
}

/** Pair number k in the order (0,1), (0,2), ..., (0,n-1), (1,2), ... */
function pairAt(k: number, n: number): [number, number] {
  // Row i starts at s(i) = i(2n - i - 1)/2; find the largest i with s(i) <= k.
  let i = Math.floor((2 * n - 1 - Math.sqrt((2 * n - 1) ** 2 - 8 * k)) / 2);
  const start = (r: number) => (r * (2 * n - r - 1)) / 2;
  while (i > 0 && start(i) > k) i--;
  while (start(i + 1) <= k) i++;
  return [i, i + 1 + k - start(i)];
}

/**
 * `count` distinct unordered pairs of distinct items of [0, n), drawn uniformly without
 * replacement with NumPy's legacy MT19937 stream seeded by `seed`; in drawing order. A pair is
 * drawn as i uniform in [0, n), j uniform among the other n - 1, redrawn when already taken; when
 * more than half of all pairs are wanted, a seeded permutation of all pairs is cut instead. Asking
 * for at least n(n-1)/2 pairs gives all of them (all: true). Depends on (n, count, seed) only.
 */
export function randomPairs(n: number, count: number, seed: number): Pairs {
  if (!Number.isInteger(n) || n < 2) throw new GenmetricsError(`pairs need at least 2 items, got ${n}`);
  if (!Number.isInteger(count) || count < 1) throw new GenmetricsError(`the number of pairs must be a positive integer, got ${count}`);
  const total = pairCount(n);
  const rng = new LegacyRandomState(seed);
  const take = Math.min(count, total);
  const first = new Uint32Array(take);
  const second = new Uint32Array(take);
  if (take * 2 > total) {
    if (total > 2 ** 32 - 1) throw new GenmetricsError(`too many pairs to enumerate (${total})`);
    const order = take === total ? null : rng.permutation(total);
    for (let p = 0; p < take; p++) [first[p], second[p]] = pairAt(order ? order[p] : p, n);
    return { first, second, all: take === total };
  }
  const seen = new Set<number>();
  for (let p = 0; p < take; ) {
    const i = rng.interval(n - 1);
    let j = rng.interval(n - 2);
    if (j >= i) j++;
    const lo = Math.min(i, j);
    const hi = Math.max(i, j);
    const key = lo * n + hi;
    if (seen.has(key)) continue;
    seen.add(key);
    first[p] = lo;
    second[p] = hi;
    p++;
  }
  return { first, second, all: false };
}
