/**
 * GET /v1/evaluations/:id/report: the report page of a finished evaluation, from what the service
 * stored: its metrics, a grid of the generated images (image datasets) and its provenance.
 */
import { GenmetricsError } from '../errors';
import { encodePng } from '../images/encode';
import { openImageSource } from '../images/sources';
import { composeGrid } from '../pictures/grid';
import { reportHtml, type Picture } from '../report/html';
import { metricRows } from '../report/metrics';
import { VERSION } from '../version';
import type { BlobStore } from './blobs';
import type { EvaluationRow, Store } from './store';

const GRID = 64;

async function sampleGrid(dir: string, maxPixels: number): Promise<Picture | undefined> {
  const source = openImageSource(dir, { maxPixels });
  try {
    const n = Math.min(GRID, source.count);
    const images = await Promise.all(Array.from({ length: n }, (_, i) => source.load(i)));
    const { image } = await composeGrid(images);
    return { title: 'Samples', caption: `the first ${n} images of the generated dataset`, png: await encodePng(image), alt: `a grid of ${n} generated images`, width: image.width, height: image.height };
  } catch (err) {
    if (err instanceof GenmetricsError) return undefined;
    throw err;
  } finally {
    source.close();
  }
}

export async function evaluationReport(e: EvaluationRow, store: Store, blobs: BlobStore, maxPixels: number): Promise<string> {
  const result = JSON.parse(e.result ?? '{}');
  const generated = store.datasetById(e.generated);
  const reference = e.reference ? store.datasetById(e.reference) : undefined;
  const pictures: Picture[] = [];
  if (generated?.kind === 'images') {
    const grid = await sampleGrid(blobs.absolute(generated.blob), maxPixels);
    if (grid) pictures.push(grid);
  }
  const describe = (d: typeof generated, id: string) => (d ? `${id} (${d.kind}, ${d.count ?? '?'} samples, sha256 ${d.sha256})` : `${id} (deleted)`);
  const provenance = e.provenance ? (JSON.parse(e.provenance) as Record<string, unknown>) : {};
  const rows: [string, string][] = [
    ['genmetrics', `${VERSION} (service)`],
    ['evaluation', `${e.id}: ${e.command}, options ${e.options}`],
    ['generated', describe(generated, e.generated)],
    ...(e.reference ? [['reference', describe(reference, e.reference)] as [string, string]] : []),
    ...Object.entries(provenance).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)] as [string, string]),
    ['time', `created ${e.created}, started ${e.started ?? '-'}, finished ${e.finished ?? '-'}`],
  ];
  return reportHtml({ title: `genmetrics evaluation ${e.id}`, generated: e.generated, reference: e.reference || '-', metrics: metricRows(result), pictures, provenance: rows });
}
