/**
 * The server's side of the shards: puts them on the BullMQ queue and waits until each one's output
 * is in the blob directory. The blob directory, not Redis, says what is done (a worker writes the
 * output atomically before it reports the job complete), so:
 * - a worker killed mid-shard: its lock expires, BullMQ's stalled-job check puts the job back
 *   and another worker takes it (lockDuration / stalledInterval: seconds, see worker.ts);
 * - Redis restarted empty: the jobs are gone; the next reconciliation finds them 'unknown' and
 *   adds the shards whose outputs are missing again; nothing is taken as done that was not written;
 * - a shard that failed its attempts fails the whole run with the worker's message.
 * Progress is the sum over shards: finished shards' units plus the active jobs' reported progress.
 *
 * Shard outputs and the data files the shards read are removed once their runs have read them
 * (use(), holdFile()/releaseFile()), counted per key so that runs sharing a shard or a matrix (two
 * evaluations of the same datasets at once) keep it until the last one is done. Their jobs still
 * in the queue go with them (shards still waiting after a failure, second copies of a shard); the
 * output of a copy a worker was still computing is removed when it appears.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Job, JobsOptions, Queue } from 'bullmq';
import { GenmetricsError } from '../../errors';
import { lazyModule } from '../../lazy';
import { connectionOptions, SHARD_QUEUE, type RedisTarget } from './redis';
import { shardKey, shardOutput, shardUnits, type ShardSpec } from './shards';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const bullmq = lazyModule(() => require('bullmq') as typeof import('bullmq'));

export interface ShardQueueOptions {
  /** Attempts of a shard before it fails its job (default 3). */
  attempts?: number;
  /** Milliseconds between two looks at the outputs and the active jobs (default 100). */
  pollMs?: number;
  /** Milliseconds between two checks that every missing shard still has its job (default 1000). */
  reconcileMs?: number;
}

/** A shard that failed all its attempts: the worker's message. */
export class ShardFailure extends GenmetricsError {}

export class ShardQueue {
  readonly queue: Queue;
  private readonly attempts: number;
  private readonly pollMs: number;
  private readonly reconcileMs: number;
  private closed = false;
  /** Runs holding each shard key / data file (their outputs are removed when the count falls to 0). */
  private readonly holds = new Map<string, number>();
  private readonly fileHolds = new Map<string, number>();
  /** Released shards whose output may still be written by a late copy (watch()). */
  private readonly released = new Map<string, { out: string; until: number }>();
  private watching?: NodeJS.Timeout;

  constructor(
    target: RedisTarget,
    /** The blob directory (shared by every machine). */
    readonly root: string,
    o: ShardQueueOptions = {},
  ) {
    this.queue = new (bullmq().Queue)(SHARD_QUEUE, { connection: connectionOptions(target) });
    // Errors while Redis is away are retried by ioredis; the waits below resume when it returns.
    this.queue.on('error', () => undefined);
    this.attempts = o.attempts ?? 3;
    this.pollMs = o.pollMs ?? 100;
    this.reconcileMs = o.reconcileMs ?? 1000;
  }

