/** Authenticity (AuthPct, dgm-eval): the share of generated samples closer to their nearest real one than that one is to another real. */
import type { InputProvenance } from '../inputs';
import { authenticity } from '../metrics/authenticity';
import type { NetworkOptions } from './common';
import { definePairCommand, pairOptionSpecs } from './feature-sets';
import { checkGeneratorOptions, generatedInput, type GeneratorCommandOptions } from './generator-options';

export type AuthenticityOptions = NetworkOptions & GeneratorCommandOptions;

export interface AuthenticityCommandResult {
  authpct: number;
  authpct_float32: number;
  inputs: InputProvenance[];
}

export const authenticityCommand = definePairCommand<AuthenticityOptions, Omit<AuthenticityCommandResult, 'inputs'>>({
  name: 'authpct',
  aliases: ['authenticity'],
  summary: "Authenticity (Alaa et al. 2022, dgm-eval's AuthPct): % of generated samples whose nearest training sample lies closer to another training sample than to them",
  example: 'authpct generated.npy train.npy --json',
  inputs: [generatedInput(), { name: 'train', help: 'training (real) set: same kinds' }],
  options: pairOptionSpecs,
  check: (_inputs, o) => checkGeneratorOptions(o),
  needs: 'authenticity needs',
  measure: async (A, B, o, threads) => {
    const r = await authenticity(B.features, A.features, { threads });
    return { authpct: r.authpct, authpct_float32: r.authpct_float32 };
  },
});
