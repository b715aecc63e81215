import type { InputProvenance } from '../inputs';
import { prdc } from '../metrics/prdc';
import { checkGeneratorOptions, generatedInput, generatorOptionSpecs, latentSeedOption, sampleInputs, type GeneratorCommandOptions } from './generator-options';
import { defineCommand } from './descriptor';
import { networkOptions, ORDER_NOTE, phaseProgress, threadsOf, threadsOption, type NetworkOptions } from './common';
import { loadPair, prdcJson, prdcOptions, prdcOptionSpecs, precisionOption, reportInputs, type PrdcCommandOptions } from './feature-sets';

export interface PrdcOptions extends NetworkOptions, PrdcCommandOptions, GeneratorCommandOptions {}

export type PrdcCommandResult = ReturnType<typeof prdcJson> & { inputs: InputProvenance[] };

export const prdcCommand = defineCommand<PrdcOptions, PrdcCommandResult>({
  name: 'prdc',
  summary: `Precision, recall (k=3, d <= r: torch-fidelity/Kynkäänniemi), density and coverage (k=5, d < r: prdc) between two image inputs or features .npy; ${ORDER_NOTE}`,
  example: 'prdc generated/ real/ --json',
  inputs: [
    generatedInput(),
    { name: 'b', help: 'reference set: same kinds' },
  ],
  options: [...prdcOptionSpecs, precisionOption, ...generatorOptionSpecs, latentSeedOption, ...networkOptions, threadsOption],
  check: (_inputs, o) => checkGeneratorOptions(o),
  async run(inputs, o, reporter) {
    const threads = threadsOf(o, reporter);
    const [A, B] = await loadPair(sampleInputs(inputs, o), o, reporter, threads, 'precision/recall and density/coverage need');
    const bars = phaseProgress(reporter, 'tiles');
    let r;
    try {
      r = await prdc(A.features, B.features, { ...prdcOptions(o), threads, onProgress: bars.update });
    } finally {
      bars.stop();
    }
    const provenance = [A.provenance, B.provenance];
    reportInputs(reporter, provenance);
    return { ...prdcJson(r), inputs: provenance };
  },
});
