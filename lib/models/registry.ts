import { INCEPTION_MODEL } from '../defaults';
import * as fs from 'fs';
import { hashFile } from '../io/hash';
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
  /** The weights the export script converts (download URLs and their pinned SHA-256). */
  source?: WeightFile | WeightFile[];
  /** Weights whose publisher states no checksum that could be verified here: the URL only, never
   *  a made-up hash (the export script prints the file's SHA-256; `models install` downloads them
   *  only when asked with option unpinned, prints their SHA-256 and records it in the model). */
  unpinnedSource?: { file: string; url: string };
  /** The script that exports it (default scripts/export_onnx.py). */
  exportScript?: string;
}

export interface WeightFile {
  file: string;
  url: string;
  sha256: string;
}

// LPIPS v0.1: the learned 1x1 weights from the lpips package (richzhang/PerceptualSimilarity,
// lpips/weights/v0.1) and the torchvision ImageNet trunks they were trained on.
const LPIPS_LIN = 'https://raw.githubusercontent.com/richzhang/PerceptualSimilarity/master/lpips/weights/v0.1';
const LPIPS_SOURCES: Record<'alex' | 'vgg' | 'squeeze', WeightFile[]> = {
  alex: [
    { file: 'alex.pth', url: `${LPIPS_LIN}/alex.pth`, sha256: 'df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0' },
    { file: 'alexnet-owt-7be5be79.pth', url: 'https://download.pytorch.org/models/alexnet-owt-7be5be79.pth', sha256: '7be5be791159472b1fbf3c69796f7cb30dca7ad8466c2df70058c37116cdee02' },
  ],
  vgg: [
    { file: 'vgg.pth', url: `${LPIPS_LIN}/vgg.pth`, sha256: 'a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868' },
    { file: 'vgg16-397923af.pth', url: 'https://download.pytorch.org/models/vgg16-397923af.pth', sha256: '397923af8e79cdbb6a7127f12361acd7a2f83e06b05044ddf496e83de57a5bf0' },
  ],
  squeeze: [
    { file: 'squeeze.pth', url: `${LPIPS_LIN}/squeeze.pth`, sha256: '4a5350f23600cb79923ce65bb07cbf57dca461329894153e05a1346bd531cf76' },
    { file: 'squeezenet1_1-b8a52dc0.pth', url: 'https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth', sha256: 'b8a52dc049b60e4b6ab68ad0df457362afab8b6304b2febdc1650a5dab4d7e7b' },
  ],
};

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
  'lpips-alex': {
    name: 'lpips-alex',
    file: 'lpips-alex.onnx',
    description: "LPIPS v0.1 (alex), the lpips package's default: inputs in0, in1 N x 3 x H x W in [-1, 1]; output distance N x 1 x 1 x 1",
    source: LPIPS_SOURCES.alex,
  },
  'lpips-vgg': {
    name: 'lpips-vgg',
    file: 'lpips-vgg.onnx',
    description: 'LPIPS v0.1 (vgg16 trunk), same interface',
    source: LPIPS_SOURCES.vgg,
  },
  'lpips-squeeze': {
    name: 'lpips-squeeze',
    file: 'lpips-squeeze.onnx',
    description: 'LPIPS v0.1 (squeezenet1_1 trunk), same interface',
    source: LPIPS_SOURCES.squeeze,
  },
  // The ViT extractors (lib/network/extractor.ts), built from the publishers' weights by
  // `models install` (lib/models/install-vit.ts, graphs/vit.ts), or exported by
  // scripts/export_vit_onnx.py with Debian's PyTorch and the official model code (docs/extractors.md).
  'clip-vit-l14-336': {
    name: 'clip-vit-l14-336',
    file: 'clip-vit-l14-336.onnx',
    description:
      "OpenAI CLIP ViT-L/14@336px visual tower (CMMD's embedding): input pixel_values N x 3 x 336 x 336 (CLIP mean/std); output image_embeds N x 768 (projected CLS token, not normalised)",
    exportScript: 'scripts/export_vit_onnx.py',
    // OpenAI publishes each CLIP checkpoint under its SHA-256 (openai/CLIP clip/clip.py _MODELS and
    // scenic's CHECKPOINTS_TORCH, both verify the download against the URL's hash segment).
    source: {
      file: 'ViT-L-14-336px.pt',
      url: 'https://openaipublic.azureedge.net/clip/models/3035c92b350959924f9f00213499208652fc7ea050643e8b385c2dac08641f02/ViT-L-14-336px.pt',
      sha256: '3035c92b350959924f9f00213499208652fc7ea050643e8b385c2dac08641f02',
    },
  },
  'dinov2-vit-l14': {
    name: 'dinov2-vit-l14',
    file: 'dinov2-vit-l14.onnx',
    description:
      "DINOv2 ViT-L/14 (dgm-eval's FD-DINOv2 encoder): input pixel_values N x 3 x 224 x 224 (ImageNet mean/std); output x_norm_clstoken N x 1024",
    exportScript: 'scripts/export_vit_onnx.py',
    // facebookresearch/dinov2's hub URL. Its publisher states no SHA-256 (torch.hub loads it
    // unchecked) and none could be verified here, so none is pinned: `models install` downloads it
    // only with option unpinned (or takes it with option from), prints its SHA-256 and records it
    // in the installed model's metadata.
    unpinnedSource: { file: 'dinov2_vitl14_pretrain.pth', url: 'https://dl.fbaipublicfiles.com/dinov2/dinov2_vitl14/dinov2_vitl14_pretrain.pth' },
  },
  'lpips-alex-twin': {
    name: 'lpips-alex-twin',
    file: 'lpips-alex-twin.onnx',
    description: "LPIPS v0.1 (alex) linear layers on a seeded random AlexNet (tests)",
    sha256: '3312deb91dd5640ce3e7ea9a59b7673a0a3f7c8a88dfdf47bebdabe6c87d34e7',
  },
};


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
    h = hashFile(file);
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
export function resolveModel(nameOrPath: string = INCEPTION_MODEL): ResolvedModel {
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
    const sources: { file: string; url: string }[] = spec.source === undefined ? [] : ([] as WeightFile[]).concat(spec.source);
    if (spec.unpinnedSource) sources.push(spec.unpinnedSource);
    const how = sources.length
      ? ` Install it with 'genmetrics models install ${spec.name}' (no Python needed), or export it from ${sources.map((w) => `${w.file} (${w.url})`).join(' and ')} with ${spec.exportScript ?? 'scripts/export_onnx.py'}, or give the .onnx file's path as option model.`
      : " Give the .onnx file's path as option model.";
    throw new GenmetricsError(`model '${spec.name}' (${spec.file}) not found in ${dirs.join(', ')}.${how}`);
  }
  const actual = sha256File(file);
  let expected = spec.sha256;
  let verified: ResolvedModel['verified'] = 'pinned';
  if (!expected) {
    const sidecar = `${file}.sha256`;
    if (!fs.existsSync(sidecar)) {
      throw new GenmetricsError(`${file}: no checksum to verify it against (${sidecar} is written by scripts/export_onnx.py); re-export it, or give its path as option model`);
    }
    expected = fs.readFileSync(sidecar, 'utf8').trim().split(/\s+/)[0];
    verified = 'export';
  }
  if (actual !== expected) {
    throw new GenmetricsError(`${file}: SHA-256 mismatch for model '${spec.name}': expected ${expected}, got ${actual} (corrupt or different file)`);
  }
  return { name: spec.name, path: file, sha256: actual, verified };
}
