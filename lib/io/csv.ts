import { writeFileAtomic } from './atomic';

/** One CSV field (RFC 4180 quoting when needed). */
function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows (header first) as CSV text, one line each. */
export function csvText(rows: (string | number)[][]): string {
  return rows.map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}

/** Writes rows (header first) as CSV, atomically (a temporary file renamed over the target). */
export function writeCsv(file: string, rows: (string | number)[][]): void {
  writeFileAtomic(file, Buffer.from(csvText(rows)));
}

