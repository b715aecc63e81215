/** `genmetrics worker`: a scale-out worker process (lib/service/scale/worker.ts) from the command line. */
import type { Command } from 'commander';
import * as path from 'path';
import { kebab } from '../commands/descriptor';
import { GenmetricsError } from '../errors';
import { HttpError } from '../service/http-error';
import { parseRedisUrl } from '../service/scale/redis';
import { startWorker, WORKER_DEFAULTS } from '../service/scale/worker';
import { defaultDataDir } from '../service/server';

const positiveInt = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new GenmetricsError(`${flag}: expected a positive integer, got '${v}'`);
  return n;
};

/** Runs `fn`, rewriting a library error's leading option key ('redis: …') as its flag ('--redis: …'). */
export async function flagErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof GenmetricsError || err instanceof HttpError) {
      throw new GenmetricsError(err.message.replace(/^([a-z][A-Za-z]*): /, (_m, key: string) => `--${kebab(key)}: `));
    }
    throw err;
  }
}

export function addWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('Take shards of the scale-out service (genmetrics serve --redis) from Redis and compute them (docs/scale-out.md)')
    .requiredOption('--redis <url>', 'the Redis of the service (redis://HOST:PORT)')
    .option('--blobs <dir>', `the service's blob directory, shared by every machine (default: ${path.join(defaultDataDir(), 'blobs')})`)
    .option('--threads <n>', 'threads of the native passes and of the network (default: all cores)', positiveInt('--threads'))
    .option('--lock-duration <ms>', `milliseconds a shard's lock lasts unrenewed: how soon a dead worker's shard is given to another (default: ${WORKER_DEFAULTS.lockDuration})`, positiveInt('--lock-duration'))
    .option('--stalled-interval <ms>', `milliseconds between stalled-shard checks (default: ${WORKER_DEFAULTS.stalledInterval})`, positiveInt('--stalled-interval'))
    .option('-v, --verbose', 'log each shard as it starts and ends')
    .action(async (o: { redis: string; blobs?: string; threads?: number; lockDuration?: number; stalledInterval?: number; verbose?: boolean }) => {
      const blobs = path.resolve(o.blobs ?? path.join(defaultDataDir(), 'blobs'));
      const worker = await flagErrors(() =>
        startWorker({
          redis: parseRedisUrl(o.redis),
          blobs,
          threads: o.threads,
          lockDuration: o.lockDuration,
          stalledInterval: o.stalledInterval,
          onFailure: (m) => process.stderr.write(`genmetrics worker: ${m}\n`),
          onShard: o.verbose ? (event, op, id) => process.stderr.write(`genmetrics worker: ${event} ${op} ${id}\n`) : undefined,
        }),
      );
      process.stderr.write(`genmetrics worker: taking shards from ${o.redis} (blobs: ${blobs}, threads: ${o.threads ?? 'all cores'})\n`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          process.stderr.write(`genmetrics worker: ${signal}: finishing the current shard\n`);
          void worker.close().then(resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}
