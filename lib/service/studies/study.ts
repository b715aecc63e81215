/**
 * A HYPE study: the request checked, the images drawn once (seeded), each rater's own order, and
 * the results computed from the stored answers (lib/metrics/hype.ts).
 */
import { randomBytes } from 'crypto';
import { GenmetricsError } from '../../errors';
import { checkRule, HYPE_TIME_RULE, hypeInfinity, hypeTime, staircase, type Interval, type StaircaseRule } from '../../metrics/hype';
import { LegacyRandomState } from '../../random/mt19937';
import { HttpError } from '../http-error';
import type { DatasetRow } from '../store';
import type { StudyImageRow, StudyMode, StudyRow, StudyStore } from './store';

export interface StudyRequest {
  real: string;
  fake: string;
  images?: number;
  mode?: StudyMode;
  raters?: number;
  tutorial?: number;
  seed?: number;
  fake_fraction?: number;
  staircase?: Partial<StaircaseRule>;
}

/** The defaults, written once (the route's schema and the docs read them). */
export const STUDY_DEFAULTS = { images: 50, mode: 'infinity' as StudyMode, raters: 30, tutorial: 10, seed: 0, fake_fraction: 0.5 };
export const STUDY_LIMITS = { images: 1000, raters: 10_000, tutorial: 100 };

/** How many reals and fakes among n images with the given share of fakes (at least one of each). */
export function split(n: number, fakeFraction: number): { real: number; fake: number } {
  const fake = Math.min(n - 1, Math.max(1, Math.round(n * fakeFraction)));
  return { real: n - fake, fake };
}

/**
 * The study's images: scored ones first drawn from each dataset (RandomState(seed).choice without
 * replacement, reals then fakes, from one stream), the tutorial's from the images left over, so no
 * image is both practice and scored. Indices: tutorial images first, then the scored ones.
 */
export function drawImages(r: Required<Omit<StudyRequest, 'staircase'>>, counts: { real: number; fake: number }): Omit<StudyImageRow, 'study'>[] {
  const scored = split(r.images, r.fake_fraction);
  const practice = r.tutorial > 0 ? split(Math.max(2, r.tutorial), r.fake_fraction) : { real: 0, fake: 0 };
  if (r.tutorial === 1) practice.real = 0; // one practice image: a fake
  const rng = new LegacyRandomState(r.seed);
  const rows: Omit<StudyImageRow, 'study'>[] = [];
  const pick = (truth: 'real' | 'fake', dataset: string) => {
    const need = scored[truth] + practice[truth];
    if (need > counts[truth]) {
      throw new HttpError(422, 'too_few_images', `${truth}: dataset ${dataset} has ${counts[truth]} images; the study needs ${need} (${scored[truth]} scored + ${practice[truth]} for the tutorial)`, truth);
    }
    return Array.from(rng.choice(counts[truth], need));
  };
  const reals = pick('real', r.real);
  const fakes = pick('fake', r.fake);
  const tutorial = [...reals.slice(scored.real).map((item) => ['real', r.real, item] as const), ...fakes.slice(scored.fake).map((item) => ['fake', r.fake, item] as const)];
  const main = [...reals.slice(0, scored.real).map((item) => ['real', r.real, item] as const), ...fakes.slice(0, scored.fake).map((item) => ['fake', r.fake, item] as const)];
  tutorial.forEach(([truth, dataset, item], i) => rows.push({ idx: i, truth, dataset, item, tutorial: 1 }));
  main.forEach(([truth, dataset, item], i) => rows.push({ idx: tutorial.length + i, truth, dataset, item, tutorial: 0 }));
  return rows;
}

/** Rater `seq`'s order: the tutorial images, then the scored ones, each shuffled by its own seeded stream. */
export function raterOrder(seed: number, seq: number, tutorial: number, total: number): number[] {
  const rng = new LegacyRandomState((seed + Math.imul(seq, 0x9e3779b1)) >>> 0);
  const practice = Array.from(rng.permutation(tutorial));
  const scored = Array.from(rng.permutation(total - tutorial), (i) => i + tutorial);
  return [...practice, ...scored];
}

export function ruleOf(study: StudyRow): StaircaseRule | null {
  return study.rule ? (JSON.parse(study.rule) as StaircaseRule) : null;
}

