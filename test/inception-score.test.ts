import * as fs from 'fs';
import * as path from 'path';
import { LegacyRandomState } from '../lib/random/mt19937';
import { inceptionScore } from '../lib/metrics/inception-score';
import { inceptionScoreFromFile } from '../lib/inception-logits';
import { writeNpy } from '../lib/io/npy';
import { FIXTURES, cli, expectedMetrics, relErr, sharedFile, tmpDir } from './helpers';

const E = expectedMetrics();
const logitsFile = () => sharedFile('fixtures', 'metrics', 'logits_4000x1008.npy');

describe("NumPy's legacy RandomState", () => {
  const cases = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'rng_permutations.json'), 'utf8'));
  for (const c of cases) {
    test(`permutation(${c.n}) with seed ${c.seed} equals NumPy's`, () => {
      const p = new LegacyRandomState(c.seed).permutation(c.n);
      expect(Array.from(p.slice(0, 16))).toEqual(c.head);
      let s = 0n;
      for (let i = 0; i < p.length; i++) s += BigInt(i) * BigInt(p[i]);
      expect(s).toBe(BigInt(c.weighted_sum));
    });
  }
  test('rejects seeds NumPy rejects', () => {
    expect(() => new LegacyRandomState(-1)).toThrow(/seed must be an integer between 0 and 2\*\*32 - 1/);
    expect(() => new LegacyRandomState(2 ** 32)).toThrow(/seed/);
    expect(() => new LegacyRandomState(1.5)).toThrow(/seed/);
  });
});

describe('Inception Score against ../shared/fixtures/metrics/expected.json (1e-9 relative)', () => {
  test('isc_torch_fidelity: 10 splits, shuffled with RandomState(2020)', () => {
    const r = inceptionScoreFromFile(logitsFile());
    expect(relErr(r.mean, E.isc_torch_fidelity.inception_score_mean)).toBeLessThan(1e-9);
    expect(relErr(r.std, E.isc_torch_fidelity.inception_score_std)).toBeLessThan(1e-9);
    expect(r.perSplit).toHaveLength(10);
  });
  test('isc_no_shuffle: 10 splits in file order', () => {
    const r = inceptionScoreFromFile(logitsFile(), { shuffle: false });
    expect(relErr(r.mean, E.isc_no_shuffle.inception_score_mean)).toBeLessThan(1e-9);
    expect(relErr(r.std, E.isc_no_shuffle.inception_score_std)).toBeLessThan(1e-9);
  });
  test('one-hot-like logits over k equally used classes score k', () => {
    const k = 4, n = 40, c = 6;
    const x = new Float64Array(n * c).fill(-30); // p = e^-30 off the class: IS = k within 1e-10
    for (let i = 0; i < n; i++) x[i * c + (i % k)] = 0;
    const r = inceptionScore(x, n, c, { splits: 2, shuffle: false });
    expect(r.mean).toBeCloseTo(k, 8);
    expect(r.std).toBeCloseTo(0, 10);
  });
});

describe('genmetrics is', () => {
  test('--json prints inception_score {mean, std}', () => {
    const r = cli(['is', logitsFile(), '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(relErr(out.inception_score.mean, E.isc_torch_fidelity.inception_score_mean)).toBeLessThan(1e-9);
    expect(out.splits).toBe(10);
    expect(out.seed).toBe(2020);
  });

  const dir = tmpDir();
  const bad: Array<[string, () => string, RegExp]> = [
    ['a directory without images', () => dir, /no images found/],
    ['a missing file', () => path.join(dir, 'nope.npy'), /no such file/],
    ['a 1-D array', () => {
      const f = path.join(dir, 'flat.npy');
      writeNpy(f, { dtype: 'float32', shape: [20], data: new Float32Array(20) });
      return f;
    }, /expected a 2-D array of logits/],
    ['integer logits', () => {
      const f = path.join(dir, 'int.npy');
      writeNpy(f, { dtype: 'uint8', shape: [20, 3], data: new Uint8Array(60) });
      return f;
    }, /expected float32 or float64 logits, got uint8/],
    ['NaN logits', () => {
      const f = path.join(dir, 'nan.npy');
      const x = new Float32Array(60);
      x[31] = NaN;
      writeNpy(f, { dtype: 'float32', shape: [20, 3], data: x });
      return f;
    }, /non-finite value \(NaN or Inf\) at row 10, column 1/],
    ['fewer samples than splits', () => {
      const f = path.join(dir, 'few.npy');
      writeNpy(f, { dtype: 'float64', shape: [5, 3], data: new Float64Array(15) });
      return f;
    }, /5 samples cannot make 10 splits/],
  ];
  for (const [what, make, message] of bad) {
    test(`rejects ${what} with exit code 1`, () => {
      const file = make();
      const r = cli(['is', file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain(file);
      expect(r.stdout).toBe('');
    });
  }
  test('rejects --splits 0 with exit code 1', () => {
    const r = cli(['is', logitsFile(), '--splits', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--splits: expected an integer >= 1/);
  });
});
