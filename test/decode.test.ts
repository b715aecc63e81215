// Image decoding: BMP and Netpbm as PIL reads them, a pixel limit checked before decoding, and
// PNGs whose data fail their CRC refused (or listed with --skip-bad).
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import sharp from 'sharp';
import { decodeImage } from '../lib/images/decode';
import { cli, networkEnv, sharedFile, tmpDir } from './helpers';

const FORMATS = path.join(__dirname, 'fixtures', 'images-formats');
const REF = JSON.parse(fs.readFileSync(path.join(FORMATS, 'reference.json'), 'utf8'));

/** PIL's convert("RGB") of decoded samples: gray replicated, alpha dropped. */
function rgb(img: { data: Uint8Array; width: number; height: number; channels: number }): Buffer {
  const out = Buffer.alloc(img.width * img.height * 3);
  for (let p = 0; p < img.width * img.height; p++) {
    for (let c = 0; c < 3; c++) out[p * 3 + c] = img.data[p * img.channels + (img.channels < 3 ? 0 : c)];
  }
  return out;
}

describe('BMP, PGM and PPM decode as PIL decodes them (test/fixtures/images-formats, scripts/make_format_fixtures.py)', () => {
  test.each(Object.keys(REF.images))('%s', async (name) => {
    const want = REF.images[name];
    const img = await decodeImage(path.join(FORMATS, name));
    expect([img.width, img.height]).toEqual([want.width, want.height]);
    expect(rgb(img).toString('base64')).toBe(want.rgb);
  });

  test('a folder of them goes through the network like PNGs', () => {
    const dir = tmpDir();
    for (const f of ['rgb24.bmp', 'rgb_p6.ppm', 'gray_p5.pgm']) fs.copyFileSync(path.join(FORMATS, f), path.join(dir, f));
    const r = cli(['features', dir, '-o', path.join(tmpDir(), 'f.npy'), '--model', sharedFile('models', 'inception-fid-twin.onnx'), '--json', '-q'], networkEnv());
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).count).toBe(3);
  });

  test('truncated and unsupported Netpbm files are named', async () => {
    const dir = tmpDir();
    const cut = path.join(dir, 'cut.ppm');
    fs.writeFileSync(cut, fs.readFileSync(path.join(FORMATS, 'rgb_p6.ppm')).subarray(0, 30));
    await expect(decodeImage(cut)).rejects.toThrow(/cut\.ppm: cannot decode image: truncated: 3x4 needs 36 bytes of samples/);
    const pbm = path.join(dir, 'bits.pnm');
    fs.writeFileSync(pbm, 'P4\n8 1\n\xff');
    await expect(decodeImage(pbm)).rejects.toThrow(/bits\.pnm: cannot decode image: unsupported Netpbm type 'P4'/);
  });
});

/** A PNG whose IHDR claims width x height (CRC recomputed): the pixel limit applies before decoding. */
async function claimedPng(file: string, width: number, height: number): Promise<void> {
  const png = await sharp(Buffer.alloc(4 * 4 * 3, 90), { raw: { width: 4, height: 4, channels: 3 } }).png().toBuffer();
  const i = png.indexOf('IHDR');
  png.writeUInt32BE(width, i + 4);
  png.writeUInt32BE(height, i + 8);
  png.writeUInt32BE(zlib.crc32(png.subarray(i, i + 17)) >>> 0, i + 17);
  fs.writeFileSync(file, png);
}

describe('a pixel limit, checked before decoding', () => {
  test('a 20000 x 20000 PNG is refused with its size and the limit, not decoded into gigabytes', async () => {
    const file = path.join(tmpDir(), 'huge.png');
    await claimedPng(file, 20000, 20000);
    await expect(decodeImage(file)).rejects.toThrow(/huge\.png: 20000x20000 = 400000000 pixels, more than the limit of 178956970 pixels \(option maxPixels\)/);
    const r = cli(['lpips', file, file, '--model', sharedFile('models', 'lpips-alex-twin.onnx')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/huge\.png: 20000x20000 = 400000000 pixels, more than the limit of 178956970 pixels \(--max-pixels\)/);
  });

  test('--max-pixels lowers or raises it; with --skip-bad the image is listed', () => {
    const dir = tmpDir();
    for (const n of ['img00_32x32_RGB.png', 'img06_64x64_RGB.png']) fs.copyFileSync(sharedFile('fixtures', 'images', n), path.join(dir, n));
    const env = networkEnv();
    const twin = sharedFile('models', 'inception-fid-twin.onnx');
    const out = path.join(tmpDir(), 'f.npy');
    const refused = cli(['features', dir, '-o', out, '--model', twin, '--max-pixels', '2000'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/img06_64x64_RGB\.png: 64x64 = 4096 pixels, more than the limit of 2000 pixels \(--max-pixels\)/);
    const skipped = cli(['features', dir, '-o', out, '--model', twin, '--max-pixels', '2000', '--skip-bad', '--json', '-q'], env);
    expect(JSON.parse(skipped.stdout)).toMatchObject({ count: 1, skipped: [{ name: expect.stringContaining('img06_64x64_RGB.png') }] });
    const bmp = path.join(dir, 'x.bmp');
    fs.copyFileSync(path.join(FORMATS, 'rgb24.bmp'), bmp);
    return expect(decodeImage(bmp, { maxPixels: 34 })).rejects.toThrow(/x\.bmp: 7x5 = 35 pixels, more than the limit of 34/);
  });
});

describe('corrupt PNG data', () => {
  test('a PNG whose image data fails its CRC is refused (PIL: broken data stream), or listed with --skip-bad', async () => {
    const dir = tmpDir();
    const px = Buffer.from(Array.from({ length: 16 * 16 * 3 }, (_, i) => (i * 7) & 255));
    const png = await sharp(px, { raw: { width: 16, height: 16, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
    const bad = Buffer.from(png);
    bad[png.indexOf('IDAT') + 20] ^= 0xff;
    fs.writeFileSync(path.join(dir, 'bad.png'), bad);
    fs.copyFileSync(sharedFile('fixtures', 'images', 'img00_32x32_RGB.png'), path.join(dir, 'good.png'));
    await expect(decodeImage(path.join(dir, 'bad.png'))).rejects.toThrow(/bad\.png: cannot decode image: /);
    const env = networkEnv();
    const r = cli(['features', dir, '-o', path.join(tmpDir(), 'f.npy'), '--model', sharedFile('models', 'inception-fid-twin.onnx'), '--skip-bad', '--json', '-q'], env);
    expect(JSON.parse(r.stdout)).toMatchObject({ count: 1, skipped: [{ name: expect.stringContaining('bad.png') }] });
  });
});
