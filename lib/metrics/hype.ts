/**
 * HYPE, Human eYe Perceptual Evaluation (Zhou et al., NeurIPS 2019): people judge images one at a
 * time as real or fake.
 * - HYPE∞ (no time limit): the error rate over all answers, in %: fakes judged real plus reals
 *   judged fake, over every answer. Its 95% interval is a percentile bootstrap over raters (the
 *   unit the paper resamples): each resample draws the raters with replacement and pools their
 *   answers. Draws follow NumPy's legacy RandomState(seed).randint(0, R, size=(B, R)), so the
 *   interval can be checked exactly against NumPy.
 * - HYPE-time: each image is shown for a limited exposure, then masked; the exposure follows an
 *   adaptive staircase per rater (below), whose final exposure is the rater's perceptual threshold;
 *   the score is the mean threshold over raters, bootstrapped the same way.
 */
import { GenmetricsError } from '../errors';
import { LegacyRandomState } from '../random/mt19937';

export type Label = 'real' | 'fake';

export interface HypeAnswer {
  rater: string;
  truth: Label;
  answer: Label;
}

export interface Interval {
  score: number;
  ci95: [number, number];
  n_raters: number;
  n_answers: number;
}

export interface HypeInfinity {
  hype: Interval;
  /** % of the answers about fakes that said real. */
  fake_judged_real: number | null;
  /** % of the answers about reals that said fake. */
  real_judged_fake: number | null;
}

export const HYPE_RESAMPLES = 10_000;

/** np.percentile's default (linear) rule on sorted values. */
export function percentile(sorted: Float64Array, q: number): number {
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Percentile bootstrap over raters: `stat(counts)` gets, per rater index, how many times the
 * resample drew that rater; returns the 2.5th and 97.5th percentiles of the B statistics.
 */
export function bootstrapRaters(raters: number, stat: (times: Uint32Array) => number, resamples = HYPE_RESAMPLES, seed = 0): [number, number] {
  if (raters < 1) throw new GenmetricsError('the bootstrap needs at least one rater');
  const rng = new LegacyRandomState(seed);
  const values = new Float64Array(resamples);
  const times = new Uint32Array(raters);
  for (let b = 0; b < resamples; b++) {
    times.fill(0);
    for (let i = 0; i < raters; i++) times[rng.interval(raters - 1)]++;
    values[b] = stat(times);
  }
  values.sort();
  return [percentile(values, 2.5), percentile(values, 97.5)];
}

/** Raters in the order of their first answer, with their answer and error counts. */
function perRater(answers: readonly HypeAnswer[]): { ids: string[]; n: Float64Array; errors: Float64Array } {
  const index = new Map<string, number>();
  for (const a of answers) if (!index.has(a.rater)) index.set(a.rater, index.size);
  const n = new Float64Array(index.size);
  const errors = new Float64Array(index.size);
  for (const a of answers) {
    const r = index.get(a.rater)!;
    n[r]++;
    if (a.answer !== a.truth) errors[r]++;
  }
  return { ids: [...index.keys()], n, errors };
}

/** HYPE∞ of scored answers; null score when there are none. */
export function hypeInfinity(answers: readonly HypeAnswer[], o: { resamples?: number; seed?: number } = {}): HypeInfinity | null {
  if (answers.length === 0) return null;
  const { ids, n, errors } = perRater(answers);
  const pooled = (times: Uint32Array | null) => {
    let e = 0;
    let m = 0;
    for (let r = 0; r < ids.length; r++) {
      const w = times ? times[r] : 1;
      e += w * errors[r];
      m += w * n[r];
    }
    return (100 * e) / m;
  };
  const rate = (truth: Label) => {
    const of = answers.filter((a) => a.truth === truth);
    return of.length ? (100 * of.filter((a) => a.answer !== truth).length) / of.length : null;
  };
  return {
    hype: { score: pooled(null), ci95: bootstrapRaters(ids.length, pooled, o.resamples, o.seed), n_raters: ids.length, n_answers: answers.length },
    fake_judged_real: rate('fake'),
    real_judged_fake: rate('real'),
  };
}

/**
 * The HYPE-time staircase (the paper's rule): every rater starts at `startMs`; after `down`
 * consecutive correct answers the exposure shortens by `downMs`, after each wrong answer it
 * lengthens by `upMs` (and the run of correct answers restarts); it stays within [minMs, maxMs].
 * With down = 3 and a 1 : 3 step ratio it converges where the rater is right about 75% of the time.
 */
export interface StaircaseRule {
  startMs: number;
  minMs: number;
  maxMs: number;
  downMs: number;
  upMs: number;
  down: number;
}

export const HYPE_TIME_RULE: StaircaseRule = { startMs: 500, minMs: 100, maxMs: 1000, downMs: 10, upMs: 30, down: 3 };

export interface StaircaseState {
  exposureMs: number;
  streak: number;
}

export function staircaseStart(rule: StaircaseRule = HYPE_TIME_RULE): StaircaseState {
  return { exposureMs: rule.startMs, streak: 0 };
}

/** The state after one scored answer. */
export function staircaseStep(s: StaircaseState, correct: boolean, rule: StaircaseRule = HYPE_TIME_RULE): StaircaseState {
  if (!correct) return { exposureMs: Math.min(rule.maxMs, s.exposureMs + rule.upMs), streak: 0 };
  const streak = s.streak + 1;
  if (streak < rule.down) return { exposureMs: s.exposureMs, streak };
  return { exposureMs: Math.max(rule.minMs, s.exposureMs - rule.downMs), streak: 0 };
}

/** The exposure of each trial of a run of answers, and the final state (the threshold). */
export function staircase(correct: readonly boolean[], rule: StaircaseRule = HYPE_TIME_RULE): { exposures: number[]; final: StaircaseState } {
  let s = staircaseStart(rule);
  const exposures: number[] = [];
  for (const c of correct) {
    exposures.push(s.exposureMs);
    s = staircaseStep(s, c, rule);
  }
  return { exposures, final: s };
}

export function checkRule(rule: StaircaseRule): void {
  for (const [k, v] of Object.entries(rule)) {
    if (!Number.isInteger(v) || v < 1) throw new GenmetricsError(`staircase.${k}: expected a positive integer, got ${v}`);
  }
  if (!(rule.minMs <= rule.startMs && rule.startMs <= rule.maxMs)) {
    throw new GenmetricsError(`staircase: expected minMs <= startMs <= maxMs, got ${rule.minMs}, ${rule.startMs}, ${rule.maxMs}`);
  }
}

/** HYPE-time: the mean of the raters' thresholds (ms), bootstrapped over raters. */
export function hypeTime(thresholds: readonly number[], answers: number, o: { resamples?: number; seed?: number } = {}): Interval | null {
  if (thresholds.length === 0) return null;
  const mean = (times: Uint32Array | null) => {
    let s = 0;
    let m = 0;
    thresholds.forEach((t, r) => {
      const w = times ? times[r] : 1;
      s += w * t;
      m += w;
    });
    return s / m;
  };
  return { score: mean(null), ci95: bootstrapRaters(thresholds.length, mean, o.resamples, o.seed), n_raters: thresholds.length, n_answers: answers };
}
