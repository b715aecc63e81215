/**
 * `genmetrics worker`: a BullMQ worker that takes shards (shards.ts) one at a time, computes them
 * with `threads` threads and writes their outputs into the shared blob directory. Start as many
 * as you like, on any machine that mounts the blob directory and reaches Redis; one that joins
 * mid-job takes the next waiting shard at once.
 *
 * Lock and stall intervals are short (seconds, not BullMQ's default 30 s): a worker that dies
 * mid-shard stops renewing its lock, and the next stalled-job check (run by every live worker)
 * puts the shard back in the queue. The native passes run off the event loop, so the lock is
 * renewed while a shard computes.
 */
import * as fs from 'fs';
import type { Job, Worker } from 'bullmq';
import { GenmetricsError } from '../../errors';
import { lazyModule } from '../../lazy';
import { ModelPool } from '../../models/model-pool';
import { checkRedis, connectionOptions, SHARD_QUEUE, type RedisTarget } from './redis';
import { runShard, type ShardSpec } from './shards';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const bullmq = lazyModule(() => require('bullmq') as typeof import('bullmq'));

export interface WorkerOptions {
  redis: RedisTarget;
  /** The shared blob directory (the server's `blobs`). */
  blobs: string;
  /** Threads of the native passes and of onnxruntime (0: all cores). */
  threads?: number;
  /** Milliseconds a shard's lock lasts without renewal (default 4000). */
  lockDuration?: number;
  /** Milliseconds between stalled-job checks (default 2000). */
  stalledInterval?: number;
  /** Times a shard may be given back after a worker died on it before it fails (default 5). */
  maxStalledCount?: number;
  /** Called when a shard fails an attempt (for the worker's log). */
  onFailure?: (message: string) => void;
  /** Called when a shard starts and when its output is written (option verbose of the CLI). */
  onShard?: (event: 'start' | 'done', op: string, id: string) => void;
}

export const WORKER_DEFAULTS = { lockDuration: 4000, stalledInterval: 2000, maxStalledCount: 5 } as const;

export async function startWorker(o: WorkerOptions): Promise<Worker> {
  if (!fs.existsSync(o.blobs) || !fs.statSync(o.blobs).isDirectory()) {
    throw new GenmetricsError(`blobs: ${o.blobs} is not a directory; give the blob directory the server uses (shared by every machine)`);
  }
  await checkRedis(o.redis);
  const threads = o.threads ?? 0;
  // The network stays open from one extraction shard to the next (two models at most).
  const models = new ModelPool(2);
  const worker = new (bullmq().Worker)(
    SHARD_QUEUE,
    async (job: Job) => {
      const spec = job.data as ShardSpec;
      o.onShard?.('start', spec.op, job.id ?? '');
      let last = 0;
      let sent = 0;
      await runShard(spec, {
        root: o.blobs,
        threads,
        models,
        onProgress: (done) => {
          const t = Date.now();
          if (done <= sent || t - last < 250) return;
          last = t;
          sent = done;
          void job.updateProgress(done).catch(() => undefined);
        },
      });
      o.onShard?.('done', spec.op, job.id ?? '');
    },
    {
      connection: connectionOptions(o.redis),
      concurrency: 1,
      lockDuration: o.lockDuration ?? WORKER_DEFAULTS.lockDuration,
      stalledInterval: o.stalledInterval ?? WORKER_DEFAULTS.stalledInterval,
      maxStalledCount: o.maxStalledCount ?? WORKER_DEFAULTS.maxStalledCount,
      drainDelay: 1,
    },
  );
  worker.on('failed', (job, err) => o.onFailure?.(`shard ${job?.name ?? '?'} ${job?.id ?? ''}: ${err.message}`));
  // Connection errors while Redis is away: ioredis reconnects, the worker resumes.
  worker.on('error', () => undefined);
  worker.on('closed', () => void models.close());
  await worker.waitUntilReady();
  return worker;
}
