/**
 * The truncation trade-off (Brock et al. 2019; Kynkäänniemi et al. 2019, fig. 1): FID, KID,
 * precision, recall, density and coverage of a generator's samples at each psi, against one
 * reference set (its features computed once), as a table, JSON and a chart (SVG / PNG).
 */
import * as D from '../defaults';
import { GenmetricsError, OptionError } from '../errors';
import type { GeneratorProvenance } from '../generator/generator';
import { MIN_RESAMPLE_PSI } from '../generator/latents';
import { loadFeatures, type InputProvenance } from '../inputs';
import { requireSameOrigin } from '../network/meta';
import { truncationChart, type TruncationRow } from '../plots/truncation';
import { requireSameDims } from '../features';
import { chartOptionSpecs, checkChartOptions, writeCharts, type ChartOutputOptions } from './chart-options';
import { defineCommand } from './descriptor';
import { featureOptions, networkOptions, threadsOf, threadsOption, withProgress, type NetworkOptions } from './common';
import { checkDraws, distributionMetrics, kidOptionSpecs, prdcOptionSpecs, precisionOption, type KidCommandOptions, type PrdcCommandOptions } from './feature-sets';
import { checkGeneratorOptions, generatorOptionSpecs, generatorSpec, type GeneratorCommandOptions } from './generator-options';

export interface TruncationOptions extends NetworkOptions, KidCommandOptions, PrdcCommandOptions, GeneratorCommandOptions, ChartOutputOptions {
  generator: string;
  psi: string;
  eps: number;
}

export interface TruncationCommandResult {
  rows: { psi: number; fid: number; kid: { mean: number; std: number }; precision: number; recall: number; density: number; coverage: number }[];
  method: string;
  samples: number;
  reference: InputProvenance;
  generator: Omit<GeneratorProvenance, 'truncation'>;
  plots: string[];
}

export const DEFAULT_PSI = '0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0';

/** "0.1,0.5,1" -> [0.1, 0.5, 1]: distinct numbers >= 0, in the order given. */
export function parsePsi(text: string): number[] {
  const values = text.split(',').map((s) => s.trim());
  const bad = values.find((v) => v === '' || !Number.isFinite(Number(v)) || Number(v) < 0);
  if (bad !== undefined) throw new OptionError('psi', `expected comma-separated numbers >= 0, got '${bad}' in '${text}'`);
  const psi = values.map(Number);
  if (new Set(psi).size !== psi.length) throw new OptionError('psi', `each psi once, got '${text}'`);
  return psi;
}

export const truncationCommand = defineCommand<TruncationOptions, TruncationCommandResult>({
  name: 'truncation',
  summary: 'The truncation trade-off: FID, KID, precision, recall, density and coverage of a generator at each psi against a reference set, as a table, JSON and a chart',
  example: 'truncation --generator G.onnx real/ --psi 0.2,0.4,0.6,0.8,1.0 -n 10000 --svg curve.svg',
  inputs: [{ name: 'reference', help: 'reference set: image folder/file/uint8 array or features .npy (N x D)' }],
  options: [
    ...generatorOptionSpecs
      .filter((s) => s.key !== 'truncation')
      .map((s) => (s.key === 'generator' ? { ...s, required: true, help: 'the generator (.onnx: input z N x Z, output N x C x H x W)' } : s.key === 'samples' ? { ...s, default: D.TRUNCATION_SAMPLES, help: 'generator: samples per psi' } : s)),
    { key: 'psi', type: 'string', default: DEFAULT_PSI, help: 'the truncation values, comma-separated', valueName: '<p1,p2,...>' },
    ...kidOptionSpecs,
    ...prdcOptionSpecs,
    precisionOption,
    { key: 'eps', type: 'number', min: 0, default: D.FID_EPS, help: "FID: pytorch-fid's eps, added to both covariance diagonals only if the result is not finite", valueName: '<x>' },
    ...chartOptionSpecs,
    ...networkOptions,
    threadsOption,
  ],
  check(_inputs, o) {
    parsePsi(o.psi);
    checkDraws(o);
    checkGeneratorOptions(o);
    checkChartOptions(o);
    const small = parsePsi(o.psi).find((p) => o.truncationMethod === 'resample' && p < MIN_RESAMPLE_PSI);
    if (small !== undefined) throw new OptionError('psi', `the resample method draws every entry with |z| > psi again, which needs psi >= ${MIN_RESAMPLE_PSI}; got ${small}`);
  },
  async run([reference], o, reporter) {
    const threads = threadsOf(o, reporter);
    const psi = parsePsi(o.psi);
    const load = (input: Parameters<typeof loadFeatures>[0]) =>
      withProgress(reporter, 'features', 'img', (bar) => loadFeatures(input, { network: featureOptions(o, reporter, threads, bar), needs: 'the truncation sweep (KID, precision/recall) needs' }));
    const B = await load(reference);
    const rows: TruncationCommandResult['rows'] = [];
    let generator: GeneratorProvenance | undefined;
    for (const p of psi) {
      reporter.notice(`psi ${p}`);
      const A = await load(generatorSpec({ ...o, truncation: p }));
      requireSameOrigin(A.provenance, B.provenance);
      requireSameDims(A.features, B.features);
      generator = A.provenance.generator;
      const m = await distributionMetrics(A.features, B.features, o, threads, reporter);
      rows.push({ psi: p, fid: m.fid.fid, kid: { mean: m.kid.mean, std: m.kid.std }, precision: m.prdc.precision, recall: m.prdc.recall, density: m.prdc.density, coverage: m.prdc.coverage });
    }
    if (!generator) throw new GenmetricsError('no psi to evaluate');
    const chart: TruncationRow[] = rows.map((r) => ({ ...r, kid: r.kid.mean }));
    const plots = await writeCharts(() => truncationChart(chart, `Truncation trade-off: ${generator!.path}`), o);
    const { truncation: _omit, ...g } = generator;
    void _omit;
    return { rows, method: o.truncationMethod, samples: o.samples, reference: B.provenance, generator: g, plots };
  },
});
