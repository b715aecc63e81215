// .npz archives: member headers checked against the declared sizes before anything is inflated;
// uint8 image stacks in an .npz read image by image (same features as the same stack in .npy).
import * as fs from 'fs';
import * as path from 'path';
import { NpzArchive, encodeNpz, readNpz, writeNpz } from '../lib/io/npz';
import { readNpy, writeNpy } from '../lib/io/npy';
import { cli, networkEnv, sharedFile, tmpDir } from './helpers';

const dir = tmpDir();
const stack = (n: number, h: number, w: number) => Uint8Array.from({ length: n * h * w * 3 }, (_, i) => (i * 37 + (i >> 7)) & 255);

describe('uint8 image stacks in .npz', () => {
  const env = networkEnv();
  const twin = sharedFile('models', 'inception-fid-twin.onnx');
  const data = stack(3, 12, 10);
  const npy = path.join(dir, 'stack.npy');
  writeNpy(npy, { dtype: 'uint8', shape: [3, 12, 10, 3], data });

  test.each([
    ['stored', false],
    ['deflated', true],
  ])('%s: features equal those of the same stack in .npy', (_kind, compress) => {
    const npz = path.join(dir, `stack_${compress}.npz`);
    writeNpz(npz, { images: { dtype: 'uint8', shape: [3, 12, 10, 3], data } }, compress as boolean);
    const a = cli(['features', npy, '-o', path.join(dir, `a_${compress}.npy`), '--model', twin, '--no-cache', '--json', '-q'], env);
    const b = cli(['features', npz, '-o', path.join(dir, `b_${compress}.npy`), '--model', twin, '--no-cache', '--json', '-q'], env);
    expect(a.stderr).toBe('');
    expect(b.stderr).toBe('');
    expect(JSON.parse(b.stdout).count).toBe(3);
    expect(Array.from(readNpy(path.join(dir, `b_${compress}.npy`)).data as Float32Array)).toEqual(Array.from(readNpy(path.join(dir, `a_${compress}.npy`)).data as Float32Array));
  });

  test('a deflated stack larger than the memory limit is still read, image by image; reading it whole is refused', () => {
    const big = stack(40, 64, 64); // 491 520 bytes
    const npz = path.join(dir, 'big.npz');
    writeNpz(npz, { images: { dtype: 'uint8', shape: [40, 64, 64, 3], data: big } }, true);
    const limit = { GENMETRICS_MAX_MEMORY: '100000' };
    Object.assign(process.env, limit);
    try {
      expect(() => readNpz(npz)).toThrow(/big\.npz\[images\]: 480\.0 KiB needed to load shape \(40, 64, 64, 3\) uint8, more than the 97\.7 KiB allowed/);
      const z = NpzArchive.open(npz);
      const rows = [39, 0, 17].map((i) => Array.from(z.readRows('images', i, 1) as Uint8Array));
      z.close();
      [39, 0, 17].forEach((i, k) => expect(rows[k]).toEqual(Array.from(big.subarray(i * 64 * 64 * 3, (i + 1) * 64 * 64 * 3))));
    } finally {
      delete process.env.GENMETRICS_MAX_MEMORY;
    }
    // 400 000 bytes: less than the stack (491 520), enough for its 40 x 2048 pool3 features (327 680).
    const r = cli(['diversity', npz, '--space', 'inception', '--model', twin, '--no-cache', '--pairs', '5', '--json', '-q'], { ...env, GENMETRICS_MAX_MEMORY: '400000' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).pairs).toBe(5);
  });
});

describe('corrupt or lying archives are refused before inflating', () => {
  test('a member whose declared size disagrees with its .npy header', () => {
    const bytes = Buffer.from(encodeNpz({ images: { dtype: 'uint8', shape: [2, 4, 4, 3], data: stack(2, 4, 4) } }, false));
    // Central directory entry: uncompressed size at +24; make it claim 3 GB.
    const cd = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bytes.writeUInt32LE(3_000_000_000, cd + 24);
    const file = path.join(dir, 'lying.npz');
    fs.writeFileSync(file, bytes);
    expect(() => NpzArchive.open(file)).toThrow(/lying\.npz\[images\]: the member declares 3000000000 bytes but its header describes 224 .*corrupt archive/);
    const r = cli(['fid', file, file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/lying\.npz\[images\]: the member declares 3000000000 bytes/);
  });

  test('not a zip, truncated, and a header that lies about the shape', () => {
    const text = path.join(dir, 'text.npz');
    fs.writeFileSync(text, 'hello');
    expect(() => NpzArchive.open(text)).toThrow(/text\.npz: not a readable \.npz \(zip\) archive: no end of central directory record/);
    const good = Buffer.from(encodeNpz({ mu: { dtype: 'float64', shape: [3], data: Float64Array.of(1, 2, 3) } }, true));
    const cut = path.join(dir, 'cut.npz');
    fs.writeFileSync(cut, good.subarray(0, good.length - 30));
    expect(() => NpzArchive.open(cut)).toThrow(/cut\.npz: not a readable \.npz/);
  });

  test('statistics .npz files still read as before (stored and deflated)', () => {
    for (const compress of [false, true]) {
      const f = path.join(dir, `s_${compress}.npz`);
      writeNpz(f, { mu: { dtype: 'float64', shape: [2], data: Float64Array.of(1, 2) }, sigma: { dtype: 'float64', shape: [2, 2], data: Float64Array.of(1, 0, 0, 1) } }, compress);
      const z = readNpz(f);
      expect(Array.from(z.get('sigma')!.data as Float64Array)).toEqual([1, 0, 0, 1]);
    }
  });
});
