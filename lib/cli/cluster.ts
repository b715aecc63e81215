import type { Command } from 'commander';
import { GenmetricsError } from '../errors';
import { readFeatureMatrix } from '../features';
import { writeNpy } from '../io/npy';
import { readLabels } from '../labels';
import { clusteringScores, type AverageMethod } from '../metrics/clustering';
import { kmeans, type KMeansResult } from '../metrics/kmeans';
import { makeContext, parseInteger, parseNumber, type CommonOptions } from './context';
import { withCommonOptions } from './options';

interface ClusterOptions extends CommonOptions {
  codes?: string;
  labels: string;
  pred?: string;
  k?: string;
  restarts: string;
  maxIter: string;
  seed: string;
  beta: string;
  average: string;
  out?: string;
}

const AVERAGES: AverageMethod[] = ['min', 'geometric', 'arithmetic', 'max'];

export function registerCluster(program: Command): void {
  withCommonOptions(
    program
      .command('cluster')
      .description(
        "k-means of latent codes (k-means++, seeded restarts, native) scored against labels with scikit-learn's homogeneity, completeness, V-measure, ARI, NMI and AMI; or score a given assignment (--pred)",
      )
      .requiredOption('--labels <Y.npy>', 'reference labels (1-D integer array)')
      .option('--codes <Z.npy>', 'codes to cluster (N x D float32/float64)')
      .option('--pred <P.npy>', 'score this assignment instead of running k-means')
      .option('--k <n>', 'clusters (default: the number of distinct labels)')
      .option('--restarts <n>', 'seeded k-means++ restarts, the lowest inertia wins', '10')
      .option('--max-iter <n>', 'Lloyd iterations per restart', '300')
      .option('--seed <n>', 'seed of the k-means++ draws', '0')
      .option('--beta <b>', 'V-measure weight (beta > 1 favours completeness)', '1')
      .option('--average <method>', `NMI/AMI normaliser: ${AVERAGES.join(', ')}`, 'arithmetic')
      .option('--out <P.npy>', 'write the k-means assignment (int32)'),
  ).action(async (opts: ClusterOptions) => {
    const ctx = makeContext(opts);
    if (!opts.codes === !opts.pred) throw new GenmetricsError('pass --codes (to cluster) or --pred (an assignment to score), not both or neither');
    if (opts.pred && opts.out) throw new GenmetricsError('--out writes the k-means assignment; there is none with --pred');
    const average = opts.average as AverageMethod;
    if (!AVERAGES.includes(average)) throw new GenmetricsError(`--average: expected one of ${AVERAGES.join(', ')}, got '${opts.average}'`);
    const beta = parseNumber(opts.beta, '--beta');
    const truth = readLabels(opts.labels);
    let pred: ArrayLike<number>;
    let km: KMeansResult | undefined;
    if (opts.codes) {
      const codes = readFeatureMatrix(opts.codes);
      if (codes.rows !== truth.length) {
        throw new GenmetricsError(`${opts.codes} has ${codes.rows} rows but ${opts.labels} has ${truth.length} labels`);
      }
      const k = opts.k === undefined ? new Set(truth).size : parseInteger(opts.k, '--k', 1);
      const restarts = parseInteger(opts.restarts, '--restarts', 1);
      const maxIter = parseInteger(opts.maxIter, '--max-iter', 1);
      const seed = parseInteger(opts.seed, '--seed', 0);
      km = await ctx.withProgress('k-means', 'restarts', (onProgress) => kmeans(codes, { k, restarts, maxIter, seed, threads: ctx.threads, onProgress }));
      pred = km.labels;
      if (opts.out) writeNpy(opts.out, { dtype: 'int32', shape: [km.labels.length], data: km.labels });
    } else {
      pred = readLabels(opts.pred!);
      if (pred.length !== truth.length) throw new GenmetricsError(`${opts.pred} has ${pred.length} labels but ${opts.labels} has ${truth.length}`);
    }
    const s = clusteringScores(truth, pred, { beta, average });
    const kmJson = km ? { k: km.k, inertia: km.inertia, iterations: km.iterations, restarts: Number(opts.restarts), seed: km.seed } : null;
    const f = (v: number | null) => (v === null ? 'n/a' : v.toFixed(6));
    ctx.print({ ...s, beta, average, kmeans: kmJson }, [
      ...(km ? [`k-means: k = ${km.k}, inertia ${km.inertia}, best of ${opts.restarts} restarts (seed ${km.seed})`] : []),
      `homogeneity ${f(s.homogeneity)}  completeness ${f(s.completeness)}  V-measure ${f(s.v_measure)}${beta === 1 ? '' : ` (beta ${beta})`}`,
      `ARI ${f(s.adjusted_rand)}  NMI ${f(s.normalized_mutual_info)}  AMI ${f(s.adjusted_mutual_info)}  (${average}; ${s.n} samples, ${s.classes} classes, ${s.clusters} clusters)`,
    ]);
  });
}
