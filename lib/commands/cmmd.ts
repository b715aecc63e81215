/** CMMD (Jayasumana et al. 2024): the scaled RBF MMD of CLIP embeddings, google-research's cmmd formula. */
import * as D from '../defaults';
import type { InputProvenance } from '../inputs';
import { cmmd } from '../metrics/cmmd';
import { BUILTIN_EXTRACTORS, isInception } from '../network/extractor';
import { networkOptions, threadsOption, withProgress, type NetworkOptions } from './common';
import { definePairCommand, precisionOption } from './feature-sets';
import { checkGeneratorOptions, generatedInput, generatorOptionSpecs, latentSeedOption, type GeneratorCommandOptions } from './generator-options';
import type { PairwisePrecision } from '../metrics/kid';

export interface CmmdOptions extends NetworkOptions, GeneratorCommandOptions {
  sigma: number;
  scale: number;
  precision: PairwisePrecision;
}

export interface CmmdCommandResult {
  cmmd: number;
  /** The unscaled MMD² (cmmd / scale). */
  mmd2: number;
  sizes: [number, number];
  /** What was computed, in the reference's terms. */
  convention: {
    reference: string;
    kernel: { kernel: 'rbf'; sigma: number };
    scale: number;
    estimator: 'biased';
    /** For image inputs: the extractor and its preprocessing; null for features files. */
    embedding: string | null;
  };
  inputs: InputProvenance[];
}

const FORMULA = 'google-research cmmd/distance.py mmd: scale * (mean K_XX + mean K_YY - 2 mean K_XY) over all pairs, diagonals included (biased V-statistic)';

/** The image options, with CLIP as the default extractor (what CMMD is defined on). */
const cmmdNetworkOptions = networkOptions.map((o) => (o.key === 'extractor' ? { ...o, default: D.CMMD_EXTRACTOR } : o));

export const cmmdCommand = definePairCommand<CmmdOptions, Omit<CmmdCommandResult, 'inputs'>>({
  name: 'cmmd',
  summary:
    "CMMD (Jayasumana et al. 2024, google-research's cmmd): 1000 x the biased MMD² with a Gaussian RBF kernel (sigma 10) between CLIP ViT-L/14@336px embeddings of two sets (image inputs go through extractor clip-vit-l14 with CMMD's preprocessing), streamed in bounded memory; the two sets are interchangeable",
  example: 'cmmd generated/ real/ --json',
  inputs: [generatedInput(), { name: 'b', help: 'reference set: same kinds (image folder/file/uint8 array or features .npy)' }],
  options: [
    { key: 'sigma', type: 'number', min: 0, exclusiveMin: true, default: D.CMMD_SIGMA, help: "RBF kernel bandwidth (the reference's _SIGMA)", valueName: '<s>' },
    { key: 'scale', type: 'number', min: 0, exclusiveMin: true, default: D.CMMD_SCALE, help: "factor on the MMD² (the reference's _SCALE)", valueName: '<k>' },
    precisionOption,
    ...generatorOptionSpecs,
    latentSeedOption,
    ...cmmdNetworkOptions,
    threadsOption,
  ],
  check: (_inputs, o) => checkGeneratorOptions(o),
  needs: 'CMMD needs',
  measure: async (A, B, o, threads, reporter) => {
    if (isInception(o.extractor) && [A, B].some((s) => s.provenance.kind === 'images' || s.provenance.kind === 'generator')) {
      reporter.notice('CMMD is defined on CLIP embeddings; with extractor inception this is the same formula on Inception pool3 features');
    }
    const r = await withProgress(reporter, 'CMMD tiles', 'tiles', (bar) => cmmd(A.features, B.features, { sigma: o.sigma, scale: o.scale, precision: o.precision, threads, onProgress: (d, t) => bar.update(d, t) }));
    const images = [A, B].some((s) => s.provenance.kind === 'images' || s.provenance.kind === 'generator');
    const builtin = BUILTIN_EXTRACTORS[o.extractor as keyof typeof BUILTIN_EXTRACTORS];
    const embedding = images ? (builtin ? `${o.extractor}: ${builtin.convention}` : `${o.extractor}`) : null;
    return {
      cmmd: r.cmmd,
      mmd2: r.mmd2,
      sizes: r.sizes,
      convention: { reference: FORMULA, kernel: { kernel: 'rbf' as const, sigma: r.sigma }, scale: r.scale, estimator: 'biased' as const, embedding },
    };
  },
});
