import type { Command } from 'commander';
import { allMetrics } from '../metrics/all';
import { makeContext, parseInteger, parseNumber } from './context';
import { networkOptions, withNetworkOptions, type NetworkCliOptions } from './network';
import { withCommonOptions } from './options';
import {
  kidJson,
  kidLine,
  kidOptions,
  ORDER_NOTE,
  phaseProgress,
  prdcJson,
  prdcLines,
  prdcOptions,
  reportInputs,
  withKidOptions,
  withPrdcOptions,
  type KidCliOptions,
  type PrdcCliOptions,
} from './pairwise';

interface AllCommandOptions extends NetworkCliOptions, KidCliOptions, PrdcCliOptions {
  eps: string;
  splits: string;
}

export function registerAll(program: Command): void {
  withNetworkOptions(
    withPrdcOptions(
      withKidOptions(
        withCommonOptions(
          program
            .command('all')
            .description(
              `FID, KID, precision, recall, density, coverage (and the Inception Score of A when it is images) from one feature pass; ${ORDER_NOTE}`,
            )
            .argument('<a>', 'generated set: image folder/file/uint8 array or features .npy (N x D)')
            .argument('<b>', 'reference set: same kinds')
            .option('--splits <k>', 'Inception Score (image inputs): number of splits', '10')
            .option('--eps <x>', "FID: pytorch-fid's eps, added to both covariance diagonals only if the result is not finite", '1e-6'),
        ),
      ),
    ),
  ).action(async (a: string, b: string, opts: AllCommandOptions) => {
    const ctx = makeContext(opts);
    const kid = kidOptions(opts);
    const prdc = prdcOptions(opts);
    const eps = parseNumber(opts.eps, '--eps');
    const network = networkOptions(opts, ctx, 'features');
    const bars = phaseProgress(ctx, 'steps');
    let r;
    try {
      // The Inception Score's shuffle uses the same seed, as torch-fidelity's single rng_seed.
      r = await allMetrics(a, b, { eps, kid, prdc, inceptionScore: { seed: kid.seed, splits: parseInteger(opts.splits, '--splits', 1) }, network, threads: ctx.threads, onWarning: ctx.warn, onPhase: bars.update });
    } finally {
      network.done();
      bars.stop();
    }
    reportInputs(ctx, r.inputs, r.kid);
    if (r.fid.epsApplied) ctx.warn(`the covariance product was not finite; added eps=${eps} to both diagonals (pytorch-fid behaviour)`);
    const is = r.inceptionScore;
    ctx.print(
      {
        fid: r.fid.fid,
        ...kidJson(r.kid),
        ...prdcJson(r.prdc),
        ...(is ? { inception_score: { mean: is.mean, std: is.std, splits: is.splits } } : {}),
        inputs: r.inputs,
      },
      [
        `FID: ${r.fid.fid}`,
        kidLine(r.kid),
        ...prdcLines(r.prdc),
        ...(is ? [`Inception Score (A): ${is.mean} ± ${is.std} (${is.splits} splits)`] : []),
      ],
    );
  });
}
