import * as fs from 'fs';
import * as path from 'path';
import { featureMatrix, readFeatureMatrix } from '../lib/features';
import { readNpy, writeNpy } from '../lib/io/npy';
import { readLabels } from '../lib/labels';
import { clusteringScores } from '../lib/metrics/clustering';
import { kmeans } from '../lib/stats/kmeans';
import { FIXTURES, cli, expectedMetrics, sharedFile, tmpDir } from './helpers';

const REF = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'clustering_reference.json'), 'utf8')).cases.kmeans_blobs;
const BLOBS = path.join(FIXTURES, 'blobs_300x4.npy');
const BLOB_LABELS = path.join(FIXTURES, 'blobs_300x4_labels.npy');

describe('k-means', () => {
  test("four blobs: scikit-learn's inertia (1e-9) and the true partition, at any thread count", async () => {
    const x = readFeatureMatrix(BLOBS);
    const a = await kmeans(x, { k: 4, seed: 0, threads: 1 });
    const b = await kmeans(x, { k: 4, seed: 0, threads: 2 });
    expect(Math.abs(a.inertia - REF.inertia) / REF.inertia).toBeLessThan(1e-9);
    expect(clusteringScores(readLabels(BLOB_LABELS), a.labels).adjusted_rand).toBe(1);
    expect(clusteringScores(REF.labels, a.labels).adjusted_rand).toBe(1);
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
    expect(b.inertia).toBe(a.inertia);
    const f32 = await kmeans(featureMatrix(Float32Array.from(x.data), x.rows, 'f32'), { k: 4, seed: 0 });
    expect(clusteringScores(a.labels, f32.labels).adjusted_rand).toBe(1);
  });

  test('k = 1: the centre is the mean and the inertia the total sum of squares', async () => {
    const x = readFeatureMatrix(BLOBS);
    const r = await kmeans(x, { k: 1, restarts: 1 });
    const d = x.dims;
    for (let j = 0; j < d; j++) {
      let m = 0;
      for (let i = 0; i < x.rows; i++) m += x.data[i * d + j];
      expect(r.centres[j]).toBeCloseTo(m / x.rows, 12);
    }
    let ss = 0;
    for (let i = 0; i < x.rows; i++) for (let j = 0; j < d; j++) ss += (x.data[i * d + j] - r.centres[j]) ** 2;
    expect(Math.abs(r.inertia - ss) / ss).toBeLessThan(1e-12);
  });

  test('duplicates: empty clusters are refilled, every cluster is used, inertia 0', async () => {
    const x = featureMatrix(Float64Array.from([0, 0, 0, 0, 0, 0, 10, 20]), 8, 'dups');
    for (let seed = 0; seed < 5; seed++) {
      const r = await kmeans(x, { k: 3, seed, restarts: 1 });
      expect(new Set(r.labels).size).toBe(3);
      expect(r.inertia).toBe(0);
    }
  });

  test('a seed reproduces; bad arguments are refused', async () => {
    const x = readFeatureMatrix(BLOBS);
    const a = await kmeans(x, { k: 6, seed: 3, restarts: 2 });
    const b = await kmeans(x, { k: 6, seed: 3, restarts: 2 });
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    await expect(kmeans(featureMatrix(new Float64Array(4), 2, 'two.npy'), { k: 3 })).rejects.toThrow(/two\.npy: k = 3 clusters need at least 3 samples, got 2/);
    await expect(kmeans(x, { k: 0 })).rejects.toThrow(/k must be a positive integer/);
    await expect(kmeans(x, { k: 2, restarts: 0 })).rejects.toThrow(/restarts must be a positive integer/);
  });
});

describe('genmetrics cluster', () => {
  test('--pred: the shared fixture scores (1e-12)', () => {
    const want = expectedMetrics().clustering;
    const r = cli(['cluster', '--labels', sharedFile('fixtures', 'metrics', 'labels_true.npy'), '--pred', sharedFile('fixtures', 'metrics', 'labels_pred.npy'), '--json']);
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout);
    for (const k of Object.keys(want)) expect(Math.abs(got[k] - want[k])).toBeLessThan(1e-12);
    expect(got.kmeans).toBeNull();
  });

  test('--codes: k-means (k from the labels) then the scores; --out writes the assignment', () => {
    const out = path.join(tmpDir(), 'pred.npy');
    const r = cli(['cluster', '--codes', BLOBS, '--labels', BLOB_LABELS, '--out', out, '--json']);
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout);
    expect(got).toMatchObject({ adjusted_rand: 1, v_measure: 1, kmeans: { k: 4, restarts: 10, seed: 0 } });
    expect(Math.abs(got.kmeans.inertia - REF.inertia) / REF.inertia).toBeLessThan(1e-9);
    const pred = readNpy(out);
    expect(pred.dtype).toBe('int32');
    expect(pred.shape).toEqual([300]);
    const human = cli(['cluster', '--codes', BLOBS, '--labels', BLOB_LABELS, '--k', '3', '--beta', '2']);
    expect(human.stdout).toMatch(/k-means: k = 3, inertia [\d.]+, best of 10 restarts \(seed 0\)\nhomogeneity [\d.]+ {2}completeness [\d.]+ {2}V-measure [\d.]+ \(beta 2\)\nARI/);
  });

  test('bad input: exit 1 with the file and the reason', () => {
    const dir = tmpDir();
    const twoD = path.join(dir, 'labels2d.npy');
    writeNpy(twoD, { dtype: 'int32', shape: [2, 3], data: new Int32Array(6) });
    const frac = path.join(dir, 'frac.npy');
    writeNpy(frac, { dtype: 'float64', shape: [3], data: Float64Array.from([0, 1.5, 2]) });
    const short = path.join(dir, 'short.npy');
    writeNpy(short, { dtype: 'int64', shape: [3], data: BigInt64Array.from([0n, 1n, 2n]) });
    const cases: [string[], RegExp][] = [
      [['--labels', BLOB_LABELS], /pass --codes \(to cluster\) or --pred/],
      [['--labels', twoD, '--pred', twoD], /labels2d\.npy: expected a 1-D array of labels, got shape \(2, 3\)/],
      [['--labels', frac, '--pred', frac], /frac\.npy: labels must be integers; element 1 is 1\.5/],
      [['--labels', short, '--codes', BLOBS], /blobs_300x4\.npy has 300 rows but .*short\.npy has 3 labels/],
      [['--labels', BLOB_LABELS, '--codes', BLOBS, '--average', 'median'], /--average: expected one of min, geometric, arithmetic, max/],
    ];
    for (const [args, msg] of cases) {
      const r = cli(['cluster', ...args]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(msg);
    }
  });
});
