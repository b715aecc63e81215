/**
 * `models list` and `models install`: the registry's networks, where they are and whether they
 * verify; and the real FID Inception built from pytorch-fid's published checkpoint without Python.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GenmetricsError, OptionError } from '../errors';
import { hashFile } from '../io/hash';
import { fetchWeights } from '../models/download';
import { inceptionOnnx, lpipsOnnx, writeModel } from '../models/install';
import { cacheDir, MODELS, modelDirs, type WeightFile } from '../models/registry';
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
}

export interface ModelsInstallResult {
  name: string;
  path: string;
  sha256: string;
  sources: { file: string; sha256: string; downloaded: boolean }[];
}

const INSTALLABLE = ['inception-v3-fid', 'lpips-alex', 'lpips-vgg', 'lpips-squeeze'];

export const modelsInstallCommand = defineCommand<ModelsInstallOptions, ModelsInstallResult>({
  name: 'models install',
  summary:
    "install a network's real weights without Python: inception-v3-fid from pytorch-fid's checkpoint, lpips-alex/vgg/squeeze from the lpips package's linear layers and torchvision's trunk (downloaded, pinned by SHA-256, or options from/trunk)",
  example: 'models install inception-v3-fid',
  inputs: [{ name: 'name', help: `registry name (${INSTALLABLE.join(', ')})` }],
  options: [
    { key: 'from', type: 'string', help: 'the checkpoint already downloaded (pt_inception-2015-12-05-6726825d.pth; for LPIPS the lpips package\'s <net>.pth) instead of downloading it', valueName: '<file.pth>' },
    { key: 'trunk', type: 'string', help: "LPIPS: torchvision's trunk weights already downloaded (alexnet-owt-7be5be79.pth, vgg16-397923af.pth, squeezenet1_1-b8a52dc0.pth)", valueName: '<file.pth>' },
    { key: 'dir', type: 'string', help: 'where to install (default: GENMETRICS_MODEL_DIR, else <cache>/models)', valueName: '<dir>' },
  ],
  async run([name], o, reporter) {
    const spec = MODELS[name];
    if (!spec) throw new GenmetricsError(`unknown model '${name}'; known: ${Object.keys(MODELS).join(', ')}`);
    if (!INSTALLABLE.includes(name)) {
      throw new GenmetricsError(`models install: ${name} is not installable here yet (${INSTALLABLE.join(', ')} are); export it with scripts/export_onnx.py (README, Models)`);
    }
    if (o.trunk && !name.startsWith('lpips-')) throw new OptionError('trunk', `trunk: only the LPIPS networks take a trunk, not ${name}`);
    const wanted = ([] as WeightFile[]).concat(spec.source ?? []);
    const given = [o.from, o.trunk];
    // Each source: the file given, else downloaded (resumed, checked against its pinned SHA-256).
    const sources: ModelsInstallResult['sources'] = [];
    for (const [i, w] of wanted.entries()) {
      const file = given[i];
      if (file) {
        if (!fs.existsSync(file)) throw new GenmetricsError(`${file}: no such file`);
        if (/\.pb$/i.test(file)) {
          throw new GenmetricsError(
            `${file}: a TensorFlow graph (TTUR's classify_image_graph_def.pb) is not read; pytorch-fid's ${w.file} holds the same weights converted: ${w.url} (or run without option from to download it)`,
          );
        }
        const sha = hashFile(file);
        if (sha !== w.sha256) reporter.warn(`${file}: SHA-256 ${sha} is not the pinned ${w.sha256} of ${w.file}; installing it as given (its own SHA-256 goes beside the model)`);
        sources.push({ file, sha256: sha, downloaded: false });
      } else {
        const got = await withProgress(reporter, `download ${w.file}`, 'B', (bar) => fetchWeights(w, path.join(cacheDir(), 'downloads'), (d, t) => bar.update(d, t)));
        sources.push({ file: got, sha256: w.sha256, downloaded: true });
      }
    }
    const read = (i: number) => ({ file: sources[i].file, bytes: fs.readFileSync(sources[i].file) });
    const lpips = /^lpips-(alex|vgg|squeeze)$/.exec(name);
    const bytes = lpips ? lpipsOnnx(lpips[1] as 'alex' | 'vgg' | 'squeeze', read(0), read(1)) : inceptionOnnx(sources[0].file, read(0).bytes);
    const target = path.join(path.resolve(o.dir ?? modelDirs()[0]), spec.file);
    const sha256 = writeModel(target, bytes);
    await checkRuns(name, target, sha256);
    return { name, path: target, sha256, sources };
  },
});

/** Runs the written network once on a small input (finite outputs of the expected names); removes it otherwise. */
async function checkRuns(name: string, target: string, sha256: string): Promise<void> {
  const lpips = name.startsWith('lpips');
  try {
    const m = await openSession({ name, path: target, sha256, verified: 'export' }, { device: 'cpu' });
    try {
      const size = lpips ? [1, 3, 64, 64] : [1, 3, 299, 299];
      const zeros = () => new (ort().Tensor)('float32', new Float32Array(size.reduce((a, b) => a * b, 1)), size);
      const out = await m.session.run(lpips ? { in0: zeros(), in1: zeros() } : { input: zeros() });
      for (const k of lpips ? ['distance'] : ['pool3', 'logits_unbiased']) {
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
