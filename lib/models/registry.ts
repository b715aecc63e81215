import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GenmetricsError } from '../errors';

/** A network genmetrics knows by name: where its file is looked for and how it is verified. */
export interface ModelSpec {
  name: string;
  file: string;
  description: string;
  /** SHA-256 of the ONNX file, for published files. Exports made locally are checked against the
   *  `<file>.sha256` that scripts/export_onnx.py writes beside them. */
  sha256?: string;
  /** The weights the export script converts (download URL and their pinned SHA-256). */
  source?: { file: string; url: string; sha256: string };
}

export const MODELS: Record<string, ModelSpec> = {
  'inception-v3-fid': {
    name: 'inception-v3-fid',
    file: 'inception-v3-fid.onnx',
    description: "pytorch-fid's FID Inception-v3 (TF 2015-12-05 weights): input N x 3 x 299 x 299 in [-1, 1]; outputs pool3, logits, logits_unbiased",
    source: {
      file: 'pt_inception-2015-12-05-6726825d.pth',
      url: 'https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth',
      sha256: '6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2',
    },
  },
  'inception-fid-twin': {
    name: 'inception-fid-twin',
    file: 'inception-fid-twin.onnx',
    description: 'the same architecture and interface with seeded random weights (tests and benchmarks)',
    sha256: '7a6611883c566b790ee70a0e62374210452247bbbe74fdefb8dac9a687420f06',
  },
  'lpips-alex-twin': {
    name: 'lpips-alex-twin',
    file: 'lpips-alex-twin.onnx',
    description: "LPIPS v0.1 (alex) linear layers on a seeded random AlexNet (tests)",
    sha256: '3312deb91dd5640ce3e7ea9a59b7673a0a3f7c8a88dfdf47bebdabe6c87d34e7',
  },
};

export const DEFAULT_INCEPTION = 'inception-v3-fid';

/** The per-user cache directory (XDG on Linux), or GENMETRICS_CACHE_DIR. */
export function cacheDir(): string {
  if (process.env.GENMETRICS_CACHE_DIR) return path.resolve(process.env.GENMETRICS_CACHE_DIR);
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Caches', 'genmetrics');
  if (process.platform === 'win32') return path.join(process.env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'genmetrics');
  return path.join(process.env.XDG_CACHE_HOME || path.join(home, '.cache'), 'genmetrics');
}

/** Directories searched for registry models, in order: GENMETRICS_MODEL_DIR, then <cache>/models. */
export function modelDirs(): string[] {
  const dirs: string[] = [];
  if (process.env.GENMETRICS_MODEL_DIR) dirs.push(path.resolve(process.env.GENMETRICS_MODEL_DIR));
  dirs.push(path.join(cacheDir(), 'models'));
  return dirs;
}

const hashes = new Map<string, string>();

/** SHA-256 of a file (hex), memoised per path, size and mtime. */
export function sha256File(file: string): string {
  const st = fs.statSync(file);
  const key = `${path.resolve(file)}:${st.size}:${st.mtimeMs}`;
  let h = hashes.get(key);
  if (!h) {
    const hash = createHash('sha256');
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.allocUnsafe(8 << 20);
      for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
    } finally {
      fs.closeSync(fd);
    }
    h = hash.digest('hex');
    hashes.set(key, h);
  }
  return h;
}

export interface ResolvedModel {
  /** Registry name, or the file name for an explicit path. */
  name: string;
  path: string;
  sha256: string;
  /** How the checksum was checked: 'pinned' (registry), 'export' (sidecar of a local export), 'unchecked' (explicit path). */
  verified: 'pinned' | 'export' | 'unchecked';
}

function looksLikePath(s: string): boolean {
  return s.includes('/') || s.includes(path.sep) || s.toLowerCase().endsWith('.onnx');
}

/**
 * Finds a model: an explicit file path is used as given; a registry name is looked for in
 * GENMETRICS_MODEL_DIR, then the user cache dir, and its SHA-256 must match.
 */
export function resolveModel(nameOrPath: string = DEFAULT_INCEPTION): ResolvedModel {
  if (looksLikePath(nameOrPath) && !MODELS[nameOrPath]) {
    if (!fs.existsSync(nameOrPath)) throw new GenmetricsError(`model ${nameOrPath}: no such file`);
    if (fs.statSync(nameOrPath).isDirectory()) throw new GenmetricsError(`model ${nameOrPath}: is a directory; expected an .onnx file`);
    return { name: path.basename(nameOrPath), path: nameOrPath, sha256: sha256File(nameOrPath), verified: 'unchecked' };
  }
  const spec = MODELS[nameOrPath];
  if (!spec) {
    throw new GenmetricsError(`unknown model '${nameOrPath}'; known: ${Object.keys(MODELS).join(', ')} (or give a path to an .onnx file)`);
  }
  const dirs = modelDirs();
  const file = dirs.map((d) => path.join(d, spec.file)).find((f) => fs.existsSync(f));
  if (!file) {
    const how = spec.source
      ? ` Export it from ${spec.source.file} (${spec.source.url}) with scripts/export_onnx.py, or pass --model PATH.`
      : ' Pass --model PATH.';
    throw new GenmetricsError(`model '${spec.name}' (${spec.file}) not found in ${dirs.join(', ')}.${how}`);
  }
  const actual = sha256File(file);
  let expected = spec.sha256;
  let verified: ResolvedModel['verified'] = 'pinned';
  if (!expected) {
    const sidecar = `${file}.sha256`;
    if (!fs.existsSync(sidecar)) {
      throw new GenmetricsError(`${file}: no checksum to verify it against (${sidecar} is written by scripts/export_onnx.py); re-export it, or pass it with --model PATH`);
    }
    expected = fs.readFileSync(sidecar, 'utf8').trim().split(/\s+/)[0];
    verified = 'export';
  }
  if (actual !== expected) {
    throw new GenmetricsError(`${file}: SHA-256 mismatch for model '${spec.name}': expected ${expected}, got ${actual} (corrupt or different file)`);
  }
  return { name: spec.name, path: file, sha256: actual, verified };
}
