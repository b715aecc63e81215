import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { GenmetricsError } from '../errors';
import { NpyRowReader } from '../io/npy';
import { NpzArchive } from '../io/npz';
import { statInput } from '../io/paths';
import { decodeImage, IMAGE_EXTENSIONS, type DecodeOptions } from './decode';
import type { DecodedImage } from './preprocess';

/** A sequence of images: a folder (recursive, sorted), one image file, or a uint8 .npy/.npz array. */
export interface ImageSource {
  kind: 'folder' | 'file' | 'array' | 'generator';
  path: string;
  count: number;
  /** Item i as messages name it: a file path, or `array.npy[i]`. */
  name(i: number): string;
  /** What the features depend on (paths, sizes, mtimes), for the feature cache key. */
  fingerprint(): string;
  load(i: number): Promise<DecodedImage>;
  /** Items [start, start + count), asked for in order: sources that make their items in batches
   *  (a generator) provide it, and readers use it when present. */
  loadBatch?(start: number, count: number): Promise<DecodedImage[]>;
  close(): void;
  /** Files in a folder that were not images (by extension), reported to the user. */
  ignored?: string[];
}

function isImageFile(file: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(file).toLowerCase());
}

/** All image files under `dir`, recursively, sorted by relative path (code-point order, like Python's sorted()). */
export function listImages(dir: string): { files: string[]; ignored: string[] } {
  const files: string[] = [];
  const ignored: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.name.startsWith('.')) continue;
      else if (isImageFile(e.name)) files.push(r);
      else ignored.push(r);
    }
  };
  walk('');
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { files, ignored };
}

function statKey(file: string): string {
  const st = fs.statSync(file);
  return `${st.size}\t${Math.round(st.mtimeMs)}`;
}

function folderSource(dir: string, decode: DecodeOptions): ImageSource {
  const { files, ignored } = listImages(dir);
  if (files.length === 0) {
    throw new GenmetricsError(`${dir}: no images found (looked recursively for ${[...IMAGE_EXTENSIONS].join(', ')})`);
  }
  const full = (i: number) => path.join(dir, files[i]);
  return {
    kind: 'folder',
    path: dir,
    count: files.length,
    ignored,
    name: full,
    fingerprint() {
      const h = createHash('sha256').update(`folder\t${path.resolve(dir)}\n`);
      for (let i = 0; i < files.length; i++) h.update(`${files[i]}\t${statKey(full(i))}\n`);
      return h.digest('hex');
    },
    load: (i) => decodeImage(full(i), decode),
    close() {},
  };
}

function fileSource(file: string, decode: DecodeOptions): ImageSource {
  return {
    kind: 'file',
    path: file,
    count: 1,
    name: () => file,
    fingerprint: () => createHash('sha256').update(`file\t${path.resolve(file)}\t${statKey(file)}`).digest('hex'),
    load: () => decodeImage(file, decode),
    close() {},
  };
}

/** Layout of a uint8 image stack: N x H x W (gray), N x H x W x C (C = 1, 3, 4) or N x C x H x W (C = 1, 3). */
function stackLayout(shape: readonly number[], where: string): { h: number; w: number; c: number; planar: boolean } {
  if (shape.length === 3) return { h: shape[1], w: shape[2], c: 1, planar: false };
  if (shape.length === 4) {
    if ([1, 3, 4].includes(shape[3])) return { h: shape[1], w: shape[2], c: shape[3], planar: false };
    if ([1, 3].includes(shape[1])) return { h: shape[2], w: shape[3], c: shape[1], planar: true };
  }
  throw new GenmetricsError(
    `${where}: expected uint8 images N x H x W x 3 (or N x 3 x H x W, N x H x W), got shape (${shape.join(', ')})`,
  );
}

function interleave(plane: Uint8Array, c: number, hw: number): Uint8Array {
  const out = new Uint8Array(plane.length);
  for (let k = 0; k < c; k++) for (let p = 0; p < hw; p++) out[p * c + k] = plane[k * hw + p];
  return out;
}

/** A uint8 stack in `file`, named `label` in messages (`x.npz[images]` for an .npz member). */
function arraySource(file: string, label: string, rows: (i: number) => Uint8Array, shape: readonly number[], close: () => void): ImageSource {
  const { h, w, c, planar } = stackLayout(shape, label);
  if (shape[0] === 0 || h === 0 || w === 0) throw new GenmetricsError(`${label}: empty image array, shape (${shape.join(', ')})`);
  return {
    kind: 'array',
    path: file,
    count: shape[0],
    name: (i) => `${label}[${i}]`,
    fingerprint: () => createHash('sha256').update(`array\t${path.resolve(file)}\t${statKey(file)}`).digest('hex'),
    async load(i) {
      const px = rows(i);
      return { data: planar && c > 1 ? interleave(px, c, h * w) : px, width: w, height: h, channels: c };
    },
    close,
  };
}

function npySource(file: string): ImageSource {
  const reader = new NpyRowReader(file, true);
  if (reader.dtype !== 'uint8') {
    reader.close();
    throw new GenmetricsError(`${file}: expected uint8 images, got ${reader.dtype} with shape (${reader.shape.join(', ')})`);
  }
  return arraySource(file, file, (i) => reader.read(i, 1) as Uint8Array, reader.shape, () => reader.close());
}

/** The one uint8 image stack of an .npz, read (inflated) image by image: memory bounded at any size. */
function npzSource(file: string): ImageSource {
  const z = NpzArchive.open(file);
  try {
    const stacks = [...z.members.values()].filter((a) => a.dtype === 'uint8' && a.shape.length >= 3);
    if (stacks.length !== 1) {
      throw new GenmetricsError(
        `${file}: expected exactly one uint8 image array (N x H x W x 3) in the .npz, found ${stacks.length} among keys [${[...z.members.keys()].join(', ')}]`,
      );
    }
    const { key, shape } = stacks[0];
    return arraySource(file, `${file}[${key}]`, (i) => z.readRows(key, i, 1) as Uint8Array, shape, () => z.close());
  } catch (err) {
    z.close();
    throw err;
  }
}

/** Opens an image input; throws a GenmetricsError naming the path when it is none. */
export function openImageSource(input: string, decode: DecodeOptions = {}): ImageSource {
  if (statInput(input).isDirectory()) return folderSource(input, decode);
  const ext = path.extname(input).toLowerCase();
  if (ext === '.npy') return npySource(input);
  if (ext === '.npz') return npzSource(input);
  if (isImageFile(input)) return fileSource(input, decode);
  throw new GenmetricsError(`${input}: not an image folder, image file (${[...IMAGE_EXTENSIONS].join(', ')}) or uint8 .npy/.npz array`);
}

/**
 * Images [start, start + count) of a source, decoded together. With `skipBad`, an image that fails
 * to decode is left out and listed in `skipped` (its name and the error); otherwise it stops the run.
 */
export async function loadImages(source: ImageSource, start: number, count: number, skipBad: boolean, skipped: { name: string; error: string }[]): Promise<DecodedImage[]> {
  if (source.loadBatch) return source.loadBatch(start, count);
  const ids = Array.from({ length: count }, (_, k) => start + k);
  const images: DecodedImage[] = [];
  const settled = await Promise.allSettled(ids.map((i) => source.load(i)));
  settled.forEach((r, k) => {
    if (r.status === 'fulfilled') images.push(r.value);
    else if (skipBad) skipped.push({ name: source.name(ids[k]), error: (r.reason as Error).message });
    else throw r.reason;
  });
  return images;
}
