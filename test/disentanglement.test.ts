import * as fs from 'fs';
import * as path from 'path';
import { readFeatureMatrix } from '../lib/features';
import { writeNpy } from '../lib/io/npy';
import { readIntegerTable } from '../lib/labels';
import { codeFactorMutualInfo, histogramBins, mig, modularity } from '../lib/metrics/disentanglement';
import { cli, sharedFile, tmpDir } from './helpers';

const D = (f: string) => sharedFile('fixtures', 'disentanglement', f);
const EXP = JSON.parse(fs.readFileSync(D('expected.json'), 'utf8')).fixed_sample;

function fixed() {
  const c = readFeatureMatrix(D('fixed_codes_10000x7.npy'));
  const f = readIntegerTable(D('fixed_factors_10000x5.npy'));
  return codeFactorMutualInfo({ codes: c.data, factors: f.data, n: c.rows, codeDims: c.dims, factorDims: f.cols });
}

describe('disentanglement on the fixed sample (disentanglement_lib definitions)', () => {
  test('MIG and modularity within 1e-9, the mutual information matrix and factor entropies elementwise (1e-12)', () => {
    const m = fixed();
    expect(Math.abs(mig(m) - EXP.mig)).toBeLessThan(1e-9);
    expect(Math.abs(modularity(m) - EXP.modularity)).toBeLessThan(1e-9);
    expect(m.mi).toHaveLength(EXP.mutual_info_matrix.length);
    m.mi.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - EXP.mutual_info_matrix[i][j])).toBeLessThan(1e-12)));
    m.factorEntropy.forEach((v, j) => expect(Math.abs(v - EXP.factor_entropy[j])).toBeLessThan(1e-12));
  });

  // np.digitize(x, np.histogram(x, 20)[1][:-1]) on the same values.
  test('the 20-bin discretiser matches NumPy, constant codes included', () => {
    expect(Array.from(histogramBins([0.1, 0.5, 0.3, 0.9, 0.9, -2.0, 0.0]))).toEqual([15, 18, 16, 20, 20, 1, 14]);
    expect(Array.from(histogramBins([3, 3, 3]))).toEqual([11, 11, 11]);
    expect(Array.from(histogramBins([1e-9, 2e-9, 3e-9, 1.5e-9]))).toEqual([1, 11, 20, 6]);
  });

  test('genmetrics disentanglement --json; bad input', () => {
    const r = cli(['disentanglement', '--codes', D('fixed_codes_10000x7.npy'), '--factors', D('fixed_factors_10000x5.npy'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Math.abs(j.mig - EXP.mig)).toBeLessThan(1e-9);
    expect(Math.abs(j.modularity - EXP.modularity)).toBeLessThan(1e-9);
    expect(j).toMatchObject({ samples: 10000, code_dims: 7, factors: 5, bins: 20 });
    const dir = tmpDir();
    const frac = path.join(dir, 'frac.npy');
    writeNpy(frac, { dtype: 'float64', shape: [10000, 1], data: Float64Array.from({ length: 10000 }, (_, i) => i / 3) });
    const flat = path.join(dir, 'flat.npy');
    writeNpy(flat, { dtype: 'int32', shape: [10000], data: new Int32Array(10000) });
    const short = path.join(dir, 'short.npy');
    writeNpy(short, { dtype: 'int32', shape: [3, 5], data: new Int32Array(15) });
    const cases: [string, RegExp][] = [
      [frac, /frac\.npy: values must be integers; row 1, column 0 is 0\.333/],
      [flat, /flat\.npy: expected an N x K table, got shape \(10000\)/],
      [short, /fixed_codes_10000x7\.npy has 10000 rows but .*short\.npy has 3/],
    ];
    for (const [file, msg] of cases) {
      const b = cli(['disentanglement', '--codes', D('fixed_codes_10000x7.npy'), '--factors', file]);
      expect(b.code).toBe(1);
      expect(b.stderr).toMatch(msg);
    }
    expect(() => mig({ mi: [[1, 2]], factorEntropy: [1, 1] })).toThrow(/at least 2 code dimensions/);
  });
});
