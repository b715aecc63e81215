/** PRD (Sajjadi et al. 2018): the precision-recall curve of two sets from k-means histograms, F_8 and F_1/8, and its chart. */
import type { InputProvenance } from '../inputs';
import { prd } from '../metrics/prd';
import { prdChart } from '../plots/prd';
import { chartOptionSpecs, checkChartOptions, writeCharts, type ChartOutputOptions } from './chart-options';
import { networkOptions, threadsOption, withProgress, type NetworkOptions } from './common';
import { definePairCommand } from './feature-sets';
import { checkGeneratorOptions, generatedInput, generatorOptionSpecs, type GeneratorCommandOptions } from './generator-options';

export interface PrdCurveOptions extends NetworkOptions, GeneratorCommandOptions, ChartOutputOptions {
  clusters: number;
  angles: number;
  runs: number;
}

export interface PrdCurveCommandResult {
  f8: number;
  f1_8: number;
  curve: { precision: number[]; recall: number[] };
  clusters: number;
  runs: number;
  seed: number;
  plots: string[];
  inputs: InputProvenance[];
}

export const prdCurveCommand = definePairCommand<PrdCurveOptions, Omit<PrdCurveCommandResult, 'inputs'>>({
  name: 'prd',
  summary: 'PRD (Sajjadi et al. 2018): the precision-recall curve from 20-cluster k-means histograms of both sets, averaged over 10 clusterings; max F_8 (recall) and F_1/8 (precision); chart as SVG/PNG',
  example: 'prd generated.npy real.npy --svg prd.svg --json',
  inputs: [generatedInput(), { name: 'b', help: 'reference set (the same size): same kinds' }],
  options: [
    { key: 'clusters', type: 'integer', min: 2, max: 1000, default: 20, help: 'k-means clusters', valueName: '<k>' },
    { key: 'angles', type: 'integer', min: 3, max: 100_000, default: 1001, help: 'points of the curve', valueName: '<n>' },
    { key: 'runs', type: 'integer', min: 1, max: 100, default: 10, help: 'clusterings averaged', valueName: '<n>' },
    { key: 'seed', type: 'integer', min: 0, max: 2 ** 32 - 1, default: 0, help: 'seed of the k-means (run r uses seed + r); with a generator, also its latent codes', valueName: '<n>' },
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
    const r = await withProgress(reporter, 'PRD clusterings', 'runs', () => prd(A.features, B.features, { clusters: o.clusters, angles: o.angles, runs: o.runs, seed: o.seed, threads }));
    const plots = await writeCharts(() => prdChart(r.precision, r.recall, `PRD: ${A.provenance.path} against ${B.provenance.path}`), o);
    return { f8: r.f8, f1_8: r.f1_8, curve: { precision: Array.from(r.precision), recall: Array.from(r.recall) }, clusters: o.clusters, runs: o.runs, seed: o.seed, plots };
  },
});
