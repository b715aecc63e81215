/**
 * A grid of images (torchvision's make_grid layout: row-major, `pad` pixels around and between the
 * cells), composed by sharp. Cells are as large as the largest image; smaller images sit centred
 * in theirs, never resampled.
 */
import type Sharp from 'sharp';
import { GenmetricsError } from '../errors';
import { lazyModule } from '../lazy';
import type { DecodedImage } from '../images/preprocess';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const sharp = lazyModule(() => require('sharp') as typeof Sharp);

export interface GridOptions {
  /** Columns (default: ceil(sqrt(n)), torchvision's nrow is the number of columns). */
  cols?: number;
  /** Rows (default: as many as the images need). */
  rows?: number;
  /** Pixels between and around the cells (torchvision's padding 2). */
  pad?: number;
  /** Padding colour, 0..255 grey (torchvision's pad_value 0). */
  background?: number;
}

export interface GridLayout {
  rows: number;
  cols: number;
  cellWidth: number;
  cellHeight: number;
  width: number;
  height: number;
}

export function gridLayout(images: readonly { width: number; height: number }[], o: GridOptions = {}): GridLayout {
  const n = images.length;
  if (n === 0) throw new GenmetricsError('a grid needs at least one image');
  const pad = o.pad ?? 2;
  const cols = o.cols ?? (o.rows ? Math.ceil(n / o.rows) : Math.ceil(Math.sqrt(n)));
  const rows = o.rows ?? Math.ceil(n / cols);
  const cellWidth = Math.max(...images.map((i) => i.width));
  const cellHeight = Math.max(...images.map((i) => i.height));
  return { rows, cols, cellWidth, cellHeight, width: cols * (cellWidth + pad) + pad, height: rows * (cellHeight + pad) + pad };
}

/** RGB copy of an image (grey replicated, alpha dropped as PIL's convert('RGB')). */
export function toRgb(img: DecodedImage): DecodedImage {
  if (img.channels === 3) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const grey = img.channels <= 2;
    for (let c = 0; c < 3; c++) out[p * 3 + c] = img.data[p * img.channels + (grey ? 0 : c)];
  }
  return { data: out, width: img.width, height: img.height, channels: 3 };
}

/** The images (up to rows x cols of them, in order) composed into one RGB image. */
export async function composeGrid(images: readonly DecodedImage[], o: GridOptions = {}): Promise<{ image: DecodedImage; layout: GridLayout }> {
  const layout = gridLayout(images, o);
  const pad = o.pad ?? 2;
  const bg = o.background ?? 0;
  const shown = images.slice(0, layout.rows * layout.cols);
  const { data, info } = await sharp()({ create: { width: layout.width, height: layout.height, channels: 3, background: { r: bg, g: bg, b: bg } } })
    .composite(
      shown.map((img, k) => {
        const rgb = toRgb(img);
        const r = Math.floor(k / layout.cols);
        const c = k % layout.cols;
        return {
          input: Buffer.from(rgb.data.buffer, rgb.data.byteOffset, rgb.data.byteLength),
          raw: { width: rgb.width, height: rgb.height, channels: 3 as const },
          left: pad + c * (layout.cellWidth + pad) + Math.floor((layout.cellWidth - rgb.width) / 2),
          top: pad + r * (layout.cellHeight + pad) + Math.floor((layout.cellHeight - rgb.height) / 2),
        };
      }),
    )
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { image: { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels }, layout };
}
