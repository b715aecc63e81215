// The HTML report in a real browser (Debian's chromium driven by playwright-core): it loads with
// no network access and no console errors, every picture decodes, the truncation chart has one
// point per psi and metric; a screenshot is kept in artifacts/.
import * as fs from 'fs';
import * as path from 'path';
import { ARTIFACTS, launchChromium } from './browser';
import { cli, networkEnv, tmpDir } from './helpers';
import { twinGenerator } from './onnx-builder';

test('the report loads offline with no console errors; pictures decode; one chart point per psi and metric', async () => {
  const dir = tmpDir();
  const env = networkEnv();
  const TWIN = ['--model', 'inception-fid-twin'];
  const G = twinGenerator(path.join(dir, 'g.onnx'), { z: 2, height: 16, width: 16, seed: 11, scale: 0.3, spread: true });
  const ok = (args: string[]) => {
    const r = cli([...args, '--json', '-q'], env);
    if (r.code !== 0) throw new Error(`genmetrics ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  ok(['generate', '--generator', G, '-n', '60', '--seed', '1', '-o', path.join(dir, 'train')]);
  const html = path.join(dir, 'report.html');
  const r = ok(['report', '--generator', G, path.join(dir, 'train'), '-n', '60', '--psi', '0.25,0.5,1.0', '--memorization', path.join(dir, 'train'), '--subsets', '5', '--subset-size', '30', '-o', html, ...TWIN]);
  expect(r.sections).toEqual(['metrics', 'samples', 'interpolations', 'extremes', 'truncation', 'memorization']);
  expect(r.metrics).toMatchObject({ subsets: 5, subset_size: 30 });

  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const outside: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
      outside.push(url);
      return route.abort();
    });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`file://${html}`);
    expect([outside, errors]).toEqual([[], []]);
    const widths = await page.locator('img').evaluateAll((imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth));
    expect(widths.length).toBe(5); // samples, interpolations, nearest, farthest, memorisation gallery
    expect(widths.every((w) => w > 0)).toBe(true);
    expect(await page.locator('.chart [aria-roledescription="point"]').count()).toBe(6 * 3);
    await expect(page.locator('h2').allTextContents()).resolves.toEqual(['Metrics', 'Truncation trade-off', 'Samples', 'Memorisation', 'Provenance']);
    const provenance = await page.locator('main table').last().innerText();
    for (const item of ['genmetrics', 'network', 'preprocessing', 'generator', 'latents', 'seeds', 'hardware', 'time']) expect(provenance).toContain(item);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'report.png'), fullPage: true });
  } finally {
    await browser.close();
  }
}, 240_000);

test('errors: not an .html output; psi without a generator', () => {
  const dir = tmpDir();
  expect(cli(['report', dir, dir, '-o', path.join(dir, 'r.pdf')]).stderr).toMatch(/--output: expected a file name ending in \.html/);
  expect(cli(['report', dir, dir, '-o', path.join(dir, 'r.html'), '--psi', '0.5']).stderr).toMatch(/--psi: the truncation sweep draws samples: give --generator too/);
});
