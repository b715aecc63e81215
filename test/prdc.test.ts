import * as fs from 'fs';
import * as path from 'path';
import { featureMatrix, readFeatureMatrix } from '../lib/features';
import { prdc } from '../lib/metrics/prdc';
import { FIXTURES, expectedMetrics, relErr, sharedFile } from './helpers';

const E = expectedMetrics();
const REF = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'prdc_reference.json'), 'utf8'));

// Precision, recall and coverage are fractions of the sample counts and must match exactly;
// torch-fidelity reports float32 (`.float().mean()`), so its values are compared after Math.fround.
describe('precision/recall/density/coverage against ../shared/fixtures/metrics/expected.json (exact)', () => {
  test('3000 vs 3000, 2048-d: torch-fidelity k=3 (<=) and prdc k=5 (<)', async () => {
    const fake = readFeatureMatrix(sharedFile('fixtures', 'metrics', 'fake_3000x2048.npy'));
    const real = readFeatureMatrix(sharedFile('fixtures', 'metrics', 'real_3000x2048.npy'));
    const r = await prdc(fake, real, { tile: 384 });
    expect(Math.fround(r.precision)).toBe(E.prc_torch_fidelity_k3.precision);
    expect(Math.fround(r.recall)).toBe(E.prc_torch_fidelity_k3.recall);
    expect(r.precision * 3000).toBeCloseTo(Math.round(r.precision * 3000), 9);
    expect(relErr(r.fScore, REF.shared_k3.f_score)).toBeLessThan(1e-6); // torch-fidelity's F from float32 P, R
    const p5 = await prdc(fake, real, { precisionRecall: { k: 5, test: '<' } });
    expect(p5.precision).toBe(E.prdc_k5.precision);
    expect(p5.recall).toBe(E.prdc_k5.recall);
    expect(r.density).toBeCloseTo(E.prdc_k5.density, 13);
    expect(r.coverage).toBe(E.prdc_k5.coverage);
    expect(r.conventions).toEqual({ precisionRecall: { k: 3, test: '<=' }, densityCoverage: { k: 5, test: '<' } });
  });
});

describe('exact distance ties (integer lattice, duplicates): torch-fidelity and prdc run on test/fixtures/ties_*.npy', () => {
  const real = readFeatureMatrix(path.join(FIXTURES, 'ties_real_60x3.npy'));
  const fake = readFeatureMatrix(path.join(FIXTURES, 'ties_fake_50x3.npy'));
  for (const k of [1, 2, 3, 5]) {
    test(`k = ${k}: '<=' equals torch-fidelity, '<' equals prdc`, async () => {
      const tf = REF.ties[k].torch_fidelity;
      const pd = REF.ties[k].prdc;
      const le = await prdc(fake, real, { precisionRecall: { k, test: '<=' }, densityCoverage: { k, test: '<' }, tile: 7 });
      expect(Math.fround(le.precision)).toBe(tf.precision);
      expect(Math.fround(le.recall)).toBe(tf.recall);
      const lt = await prdc(fake, real, { precisionRecall: { k, test: '<' }, densityCoverage: { k, test: '<' }, tile: 16, threads: 1 });
      expect(lt.precision).toBe(pd.precision);
      expect(lt.recall).toBe(pd.recall);
      expect(relErr(lt.density, pd.density)).toBeLessThan(1e-14);
      expect(le.coverage).toBe(pd.coverage);
    });
  }
  test('the tests differ on ties (the convention matters here)', () => {
    expect(REF.ties[1].torch_fidelity.precision).not.toBeCloseTo(REF.ties[1].prdc.precision, 2);
  });
  test('a set against itself', async () => {
    const le = await prdc(real, real, { precisionRecall: { k: 3, test: '<=' } });
    const lt = await prdc(real, real, { precisionRecall: { k: 3, test: '<' }, densityCoverage: { k: 3, test: '<' } });
    expect([le.precision, le.recall]).toEqual([REF.same_set_k3.torch_fidelity.precision, REF.same_set_k3.torch_fidelity.recall]);
    expect([lt.precision, lt.recall, lt.coverage]).toEqual([REF.same_set_k3.prdc.precision, REF.same_set_k3.prdc.recall, REF.same_set_k3.prdc.coverage]);
    expect(relErr(lt.density, REF.same_set_k3.prdc.density)).toBeLessThan(1e-14);
  });
});

describe('precision/recall input errors', () => {
  const a = featureMatrix(new Float64Array(12), 4, 'a.npy');
  test('too few samples for k names the set and the metric', async () => {
    await expect(prdc(a, a)).rejects.toThrow(/a\.npy: density\/coverage with k = 5 needs at least 6 samples, got 4/);
    await expect(prdc(a, a, { precisionRecall: { k: 0, test: '<=' } })).rejects.toThrow(/k must be a positive integer/);
  });
  test('different dimensions', async () => {
    await expect(prdc(a, featureMatrix(new Float64Array(12), 6, 'b.npy'), { precisionRecall: { k: 1, test: '<' } })).rejects.toThrow(
      /dimension mismatch: a\.npy is 3-d, b\.npy is 2-d/,
    );
  });
});
