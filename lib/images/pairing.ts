import * as path from 'path';
import { GenmetricsError } from '../errors';
import { statInput } from '../io/paths';
import { IMAGE_EXTENSIONS } from './decode';
import { listImages } from './sources';

/** Two image files compared with each other; `name` is their relative path (or the file names). */
export interface ImagePair {
  a: string;
  b: string;
  name: string;
}

function listShort(names: string[]): string {
  const shown = names.slice(0, 10).join(', ');
  return names.length > 10 ? `${shown}, ... (${names.length - 10} more)` : shown;
}

/**
 * The pairs of two inputs: two image files, or two folders whose images are paired by relative
 * path (recursively, sorted; as the lpips package's lpips_2dirs.py pairs same-named files). Every
 * image must have its partner; the error lists those that do not.
 */
export function pairInputs(a: string, b: string): ImagePair[] {
  const dirA = statInput(a).isDirectory();
  const dirB = statInput(b).isDirectory();
  if (!dirA && !dirB) {
    for (const f of [a, b]) {
      if (!IMAGE_EXTENSIONS.has(path.extname(f).toLowerCase())) {
        throw new GenmetricsError(`${f}: not an image file (${[...IMAGE_EXTENSIONS].join(', ')}) or folder`);
      }
    }
    return [{ a, b, name: path.basename(a) === path.basename(b) ? path.basename(a) : `${path.basename(a)} | ${path.basename(b)}` }];
  }
  if (dirA !== dirB) {
    throw new GenmetricsError(`compare two image files or two folders: ${dirA ? a : b} is a folder, ${dirA ? b : a} is not`);
  }
  const la = listImages(a).files;
  const lb = listImages(b).files;
  if (la.length === 0) throw new GenmetricsError(`${a}: no images found (looked recursively for ${[...IMAGE_EXTENSIONS].join(', ')})`);
  if (lb.length === 0) throw new GenmetricsError(`${b}: no images found (looked recursively for ${[...IMAGE_EXTENSIONS].join(', ')})`);
  const inB = new Set(lb);
  const inA = new Set(la);
  const onlyA = la.filter((f) => !inB.has(f));
  const onlyB = lb.filter((f) => !inA.has(f));
  if (onlyA.length || onlyB.length) {
    const parts = [];
    if (onlyA.length) parts.push(`${onlyA.length} in ${a} without a partner in ${b}: ${listShort(onlyA)}`);
    if (onlyB.length) parts.push(`${onlyB.length} in ${b} without a partner in ${a}: ${listShort(onlyB)}`);
    throw new GenmetricsError(`images are paired by relative path, and ${parts.join('; ')}`);
  }
  return la.map((f) => ({ a: path.join(a, f), b: path.join(b, f), name: f }));
}
