/**
 * `models list` and `models install`: the registry's networks, where they are and whether they
 * verify; and the real networks built from their publishers' checkpoints without Python (the FID
 * Inception, LPIPS, and the ViT extractors CLIP ViT-L/14@336px and DINOv2 ViT-L/14).
 */
import * as fs from 'fs';
import * as path from 'path';
import { GenmetricsError, OptionError } from '../errors';
import { hashFile } from '../io/hash';
import { fetchWeights, type Download } from '../models/download';
import { inceptionOnnx, lpipsOnnx, writeModel } from '../models/install';
import { clipVitOnnx, dinov2VitOnnx, sourceMetadata } from '../models/install-vit';
import { cacheDir, MODELS, modelDirs } from '../models/registry';
import { BUILTIN_EXTRACTORS, extractorMetadata } from '../network/extractor';
import { openSession, ort } from '../models/session';
import { defineCommand } from './descriptor';
import { withProgress } from './common';

export interface ModelsListResult {
  models: { name: string; file: string; description: string; installed: boolean; path: string | null; sha256: string | null; verified: 'pinned' | 'export' | 'mismatch' | 'unchecked' | null }[];
  searched: string[];
}

export const modelsListCommand = defineCommand<Record<string, never>, ModelsListResult>({
  name: 'models list',
  summary: 'the registry networks: which are installed, where, their SHA-256 and how it was verified',
  example: 'models list --json',
  inputs: [],
  options: [],
  async run() {
    const dirs = modelDirs();
    return {
      searched: dirs,
      models: Object.values(MODELS).map((m) => {
        const found = dirs.map((d) => path.join(d, m.file)).find((f) => fs.existsSync(f));
        if (!found) return { name: m.name, file: m.file, description: m.description, installed: false, path: null, sha256: null, verified: null };
        const sha = hashFile(found);
        const sidecar = `${found}.sha256`;
        const expected = m.sha256 ?? (fs.existsSync(sidecar) ? fs.readFileSync(sidecar, 'utf8').trim().split(/\s+/)[0] : undefined);
        const verified = expected === undefined ? 'unchecked' : expected !== sha ? 'mismatch' : m.sha256 ? 'pinned' : 'export';
        return { name: m.name, file: m.file, description: m.description, installed: true, path: found, sha256: sha, verified };
      }),
    };
  },
});

export interface ModelsInstallOptions {
  from?: string;
  trunk?: string;
  dir?: string;
  unpinned?: boolean;
}

export interface ModelsInstallResult {
  name: string;
  path: string;
  sha256: string;
  /** `pinned`: whether the registry pins the source's SHA-256 (false: DINOv2, none is published). */
  sources: { file: string; sha256: string; downloaded: boolean; pinned: boolean }[];
}

const INSTALLABLE = ['inception-v3-fid', 'lpips-alex', 'lpips-vgg', 'lpips-squeeze', 'clip-vit-l14-336', 'dinov2-vit-l14'];

/** The ViT registry models and the extractor whose preprocessing (input size, metadata) they serve. */
const VIT_EXTRACTOR: Record<string, keyof typeof BUILTIN_EXTRACTORS> = { 'clip-vit-l14-336': 'clip-vit-l14', 'dinov2-vit-l14': 'dinov2-vit-l14' };

/** A registry name, or an extractor's name for its network (clip-vit-l14 -> clip-vit-l14-336). */
function registryName(name: string): string {
  if (MODELS[name]) return name;
  return name in BUILTIN_EXTRACTORS ? BUILTIN_EXTRACTORS[name as keyof typeof BUILTIN_EXTRACTORS].model : name;
}

