import * as fs from 'fs';
import * as path from 'path';
import { cli, imageFolder, networkEnv, referenceImages, sharedFile, tmpDir } from './helpers';

const TWIN = ['--model', 'inception-fid-twin'];
const SMALL = referenceImages().slice(0, 4);

function json(stdout: string): any {
  return JSON.parse(stdout);
}

describe('images from the CLI: bad input', () => {
  const env = networkEnv();

  test('an empty folder is refused, naming it', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not an image');
    const r = cli(['fid', dir, dir, ...TWIN], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${dir}: no images found`);
  });

  test('a corrupt PNG stops the run with its path; --skip-bad lists it and goes on', () => {
    const dir = imageFolder(SMALL);
    const bad = path.join(dir, 'zz_corrupt.png');
    fs.writeFileSync(bad, Buffer.concat([fs.readFileSync(path.join(dir, SMALL[0])).subarray(0, 60), Buffer.from('garbage')]));
    const out = path.join(tmpDir(), 'f.npy');
    const r = cli(['features', dir, '-o', out, ...TWIN, '--no-cache'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(bad);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(path.dirname(out))).toEqual([]);
    const s = cli(['features', dir, '-o', out, ...TWIN, '--skip-bad', '--json'], env);
    expect(s.code).toBe(0);
    const res = json(s.stdout);
    expect(res.count).toBe(SMALL.length);
    expect(res.images).toBe(SMALL.length + 1);
    expect(res.skipped.map((x: { name: string }) => x.name)).toEqual([bad]);
    expect(s.stderr).toContain('skipped 1 undecodable image');
  });

  test('a truncated JPEG is an error, not a half-decoded image', () => {
    const dir = tmpDir();
    const jpg = fs.readFileSync(sharedFile('fixtures', 'images', 'img11_256x256_RGB.jpg'));
    fs.writeFileSync(path.join(dir, 'cut.jpg'), jpg.subarray(0, Math.floor(jpg.length / 2)));
    const r = cli(['is', dir, ...TWIN, '--splits', '1'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(path.join(dir, 'cut.jpg'));
  });

  test('a missing model names the directories searched and how to get it', () => {
    const r = cli(['fid', imageFolder(SMALL), imageFolder(SMALL)], { ...env, GENMETRICS_MODEL_DIR: tmpDir() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/model 'inception-v3-fid' \(inception-v3-fid\.onnx\) not found in/);
    expect(r.stderr).toContain('export_onnx.py');
  });

  test('a model file with the wrong checksum is refused', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'inception-fid-twin.onnx'), 'not the twin');
    const r = cli(['stats', imageFolder(SMALL), '-o', path.join(dir, 's.npz'), ...TWIN], { ...env, GENMETRICS_MODEL_DIR: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/SHA-256 mismatch for model 'inception-fid-twin': expected 7a6611883c56/);
    expect(fs.existsSync(path.join(dir, 's.npz'))).toBe(false);
  });

  test('a network without the Inception interface is refused', () => {
    const r = cli(['features', imageFolder(SMALL), '-o', path.join(tmpDir(), 'f.npy'), '--model', sharedFile('models', 'lpips-alex-twin.onnx')], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not an FID Inception model/);
  });

  test('features of different modes are never mixed', () => {
    const dir = tmpDir();
    const imgs = imageFolder(SMALL);
    const feats = path.join(dir, 'clean.npy');
    expect(cli(['features', imgs, '-o', feats, '--mode', 'clean', ...TWIN], env).code).toBe(0);
    expect(json(fs.readFileSync(`${feats}.json`, 'utf8')).mode).toBe('clean');
    const r = cli(['fid', feats, imgs, '--mode', 'legacy-pytorch', ...TWIN], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`mixed preprocessing modes: ${feats} was made with 'clean', ${imgs} with 'legacy-pytorch'`);
    const stats = path.join(dir, 'tf.npz');
    expect(cli(['stats', imgs, '-o', stats, ...TWIN], env).code).toBe(0);
    const s = cli(['fid', feats, stats], env);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/mixed preprocessing modes: .* 'clean', .* 'legacy-tensorflow'/);
  });

  test('bad options: unknown mode, device, batch size', () => {
    const imgs = imageFolder(SMALL);
    expect(cli(['is', imgs, '--mode', 'bilinear', ...TWIN], env).stderr).toMatch(/--mode: expected one of legacy-pytorch, legacy-tensorflow, clean/);
    expect(cli(['is', imgs, '--device', 'tpu', ...TWIN], env).stderr).toMatch(/--device: expected auto, cpu or cuda/);
    expect(cli(['is', imgs, '--batch-size', '0', ...TWIN], env).stderr).toMatch(/--batch-size: expected an integer >= 1/);
  });

  test('--device cuda without the CUDA provider fails with how to install it; auto falls back to the CPU', () => {
    const imgs = imageFolder(SMALL);
    const r = cli(['is', imgs, '--device', 'cuda', '--splits', '1', '--no-cache', ...TWIN], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--device cuda: cannot create a CUDA session .*ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js/);
    const a = cli(['features', imgs, '-o', path.join(tmpDir(), 'f.npy'), '--no-cache', '--json', ...TWIN], env);
    expect(a.code).toBe(0);
    expect(json(a.stdout).device).toBe('cpu');
  });
});

describe('feature cache', () => {
  test('a second run on unchanged images is served from the cache; a changed file or --no-cache is not', () => {
    const env = networkEnv();
    const imgs = imageFolder(SMALL);
    const out = path.join(tmpDir(), 'f.npy');
    const run = (...extra: string[]) => json(cli(['features', imgs, '-o', out, '--json', ...TWIN, ...extra], env).stdout);
    const first = run();
    expect(first.cached).toBe(false);
    const firstBytes = fs.readFileSync(out);
    const second = run();
    expect(second.cached).toBe(true);
    expect(fs.readFileSync(out).equals(firstBytes)).toBe(true);
    expect(run('--mode', 'clean').cached).toBe(false);
    expect(run('--no-cache').cached).toBe(false);
    // Replace one image by another: the fingerprint (size, mtime) changes.
    const target = path.join(imgs, SMALL[0]);
    fs.unlinkSync(target);
    fs.copyFileSync(sharedFile('fixtures', 'images', 'img05_32x32_RGB.png'), target);
    const changed = run();
    expect(changed.cached).toBe(false);
    expect(fs.readFileSync(out).equals(firstBytes)).toBe(false);
  });
});
