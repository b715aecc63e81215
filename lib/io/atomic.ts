import * as fs from 'fs';
import * as path from 'path';

/**
 * Writes a file so that readers see either the old content or the complete new one: the data goes
 * to a temporary file in the same directory, which is then renamed over the target.
 */
export function writeFileAtomic(target: string, chunks: Uint8Array | Uint8Array[]): void {
  const dir = path.dirname(path.resolve(target));
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  const parts = Array.isArray(chunks) ? chunks : [chunks];
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx');
    for (const part of parts) {
      let off = 0;
      while (off < part.length) off += fs.writeSync(fd, part, off, part.length - off);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
