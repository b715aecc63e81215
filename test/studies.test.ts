/**
 * HYPE studies over real HTTP on loopback: creating one (and every bad request), raters judging
 * with cookies and forms, answers stored once and only for the rater's current image, the score
 * and its interval equal to lib/metrics/hype.ts on the stored answers (itself checked against
 * NumPy in hype.test.ts), answers.csv, per-image error rates, closing, rate limits.
 */
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { hypeInfinity, staircase, HYPE_TIME_RULE } from '../lib/metrics/hype';
import { cli, tmpDir } from './helpers';
import { Client, start, type Started } from './service-helpers';
import { HttpRater, imageStack, parseCsv, uploadImages } from './studies-helpers';

const dir = tmpDir();
let s: Started;
let w: Client;
let reader: Client;
let other: Client;
let real: string;
let fake: string;

beforeAll(async () => {
  s = await start(['--answer-rate-limit', '30']);
  w = new Client(s.base, s.tokens.writer);
  reader = new Client(s.base, s.tokens.reader);
  other = new Client(s.base, s.tokens.other);
  real = await uploadImages(w, imageStack(dir, 'real.npy', 20, 'real', 1));
  fake = await uploadImages(w, imageStack(dir, 'fake.npy', 20, 'fake', 2));
}, 60_000);
afterAll(async () => {
  await s?.stop();
});

/** The mean sample of a PNG: < 128 for reals, >= 128 for fakes (see imageStack). */
async function kindOf(png: ArrayBuffer): Promise<'real' | 'fake'> {
  const { channels } = await sharp(Buffer.from(png)).stats();
  return channels[0].mean < 128 ? 'real' : 'fake';
}

