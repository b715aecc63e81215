/**
 * `genmetrics --version --verbose`: what this installation runs — the native addon (a prebuilt
 * binary or a local build) and the GEMM kernel it chose for this CPU, and onnxruntime.
 */
import * as fs from 'fs';
import * as path from 'path';
import { native } from '../native';
import { cudaProviderInstalled } from '../models/session';

const root = path.join(__dirname, '..', '..');

export function versionLines(version: string): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const addon = (require('node-gyp-build') as { resolve(dir: string): string }).resolve(root);
  const prebuilt = path.relative(root, addon).split(path.sep)[0] === 'prebuilds';
  let ort = 'not installed';
  try {
    const dir = path.dirname(require.resolve('onnxruntime-node/package.json'));
    ort = `${JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version} (CUDA provider ${cudaProviderInstalled() ? 'installed' : 'not installed'})`;
  } catch {
    // not installed
  }
  return [
    `genmetrics ${version}`,
    `node ${process.versions.node} (${process.platform} ${process.arch}, N-API ${process.versions.napi})`,
    `native addon: ${addon} (${prebuilt ? 'prebuilt, portable x86-64-v2 baseline' : 'built from source on this machine'})`,
    `GEMM kernel: ${native().simdLevel} (chosen when the addon loads from the CPU's features: avx512, else avx2 with FMA, else generic; GENMETRICS_KERNEL=avx2|generic forces a lesser one)`,
    `onnxruntime-node: ${ort}`,
  ];
}