/** The request with its defaults, checked against the two datasets (image datasets the project can read). */
export function checkStudy(q: StudyRequest, real: DatasetRow, fake: DatasetRow): Required<Omit<StudyRequest, 'staircase'>> & { rule: StaircaseRule | null } {
  const r = { ...STUDY_DEFAULTS, ...Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)) } as Required<StudyRequest>;
  for (const [key, d] of [['real', real], ['fake', fake]] as const) {
    if (d.kind !== 'images') throw new HttpError(422, 'not_images', `${key}: dataset ${d.id} holds ${d.kind}; a study shows images (upload an image stack or an archive of images)`, key);
    if (d.status === 'failed') throw new HttpError(422, 'not_images', `${key}: dataset ${d.id} failed (${d.error})`, key);
  }
  if (r.images < 2) throw new HttpError(400, 'bad_request', `images: expected at least 2 (one real and one fake), got ${r.images}`, 'images');
  if (!(r.fake_fraction > 0 && r.fake_fraction < 1)) throw new HttpError(400, 'bad_request', `fake_fraction: expected a share between 0 and 1 (exclusive), got ${r.fake_fraction}`, 'fake_fraction');
  let rule: StaircaseRule | null = null;
  if (r.mode === 'time') {
    rule = { ...HYPE_TIME_RULE, ...(q.staircase ?? {}) };
    try {
      checkRule(rule);
    } catch (err) {
      throw new HttpError(400, 'bad_request', (err as GenmetricsError).message, 'staircase');
    }
  } else if (q.staircase) throw new HttpError(400, 'bad_request', 'staircase: applies to mode "time" only', 'staircase');
  return { ...r, rule };
}

export const newStudyId = () => `st_${randomBytes(9).toString('base64url')}`;
export const newSecret = () => randomBytes(18).toString('base64url');

export interface StudyResults {
  hype: Interval | null;
  fake_judged_real: number | null;
  real_judged_fake: number | null;
}

/**
 * HYPE∞ over every scored answer (all raters who answered); HYPE-time over the raters who
 * finished, each one's threshold being their staircase's final exposure.
 */
export function studyResults(study: StudyRow, studies: StudyStore): StudyResults {
  const answers = studies.answers(study.id, { tutorial: false }).map((a) => ({ rater: String(a.seq), truth: a.truth, answer: a.answer }));
  const inf = hypeInfinity(answers, { seed: study.seed });
  const rates = { fake_judged_real: inf?.fake_judged_real ?? null, real_judged_fake: inf?.real_judged_fake ?? null };
  const rule = ruleOf(study);
  if (!rule) return { hype: inf?.hype ?? null, ...rates };
  const finished = new Set(studies.raters(study.id).filter((r) => r.finished).map((r) => String(r.seq)));
  const thresholds: number[] = [];
  let n = 0;
  for (const seq of finished) {
    const mine = answers.filter((a) => a.rater === seq);
    n += mine.length;
    thresholds.push(staircase(mine.map((a) => a.truth === a.answer), rule).final.exposureMs);
  }
  return { hype: hypeTime(thresholds, n, { seed: study.seed }), ...rates };
}

/** Per image: answers, errors and the error rate (%), the images that fool people most first. */
export function imageErrors(study: StudyRow, studies: StudyStore): { image: number; truth: string; dataset: string; item: number; answers: number; errors: number; error_rate: number | null }[] {
  const tally = new Map<number, { answers: number; errors: number }>();
  for (const a of studies.answers(study.id, { tutorial: false })) {
    const t = tally.get(a.image) ?? { answers: 0, errors: 0 };
    t.answers++;
    if (a.answer !== a.truth) t.errors++;
    tally.set(a.image, t);
  }
  return studies
    .images(study.id)
    .filter((i) => !i.tutorial)
    .map((i) => {
      const t = tally.get(i.idx) ?? { answers: 0, errors: 0 };
      return { image: i.idx, truth: i.truth, dataset: i.dataset, item: i.item, ...t, error_rate: t.answers ? (100 * t.errors) / t.answers : null };
    })
    .sort((a, b) => (b.error_rate ?? -1) - (a.error_rate ?? -1) || a.image - b.image);
}
