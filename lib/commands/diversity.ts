import * as D from '../defaults';
import { OptionError } from '../errors';
import { classifyInput, loadFeatures } from '../inputs';
import { writeCsv } from '../io/csv';
import { featureDiversity, type DiversityResult } from '../metrics/diversity';
import { RESIZE_MODES, type ResizeMode } from '../images/preprocess';
import { diversity } from '../network/lpips-pairs';
import { GenmetricsError } from '../errors';
import { defineCommand } from './descriptor';
import { threadsOf, threadsOption, withProgress } from './common';
import { intervalJson, lpipsOptionSpecs, lpipsRunOptions, type LpipsCommonOptions } from './lpips';

export interface DiversityOptions extends LpipsCommonOptions {
  pairs: number;
  seed: number;
  space?: 'lpips' | 'inception';
  mode: ResizeMode;
  cache: boolean;
}

export interface DiversityCommandResult {
  diversity: ReturnType<typeof intervalJson>;
  space: string;
  distance: 'lpips' | 'euclidean';
  pairs: number;
  all_pairs: boolean;
  seed: number;
  model: { name: string; sha256: string } | null;
  device: string | null;
  resize: number | null;
  per_pair: string | null;
}

/** Random pairs beyond this are refused: their indices and distances are held in memory. */
const MAX_PAIRS = 10_000_000;

export const diversityCommand = defineCommand<DiversityOptions, DiversityCommandResult>({
  name: 'diversity',
  summary:
    'sample diversity: mean distance between random distinct pairs of one set (LPIPS between images, or Euclidean between Inception features), with a 95% CI',
  example: 'diversity generated/ --pairs 1000 --json',
  inputs: [{ name: 'input', help: 'image folder/file stack (.npy/.npz uint8), or features .npy (N x D)' }],
  options: [
    { key: 'pairs', type: 'integer', min: 1, max: MAX_PAIRS, default: D.DIVERSITY_PAIRS, help: 'random distinct pairs (all pairs when fewer exist)', valueName: '<n>' },
    { key: 'seed', type: 'integer', min: 0, max: 2 ** 32 - 1, default: D.DIVERSITY_SEED, help: "seed of the pair draws (NumPy's legacy MT19937)", valueName: '<n>' },
    {
      key: 'space',
      type: 'string',
      choices: ['lpips', 'inception'],
      defaultNote: 'lpips for images, inception for a features .npy',
      help: 'lpips (images) or inception (pool3 features of the images; a features .npy is used as it is)',
      valueName: '<space>',
    },
    { key: 'mode', type: 'string', choices: RESIZE_MODES, default: D.RESIZE_MODE, help: 'Inception preprocessing with space inception (see the features command)', valueName: '<mode>' },
    { key: 'cache', type: 'boolean', default: true, help: 'with space inception: use the feature cache (off: neither read nor write it)' },
    ...lpipsOptionSpecs,
    threadsOption,
  ],
  check([input], o) {
    if (o.space === 'inception' && o.resize !== undefined) throw new OptionError('resize', 'resize applies to LPIPS; with option space inception the images go through option mode');
  },
  async run([input], o, reporter) {
    const threads = threadsOf(o, reporter);
    const kind = classifyInput(input);
    if (kind === 'statistics') throw new GenmetricsError(`${input}: a statistics file holds no samples; diversity needs images or a features .npy`);
    const space = o.space ?? (kind === 'features' ? 'inception' : D.DIVERSITY_SPACE_IMAGES);
    if (space === 'lpips' && kind === 'features') {
      throw new GenmetricsError(`${input}: a features array has no images to compare with LPIPS; use option space inception (Euclidean distance between rows)`);
    }
    let r: DiversityResult;
    if (space === 'lpips') {
      r = await withProgress(reporter, 'LPIPS', 'pairs', (bar) => diversity(input, { ...lpipsRunOptions(o, reporter, threads, bar), pairs: o.pairs, seed: o.seed }));
    } else {
      const network = { mode: o.mode, model: o.model ?? D.INCEPTION_MODEL, device: o.device, batchSize: o.batchSize, threads, cache: o.cache, maxPixels: o.maxPixels, onNotice: (m: string) => reporter.notice(m), onWarning: (m: string) => reporter.warn(m) };
      const loaded = await withProgress(reporter, 'features', 'img', (bar) =>
        loadFeatures(input, { network: { ...network, onProgress: (d, t) => bar.update(d, t) }, needs: 'diversity needs' }),
      );
      r = featureDiversity(loaded.features, { pairs: o.pairs, seed: o.seed });
    }
    if (r.pairs.all && r.pairs.first.length < o.pairs) reporter.notice(`${input}: only ${r.pairs.first.length} distinct pairs exist; all are used`);
    if (o.perPair) {
      const res = r;
      writeCsv(o.perPair, [
        ['i', 'j', 'a', 'b', 'distance'],
        ...Array.from(res.distances, (d, p) => [res.pairs.first[p], res.pairs.second[p], res.names?.[p][0] ?? '', res.names?.[p][1] ?? '', d]),
      ]);
    }
    return {
      diversity: intervalJson(r.value),
      space,
      distance: r.space === 'lpips' ? 'lpips' : 'euclidean',
      pairs: r.distances.length,
      all_pairs: r.pairs.all,
      seed: r.seed,
      model: r.model ?? null,
      device: r.device ?? null,
      resize: r.resize ?? null,
      per_pair: o.perPair ?? null,
    };
  },
});
