/** NDB (Richardson & Weiss 2018): statistically different bins of the reference's k-means cells. */
import { OptionError } from '../errors';
import type { InputProvenance } from '../inputs';
import { readNpy } from '../io/npy';
import { ndbBins, ndbTest, type NdbBins } from '../metrics/ndb';
import { networkOptions, threadsOption, withProgress, type NetworkOptions } from './common';
import { definePairCommand } from './feature-sets';
import { checkGeneratorOptions, generatedInput, generatorOptionSpecs, type GeneratorCommandOptions } from './generator-options';

export interface NdbOptions extends NetworkOptions, GeneratorCommandOptions {
  bins: number;
  alpha: number;
  centers?: string;
  usedDims?: string;
  refProportions?: string;
}

export interface NdbCommandResult {
  ndb: number;
  ndb_over_k: number;
  js: number;
  bins: number;
  different_bins: number[];
  proportions: number[];
  ref_proportions: number[];
  /** The seed of the dimensions and the k-means, or null when the bins were given. */
  seed: number | null;
  inputs: InputProvenance[];
}

const STORED = ['centers', 'usedDims', 'refProportions'] as const;

export const ndbCommand = definePairCommand<NdbOptions, Omit<NdbCommandResult, 'inputs'>>({
  name: 'ndb',
  summary: 'NDB (Richardson & Weiss 2018): the number of k-means bins of the reference whose share of generated samples differs significantly (pooled two-proportion z-tests), and the JS divergence of the shares',
  example: 'ndb generated.npy real.npy --bins 100 --json',
  inputs: [generatedInput(), { name: 'b', help: 'reference set: same kinds' }],
  options: [
    { key: 'bins', type: 'integer', min: 2, max: 10_000, default: 100, help: 'k-means bins of the reference', valueName: '<k>' },
    { key: 'alpha', type: 'number', min: 0, exclusiveMin: true, max: 1, exclusiveMax: true, default: 0.05, help: 'significance level of each bin test', valueName: '<a>' },
    { key: 'seed', type: 'integer', min: 0, max: 2 ** 32 - 1, default: 0, help: "seed of the dimensions drawn (d > 1000: d // 6 of them, NumPy's legacy RandomState) and of the k-means; with a generator, also its latent codes", valueName: '<n>' },
    { key: 'centers', type: 'string', help: 'stored bins instead: centres over the used dimensions (.npy, K x u)', valueName: '<C.npy>' },
    { key: 'usedDims', type: 'string', help: 'stored bins: the used dimensions (.npy, u integers)', valueName: '<U.npy>' },
    { key: 'refProportions', type: 'string', help: 'stored bins: the reference proportions (.npy, K)', valueName: '<P.npy>' },
    ...generatorOptionSpecs,
    ...networkOptions,
    threadsOption,
  ],
  check(_inputs, o) {
    checkGeneratorOptions(o);
    const given = STORED.filter((k) => o[k] !== undefined);
    if (given.length > 0 && given.length < STORED.length) throw new OptionError(STORED.find((k) => o[k] === undefined)!, 'stored bins need all three: option centers, option usedDims and option refProportions');
  },
  needs: 'NDB needs',
  measure: async (A, B, o, threads, reporter) => {
    let bins: NdbBins;
    if (o.centers !== undefined) {
      const c = readNpy(o.centers);
      const u = readNpy(o.usedDims!);
      const p = readNpy(o.refProportions!);
      if (c.shape.length !== 2 || u.shape.length !== 1 || p.shape.length !== 1 || c.shape[0] !== p.shape[0] || c.shape[1] !== u.shape[0]) {
        throw new OptionError('centers', `expected centres K x u, used dimensions u and proportions K; got (${c.shape.join(', ')}), (${u.shape.join(', ')}) and (${p.shape.join(', ')})`);
      }
      bins = { centers: Float64Array.from(c.data as ArrayLike<number>), usedDims: Array.from(u.data as ArrayLike<number | bigint>, Number), refProportions: Float64Array.from(p.data as ArrayLike<number>), refSize: B.features.rows };
    } else {
      bins = await withProgress(reporter, 'k-means', 'restarts', () => ndbBins(B.features, o.bins, o.seed, threads));
    }
    const r = ndbTest(A.features, bins, o.alpha);
    return {
      ndb: r.ndb,
      ndb_over_k: r.ndbOverK,
      js: r.js,
      bins: bins.refProportions.length,
      different_bins: r.differentBins,
      proportions: Array.from(r.proportions),
      ref_proportions: Array.from(bins.refProportions),
      seed: o.centers !== undefined ? null : o.seed,
    };
  },
});
