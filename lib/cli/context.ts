import { GenmetricsError } from '../errors';
import { progressBar, type Progress } from './progress';

/** Options shared by every command. */
export interface CommonOptions {
  json?: boolean;
  quiet?: boolean;
  threads?: string;
}

export interface CommandContext {
  threads: number;
  json: boolean;
  quiet: boolean;
  warn(message: string): void;
  notice(message: string): void;
  progress(label: string, unit: string): Progress;
  /** Runs `work` with a progress bar it reports to, stopping the bar however `work` ends. */
  withProgress<T>(label: string, unit: string, work: (onProgress: (done: number, total: number) => void) => Promise<T>): Promise<T>;
  /** Prints a result: the JSON object with --json, otherwise the human lines. */
  print(result: Record<string, unknown>, human: string[]): void;
}

export function parseThreads(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new GenmetricsError(`--threads: expected a positive integer, got '${value}'`);
  return n;
}

export function parseInteger(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new GenmetricsError(`${flag}: expected an integer >= ${min}, got '${value}'`);
  return n;
}

export function parseNumber(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new GenmetricsError(`${flag}: expected a number, got '${value}'`);
  return n;
}

export function makeContext(opts: CommonOptions): CommandContext {
  const quiet = Boolean(opts.quiet);
  const json = Boolean(opts.json);
  return {
    threads: parseThreads(opts.threads),
    json,
    quiet,
    warn: (m) => process.stderr.write(`genmetrics: warning: ${m}\n`),
    notice: (m) => {
      if (!quiet) process.stderr.write(`genmetrics: ${m}\n`);
    },
    progress: (label, unit) => progressBar(label, unit, !quiet),
    async withProgress(label, unit, work) {
      const bar = progressBar(label, unit, !quiet);
      try {
        return await work((d, t) => bar.update(d, t));
      } finally {
        bar.stop();
      }
    },
    print(result, human) {
      process.stdout.write(json ? `${JSON.stringify(result)}\n` : `${human.join('\n')}\n`);
    },
  };
}
