// The feature cache and temporary folders: interrupted runs clean up (SIGINT -> 130, SIGTERM ->
// 143), killed runs' leftovers are swept by the next run, corrupt entries are recomputed, an
// unwritable cache turns itself off with a warning, and onnxruntime leaves no log lines or files.
import * as fs from 'fs';
import * as path from 'path';
import { spawn, spawnSync } from 'child_process';
import sharp from 'sharp';
import { extractFeatureFiles } from '../lib/network/inception';
import { SHARED, cli, sharedFile, tmpDir } from './helpers';

const BIN = path.resolve(__dirname, '..', 'bin', 'genmetrics.js');
const TWIN = ['--model', 'inception-fid-twin'];

/** A scratch root holding the cache (GENMETRICS_CACHE_DIR) and the temporary folder (TMPDIR). */
function sandbox(): { root: string; cache: string; tmp: string; env: Record<string, string> } {
  sharedFile('models', 'inception-fid-twin.onnx');
  const root = tmpDir();
  const cache = path.join(root, 'cache');
  const tmp = path.join(root, 'tmp');
  fs.mkdirSync(tmp);
  return { root, cache, tmp, env: { GENMETRICS_MODEL_DIR: path.join(SHARED, 'models'), GENMETRICS_CACHE_DIR: cache, TMPDIR: tmp } };
}

async function images(count: number): Promise<string> {
  const dir = tmpDir();
  for (let k = 0; k < count; k++) {
    const buf = Buffer.alloc(8 * 8 * 3);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 31 + k * 17) % 256;
    await sharp(buf, { raw: { width: 8, height: 8, channels: 3 } }).png().toFile(path.join(dir, `${String(k).padStart(3, '0')}.png`));
  }
  return dir;
}

/** Every file and folder under `dir`, relative. */
function tree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) resolve();
      else if (Date.now() - t0 > ms) reject(new Error(`condition not met within ${ms} ms`));
      else setTimeout(tick, 50);
    };
    tick();
  });
}

