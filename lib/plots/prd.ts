/** The PRD curve: precision against recall (Sajjadi et al. 2018, fig. 1). */
import type { ChartSpec } from './render';

export function prdChart(precision: ArrayLike<number>, recall: ArrayLike<number>, title: string): ChartSpec {
  const values = Array.from(precision, (p, i) => ({ recall: recall[i], precision: p, order: i }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 320,
    height: 320,
    data: { values },
    mark: { type: 'line' },
    encoding: {
      x: { field: 'recall', type: 'quantitative', scale: { domain: [0, 1] }, title: 'recall' },
      y: { field: 'precision', type: 'quantitative', scale: { domain: [0, 1] }, title: 'precision' },
      order: { field: 'order', type: 'quantitative' },
    },
    config: { font: 'sans-serif' },
  } as ChartSpec;
}
