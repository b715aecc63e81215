/**
 * Output paths checked before any work: a run that would fail to write its result, or overwrite
 * one of its own inputs, is refused at once, naming the user's path.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GenmetricsError } from '../errors';

export interface OutputPath {
  /** The option that names it. */
  key: string;
  path: string;
}

/** The file's identity: device and inode when it exists, else its real folder and name. */
function identity(p: string): string {
  try {
    const st = fs.statSync(p);
    return `${st.dev}:${st.ino}`;
  } catch {
    try {
      return `${fs.realpathSync(path.dirname(path.resolve(p)))}/${path.basename(p)}`;
    } catch {
      return path.resolve(p);
    }
  }
}

function isSpecial(st: fs.Stats | undefined): boolean {
  return st !== undefined && !st.isFile() && !st.isDirectory();
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

/** Whether the folder (or the existing file) can be written, as the error code if not. */
function writeDenied(p: string): string | undefined {
  try {
    fs.accessSync(p, fs.constants.W_OK);
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'EACCES';
  }
}

const WHY: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
};

/**
 * Refuses outputs that cannot be written (missing folder, a folder as the target, no permission,
 * read-only file system) and outputs that are the same file as an input or as another output
 * (real paths compared: links and hard links too). Special files (FIFOs, /dev/null) are written
 * through and may repeat.
 */
export function checkOutputs(outputs: OutputPath[], inputs: string[]): void {
  const inputIds = new Map(inputs.filter((p) => fs.existsSync(p)).map((p) => [identity(p), p]));
  const seen = new Map<string, OutputPath>();
  for (const o of outputs) {
    const st = statOrUndefined(o.path);
    if (st?.isDirectory()) throw new GenmetricsError(`${o.path}: is a folder; option ${o.key} names the file to write`);
    if (isSpecial(st)) continue;
    const dir = path.dirname(path.resolve(o.path));
    const dst = statOrUndefined(dir);
    if (!dst) throw new GenmetricsError(`${o.path}: cannot write: the folder ${dir} does not exist (ENOENT)`);
    if (!dst.isDirectory()) throw new GenmetricsError(`${o.path}: cannot write: ${dir} is not a folder (ENOTDIR)`);
    const denied = writeDenied(st ? o.path : dir);
    if (denied) throw new GenmetricsError(`${o.path}: cannot write: ${WHY[denied] ?? denied} (${denied})`);
    const id = identity(o.path);
    const input = inputIds.get(id);
    if (input !== undefined) {
      throw new GenmetricsError(`${o.path} (option ${o.key}) is the same file as the input ${input}: writing it would destroy the input`);
    }
    const twin = seen.get(id);
    if (twin) throw new GenmetricsError(`${o.path} (option ${o.key}) is the same file as ${twin.path} (option ${twin.key}): each output needs its own file`);
    seen.set(id, o);
  }
}
