/**
 * Charts drawn with Vega-Lite and rendered headless by Vega to SVG (no browser), PNG through sharp.
 * Both packages are ES modules: they load with a real dynamic import() (the project compiles with
 * module node16, which keeps it), on first use.
 */
import type Sharp from 'sharp';
import type { TopLevelSpec } from 'vega-lite' with { 'resolution-mode': 'import' };
import { lazyModule } from '../lazy';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const sharp = lazyModule(() => require('sharp') as typeof Sharp);

export type ChartSpec = TopLevelSpec;

/** The chart as a standalone SVG document. */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const [vl, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** An SVG rasterised to PNG (librsvg through sharp) at `scale` times its size. */
export function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  return sharp()(Buffer.from(svg), { density: 72 * scale }).png().toBuffer();
}
