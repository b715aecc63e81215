/**
 * A folder written whole or not at all: files go into a hidden temporary folder beside the target,
 * which is renamed to the target once complete (removed on failure or interrupt).
 */
import * as fs from 'fs';
import * as path from 'path';
import { GenmetricsError } from '../errors';
import { registerTempPath } from '../process-cleanup';
import { tempPathFor } from './atomic';

/**
 * Refuses a target whose parent is missing, or that exists as anything but a folder, or (unless
 * `overwrite`) as a folder that is not empty.
 */
export function checkNewFolder(target: string, key: string, overwrite = false): void {
  const parent = path.dirname(path.resolve(target));
  if (!fs.existsSync(parent) || !fs.statSync(parent).isDirectory()) throw new GenmetricsError(`${target}: cannot write: the folder ${parent} does not exist (option ${key})`);
  if (!fs.existsSync(target)) return;
  if (!fs.statSync(target).isDirectory()) throw new GenmetricsError(`${target}: exists and is not a folder (option ${key} names a folder to write)`);
  if (!overwrite && fs.readdirSync(target).length > 0) {
    throw new GenmetricsError(`${target}: the folder is not empty (option ${key} names a new or empty folder; option overwrite replaces it)`);
  }
}

/** Fills a temporary folder, then puts it in the target's place (an existing target is replaced only when complete). */
export async function writeFolderAtomic(target: string, fill: (dir: string) => Promise<void>, overwrite = false): Promise<void> {
  checkNewFolder(target, 'output', overwrite);
  const tmp = tempPathFor(target);
  const unregister = registerTempPath(tmp);
  try {
    fs.mkdirSync(tmp);
    await fill(tmp);
    if (fs.existsSync(target)) {
      // The old folder is moved aside and removed after the new one is in place.
      const old = tempPathFor(target);
      fs.renameSync(target, old);
      fs.renameSync(tmp, target);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(tmp, target);
    }
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    unregister();
  }
}
