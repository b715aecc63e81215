import * as D from '../defaults';
import { GenmetricsError } from '../errors';
import { readFeatureMatrix } from '../features';
import { writeNpy } from '../io/npy';
import { readLabels } from '../labels';
import { clusteringScores, type AverageMethod, type ClusteringScores } from '../metrics/clustering';
import { kmeans, type KMeansResult } from '../stats/kmeans';
import { defineCommand } from './descriptor';
import { threadsOf, threadsOption, withProgress, type ThreadsOption } from './common';

const AVERAGES: AverageMethod[] = ['min', 'geometric', 'arithmetic', 'max'];

export interface ClusterOptions extends ThreadsOption {
  labels: string;
  codes?: string;
  pred?: string;
  k?: number;
  restarts: number;
  maxIter: number;
  seed: number;
  beta: number;
  average: AverageMethod;
  out?: string;
}

export type ClusterCommandResult = ClusteringScores & {
  beta: number;
  average: AverageMethod;
  kmeans: { k: number; inertia: number; iterations: number; restarts: number; seed: number } | null;
};

export const clusterCommand = defineCommand<ClusterOptions, ClusterCommandResult>({
  name: 'cluster',
  summary:
    "k-means of latent codes (k-means++, seeded restarts, native) scored against labels with scikit-learn's homogeneity, completeness, V-measure, ARI, NMI and AMI; or score a given assignment (option pred)",
  example: 'cluster --codes codes.npy --labels labels.npy --json',
  inputs: [],
  options: [
    { key: 'labels', type: 'string', required: true, help: 'reference labels (1-D integer array)', valueName: '<Y.npy>' },
    { key: 'codes', type: 'string', help: 'codes to cluster (N x D float32/float64)', valueName: '<Z.npy>' },
    { key: 'pred', type: 'string', help: 'score this assignment instead of running k-means', valueName: '<P.npy>' },
    { key: 'k', type: 'integer', min: 1, max: 1_000_000, defaultNote: 'the number of distinct labels', help: 'clusters', valueName: '<n>' },
    { key: 'restarts', type: 'integer', min: 1, max: 10_000, default: D.KMEANS_RESTARTS, help: 'seeded k-means++ restarts, the lowest inertia wins', valueName: '<n>' },
    { key: 'maxIter', type: 'integer', min: 1, default: D.KMEANS_MAX_ITER, help: 'Lloyd iterations per restart', valueName: '<n>' },
    { key: 'seed', type: 'integer', min: 0, max: 2 ** 32 - 1, default: D.KMEANS_SEED, help: 'seed of the k-means++ draws', valueName: '<n>' },
    { key: 'beta', type: 'number', min: 0, exclusiveMin: true, default: D.V_MEASURE_BETA, help: 'V-measure weight (beta > 1 favours completeness)', valueName: '<b>' },
    { key: 'average', type: 'string', choices: AVERAGES, default: D.MI_AVERAGE, help: 'NMI/AMI normaliser', valueName: '<method>' },
    { key: 'out', type: 'string', output: true, help: 'write the k-means assignment (int32)', valueName: '<P.npy>' },
    threadsOption,
  ],
  check(_inputs, o) {
    if (!o.codes === !o.pred) throw new GenmetricsError('pass option codes (to cluster) or option pred (an assignment to score), not both or neither');
    if (o.pred && o.out) throw new GenmetricsError('option out writes the k-means assignment; there is none with option pred');
  },
  async run(_inputs, o, reporter) {
    const threads = threadsOf(o, reporter);
    const truth = readLabels(o.labels);
    let pred: ArrayLike<number>;
    let km: KMeansResult | undefined;
    if (o.codes) {
      const codes = readFeatureMatrix(o.codes);
      if (codes.rows !== truth.length) throw new GenmetricsError(`${o.codes} has ${codes.rows} rows but ${o.labels} has ${truth.length} labels`);
      const k = o.k ?? new Set(truth).size;
      const { restarts, maxIter, seed } = o;
      km = await withProgress(reporter, 'k-means', 'restarts', (bar) =>
        kmeans(codes, { k, restarts, maxIter, seed, threads, onProgress: (d, t) => bar.update(d, t) }),
      );
      pred = km.labels;
      if (o.out) writeNpy(o.out, { dtype: 'int32', shape: [km.labels.length], data: km.labels });
    } else {
      pred = readLabels(o.pred!);
      if (pred.length !== truth.length) throw new GenmetricsError(`${o.pred} has ${pred.length} labels but ${o.labels} has ${truth.length}`);
    }
    const s = clusteringScores(truth, pred, { beta: o.beta, average: o.average });
    const kmJson = km ? { k: km.k, inertia: km.inertia, iterations: km.iterations, restarts: o.restarts, seed: km.seed } : null;
    return { ...s, beta: o.beta, average: o.average, kmeans: kmJson };
  },
});
