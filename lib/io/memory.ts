import { constants } from 'buffer';
import * as os from 'os';
import { GenmetricsError } from '../errors';

/**
 * The most one array read from a file may take: 80% of the machine's memory, or
 * GENMETRICS_MAX_MEMORY bytes when set (tests and shared servers lower it).
 */
export function memoryLimit(): number {
  const env = process.env.GENMETRICS_MAX_MEMORY;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isFinite(n) || n <= 0) throw new GenmetricsError(`GENMETRICS_MAX_MEMORY: expected a number of bytes, got '${env}'`);
    return n;
  }
  return Math.floor(0.8 * os.totalmem());
}

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${n.toFixed(1)} ${units[i]}`;
}

/**
 * Refuses, before allocating, to load `bytes` from `where` when that exceeds the limit (or what a
 * typed array can hold), saying how much it would need.
 */
export function requireMemory(bytes: number, where: string, what: string): void {
  const limit = memoryLimit();
  if (bytes > limit) {
    throw new GenmetricsError(`${where}: ${formatBytes(bytes)} needed to load ${what}, more than the ${formatBytes(limit)} allowed (GENMETRICS_MAX_MEMORY)`);
  }
  if (bytes > constants.MAX_LENGTH) {
    throw new GenmetricsError(`${where}: ${formatBytes(bytes)} needed to load ${what} in one piece, more than Node's largest array (${formatBytes(constants.MAX_LENGTH)})`);
  }
}
