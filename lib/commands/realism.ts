/** Realism scores per generated sample, in Kynkäänniemi et al.'s or dgm-eval's convention. */
import type { InputProvenance } from '../inputs';
import { writeCsv } from '../io/csv';
import { realism, REALISM_K, type RealismConvention } from '../metrics/realism';
import type { NetworkOptions } from './common';
import { definePairCommand, pairOptionSpecs } from './feature-sets';
import { checkGeneratorOptions, generatedInput, type GeneratorCommandOptions } from './generator-options';

export interface RealismOptions extends NetworkOptions, GeneratorCommandOptions {
  convention: RealismConvention;
  k?: number;
  perSample?: string;
}

export interface RealismCommandResult {
  convention: RealismConvention;
  k: number;
  mean: number;
  median: number;
  /** kynkaanniemi: the share of generated samples inside a pruned real ball; null for dgm-eval. */
  pruned_manifold_precision: number | null;
  inputs: InputProvenance[];
}

export const realismCommand = definePairCommand<RealismOptions, Omit<RealismCommandResult, 'inputs'>>({
  name: 'realism',
  summary: "Realism score of each generated sample (Kynkäänniemi et al. 2019): squared distances, k = 3, radii above the median zeroed (kynkaanniemi), or dgm-eval's plain distances, k = 5, radii below the median kept; mean, median, the pruned-manifold precision",
  example: 'realism generated.npy real.npy --per-sample realism.csv --json',
  inputs: [generatedInput(), { name: 'b', help: 'reference (real) set: same kinds' }],
  options: [
    { key: 'convention', type: 'string', choices: ['kynkaanniemi', 'dgm-eval'], default: 'kynkaanniemi', help: 'whose realism score', valueName: '<c>' },
    { key: 'k', type: 'integer', short: 'k', min: 1, max: 1000, defaultNote: `${REALISM_K.kynkaanniemi} (kynkaanniemi), ${REALISM_K['dgm-eval']} (dgm-eval)`, help: 'neighbourhood of the radii', valueName: '<k>' },
    { key: 'perSample', type: 'string', output: true, help: "write every generated sample's score to a CSV file (sample, realism)", valueName: '<file.csv>' },
    ...pairOptionSpecs,
  ],
  check: (_inputs, o) => checkGeneratorOptions(o),
  needs: 'realism scores need',
  measure: async (A, B, o, threads) => {
    const k = o.k ?? REALISM_K[o.convention];
    const r = await realism(B.features, A.features, { convention: o.convention, k, threads });
    if (o.perSample) writeCsv(o.perSample, [['sample', 'realism'], ...Array.from(r.scores, (v, i) => [i, v])]);
    return { convention: o.convention, k, mean: r.mean, median: r.median, pruned_manifold_precision: r.prunedPrecision };
  },
});
