/**
 * Downloads of pinned weight files: into `<dir>/<file>.partial`, resumed with an HTTP Range request
 * when a partial file is there, then checked against the pinned SHA-256 before it is renamed into
 * place (a wrong file is deleted and reported, never used). GENMETRICS_WEIGHTS_MIRROR replaces the
 * URL's origin and path up to the file name (labs behind a proxy; the tests' loopback server).
 *
 * A file without a pinned SHA-256 (a registry `unpinnedSource`, fetched only when the user asks
 * for it) is checked for completeness only (the length the server announced) before it is renamed
 * into place; the caller reports its SHA-256.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GenmetricsError } from '../errors';
import { hashFile } from '../io/hash';
import type { WeightFile } from './registry';

/** A weight file to download: pinned (WeightFile) or, with `sha256` undefined, unchecked. */
export type Download = Omit<WeightFile, 'sha256'> & { sha256?: string };

export function downloadUrl(w: Download): string {
  const mirror = process.env.GENMETRICS_WEIGHTS_MIRROR;
  return mirror ? `${mirror.replace(/\/+$/, '')}/${w.file}` : w.url;
}

/** The verified file `<dir>/<w.file>` (downloaded unless it is there and matches). */
export async function fetchWeights(w: Download, dir: string, onProgress?: (done: number, total: number) => void): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, w.file);
  // An unpinned file is only renamed into place once complete: there it is reused as it is.
  if (fs.existsSync(file) && (w.sha256 === undefined || hashFile(file) === w.sha256)) return file;
  const partial = `${file}.partial`;
  const url = downloadUrl(w);
  const have = fs.existsSync(partial) ? fs.statSync(partial).size : 0;
  let res: Response;
  try {
    res = await fetch(url, { headers: have ? { Range: `bytes=${have}-` } : {}, redirect: 'follow' });
  } catch (err) {
    throw new GenmetricsError(`${url}: download failed (${(err as Error).message}); download it yourself and pass it with --from`);
  }
  if (res.status !== 200 && res.status !== 206) throw new GenmetricsError(`${url}: download failed (HTTP ${res.status}); download it yourself and pass it with --from`);
  const resumed = res.status === 206;
  const total = (resumed ? have : 0) + Number(res.headers.get('content-length') ?? 0);
  const fd = fs.openSync(partial, resumed ? 'a' : 'w');
  let done = resumed ? have : 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      let off = 0;
      while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
      done += chunk.length;
      onProgress?.(done, total || done);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (w.sha256 === undefined) {
    const size = fs.statSync(partial).size;
    const announced = res.headers.get('content-length');
    if (announced !== null && size !== total) throw new GenmetricsError(`${url}: the download stopped at ${size} of ${total} bytes; run the command again to resume it`);
    fs.renameSync(partial, file);
    return file;
  }
  const sha = hashFile(partial);
  if (sha !== w.sha256) {
    fs.rmSync(partial, { force: true });
    throw new GenmetricsError(`${url}: the download's SHA-256 is ${sha}, not the pinned ${w.sha256} of ${w.file}; nothing was installed`);
  }
  fs.renameSync(partial, file);
  return file;
}
