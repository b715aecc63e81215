/** Writes a generator's samples to a folder of PNG files: the same bytes the metric commands stream. */
import * as fs from 'fs';
import * as path from 'path';
import type { GeneratorProvenance } from '../generator/generator';
import { openGeneratorSource } from '../generator/source';
import { encodePng } from '../images/encode';
import { checkNewFolder, writeFolderAtomic } from '../io/folder';
import { defineCommand } from './descriptor';
import { deviceOption, threadsOf, threadsOption } from './common';
import { checkGeneratorOptions, generatorOptionSpecs, generatorSpec, latentSeedOption, type GeneratorCommandOptions } from './generator-options';
import type { Device } from '../models/session';

export interface GenerateOptions extends GeneratorCommandOptions {
  generator: string;
  output: string;
  overwrite: boolean;
  batchSize: number;
  device: Device;
  threads?: number;
}

export interface GenerateCommandResult {
  output: string;
  files: number;
  generator: GeneratorProvenance;
}

/** Zero-padded names, so that the folder's sorted order is the sample order. */
export function sampleFileName(i: number, count: number): string {
  return `${String(i).padStart(Math.max(6, String(count - 1).length), '0')}.png`;
}

export const generateCommand = defineCommand<GenerateOptions, GenerateCommandResult>({
  name: 'generate',
  summary: "Draws a generator's samples and writes them as PNG files (000000.png, ...): the images the metric commands' option generator streams",
  example: 'generate --generator G.onnx -n 1000 -o samples/',
  inputs: [],
  options: [
    ...generatorOptionSpecs.map((s) => (s.key === 'generator' ? { ...s, required: true, help: 'the generator (.onnx: input z N x Z, output N x C x H x W)' } : s)),
    latentSeedOption,
    { key: 'output', short: 'o', type: 'string', required: true, help: 'folder to write (new or empty; written whole or not at all)', valueName: '<dir>' },
    { key: 'overwrite', type: 'boolean', default: false, help: 'replace an existing folder (once the new one is complete)' },
    { key: 'batchSize', type: 'integer', min: 1, max: 4096, default: 64, help: 'samples per generator call (the samples do not depend on it)', valueName: '<n>' },
    deviceOption(),
    threadsOption,
  ],
  check: (_inputs, o) => {
    checkGeneratorOptions(o);
    checkNewFolder(o.output, 'output', o.overwrite);
  },
  async run(_inputs, o, reporter) {
    const threads = threadsOf(o, reporter);
    const source = await openGeneratorSource(generatorSpec(o), { device: o.device, threads, onNotice: (m) => reporter.notice(m) });
    const bar = reporter.progress('samples', 'img');
    try {
      await writeFolderAtomic(o.output, async (dir) => {
        for (let start = 0; start < o.samples; start += o.batchSize) {
          const images = await source.loadBatch!(start, Math.min(o.batchSize, o.samples - start));
          const files = await Promise.all(images.map(encodePng));
          files.forEach((bytes, k) => fs.writeFileSync(path.join(dir, sampleFileName(start + k, o.samples)), bytes));
          bar.update(start + images.length, o.samples);
        }
      }, o.overwrite);
      return { output: o.output, files: o.samples, generator: source.generator.provenance() };
    } finally {
      bar.stop();
      await source.generator.release();
    }
  },
});
