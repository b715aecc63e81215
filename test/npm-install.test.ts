/**
 * `npm install` in a fresh copy of the repository (the README's install step, as CI runs it)
 * prints no npm warning: no unknown project config, no install scripts left unreviewed by
 * `allowScripts`, no engine mismatch. Downloads from the npm registry (its cache when warm) and
 * builds what a clean clone builds, so it takes a few minutes in its own jest worker.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { copyCheckout } from './helpers';

const ROOT = path.join(__dirname, '..');

test('npm install on a clean copy prints no npm warnings', () => {
  const copy = copyCheckout();
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: copy, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, npm_config_update_notifier: 'false' } });
  const output = `${r.stdout}\n${r.stderr}`;
  expect(r.status).toBe(0);
  expect(output.split('\n').filter((l) => /^npm (warn|WARN)/.test(l))).toEqual([]);
  // The install built (or found) the addon and compiled the TypeScript.
  expect(fs.existsSync(path.join(copy, 'dist', 'index.js'))).toBe(true);
  expect(spawnSync(process.execPath, [path.join(copy, 'bin', 'genmetrics.js'), '--version'], { encoding: 'utf8' }).stdout.trim()).toBe(
    JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
  );
}, 1_200_000);
