import * as path from 'path';
import { writeNpz } from '../lib/io/npz';
import { frechetDistance } from '../lib/metrics/fid';
import { loadStatistics } from '../lib/inputs';
import { readNpy, writeNpy } from '../lib/io/npy';
import { cli, sharedFile, tmpDir } from './helpers';

/** Statistics .npz with the given mu and row-major sigma (pytorch-fid's keys). */
function stats(dir: string, name: string, mu: number[], sigma: number[]): string {
  const d = mu.length;
  const file = path.join(dir, name);
  writeNpz(file, {
    mu: { dtype: 'float64', shape: [d], data: Float64Array.from(mu) },
    sigma: { dtype: 'float64', shape: [d, d], data: Float64Array.from(sigma) },
  });
  return file;
}

const eye3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

describe('FID refuses statistics whose sigma is not a covariance', () => {
  const dir = tmpDir();
  const good = stats(dir, 'good.npz', [0, 0, 0], eye3);

  test('a non-symmetric sigma is named with its file', () => {
    const bad = stats(dir, 'asym.npz', [0, 0, 0], [1, 0.5, 0, 0, 1, 0, 0, 0, 1]);
    const r = cli(['fid', good, bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/asym\.npz.*sigma.*is not symmetric/);
    expect(r.stderr).not.toMatch(/Error:|at .*\.js:\d+/); // a message, not a stack
  });

  test('a symmetric sigma with a negative eigenvalue is refused (the FID used to be 0 or negative)', async () => {
    // Eigenvalues 1, 1, -0.5: symmetric but indefinite. Against itself the old code returned
    // tr S1 + tr S2 - 2 tr(|S|) = 3 - 5 = -2... with the negative root clipped: a wrong number.
    const indefinite = [1, 0, 0, 0, 0.25, 0.75, 0, 0.75, 0.25];
    const bad = stats(dir, 'indefinite.npz', [0, 0, 0], indefinite);
    const r = cli(['fid', bad, good]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/indefinite\.npz.*sigma.*is not positive semi-definite: it has a negative eigenvalue -0\.5\b/);
    expect(r.stdout).toBe('');

    const self = cli(['fid', bad, bad]);
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(/negative eigenvalue -0\.5/);

    const mem = { dims: 3, mu: new Float64Array(3), sigma: Float64Array.from(indefinite) };
    await expect(frechetDistance({ dims: 3, mu: new Float64Array(3), sigma: Float64Array.from(eye3) }, mem)).rejects.toThrow(
      /sigma2 is not positive semi-definite: it has a negative eigenvalue -0\.5/,
    );
  });

  test('tiny negative round-off eigenvalues are accepted (within 1e-6 of the norm)', async () => {
    // A rank-1 covariance perturbed by -1e-9 on one eigen-direction: PSD up to round-off.
    const v = [1, 2, 3];
    const s = v.flatMap((a) => v.map((b) => a * b));
    s[0] -= 1e-9;
    const r = await frechetDistance(
      { dims: 3, mu: new Float64Array(3), sigma: Float64Array.from(s) },
      { dims: 3, mu: Float64Array.of(1, 0, 0), sigma: Float64Array.from(eye3) },
    );
    expect(Number.isFinite(r.fid)).toBe(true);
    expect(r.fid).toBeGreaterThan(0);
    expect(r.clamped).toBe(false);
  });

  test('a clearly negative eigenvalue just above the tolerance is still refused', async () => {
    // diag(1, 1, -1e-4): -1e-4 is far beyond 1e-6 x ||S||_F (~1.4e-6).
    const s = [1, 0, 0, 0, 1, 0, 0, 0, -1e-4];
    await expect(
      frechetDistance({ dims: 3, mu: new Float64Array(3), sigma: Float64Array.from(s) }, { dims: 3, mu: new Float64Array(3), sigma: Float64Array.from(eye3) }),
    ).rejects.toThrow(/sigma1 is not positive semi-definite: it has a negative eigenvalue -0\.0001 /);
  });

  test('identical singular statistics: the round-off negative value is reported as 0 and flagged', async () => {
    // 500 samples in 2048-d: the product S^1/2 S S^1/2 has ~1500 round-off eigenvalues whose square
    // roots push tr S1 + tr S2 - 2 tr(...)^1/2 to about -1.3e-4 (it used to be returned as is).
    const a = readNpy(sharedFile('fixtures', 'metrics', 'real_3000x2048.npy'));
    const file = path.join(tmpDir(), 'n500.npy');
    writeNpy(file, { dtype: 'float32', shape: [500, 2048], data: (a.data as Float32Array).subarray(0, 500 * 2048) });
    const { stats } = await loadStatistics(file);
    const r = await frechetDistance(stats, stats);
    expect(r.route).toBe('eigh');
    expect(r.rawFid).toBeLessThan(0);
    expect(r.rawFid).toBeGreaterThan(-1e-3);
    expect(r.clamped).toBe(true);
    expect(r.fid).toBe(0);

    // Not clamped when the value is positive.
    const eye = Float64Array.from(eye3);
    const p = await frechetDistance({ dims: 3, mu: new Float64Array(3), sigma: eye }, { dims: 3, mu: Float64Array.of(1, 2, 2), sigma: eye });
    expect(p).toMatchObject({ fid: 9, rawFid: 9, clamped: false });
  });
});
