/**
 * The evaluation report as one self-contained HTML page: styles inline, pictures as data: URIs,
 * charts as inline SVG, no script and no request to anywhere when it is opened.
 */

export interface MetricRow {
  name: string;
  value: number;
  /** A spread reported beside the value (e.g. KID's std over subsets). */
  spread?: { label: string; value: number };
  note?: string;
}

export interface Picture {
  title: string;
  caption: string;
  /** PNG bytes. */
  png: Buffer;
  alt: string;
  /** Pixel size: small pictures are shown enlarged (whole pixels) up to about 640 px wide. */
  width?: number;
  height?: number;
}

export interface ReportData {
  title: string;
  generated: string;
  reference: string;
  metrics: MetricRow[];
  /** Inline SVG chart of the truncation sweep, with its table rows. */
  truncation?: { svg: string; rows: Record<string, number>[] };
  pictures: Picture[];
  memorization?: { threshold: number; how: string; copies: number; total: number; copyRate: number; gallery?: Picture };
  provenance: [string, string][];
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function fmt(v: number): string {
  return Number.isFinite(v) ? (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(4) : v.toPrecision(6)) : String(v);
}

function picture(p: Picture): string {
  const zoom = p.width && p.height ? Math.max(1, Math.min(8, Math.floor(640 / p.width))) : 1;
  const size = p.width && p.height ? ` width="${p.width * zoom}" height="${p.height * zoom}"` : '';
  return `<figure><img src="data:image/png;base64,${p.png.toString('base64')}"${size} alt="${escapeHtml(p.alt)}"><figcaption><strong>${escapeHtml(p.title)}.</strong> ${escapeHtml(p.caption)}</figcaption></figure>`;
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{padding:.3rem .8rem;border-bottom:1px solid #e5e5e5;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}figure{margin:1rem 0}figure img{max-width:100%;height:auto;image-rendering:pixelated;border:1px solid #ccc}
figcaption{font-size:.9rem;color:#444}.sub{color:#555}code{font-size:.9em}.chart svg{max-width:100%;height:auto}`;

export function reportHtml(r: ReportData): string {
  const rows = r.metrics
    .map((m) => `<tr><th scope="row">${escapeHtml(m.name)}</th><td class="num">${fmt(m.value)}</td><td class="num">${m.spread ? `± ${fmt(m.spread.value)} <span class="sub">(${escapeHtml(m.spread.label)})</span>` : '—'}</td><td>${escapeHtml(m.note ?? '')}</td></tr>`)
    .join('\n');
  const truncation = r.truncation
    ? `<h2>Truncation trade-off</h2><div class="chart" role="img" aria-label="FID, KID, precision, recall, density and coverage against psi">${r.truncation.svg}</div>
<table><thead><tr>${Object.keys(r.truncation.rows[0] ?? {})
        .map((k) => `<th scope="col">${escapeHtml(k)}</th>`)
        .join('')}</tr></thead><tbody>${r.truncation.rows.map((row) => `<tr>${Object.values(row).map((v) => `<td class="num">${fmt(v)}</td>`).join('')}</tr>`).join('')}</tbody></table>`
    : '';
  const mem = r.memorization
    ? `<h2>Memorisation</h2><p>${r.memorization.copies} of ${r.memorization.total} generated samples (${(100 * r.memorization.copyRate).toFixed(2)}%) lie closer to a training sample than the copy threshold ${fmt(r.memorization.threshold)} (${escapeHtml(r.memorization.how)}).</p>${r.memorization.gallery ? picture(r.memorization.gallery) : ''}`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(r.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(r.title)}</h1>
<p class="sub">Generated: <code>${escapeHtml(r.generated)}</code> · reference: <code>${escapeHtml(r.reference)}</code></p>
<h2>Metrics</h2>
<table><thead><tr><th scope="col">metric</th><th scope="col">value</th><th scope="col">spread</th><th scope="col">convention</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${truncation}
${r.pictures.length ? `<h2>Samples</h2>${r.pictures.map(picture).join('\n')}` : ''}
${mem}
<h2>Provenance</h2>
<table><tbody>${r.provenance.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td><code>${escapeHtml(v)}</code></td></tr>`).join('\n')}</tbody></table>
</main>
</body>
</html>
`;
}