export const modelsInstallCommand = defineCommand<ModelsInstallOptions, ModelsInstallResult>({
  name: 'models install',
  summary:
    "install a network's real weights without Python: inception-v3-fid from pytorch-fid's checkpoint, lpips-alex/vgg/squeeze from the lpips package's linear layers and torchvision's trunk, clip-vit-l14-336 (extractor clip-vit-l14) from OpenAI's ViT-L-14-336px.pt, dinov2-vit-l14 from dinov2_vitl14_pretrain.pth (downloaded and pinned by SHA-256, or options from/trunk; DINOv2 publishes no SHA-256: option from, or option unpinned to download it unchecked)",
  example: 'models install inception-v3-fid',
  inputs: [{ name: 'name', help: `registry name (${INSTALLABLE.join(', ')}; clip-vit-l14 names clip-vit-l14-336)` }],
  options: [
    {
      key: 'from',
      type: 'string',
      help: "the checkpoint already downloaded (pt_inception-2015-12-05-6726825d.pth; for LPIPS the lpips package's <net>.pth; ViT-L-14-336px.pt; dinov2_vitl14_pretrain.pth) instead of downloading it",
      valueName: '<file.pth>',
    },
    { key: 'trunk', type: 'string', help: "LPIPS: torchvision's trunk weights already downloaded (alexnet-owt-7be5be79.pth, vgg16-397923af.pth, squeezenet1_1-b8a52dc0.pth)", valueName: '<file.pth>' },
    { key: 'dir', type: 'string', help: 'where to install (default: GENMETRICS_MODEL_DIR, else <cache>/models)', valueName: '<dir>' },
    {
      key: 'unpinned',
      type: 'boolean',
      default: false,
      help: 'dinov2-vit-l14: download dinov2_vitl14_pretrain.pth although no SHA-256 is published to check it against (its SHA-256 is printed and recorded in the model)',
    },
  ],
  async run([asked], o, reporter) {
    const name = registryName(asked);
    const spec = MODELS[name];
    if (!spec) throw new GenmetricsError(`unknown model '${asked}'; known: ${Object.keys(MODELS).join(', ')}`);
    if (!INSTALLABLE.includes(name)) {
      throw new GenmetricsError(`models install: ${name} is not installable here yet (${INSTALLABLE.join(', ')} are); export it with scripts/export_onnx.py (README, Models)`);
    }
    if (o.trunk && !name.startsWith('lpips-')) throw new OptionError('trunk', `trunk: only the LPIPS networks take a trunk, not ${name}`);
    if (o.unpinned && !spec.unpinnedSource) {
      throw new OptionError('unpinned', `unpinned: ${name}'s weights are pinned by SHA-256 (only a source without a published SHA-256, dinov2-vit-l14's, takes it)`);
    }
    const wanted: (Download & { pinned: boolean })[] = [];
    for (const w of spec.source === undefined ? [] : Array.isArray(spec.source) ? spec.source : [spec.source]) wanted.push({ ...w, pinned: true });
    if (spec.unpinnedSource) wanted.push({ ...spec.unpinnedSource, pinned: false });
    const given = [o.from, o.trunk];
    // Each source: the file given, else downloaded (resumed, checked against its pinned SHA-256;
    // a source without one only when the user asks for it with option unpinned).
    const sources: ModelsInstallResult['sources'] = [];
    for (const [i, w] of wanted.entries()) {
      const file = given[i];
      if (!w.pinned) {
        let got = file;
        if (got) {
          if (!fs.existsSync(got)) throw new GenmetricsError(`${got}: no such file`);
        } else if (!o.unpinned) {
          throw new GenmetricsError(
            `models install ${name}: ${w.file} has no published SHA-256 to check a download against (${w.url}); download it yourself and pass it with option from, or pass option unpinned to download it unchecked`,
          );
        } else {
          got = await withProgress(reporter, `download ${w.file}`, 'B', (bar) => fetchWeights({ file: w.file, url: w.url }, path.join(cacheDir(), 'downloads'), (d, t) => bar.update(d, t)));
        }
        const sha = hashFile(got);
        reporter.warn(`${got}: SHA-256 ${sha}, not checked (${w.file} has no published SHA-256); recorded in the installed model's metadata (genmetrics.weights)`);
        sources.push({ file: got, sha256: sha, downloaded: !file, pinned: false });
        continue;
      }
      if (file) {
        if (!fs.existsSync(file)) throw new GenmetricsError(`${file}: no such file`);
        if (/\.pb$/i.test(file)) {
          throw new GenmetricsError(
            `${file}: a TensorFlow graph (TTUR's classify_image_graph_def.pb) is not read; pytorch-fid's ${w.file} holds the same weights converted: ${w.url} (or run without option from to download it)`,
          );
        }
        const sha = hashFile(file);
        if (sha !== w.sha256) reporter.warn(`${file}: SHA-256 ${sha} is not the pinned ${w.sha256} of ${w.file}; installing it as given (its own SHA-256 goes beside the model)`);
        sources.push({ file, sha256: sha, downloaded: false, pinned: true });
      } else {
        const got = await withProgress(reporter, `download ${w.file}`, 'B', (bar) => fetchWeights(w, path.join(cacheDir(), 'downloads'), (d, t) => bar.update(d, t)));
        sources.push({ file: got, sha256: w.sha256!, downloaded: true, pinned: true });
      }
    }
    const read = (i: number) => ({ file: sources[i].file, bytes: fs.readFileSync(sources[i].file) });
    const lpips = /^lpips-(alex|vgg|squeeze)$/.exec(name);
    const vit = VIT_EXTRACTOR[name];
    let bytes: Buffer;
    if (vit) {
      const size = BUILTIN_EXTRACTORS[vit].preprocessing.size;
      const metadata = { ...extractorMetadata(vit), ...sourceMetadata(sources[0].file, sources[0].sha256) };
      const build = vit === 'clip-vit-l14' ? clipVitOnnx : dinov2VitOnnx;
      bytes = build(sources[0].file, read(0).bytes, size, metadata).onnx;
    } else {
      bytes = lpips ? lpipsOnnx(lpips[1] as 'alex' | 'vgg' | 'squeeze', read(0), read(1)) : inceptionOnnx(sources[0].file, read(0).bytes);
    }
    const target = path.join(path.resolve(o.dir ?? modelDirs()[0]), spec.file);
    const sha256 = writeModel(target, bytes);
    await checkRuns(name, target, sha256);
    return { name, path: target, sha256, sources };
  },
});

