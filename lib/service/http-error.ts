/**
 * An error the service answers with: an HTTP status and `{"error": {"code", "message", "field"}}`.
 * Library errors (GenmetricsError, OptionError) become 4xx through fromLibrary().
 */
import { GenmetricsError, OptionError } from '../errors';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }

  body(): { error: { code: string; message: string; field?: string } } {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) } };
  }
}

/** A library error about the request's data (422) or one of its options (400, naming `options.<key>`). */
export function fromLibrary(err: unknown, names: Record<string, string> = {}): HttpError {
  if (err instanceof HttpError) return err;
  let message = err instanceof Error ? err.message : String(err);
  // Blob paths mean nothing to the caller: name the dataset instead.
  for (const [p, name] of Object.entries(names)) message = message.split(p).join(name);
  if (err instanceof OptionError) return new HttpError(400, 'bad_option', message, `options.${err.key}`);
  if (err instanceof GenmetricsError) return new HttpError(422, 'unprocessable', message);
  return new HttpError(500, 'internal', message);
}
