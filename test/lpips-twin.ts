/**
 * An LPIPS-VGG16 twin (the real architecture, hashed weights) installed with `models install
 * lpips-vgg` from checkpoints under the real key names; scripts/make_ppl_fixture.py loads the same
 * weights into torch-fidelity's own LPIPS-VGG16. Per tensor (seed = FNV-1a of the torchvision /
 * lpips key): conv weights He-uniform (hashedValues at scale sqrt(6 / fan_in)), biases at scale
 * 0.01, the lin layers' 1x1 weights |v| at scale 0.1 (non-negative, as trained LPIPS weights are).
 */
import * as fs from 'fs';
import * as path from 'path';
import { decodeOnnx } from '../lib/models/onnx-proto';
import { cli } from './helpers';
import { fnv1a, hashedValues } from './onnx-builder';
import { writeTorchZip } from './torch-zip';

export function twinTensor(name: string, shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (name.startsWith('lin')) return hashedValues(n, fnv1a(name), 0.1).map(Math.abs);
  if (name.endsWith('.bias')) return hashedValues(n, fnv1a(name), 0.01);
  return hashedValues(n, fnv1a(name), Math.sqrt(6 / (n / shape[0])));
}

/** Installs the twin into dir/models and returns its .onnx path. */
export function installLpipsVggTwin(dir: string): string {
  const graph = decodeOnnx(fs.readFileSync(path.join(__dirname, '..', 'lib', 'models', 'graphs', 'lpips-vgg.graph.onnx')));
  const wanted = (graph.metadata_props ?? [])
    .filter((p) => p.key!.startsWith('initializer:'))
    .map((p) => ({ name: p.key!.slice(12).replace(/^net\.slice\d+\./, 'features.'), shape: p.value!.split(':')[1].split(',').map(Number) }))
    .filter((w) => w.name.startsWith('lin') || w.name.startsWith('features.'));
  const made = wanted.map((w) => ({ ...w, data: twinTensor(w.name, w.shape) }));
  const lin = path.join(dir, 'vgg.pth');
  const trunk = path.join(dir, 'vgg16-trunk.pth');
  writeTorchZip(lin, made.filter((m) => m.name.startsWith('lin')));
  writeTorchZip(trunk, made.filter((m) => m.name.startsWith('features.')));
  const r = cli(['models', 'install', 'lpips-vgg', '--from', lin, '--trunk', trunk, '--dir', path.join(dir, 'models'), '--json']);
  if (r.code !== 0) throw new Error(`models install lpips-vgg: ${r.stderr}`);
  fs.rmSync(lin);
  fs.rmSync(trunk);
  return JSON.parse(r.stdout).path;
}
