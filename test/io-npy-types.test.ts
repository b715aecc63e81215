// Integer label files of every NumPy integer dtype (scikit-learn's tests use int8), and inputs too
// large for memory refused before loading, with the size they would need.
import * as fs from 'fs';
import * as path from 'path';
import { npyHeader, readNpy, writeNpy } from '../lib/io/npy';
import { readLabels } from '../lib/labels';
import { FIXTURES, cli, tmpDir } from './helpers';

const dir = tmpDir();

/** A .npy of `descr` written by hand: the header numpy writes, then the little-endian bytes. */
function rawNpy(name: string, descr: string, values: number[], write: (b: Buffer, v: number, i: number) => void, size: number): string {
  const head = Buffer.from(npyHeader('uint8', [values.length]));
  const text = head.toString('latin1').replace("'|u1'", `'${descr}'`);
  const body = Buffer.alloc(values.length * size);
  values.forEach((v, i) => write(body, v, i));
  const p = path.join(dir, name);
  fs.writeFileSync(p, Buffer.concat([Buffer.from(text, 'latin1'), body]));
  return p;
}

test.each([
  ['int8', '|i1', [-128, 0, 5, 127], (b: Buffer, v: number, i: number) => b.writeInt8(v, i), 1],
  ['int16', '<i2', [-32768, 1, 32767], (b: Buffer, v: number, i: number) => b.writeInt16LE(v, 2 * i), 2],
  ['uint16', '<u2', [0, 65535, 7], (b: Buffer, v: number, i: number) => b.writeUInt16LE(v, 2 * i), 2],
  ['uint32', '<u4', [0, 4294967295, 9], (b: Buffer, v: number, i: number) => b.writeUInt32LE(v, 4 * i), 4],
  ['uint64', '<u8', [0, 2 ** 53 - 1, 3], (b: Buffer, v: number, i: number) => b.writeBigUInt64LE(BigInt(v), 8 * i), 8],
] as const)('%s labels are read exactly', (name, descr, values, write, size) => {
  const p = rawNpy(`${name}.npy`, descr, [...values], write, size);
  expect(readNpy(p).dtype).toBe(name);
  expect(Array.from(readLabels(p))).toEqual([...values]);
});

test('uint64 labels beyond 2^53 are refused, naming the element', () => {
  const p = rawNpy('huge.npy', '<u8', [1, 2], (b, _v, i) => b.writeBigUInt64LE(i ? 2n ** 60n : 1n, 8 * i), 8);
  expect(() => readLabels(p)).toThrow(/huge\.npy: label 1 \(1152921504606846976\) is out of range/);
});

test('cluster scores int8 labels as scikit-learn does (its overflow test)', () => {
  const labels = [0, 0, 1, 1, 2, 2];
  const t = rawNpy('t8.npy', '|i1', labels, (b, v, i) => b.writeInt8(v, i), 1);
  const p = rawNpy('p8.npy', '|i1', [0, 0, 1, 1, 1, 2], (b, v, i) => b.writeInt8(v, i), 1);
  const r = cli(['cluster', '--labels', t, '--pred', p, '--json']);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout).n).toBe(6);
});

describe('too large for memory: refused before loading, with the size needed', () => {
  const big = path.join(dir, 'big.npy');
  writeNpy(big, { dtype: 'float32', shape: [1000, 64], data: new Float32Array(64000) });
  const env = { GENMETRICS_MAX_MEMORY: '100000' };

  test('features read whole (prdc) and a whole .npy (labels)', () => {
    const r = cli(['prdc', big, big], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${big}: 250.0 KiB needed to load 1000 x 64 float32, more than the 97.7 KiB allowed (GENMETRICS_MAX_MEMORY)`);
    const l = cli(['cluster', '--labels', big, '--pred', big], env);
    expect(l.stderr).toMatch(/big\.npy: 250\.1 KiB needed to load the whole file, more than the 97\.7 KiB allowed/);
  });

  test('streamed inputs still work: FID moments in blocks, KID reads only the rows it draws', () => {
    const small = { GENMETRICS_MAX_MEMORY: '60000' };
    const f = cli(['fid', big, big, '--json', '-q'], small);
    expect(f.stderr).toMatch(/^(genmetrics: warning: .*\n)*$/);
    expect(f.code).toBe(0);
    const k = cli(['kid', big, big, '--subsets', '2', '--subset-size', '50', '--json', '-q'], small);
    expect(k.code).toBe(0);
  });

  test('a malformed limit is named', () => {
    expect(cli(['prdc', big, big], { GENMETRICS_MAX_MEMORY: 'lots' }).stderr).toContain("GENMETRICS_MAX_MEMORY: expected a number of bytes, got 'lots'");
  });
});

test('existing fixtures keep their dtypes', () => {
  expect(readNpy(path.join(FIXTURES, 'i4_7.npy')).dtype).toBe('int32');
});
