import * as D from '../defaults';
import { GenmetricsError } from '../errors';
import { readFeatureMatrix } from '../features';
import { readIntegerTable } from '../labels';
import { codeFactorMutualInfo, mig, modularity } from '../metrics/disentanglement';
import { gridScores, gridSizes, type GridScores } from '../metrics/grid';
import { defineCommand } from './descriptor';

export interface DisentanglementOptions {
  codes: string;
  factors: string;
  bins: number;
  grid: boolean;
  seed: number;
  continuousFactors: boolean;
  dci: boolean;
}

export type DisentanglementCommandResult =
  | (GridScores & { sap_continuous_factors: boolean; factor_sizes: number[]; code_dims: number; seed: number })
  | { mig: number; modularity: number; mutual_info: number[][]; factor_entropy: number[]; samples: number; code_dims: number; factors: number; bins: number };

export const disentanglementCommand = defineCommand<DisentanglementOptions, DisentanglementCommandResult>({
  name: 'disentanglement',
  summary:
    "disentanglement of codes against ground-truth factors (disentanglement_lib's definitions): on a fixed sample MIG and modularity; with option grid (F the full factor grid, C its codes row by row) also Beta-VAE, FactorVAE, SAP, explicitness, DCI and IRS, sampled as disentanglement_lib samples",
  example: 'disentanglement --codes codes.npy --factors factors.npy --grid --json',
  inputs: [],
  options: [
    { key: 'codes', type: 'string', required: true, help: 'codes, N x L (e.g. encoder means)', valueName: '<C.npy>' },
    { key: 'factors', type: 'string', required: true, help: 'factor values of the same N samples, N x K integers', valueName: '<F.npy>' },
    { key: 'bins', type: 'integer', min: 2, max: 1_000_000, default: D.DISENTANGLEMENT_BINS, help: 'equal-width histogram bins per code dimension (fixed sample)', valueName: '<n>' },
    { key: 'grid', type: 'boolean', default: false, help: 'F enumerates the full factor grid in C order: compute every metric by sampling' },
    {
      key: 'seed',
      type: 'integer',
      min: 0,
      max: 2 ** 32 - 1,
      default: D.DISENTANGLEMENT_SEED,
      help: "seed of each metric's NumPy legacy RandomState (option grid); DCI's boosted trees draw their feature order as after np.random.seed(seed)",
      valueName: '<n>',
    },
    {
      key: 'continuousFactors',
      type: 'boolean',
      default: D.SAP_CONTINUOUS_FACTORS,
      help: "SAP (option grid) scores each code dimension by its squared correlation with a factor instead of a linear SVM's accuracy (disentanglement_lib's continuous_factors)",
    },
    {
      key: 'dci',
      type: 'boolean',
      default: true,
      help: 'compute DCI (option grid; off: dci is null): gradient boosting per factor, 100 stages of one depth-3 tree per factor value on 10 000 samples, the slowest metric',
    },
  ],
  async run(_inputs, o, reporter) {
    const codes = readFeatureMatrix(o.codes);
    const factors = readIntegerTable(o.factors);
    if (codes.rows !== factors.rows) throw new GenmetricsError(`${o.codes} has ${codes.rows} rows but ${o.factors} has ${factors.rows}`);
    if (o.grid) {
      const sizes = gridSizes(factors, o.factors);
      // DCI fits 100 x (factor values) trees per factor: its progress, in trees.
      const bar = o.dci ? reporter.progress('DCI boosting', 'trees') : undefined;
      const r = await gridScores({ sizes, codes }, o.seed, { continuousFactors: o.continuousFactors, dci: o.dci, dciProgress: (done, total) => bar?.update(done, total) }).finally(() => bar?.stop());
      return { ...r, sap_continuous_factors: o.continuousFactors, factor_sizes: sizes, code_dims: codes.dims, seed: o.seed };
    }
    const m = codeFactorMutualInfo({ codes: codes.data, factors: factors.data, n: codes.rows, codeDims: codes.dims, factorDims: factors.cols }, o.bins);
    return { mig: mig(m), modularity: modularity(m), mutual_info: m.mi, factor_entropy: m.factorEntropy, samples: codes.rows, code_dims: codes.dims, factors: factors.cols, bins: o.bins };
  },
});
