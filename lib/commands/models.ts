/**
 * `models list` and `models install`: the registry's networks, where they are and whether they
 * verify; and the real FID Inception built from pytorch-fid's published checkpoint without Python.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GenmetricsError } from '../errors';
import { hashFile } from '../io/hash';
import { fetchWeights } from '../models/download';
import { inceptionOnnx, writeModel } from '../models/install';
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
  dir?: string;
}

export interface ModelsInstallResult {
  name: string;
  path: string;
  sha256: string;
  source: { file: string; sha256: string; downloaded: boolean };
}

export const modelsInstallCommand = defineCommand<ModelsInstallOptions, ModelsInstallResult>({
  name: 'models install',
  summary: "install a network's real weights without Python: inception-v3-fid from pytorch-fid's checkpoint (downloaded, pinned by SHA-256, or option from)",
  example: 'models install inception-v3-fid',
  inputs: [{ name: 'name', help: 'registry name (inception-v3-fid)' }],
  options: [
    { key: 'from', type: 'string', help: 'the checkpoint already downloaded (pt_inception-2015-12-05-6726825d.pth) instead of downloading it', valueName: '<file.pth>' },
    { key: 'dir', type: 'string', help: 'where to install (default: GENMETRICS_MODEL_DIR, else <cache>/models)', valueName: '<dir>' },
  ],
  async run([name], o, reporter) {
    const spec = MODELS[name];
    if (!spec) throw new GenmetricsError(`unknown model '${name}'; known: ${Object.keys(MODELS).join(', ')}`);
    if (name !== 'inception-v3-fid') {
      throw new GenmetricsError(`models install: ${name} is not installable here yet; export it with scripts/export_onnx.py (README, Models)`);
    }
    const source = spec.source as WeightFile;
    const dir = path.resolve(o.dir ?? modelDirs()[0]);
    let pth: string;
    let downloaded = false;
    if (o.from) {
      if (!fs.existsSync(o.from)) throw new GenmetricsError(`${o.from}: no such file`);
      pth = o.from;
      const sha = hashFile(pth);
      if (sha !== source.sha256) reporter.warn(`${pth}: SHA-256 ${sha} is not the pinned ${source.sha256} of ${source.file}; installing it as given (its own SHA-256 goes beside the model)`);
    } else {
      pth = await withProgress(reporter, `download ${source.file}`, 'B', (bar) => fetchWeights(source, path.join(cacheDir(), 'downloads'), (d, t) => bar.update(d, t)));
      downloaded = true;
    }
    const bytes = inceptionOnnx(pth, fs.readFileSync(pth));
    const target = path.join(dir, spec.file);
    const sha256 = writeModel(target, bytes);
    // Verified by running it: a grey image through the written file gives finite outputs of the expected names.
    try {
      const m = await openSession({ name, path: target, sha256, verified: 'export' }, { device: 'cpu' });
      try {
        const out = await m.session.run({ input: new (ort().Tensor)('float32', new Float32Array(3 * 299 * 299), [1, 3, 299, 299]) });
        for (const k of ['pool3', 'logits_unbiased']) {
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
    return { name, path: target, sha256, source: { file: pth, sha256: hashFile(pth), downloaded } };
  },
});
