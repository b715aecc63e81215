import * as fs from 'fs';
import * as path from 'path';
import { GenmetricsError } from '../errors';
import { registerTempPath } from '../process-cleanup';

/** A fresh temporary name beside `target` (same directory, so a rename over the target is atomic). */
export function tempPathFor(target: string): string {
  const dir = path.dirname(path.resolve(target));
  return path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now().toString(36)}.tmp`);
}

/** Whether `target` exists and is not a regular file (a FIFO, /dev/null, a terminal...). */
function isSpecial(target: string): boolean {
  try {
    const st = fs.statSync(target);
    return !st.isFile() && !st.isDirectory();
  } catch {
    return false;
  }
}

/** The user's path in an error, never the temporary name. */
function writeError(target: string, err: unknown): GenmetricsError {
  if (err instanceof GenmetricsError) return err;
  const e = err as NodeJS.ErrnoException;
  return new GenmetricsError(`${target}: cannot write: ${e.code ? `${e.code}: ` : ''}${(e.message ?? String(err)).replace(/^[A-Z]+: /, '').replace(/, \w+ '[^']*'$/, '')}`);
}

/**
 * Runs `write(tmp)`, then renames tmp over `target`; on failure (or an interrupt) removes tmp.
 * A special file (FIFO, character device) is written through instead: renaming over it would
 * replace it with a regular file.
 */
function replaceAtomic(target: string, write: (tmp: string) => void): void {
  if (isSpecial(target)) {
    try {
      write(target);
    } catch (err) {
      throw writeError(target, err);
    }
    return;
  }
  const tmp = tempPathFor(target);
  const unregister = registerTempPath(tmp);
  try {
    write(tmp);
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw writeError(target, err);
  } finally {
    unregister();
  }
}

function writeAll(fd: number, parts: Uint8Array[]): void {
  for (const part of parts) {
    let off = 0;
    while (off < part.length) off += fs.writeSync(fd, part, off, part.length - off);
  }
}

/**
 * Writes a file so that readers see either the old content or the complete new one: the data goes
 * to a temporary file in the same directory, which is then renamed over the target.
 */
export function writeFileAtomic(target: string, chunks: Uint8Array | Uint8Array[]): void {
  const parts = Array.isArray(chunks) ? chunks : [chunks];
  replaceAtomic(target, (tmp) => {
    const special = tmp === target;
    const fd = fs.openSync(tmp, special ? 'w' : 'wx');
    try {
      writeAll(fd, parts);
      if (!special) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  });
}

/** Copies `source` over `target` through a temporary file (never a half-written target). */
export function copyFileAtomic(source: string, target: string): void {
  replaceAtomic(target, (tmp) => {
    if (tmp !== target) return fs.copyFileSync(source, tmp);
    const fd = fs.openSync(target, 'w');
    try {
      const src = fs.openSync(source, 'r');
      try {
        const buf = Buffer.alloc(1 << 20);
        for (let got; (got = fs.readSync(src, buf, 0, buf.length, null)) > 0; ) writeAll(fd, [buf.subarray(0, got)]);
      } finally {
        fs.closeSync(src);
      }
    } finally {
      fs.closeSync(fd);
    }
  });
}
