/** PRD (Sajjadi et al. 2018): the precision-recall curve of two sets from k-means histograms, F_8 and F_1/8, and its chart. */
import type { InputProvenance } from '../inputs';
import * as D from '../defaults';
import { PRD_CLUSTERINGS, prd, type PrdClustering } from '../metrics/prd';
import { prdChart } from '../plots/prd';
import { chartOptionSpecs, checkChartOptions, writeCharts, type ChartOutputOptions } from './chart-options';
import { networkOptions, threadsOption, withProgress, type NetworkOptions } from './common';
import { definePairCommand } from './feature-sets';
import { checkGeneratorOptions, generatedInput, generatorOptionSpecs, type GeneratorCommandOptions } from './generator-options';

export interface PrdCurveOptions extends NetworkOptions, GeneratorCommandOptions, ChartOutputOptions {
  clusters: number;
  angles: number;
  runs: number;
  clustering: PrdClustering;
}

export interface PrdCurveCommandResult {
  f8: number;
  f1_8: number;
  curve: { precision: number[]; recall: number[] };
  clusters: number;
  runs: number;
  seed: number;
  /** The clustering of each run: 'minibatch' (MiniBatchKMeans, n_init 10, as prd_score.py) or 'lloyd'. */
  clustering: PrdClustering;
  plots: string[];
  inputs: InputProvenance[];
}

export const prdCurveCommand = definePairCommand<PrdCurveOptions, Omit<PrdCurveCommandResult, 'inputs'>>({
  name: 'prd',
  summary: 'PRD (Sajjadi et al. 2018): the precision-recall curve from 20-cluster (mini-batch) k-means histograms of both sets, averaged over 10 clusterings; max F_8 (recall) and F_1/8 (precision); chart as SVG/PNG',
  example: 'prd generated.npy real.npy --svg prd.svg --json',
  inputs: [generatedInput(), { name: 'b', help: 'reference set (the same size): same kinds' }],
  options: [
    { key: 'clusters', type: 'integer', min: 2, max: 1000, default: D.PRD_CLUSTERS, help: 'k-means clusters', valueName: '<k>' },
    { key: 'angles', type: 'integer', min: 3, max: 100_000, default: D.PRD_ANGLES, help: 'points of the curve', valueName: '<n>' },
    { key: 'runs', type: 'integer', min: 1, max: 100, default: D.PRD_RUNS, help: 'clusterings averaged', valueName: '<n>' },
    { key: 'seed', type: 'integer', min: 0, max: 2 ** 32 - 1, default: D.PRD_SEED, help: 'seed of the k-means (run r uses seed + r); with a generator, also its latent codes', valueName: '<n>' },
    {
      key: 'clustering',
      type: 'string',
      choices: PRD_CLUSTERINGS,
      default: D.PRD_CLUSTERING,
      help: "each run's clustering: minibatch (scikit-learn's MiniBatchKMeans with n_init 10, as the reference) or lloyd (full k-means with 10 restarts, slower)",
      valueName: '<method>',
    },
    ...chartOptionSpecs,
    ...generatorOptionSpecs,
    ...networkOptions,
    threadsOption,
  ],
  check(_inputs, o) {
    checkGeneratorOptions(o);
    checkChartOptions(o);
  },
  needs: 'PRD needs',
  measure: async (A, B, o, threads, reporter) => {
    const r = await withProgress(reporter, 'PRD clusterings', 'runs', (bar) =>
      prd(A.features, B.features, { clusters: o.clusters, angles: o.angles, runs: o.runs, seed: o.seed, clustering: o.clustering, threads, onProgress: (d, t) => bar.update(d, t) }),
    );
    const plots = await writeCharts(() => prdChart(r.precision, r.recall, `PRD: ${A.provenance.path} against ${B.provenance.path}`), o);
    return { f8: r.f8, f1_8: r.f1_8, curve: { precision: Array.from(r.precision), recall: Array.from(r.recall) }, clusters: o.clusters, runs: o.runs, seed: o.seed, clustering: r.clustering, plots };
  },
});
