import * as D from '../defaults';
import { GenmetricsError } from '../errors';
import { loadStatistics, type InputProvenance } from '../inputs';
import { frechetDistance } from '../metrics/fid';
import { requireSameOrigin } from '../network/meta';
import { defineCommand } from './descriptor';
import { checkGeneratorOptions, generatorOptionSpecs, latentSeedOption, sampleInputs, type GeneratorCommandOptions } from './generator-options';
import { featureOptions, networkOptions, threadsOf, threadsOption, warnSkipped, withProgress, type NetworkOptions } from './common';

export interface FidOptions extends NetworkOptions, GeneratorCommandOptions {
  eps: number;
}

export interface FidCommandResult {
  fid: number;
  mean_term: number;
  covariance_term: number;
  route: string;
  eps_applied: boolean;
  /** A round-off negative value (within 1e-5 of the traces) reported as 0. */
  clamped: boolean;
  inputs: InputProvenance[];
}

export const fidCommand = defineCommand<FidOptions, FidCommandResult>({
  name: 'fid',
  summary:
    'Fréchet Inception Distance between two inputs: image folders/files/uint8 arrays, features (.npy, N x D) or statistics (.npz with mu, sigma)',
  example: 'fid generated/ real/ --mode clean --json',
  inputs: [
    { name: 'a', help: 'first input (left out with option generator, which draws it)', generator: true },
    { name: 'b', help: 'second input' },
  ],
  options: [
    { key: 'eps', type: 'number', min: 0, default: D.FID_EPS, help: "pytorch-fid's eps, added to both covariance diagonals only if the result is not finite", valueName: '<x>' },
    ...generatorOptionSpecs,
    latentSeedOption,
    ...networkOptions,
    threadsOption,
  ],
  check: (_inputs, o) => checkGeneratorOptions(o),
  async run(inputs, o, reporter) {
    const [a, b] = sampleInputs(inputs, o);
    const threads = threadsOf(o, reporter);
    const loaded = await withProgress(reporter, 'features', 'img', (net) =>
      withProgress(reporter, 'moments', 'rows', async (bar) => {
        const load = { threads, onWarning: (m: string) => reporter.warn(m), onProgress: (d: number, t: number) => bar.update(d, t), network: featureOptions(o, reporter, threads, net) };
        return [await loadStatistics(a, load), await loadStatistics(b, load)];
      }),
    );
    const [A, B] = loaded;
    requireSameOrigin(A.provenance, B.provenance);
    if (A.stats.dims !== B.stats.dims) {
      throw new GenmetricsError(`dimension mismatch: ${A.provenance.path} is ${A.stats.dims}-d, ${B.provenance.path} is ${B.stats.dims}-d`);
    }
    let r;
    try {
      r = await frechetDistance(A.stats, B.stats, { eps: o.eps, threads });
    } catch (err) {
      // Name the input behind the native core's "sigma1"/"mu2"... in its messages.
      const msg = (err instanceof Error ? err.message : String(err))
        .replace(/\b(mu|sigma)1\b/, `${A.provenance.path} [$1]`)
        .replace(/\b(mu|sigma)2\b/, `${B.provenance.path} [$1]`);
      throw new GenmetricsError(msg);
    }
    if (r.epsApplied) reporter.warn(`the covariance product was not finite; added eps=${o.eps} to both diagonals (pytorch-fid behaviour)`);
    for (const p of [A.provenance, B.provenance]) warnSkipped(reporter, p.path, p.images?.skipped ?? []);
    return { fid: r.fid, mean_term: r.meanTerm, covariance_term: r.covarianceTerm, route: r.route, eps_applied: r.epsApplied, clamped: r.clamped, inputs: [A.provenance, B.provenance] };
  },
});
