/**
 * One self-contained HTML report of an evaluation: the metrics (with their spreads), the
 * truncation curve, sample grids, interpolations, the samples nearest to and farthest from the
 * reference, the memorisation gallery, and the provenance a reviewer needs to reproduce the numbers.
 * Each part is the corresponding command run through the command layer (the feature cache makes
 * the repeated feature passes one).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OptionError } from '../errors';
import type { GeneratorProvenance } from '../generator/generator';
import { RESIZE_FILTERS, type ResizeMode } from '../images/preprocess';
import { writeFileAtomic } from '../io/atomic';
import { registerTempPath } from '../process-cleanup';
import { reportHtml, type Picture, type ReportData } from '../report/html';
import { metricRows } from '../report/metrics';
import { VERSION } from '../version';
import type { AllCommandResult } from './all';
import { allCommand } from './all';
import { defineCommand, type CommandDescriptor, type Options, type Reporter } from './descriptor';
import { networkOptions, threadsOption, type NetworkOptions } from './common';
import { checkDraws, kidOptionSpecs, type KidCommandOptions } from './feature-sets';
import { checkGeneratorOptions, generatedInput, generatorOptionSpecs, type GeneratorCommandOptions } from './generator-options';
import { gridCommand } from './grid';
import { interpolateCommand } from './interpolate';
import { memorizationCommand, samplesByIndex, type MemorizationCommandResult } from './memorization';
import { parsePsi, truncationCommand, type TruncationCommandResult } from './truncation';

export interface ReportOptions extends NetworkOptions, KidCommandOptions, GeneratorCommandOptions {
  output: string;
  psi?: string;
  memorization?: string;
  extremes: number;
}

export interface ReportCommandResult {
  output: string;
  sections: string[];
  metrics: Omit<AllCommandResult, 'inputs'>;
}

const NETWORK_KEYS = ['mode', 'model', 'device', 'batchSize', 'cache', 'skipBad', 'maxPixels', 'threads'] as const;
const GENERATOR_KEYS = ['generator', 'samples', 'truncation', 'truncationMethod', 'mapping', 'range', 'quantize', 'classes', 'seed'] as const;

function pick(o: Options, keys: readonly string[]): Options {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

export const reportCommand = defineCommand<ReportOptions, ReportCommandResult>({
  name: 'report',
  summary: 'A self-contained HTML report: metrics with their spreads, truncation curve, sample grid, interpolations, nearest/farthest samples, memorisation gallery and provenance',
  example: 'report --generator G.onnx real/ -o report.html --psi 0.2,0.5,1.0 --memorization train/',
  inputs: [
    generatedInput('generated'),
    { name: 'reference', help: 'reference set: same kinds' },
  ],
  options: [
    { key: 'output', short: 'o', type: 'string', required: true, output: true, help: 'the report to write (.html)', valueName: '<file.html>' },
    { key: 'psi', type: 'string', help: 'with option generator: add the truncation sweep over these psi (comma-separated)', valueName: '<p1,p2,...>' },
    { key: 'memorization', type: 'string', help: 'add the memorisation check against this training set', valueName: '<TRAIN>' },
    { key: 'extremes', type: 'integer', min: 1, max: 64, default: 8, help: 'samples shown nearest to and farthest from the reference set', valueName: '<n>' },
    ...kidOptionSpecs.filter((s) => s.key === 'subsets' || s.key === 'subsetSize' || s.key === 'seed'),
    ...generatorOptionSpecs,
    ...networkOptions,
    threadsOption,
  ],
  check(_inputs, o) {
    if (!o.output.toLowerCase().endsWith('.html')) throw new OptionError('output', `expected a file name ending in .html, got '${o.output}'`);
    if (o.psi !== undefined) {
      if (o.generator === undefined) throw new OptionError('psi', 'the truncation sweep draws samples: give option generator too');
      parsePsi(o.psi);
    }
    checkDraws({ ...o, kernel: 'poly', degree: 3, coef0: 1, sigma: 1, estimator: 'unbiased', precision: 'float32' });
    checkGeneratorOptions(o);
  },
  async run(inputs, o, reporter) {
    const started = Date.now();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genmetrics-report-'));
    const unregister = registerTempPath(tmp);
    const given = o as unknown as Options;
    const network = pick(given, NETWORK_KEYS);
    const gen = pick(given, GENERATOR_KEYS);
    const withGenerator = o.generator !== undefined;
    const ref = inputs[inputs.length - 1];
    const sub = <R>(d: CommandDescriptor<never, R>, ins: string[], opts: Options) => runCommand(d, ins, opts, reporter);
    const sections: string[] = ['metrics'];
    try {
      const all = await sub(allCommand, inputs, { ...network, ...gen, ...pick(given, ['subsets', 'subsetSize']) });
      const pictures: Picture[] = [];
      const png = (name: string) => path.join(tmp, name);
      const read = (file: string) => fs.readFileSync(file);
      const imagesAvailable = withGenerator || all.inputs[0].kind === 'images';
      if (imagesAvailable) {
        const grid = await sub(gridCommand, withGenerator ? [] : [inputs[0]], { ...pick(given, ['maxPixels', 'device', 'threads']), ...(withGenerator ? pick(given, GENERATOR_KEYS.filter((k) => k !== 'samples')) : {}), count: 64, output: png('grid.png') });
        pictures.push({ title: 'Samples', caption: `the first ${grid.images} generated samples`, png: read(png('grid.png')), alt: `a grid of ${grid.images} generated samples` });
        sections.push('samples');
      }
      if (withGenerator) {
        await sub(interpolateCommand, [], { ...pick(given, ['generator', 'mapping', 'range', 'quantize', 'classes', 'truncation', 'truncationMethod', 'device', 'threads']), seeds: '1,2,3,4', steps: 8, output: png('interp.png') });
        pictures.push({ title: 'Interpolations', caption: 'lerp in z between the codes of seeds 1, 2, 3 and 4 (one row per pair)', png: read(png('interp.png')), alt: 'latent interpolations between seeds 1 to 4' });
        sections.push('interpolations');
      }
      if (imagesAvailable) {
        // Distance of each generated sample to its nearest reference sample (Inception space).
        const near = await sub(memorizationCommand, inputs, { ...network, ...gen, k: 1 });
        const order = [...near.samples].sort((p, q) => p.nearest[0].distance - q.nearest[0].distance || p.index - q.index);
        const n = Math.min(o.extremes, order.length);
        for (const [which, list] of [['nearest to', order.slice(0, n)], ['farthest from', order.slice(-n).reverse()]] as const) {
          const file = png(`${which.split(' ')[0]}.png`);
          await samplesByIndex(inputs, o, reporter, list.map((s) => s.index), file);
          pictures.push({ title: `Samples ${which} the reference`, caption: `the ${n} generated samples ${which} their nearest reference sample (Inception pool3 distance ${list[0].nearest[0].distance.toPrecision(4)} … ${list[n - 1].nearest[0].distance.toPrecision(4)})`, png: read(file), alt: `${n} generated samples ${which} the reference set` });
        }
        sections.push('extremes');
      }
      let truncation: ReportData['truncation'];
      if (o.psi !== undefined) {
        const t: TruncationCommandResult = await sub(truncationCommand, [ref], { ...network, ...pick(given, GENERATOR_KEYS.filter((k) => k !== 'truncation')), psi: o.psi, svg: path.join(tmp, 'truncation.svg'), ...pick(given, ['subsets', 'subsetSize']) });
        truncation = { svg: fs.readFileSync(path.join(tmp, 'truncation.svg'), 'utf8').replace(/^<\?xml[^>]*>\s*/, ''), rows: t.rows.map((r) => ({ psi: r.psi, FID: r.fid, KID: r.kid.mean, precision: r.precision, recall: r.recall, density: r.density, coverage: r.coverage })) };
        sections.push('truncation');
      }
      let memorization: ReportData['memorization'];
      if (o.memorization !== undefined) {
        const m: MemorizationCommandResult = await sub(memorizationCommand, [...inputs.slice(0, -1), o.memorization], { ...network, ...gen, k: 3, ...(imagesAvailable ? { output: png('gallery.png'), gallery: 8 } : {}) });
        memorization = {
          threshold: m.threshold,
          how: m.calibration.how,
          copies: m.copies,
          total: m.samples.length,
          copyRate: m.copy_rate,
          gallery: m.gallery ? { title: 'Closest pairs', caption: 'each row: a generated sample, then its 3 nearest training samples', png: read(m.gallery), alt: 'generated samples beside their nearest training samples' } : undefined,
        };
        sections.push('memorization');
      }
      const [A, B] = all.inputs;
      const pre = A.preprocessing ?? B.preprocessing;
      const g: GeneratorProvenance | undefined = A.generator;
      const metrics = metricRows(all);
      const cpus = os.cpus();
      const provenance: [string, string][] = [
        ['genmetrics', VERSION],
        ['network', pre ? `${pre.model.name} sha256 ${pre.model.sha256}` : 'features given (no network run)'],
        ['preprocessing', pre ? `${pre.mode}: ${RESIZE_FILTERS[pre.mode as ResizeMode]}` : 'features given'],
        ['generated', `${A.path} (${A.kind}, ${A.count} samples${A.images ? `, device ${A.images.device}` : ''})`],
        ['reference', `${B.path} (${B.kind}, ${B.count} samples)`],
        ...(g
          ? ([
              ['generator', `${g.path} sha256 ${g.sha256}`],
              ['latents', `seed ${g.seed}, ${g.samples} samples, z ${g.z_dims}, ${g.classes ? `${g.classes} classes, ` : ''}truncation ${g.truncation ? `${g.truncation.method} ${g.truncation.psi}` : 'none'}, output ${g.range}${g.quantize ? `, ${g.quantize}` : ''}`],
              ...(g.mapping ? [['mapping', `${g.mapping.path} sha256 ${g.mapping.sha256}, w_avg ${g.mapping.w_avg}`] as [string, string]] : []),
            ] as [string, string][])
          : []),
        ['seeds', `KID subsets and Inception Score splits ${all.seed}${g ? `, latent codes ${g.seed}` : ''}`],
        ['hardware', `${cpus.length} x ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.platform()} ${os.arch()}, node ${process.versions.node}`],
        ['time', `${new Date(started).toISOString()}, ${((Date.now() - started) / 1000).toFixed(1)} s`],
      ];
      // Pixel sizes, so that small samples are shown enlarged.
      for (const p of [...pictures, ...(memorization?.gallery ? [memorization.gallery] : [])]) {
        const [w, h] = [p.png.readUInt32BE(16), p.png.readUInt32BE(20)];
        Object.assign(p, { width: w, height: h });
      }
      const html = reportHtml({ title: 'genmetrics evaluation report', generated: A.path, reference: B.path, metrics, truncation, pictures, memorization, provenance });
      writeFileAtomic(o.output, Buffer.from(html));
      const { inputs: _drop, ...numbers } = all;
      void _drop;
      return { output: o.output, sections, metrics: numbers };
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
      unregister();
    }
  },
});

// The registry imports this module, so runCommand comes from it lazily (no import cycle at load).
function runCommand<R>(d: CommandDescriptor<never, R>, inputs: string[], options: Options, reporter: Reporter): Promise<R> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const registry = require('./registry') as typeof import('./registry');
  return registry.runCommand(d as never, inputs, options, reporter) as Promise<R>;
}
