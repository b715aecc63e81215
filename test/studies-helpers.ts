/** Image datasets and a cookie-keeping rater for the HYPE study tests. */
import * as path from 'path';
import { writeNpy } from '../lib/io/npy';
import type { Client } from './service-helpers';

/**
 * A uint8 image stack whose images are told apart by brightness: reals have every sample in
 * [0, 100), fakes in [156, 256), so a test can check which kind of image a rater was shown.
 */
export function imageStack(dir: string, name: string, n: number, truth: 'real' | 'fake', seed: number, size = 24): string {
  let q = seed >>> 0;
  const file = path.join(dir, name);
  const lo = truth === 'real' ? 0 : 156;
  writeNpy(file, { dtype: 'uint8', shape: [n, size, size, 3], data: Uint8Array.from({ length: n * size * size * 3 }, () => lo + (((q = (Math.imul(q, 1664525) + 1013904223) >>> 0) >>> 24) % 100)) });
  return file;
}

/** An image dataset (its features are extracted with the Inception twin, as the service does for any image upload). */
export async function uploadImages(c: Client, file: string): Promise<string> {
  const r = await c.upload(file, '?model=inception-fid-twin');
  if (r.status !== 201 && r.status !== 200) throw new Error(`upload ${file}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id;
}

/** A rater over plain HTTP: keeps the cookie the study sets, posts the answer form. */
export class HttpRater {
  cookie = '';
  constructor(
    readonly base: string,
    readonly url: string,
  ) {}
  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.cookie ? { cookie: this.cookie } : {}), ...extra };
  }
  async page(): Promise<{ status: number; html: string; headers: Headers }> {
    const r = await fetch(this.url, { headers: this.headers(), redirect: 'manual' });
    const set = r.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0];
    return { status: r.status, html: await r.text(), headers: r.headers };
  }
  /** The trial the page shows (its hidden field), or -1 on a page without a form. */
  static trial(html: string): number {
    const m = /name="t" value="(\d+)"/.exec(html);
    return m ? Number(m[1]) : -1;
  }
  async image(t: number): Promise<Response> {
    const u = new URL(this.url);
    return fetch(`${u.origin}${u.pathname}/image?k=${u.searchParams.get('k')}&t=${t}`, { headers: this.headers() });
  }
  async answer(t: number, answer: string, ms = '100'): Promise<Response> {
    const u = new URL(this.url);
    return fetch(`${u.origin}${u.pathname}/answer?k=${u.searchParams.get('k')}`, {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/x-www-form-urlencoded' }),
      body: new URLSearchParams({ t: String(t), answer, ms }).toString(),
      redirect: 'manual',
    });
  }
}

/** answers.csv as records. */
export function parseCsv(text: string): Record<string, string>[] {
  const [head, ...rows] = text.trim().split('\n');
  const keys = head.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [keys[i], v])));
}
