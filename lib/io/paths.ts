import * as fs from 'fs';
import { GenmetricsError } from '../errors';

/** fs.statSync, with "<file>: no such file or directory" as the error. */
export function statInput(file: string): fs.Stats {
  try {
    return fs.statSync(file);
  } catch {
    throw new GenmetricsError(`${file}: no such file or directory`);
  }
}

/** Checks that `file` exists and is not a directory; `expected` completes "is a directory; expected …". */
export function requireFile(file: string, expected: string): void {
  if (statInput(file).isDirectory()) throw new GenmetricsError(`${file}: is a directory; expected ${expected}`);
}
