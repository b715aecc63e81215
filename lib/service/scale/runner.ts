/**
 * The scale-out job runner: the embedded JobRunner's queue, claims and results (routes and
 * results do not change), with the heavy work done by `genmetrics worker` processes through
 * BullMQ (shards.ts):
 * - an image dataset's features are extracted in shards of `shardImages` images, concatenated in
 *   order into the feature cache entry the single-process extraction would have written;
 * - an evaluation runs its command here, with P/R/D/C's and KID's pairwise passes spread over the
 *   workers (kernels.ts); FID's moments and the rest run here, as in the embedded mode.
 */
import * as path from 'path';
import type { AnyCommand } from '../../commands/registry';
import { runCommand } from '../../commands/registry';
import type { Options, Reporter } from '../../commands/descriptor';
import { GenmetricsError } from '../../errors';
import { openImageSource } from '../../images/sources';
import type { ResizeMode } from '../../images/preprocess';
import { NpyRowWriter, readNpy } from '../../io/npy';
import { withPairwise } from '../../native';
import { inceptionCacheEntry, LOGITS_DIMS, POOL3_DIMS, type FeatureMeta } from '../../network/inception';
import { mergeInputs } from '../../stats/merge';
import { writePartial } from '../../stats/statistics';
import type { BlobStore } from '../blobs';
import { JobRunner } from '../evaluations';
import { fromLibrary } from '../http-error';
import type { DatasetRow, Store } from '../store';
import { blocks, ScaleOutKernels, type ShardSizes } from './kernels';
import type { ShardQueue } from './queue';
import { folderFiles, shardOutput, type ExtractShard } from './shards';

export interface ScaleOutSizes extends ShardSizes {
  /** Images per extraction shard (a multiple of the network's batch size keeps the batches of a single pass). */
  images: number;
}

export class ScaleOutRunner extends JobRunner {
  constructor(
    store: Store,
    blobs: BlobStore,
    o: ConstructorParameters<typeof JobRunner>[2],
    readonly queue: ShardQueue,
    private readonly sizes: ScaleOutSizes,
  ) {
    super(store, blobs, o);
  }

  protected override runJob(d: AnyCommand, inputs: string[], options: Options, reporter: Reporter): Promise<unknown> {
    const kernels = new ScaleOutKernels(this.queue, this.sizes);
    // The data files its shards read go when the job ends, done or failed (the shard outputs as each pass is merged).
    return withPairwise(kernels, () => runCommand(d, inputs, options, reporter)).finally(() => kernels.dispose());
  }

  override async drain(): Promise<void> {
    await super.drain();
    await this.queue.close();
  }

  protected override async extract(ds: DatasetRow): Promise<void> {
    const file = this.blobs.absolute(ds.blob);
    try {
      const { count, model } = await this.extractShards(ds, file);
      this.store.finishDataset(ds.id, { status: 'ready', count, dims: POOL3_DIMS, mode: ds.mode!, model: model.name, modelSha256: model.sha256 });
    } catch (err) {
      this.store.finishDataset(ds.id, { status: 'failed', error: fromLibrary(err, { [file]: `dataset ${ds.id}` }).message });
    }
  }

  /** The shards' pool3 and logits, in order, become the cache entry of the whole dataset. */
  private async extractShards(ds: DatasetRow, file: string): Promise<{ count: number; model: { name: string; sha256: string } }> {
    const source = openImageSource(file, { maxPixels: this.o.maxPixels });
    try {
      const { mode, model, entry } = inceptionCacheEntry(source, { mode: (ds.mode ?? undefined) as ResizeMode | undefined, model: ds.model ?? undefined, maxPixels: this.o.maxPixels });
      if (entry.hit) return { count: entry.hit.meta.count, model };
      try {
        const n = source.count;
        const files = source.kind === 'folder' ? folderFiles(file) : undefined;
        if (files && files.length !== n) throw new GenmetricsError(`${file}: the folder changed while it was read (${files.length} images, then ${n})`);
        const rel = path.relative(this.queue.root, file);
        const shards: ExtractShard[] = blocks(n, this.sizes.images).map(([start, count]) => ({
          op: 'extract',
          source: rel,
          ...(files ? { files: files.slice(start, start + count) } : {}),
          start,
          count,
          mode,
          model: model.name,
          modelSha256: model.sha256,
          maxPixels: this.o.maxPixels,
        }));
        const progress = (done: number, total: number) => this.store.setDatasetProgress(ds.id, { phase: 'features', unit: 'img', done, total });
        // The shards' outputs are removed once merged into the cache entry (or when the extraction fails).
        await this.queue.use(shards, progress, async () => {
          const pool3 = new NpyRowWriter(path.join(entry.staging, 'pool3.npy'), 'float32', POOL3_DIMS, n);
          const logits = new NpyRowWriter(path.join(entry.staging, 'logits.npy'), 'float32', LOGITS_DIMS, n);
          try {
            for (const s of shards) {
              const dir = path.join(this.queue.root, shardOutput(s));
              const p = readNpy(path.join(dir, 'pool3.npy'));
              const l = readNpy(path.join(dir, 'logits.npy'));
              if (p.shape[0] !== s.count || l.shape[0] !== s.count) throw new GenmetricsError(`${shardOutput(s)}: ${p.shape[0]} rows, expected ${s.count}`);
              pool3.append(p.data as Float32Array, s.count);
              logits.append(l.data as Float32Array, s.count);
            }
            pool3.commit();
            logits.commit();
          } catch (err) {
            pool3.abort();
            logits.abort();
            throw err;
          }
          // The shards' partial statistics, merged exactly (`stats merge`): the dataset's mergeable statistics beside its features.
          const merged = await mergeInputs(shards.map((s) => path.join(this.queue.root, shardOutput(s), 'partial.npz')));
          if (merged.count !== n) throw new GenmetricsError(`the shards' statistics count ${merged.count} images, expected ${n}`);
          writePartial(path.join(entry.staging, 'partial.npz'), merged.toPartial());
        });
        const meta: FeatureMeta = { source: { path: source.path, kind: source.kind, images: n }, count: n, mode, model: { name: model.name, sha256: model.sha256 }, skipped: [] };
        entry.commit(meta);
        return { count: n, model };
      } catch (err) {
        entry.abort();
        throw err;
      }
    } finally {
      source.close();
    }
  }
}
