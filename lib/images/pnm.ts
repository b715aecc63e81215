/**
 * Netpbm gray and colour images (PGM P2/P5, PPM P3/P6), which sharp's libvips build does not read,
 * decoded to 8-bit samples as PIL's Image.open(...).convert('RGB') gives them: samples scaled by
 * 255 / maxval, rounded half to even as Pillow rounds (16-bit colour too); a 16-bit gray image opens in PIL's 32-bit mode
 * "I" scaled to 0..65535, which convert('RGB') clips to 255.
 */
import { GenmetricsError } from '../errors';
import type { DecodedImage } from './preprocess';

export function decodePnm(buf: Uint8Array, file: string, maxPixels: number): DecodedImage {
  const bad = (why: string) => new GenmetricsError(`${file}: cannot decode image: ${why}`);
  const magic = String.fromCharCode(buf[0], buf[1]);
  if (!['P2', 'P3', 'P5', 'P6'].includes(magic)) throw bad(`unsupported Netpbm type '${magic}' (expected P2, P3, P5 or P6)`);
  // Header: magic, width, height, maxval, separated by whitespace and # comments; one whitespace byte ends it.
  let pos = 2;
  const field = (): number => {
    for (;;) {
      while (pos < buf.length && /\s/.test(String.fromCharCode(buf[pos]))) pos++;
      if (buf[pos] !== 0x23) break; // '#'
      while (pos < buf.length && buf[pos] !== 0x0a && buf[pos] !== 0x0d) pos++;
    }
    const start = pos;
    while (pos < buf.length && buf[pos] >= 0x30 && buf[pos] <= 0x39) pos++;
    if (pos === start) throw bad('malformed header');
    return Number(String.fromCharCode(...buf.subarray(start, pos)));
  };
  const width = field();
  const height = field();
  const maxval = field();
  pos++;
  if (width < 1 || height < 1) throw bad(`empty image (${width}x${height})`);
  if (maxval < 1 || maxval > 65535) throw bad(`maxval ${maxval} out of range 1..65535`);
  if (width * height > maxPixels) throw new GenmetricsError(`${file}: ${width}x${height} = ${width * height} pixels, more than the limit of ${maxPixels} (option maxPixels)`);
  const channels = magic === 'P3' || magic === 'P6' ? 3 : 1;
  const n = width * height * channels;
  const samples = new Uint32Array(n);
  if (magic === 'P5' || magic === 'P6') {
    const wide = maxval > 255;
    if (buf.length - pos < n * (wide ? 2 : 1)) throw bad(`truncated: ${width}x${height} needs ${n * (wide ? 2 : 1)} bytes of samples, the file has ${buf.length - pos}`);
    for (let i = 0; i < n; i++) samples[i] = wide ? (buf[pos + 2 * i] << 8) | buf[pos + 2 * i + 1] : buf[pos + i];
  } else {
    for (let i = 0; i < n; i++) {
      while (pos < buf.length && !(buf[pos] >= 0x30 && buf[pos] <= 0x39)) pos++;
      if (pos >= buf.length) throw bad(`truncated: ${n} samples expected, found ${i}`);
      samples[i] = field();
    }
  }
  const data = new Uint8Array(n);
  const gray16 = channels === 1 && maxval > 255;
  const top = gray16 ? 65535 : 255;
  for (let i = 0; i < n; i++) {
    // round(v * top / maxval), half to even, in integers.
    const num = Math.min(samples[i], maxval) * top;
    const q = Math.floor(num / maxval);
    const twice = 2 * (num - q * maxval);
    const r = twice > maxval || (twice === maxval && q % 2 === 1) ? q + 1 : q;
    data[i] = Math.min(255, r);
  }
  return { data, width, height, channels };
}
