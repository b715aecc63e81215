/** The chart outputs of a command (truncation, prd): SVG and PNG files of one Vega-Lite chart. */
import { OptionError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import { renderSvg, svgToPng, type ChartSpec } from '../plots/render';
import type { OptionSpec } from './descriptor';

export const chartOptionSpecs: OptionSpec[] = [
  { key: 'svg', type: 'string', output: true, help: 'write the chart as SVG', valueName: '<file.svg>' },
  { key: 'png', type: 'string', output: true, help: 'write the chart as PNG', valueName: '<file.png>' },
];

export interface ChartOutputOptions {
  svg?: string;
  png?: string;
}

export function checkChartOptions(o: ChartOutputOptions): void {
  if (o.svg !== undefined && !o.svg.toLowerCase().endsWith('.svg')) throw new OptionError('svg', `expected a file name ending in .svg, got '${o.svg}'`);
  if (o.png !== undefined && !o.png.toLowerCase().endsWith('.png')) throw new OptionError('png', `expected a file name ending in .png, got '${o.png}'`);
}

/** Renders the chart (only when asked for) and writes each requested file; returns their paths. */
export async function writeCharts(chart: () => ChartSpec, o: ChartOutputOptions): Promise<string[]> {
  if (o.svg === undefined && o.png === undefined) return [];
  const svg = await renderSvg(chart());
  const written: string[] = [];
  if (o.svg !== undefined) {
    writeFileAtomic(o.svg, Buffer.from(svg));
    written.push(o.svg);
  }
  if (o.png !== undefined) {
    writeFileAtomic(o.png, await svgToPng(svg));
    written.push(o.png);
  }
  return written;
}