  /** The workers connected now (at least 1: shards wait for one when none is). */
  async workers(): Promise<number> {
    return Math.max(1, await this.queue.getWorkersCount().catch(() => 1));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.watching) clearInterval(this.watching);
    await this.queue.close();
  }

  private jobOptions(key: string): JobsOptions {
    return { jobId: key, attempts: this.attempts, backoff: { type: 'fixed', delay: 250 }, removeOnComplete: true, removeOnFail: { age: 24 * 3600 } };
  }

  private done(s: ShardSpec): boolean {
    return fs.existsSync(path.join(this.root, shardOutput(s)));
  }

  /**
   * Runs the shards, then `read` (the caller's merge of their outputs), then releases them: an
   * output no other run holds is deleted (whether the run or the merge succeeded or not), with its
   * job if still queued (a shard still waiting after a failure, a second copy).
   */
  async use<T>(shards: ShardSpec[], onProgress: ((done: number, total: number) => void) | undefined, read: () => T | Promise<T>): Promise<T> {
    const keys = shards.map(shardKey);
    for (const k of keys) this.holds.set(k, (this.holds.get(k) ?? 0) + 1);
    try {
      await this.run(shards, onProgress);
      return await read();
    } finally {
      await this.release(shards, keys);
    }
  }

  private async release(shards: ShardSpec[], keys: string[]): Promise<void> {
    for (const [i, k] of keys.entries()) {
      const left = (this.holds.get(k) ?? 1) - 1;
      if (left > 0) {
        this.holds.set(k, left);
        continue;
      }
      this.holds.delete(k);
      const out = path.join(this.root, shardOutput(shards[i]));
      // Its job, if still there, goes: waiting (the run failed, or a second copy: a stalled shard
      // put back, a job added again after Redis was lost) or failed (0 when a worker holds it).
      if (!this.closed) await this.queue.remove(k).catch(() => 0);
      fs.rmSync(out, { recursive: true, force: true });
      this.watch(k, out);
    }
  }

  /**
   * A copy of a released shard still being computed (its job active; or a worker that lost its
   * lock while another finished the shard) writes the output after the release: for 30 minutes,
   * an output of a released shard that no run holds is removed when it appears (checked every second).
   */
  private watch(key: string, out: string): void {
    this.released.set(key, { out, until: Date.now() + 30 * 60_000 });
    if (this.watching || this.closed) return;
    this.watching = setInterval(() => {
      const now = Date.now();
      for (const [k, w] of this.released) {
        if (this.holds.has(k) || now > w.until) this.released.delete(k);
        else if (fs.existsSync(w.out)) fs.rmSync(w.out, { recursive: true, force: true });
      }
      if (this.released.size === 0 || this.closed) {
        clearInterval(this.watching);
        this.watching = undefined;
      }
    }, 1000);
    this.watching.unref();
  }

  /** A data file (relative to the blob directory) a run's shards read: kept until every holder releases it. */
  holdFile(rel: string): void {
    this.fileHolds.set(rel, (this.fileHolds.get(rel) ?? 0) + 1);
  }

  releaseFile(rel: string): void {
    const left = (this.fileHolds.get(rel) ?? 1) - 1;
    if (left > 0) return void this.fileHolds.set(rel, left);
    this.fileHolds.delete(rel);
    fs.rmSync(path.join(this.root, rel), { force: true });
  }

  /**
   * Runs the shards (in the queue's order: first added, first taken) until every output exists.
   * `onProgress(done, total)` in the shards' units (images, query rows or subsets).
   */
  private async run(shards: ShardSpec[], onProgress?: (done: number, total: number) => void): Promise<void> {
    const keys = shards.map(shardKey);
    const total = shards.reduce((a, s) => a + shardUnits(s), 0);
    let pending = shards.map((_, i) => i).filter((i) => !this.done(shards[i]));
    // A failure record of the same shard (a copy that ran after an earlier run released its data
    // files) would stop its job from being added: removed first.
    for (const i of pending) if ((await this.queue.getJobState(keys[i])) === 'failed') await this.queue.remove(keys[i]).catch(() => 0);
    if (pending.length > 0) await this.queue.addBulk(pending.map((i) => ({ name: shards[i].op, data: shards[i], opts: this.jobOptions(keys[i]) })));
    let lastReconcile = Date.now();
    let reported = -1;
    while (pending.length > 0) {
      if (this.closed) throw new GenmetricsError('the shard queue was closed while shards were running');
      await new Promise((r) => setTimeout(r, this.pollMs));
      pending = pending.filter((i) => !this.done(shards[i]));
      if (pending.length === 0) break;
      if (onProgress) {
        const active = (await this.queue.getJobs(['active'])) as Job[];
        const running = new Map(active.map((j) => [j.id, typeof j.progress === 'number' ? j.progress : 0]));
        let units = total;
        for (const i of pending) units -= shardUnits(shards[i]) - Math.min(shardUnits(shards[i]), running.get(keys[i]) ?? 0);
        if (units !== reported) onProgress(units, total);
        reported = units;
      }
      if (Date.now() - lastReconcile >= this.reconcileMs) {
        await this.reconcile(shards, keys, pending);
        lastReconcile = Date.now();
      }
    }
    onProgress?.(total, total);
  }

  /** Jobs lost with Redis are added again; a failed one ends the run with its message. */
  private async reconcile(shards: ShardSpec[], keys: string[], pending: number[]): Promise<void> {
    const lost: number[] = [];
    for (const i of pending) {
      const state = await this.queue.getJobState(keys[i]);
      if (state === 'failed') {
        if (this.done(shards[i])) continue;
        const job = await this.queue.getJob(keys[i]);
        const why = job?.failedReason ?? 'no reason recorded';
        // Removed, so that a later run of the same shard (after the cause is fixed) starts afresh.
        await job?.remove().catch(() => undefined);
        throw new ShardFailure(`${shards[i].op} shard ${describe(shards[i])} failed ${job?.attemptsMade ?? this.attempts} times: ${why}`);
      }
      if (state === 'unknown' || state === 'completed') {
        // Completed yet no output: reported done by a worker whose blob directory is not this one.
        if (state === 'completed') {
          await new Promise((r) => setTimeout(r, 2000));
          if (this.done(shards[i])) continue;
          throw new ShardFailure(
            `${shards[i].op} shard ${describe(shards[i])}: a worker reported it done but its output ${shardOutput(shards[i])} is not in ${this.root}; every worker's --blobs must be this same shared directory`,
          );
        }
        lost.push(i);
      }
    }
    if (lost.length > 0) await this.queue.addBulk(lost.filter((i) => !this.done(shards[i])).map((i) => ({ name: shards[i].op, data: shards[i], opts: this.jobOptions(keys[i]) })));
  }
}

function describe(s: ShardSpec): string {
  if (s.op === 'kid') return `subsets [${s.first}, ${s.first + s.count})`;
  if (s.op === 'extract') return `images [${s.start}, ${s.start + s.count}) of ${s.source}`;
  return `rows [${s.start}, ${s.start + s.count})`;
}
