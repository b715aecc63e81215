/** The C_T data-copying statistic of generated samples against a training set, judged by a held-out test set. */
import * as D from '../defaults';
import { OptionError } from '../errors';
import type { InputProvenance } from '../inputs';
import { readNpy } from '../io/npy';
import { ctStatistic, type CtCell, type CtProjection } from '../metrics/ct';
import type { NetworkOptions } from './common';
import { definePairCommand, loadThird, pairOptionSpecs } from './feature-sets';
import { checkGeneratorOptions, generatedInput, type GeneratorCommandOptions } from './generator-options';

export interface CtOptions extends NetworkOptions, GeneratorCommandOptions {
  test: string;
  components: number;
  cells: number;
  ctSeed: number;
  pcaMean?: string;
  pcaComponents?: string;
  centers?: string;
}

export interface CtCommandResult {
  ct: number;
  tau: number;
  cells: CtCell[];
  projection: { kind: 'pca' | 'given' | 'none'; dims: number };
  /** The k-means seed, or null when the centres were given. */
  seed: number | null;
  test_input: InputProvenance;
  inputs: InputProvenance[];
}

function floats(file: string, key: string, shape: number[]): Float64Array {
  const a = readNpy(file);
  if (a.shape.length !== shape.length || a.shape.some((s, i) => s !== shape[i])) {
    throw new OptionError(key, `${file}: expected shape (${shape.join(', ')}), got (${a.shape.join(', ')})`);
  }
  const out = Float64Array.from(a.data as ArrayLike<number>);
  const bad = out.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new OptionError(key, `${file}: value ${bad} is not finite`);
  return out;
}

export const ctCommand = definePairCommand<CtOptions, Omit<CtCommandResult, 'inputs'>>({
  name: 'ct',
  summary:
    "C_T data-copying statistic (Meehan et al. 2020, dgm-eval's conventions): per k-means cell a z-scored Mann-Whitney U of generated vs test distances to the nearest training sample, after PCA to 64 dims; C_T << 0 means copying",
  example: 'ct generated.npy train.npy --test test.npy --json',
  inputs: [generatedInput(), { name: 'train', help: 'training (real) set the generator learnt from: same kinds' }],
  options: [
    { key: 'test', type: 'string', required: true, help: 'held-out test (real) set, not seen in training: same kinds', valueName: '<T>' },
    { key: 'components', type: 'integer', min: 1, max: 100_000, default: D.CT_COMPONENTS, help: 'sets of more dims are projected on the training PCA of this many components', valueName: '<n>' },
    { key: 'cells', type: 'integer', min: 1, max: 10_000, default: D.CT_CELLS, help: 'k-means cells', valueName: '<k>' },
    { key: 'ctSeed', type: 'integer', min: 0, max: 2 ** 32 - 1, default: D.CT_SEED, help: "k-means seed (dgm-eval leaves it to numpy's global RNG)", valueName: '<n>' },
    { key: 'pcaMean', type: 'string', help: 'a stored projection instead of the PCA: the mean (.npy, D), with option pcaComponents', valueName: '<M.npy>' },
    { key: 'pcaComponents', type: 'string', help: 'the stored projection: components (.npy, n x D, one per row; x -> (x - mean) . components^T)', valueName: '<C.npy>' },
    { key: 'centers', type: 'string', help: 'stored cell centres instead of k-means (.npy, cells x projected dims)', valueName: '<K.npy>' },
    ...pairOptionSpecs,
  ],
  check(_inputs, o) {
    checkGeneratorOptions(o);
    if ((o.pcaMean === undefined) !== (o.pcaComponents === undefined)) throw new OptionError(o.pcaMean === undefined ? 'pcaMean' : 'pcaComponents', 'a stored projection needs both option pcaMean and option pcaComponents');
  },
  needs: 'C_T needs',
  measure: async (A, B, o, threads, reporter) => {
    const P = await loadThird(o.test, o, reporter, threads, 'C_T needs', B);
    const d = B.features.dims;
    let projection: CtProjection | undefined;
    if (o.pcaComponents !== undefined) {
      const shape = readNpy(o.pcaComponents).shape;
      if (shape.length !== 2 || shape[1] !== d) throw new OptionError('pcaComponents', `${o.pcaComponents}: expected n x ${d} components, got (${shape.join(', ')})`);
      projection = { mean: floats(o.pcaMean!, 'pcaMean', [d]), components: floats(o.pcaComponents, 'pcaComponents', shape), k: shape[0] };
    }
    const dims = projection ? projection.k : Math.min(d, o.components);
    const centres = o.centers === undefined ? undefined : floats(o.centers, 'centers', [o.cells, dims]);
    const r = await ctStatistic(B.features, P.features, A.features, { components: o.components, cells: o.cells, seed: o.ctSeed, projection, centres, tauSamples: D.CT_TAU_SAMPLES, threads });
    return { ct: r.ct, tau: r.tau, cells: r.cells, projection: { kind: r.projection, dims: r.dims }, seed: centres ? null : o.ctSeed, test_input: P.provenance };
  },
});
