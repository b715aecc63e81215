/**
 * Content-addressed files beside the database: `blobs/<first two hex>/<sha256><ext>`. An upload is
 * streamed to a temporary file in `blobs/tmp/` while it is hashed and counted (never held whole in
 * memory), fsynced, then renamed into place, so a blob name never shows a partial file. Temporary
 * files left by a crash are removed at start.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { Readable } from 'stream';
import { HttpError } from './http-error';

/** Bytes kept from the start of an upload: enough for a tar header's magic (offset 257). */
const HEAD = 512;

export interface TempBlob {
  /** The temporary file (delete with discard(), or keep with commit()). */
  path: string;
  sha256: string;
  bytes: number;
  /** The first HEAD bytes, to recognise the format. */
  head: Buffer;
}

export class BlobStore {
  readonly root: string;
  private readonly tmp: string;
  private counter = 0;

  /** `root`: the blob directory (default <dataDir>/blobs; the scale-out service shares one between machines). */
  constructor(dataDir: string, root?: string) {
    this.root = root ?? path.join(dataDir, 'blobs');
    this.tmp = path.join(this.root, 'tmp');
    fs.mkdirSync(this.tmp, { recursive: true });
    for (const f of fs.readdirSync(this.tmp)) fs.rmSync(path.join(this.tmp, f), { force: true, recursive: true });
    // Archives a crash interrupted while unpacking (`<sha256>.d.partial/`).
    for (const d of fs.readdirSync(this.root)) {
      if (d === 'tmp' || !fs.statSync(path.join(this.root, d)).isDirectory()) continue;
      for (const f of fs.readdirSync(path.join(this.root, d))) if (f.endsWith('.partial')) fs.rmSync(path.join(this.root, d, f), { recursive: true, force: true });
    }
  }

  /**
   * Streams `source` into a temporary file (named with `ext`, which the readers go by), refusing
   * more than `limit` bytes with 413 (`field` names the upload in the message).
   */
  async receive(source: Readable, ext: string, limit: number, field: string): Promise<TempBlob> {
    const file = path.join(this.tmp, `${process.pid}-${Date.now()}-${this.counter++}${ext}`);
    const hash = createHash('sha256');
    const fd = fs.openSync(file, 'wx', 0o600);
    let bytes = 0;
    const headParts: Buffer[] = [];
    let headBytes = 0;
    try {
      for await (const chunk of source) {
        const buf = chunk as Buffer;
        bytes += buf.length;
        if (bytes > limit) throw new HttpError(413, 'too_large', `${field}: upload larger than the limit of ${limit} bytes`, field);
        hash.update(buf);
        if (headBytes < HEAD) {
          headParts.push(buf.subarray(0, HEAD - headBytes));
          headBytes += Math.min(buf.length, HEAD - headBytes);
        }
        let off = 0;
        while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
      }
      fs.fsyncSync(fd);
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(file, { force: true });
      throw err;
    }
    fs.closeSync(fd);
    return { path: file, sha256: hash.digest('hex'), bytes, head: Buffer.concat(headParts) };
  }

  /** Gives a received file the extension its readers go by (known once its first bytes are). */
  retype(t: TempBlob, ext: string): void {
    const typed = `${t.path}${ext}`;
    fs.renameSync(t.path, typed);
    t.path = typed;
  }

  /** Where a blob of this hash and extension lives. */
  pathOf(sha256: string, ext: string): string {
    return path.join(this.root, sha256.slice(0, 2), `${sha256}${ext}`);
  }

  /** Moves a received file to its content address (an existing blob of the same bytes is kept). */
  commit(t: TempBlob, ext: string): string {
    const dest = this.pathOf(t.sha256, ext);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    if (fs.existsSync(dest)) {
      fs.rmSync(t.path, { force: true });
    } else {
      fs.renameSync(t.path, dest);
      // The rename itself is durable once the directory is synced.
      const dir = fs.openSync(path.dirname(dest), 'r');
      try {
        fs.fsyncSync(dir);
      } finally {
        fs.closeSync(dir);
      }
    }
    return path.relative(this.root, dest);
  }

  discard(t: TempBlob): void {
    fs.rmSync(t.path, { force: true });
  }

  absolute(blob: string): string {
    return path.join(this.root, blob);
  }

  /** Removes a blob (a file, or the folder of an unpacked archive). */
  remove(blob: string): void {
    fs.rmSync(this.absolute(blob), { force: true, recursive: true });
  }

  /** Unpacks a received archive into its content address (`<sha256>.d/`) and drops the archive. */
  async commitArchive(t: TempBlob, unpack: (dest: string) => Promise<void>): Promise<string> {
    const dest = this.pathOf(t.sha256, '.d');
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    if (!fs.existsSync(dest)) await unpack(dest);
    fs.rmSync(t.path, { force: true });
    return path.relative(this.root, dest);
  }
}
