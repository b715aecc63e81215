// The README's Node API example runs as written (with 'genmetrics' resolved to this build).
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';

const README = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

test('the Node API example in the README runs and prints what it says', () => {
  const section = README.slice(README.indexOf('## Node API'));
  const block = /```js\n([\s\S]*?)```/.exec(section);
  expect(block).not.toBeNull();
  const code = block![1].replace("require('genmetrics')", `require(${JSON.stringify(path.join(__dirname, '..', 'dist'))})`);
  const r = spawnSync(process.execPath, ['-e', code], { cwd: path.join(__dirname, '..'), encoding: 'utf8', env: { ...process.env, GENMETRICS_MODEL_DIR: path.join(__dirname, '..', '..', 'shared', 'models') } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^\d+\.\d+ cholesky 3000$/);
  expect(lines[1]).toMatch(/^-?\d\.\d+(e-\d+)? \d\.\d+(e-\d+)?$/);
  expect(Number(lines[2])).toBeGreaterThan(1);
  expect(lines[3].split(' ').map(Number).every((v) => v >= 0)).toBe(true);
  expect(lines[4]).toBe('fid stats stats merge is kid prdc all ppl truncation memorization report vendi mifid authpct c2st fd-inf cmmd ndb prd realism parzen ct birthday lpips ssim ms-ssim psnr hype diversity cluster vae encode params disentanglement probe features generate grid interpolate traverse models list models install');
  expect(lines.slice(5).join('\n')).toContain("key: 'subsets'");
});
