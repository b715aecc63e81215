import { featureFileShape, readDrawnRows } from '../feature-rows';
import { requireSameDims } from '../features';
import { classifyInput, type InputProvenance } from '../inputs';
import { drawSubsets, kid, kidOfDraws, kidPlan, mmd2, type KernelDescription, type MmdEstimator } from '../metrics/kid';
import { readSidecar, requireSameOrigin } from '../network/meta';
import { checkGeneratorOptions, generatedInput, generatorOptionSpecs, sampleInputs, type GeneratorCommandOptions } from './generator-options';
import { defineCommand, type Progress } from './descriptor';
import { networkOptions, ORDER_NOTE, threadsOf, threadsOption, withProgress, type NetworkOptions } from './common';
import { checkDraws, kidJson, kidOptions, kidOptionSpecs, loadPair, precisionOption, reportInputs, type KidCommandOptions } from './feature-sets';

export interface KidOptions extends NetworkOptions, KidCommandOptions, GeneratorCommandOptions {
  full: boolean;
}

export type KidCommandResult =
  | (ReturnType<typeof kidJson> & { inputs: InputProvenance[] })
  | { mmd2: number; estimator: MmdEstimator; kernel: KernelDescription; sizes: [number, number]; inputs: InputProvenance[] };

export const kidCommand = defineCommand<KidOptions, KidCommandResult>({
  name: 'kid',
  summary: `Kernel Inception Distance (torch-fidelity's defaults: 100 subsets of 1000, poly kernel, seed 2020) between two image inputs or features .npy; ${ORDER_NOTE}`,
  example: 'kid generated.npy real.npy --subsets 100 --subset-size 1000 --json',
  inputs: [
    generatedInput(),
    { name: 'b', help: 'reference set: same kinds' },
  ],
  options: [
    ...kidOptionSpecs,
    precisionOption,
    { key: 'full', type: 'boolean', default: false, help: 'the deterministic MMD² between the full sets instead of subsets' },
    ...generatorOptionSpecs,
    ...networkOptions,
    threadsOption,
  ],
  check: (_inputs, o) => {
    checkDraws(o);
    checkGeneratorOptions(o);
  },
  async run(inputs, o, reporter) {
    const threads = threadsOf(o, reporter);
    const k = kidOptions(o);
    const progress = (bar: Progress) => ({ ...k, threads, onProgress: (d: number, t: number) => bar.update(d, t) });
    if (!o.full && o.generator === undefined && inputs.every((f) => classifyInput(f) === 'features')) {
      // Features files: only the rows the subsets draw are read (bounded memory at any file size).
      const [a, b] = inputs.map((f) => ({ path: f, header: featureFileShape(f), preprocessing: readSidecar(f) }));
      requireSameOrigin(a, b);
      requireSameDims({ dims: a.header.dims, source: a.path }, { dims: b.header.dims, source: b.path });
      const plan = kidPlan({ rows: a.header.rows, source: a.path }, { rows: b.header.rows, source: b.path }, k);
      const draws = drawSubsets(a.header.rows, b.header.rows, plan);
      const [ra, rb] = [readDrawnRows(a.path, draws.x), readDrawnRows(b.path, draws.y)];
      const r = await withProgress(reporter, 'KID subsets', 'subsets', (bar) => kidOfDraws(ra.matrix, rb.matrix, { x: ra.draws, y: rb.draws }, plan, progress(bar)));
      const provenance: InputProvenance[] = [a, b].map((p) => ({ path: p.path, kind: 'features', dims: p.header.dims, count: p.header.rows, preprocessing: p.preprocessing }));
      reportInputs(reporter, provenance, r);
      return { ...kidJson(r), inputs: provenance };
    }
    const [A, B] = await loadPair(sampleInputs(inputs, o), o, reporter, threads, 'KID needs');
    const provenance = [A.provenance, B.provenance];
    if (o.full) {
      const r = await withProgress(reporter, 'MMD² tiles', 'tiles', (bar) => mmd2(A.features, B.features, progress(bar)));
      reportInputs(reporter, provenance);
      return { mmd2: r.mmd2, estimator: r.estimator, kernel: r.kernel, sizes: r.sizes, inputs: provenance };
    }
    const r = await withProgress(reporter, 'KID subsets', 'subsets', (bar) => kid(A.features, B.features, progress(bar)));
    reportInputs(reporter, provenance, r);
    return { ...kidJson(r), inputs: provenance };
  },
});
