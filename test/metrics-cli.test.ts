// kid, prdc and all from the command line: values, output shape, and input errors.
import * as fs from 'fs';
import * as path from 'path';
import { writeNpy } from '../lib/io/npy';
import { FIXTURES, cli, expectedMetrics, imageFolder, networkEnv, referenceImages, relErr, sharedFile, tmpDir } from './helpers';

const E = expectedMetrics();
const KREF = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'kid_reference.json'), 'utf8'));
const FAKE = () => sharedFile('fixtures', 'metrics', 'fake_3000x2048.npy');
const REAL = () => sharedFile('fixtures', 'metrics', 'real_3000x2048.npy');
const SMALL_KID = ['--subsets', '10', '--subset-size', '500', '--seed', '7'];

function ok(args: string[], env: Record<string, string> = {}): any {
  const r = cli([...args, '--json'], env);
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('kid / prdc / all on features (.npy)', () => {
  test('kid --json: torch-fidelity values and settings (--precision float64: 1e-9; the float32 default: 1e-6)', () => {
    const r = ok(['kid', FAKE(), REAL(), ...SMALL_KID, '--precision', 'float64']);
    expect(relErr(r.kid.mean, KREF.poly_s10_m500_seed7.mean)).toBeLessThan(1e-9);
    expect(relErr(r.kid.std, KREF.poly_s10_m500_seed7.std)).toBeLessThan(1e-9);
    const f32 = ok(['kid', FAKE(), REAL(), ...SMALL_KID]);
    expect(relErr(f32.kid.mean, KREF.poly_s10_m500_seed7.mean)).toBeLessThan(1e-6);
    expect(relErr(f32.kid.std, KREF.poly_s10_m500_seed7.std)).toBeLessThan(1e-6);
    expect(r).toMatchObject({ subsets: 10, subset_size: 500, seed: 7, estimator: 'unbiased', kernel: { kernel: 'poly', degree: 3, gamma: 1 / 2048, coef0: 1 } });
    expect(r.inputs.map((i: { kind: string }) => i.kind)).toEqual(['features', 'features']);
  });

  test('kid --full: the deterministic full-set MMD²', () => {
    const r = ok(['kid', FAKE(), REAL(), '--full', '--precision', 'float64']);
    expect(relErr(r.mmd2, E.mmd2_poly_full_unbiased)).toBeLessThan(1e-9);
    const b = ok(['kid', FAKE(), REAL(), '--full', '--estimator', 'biased']);
    expect(relErr(b.mmd2, KREF.full.biased)).toBeLessThan(1e-6);
  });

  test('prdc --json: the four metrics, F-score and the conventions used', () => {
    const r = ok(['prdc', FAKE(), REAL()]);
    expect(Math.fround(r.precision)).toBe(E.prc_torch_fidelity_k3.precision);
    expect(Math.fround(r.recall)).toBe(E.prc_torch_fidelity_k3.recall);
    expect(r.density).toBeCloseTo(E.prdc_k5.density, 13);
    expect(r.coverage).toBe(E.prdc_k5.coverage);
    expect(r.f_score).toBeCloseTo((2 * r.precision * r.recall) / (r.precision + r.recall), 14);
    expect(r.conventions).toEqual({ precision_recall: { k: 3, test: '<=' }, density_coverage: { k: 5, test: '<' } });
    const k5 = ok(['prdc', FAKE(), REAL(), '--k', '5', '--pr-test', 'lt']);
    expect([k5.precision, k5.recall]).toEqual([E.prdc_k5.precision, E.prdc_k5.recall]);
  });

  test('prdc prints a readable table without --json', () => {
    const r = cli(['prdc', FAKE(), REAL()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Precision: 0\.98033\d+ {2}\(k=3, d <= r\)\nRecall: {4}0\.345 {2}\(k=3, d <= r\)\nF-score: .*\nDensity: {3}3\.70226\d+ {2}\(k=5, d < r\)\nCoverage: {2}0\.794 {2}\(k=5, d < r\)\n$/);
  });

  test('all --json: FID, KID, P/R/D/C in one object (no IS for features)', () => {
    const r = ok(['all', FAKE(), REAL(), ...SMALL_KID]);
    expect(relErr(r.fid, E.fid.pytorch_fid)).toBeLessThan(1e-6);
    expect(relErr(r.kid.mean, KREF.poly_s10_m500_seed7.mean)).toBeLessThan(1e-6);
    expect(Math.fround(r.precision)).toBe(E.prc_torch_fidelity_k3.precision);
    expect(r.coverage).toBe(E.prdc_k5.coverage);
    expect(r.inception_score).toBeUndefined();
  });
});

describe('all on images (Inception twin): one feature pass, same numbers as the single commands', () => {
  const env = networkEnv();
  const dirA = imageFolder(referenceImages().slice(0, 8));
  const dirB = imageFolder(referenceImages().slice(8, 16));
  const net = ['--model', 'inception-fid-twin'];
  const small = ['--subsets', '3', '--subset-size', '6', '--k', '2'];

  test('all includes the Inception Score of A and agrees with fid, kid, prdc and is', () => {
    const all = ok(['all', dirA, dirB, ...net, ...small, '--splits', '4'], env);
    const fid = ok(['fid', dirA, dirB, ...net], env);
    const kid = ok(['kid', dirA, dirB, ...net, ...small.slice(0, 4)], env);
    const pr = ok(['prdc', dirA, dirB, ...net, '--k', '2'], env);
    const is = ok(['is', dirA, ...net, '--splits', '4', '--seed', '2020'], env);
    expect(all.fid).toBeCloseTo(fid.fid, 9);
    expect(all.kid).toEqual(kid.kid);
    for (const key of ['precision', 'recall', 'density', 'coverage', 'f_score']) expect(all[key]).toBe(pr[key]);
    expect(all.inception_score.mean).toBeCloseTo(is.inception_score.mean, 12);
    expect(all.inputs.map((i: { kind: string; preprocessing: { mode: string } }) => [i.kind, i.preprocessing.mode])).toEqual([
      ['images', 'legacy-tensorflow'],
      ['images', 'legacy-tensorflow'],
    ]);
  });

  test('default KID subsets on 8 images: the error says which set and what to pass', () => {
    const r = cli(['kid', dirA, dirB, ...net], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${dirA}: KID subset size 1000 is larger than its 8 samples`);
    expect(r.stderr).toContain('--subset-size');
  });
});

describe('kid / prdc / all: bad input', () => {
  const dir = tmpDir();
  const a = path.join(dir, 'a.npy');
  const b = path.join(dir, 'b.npy');
  const nan = path.join(dir, 'nan.npy');
  writeNpy(a, { dtype: 'float32', shape: [20, 4], data: Float32Array.from({ length: 80 }, (_, i) => Math.sin(i)) });
  writeNpy(b, { dtype: 'float32', shape: [20, 3], data: Float32Array.from({ length: 60 }, (_, i) => Math.cos(i)) });
  const bad = Float32Array.from({ length: 80 }, (_, i) => i);
  bad[45] = Infinity;
  writeNpy(nan, { dtype: 'float32', shape: [20, 4], data: bad });

  test('statistics files are refused for metrics that need samples, naming the file', () => {
    const stats = sharedFile('fixtures', 'metrics', 'real_stats_512d.npz');
    for (const cmd of ['kid', 'prdc', 'all']) {
      const r = cli([cmd, a, stats]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${stats}: a statistics file (mu, sigma) holds no samples`);
      expect(r.stderr).toContain('only FID works from statistics');
    }
  });

  test('mismatched dimensions, NaN/Inf, too few samples, bad options', () => {
    let r = cli(['prdc', a, b]);
    expect([r.code, r.stderr]).toEqual([1, expect.stringContaining(`dimension mismatch: ${a} is 4-d, ${b} is 3-d`)]);
    r = cli(['kid', a, nan, '--subset-size', '5']);
    expect([r.code, r.stderr]).toEqual([1, expect.stringContaining(`${nan}: non-finite value (NaN or Inf) at row 11, column 1`)]);
    r = cli(['prdc', a, a, '--k', '20']);
    expect([r.code, r.stderr]).toEqual([1, expect.stringContaining(`${a}: precision/recall with k = 20 needs at least 21 samples, got 20`)]);
    r = cli(['prdc', a, a, '--pr-test', '=>']);
    expect([r.code, r.stderr]).toEqual([1, expect.stringContaining("--pr-test: expected '<=' (le) or '<' (lt), got '=>'")]);
    r = cli(['kid', a, a, '--kernel', 'linear']);
    expect([r.code, r.stderr]).toEqual([1, expect.stringContaining("--kernel: expected poly or rbf, got 'linear'")]);
    r = cli(['kid', a, a, '--subset-size', '5', '--estimator', 'u-statistic', '--full']);
    expect(r.code).toBe(0);
    r = cli(['kid', a, path.join(dir, 'missing.npy')]);
    expect([r.code, r.stderr]).toEqual([1, expect.stringContaining('missing.npy')]);
  });
});
