import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync, spawn, spawnSync } from 'child_process';

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

/** Runs the built CLI (dist/) as a user would; `env` adds to the environment. */
export function cli(args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** cli() without blocking this process's event loop (for tests that serve HTTP to the CLI). */
export function cliAsync(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A copy of the repository's tracked files (as a clean clone has them) in a new temporary folder. */
export function copyCheckout(): string {
  const root = path.join(__dirname, '..');
  const copy = path.join(tmpDir(), 'genmetrics');
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    if (!fs.existsSync(path.join(root, f))) continue;
    fs.mkdirSync(path.dirname(path.join(copy, f)), { recursive: true });
    fs.copyFileSync(path.join(root, f), path.join(copy, f));
  }
  return copy;
}

/** A reporter that keeps the warnings (tests assert them instead of letting Node print them). */
export function collectingReporter(): { reporter: import('../lib/commands/descriptor').Reporter; warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    reporter: { warn: (m) => warnings.push(m), notice: () => undefined, progress: () => ({ update: () => undefined, stop: () => undefined }) },
  };
}

/** The Inception twin and an environment that finds it by name, with a private feature cache. */
export function networkEnv(): { GENMETRICS_MODEL_DIR: string; GENMETRICS_CACHE_DIR: string } {
  sharedFile('models', 'inception-fid-twin.onnx');
  return { GENMETRICS_MODEL_DIR: path.join(SHARED, 'models'), GENMETRICS_CACHE_DIR: tmpDir() };
}

/** The fixture images listed in reference/inception.json, in that (sorted) order. */
export function referenceImages(): string[] {
  const info = JSON.parse(fs.readFileSync(sharedFile('fixtures', 'reference', 'inception.json'), 'utf8'));
  return info.images as string[];
}

/** A temporary folder holding symlinks to the named fixture images. */
export function imageFolder(names: string[]): string {
  const dir = tmpDir();
  for (const n of names) fs.symlinkSync(sharedFile('fixtures', 'images', n), path.join(dir, n));
  return dir;
}

/** max |a - b| / max |b| over one row of `cols` values. */
export function rowRelErr(a: ArrayLike<number>, b: ArrayLike<number>, row: number, cols: number): number {
  let m = 0;
  let mx = 0;
  for (let j = row * cols; j < (row + 1) * cols; j++) {
    m = Math.max(m, Math.abs(a[j] - b[j]));
    mx = Math.max(mx, Math.abs(b[j]));
  }
  return m / mx;
}
