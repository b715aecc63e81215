/**
 * `genmetrics serve` and `genmetrics token create|list|revoke`: the service's commands. They are
 * not metric commands (no descriptor: they start a server or edit its store), so they are added
 * here rather than generated from lib/commands/.
 */
import { Command, Option } from 'commander';
import { GenmetricsError } from '../errors';
import { createToken, DEFAULT_PROJECT } from '../service/auth';
import { HttpError } from '../service/http-error';
import { createServer, defaultDataDir, isLoopback, resolveServiceOptions } from '../service/server';
import { SCOPES, Store, type Scope } from '../service/store';
import { addWorkerCommand, flagErrors } from './worker';

const positiveInt = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new GenmetricsError(`${flag}: expected a positive integer, got '${v}'`);
  return n;
};

function withStore<T>(data: string | undefined, fn: (s: Store) => T): T {
  const store = new Store(data ?? defaultDataDir());
  try {
    return fn(store);
  } catch (err) {
    if (err instanceof HttpError) throw new GenmetricsError(err.message.replace(/^(scope|name): /, '--$1: '));
    throw err;
  } finally {
    store.close();
  }
}

export function addServiceCommands(program: Command): void {
  // The server's defaults, written once in resolveServiceOptions, shown in the help.
  const d = resolveServiceOptions();
  program
    .command('serve')
    .description('Start the scoring service (HTTP API with a persistent store; see docs/service.md)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0: any free port, printed)', '8080')
    .option('--data <dir>', `data directory (default: ${defaultDataDir()})`)
    .option('--concurrency <n>', `evaluations run at once (default: ${d.concurrency})`, positiveInt('--concurrency'))
    .option('--threads <n>', 'threads per evaluation (default: all cores)', positiveInt('--threads'))
    .option('--max-upload <bytes>', `largest upload in bytes (default: ${d.maxUploadBytes})`, positiveInt('--max-upload'))
    .option('--max-archive-entries <n>', `entries of an uploaded image archive at most (default: ${d.maxArchiveEntries})`, positiveInt('--max-archive-entries'))
    .option('--max-archive-bytes <bytes>', `uncompressed bytes of an uploaded image archive at most (default: ${d.maxArchiveBytes})`, positiveInt('--max-archive-bytes'))
    .option('--max-pixels <n>', `pixels of one uploaded image at most, a larger one fails its dataset (default: ${d.maxPixels})`, positiveInt('--max-pixels'))
    .option('--max-queue <n>', `queued evaluations at most, 503 beyond (default: ${d.maxQueue})`, positiveInt('--max-queue'))
    .option('--rate-limit <n>', `requests per token per minute, 429 beyond (default: ${d.rateLimit})`, positiveInt('--rate-limit'))
    .option('--answer-rate-limit <n>', `answers per rater per minute on a study's rating page, 429 beyond (default: ${d.answerRateLimit})`, positiveInt('--answer-rate-limit'))
    .option('--allow-remote', 'allow listening on a non-loopback address (put TLS in front)')
    .option('--redis <url>', 'scale out: spread the work over `genmetrics worker` processes through this Redis (redis://HOST:PORT; docs/scale-out.md)')
    .option('--blobs <dir>', 'blob directory (default: <data>/blobs); with --redis, one directory shared by every machine')
    .option('--shard-images <n>', `with --redis: images per feature-extraction shard (default: ${d.shardImages})`, positiveInt('--shard-images'))
    .option('--shard-rows <n>', `with --redis: query rows per k-NN shard (default: ${d.shardRows})`, positiveInt('--shard-rows'))
    .option('--shard-subsets <n>', `with --redis: KID subsets per shard (default: ${d.shardSubsets})`, positiveInt('--shard-subsets'))
    .action(async (o: { host: string; port: string; data?: string; concurrency?: number; threads?: number; maxUpload?: number; maxArchiveEntries?: number; maxArchiveBytes?: number; maxPixels?: number; maxQueue?: number; rateLimit?: number; answerRateLimit?: number; allowRemote?: boolean; redis?: string; blobs?: string; shardImages?: number; shardRows?: number; shardSubsets?: number }) => {
      if (!isLoopback(o.host) && !o.allowRemote) {
        throw new GenmetricsError(`--host ${o.host} is not a loopback address: the service would be reachable from other machines; pass --allow-remote to mean it`);
      }
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new GenmetricsError(`--port: expected a port number 0-65535, got '${o.port}'`);
      const scale = { redis: o.redis, blobs: o.blobs, shardImages: o.shardImages, shardRows: o.shardRows, shardSubsets: o.shardSubsets };
      const service = await flagErrors(() => createServer({ data: o.data, concurrency: o.concurrency, threads: o.threads, maxUploadBytes: o.maxUpload, maxArchiveEntries: o.maxArchiveEntries, maxArchiveBytes: o.maxArchiveBytes, maxPixels: o.maxPixels, maxQueue: o.maxQueue, rateLimit: o.rateLimit, answerRateLimit: o.answerRateLimit, ...scale }));
      const address = await service.app.listen({ host: o.host, port });
      process.stderr.write(`genmetrics: serving on ${address} (data: ${service.options.data}${o.redis ? `; shards through ${o.redis}, blobs ${service.options.blobs}` : ''}); docs at ${address}/docs\n`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          process.stderr.write(`genmetrics: ${signal}: draining (running evaluations finish, queued ones wait for the next start)\n`);
          void service.close().then(resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });

  addWorkerCommand(program);

  const token = program.command('token').description("Manage the service's bearer tokens");
  token
    .command('create')
    .description('Create a token (printed once; the store keeps only its hash)')
    .requiredOption('--name <name>', 'who or what uses it')
    .addOption(new Option('--scope <scope>', 'read (GET), write (uploads, evaluations) or admin').choices(SCOPES as string[]).default('write'))
    .option('--project <project>', `the project whose data it sees (default: '${DEFAULT_PROJECT}')`)
    .option('--data <dir>', `data directory (default: ${defaultDataDir()})`)
    .option('--json', 'print id and token as JSON')
    .action((o: { name: string; scope: Scope; project?: string; data?: string; json?: boolean }) => {
      const { token: t, row } = withStore(o.data, (s) => createToken(s, o));
      process.stdout.write(o.json ? `${JSON.stringify({ id: row.id, token: t, name: row.name, scope: row.scope, project: row.project })}\n` : `${t}\n`);
      if (!o.json) process.stderr.write(`genmetrics: token ${row.id} '${row.name}' (${row.scope}, project ${row.project}); it is not shown again\n`);
    });
  token
    .command('list')
    .description('List tokens (never the tokens themselves)')
    .option('--data <dir>', `data directory (default: ${defaultDataDir()})`)
    .option('--json', 'print JSON')
    .action((o: { data?: string; json?: boolean }) => {
      const rows = withStore(o.data, (s) => s.tokens()).map(({ hash: _hash, ...r }) => r);
      if (o.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
      else for (const r of rows) process.stdout.write(`${r.id}  ${r.name}  ${r.scope}  ${r.project}  ${r.revoked ? `revoked ${r.revoked}` : 'active'}\n`);
    });
  token
    .command('revoke')
    .description('Revoke a token by id')
    .argument('<id>', 'token id (from token list)')
    .option('--data <dir>', `data directory (default: ${defaultDataDir()})`)
    .action((id: string, o: { data?: string }) => {
      if (!withStore(o.data, (s) => s.revokeToken(id))) throw new GenmetricsError(`no active token with id '${id}'`);
      process.stderr.write(`genmetrics: token ${id} revoked\n`);
    });
}
