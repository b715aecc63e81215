import type { Command } from 'commander';
import { GenmetricsError } from '../errors';
import { loadFeatures, classifyInput } from '../inputs';
import { DEFAULT_DIVERSITY_PAIRS, DEFAULT_DIVERSITY_SEED, diversity, featureDiversity, type DiversityResult } from '../metrics/lpips';
import { DEFAULT_INCEPTION, DEFAULT_LPIPS } from '../models/registry';
import { makeContext, parseInteger } from './context';
import { writeCsv } from '../io/csv';
import { intervalJson, intervalText, lpipsOptions, withLpipsOptions, type LpipsCliOptions } from './lpips';
import { networkOptions, type NetworkCliOptions } from './network';
import { withCommonOptions } from './options';

interface DiversityCliOptions extends LpipsCliOptions {
  pairs: string;
  seed: string;
  space?: string;
  mode?: string;
  cache: boolean;
}

export function registerDiversity(program: Command): void {
  withLpipsOptions(
    withCommonOptions(
      program
        .command('diversity')
        .description('sample diversity: mean distance between random distinct pairs of one set (LPIPS between images, or Euclidean between Inception features), with a 95% CI')
        .argument('<input>', 'image folder/file stack (.npy/.npz uint8), or features .npy (N x D)')
        .option('--pairs <n>', 'random distinct pairs (all pairs when fewer exist)', String(DEFAULT_DIVERSITY_PAIRS))
        .option('--seed <n>', "seed of the pair draws (NumPy's legacy MT19937)", String(DEFAULT_DIVERSITY_SEED))
        .option('--space <space>', 'lpips (images; default) or inception (pool3 features of the images; a features .npy is used as it is)')
        .option('--mode <mode>', 'Inception preprocessing with --space inception (see genmetrics features)')
        .option('--no-cache', 'with --space inception: neither read nor write the feature cache'),
    ),
  ).action(async (input: string, opts: DiversityCliOptions) => {
    const ctx = makeContext(opts);
    const pairs = parseInteger(opts.pairs, '--pairs', 1);
    const seed = parseInteger(opts.seed, '--seed', 0);
    const kind = classifyInput(input);
    if (kind === 'statistics') throw new GenmetricsError(`${input}: a statistics file holds no samples; diversity needs images or a features .npy`);
    const space = opts.space ?? (kind === 'features' ? 'inception' : 'lpips');
    if (space !== 'lpips' && space !== 'inception') throw new GenmetricsError(`--space: expected lpips or inception, got '${space}'`);
    if (space === 'inception' && opts.resize !== undefined) throw new GenmetricsError('--resize applies to LPIPS; with --space inception the images go through --mode');
    if (space === 'lpips' && kind === 'features') {
      throw new GenmetricsError(`${input}: a features array has no images to compare with LPIPS; use --space inception (Euclidean distance between rows)`);
    }
    let r: DiversityResult;
    if (space === 'lpips') {
      r = await ctx.withProgress('LPIPS', 'pairs', (onProgress) => diversity(input, { ...lpipsOptions(opts, ctx, onProgress), pairs, seed }));
    } else {
      const model = opts.model === DEFAULT_LPIPS ? DEFAULT_INCEPTION : opts.model;
      const network = networkOptions({ ...(opts as unknown as NetworkCliOptions), model }, ctx, 'features');
      let loaded;
      try {
        loaded = await loadFeatures(input, { network, needs: 'diversity needs' });
      } finally {
        network.done();
      }
      r = featureDiversity(loaded.features, { pairs, seed });
    }
    if (r.pairs.all && r.pairs.first.length < pairs) ctx.notice(`${input}: only ${r.pairs.first.length} distinct pairs exist; all are used`);
    if (opts.perPair) {
      const res = r;
      writeCsv(opts.perPair, [
        ['i', 'j', 'a', 'b', 'distance'],
        ...Array.from(res.distances, (d, p) => [res.pairs.first[p], res.pairs.second[p], res.names?.[p][0] ?? '', res.names?.[p][1] ?? '', d]),
      ]);
    }
    const what = r.space === 'lpips' ? `LPIPS (${r.model?.name})` : 'Euclidean distance of Inception features';
    ctx.print(
      {
        diversity: intervalJson(r.value),
        space: space,
        distance: r.space === 'lpips' ? 'lpips' : 'euclidean',
        pairs: r.distances.length,
        all_pairs: r.pairs.all,
        seed: r.seed,
        model: r.model ?? null,
        device: r.device ?? null,
        resize: r.resize ?? null,
        per_pair: opts.perPair ?? null,
      },
      [`diversity: mean ${what} over ${r.distances.length} random pairs (seed ${r.seed}): ${intervalText(r.value)}`],
    );
  });
}