/** The check run's input and the outputs it must give, per network. */
function checkIo(name: string): { inputs: Record<string, number[]>; outputs: string[] } {
  const vit = VIT_EXTRACTOR[name];
  if (vit) {
    const e = BUILTIN_EXTRACTORS[vit];
    return { inputs: { [e.input]: [1, 3, e.preprocessing.size, e.preprocessing.size] }, outputs: [e.output] };
  }
  if (name.startsWith('lpips')) return { inputs: { in0: [1, 3, 64, 64], in1: [1, 3, 64, 64] }, outputs: ['distance'] };
  return { inputs: { input: [1, 3, 299, 299] }, outputs: ['pool3', 'logits_unbiased'] };
}

/** Runs the written network once on a small input (finite outputs of the expected names); removes it otherwise. */
async function checkRuns(name: string, target: string, sha256: string): Promise<void> {
  const io = checkIo(name);
  try {
    const m = await openSession({ name, path: target, sha256, verified: 'export' }, { device: 'cpu' });
    try {
      const zeros = (size: number[]) => new (ort().Tensor)('float32', new Float32Array(size.reduce((a, b) => a * b, 1)), size);
      const out = await m.session.run(Object.fromEntries(Object.entries(io.inputs).map(([k, size]) => [k, zeros(size)])));
      for (const k of io.outputs) {
        const v = out[k]?.data as Float32Array | undefined;
        if (!v || !v.every(Number.isFinite)) throw new Error(`output ${k} is ${v ? 'not finite' : 'missing'}`);
      }
    } finally {
      await m.session.release();
    }
  } catch (err) {
    fs.rmSync(target, { force: true });
    fs.rmSync(`${target}.sha256`, { force: true });
    throw new GenmetricsError(`${target}: the installed network does not run (${(err as Error).message}); removed`);
  }
}
