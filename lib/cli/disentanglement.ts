import type { Command } from 'commander';
import { GenmetricsError } from '../errors';
import { readFeatureMatrix } from '../features';
import { readIntegerTable } from '../labels';
import { codeFactorMutualInfo, mig, modularity } from '../metrics/disentanglement';
import { gridScores, gridSizes } from '../metrics/grid';
import { makeContext, parseInteger, type CommonOptions } from './context';
import { withCommonOptions } from './options';

interface DisentanglementOptions extends CommonOptions {
  codes: string;
  factors: string;
  bins: string;
  grid?: boolean;
  seed: string;
}

export function registerDisentanglement(program: Command): void {
  withCommonOptions(
    program
      .command('disentanglement')
      .description(
        "disentanglement of codes against ground-truth factors (disentanglement_lib's definitions): on a fixed sample MIG and modularity; with --grid (F the full factor grid, C its codes row by row) also Beta-VAE, FactorVAE, SAP and explicitness, sampled as disentanglement_lib samples",
      )
      .requiredOption('--codes <C.npy>', 'codes, N x L (e.g. encoder means)')
      .requiredOption('--factors <F.npy>', 'factor values of the same N samples, N x K integers')
      .option('--bins <n>', 'equal-width histogram bins per code dimension (fixed sample)', '20')
      .option('--grid', 'F enumerates the full factor grid in C order: compute every metric by sampling')
      .option('--seed <n>', "seed of each metric's NumPy legacy RandomState (--grid)", '0'),
  ).action(async (opts: DisentanglementOptions) => {
    const ctx = makeContext(opts);
    const codes = readFeatureMatrix(opts.codes);
    const factors = readIntegerTable(opts.factors);
    if (codes.rows !== factors.rows) throw new GenmetricsError(`${opts.codes} has ${codes.rows} rows but ${opts.factors} has ${factors.rows}`);
    if (opts.grid) {
      const sizes = gridSizes(factors, opts.factors);
      const r = await gridScores({ sizes, codes }, parseInteger(opts.seed, '--seed', 0));
      ctx.print({ ...r, factor_sizes: sizes, code_dims: codes.dims, seed: Number(opts.seed) }, [
        `grid ${sizes.join(' x ')}, ${codes.dims} code dims, seed ${opts.seed}:`,
        `  MIG ${r.mig}  modularity ${r.modularity}  explicitness ${r.explicitness_test} (train ${r.explicitness_train})  SAP ${r.sap}`,
        `  Beta-VAE ${r.beta_vae_eval} (train ${r.beta_vae_train})  FactorVAE ${r.factor_vae_eval} (train ${r.factor_vae_train}, ${r.factor_vae_active_dims} active dims)`,
      ]);
      return;
    }
    const bins = parseInteger(opts.bins, '--bins', 2);
    const m = codeFactorMutualInfo({ codes: codes.data, factors: factors.data, n: codes.rows, codeDims: codes.dims, factorDims: factors.cols }, bins);
    const r = { mig: mig(m), modularity: modularity(m) };
    ctx.print(
      { ...r, mutual_info: m.mi, factor_entropy: m.factorEntropy, samples: codes.rows, code_dims: codes.dims, factors: factors.cols, bins },
      [
        `MIG ${r.mig}  modularity ${r.modularity}  (${codes.rows} samples, ${codes.dims} code dims, ${factors.cols} factors, ${bins} bins)`,
        'mutual information (nats), codes x factors:',
        ...m.mi.map((row, i) => `  z${i}: ${row.map((v) => v.toFixed(4)).join('  ')}`),
      ],
    );
  });
}
