import type { Command } from 'commander';
import { GenmetricsError } from '../errors';
import { readNpy } from '../io/npy';
import { readLabels } from '../labels';
import { linearProbe, type ProbeData } from '../metrics/probe';
import { parseDevice } from '../models/session';
import { makeContext, parseInteger, parseNumber, type CommonOptions } from './context';
import { withCommonOptions } from './options';

interface ProbeCliOptions extends CommonOptions {
  model: string;
  layers: string;
  train: string[];
  test: string[];
  pool: string;
  c: string;
  maxIter: string;
  seed: string;
  batchSize: string;
  device: string;
}

function loadSet(files: string[], flag: string): ProbeData {
  if (files.length !== 2) throw new GenmetricsError(`${flag}: expected two files, inputs X.npy and labels Y.npy; got ${files.length}`);
  const [xf, yf] = files;
  const a = readNpy(xf);
  if (a.dtype !== 'float32' && a.dtype !== 'float64') throw new GenmetricsError(`${xf}: expected float32 or float64 inputs, got ${a.dtype}`);
  if (a.shape.length < 2) throw new GenmetricsError(`${xf}: expected N x ... inputs, got shape (${a.shape.join(', ')})`);
  const labels = readLabels(yf);
  if (labels.length !== a.shape[0]) throw new GenmetricsError(`${xf} has ${a.shape[0]} inputs but ${yf} has ${labels.length} labels`);
  const x = a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as Float64Array);
  return { x, rows: a.shape[0], itemShape: a.shape.slice(1), labels, source: xf };
}

export function registerProbe(program: Command): void {
  withCommonOptions(
    program
      .command('probe')
      .description(
        "linear probe of a network's features (as the DCGAN paper's L2-SVM on discriminator features): named tensors of an ONNX model, adaptive-max-pooled to 4x4 and concatenated, a linear L2-SVM (squared hinge, one-vs-rest), train and test accuracy",
      )
      .requiredOption('--model <D.onnx>', 'the network (one input)')
      .requiredOption('--layers <names>', 'comma-separated ONNX tensor names (N x C x H x W activations)')
      .requiredOption('--train <files...>', 'training inputs X.npy and labels Y.npy')
      .requiredOption('--test <files...>', 'test inputs X.npy and labels Y.npy')
      .option('--pool <p>', 'adaptive max-pool each map to p x p', '4')
      .option('--c <C>', 'SVM regularisation C (scikit-learn LinearSVC)', '1')
      .option('--max-iter <n>', 'coordinate-descent passes per class', '10000')
      .option('--seed <n>', 'seed of the coordinate order', '0')
      .option('--batch-size <n>', 'inputs per network call', '256')
      .option('--device <device>', 'auto, cpu or cuda', 'cpu'),
  ).action(async (opts: ProbeCliOptions) => {
    const ctx = makeContext(opts);
    const layers = opts.layers.split(',').map((s) => s.trim()).filter(Boolean);
    const train = loadSet(opts.train, '--train');
    const test = loadSet(opts.test, '--test');
    const c = parseNumber(opts.c, '--c');
    if (!(c > 0)) throw new GenmetricsError(`--c: expected a positive number, got '${opts.c}'`);
    const options = {
      model: opts.model,
      layers,
      pool: parseInteger(opts.pool, '--pool', 1),
      c,
      maxIter: parseInteger(opts.maxIter, '--max-iter', 1),
      seed: parseInteger(opts.seed, '--seed', 0),
      batchSize: parseInteger(opts.batchSize, '--batch-size', 1),
      device: parseDevice(opts.device),
      threads: ctx.threads,
    };
    const r = await ctx.withProgress('features', 'inputs', (onProgress) => linearProbe(train, test, { ...options, onProgress }));
    ctx.print(
      { train_accuracy: r.trainAccuracy, test_accuracy: r.testAccuracy, feature_dim: r.dims, classes: r.classes.length, layers, pool: Number(opts.pool), c, iterations: r.iterations },
      [`linear L2-SVM on ${r.dims} pooled features of ${layers.join(', ')}: train accuracy ${r.trainAccuracy}, test accuracy ${r.testAccuracy} (${r.classes.length} classes)`],
    );
  });
}