describe('interrupted runs leave nothing behind', () => {
  let input: string;
  beforeAll(async () => {
    // 200 images through the full-size Inception twin one at a time: ~25 s, time to interrupt.
    input = await images(200);
  });

  test.each([
    ['SIGINT', 130, true],
    ['SIGTERM', 143, true],
    ['SIGINT', 130, false],
  ] as const)('%s (exit %i), cache %s', async (signal, code, cache) => {
    const box = sandbox();
    const args = [BIN, 'features', input, '-o', path.join(box.root, 'f.npy'), ...TWIN, '--batch-size', '1', '-q', ...(cache ? [] : ['--no-cache'])];
    const child = spawn(process.execPath, args, { env: { ...process.env, ...box.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    // Mid-run: the staging (or temporary) folder holds the partial .npy files.
    const staging = () => (cache ? tree(path.join(box.cache, 'features')) : tree(box.tmp)).some((f) => /\.pool3\.npy\.\d+\..*\.tmp$/.test(f));
    await waitFor(staging, 60000);
    expect(cache ? tree(box.cache).some((f) => /features\/[0-9a-f]{32}\.\d+\.tmp$/.test(f)) : tree(box.tmp).some((f) => /^genmetrics-features-\d+-/.test(f))).toBe(true);
    child.kill(signal);
    expect(await exited).toBe(code);
    expect(tree(path.join(box.cache, 'features'))).toEqual([]);
    expect(tree(box.tmp)).toEqual([]); // no genmetrics-features-*, no onnxruntime mat-debug-<pid>.log
    expect(fs.existsSync(path.join(box.root, 'f.npy'))).toBe(false);
    expect(stderr).not.toMatch(/onnxruntime/);
  });

  test('leftovers of killed runs (owner pid gone) are removed by the next run; live owners are kept', async () => {
    const box = sandbox();
    const features = path.join(box.cache, 'features');
    fs.mkdirSync(features, { recursive: true });
    // A pid that no longer runs: a finished child's.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout.trim();
    const staleEntry = path.join(features, `${'a'.repeat(32)}.${dead}.tmp`);
    const staleTemp = path.join(box.tmp, `genmetrics-features-${dead}-Xy12ab`);
    const liveEntry = path.join(features, `${'b'.repeat(32)}.${process.pid}.tmp`);
    for (const d of [staleEntry, staleTemp, liveEntry]) {
      fs.mkdirSync(d);
      fs.writeFileSync(path.join(d, 'pool3.npy'), 'partial');
    }
    const small = await images(3);
    const r = cli(['features', small, '-o', path.join(box.root, 'f.npy'), ...TWIN, '-q'], box.env);
    expect(r.code).toBe(0);
    expect(fs.existsSync(staleEntry)).toBe(false);
    expect(fs.existsSync(staleTemp)).toBe(false);
    expect(fs.existsSync(liveEntry)).toBe(true);
    expect(tree(box.tmp)).toEqual([]);
  });
});

describe('process-cleanup with an application\'s own signal handler', () => {
  test('temporary paths are removed and the application decides the exit', async () => {
    const dir = tmpDir();
    const script = `
      const fs = require('fs');
      const { registerTempPath } = require(${JSON.stringify(path.resolve(__dirname, '..', 'dist', 'process-cleanup'))});
      fs.mkdirSync(${JSON.stringify(path.join(dir, 'work'))});
      registerTempPath(${JSON.stringify(path.join(dir, 'work'))});
      process.on('SIGTERM', () => setTimeout(() => process.exit(7), 10));
      console.log('ready');
      setInterval(() => undefined, 1000);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    child.kill('SIGTERM');
    expect(await exited).toBe(7);
    expect(fs.existsSync(path.join(dir, 'work'))).toBe(false);
  });
});

describe('cache entries are verified', () => {
  test('a truncated or altered entry is detected, reported and recomputed', async () => {
    const box = sandbox();
    const input = await images(4);
    const run = (notices: string[]) =>
      withEnv(box.env, () => extractFeatureFiles(input, { model: 'inception-fid-twin', onNotice: (m) => notices.push(m) }));
    const first = await run([]);
    expect(first.cached).toBe(false);
    const good = fs.readFileSync(first.pool3);
    const manifest = JSON.parse(fs.readFileSync(path.join(path.dirname(first.pool3), 'manifest.json'), 'utf8'));
    expect(manifest.files['pool3.npy']).toEqual({ size: good.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const hit = await run([]);
    expect(hit.cached).toBe(true);

    // Truncated (a killed copy, a full disk): recomputed, not used.
    fs.truncateSync(first.pool3, good.length - 100);
    const notices: string[] = [];
    const again = await run(notices);
    expect(again.cached).toBe(false);
    expect(notices.join('\n')).toMatch(/feature cache entry .* is corrupt or incomplete \(pool3\.npy has \d+ bytes, expected \d+\); recomputing it/);
    expect(fs.readFileSync(again.pool3).equals(good)).toBe(true);

    // Same size, one value changed: the checksum catches it.
    const bytes = fs.readFileSync(first.logits);
    bytes[bytes.length - 1] ^= 0x55;
    fs.writeFileSync(first.logits, bytes);
    const notices2: string[] = [];
    const third = await run(notices2);
    expect(third.cached).toBe(false);
    expect(notices2.join('\n')).toMatch(/logits\.npy does not match its SHA-256 checksum/);

    // An entry without a manifest (older versions, or a half-written one) is not trusted either.
    fs.rmSync(path.join(path.dirname(first.pool3), 'manifest.json'));
    const notices4: string[] = [];
    const fourth = await run(notices4);
    expect(fourth.cached).toBe(false);
    expect(notices4.join('\n')).toMatch(/\(no manifest\.json: written by an older genmetrics, or never finished\); recomputing it/);
    expect((await run([])).cached).toBe(true);
  });

  test('an unwritable cache folder turns the cache off with a warning, and the run succeeds', async () => {
    const box = sandbox();
    const input = await images(3);
    // A regular file where the cache folder should be: not writable even for root.
    fs.writeFileSync(box.cache, 'not a folder');
    const warnings: string[] = [];
    const notices: string[] = [];
    const files = await withEnv(box.env, () =>
      extractFeatureFiles(input, { model: 'inception-fid-twin', onWarning: (m) => warnings.push(m), onNotice: (m) => notices.push(m) }),
    );
    expect(warnings).toEqual([expect.stringMatching(/feature cache .*cache\/features is not writable \(ENOTDIR\); running without the cache/)]);
    expect(notices).toEqual([]);
    expect(files.meta.count).toBe(3);
    // A private temporary folder instead (os.tmpdir(): jest's process.env does not reach it here).
    const dir = path.dirname(files.pool3);
    expect(path.basename(dir)).toMatch(new RegExp(`^genmetrics-features-${process.pid}-`));
    expect(fs.existsSync(files.pool3)).toBe(true);
    files.dispose();
    expect(fs.existsSync(dir)).toBe(false);

    const r = cli(['features', input, '-o', path.join(box.root, 'f.npy'), ...TWIN], box.env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/is not writable \(ENOTDIR\); running without the cache/);
  });
});

describe('onnxruntime stays quiet', () => {
  test('a normal run prints no onnxruntime log lines and leaves no mat-debug log', async () => {
    const box = sandbox();
    const input = await images(2);
    const r = cli(['features', input, '-o', path.join(box.root, 'f.npy'), ...TWIN, '-q'], box.env);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(tree(box.tmp)).toEqual([]);
  });

  test('an onnxruntime error is reported once, as our message, without its own log line', () => {
    const box = sandbox();
    // A 2 x 2 input is too small for LPIPS alex: onnxruntime fails in a Conv node.
    const script = `
      const { LpipsNetwork } = require(${JSON.stringify(path.resolve(__dirname, '..', 'dist', 'network', 'lpips'))});
      (async () => {
        const n = await LpipsNetwork.open({ model: 'lpips-alex-twin' });
        try { await n.distances(new Float32Array(12), new Float32Array(12), 1, 2, 2); } catch (e) { console.log('caught'); }
        await n.release();
      })();`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, ...box.env } });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('caught');
    expect(r.stderr).not.toMatch(/onnxruntime|ExecuteKernel/);
    expect(tree(box.tmp)).toEqual([]);
  });
});

/** Runs f with process.env extended by env (the cache and temporary folders are read from it). */
async function withEnv<T>(env: Record<string, string>, f: () => Promise<T>): Promise<T> {
  const saved: Record<string, string | undefined> = {};
  for (const k of Object.keys(env)) {
    saved[k] = process.env[k];
    process.env[k] = env[k];
  }
  try {
    return await f();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
