import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';

/** ../shared next to the repository: fixtures are required; a missing one fails the test loudly. */
export const SHARED = path.resolve(__dirname, '..', '..', 'shared');
export const FIXTURES = path.join(__dirname, 'fixtures');

export function sharedFile(...parts: string[]): string {
  const p = path.join(SHARED, ...parts);
  if (!fs.existsSync(p)) throw new Error(`required fixture missing: ${p} (CI checks out shared/ beside the repo)`);
  return p;
}

export function expectedMetrics(): Record<string, any> {
  return JSON.parse(fs.readFileSync(sharedFile('fixtures', 'metrics', 'expected.json'), 'utf8'));
}

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'genmetrics-test-'));
}

export function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.abs(b);
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const BIN = path.resolve(__dirname, '..', 'bin', 'genmetrics.js');

/** Runs the built CLI (dist/) as a user would. */
export function cli(args: string[]): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
