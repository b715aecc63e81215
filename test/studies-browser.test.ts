/**
 * The rater's page in a real browser (Debian's chromium driven by playwright-core): scripted raters
 * click through the tutorial and the trials by the buttons' accessible names, by the R/F keys and
 * by Tab + Enter, reload half way and resume, several at once in parallel browser contexts; the
 * stored answers and the HYPE score equal what the scripts answered. HYPE-time's mask covers the
 * image after its exposure. The pages pass axe-core's checks; screenshots (desktop and phone
 * width) are kept in artifacts/.
 */
import * as fs from 'fs';
import * as path from 'path';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { hypeInfinity } from '../lib/metrics/hype';
import { tmpDir } from './helpers';
import { ARTIFACTS, launchChromium } from './browser';
import { Client, start, type Started } from './service-helpers';
import { imageStack, parseCsv, uploadImages } from './studies-helpers';

const dir = tmpDir();
let s: Started;
let w: Client;
let browser: Browser;
let real: string;
let fake: string;

beforeAll(async () => {
  s = await start();
  w = new Client(s.base, s.tokens.writer);
  real = await uploadImages(w, imageStack(dir, 'real.npy', 24, 'real', 11, 64));
  fake = await uploadImages(w, imageStack(dir, 'fake.npy', 24, 'fake', 12, 64));
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await s?.stop();
});

