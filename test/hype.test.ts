// HYPE's numbers against NumPy (scripts/make_hype_fixture.py: the same answers, NumPy's
// RandomState bootstrap and np.percentile) and the HYPE-time staircase against the paper's rule.
import * as path from 'path';
import * as fs from 'fs';
import { cli, tmpDir } from './helpers';
import { HYPE_TIME_RULE, hypeInfinity, hypeTime, staircase, staircaseStep, checkRule, type HypeAnswer } from '../lib/metrics/hype';

const fx = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'hype.json'), 'utf8')) as {
  resamples: number;
  seed: number;
  answers: HypeAnswer[];
  infinity: { score: number; ci95: [number, number]; n_raters: number; n_answers: number; fake_judged_real: number; real_judged_fake: number };
  staircases: { correct: boolean[]; exposures: number[]; final: number }[];
  time: { score: number; ci95: [number, number]; thresholds: number[] };
};

// Sums of small integers divided once: the same rounding as NumPy's; 1e-12 absolute (in %).
const TOL = 1e-12;

test('HYPE-infinity, its bootstrap interval and the two error rates equal NumPy', () => {
  const h = hypeInfinity(fx.answers, { resamples: fx.resamples, seed: fx.seed })!;
  expect(h.hype.n_raters).toBe(fx.infinity.n_raters);
  expect(h.hype.n_answers).toBe(fx.infinity.n_answers);
  expect(Math.abs(h.hype.score - fx.infinity.score)).toBeLessThan(TOL);
  expect(Math.abs(h.hype.ci95[0] - fx.infinity.ci95[0])).toBeLessThan(TOL);
  expect(Math.abs(h.hype.ci95[1] - fx.infinity.ci95[1])).toBeLessThan(TOL);
  expect(Math.abs(h.fake_judged_real! - fx.infinity.fake_judged_real)).toBeLessThan(TOL);
  expect(Math.abs(h.real_judged_fake! - fx.infinity.real_judged_fake)).toBeLessThan(TOL);
  // Another seed draws other resamples: the interval moves, the score does not.
  const other = hypeInfinity(fx.answers, { resamples: fx.resamples, seed: fx.seed + 1 })!;
  expect(other.hype.score).toBe(h.hype.score);
  expect(other.hype.ci95).not.toEqual(h.hype.ci95);
  expect(hypeInfinity([])).toBeNull();
});

test('the staircase shows what the paper rule gives, trial by trial, and HYPE-time equals NumPy', () => {
  for (const s of fx.staircases) {
    const ours = staircase(s.correct);
    expect(ours.exposures).toEqual(s.exposures);
    expect(ours.final.exposureMs).toBe(s.final);
  }
  const t = hypeTime(fx.time.thresholds, fx.answers.length, { resamples: fx.resamples, seed: fx.seed })!;
  expect(Math.abs(t.score - fx.time.score)).toBeLessThan(1e-9);
  expect(Math.abs(t.ci95[0] - fx.time.ci95[0])).toBeLessThan(1e-9);
  expect(Math.abs(t.ci95[1] - fx.time.ci95[1])).toBeLessThan(1e-9);
});

test('staircase steps: 3 right answers shorten by 10 ms, a wrong one lengthens by 30 ms and restarts the run; bounds 100..1000 ms', () => {
  const R = HYPE_TIME_RULE;
  expect(R).toEqual({ startMs: 500, minMs: 100, maxMs: 1000, downMs: 10, upMs: 30, down: 3 });
  let s = { exposureMs: 500, streak: 0 };
  s = staircaseStep(s, true);
  s = staircaseStep(s, true);
  expect(s).toEqual({ exposureMs: 500, streak: 2 });
  expect(staircaseStep(s, false)).toEqual({ exposureMs: 530, streak: 0 });
  expect(staircaseStep(s, true)).toEqual({ exposureMs: 490, streak: 0 });
  // Always right: 500 -> 100 after 3 x 40 answers, then it stays at the floor.
  expect(staircase(Array(200).fill(true)).final.exposureMs).toBe(100);
  expect(staircase(Array(120).fill(true)).exposures[119]).toBe(110);
  // Always wrong: 500 -> 1000 after 17 answers (500 + 17 x 30 = 1010, capped).
  const wrong = staircase(Array(20).fill(false));
  expect(wrong.exposures.slice(15, 18)).toEqual([950, 980, 1000]);
  expect(wrong.final.exposureMs).toBe(1000);
  expect(() => checkRule({ ...R, startMs: 50 })).toThrow(/minMs <= startMs <= maxMs/);
  expect(() => checkRule({ ...R, down: 0 })).toThrow(/staircase.down: expected a positive integer/);
});

test('genmetrics hype: the fixture answers as a CSV give the NumPy values; bad CSVs and options are named', () => {
  const dir = tmpDir();
  const f = path.join(dir, 'a.csv');
  fs.writeFileSync(f, ['Rater,Truth,Answer', ...fx.answers.map((a) => `${a.rater},${a.truth},${a.answer}`)].join('\r\n'));
  const r = cli(['hype', f, '--seed', String(fx.seed), '--json', '-q']);
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(Math.abs(out.hype.ci95[0] - fx.infinity.ci95[0])).toBeLessThan(TOL);
  expect(Math.abs(out.hype.ci95[1] - fx.infinity.ci95[1])).toBeLessThan(TOL);
  const t = JSON.parse(cli(['hype', f, '--mode', 'time', '--seed', String(fx.seed), '--json', '-q']).stdout);
  // Only the raters who answered as many images as the most any rater did (here one: 50).
  expect(t.hype.n_raters).toBe(1);
  expect(t.hype.score).toBe(fx.time.thresholds[5]);
  const bad = (lines: string[], args: string[], message: RegExp) => {
    fs.writeFileSync(f, lines.join('\n'));
    const x = cli(['hype', f, ...args]);
    expect([x.code, x.stderr]).toEqual([1, expect.stringMatching(message)]);
  };
  bad(['rater,truth,answer', '1,real,maybe'], [], /row 2, column answer: expected real or fake, got 'maybe'/);
  bad(['rater,truth,answer', '1,real'], [], /row 2 has 2 fields; the header has 3/);
  bad(['rater,truth,answer,tutorial', '1,real,fake,1'], [], /no scored answers/);
  bad(['rater,truth,answer', '1,real,fake'], ['--mode', 'time', '--staircase', '50,100,1000,10,30,3'], /--staircase: expected minMs <= startMs <= maxMs, got 100, 50, 1000/);
  bad(['rater,truth,answer', '1,real,fake'], ['--mode', 'time', '--staircase', '1,2'], /--staircase: expected 6 comma-separated integers \(startMs,minMs,maxMs,downMs,upMs,down\), got '1,2'/);
  bad(['rater,truth,answer', '1,real,fake'], ['--mode', 'fast'], /--mode/);
});
