/** The Vendi score of a set (dgm-eval's linear kernel on L2-normalised rows), for q = 1, 2, ∞, whole or per class. */
import { OptionError } from '../errors';
import { loadFeatures, type InputProvenance } from '../inputs';
import { readLabels } from '../labels';
import { vendiScores, type VendiKernel, type VendiOrder } from '../metrics/vendi';
import { defineCommand } from './descriptor';
import { featureOptions, networkOptions, threadsOf, threadsOption, withProgress, type NetworkOptions } from './common';
import { checkGeneratorOptions, generatorOptionSpecs, latentSeedOption, sampleInputs, type GeneratorCommandOptions } from './generator-options';

export interface VendiOptions extends NetworkOptions, GeneratorCommandOptions {
  q: string;
  kernel: VendiKernel;
  labels?: string;
}

export interface VendiCommandResult {
  vendi: Record<string, number>;
  kernel: VendiKernel;
  /** With labels: each class's scores; `vendi` is then their mean over classes (dgm-eval's "mean vendi per class"). */
  per_class: Record<string, Record<string, number>> | null;
  count: number;
  input: InputProvenance;
}

function parseOrders(text: string): VendiOrder[] {
  const orders = text.split(',').map((s) => s.trim());
  const bad = orders.find((q) => !['1', '2', 'inf'].includes(q));
  if (bad !== undefined) throw new OptionError('q', `expected a comma-separated list of 1, 2 and inf, got '${bad}'`);
  return [...new Set(orders)].map((q) => (q === 'inf' ? 'inf' : (Number(q) as 1 | 2)));
}

export const vendiCommand = defineCommand<VendiOptions, VendiCommandResult>({
  name: 'vendi',
  summary: "The Vendi score (Friedman & Dieng 2023) of a set: dgm-eval's linear (or polynomial) kernel on L2-normalised features, orders q = 1, 2, inf; per-class mean with labels",
  example: 'vendi generated.npy --q 1,2,inf --json',
  inputs: [{ name: 'input', help: 'image folder/file/uint8 array or features .npy (N x D); left out with option generator, which draws it', generator: true }],
  options: [
    { key: 'q', type: 'string', default: '1', help: 'orders, comma-separated: 1 (exp of the entropy), 2, inf', valueName: '<q,...>' },
    { key: 'kernel', type: 'string', choices: ['linear', 'polynomial'], default: 'linear', help: "similarity kernel on the L2-normalised rows: linear (d x d, any n), or dgm-eval's polynomial (degree 3, gamma 1/d, coef0 1; dense n x n, at most 16384 samples)", valueName: '<k>' },
    { key: 'labels', type: 'string', help: 'class labels (.npy, N integers): the mean of the per-class scores', valueName: '<L.npy>' },
    ...generatorOptionSpecs,
    latentSeedOption,
    ...networkOptions,
    threadsOption,
  ],
  check(_inputs, o) {
    parseOrders(o.q);
    checkGeneratorOptions(o);
  },
  async run(inputs, o, reporter) {
    const threads = threadsOf(o, reporter);
    const orders = parseOrders(o.q);
    const [input] = sampleInputs(inputs, o);
    const { features, provenance } = await withProgress(reporter, 'features', 'img', (bar) => loadFeatures(input, { network: featureOptions(o, reporter, threads, bar) }));
    if (o.labels === undefined) {
      return { vendi: await vendiScores(features, orders, { threads, kernel: o.kernel }), kernel: o.kernel, per_class: null, count: features.rows, input: provenance };
    }
    const labels = readLabels(o.labels);
    if (labels.length !== features.rows) throw new OptionError('labels', `${o.labels} has ${labels.length} labels for ${features.rows} samples`);
    const classes = new Map<number, number[]>();
    labels.forEach((l, i) => classes.set(l, [...(classes.get(l) ?? []), i]));
    const perClass: Record<string, Record<string, number>> = {};
    for (const [l, rows] of [...classes].sort((a, b) => a[0] - b[0])) perClass[String(l)] = await vendiScores(features, orders, { rows, threads, kernel: o.kernel });
    const mean = Object.fromEntries(orders.map((q) => [`q${q}`, Object.values(perClass).reduce((s, v) => s + v[`q${q}`], 0) / classes.size]));
    return { vendi: mean, kernel: o.kernel, per_class: perClass, count: features.rows, input: provenance };
  },
});
