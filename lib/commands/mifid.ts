/** MiFID (torchmetrics): FID over the thresholded memorisation distance. */
import { GenmetricsError } from '../errors';
import type { InputProvenance } from '../inputs';
import { frechetDistance } from '../metrics/fid';
import { COSINE_DISTANCE_EPS, meanMinCosineDistance, mifidFrom } from '../metrics/mifid';
import { statisticsOfMatrix } from '../stats/moments';
import type { NetworkOptions } from './common';
import { definePairCommand, pairOptionSpecs } from './feature-sets';
import { checkGeneratorOptions, generatedInput, type GeneratorCommandOptions } from './generator-options';

export interface MifidOptions extends NetworkOptions, GeneratorCommandOptions {
  cosineDistanceEps: number;
}

export interface MifidCommandResult {
  mifid: number;
  fid: number;
  /** Mean over the reference rows of the minimum over generated rows of 1 - |cos|. */
  memorization_distance: number;
  distance_used: number;
  /** Whether the memorisation penalty was on (the distance below cosine_distance_eps). */
  penalty: boolean;
  cosine_distance_eps: number;
  inputs: InputProvenance[];
}

export const mifidCommand = definePairCommand<MifidOptions, Omit<MifidCommandResult, 'inputs'>>({
  name: 'mifid',
  summary: "MiFID (Bai et al. 2021, torchmetrics): FID divided by the mean minimum cosine distance of the reference rows to the generated ones when it is below 0.1 (the memorisation penalty), else FID",
  example: 'mifid generated.npy real.npy --json',
  inputs: [generatedInput(), { name: 'b', help: 'reference set: same kinds' }],
  options: [
    { key: 'cosineDistanceEps', type: 'number', min: 0, exclusiveMin: true, max: 1, default: COSINE_DISTANCE_EPS, help: 'the penalty applies when the memorisation distance is below this', valueName: '<eps>' },
    ...pairOptionSpecs,
  ],
  check: (_inputs, o) => checkGeneratorOptions(o),
  needs: 'MiFID needs',
  measure: async (A, B, o, threads) => {
    if (A.features.rows < 2 || B.features.rows < 2) throw new GenmetricsError('MiFID needs at least 2 samples per set (its FID estimates covariances)');
    const f = await frechetDistance(await statisticsOfMatrix(A.features, threads), await statisticsOfMatrix(B.features, threads), { threads });
    const distance = await meanMinCosineDistance(B.features, A.features, { threads });
    const m = mifidFrom(f.fid, distance, o.cosineDistanceEps);
    return { mifid: m.mifid, fid: f.fid, memorization_distance: distance, distance_used: m.distanceUsed, penalty: m.penalty, cosine_distance_eps: o.cosineDistanceEps };
  },
});
