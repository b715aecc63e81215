import type { Command } from 'commander';
import { fid } from '../metrics/fid';
import { makeContext, parseNumber } from './context';
import { networkOptions, warnSkipped, withNetworkOptions, type NetworkCliOptions } from './network';
import { withCommonOptions } from './options';

interface FidOptions extends NetworkCliOptions {
  eps: string;
}

export function registerFid(program: Command): void {
  withNetworkOptions(
    withCommonOptions(
      program
        .command('fid')
        .description('Fréchet Inception Distance between two inputs: image folders/files/uint8 arrays, features (.npy, N x D) or statistics (.npz with mu, sigma)')
        .argument('<a>', 'first input')
        .argument('<b>', 'second input')
        .option('--eps <x>', "pytorch-fid's eps, added to both covariance diagonals only if the result is not finite", '1e-6'),
    ),
  ).action(async (a: string, b: string, opts: FidOptions) => {
    const ctx = makeContext(opts);
    const eps = parseNumber(opts.eps, '--eps');
    const network = networkOptions(opts, ctx, 'features');
    const bar = ctx.progress('moments', 'rows');
    let res;
    try {
      res = await fid(a, b, { eps, threads: ctx.threads, onWarning: ctx.warn, onProgress: (d, t) => bar.update(d, t), network });
    } finally {
      bar.stop();
      network.done();
    }
    if (res.epsApplied) ctx.warn(`the covariance product was not finite; added eps=${eps} to both diagonals (pytorch-fid behaviour)`);
    for (const p of res.inputs) warnSkipped(ctx, p.path, p.images?.skipped ?? []);
    ctx.print(
      {
        fid: res.fid,
        mean_term: res.meanTerm,
        covariance_term: res.covarianceTerm,
        route: res.route,
        eps_applied: res.epsApplied,
        inputs: res.inputs,
      },
      [`FID: ${res.fid}`],
    );
  });
}
