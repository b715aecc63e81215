import * as fs from 'fs';
import * as path from 'path';
import { readNpy } from '../lib/io/npy';
import { clusteringScores, mutualInfo, contingency } from '../lib/metrics/clustering';
import { FIXTURES, expectedMetrics, sharedFile } from './helpers';

const REF = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'clustering_reference.json'), 'utf8'));
const KEYS = ['homogeneity', 'completeness', 'v_measure', 'adjusted_rand', 'normalized_mutual_info', 'adjusted_mutual_info'] as const;

describe('clustering scores (scikit-learn 1.2 definitions)', () => {
  test('the shared fixture labels within 1e-12', () => {
    const want = expectedMetrics().clustering;
    const t = readNpy(sharedFile('fixtures', 'metrics', 'labels_true.npy')).data as Int32Array;
    const p = readNpy(sharedFile('fixtures', 'metrics', 'labels_pred.npy')).data as Int32Array;
    const got = clusteringScores(t, p);
    for (const k of KEYS) expect(Math.abs(got[k] - want[k])).toBeLessThan(1e-12);
    expect(got).toMatchObject({ n: 5000, classes: 10, clusters: 12 });
  });

  // test/fixtures/clustering_reference.json, from scripts/make_cluster_fixtures.py (scikit-learn 1.2).
  test.each(Object.keys(REF.cases).filter((k) => k !== 'kmeans_blobs'))('%s as scikit-learn (1e-12)', (name) => {
    const c = REF.cases[name];
    const got = clusteringScores(c.labels_true, c.labels_pred, { beta: c.beta });
    for (const k of KEYS) expect(Math.abs(got[k] - c[k])).toBeLessThan(1e-12);
    if (typeof c.mutual_info === 'number') expect(Math.abs(got.mutual_info! - c.mutual_info)).toBeLessThan(1e-12);
    else expect(got.mutual_info).toBeNull(); // scikit-learn raises for empty labellings
  });

  test('the edge cases hold exactly: empty, one cluster, h + c = 0', () => {
    expect(clusteringScores([], [])).toMatchObject({ homogeneity: 1, completeness: 1, v_measure: 1, adjusted_rand: 1, normalized_mutual_info: 1, adjusted_mutual_info: 1 });
    expect(clusteringScores([0, 1, 2], [4, 4, 4])).toMatchObject({ homogeneity: 0, completeness: 1, v_measure: 0, normalized_mutual_info: 0, adjusted_rand: 0 });
    expect(clusteringScores([0, 0, 1, 1], [0, 1, 0, 1])).toMatchObject({ homogeneity: 0, completeness: 0, v_measure: 0 });
    expect(() => mutualInfo(contingency([], []))).toThrow(/empty labellings/);
  });

  test('bad labels are refused with the reason', () => {
    expect(() => clusteringScores([0, 1], [0])).toThrow(/2 reference labels, 1 cluster labels/);
    expect(() => clusteringScores([0, 1.5], [0, 1])).toThrow(/reference label 1 is 1.5; labels must be integers/);
    expect(() => clusteringScores([0, 1], [0, 1], { beta: 0 })).toThrow(/beta must be a positive number/);
  });
});

describe('labellings with one class (zero entropy) as scikit-learn, every averaging method', () => {
  // test/fixtures/clustering_averages.json, from scripts/make_cluster_fixtures.py (scikit-learn 1.2):
  // its test_normalized_mutual_info_score_bounded and more. MI, NMI and AMI are exactly 0 there.
  const AVG = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'clustering_averages.json'), 'utf8'));
  const methods = ['min', 'geometric', 'arithmetic', 'max'] as const;
  test.each(Object.keys(AVG.cases))('%s', (name) => {
    const c = AVG.cases[name];
    for (const m of methods) {
      const r = clusteringScores(c.labels_true, c.labels_pred, { average: m });
      if (c.mutual_info === 0) expect(r.mutual_info).toBe(0);
      expect(Math.abs(r.mutual_info! - c.mutual_info)).toBeLessThanOrEqual(1e-12);
      const want = c[m];
      if (want.normalized_mutual_info === 0) expect(r.normalized_mutual_info).toBe(0);
      if (want.adjusted_mutual_info === 0) expect(r.adjusted_mutual_info).toBe(0);
      expect(Math.abs(r.normalized_mutual_info - want.normalized_mutual_info)).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(r.adjusted_mutual_info - want.adjusted_mutual_info)).toBeLessThanOrEqual(1e-9);
    }
  });
});
