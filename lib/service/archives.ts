/**
 * Image archives (.zip, .tar) unpacked into a folder, refusing what could escape it or fill the
 * disk: entry names that are absolute or climb out (`..`), links and device files, more than
 * `maxEntries` entries, more than `maxBytes` uncompressed (zip bombs: the declared sizes are
 * checked against what is actually inflated). The folder is written beside its final name and
 * renamed into place complete, so a crash never leaves a partial dataset.
 */
import * as fs from 'fs';
import * as path from 'path';
import type * as Tar from 'tar';
import type * as Yauzl from 'yauzl';
import { lazyModule } from '../lazy';
import { HttpError } from './http-error';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const yauzl = lazyModule(() => require('yauzl') as typeof Yauzl);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tar = lazyModule(() => require('tar') as typeof Tar);

export interface ArchiveLimits {
  maxEntries: number;
  maxBytes: number;
}

const refuse = (message: string) => new HttpError(422, 'invalid_archive', `file: ${message}`, 'file');

/** A safe relative path for an entry name, or a 422 naming the entry. */
function safeName(name: string): string {
  const n = name.replace(/\\/g, '/');
  if (n.startsWith('/') || /^[A-Za-z]:/.test(n)) throw refuse(`archive entry '${name}' has an absolute path`);
  const parts = n.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw refuse(`archive entry '${name}' climbs out of the archive ('..')`);
  if (n.includes('\0')) throw refuse(`archive entry '${name}' has a NUL in its name`);
  return parts.join('/');
}

class Budget {
  entries = 0;
  bytes = 0;
  constructor(private readonly l: ArchiveLimits) {}
  entry(name: string, size: number): void {
    if (++this.entries > this.l.maxEntries) throw refuse(`more than ${this.l.maxEntries} entries in the archive`);
    this.bytes += size;
    if (this.bytes > this.l.maxBytes) throw refuse(`the archive unpacks to more than ${this.l.maxBytes} bytes (at '${name}')`);
  }
}

async function unzip(file: string, dest: string, limits: ArchiveLimits): Promise<void> {
  const budget = new Budget(limits);
  const zip = await new Promise<Yauzl.ZipFile>((resolve, reject) =>
    yauzl().open(file, { lazyEntries: true, validateEntrySizes: true, decodeStrings: true }, (err, z) => (err ? reject(refuse(`not a readable zip archive (${err.message})`)) : resolve(z!))),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (err: unknown) => reject(err instanceof HttpError ? err : refuse(`${(err as Error).message}`));
      zip.on('error', fail);
      zip.on('end', resolve);
      zip.on('entry', (entry: Yauzl.Entry) => {
        try {
          const name = safeName(entry.fileName);
          const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
          if (mode === 0o120000) throw refuse(`archive entry '${entry.fileName}' is a symbolic link`);
          if (entry.fileName.endsWith('/') || name === '') {
            zip.readEntry();
            return;
          }
          if (mode !== 0 && mode !== 0o100000) throw refuse(`archive entry '${entry.fileName}' is not a regular file`);
          budget.entry(entry.fileName, entry.uncompressedSize);
          const out = path.join(dest, name);
          fs.mkdirSync(path.dirname(out), { recursive: true });
          zip.openReadStream(entry, (err, stream) => {
            if (err) return fail(err);
            const w = fs.createWriteStream(out, { flags: 'wx' });
            stream!.on('error', fail);
            w.on('error', fail);
            w.on('finish', () => zip.readEntry());
            stream!.pipe(w);
          });
        } catch (err) {
          fail(err);
        }
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

async function untar(file: string, dest: string, limits: ArchiveLimits): Promise<void> {
  // First the headers (refusing before anything is written), then the files.
  const budget = new Budget(limits);
  let problem: HttpError | undefined;
  try {
    await tar().t({
      file,
      strict: true,
      onReadEntry: (e) => {
        if (problem) return;
        try {
          safeName(e.path);
          if (e.type === 'SymbolicLink' || e.type === 'Link') throw refuse(`archive entry '${e.path}' is a link`);
          if (e.type !== 'File' && e.type !== 'OldFile' && e.type !== 'ContiguousFile' && e.type !== 'Directory') {
            throw refuse(`archive entry '${e.path}' is not a regular file (${e.type})`);
          }
          if (e.type !== 'Directory') budget.entry(e.path, e.size ?? 0);
        } catch (err) {
          problem = err as HttpError;
        }
      },
    });
  } catch (err) {
    throw refuse(`not a readable tar archive (${(err as Error).message})`);
  }
  if (problem) throw problem;
  if (budget.entries === 0) throw refuse('the archive holds no files');
  await tar().x({ file, cwd: dest, strict: true, preservePaths: false, noChmod: true, filter: (_p, e) => 'type' in e && (e.type === 'File' || e.type === 'OldFile' || e.type === 'ContiguousFile' || e.type === 'Directory') });
}

/** Whether a zip holds .npy members only (then it is an .npz, not an image archive). */
export async function isNpz(file: string): Promise<boolean> {
  const zip = await new Promise<Yauzl.ZipFile | undefined>((resolve) => yauzl().open(file, { lazyEntries: true }, (err, z) => resolve(err ? undefined : z)));
  if (!zip) return true; // not readable as a zip: the .npz reader says what is wrong
  try {
    return await new Promise<boolean>((resolve) => {
      let any = false;
      zip.on('error', () => resolve(false)); // a bad entry (e.g. an unsafe name): the archive reader names it
      zip.on('end', () => resolve(any));
      zip.on('entry', (e: Yauzl.Entry) => {
        if (e.fileName.endsWith('/')) return zip.readEntry();
        if (!e.fileName.endsWith('.npy')) return resolve(false);
        any = true;
        zip.readEntry();
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

export type ArchiveKind = 'zip' | 'tar';

/** The archive kind of a file's first 512 bytes (zip: PK signature; tar: 'ustar' at 257), or undefined. */
export function archiveKind(head: Buffer): ArchiveKind | undefined {
  if (head.length >= 4 && head.readUInt32LE(0) === 0x04034b50) return 'zip';
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  return undefined;
}

/** Unpacks `file` into the folder `dest` (created complete: written as dest.partial, then renamed). */
export async function unpackArchive(kind: ArchiveKind, file: string, dest: string, limits: ArchiveLimits): Promise<void> {
  const partial = `${dest}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial, { recursive: true });
  try {
    if (kind === 'zip') await unzip(file, partial, limits);
    else await untar(file, partial, limits);
    if (fs.existsSync(dest)) fs.rmSync(partial, { recursive: true, force: true });
    else fs.renameSync(partial, dest);
  } catch (err) {
    fs.rmSync(partial, { recursive: true, force: true });
    throw err;
  }
}
