/**
 * `createServer(options)`: the scoring service as a fastify app over a data directory (SQLite
 * store + blobs). `genmetrics serve` starts it; embedders call listen() themselves.
 */
import * as os from 'os';
import * as path from 'path';
import type { FastifyInstance } from 'fastify';
import { MAX_IMAGE_PIXELS } from '../defaults';
import { lazyModule } from '../lazy';
import { BlobStore } from './blobs';
import { HttpError } from './http-error';
import { JobRunner } from './evaluations';
import { ShardQueue } from './scale/queue';
import { checkRedis, parseRedisUrl } from './scale/redis';
import { ScaleOutRunner } from './scale/runner';
import { registerRoutes } from './routes';
import { Store } from './store';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fastify = lazyModule(() => require('fastify') as typeof import('fastify'));

export interface ServiceOptions {
  /** Data directory (database and blobs); default: the user's data dir (XDG), created on first use. */
  data?: string;
  /** Evaluations run at once (each with all cores unless threads says otherwise). */
  concurrency?: number;
  /** Threads per evaluation (0: all cores). */
  threads?: number;
  /** Largest upload in bytes (413 beyond). */
  maxUploadBytes?: number;
  /** Image archives: entries and uncompressed bytes at most (422 beyond). */
  maxArchiveEntries?: number;
  maxArchiveBytes?: number;
  /** Pixels of one image at most (sharp's limitInputPixels): a larger one fails its dataset. */
  maxPixels?: number;
  /** Queued evaluations at most (503 with Retry-After beyond). */
  maxQueue?: number;
  /** Requests per token (or per address without one) per rateWindowMs (429 beyond). */
  rateLimit?: number;
  rateWindowMs?: number;
  /** Answers per rater per minute on a study's rating page (429 beyond). */
  answerRateLimit?: number;
  /** Attempts of an evaluation interrupted by restarts before it fails. */
  maxAttempts?: number;
  /** Least interval between two progress events of one evaluation. */
  progressIntervalMs?: number;
  /** fastify's logger (off by default). */
  logger?: boolean;
  /** Scale-out: a Redis URL (redis://HOST:PORT); the work then goes to `genmetrics worker` processes through BullMQ. '' (default): embedded. */
  redis?: string;
  /** The blob directory (default <data>/blobs); with redis, shared by every machine that runs a worker. */
  blobs?: string;
  /** Scale-out shard sizes: images per extraction shard, query rows per k-NN shard, subsets per KID shard. */
  shardImages?: number;
  shardRows?: number;
  shardSubsets?: number;
}

export type ResolvedServiceOptions = Required<ServiceOptions>;

/** The per-user data directory: $XDG_DATA_HOME/genmetrics (~/.local/share/genmetrics), or GENMETRICS_DATA_DIR. */
export function defaultDataDir(): string {
  if (process.env.GENMETRICS_DATA_DIR) return process.env.GENMETRICS_DATA_DIR;
  return path.join(process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share'), 'genmetrics');
}

export function resolveServiceOptions(o: ServiceOptions = {}): ResolvedServiceOptions {
  const r: ResolvedServiceOptions = {
    data: o.data ?? defaultDataDir(),
    concurrency: o.concurrency ?? 1,
    threads: o.threads ?? 0,
    maxUploadBytes: o.maxUploadBytes ?? 8 * 2 ** 30,
    maxArchiveEntries: o.maxArchiveEntries ?? 1_000_000,
    maxArchiveBytes: o.maxArchiveBytes ?? 64 * 2 ** 30,
    maxPixels: o.maxPixels ?? MAX_IMAGE_PIXELS,
    maxQueue: o.maxQueue ?? 100,
    rateLimit: o.rateLimit ?? 600,
    rateWindowMs: o.rateWindowMs ?? 60_000,
    answerRateLimit: o.answerRateLimit ?? 120,
    maxAttempts: o.maxAttempts ?? 3,
    progressIntervalMs: o.progressIntervalMs ?? 200,
    logger: o.logger ?? false,
    redis: o.redis ?? '',
    blobs: o.blobs ?? path.join(o.data ?? defaultDataDir(), 'blobs'),
    shardImages: o.shardImages ?? 1000,
    shardRows: o.shardRows ?? 2048,
    shardSubsets: o.shardSubsets ?? 10,
  };
  for (const k of ['concurrency', 'maxUploadBytes', 'maxArchiveEntries', 'maxArchiveBytes', 'maxPixels', 'maxQueue', 'rateLimit', 'rateWindowMs', 'answerRateLimit', 'maxAttempts', 'shardImages', 'shardRows', 'shardSubsets'] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 1) throw new HttpError(400, 'bad_config', `${k}: expected a positive integer, got ${r[k]}`, k);
  }
  return r;
}

export interface Service {
  app: FastifyInstance;
  store: Store;
  runner: JobRunner;
  options: ResolvedServiceOptions;
  /** Stops taking jobs, waits for the running ones, closes the server and the store. */
  close(): Promise<void>;
}

export async function createServer(options: ServiceOptions = {}): Promise<Service> {
  const o = resolveServiceOptions(options);
  // Image datasets' features live in the feature cache, beside the store unless one was chosen.
  process.env.GENMETRICS_CACHE_DIR ??= path.join(o.data, 'cache');
  // Scale-out: Redis must answer before anything starts (a clear error, not a server that never runs a job).
  const redis = o.redis ? parseRedisUrl(o.redis) : undefined;
  if (redis) await checkRedis(redis);
  const store = new Store(o.data);
  const blobs = new BlobStore(o.data, o.blobs);
  const jobs = { concurrency: o.concurrency, threads: o.threads, maxAttempts: o.maxAttempts, progressIntervalMs: o.progressIntervalMs, maxPixels: o.maxPixels };
  const runner = redis
    ? new ScaleOutRunner(store, blobs, jobs, new ShardQueue(redis, blobs.root), { images: o.shardImages, rows: o.shardRows, subsets: o.shardSubsets })
    : new JobRunner(store, blobs, jobs);
  // Unknown fields are refused (400 naming them), not silently dropped (ajv's removeAdditional, fastify's default).
  const app = fastify()({ logger: o.logger, bodyLimit: 1 << 20, ajv: { customOptions: { removeAdditional: false } } });
  await registerRoutes(app, { store, blobs, runner, options: o });
  await app.ready();
  runner.start();
  let closed = false;
  return {
    app,
    store,
    runner,
    options: o,
    async close() {
      if (closed) return;
      closed = true;
      await runner.drain();
      await app.close();
      // What the drain could not finish is queued again for the next start.
      store.recover(Number.MAX_SAFE_INTEGER, 'unused');
      store.close();
    },
  };
}

/** Hosts a server may listen on without --allow-remote. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