test('a HYPE-infinity study: raters answer through the form, and the score is what they answered', async () => {
  const r = await w.req('POST', '/v1/studies', { json: { real, fake, images: 8, raters: 2, tutorial: 2, seed: 3 } });
  expect(r.status).toBe(201);
  expect(r.body).toMatchObject({ status: 'open', mode: 'infinity', images: 8, tutorial: 2, raters: { target: 2, started: 0, finished: 0 }, hype: null, unit: '%' });
  expect(r.body.rater_url).toMatch(new RegExp(`^${s.base}/rate/${r.body.id}\\?k=[A-Za-z0-9_-]{24}$`));
  const id = r.body.id;

  // Two raters; each answers "real" for even trials and "fake" for odd ones, and checks that the
  // image of every trial is the kind the study later says it was.
  const shown: Record<string, { truth: string; answer: string }[]> = {};
  for (const name of ['a', 'b']) {
    const rater = new HttpRater(s.base, r.body.rater_url);
    shown[name] = [];
    for (let t = 0; t < 10; t++) {
      const p = await rater.page();
      expect(p.status).toBe(200);
      expect(p.headers.get('cache-control')).toBe('no-store');
      expect(p.headers.get('content-security-policy')).toMatch(/script-src 'nonce-/);
      expect(HttpRater.trial(p.html)).toBe(t);
      // Nothing on the page tells the truth: no dataset ids, no truth words outside the question.
      expect(p.html).not.toContain(real);
      expect(p.html).not.toContain(fake);
      // The tutorial's feedback follows each practice answer (trials 0 and 1), and only those.
      if (t === 1 || t === 2) expect(p.html).toMatch(/the last image was (real|fake)/);
      else expect(p.html).not.toMatch(/the last image was/);
      const img = await rater.image(t);
      expect(img.status).toBe(200);
      expect(img.headers.get('content-type')).toBe('image/png');
      const truth = await kindOf(await img.arrayBuffer());
      // The next trial's image is not served before this one is answered.
      expect((await rater.image(t + 1)).status).toBe(404);
      const answer = t % 2 === 0 ? 'real' : 'fake';
      const a = await rater.answer(t, answer);
      expect(a.status).toBe(303);
      if (t === 4) {
        // A double click: the same trial again changes nothing.
        expect((await rater.answer(t, answer === 'real' ? 'fake' : 'real')).status).toBe(303);
      }
      if (t >= 2) shown[name].push({ truth, answer });
    }
    const done = await rater.page();
    expect(done.html).toContain('Thank you!');
    const right = shown[name].filter((x) => x.truth === x.answer).length;
    expect(done.html).toContain(`right about ${right} of them`);
  }

  const g = await reader.req('GET', `/v1/studies/${id}`);
  expect(g.status).toBe(200);
  expect(g.body.status).toBe('complete');
  expect(g.body.raters).toEqual({ target: 2, started: 2, finished: 2 });
  const mine = [...shown.a.map((x) => ({ rater: '1', ...x })), ...shown.b.map((x) => ({ rater: '2', ...x }))] as { rater: string; truth: 'real' | 'fake'; answer: 'real' | 'fake' }[];
  const errors = mine.filter((x) => x.truth !== x.answer).length;
  expect(g.body.hype.score).toBeCloseTo((100 * errors) / 16, 12);
  expect(g.body.hype).toEqual(hypeInfinity(mine, { seed: 3 })!.hype);
  expect(g.body.hype.n_answers).toBe(16);
  expect(g.body.hype.n_raters).toBe(2);

  const csv = await reader.req('GET', `/v1/studies/${id}/answers.csv`);
  expect(csv.status).toBe(200);
  expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
  // `genmetrics hype` on the downloaded answers gives the study's numbers.
  fs.writeFileSync(path.join(dir, 'inf.csv'), csv.body);
  const offline = cli(['hype', path.join(dir, 'inf.csv'), '--seed', '3', '--json', '-q']);
  expect(JSON.parse(offline.stdout)).toMatchObject({ mode: 'infinity', hype: g.body.hype, fake_judged_real: g.body.fake_judged_real, real_judged_fake: g.body.real_judged_fake, tutorial_rows: 4 });
  const rows = parseCsv(csv.body);
  expect(rows.length).toBe(20); // 2 raters x (2 tutorial + 8 scored); the double click is not there
  expect(Object.keys(rows[0])).toEqual(['rater', 'image', 'truth', 'answer', 'ms', 'trial', 'exposure_ms', 'tutorial']);
  const scored = rows.filter((x) => x.tutorial === '0');
  expect(scored.map((x) => ({ truth: x.truth, answer: x.answer }))).toEqual([...shown.a, ...shown.b]);
  expect(rows.every((x) => x.ms === '100')).toBe(true);
  // Each rater saw the 8 scored images once, in an order of their own.
  const order = (rater: string) => scored.filter((x) => x.rater === rater).map((x) => Number(x.image));
  expect([...order('1')].sort()).toEqual([...order('2')].sort());
  expect(new Set(order('1')).size).toBe(8);

  const imgs = await reader.req('GET', `/v1/studies/${id}/images`);
  expect(imgs.body.images.length).toBe(8);
  expect(imgs.body.images.reduce((n: number, i: { answers: number }) => n + i.answers, 0)).toBe(16);
  const rates = imgs.body.images.map((i: { error_rate: number }) => i.error_rate);
  expect([...rates].sort((a, b) => b - a)).toEqual(rates);
  const first = await reader.req('GET', `/v1/studies/${id}/images/${imgs.body.images[0].image}`);
  expect(first.status).toBe(200);

  // Complete: no new raters; closed: no answers.
  const late = new HttpRater(s.base, r.body.rater_url);
  expect((await late.page()).status).toBe(410);
}, 120_000);

test('a closed study refuses answers; a wrong secret, a missing cookie and an answer ahead are refused; answers are rate-limited', async () => {
  const r = await w.req('POST', '/v1/studies', { json: { real, fake, images: 4, raters: 5, tutorial: 0 } });
  const rater = new HttpRater(s.base, r.body.rater_url);
  await rater.page();
  expect((await rater.answer(1, 'real')).status).toBe(409); // not the current trial
  const noCookie = new HttpRater(s.base, r.body.rater_url);
  expect((await noCookie.answer(0, 'real')).status).toBe(403);
  expect((await noCookie.image(0)).status).toBe(403);
  const wrong = new HttpRater(s.base, r.body.rater_url.replace(/k=.*/, 'k=not-the-secret'));
  const page = await wrong.page();
  expect(page.status).toBe(404);
  expect(page.html).toContain('There is no study at this address');
  expect((await rater.answer(0, 'maybe')).status).toBe(400);
  expect((await rater.answer(0, 'real')).status).toBe(303);

  expect((await reader.req('POST', `/v1/studies/${r.body.id}/close`)).status).toBe(403);
  const closed = await w.req('POST', `/v1/studies/${r.body.id}/close`);
  expect(closed.body.status).toBe('closed');
  const refused = await rater.answer(1, 'fake');
  expect(refused.status).toBe(409);
  expect(await refused.text()).toContain('closed');
  expect((await rater.page()).status).toBe(410);

  // The answer route allows 30 per rater per minute here (--answer-rate-limit 30).
  const busy = await w.req('POST', '/v1/studies', { json: { real, fake, images: 4, raters: 5, tutorial: 0 } });
  const fast = new HttpRater(s.base, busy.body.rater_url);
  await fast.page();
  const codes: number[] = [];
  for (let i = 0; i < 32; i++) codes.push((await fast.answer(0, 'real')).status);
  expect(codes.slice(0, 30).every((c) => c === 303)).toBe(true);
  expect(codes[31]).toBe(429);
}, 60_000);

test('bad study requests: unknown or foreign datasets, features instead of images, too few images, bad options, scopes', async () => {
  const bad = async (json: unknown, status: number, message: RegExp, c = w) => {
    const r = await c.req('POST', '/v1/studies', { json });
    expect([r.status, r.body.error?.message]).toEqual([status, expect.stringMatching(message)]);
  };
  await bad({ real, fake: 'ds_nothing' }, 404, /fake: no dataset ds_nothing/);
  await bad({ real, fake }, 404, /real: no dataset/, other); // another project's datasets
  await bad({ real, fake, images: 50 }, 422, /real: dataset \S+ has 20 images; the study needs 30 \(25 scored \+ 5 for the tutorial\)/);
  await bad({ real, fake, images: 1 }, 400, /images/);
  await bad({ real, fake, mode: 'fast' }, 400, /mode/);
  await bad({ real, fake, fake_fraction: 1 }, 400, /fake_fraction/);
  await bad({ real, fake, staircase: { startMs: 500 } }, 400, /staircase: applies to mode "time" only/);
  await bad({ real, fake, mode: 'time', staircase: { startMs: 50 } }, 400, /minMs <= startMs <= maxMs/);
  await bad({ real, fake, colour: 'red' }, 400, /additional properties/);
  await bad({ real, fake }, 403, /scope 'read'/, reader);
  const feats = await w.req('POST', '/v1/datasets', { body: Buffer.concat([Buffer.from('\x93NUMPY\x01\x00v\x00', 'latin1'), Buffer.from(`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }`.padEnd(117, ' ') + '\n'), Buffer.alloc(16)]), type: 'application/octet-stream' });
  expect(feats.status).toBe(201);
  await bad({ real: feats.body.id, fake }, 422, /real: dataset \S+ holds features; a study shows images/);
  expect((await reader.req('GET', '/v1/studies/st_nothing')).status).toBe(404);
  // A dataset shown by a study that is not closed cannot be deleted.
  expect((await w.req('POST', '/v1/studies', { json: { real, fake, images: 4 } })).status).toBe(201);
  const del = await w.req('DELETE', `/v1/datasets/${real}`);
  expect([del.status, del.body.error.message]).toEqual([409, expect.stringMatching(/is shown by study st_\S+ \((open|complete)\); close the study first/)]);
});

test('HYPE-time: each trial shows the staircase exposure of the answers so far; the score is the mean final exposure', async () => {
  const r = await w.req('POST', '/v1/studies', { json: { real, fake, images: 12, raters: 1, tutorial: 2, mode: 'time', seed: 5 } });
  expect(r.status).toBe(201);
  expect(r.body.staircase).toEqual(HYPE_TIME_RULE);
  const rater = new HttpRater(s.base, r.body.rater_url);
  const correct: boolean[] = [];
  const exposures: number[] = [];
  for (let t = 0; t < 14; t++) {
    const p = await rater.page();
    const exposure = Number(/data-exposure="(\d+)"/.exec(p.html)![1]);
    const truth = await kindOf(await (await rater.image(t)).arrayBuffer());
    // Right on all but every fourth scored trial.
    const right = t < 2 || (t - 2) % 4 !== 3;
    const answer = right ? truth : truth === 'real' ? 'fake' : 'real';
    if (t >= 2) {
      correct.push(right);
      exposures.push(exposure);
    } else expect(exposure).toBe(HYPE_TIME_RULE.startMs);
    await rater.answer(t, answer);
  }
  const rule = staircase(correct);
  expect(exposures).toEqual(rule.exposures);
  const g = await reader.req('GET', `/v1/studies/${r.body.id}`);
  expect(g.body.unit).toBe('ms');
  expect(g.body.hype.score).toBe(rule.final.exposureMs);
  expect(g.body.hype.n_raters).toBe(1);
  const text = (await reader.req('GET', `/v1/studies/${r.body.id}/answers.csv`)).body;
  const csv = parseCsv(text).filter((x) => x.tutorial === '0');
  expect(csv.map((x) => Number(x.exposure_ms))).toEqual(rule.exposures);
  fs.writeFileSync(path.join(dir, 'time.csv'), text);
  const offline = cli(['hype', path.join(dir, 'time.csv'), '--mode', 'time', '--seed', '5', '--json', '-q']);
  expect(JSON.parse(offline.stdout)).toMatchObject({ mode: 'time', unit: 'ms', hype: g.body.hype });
}, 60_000);
