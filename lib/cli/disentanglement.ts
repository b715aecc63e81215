import type { Command } from 'commander';
import { GenmetricsError } from '../errors';
import { readFeatureMatrix } from '../features';
import { readIntegerTable } from '../labels';
import { codeFactorMutualInfo, mig, modularity } from '../metrics/disentanglement';
import { makeContext, parseInteger, type CommonOptions } from './context';
import { withCommonOptions } from './options';

interface DisentanglementOptions extends CommonOptions {
  codes: string;
  factors: string;
  bins: string;
}

export function registerDisentanglement(program: Command): void {
  withCommonOptions(
    program
      .command('disentanglement')
      .description("disentanglement of codes against ground-truth factors on a fixed sample (disentanglement_lib's definitions): MIG and modularity from the discretised codes' mutual information")
      .requiredOption('--codes <C.npy>', 'codes, N x L (e.g. encoder means)')
      .requiredOption('--factors <F.npy>', 'factor values of the same N samples, N x K integers')
      .option('--bins <n>', 'equal-width histogram bins per code dimension', '20'),
  ).action((opts: DisentanglementOptions) => {
    const ctx = makeContext(opts);
    const codes = readFeatureMatrix(opts.codes);
    const factors = readIntegerTable(opts.factors);
    if (codes.rows !== factors.rows) throw new GenmetricsError(`${opts.codes} has ${codes.rows} rows but ${opts.factors} has ${factors.rows}`);
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
