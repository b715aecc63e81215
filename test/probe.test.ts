import * as fs from 'fs';
import * as path from 'path';
import { readNpy, writeNpy } from '../lib/io/npy';
import { linearProbe, type ProbeData } from '../lib/network/probe';
import { adaptiveMaxPool } from '../lib/stats/adaptive-pool';
import { native } from '../lib/native';
import { cli, sharedFile, tmpDir } from './helpers';

const D = (f: string) => sharedFile('fixtures', 'vae', 'dcgan_mnist', f);
const EXP = JSON.parse(fs.readFileSync(sharedFile('fixtures', 'vae', 'expected.json'), 'utf8'));
const LAYERS: string[] = EXP.dcgan_mnist_model_size.discriminator.onnx_activation_tensors;

function load(x: string, y: string): ProbeData {
  const a = readNpy(D(x));
  return { x: a.data as Float32Array, rows: a.shape[0], itemShape: a.shape.slice(1), labels: readNpy(D(y)).data as Int32Array, source: x };
}

describe('linear probe of the DCGAN discriminator', () => {
  test('pooled features of the first 200 test images within 1e-4; accuracies within 1.5% of scikit-learn LinearSVC', async () => {
    const r = await linearProbe(load('probe_train_x.npy', 'probe_train_y.npy'), load('probe_test_x.npy', 'probe_test_y.npy'), { model: D('discriminator.onnx'), layers: LAYERS });
    expect(r.dims).toBe(EXP.probe.feature_dim);
    const want = readNpy(D('probe_test_features_first200.npy')).data as Float32Array;
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(r.testFeatures[i] - want[i]));
    expect(worst).toBeLessThan(1e-4);
    expect(Math.abs(r.trainAccuracy - EXP.probe.train_accuracy)).toBeLessThanOrEqual(0.015);
    expect(Math.abs(r.testAccuracy - EXP.probe.test_accuracy)).toBeLessThanOrEqual(0.015);
  }, 120000);

  test("adaptive max-pool uses PyTorch's overlapping bins", () => {
    // 1 x 1 x 5 x 5 -> 2 x 2: rows/cols bins [0, 3) and [2, 5).
    const a = Float32Array.from({ length: 25 }, (_, i) => ((i * 7) % 11) - 5);
    const got = adaptiveMaxPool(a, 1, 1, 5, 5, 2);
    const max = (r0: number, r1: number, c0: number, c1: number) => {
      let m = -Infinity;
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) m = Math.max(m, a[r * 5 + c]);
      return m;
    };
    expect(Array.from(got)).toEqual([max(0, 3, 0, 3), max(0, 3, 2, 5), max(2, 5, 0, 3), max(2, 5, 2, 5)]);
  });

  test('the native SVM separates separable classes, binary and multi-class', async () => {
    const n = 60;
    const x = new Float64Array(n * 2);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 3;
      x[i * 2] = [0, 5, 0][y[i]] + Math.sin(i) * 0.5;
      x[i * 2 + 1] = [0, 0, 5][y[i]] + Math.cos(i) * 0.5;
    }
    const r = await native().linearSvm(x, n, y, 3, { c: 1 });
    expect(Array.from(r.trainPred)).toEqual(Array.from(y));
    const yb = Int32Array.from(y, (v) => (v === 1 ? 1 : 0));
    const b = await native().linearSvm(x, n, yb, 2, { c: 1 });
    expect(r.w.length).toBe(6);
    expect(b.w.length).toBe(2);
    expect(Array.from(b.trainPred)).toEqual(Array.from(yb));
    await expect(native().linearSvm(x, n, Int32Array.from(y, (v) => v + 5), 3, {})).rejects.toThrow(/label out of range/);
  });

  test('genmetrics probe: JSON output and input errors', () => {
    const args = ['probe', '--model', D('discriminator.onnx'), '--train', D('probe_train_x.npy'), D('probe_train_y.npy'), '--test', D('probe_test_x.npy'), D('probe_test_y.npy')];
    const r = cli([...args, '--layers', LAYERS.join(','), '--max-iter', '3', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ feature_dim: 3072, classes: 10, pool: 4, c: 1, layers: LAYERS });
    const dir = tmpDir();
    const shortY = path.join(dir, 'y.npy');
    writeNpy(shortY, { dtype: 'int32', shape: [3], data: Int32Array.from([0, 1, 2]) });
    const cases: [string[], RegExp][] = [
      [[...args, '--layers', 'nope'], /discriminator\.onnx: no tensor named nope; the graph's node outputs include .*\/LeakyRelu_output_0/],
      [[...args, '--layers', 'score'], /tensor score has shape \(256, 1\); pooling needs N x C x H x W/],
      [['probe', '--model', D('discriminator.onnx'), '--layers', LAYERS[0], '--train', D('probe_train_x.npy'), shortY, '--test', D('probe_test_x.npy'), D('probe_test_y.npy')], /probe_train_x\.npy has 2000 inputs but .*y\.npy has 3 labels/],
      [['probe', '--model', D('discriminator.onnx'), '--layers', LAYERS[0], '--train', D('probe_train_x.npy'), '--test', D('probe_test_x.npy'), D('probe_test_y.npy')], /--train: expected two files/],
    ];
    for (const [a, msg] of cases) {
      const b = cli(a);
      expect(b.code).toBe(1);
      expect(b.stderr).toMatch(msg);
    }
  });
});
