import * as fs from 'fs';
import * as path from 'path';
import { readNpz } from '../lib/io/npz';
import { writeNpy } from '../lib/io/npy';
import { cli, expectedMetrics, FIXTURES, relErr, sharedFile, tmpDir } from './helpers';

const metrics = (name: string) => sharedFile('fixtures', 'metrics', name);
const fx = (name: string) => path.join(FIXTURES, name);

function features(dir: string, name: string, n: number, d: number, fill: (i: number) => number = (i) => ((i * 7919) % 101) / 10) {
  const data = new Float32Array(n * d).map((_, i) => fill(i));
  const p = path.join(dir, name);
  writeNpy(p, { dtype: 'float32', shape: [n, d], data });
  return p;
}

/** No output and no temporary file left behind in `dir` besides `keep`. */
function expectOnly(dir: string, keep: string[]) {
  expect(fs.readdirSync(dir).sort()).toEqual([...keep].sort());
}

describe('genmetrics fid', () => {
  test('--json prints one object keyed by metric; text mode prints FID', () => {
    const E = expectedMetrics();
    const r = cli(['fid', metrics('real_3000x2048.npy'), metrics('fake_3000x2048.npy'), '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(relErr(out.fid, E.fid.eigh_float64)).toBeLessThan(1e-6);
    expect(out.inputs[0]).toMatchObject({ kind: 'features', count: 3000, dims: 2048 });
    const t = cli(['fid', fx('stats_6d_savez.npz'), fx('stats_6d_compressed.npz'), '-q']);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/^FID: -?\d/);
  });

  test('stats files written by `stats` and `stats merge --partial` give the same FID as the features', () => {
    const dir = tmpDir();
    const full = path.join(dir, 'real.npz');
    expect(cli(['stats', metrics('real_3000x2048.npy'), '-o', full, '-q']).code).toBe(0);
    expect([...readNpz(full).keys()].sort()).toEqual(['mu', 'n', 'sigma']);
    const part = path.join(dir, 'real.partial.npz');
    expect(cli(['stats', metrics('real_3000x2048.npy'), '-o', part, '--partial', '-q']).code).toBe(0);
    const merged = path.join(dir, 'merged.npz');
    expect(cli(['stats', 'merge', part, '-o', merged, '-q']).code).toBe(0);
    const a = JSON.parse(cli(['fid', full, metrics('fake_3000x2048.npy'), '--json']).stdout).fid;
    const b = JSON.parse(cli(['fid', merged, metrics('fake_3000x2048.npy'), '--json']).stdout).fid;
    const c = JSON.parse(cli(['fid', part, metrics('fake_3000x2048.npy'), '--json']).stdout).fid;
    expect(relErr(b, a)).toBeLessThan(1e-12);
    expect(relErr(c, a)).toBeLessThan(1e-12);
  });

  test('merging shards from separate runs equals one pass', () => {
    const dir = tmpDir();
    const fill = (i: number) => Math.sin(i * 0.37) * 2 + (i % 13) * 0.1;
    const all = features(dir, 'all.npy', 90, 12, fill);
    const a = features(dir, 'a.npy', 35, 12, fill);
    const b = features(dir, 'b.npy', 55, 12, (i) => fill(i + 35 * 12));
    for (const [src, out] of [
      [a, 'a.part.npz'],
      [b, 'b.part.npz'],
    ]) {
      expect(cli(['stats', src, '-o', path.join(dir, out), '--partial', '-q']).code).toBe(0);
    }
    expect(cli(['stats', 'merge', path.join(dir, 'b.part.npz'), path.join(dir, 'a.part.npz'), '-o', path.join(dir, 'm.npz'), '-q']).code).toBe(0);
    expect(cli(['stats', all, '-o', path.join(dir, 'one.npz'), '-q']).code).toBe(0);
    const m = readNpz(path.join(dir, 'm.npz'));
    const o = readNpz(path.join(dir, 'one.npz'));
    const ms = m.get('sigma')!.data as Float64Array;
    const os = o.get('sigma')!.data as Float64Array;
    const scale = Math.max(...os.map(Math.abs));
    expect(Math.max(...ms.map((v, i) => Math.abs(v - os[i]))) / scale).toBeLessThan(1e-12);
    expect(Number(m.get('n')!.data[0])).toBe(90);
  });
});

describe('bad input: clear message, exit code 1, nothing written', () => {
  const dir = tmpDir();

  const cases: Array<[string, () => string[], RegExp]> = [
    ['missing file', () => ['fid', path.join(dir, 'nope.npy'), fx('features_40x6.npy')], /nope\.npy: no such file or directory/],
    [
      'truncated file',
      () => {
        const p = path.join(dir, 'trunc.npy');
        const b = fs.readFileSync(fx('features_40x6.npy'));
        fs.writeFileSync(p, b.subarray(0, 500));
        return ['fid', p, fx('features_40x6.npy')];
      },
      /trunc\.npy: truncated: shape \(40, 6\) needs 960 bytes/,
    ],
    ['unreadable (not numpy)', () => {
      const p = path.join(dir, 'text.npy');
      fs.writeFileSync(p, 'not an array');
      return ['fid', p, fx('features_40x6.npy')];
    }, /text\.npy: not a \.npy file/],
    ['wrong dtype', () => {
      const p = path.join(dir, 'bytes.npy');
      writeNpy(p, { dtype: 'uint8', shape: [3, 2], data: Uint8Array.of(1, 2, 3, 4, 5, 6) });
      return ['fid', p, fx('features_40x6.npy')];
    }, /bytes\.npy: expected float32 or float64 features, got uint8/],
    ['integer features', () => {
      const p = path.join(dir, 'ints.npy');
      writeNpy(p, { dtype: 'int32', shape: [3, 2], data: Int32Array.of(1, 2, 3, 4, 5, 6) });
      return ['fid', p, fx('features_40x6.npy')];
    }, /ints\.npy: expected float32 or float64 features, got int32/],
    ['wrong shape', () => ['fid', fx('f4_4x2x3.npy'), fx('features_40x6.npy')], /f4_4x2x3\.npy: expected a 2-D array \(samples x features\), got shape \(4, 2, 3\)/],
    ['NaN in features', () => ['fid', features(dir, 'nan.npy', 5, 3, (i) => (i === 7 ? NaN : i)), fx('features_40x6.npy')], /nan\.npy: non-finite value \(NaN or Inf\) at row 2, column 1/],
    ['Inf in statistics', () => {
      const p = path.join(dir, 'inf.npz');
      fs.copyFileSync(fx('stats_6d_savez.npz'), p);
      return ['fid', features(dir, 'inf_feats.npy', 4, 3, (i) => (i === 0 ? Infinity : i)), p];
    }, /inf_feats\.npy: non-finite value \(NaN or Inf\) at row 0, column 0/],
    ['dimension mismatch', () => ['fid', fx('features_40x6.npy'), metrics('real_stats_512d.npz')], /dimension mismatch: .*features_40x6\.npy is 6-d, .*real_stats_512d\.npz is 512-d/],
    ['npz without mu/sigma', () => ['fid', fx('wrong_keys.npz'), fx('stats_6d_savez.npz')], /wrong_keys\.npz: expected statistics with keys 'mu' and 'sigma' .*found keys: mean, cov/],
    ['fewer than 2 samples', () => ['fid', features(dir, 'one.npy', 1, 6), fx('features_40x6.npy')], /one\.npy: need at least 2 samples to estimate a covariance, got 1/],
    ['directory without images', () => ['fid', dir, fx('features_40x6.npy')], /: no images found \(looked recursively for \.png/],
    ['unsupported extension', () => ['fid', fx('features_40x6.json'), fx('features_40x6.npy')], /features_40x6\.json: unsupported input type '\.json'/],
    ['merging finished statistics', () => ['stats', 'merge', fx('stats_6d_savez.npz'), '-o', path.join(dir, 'never.npz')], /holds finished statistics \(mu, sigma\), which cannot be merged/],
    ['bad --threads', () => ['fid', fx('features_40x6.npy'), fx('features_40x6.npy'), '--threads', 'x'], /--threads: expected a positive integer, got 'x'/],
  ];

  test.each(cases)('%s', (_name, args, message) => {
    const r = cli(args());
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/^genmetrics: error: /m);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
  });

  test('a failing `stats` leaves no output or temporary file', () => {
    const d = tmpDir();
    const bad = features(d, 'bad.npy', 6, 3, (i) => (i === 16 ? NaN : i));
    const r = cli(['stats', bad, '-o', path.join(d, 'out.npz')]);
    expect(r.code).toBe(1);
    expectOnly(d, ['bad.npy']);
    // writing into a directory that does not exist fails cleanly too
    const r2 = cli(['stats', fx('features_40x6.npy'), '-o', path.join(d, 'missing', 'out.npz')]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/ENOENT/);
  });

  test('N < D prints a warning but still computes', () => {
    const d = tmpDir();
    const small = features(d, 'small.npy', 4, 6, (i) => Math.cos(i));
    const r = cli(['fid', small, fx('features_40x6.npy'), '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: .*small\.npy: 4 samples < 6 dimensions/);
    expect(Number.isFinite(JSON.parse(r.stdout).fid)).toBe(true);
  });

  test('usage errors exit 2', () => {
    expect(cli(['fid', 'only-one']).code).toBe(2);
    expect(cli(['no-such-command']).code).toBe(2);
  });
});