async function noA11yViolations(page: Page, what: string): Promise<void> {
  const r = await new AxeBuilder({ page }).analyze();
  const found = r.violations.map((v) => `${what}: ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(found).toEqual([]);
}

/** The trial the page shows, from its hidden field. */
const trialOf = async (page: Page) => Number(await page.locator('input[name="t"]').getAttribute('value'));

type How = 'button' | 'key' | 'tab';

/**
 * Answers every trial of the study at `url` in a context of its own: answer i is answers[i];
 * `how(i)` picks the button, the key or Tab + Enter; with `reloadAt`, the page is reloaded before
 * that trial and must show the same trial again.
 */
async function rate(url: string, answers: ('real' | 'fake')[], how: (i: number) => How, o: { reloadAt?: number; tutorial: number; check?: (page: Page, trial: number) => Promise<void> }): Promise<{ accuracy: string; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('response', (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
  await page.goto(url);
  for (let i = 0; i < answers.length; i++) {
    expect(await trialOf(page)).toBe(i);
    if (o.reloadAt === i) {
      await page.reload();
      expect(await trialOf(page)).toBe(i);
    }
    await expect(page.locator('label[for="progress"]').innerText()).resolves.toBe(i < o.tutorial ? `Practice image ${i + 1} of ${o.tutorial}` : `Image ${i + 1 - o.tutorial} of ${answers.length - o.tutorial}`);
    // The image has loaded before the answer (the answer time counts from it).
    await page.waitForFunction("document.getElementById('stimulus').naturalWidth > 0");
    await o.check?.(page, i);
    const a = answers[i];
    // The answer posts the form; the server redirects to the same address, which shows the next trial.
    const next = page.waitForEvent('framenavigated');
    const m = how(i);
    if (m === 'button') await page.getByRole('button', { name: a === 'real' ? 'Real' : 'Fake', exact: true }).click();
    else if (m === 'key') await page.keyboard.press(a === 'real' ? 'r' : 'f');
    else {
      // Keyboard only: Tab to the button, then Enter.
      for (let k = 0; k < 12; k++) {
        await page.keyboard.press('Tab');
        if ((await page.evaluate('document.activeElement && document.activeElement.id')) === a) break;
      }
      expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe(a);
      await page.keyboard.press('Enter');
    }
    await next;
    await page.waitForLoadState('load');
    if (i < o.tutorial) await expect(page.getByRole('status').first().innerText()).resolves.toMatch(/^(Right|Not quite): the last image was (real|fake)\.$/);
  }
  await expect(page.locator('h1').innerText()).resolves.toBe('Thank you!');
  expect(errors).toEqual([]);
  return { accuracy: await page.locator('#accuracy').innerText(), page };
}

test('three raters at once: buttons, keys and Tab + Enter, a reload half way; answers and the score equal the scripts', async () => {
  const created = await w.req('POST', '/v1/studies', { json: { real, fake, images: 10, raters: 3, tutorial: 2, seed: 4 } });
  expect(created.status).toBe(201);
  const { id, rater_url: url } = created.body;
  const plans: ('real' | 'fake')[][] = [0, 1, 2].map((r) => Array.from({ length: 12 }, (_, i) => (((i * 7 + r * 3) % 5) % 2 === 0 ? 'real' : 'fake')));
  const hows: ((i: number) => How)[] = [() => 'button', () => 'key', (i) => (['button', 'key', 'tab'] as How[])[i % 3]];
  const results = await Promise.all(
    plans.map((plan, r) =>
      rate(url, plan, hows[r], {
        tutorial: 2,
        reloadAt: r === 0 ? 6 : undefined,
        check:
          r === 0
            ? async (page, i) => {
                // The image's address names the trial only; nothing on the page says real or fake.
                expect(await page.locator('#stimulus').getAttribute('src')).toMatch(new RegExp(`^/rate/${id}/image\\?k=[\\w-]+&t=${i}$`));
                const html = await page.content();
                expect(html).not.toContain(real);
                expect(html).not.toContain(fake);
                if (i === 0) await noA11yViolations(page, 'practice trial');
                if (i === 2) await noA11yViolations(page, 'trial after the tutorial feedback');
                if (i === 3) {
                  fs.mkdirSync(ARTIFACTS, { recursive: true });
                  await page.screenshot({ path: path.join(ARTIFACTS, 'rate-desktop.png'), fullPage: true });
                  await page.setViewportSize({ width: 390, height: 844 });
                  // Phone width: no horizontal scrolling, both buttons visible.
                  expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
                  await expect(page.getByRole('button', { name: 'Fake', exact: true }).isVisible()).resolves.toBe(true);
                  await page.screenshot({ path: path.join(ARTIFACTS, 'rate-phone.png'), fullPage: true });
                  await noA11yViolations(page, 'phone width');
                  await page.setViewportSize({ width: 1280, height: 800 });
                }
              }
            : undefined,
      }),
    ),
  );
  await noA11yViolations(results[0].page, 'thank-you page');
  await results[0].page.screenshot({ path: path.join(ARTIFACTS, 'rate-thanks.png') });

  // The stored answers are the scripts' answers, trial by trial (rater numbers follow the order
  // in which the three started, so each script is matched by its sequence of answers).
  const rows = parseCsv((await w.req('GET', `/v1/studies/${id}/answers.csv`)).body);
  const byRater = [1, 2, 3].map((seq) => rows.filter((x) => x.rater === String(seq)));
  for (const mine of byRater) {
    expect(mine.map((x) => Number(x.trial))).toEqual([...Array(12).keys()]);
    expect(mine.every((x) => /^\d+$/.test(x.ms))).toBe(true);
  }
  const scripts = byRater.map((mine) => plans.findIndex((p) => p.join() === mine.map((x) => x.answer).join()));
  expect([...scripts].sort()).toEqual([0, 1, 2]);
  // Each thank-you page shows that rater's accuracy over the scored trials.
  byRater.forEach((mine, k) => {
    const scored = mine.filter((x) => x.tutorial === '0');
    expect(results[scripts[k]].accuracy).toBe(`${((100 * scored.filter((x) => x.truth === x.answer).length) / scored.length).toFixed(1)}%`);
  });
  const study = (await w.req('GET', `/v1/studies/${id}`)).body;
  expect(study.raters).toEqual({ target: 3, started: 3, finished: 3 });
  const scored = rows.filter((x) => x.tutorial === '0').map((x) => ({ rater: x.rater, truth: x.truth as 'real' | 'fake', answer: x.answer as 'real' | 'fake' }));
  expect(study.hype.n_answers).toBe(30);
  expect(study.hype.score).toBeCloseTo((100 * scored.filter((x) => x.truth !== x.answer).length) / 30, 12);
  expect(study.hype).toEqual(hypeInfinity(scored, { seed: 4 })!.hype);
}, 240_000);

test('HYPE-time: the image is covered by the mask after its exposure, before the answer', async () => {
  const created = await w.req('POST', '/v1/studies', { json: { real, fake, images: 4, raters: 1, tutorial: 0, mode: 'time', staircase: { startMs: 300 } } });
  expect(created.status).toBe(201);
  const answers: ('real' | 'fake')[] = ['real', 'fake', 'real', 'fake'];
  await rate(created.body.rater_url, answers, (i) => (i % 2 ? 'key' : 'button'), {
    tutorial: 0,
    check: async (page, i) => {
      expect(Number(await page.locator('#stimulus').getAttribute('data-exposure'))).toBeGreaterThanOrEqual(300);
      await page.locator('#mask').waitFor({ state: 'visible', timeout: 5000 });
      expect(await page.evaluate("getComputedStyle(document.getElementById('stimulus')).visibility")).toBe('hidden');
      if (i === 0) {
        await page.screenshot({ path: path.join(ARTIFACTS, 'rate-time-masked.png') });
        await noA11yViolations(page, 'HYPE-time mask');
      }
    },
  });
  const rows = parseCsv((await w.req('GET', `/v1/studies/${created.body.id}/answers.csv`)).body);
  expect(rows.map((x) => x.answer)).toEqual(answers);
  // Answered after the mask came: each answer time is at least the exposure it had.
  for (const x of rows) expect(Number(x.ms)).toBeGreaterThanOrEqual(Number(x.exposure_ms));
}, 120_000);
