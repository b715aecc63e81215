import * as path from 'path';
import { readNpy, writeNpy } from '../lib/io/npy';
import { fid } from '../lib';
import type { Reporter } from '../lib';
import { frechetDistance } from '../lib/metrics/fid';
import { RunningMoments } from '../lib/stats/moments';
import { expectedMetrics, relErr, sharedFile, tmpDir } from './helpers';

const metrics = (name: string) => sharedFile('fixtures', 'metrics', name);

/** Rows [0, n) and columns [0, d) of a 2-D float32 array, written to a temporary .npy. */
function slice(file: string, n: number, d: number): string {
  const a = readNpy(file);
  const [, D] = a.shape;
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) out.set((a.data as Float32Array).subarray(i * D, i * D + d), i * d);
  const p = path.join(tmpDir(), `slice_${n}x${d}.npy`);
  writeNpy(p, { dtype: 'float32', shape: [n, d], data: out });
  return p;
}

describe('FID against ../shared/fixtures/metrics/expected.json', () => {
  const E = expectedMetrics();

  test('fid: 3000 x 2048 features (1e-6 of eigh_float64, 1e-5 of pytorch-fid)', async () => {
    const r = await fid(metrics('real_3000x2048.npy'), metrics('fake_3000x2048.npy'));
    expect(relErr(r.fid, E.fid.eigh_float64)).toBeLessThan(1e-6);
    expect(relErr(r.fid, E.fid.pytorch_fid)).toBeLessThan(1e-5);
    expect(r.route).toBe('cholesky');
    expect(r.inputs.map((i) => [i.kind, i.count, i.dims])).toEqual([
      ['features', 3000, 2048],
      ['features', 3000, 2048],
    ]);
  });

  test('fid_n500: singular covariances (N < D) follow the symmetric-root convention', async () => {
    const warnings: string[] = [];
    const reporter: Reporter = { warn: (m) => warnings.push(m), notice: () => undefined, progress: () => ({ update: () => undefined, stop: () => undefined }) };
    const r = await fid(slice(metrics('real_3000x2048.npy'), 500, 2048), slice(metrics('fake_3000x2048.npy'), 500, 2048), {}, reporter);
    expect(relErr(r.fid, E.fid_n500.eigh_float64)).toBeLessThan(1e-6);
    expect(relErr(r.fid, E.fid_n500.pytorch_fid)).toBeLessThan(1e-5);
    expect(r.route).toBe('eigh');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/500 samples < 2048 dimensions/);
  });

  test('fid_512d_fake_vs_npz: features against pytorch-fid statistics', async () => {
    const r = await fid(slice(metrics('fake_3000x2048.npy'), 3000, 512), metrics('real_stats_512d.npz'));
    expect(relErr(r.fid, E.fid_512d_fake_vs_npz.eigh_float64)).toBeLessThan(1e-6);
    expect(relErr(r.fid, E.fid_512d_fake_vs_npz.pytorch_fid)).toBeLessThan(1e-5);
    expect(r.inputs[1].kind).toBe('statistics');
  });

  test('fid_self is ~0', async () => {
    const r = await fid(metrics('real_3000x2048.npy'), metrics('real_3000x2048.npy'));
    expect(Math.abs(r.fid)).toBeLessThan(1e-6);
  });
});

describe('frechetDistance', () => {
  test('identity covariances give |mu1 - mu2|^2 exactly', async () => {
    const d = 4;
    const eye = new Float64Array(d * d);
    for (let i = 0; i < d; i++) eye[i * d + i] = 1;
    const r = await frechetDistance(
      { dims: d, mu: Float64Array.of(0, 0, 0, 0), sigma: eye },
      { dims: d, mu: Float64Array.of(1, 2, 0, -1), sigma: eye },
    );
    expect(r.fid).toBeCloseTo(6, 12);
  });

  test('zero covariances (all-zero matrices) take the eigh route and stay finite', async () => {
    const z = new Float64Array(9);
    const r = await frechetDistance({ dims: 3, mu: Float64Array.of(1, 1, 1), sigma: z }, { dims: 3, mu: new Float64Array(3), sigma: z });
    expect(r.fid).toBe(3);
    expect(r.route).toBe('eigh');
  });

  test('errors: dimension mismatch, NaN, asymmetric covariance', async () => {
    const s = (d: number, v = 1) => {
      const m = new Float64Array(d * d);
      for (let i = 0; i < d; i++) m[i * d + i] = v;
      return m;
    };
    await expect(frechetDistance({ dims: 2, mu: new Float64Array(2), sigma: s(2) }, { dims: 3, mu: new Float64Array(3), sigma: s(3) })).rejects.toThrow(
      'dimension mismatch: first statistics are 2-d, second 3-d',
    );
    await expect(frechetDistance({ dims: 2, mu: Float64Array.of(NaN, 0), sigma: s(2) }, { dims: 2, mu: new Float64Array(2), sigma: s(2) })).rejects.toThrow(
      'mu1 contains NaN or Inf',
    );
    const asym = Float64Array.of(1, 0.5, 0, 1);
    await expect(frechetDistance({ dims: 2, mu: new Float64Array(2), sigma: s(2) }, { dims: 2, mu: new Float64Array(2), sigma: asym })).rejects.toThrow(
      /sigma2 is not symmetric/,
    );
  });

  test('in-memory statistics from RunningMoments', async () => {
    const a = new RunningMoments(2);
    await a.update(Float32Array.of(0, 0, 2, 0, 0, 2, 2, 2));
    const st = a.finalize();
    const r = await frechetDistance(st, st);
    expect(Math.abs(r.fid)).toBeLessThan(1e-12);
  });
});
