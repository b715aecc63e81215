/**
 * The images a study shows, read from their datasets' blobs and re-encoded as PNG from the decoded
 * pixels (so a file's format, name or metadata cannot tell a rater where it came from). Open image
 * sources are kept in a small LRU (opening a folder lists it), and encoded images in an LRU of at
 * most 64 MiB (every rater of a study sees the same images).
 */
import { encodePng } from '../../images/encode';
import { openImageSource, type ImageSource } from '../../images/sources';
import type { BlobStore } from '../blobs';
import type { DatasetRow } from '../store';

const OPEN_SOURCES = 8;
const PNG_CACHE_BYTES = 64 * 2 ** 20;

export class Stimuli {
  private readonly sources = new Map<string, ImageSource>();
  private readonly pngs = new Map<string, Buffer>();
  private pngBytes = 0;

  constructor(
    private readonly blobs: BlobStore,
    private readonly maxPixels: number,
  ) {}

  private source(d: DatasetRow): ImageSource {
    let s = this.sources.get(d.blob);
    if (s) {
      this.sources.delete(d.blob);
    } else {
      s = openImageSource(this.blobs.absolute(d.blob), { maxPixels: this.maxPixels });
      if (this.sources.size >= OPEN_SOURCES) {
        const [oldest, source] = this.sources.entries().next().value!;
        source.close();
        this.sources.delete(oldest);
      }
    }
    this.sources.set(d.blob, s);
    return s;
  }

  count(d: DatasetRow): number {
    return this.source(d).count;
  }

  async png(d: DatasetRow, item: number): Promise<Buffer> {
    const key = `${d.blob}\0${item}`;
    const hit = this.pngs.get(key);
    if (hit) {
      this.pngs.delete(key);
      this.pngs.set(key, hit);
      return hit;
    }
    const png = await encodePng(await this.source(d).load(item));
    this.pngs.set(key, png);
    this.pngBytes += png.length;
    for (const [k, b] of this.pngs) {
      if (this.pngBytes <= PNG_CACHE_BYTES) break;
      this.pngs.delete(k);
      this.pngBytes -= b.length;
    }
    return png;
  }

  close(): void {
    for (const s of this.sources.values()) s.close();
    this.sources.clear();
    this.pngs.clear();
    this.pngBytes = 0;
  }
}
