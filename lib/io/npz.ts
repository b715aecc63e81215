import * as fs from 'fs';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { GenmetricsError } from '../errors';
import { writeFileAtomic } from './atomic';
import { decodeNpy, encodeNpy, type NdArray } from './npy';

/** NumPy .npz archives: a zip of .npy members, stored (np.savez) or deflated (np.savez_compressed). */

export function readNpz(file: string): Map<string, NdArray> {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new GenmetricsError(`${file}: cannot read: ${(err as Error).message}`);
  }
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(buf);
  } catch (err) {
    throw new GenmetricsError(`${file}: not a readable .npz (zip) archive: ${(err as Error).message}`);
  }
  const out = new Map<string, NdArray>();
  for (const [name, bytes] of Object.entries(members)) {
    if (!name.endsWith('.npy')) continue;
    const key = name.slice(0, -4);
    out.set(key, decodeNpy(bytes, `${file}[${key}]`));
  }
  return out;
}

export function encodeNpz(entries: Record<string, NdArray>, compress = false): Uint8Array {
  const files: Zippable = {};
  for (const [key, arr] of Object.entries(entries)) {
    const [head, body] = encodeNpy(arr);
    const bytes = new Uint8Array(head.length + body.length);
    bytes.set(head, 0);
    bytes.set(body, head.length);
    files[`${key}.npy`] = [bytes, { level: compress ? 6 : 0 }];
  }
  return zipSync(files);
}

export function writeNpz(file: string, entries: Record<string, NdArray>, compress = false): void {
  writeFileAtomic(file, encodeNpz(entries, compress));
}
