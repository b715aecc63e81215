/** An error caused by the user's input or environment: the CLI prints its message and exits 1. */
export class GenmetricsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GenmetricsError';
  }
}

/** Inputs that do not fit the command (too many, too few): the CLI exits 2, as for other usage errors. */
export class UsageError extends GenmetricsError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Prefixes a native or parse error with the file or field it concerns. */
export function inputError(where: string, err: unknown): GenmetricsError {
  const msg = err instanceof Error ? err.message : String(err);
  return new GenmetricsError(`${where}: ${msg}`);
}

/**
 * A bad option value. The message starts with the option's key (`resize: expected ...` or
 * `resize must be ...`); elsewhere in a message an option is written `option <key>`. The CLI
 * replaces both with the flag (`--resize`).
 */
export class OptionError extends GenmetricsError {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message.startsWith(key) ? message : `${key}: ${message}`);
    this.name = 'OptionError';
  }
}
