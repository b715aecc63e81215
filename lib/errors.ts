/** An error caused by the user's input or environment: the CLI prints its message and exits 1. */
export class GenmetricsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GenmetricsError';
  }
}

/** Prefixes a native or parse error with the file or field it concerns. */
export function inputError(where: string, err: unknown): GenmetricsError {
  const msg = err instanceof Error ? err.message : String(err);
  return new GenmetricsError(`${where}: ${msg}`);
}
