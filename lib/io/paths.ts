import * as fs from 'fs';
import { GenmetricsError } from '../errors';

/** Checks that `file` exists and is not a directory; `expected` completes "is a directory; expected …". */
export function requireFile(file: string, expected: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new GenmetricsError(`${file}: no such file or directory`);
  }
  if (st.isDirectory()) throw new GenmetricsError(`${file}: is a directory; expected ${expected}`);
}
