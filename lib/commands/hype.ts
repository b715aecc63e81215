/**
 * `genmetrics hype ANSWERS.csv`: HYPE from answers collected anywhere (the service's answers.csv,
 * or a crowdsourcing platform's export with the columns rater, truth, answer): the same numbers as
 * the service's study, recomputed offline.
 */
import * as fs from 'fs';
import { GenmetricsError, OptionError } from '../errors';
import { checkRule, HYPE_RESAMPLES, HYPE_TIME_RULE, hypeInfinity, hypeTime, staircase, type HypeAnswer, type Interval, type Label, type StaircaseRule } from '../metrics/hype';
import { defineCommand } from './descriptor';

export interface HypeOptions {
  mode: 'infinity' | 'time';
  resamples: number;
  seed: number;
  staircase: string;
}

export interface HypeCommandResult {
  file: string;
  mode: 'infinity' | 'time';
  unit: '%' | 'ms';
  hype: Interval | null;
  fake_judged_real: number | null;
  real_judged_fake: number | null;
  resamples: number;
  seed: number;
  staircase?: StaircaseRule;
  /** Practice rows (tutorial = 1) left out. */
  tutorial_rows: number;
}

const RULE_KEYS = ['startMs', 'minMs', 'maxMs', 'downMs', 'upMs', 'down'] as const;

/** The scored answers of a CSV (header row; columns rater, truth, answer; optional tutorial). */
export function readAnswersCsv(file: string): { answers: HypeAnswer[]; tutorial: number } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new GenmetricsError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new GenmetricsError(`${file}: empty; expected a header row with the columns rater, truth, answer`);
  const head = lines[0].split(',').map((h) => h.trim().toLowerCase());
  const col = (name: string, required: boolean) => {
    const i = head.indexOf(name);
    if (i < 0 && required) throw new GenmetricsError(`${file}: no column '${name}' in the header (${lines[0]}); expected the columns rater, truth, answer`);
    return i;
  };
  const [rater, truth, answer, tutorial] = [col('rater', true), col('truth', true), col('answer', true), col('tutorial', false)];
  const label = (v: string, row: number, column: string): Label => {
    const x = v.trim().toLowerCase();
    if (x !== 'real' && x !== 'fake') throw new GenmetricsError(`${file}: row ${row + 1}, column ${column}: expected real or fake, got '${v}'`);
    return x;
  };
  const answers: HypeAnswer[] = [];
  let practice = 0;
  lines.slice(1).forEach((line, k) => {
    const cells = line.split(',');
    if (cells.length !== head.length) throw new GenmetricsError(`${file}: row ${k + 2} has ${cells.length} fields; the header has ${head.length}`);
    if (tutorial >= 0 && cells[tutorial].trim() === '1') {
      practice++;
      return;
    }
    answers.push({ rater: cells[rater].trim(), truth: label(cells[truth], k + 1, 'truth'), answer: label(cells[answer], k + 1, 'answer') });
  });
  if (answers.length === 0) throw new GenmetricsError(`${file}: no scored answers`);
  return { answers, tutorial: practice };
}

export const hypeCommand = defineCommand<HypeOptions, HypeCommandResult>({
  name: 'hype',
  summary: "HYPE (Zhou et al. 2019) from raters' real/fake answers: HYPE∞ (error rate, %) or HYPE-time (mean staircase threshold, ms), each with its 95% bootstrap interval over raters",
  example: 'hype answers.csv --json',
  inputs: [{ name: 'answers', help: 'a CSV with a header and the columns rater, truth, answer (real|fake); optional tutorial (1: practice, left out), e.g. the service\'s answers.csv' }],
  options: [
    { key: 'mode', type: 'string', default: 'infinity', choices: ['infinity', 'time'], help: 'HYPE∞ (error rate over all answers) or HYPE-time (the staircase replayed over each rater\'s answers in file order; raters who answered every image count)' },
    { key: 'resamples', type: 'integer', default: HYPE_RESAMPLES, min: 1, help: 'bootstrap resamples over raters' },
    { key: 'seed', type: 'integer', default: 0, min: 0, max: 2 ** 32 - 1, help: "bootstrap seed (NumPy RandomState); the service uses the study's seed" },
    {
      key: 'staircase',
      type: 'string',
      default: RULE_KEYS.map((k) => HYPE_TIME_RULE[k]).join(','),
      help: 'HYPE-time: start, min and max exposure, ms down after a run of right answers, ms up after a wrong one, the run length',
      valueName: '<ms,...>',
    },
  ],
  async run([file], o) {
    const { answers, tutorial } = readAnswersCsv(file);
    const base = { file, mode: o.mode, resamples: o.resamples, seed: o.seed, tutorial_rows: tutorial };
    const inf = hypeInfinity(answers, { resamples: o.resamples, seed: o.seed })!;
    const rates = { fake_judged_real: inf.fake_judged_real, real_judged_fake: inf.real_judged_fake };
    if (o.mode === 'infinity') return { ...base, unit: '%', hype: inf.hype, ...rates };
    const values = o.staircase.split(',').map((v) => (/^\s*\d+\s*$/.test(v) ? Number(v) : NaN));
    if (values.length !== RULE_KEYS.length || values.some(Number.isNaN)) {
      throw new OptionError('staircase', `expected 6 comma-separated integers (${RULE_KEYS.join(',')}), got '${o.staircase}'`);
    }
    const rule = Object.fromEntries(RULE_KEYS.map((k, i) => [k, values[i]])) as unknown as StaircaseRule;
    try {
      checkRule(rule);
    } catch (err) {
      throw new OptionError('staircase', (err as Error).message);
    }
    // Raters who finished: as many scored answers as the most any rater gave (each sees every image once).
    const byRater = new Map<string, boolean[]>();
    for (const a of answers) byRater.set(a.rater, [...(byRater.get(a.rater) ?? []), a.truth === a.answer]);
    const full = Math.max(...[...byRater.values()].map((c) => c.length));
    const finished = [...byRater.values()].filter((c) => c.length === full);
    const thresholds = finished.map((c) => staircase(c, rule).final.exposureMs);
    return { ...base, unit: 'ms', hype: hypeTime(thresholds, finished.length * full, { resamples: o.resamples, seed: o.seed }), ...rates, staircase: rule };
  },
});
