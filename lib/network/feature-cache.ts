/**
 * The on-disk feature cache: <cacheDir>/features/<key>/{pool3.npy, logits.npy, meta.json,
 * manifest.json}. An entry is written in a staging folder <key>.<pid>.tmp and renamed into place
 * complete; manifest.json (written last) records each file's size and SHA-256, and an entry whose
 * files do not match it is reported, removed and recomputed, never used. Staging folders and the
 * private temporary folders of cache-less runs (genmetrics-features-<pid>-*) are removed on exit and
 * on SIGINT/SIGTERM (process-cleanup), and those of killed runs (owner pid gone) by the next run.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createHash } from 'crypto';
import { hashFile } from '../io/hash';
import { cacheDir } from '../models/registry';
import { registerTempPath, sweepStale } from '../process-cleanup';

const MANIFEST = 'manifest.json';
const MANIFEST_VERSION = 1;
const STAGING = /^[0-9a-f]{32}\.(\d+)\.tmp$/;
const TEMP_PREFIX = 'genmetrics-features-';
const TEMP = /^genmetrics-features-(\d+)-/;

export interface CacheCallbacks {
  onNotice?: (message: string) => void;
  /** Problems that change how the run works (the cache turned off); default: onNotice. */
  onWarning?: (message: string) => void;
}

interface Manifest {
  version: number;
  files: Record<string, { size: number; sha256: string }>;
}

/** A cache key: the first 32 hex digits of the SHA-256 of the JSON of `parts`. */
export function featureCacheKey(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

/** The folder of the cache's entries (GENMETRICS_CACHE_DIR/features, or the per-user cache). */
export function featureCacheRoot(): string {
  return path.join(cacheDir(), 'features');
}

/** Why an entry's files do not match its manifest, or undefined when they all do. */
function verify(dir: string, names: string[]): string | undefined {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return `no ${MANIFEST}: written by an older genmetrics, or never finished`;
    return `${MANIFEST} is unreadable (${(err as Error).message})`;
  }
  if (manifest.version !== MANIFEST_VERSION || typeof manifest.files !== 'object' || manifest.files === null) return `${MANIFEST} has an unknown format`;
  for (const name of names) {
    const want = manifest.files[name];
    if (!want) return `${MANIFEST} does not list ${name}`;
    let size: number;
    try {
      size = fs.statSync(path.join(dir, name)).size;
    } catch {
      return `${name} is missing`;
    }
    if (size !== want.size) return `${name} has ${size} bytes, expected ${want.size}`;
    if (hashFile(path.join(dir, name)) !== want.sha256) return `${name} does not match its SHA-256 checksum`;
  }
  return undefined;
}

/** A cache hit: the entry's folder and its parsed meta.json. */
export interface CacheHit<Meta> {
  dir: string;
  meta: Meta;
}

/** Where a run writes its files, and what becomes of them. */
export interface FeatureEntry<Meta> {
  /** A verified complete entry for the key (then nothing is to be written). */
  hit?: CacheHit<Meta>;
  /** The folder to write the data files into (a staging folder, or a private temporary one). */
  staging: string;
  /** Whether the files will become a cache entry (false: cache off, or disabled as unwritable). */
  cached: boolean;
  /** Seals the written files: with the cache, writes meta.json and the manifest and renames the
   *  staging folder into place; returns the folder that now holds the files. */
  commit(meta: Meta): string;
  /** Removes the staging folder (after a failure). */
  abort(): void;
  /** Removes the files of a private temporary folder (cache off); a no-op for cache entries. */
  dispose(): void;
}

let swept = false;

function warn(cb: CacheCallbacks, message: string): void {
  (cb.onWarning ?? cb.onNotice)?.(message);
}

/** A private temporary folder, removed at exit or on a signal unless disposed before. */
function tempEntry<Meta>(): FeatureEntry<Meta> {
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
  const unregister = registerTempPath(staging);
  const remove = () => {
    fs.rmSync(staging, { recursive: true, force: true });
    unregister();
  };
  return { staging, cached: false, commit: () => staging, abort: remove, dispose: remove };
}

/**
 * Opens the cache entry `key` for a run whose data files are `files` (checked on a hit). With the
 * cache on: a verified entry is returned as `hit`; a corrupt one is reported (onNotice), removed
 * and recomputed; a cache folder that cannot be written turns the cache off for this run with a
 * warning (onWarning, else onNotice) and the run goes on in a temporary folder.
 */
/** Removes what killed runs (owner pid gone) left: cache staging folders and temporary feature
 *  folders. Run once per process by the first openFeatureEntry; a command may call it at start-up. */
export function sweepStaleFeatureFiles(): void {
  swept = true;
  sweepStale(os.tmpdir(), TEMP);
  sweepStale(featureCacheRoot(), STAGING);
}

export function openFeatureEntry<Meta>(key: string, files: string[], useCache: boolean, cb: CacheCallbacks = {}): FeatureEntry<Meta> {
  if (!swept) sweepStaleFeatureFiles();
  if (!useCache) return tempEntry();
  const root = featureCacheRoot();
  const dir = path.join(root, key);
  if (fs.existsSync(dir)) {
    const problem = verify(dir, [...files, 'meta.json']);
    if (problem === undefined) {
      try {
        return { hit: { dir, meta: JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as Meta }, staging: dir, cached: true, commit: () => dir, abort: () => undefined, dispose: () => undefined };
      } catch {
        // meta.json matched its checksum but is not JSON: treated as corrupt below
      }
    }
    cb.onNotice?.(`feature cache entry ${dir} is corrupt or incomplete (${problem ?? 'meta.json is not valid JSON'}); recomputing it`);
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // a read-only cache: the staging below fails and turns the cache off
    }
  }
  const staging = `${dir}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(root, { recursive: true });
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(staging);
    fs.accessSync(staging, fs.constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    warn(cb, `feature cache ${root} is not writable (${code}); running without the cache`);
    return tempEntry();
  }
  const unregister = registerTempPath(staging);
  const abort = () => {
    fs.rmSync(staging, { recursive: true, force: true });
    unregister();
  };
  return {
    staging,
    cached: true,
    commit(meta: Meta): string {
      try {
        fs.writeFileSync(path.join(staging, 'meta.json'), JSON.stringify(meta));
        const manifest: Manifest = { version: MANIFEST_VERSION, files: {} };
        for (const name of [...files, 'meta.json']) {
          const p = path.join(staging, name);
          manifest.files[name] = { size: fs.statSync(p).size, sha256: hashFile(p) };
        }
        // Last: an entry without a valid manifest is never used.
        fs.writeFileSync(path.join(staging, MANIFEST), JSON.stringify(manifest));
        fs.rmSync(dir, { recursive: true, force: true });
        fs.renameSync(staging, dir);
      } catch (err) {
        abort();
        throw err;
      }
      unregister();
      return dir;
    },
    abort,
    dispose: () => undefined,
  };
}
