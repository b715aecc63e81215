/** The truncation trade-off chart: each metric against psi, one point per psi. */
import type { ChartSpec } from './render';

export interface TruncationRow {
  psi: number;
  fid: number;
  kid: number;
  precision: number;
  recall: number;
  density: number;
  coverage: number;
}

export function truncationChart(rows: TruncationRow[], title = 'Truncation trade-off'): ChartSpec {
  const long = rows.flatMap((r) =>
    (['fid', 'kid', 'precision', 'recall', 'density', 'coverage'] as const).map((m) => ({ psi: r.psi, metric: m, value: r[m], panel: m === 'fid' ? 'FID' : m === 'kid' ? 'KID' : 'precision, recall, density, coverage' })),
  );
  const panel = (name: string, width: number) => ({
    width,
    height: 220,
    transform: [{ filter: { field: 'panel', equal: name } }],
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: { field: 'psi', type: 'quantitative' as const, title: 'ψ (truncation)', scale: { zero: false } },
      y: { field: 'value', type: 'quantitative' as const, title: name, scale: { zero: false } },
      color: { field: 'metric', type: 'nominal' as const, legend: { title: null, orient: 'bottom' as const } },
      tooltip: [{ field: 'metric' }, { field: 'psi' }, { field: 'value', format: '.4g' }],
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: long },
    hconcat: [panel('FID', 220), panel('KID', 220), panel('precision, recall, density, coverage', 280)],
    resolve: { scale: { color: 'independent' } },
    config: { font: 'sans-serif' },
  } as ChartSpec;
}
