import * as fs from 'fs';
import * as path from 'path';

/** A fresh temporary name beside `target` (same directory, so a rename over the target is atomic). */
export function tempPathFor(target: string): string {
  const dir = path.dirname(path.resolve(target));
  return path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now().toString(36)}.tmp`);
}

/** Runs `write(tmp)`, then renames tmp over `target`; on failure removes tmp and rethrows. */
function replaceAtomic(target: string, write: (tmp: string) => void): void {
  const tmp = tempPathFor(target);
  try {
    write(tmp);
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Writes a file so that readers see either the old content or the complete new one: the data goes
 * to a temporary file in the same directory, which is then renamed over the target.
 */
export function writeFileAtomic(target: string, chunks: Uint8Array | Uint8Array[]): void {
  const parts = Array.isArray(chunks) ? chunks : [chunks];
  replaceAtomic(target, (tmp) => {
    const fd = fs.openSync(tmp, 'wx');
    try {
      for (const part of parts) {
        let off = 0;
        while (off < part.length) off += fs.writeSync(fd, part, off, part.length - off);
      }
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  });
}

/** Copies `source` over `target` through a temporary file (never a half-written target). */
export function copyFileAtomic(source: string, target: string): void {
  replaceAtomic(target, (tmp) => fs.copyFileSync(source, tmp));
}
