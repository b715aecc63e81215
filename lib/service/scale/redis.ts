/**
 * The Redis connection of the scale-out service (BullMQ's, through ioredis). Checked once at start
 * so that a Redis that is down or mistyped is a clear error, not a server that never runs a job;
 * afterwards ioredis reconnects on its own and BullMQ's commands wait for it (a Redis restarted
 * mid-job delays shards, it does not fail them).
 */
import type { ConnectionOptions } from 'bullmq';
import { GenmetricsError } from '../../errors';
import { lazyModule } from '../../lazy';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ioredis = lazyModule(() => require('ioredis') as typeof import('ioredis'));

/** The BullMQ queue every shard goes through. */
export const SHARD_QUEUE = 'genmetrics-shards';

export interface RedisTarget {
  url: string;
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
}

/** redis://[user:password@]host[:port][/db] or rediss:// (TLS); `key` names the option in errors. */
export function parseRedisUrl(url: string, key = 'redis'): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new GenmetricsError(`${key}: expected a URL redis://HOST:PORT, got '${url}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new GenmetricsError(`${key}: expected a redis:// or rediss:// URL, got '${url}'`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new GenmetricsError(`${key}: the database number in '${url}' is not a non-negative integer`);
  return {
    url,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    tls: u.protocol === 'rediss:',
  };
}

/** Where and as whom to connect (the part of the options both connections share). */
function address(t: RedisTarget) {
  return { host: t.host, port: t.port, db: t.db, username: t.username, password: t.password, ...(t.tls ? { tls: {} } : {}) };
}

/** BullMQ's connection options: commands wait across reconnects (maxRetriesPerRequest null). */
export function connectionOptions(t: RedisTarget): ConnectionOptions {
  return {
    ...address(t),
    maxRetriesPerRequest: null,
    // Reconnect every 0.2-2 s for as long as it takes.
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  };
}

/** Connects once (no retries) and PINGs: a clear error naming the URL when Redis cannot be reached. */
export async function checkRedis(t: RedisTarget, key = 'redis', timeoutMs = 5000): Promise<void> {
  const r = new (ioredis().Redis)({
    ...address(t),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let last: Error | undefined;
  r.on('error', (err: Error) => {
    last = err;
  });
  try {
    await r.connect();
    await r.ping();
  } catch (err) {
    const why = (last ?? (err as Error)).message;
    throw new GenmetricsError(`${key}: cannot reach Redis at ${t.url} (${why}); start redis-server there or correct the URL`);
  } finally {
    r.disconnect();
  }
}
