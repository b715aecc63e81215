import * as fs from 'fs';
import * as path from 'path';
import { decodeNpy, encodeNpy, NpyRowReader, readNpy, writeNpy, type NdArray } from '../lib/io/npy';
import { readNpz, writeNpz } from '../lib/io/npz';
import { FIXTURES, sharedFile, tmpDir } from './helpers';

const fx = (name: string) => path.join(FIXTURES, name);

describe('.npy', () => {
  test('reads NumPy files of each dtype (made by scripts/make_test_fixtures.py)', () => {
    expect(readNpy(fx('f4_4x2x3.npy'))).toMatchObject({ dtype: 'float32', shape: [4, 2, 3] });
    const u8 = readNpy(fx('u1_2x4x4x3.npy'));
    expect(u8.dtype).toBe('uint8');
    expect(u8.data.length).toBe(96);
    expect(Array.from(readNpy(fx('i4_7.npy')).data as Int32Array)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    const i8 = readNpy(fx('i8_7.npy'));
    expect(i8.dtype).toBe('int64');
    expect((i8.data as BigInt64Array)[0]).toBe(-3n * (1n << 40n));
  });

  test('Fortran order is returned in C order', () => {
    const c = readNpy(fx('f8_c_5x3.npy'));
    const f = readNpy(fx('f8_fortran_5x3.npy'));
    expect(f.shape).toEqual([5, 3]);
    expect(Array.from(f.data as Float64Array)).toEqual(Array.from(c.data as Float64Array));
  });

  test('round trip of every dtype through our writer', () => {
    const dir = tmpDir();
    const arrays: NdArray[] = [
      { dtype: 'float32', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6.5) },
      { dtype: 'float64', shape: [3], data: Float64Array.of(Math.PI, -0, 1e-300) },
      { dtype: 'uint8', shape: [1, 2, 2], data: Uint8Array.of(0, 1, 254, 255) },
      { dtype: 'int32', shape: [2], data: Int32Array.of(-5, 7) },
      { dtype: 'int64', shape: [], data: BigInt64Array.of(123456789012n) },
    ];
    for (const [i, a] of arrays.entries()) {
      const file = path.join(dir, `a${i}.npy`);
      writeNpy(file, a);
      const b = readNpy(file);
      expect(b.dtype).toBe(a.dtype);
      expect(b.shape).toEqual(a.shape);
      expect(Array.from(b.data as ArrayLike<unknown>)).toEqual(Array.from(a.data as ArrayLike<unknown>));
      // header + data of a v1 file starts on a 64-byte boundary, as NumPy writes it
      expect(encodeNpy(a)[0].length % 64).toBe(0);
    }
  });

  test('big-endian data is refused with a hint', () => {
    expect(() => readNpy(fx('f4_bigendian.npy'))).toThrow(/f4_bigendian\.npy: unsupported dtype '>f4' \(big-endian/);
  });

  test('truncated data and bad magic are reported with the file name', () => {
    const dir = tmpDir();
    const bytes = fs.readFileSync(fx('features_40x6.npy'));
    const cut = path.join(dir, 'cut.npy');
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    expect(() => readNpy(cut)).toThrow(/cut\.npy: truncated: shape \(40, 6\) needs 960 bytes of data, file has 950/);
    expect(() => new NpyRowReader(cut)).toThrow(/cut\.npy: truncated/);
    const junk = path.join(dir, 'junk.npy');
    fs.writeFileSync(junk, 'hello world, not numpy');
    expect(() => readNpy(junk)).toThrow(/junk\.npy: not a \.npy file/);
    expect(() => decodeNpy(new Uint8Array(4), 'x')).toThrow(/not a \.npy file/);
  });

  test('row reader streams blocks identical to the whole array', () => {
    const whole = readNpy(fx('features_40x6.npy'));
    const r = new NpyRowReader(fx('features_40x6.npy'));
    try {
      expect([r.rows, r.cols, r.dtype]).toEqual([40, 6, 'float32']);
      const parts: number[] = [];
      for (let s = 0; s < 40; s += 7) parts.push(...Array.from(r.read(s, 7) as Float32Array));
      expect(parts).toEqual(Array.from(whole.data as Float32Array));
    } finally {
      r.close();
    }
  });
});

describe('.npz', () => {
  test('reads np.savez (stored, zip64 headers) and np.savez_compressed (deflate) files', () => {
    const a = readNpz(fx('stats_6d_savez.npz'));
    const b = readNpz(fx('stats_6d_compressed.npz'));
    expect([...a.keys()].sort()).toEqual(['mu', 'sigma']);
    expect(Array.from(b.get('sigma')!.data as Float64Array)).toEqual(Array.from(a.get('sigma')!.data as Float64Array));
    const shared = readNpz(sharedFile('fixtures', 'metrics', 'real_stats_512d.npz'));
    expect(shared.get('sigma')!.shape).toEqual([512, 512]);
  });

  test('round trip, stored and compressed', () => {
    const dir = tmpDir();
    const entries = { x: { dtype: 'float64' as const, shape: [2, 2], data: Float64Array.of(1, 2, 3, 4) } };
    for (const compress of [false, true]) {
      const file = path.join(dir, `t${compress}.npz`);
      writeNpz(file, entries, compress);
      expect(Array.from(readNpz(file).get('x')!.data as Float64Array)).toEqual([1, 2, 3, 4]);
    }
  });

  test('a file that is not a zip archive is reported', () => {
    expect(() => readNpz(fx('features_40x6.npy'))).toThrow(/features_40x6\.npy: not a readable \.npz/);
  });
});
