/** The metrics table of a report from a command's result (all, fid, kid, prdc or is: what is there). */
import type { MetricRow } from './html';

interface Conventions {
  precision_recall?: { k: number; test: string };
  density_coverage?: { k: number; test: string };
}

export interface MetricsResult {
  fid?: number;
  kid?: { mean: number; std: number };
  subsets?: number;
  subset_size?: number;
  seed?: number | null;
  inception_score?: { mean: number; std: number; splits?: number };
  splits?: number;
  precision?: number;
  recall?: number;
  density?: number;
  coverage?: number;
  conventions?: Conventions;
}

export function metricRows(r: MetricsResult): MetricRow[] {
  const rows: MetricRow[] = [];
  const pr = r.conventions?.precision_recall;
  const dc = r.conventions?.density_coverage;
  if (r.fid !== undefined) rows.push({ name: 'FID', value: r.fid, note: 'Fréchet distance of Inception pool3 Gaussians (pytorch-fid)' });
  if (r.kid) rows.push({ name: 'KID', value: r.kid.mean, spread: { label: `std over ${r.subsets} subsets of ${r.subset_size}`, value: r.kid.std }, note: `polynomial kernel, seed ${r.seed} (torch-fidelity)` });
  if (r.inception_score) {
    const splits = r.inception_score.splits ?? r.splits;
    rows.push({ name: 'Inception Score', value: r.inception_score.mean, spread: { label: `std over ${splits} splits`, value: r.inception_score.std }, note: 'logits_unbiased (torch-fidelity)' });
  }
  if (r.precision !== undefined) rows.push({ name: 'precision', value: r.precision, note: pr ? `k = ${pr.k}, d ${pr.test} r (Kynkäänniemi et al.)` : '' });
  if (r.recall !== undefined) rows.push({ name: 'recall', value: r.recall, note: pr ? `k = ${pr.k}` : '' });
  if (r.density !== undefined) rows.push({ name: 'density', value: r.density, note: dc ? `k = ${dc.k}, d ${dc.test} r (Naeem et al.)` : '' });
  if (r.coverage !== undefined) rows.push({ name: 'coverage', value: r.coverage, note: dc ? `k = ${dc.k}` : '' });
  return rows;
}
