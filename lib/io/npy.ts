import * as fs from 'fs';
import { GenmetricsError } from '../errors';
import { registerTempPath } from '../process-cleanup';
import { requireMemory } from './memory';
import { tempPathFor, writeFileAtomic } from './atomic';

/** NumPy .npy arrays (format versions 1.0-3.0): little-endian float32/64 and 8- to 64-bit integers; C or Fortran order. */

export type DType = 'float32' | 'float64' | 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64';
export type TypedData = Float32Array | Float64Array | Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

export interface NdArray {
  dtype: DType;
  shape: number[];
  /** Elements in C (row-major) order. */
  data: TypedData;
}

export interface NpyHeader {
  dtype: DType;
  shape: number[];
  fortranOrder: boolean;
  /** Byte offset of the data within the file or buffer. */
  dataOffset: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR: Record<string, DType> = {
  '<f4': 'float32',
  '<f8': 'float64',
  '|u1': 'uint8',
  '<u1': 'uint8',
  '|i1': 'int8',
  '<i1': 'int8',
  '<i2': 'int16',
  '<u2': 'uint16',
  '<i4': 'int32',
  '<u4': 'uint32',
  '<i8': 'int64',
  '<u8': 'uint64',
};
const DESCR_OUT: Record<DType, string> = {
  float32: '<f4',
  float64: '<f8',
  uint8: '|u1',
  int8: '|i1',
  int16: '<i2',
  uint16: '<u2',
  int32: '<i4',
  uint32: '<u4',
  int64: '<i8',
  uint64: '<u8',
};
export const ITEM_SIZE: Record<DType, number> = { float32: 4, float64: 8, uint8: 1, int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, uint64: 8 };

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Parses the header at the start of `buf` (which must hold at least the whole header). */
export function parseNpyHeader(buf: Uint8Array, where: string): NpyHeader {
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) {
    throw new GenmetricsError(`${where}: not a .npy file (missing \\x93NUMPY magic)`);
  }
  const major = buf[6];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new GenmetricsError(`${where}: truncated .npy header`);
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new GenmetricsError(`${where}: unsupported .npy format version ${major}.${buf[7]}`);
  }
  if (buf.length < start + headerLen) throw new GenmetricsError(`${where}: truncated .npy header`);
  const text = Buffer.from(buf.buffer, buf.byteOffset + start, headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new GenmetricsError(`${where}: malformed .npy header: ${text.trim()}`);
  }
  const dtype = DESCR[descr];
  if (!dtype) {
    const hint = descr.startsWith('>') ? ' (big-endian data: convert with arr.astype(arr.dtype.newbyteorder("<")))' : '';
    throw new GenmetricsError(
      `${where}: unsupported dtype '${descr}'${hint}; expected one of float32, float64, uint8, int8, int16, uint16, int32, uint32, int64, uint64`,
    );
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isSafeInteger(n) || n < 0) throw new GenmetricsError(`${where}: bad shape (${shapeText})`);
      return n;
    });
  return { dtype, shape, fortranOrder: fortran === 'True', dataOffset: start + headerLen };
}

export function typedView(dtype: DType, bytes: Uint8Array, count: number): TypedData {
  // The source may sit at any offset (e.g. inside a zip): copy into a fresh, aligned buffer
  // unless it already is one of its own (a whole feature file read by NpyRowReader: no second copy).
  const size = count * ITEM_SIZE[dtype];
  const own = bytes.byteOffset === 0 && bytes.byteLength === size && bytes.buffer.byteLength === size ? bytes : new Uint8Array(size);
  if (own !== bytes) own.set(bytes.subarray(0, size));
  switch (dtype) {
    case 'float32':
      return new Float32Array(own.buffer, 0, count);
    case 'float64':
      return new Float64Array(own.buffer, 0, count);
    case 'uint8':
      return own;
    case 'int8':
      return new Int8Array(own.buffer, 0, count);
    case 'int16':
      return new Int16Array(own.buffer, 0, count);
    case 'uint16':
      return new Uint16Array(own.buffer, 0, count);
    case 'int32':
      return new Int32Array(own.buffer, 0, count);
    case 'uint32':
      return new Uint32Array(own.buffer, 0, count);
    case 'int64':
      return new BigInt64Array(own.buffer, 0, count);
    case 'uint64':
      return new BigUint64Array(own.buffer, 0, count);
  }
}

/** Reorders Fortran-order data into C order (a transpose of the axes). */
export function fortranToC(data: TypedData, shape: number[]): TypedData {
  const n = elementCount(shape);
  if (shape.length < 2) return data;
  const out = new (data.constructor as { new (n: number): TypedData })(n);
  const dims = shape.length;
  const fStride = new Array<number>(dims);
  fStride[0] = 1;
  for (let k = 1; k < dims; k++) fStride[k] = fStride[k - 1] * shape[k - 1];
  const idx = new Array<number>(dims).fill(0);
  let src = 0;
  for (let c = 0; c < n; c++) {
    (out as unknown as number[])[c] = (data as unknown as number[])[src];
    for (let k = dims - 1; k >= 0; k--) {
      idx[k]++;
      src += fStride[k];
      if (idx[k] < shape[k]) break;
      src -= fStride[k] * shape[k];
      idx[k] = 0;
    }
  }
  return out;
}

/** Decodes a whole .npy held in memory. */
export function decodeNpy(buf: Uint8Array, where: string): NdArray {
  const header = parseNpyHeader(buf, where);
  const count = elementCount(header.shape);
  const need = count * ITEM_SIZE[header.dtype];
  const have = buf.length - header.dataOffset;
  if (have < need) {
    throw new GenmetricsError(`${where}: truncated: shape (${header.shape.join(', ')}) needs ${need} bytes of data, file has ${have}`);
  }
  let data = typedView(header.dtype, buf.subarray(header.dataOffset), count);
  if (header.fortranOrder) data = fortranToC(data, header.shape);
  return { dtype: header.dtype, shape: header.shape, data };
}

export function readNpy(file: string): NdArray {
  const cannot = (err: unknown) => new GenmetricsError(`${file}: cannot read: ${(err as Error).message}`);
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (err) {
    throw cannot(err);
  }
  requireMemory(size, file, 'the whole file');
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw cannot(err);
  }
  return decodeNpy(buf, file);
}

function formatShape(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/**
 * A .npy header (version 1.0, 2.0 if too long) padded to a multiple of 64 bytes and to at least
 * `minLength` (a streaming writer reserves room to rewrite the shape at the end).
 */
export function npyHeader(dtype: DType, shape: readonly number[], minLength = 0): Uint8Array {
  let dict = `{'descr': '${DESCR_OUT[dtype]}', 'fortran_order': False, 'shape': ${formatShape(shape)}, }`;
  let version = 1;
  let pre = 10;
  if (dict.length + pre + 1 > 65535) {
    version = 2;
    pre = 12;
  }
  let pad = (64 - ((pre + dict.length + 1) % 64)) % 64;
  while (pre + dict.length + 1 + pad < minLength) pad += 64;
  dict = dict + ' '.repeat(pad) + '\n';
  const head = new Uint8Array(pre + dict.length);
  head.set(MAGIC, 0);
  head[6] = version;
  head[7] = 0;
  const view = new DataView(head.buffer);
  if (version === 1) view.setUint16(8, dict.length, true);
  else view.setUint32(8, dict.length, true);
  head.set(Buffer.from(dict, 'latin1'), pre);
  return head;
}

/** Encodes an array as .npy, header padded to 64 bytes. */
export function encodeNpy(arr: NdArray): Uint8Array[] {
  const count = elementCount(arr.shape);
  if (arr.data.length !== count) {
    throw new GenmetricsError(`array data has ${arr.data.length} elements, shape (${arr.shape.join(', ')}) needs ${count}`);
  }
  const body = new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  return [npyHeader(arr.dtype, arr.shape), body];
}

export function writeNpy(file: string, arr: NdArray): void {
  writeFileAtomic(file, encodeNpy(arr));
}

/**
 * A 2-D .npy on disk read in row blocks, so that feature files larger than memory can be streamed.
 * Fortran-order files are read whole (their rows are not contiguous).
 */
export class NpyRowReader {
  readonly rows: number;
  readonly cols: number;
  readonly dtype: DType;
  private readonly fd: number;
  private readonly header: NpyHeader;
  private whole?: NdArray;

  /** The full shape; rows = shape[0], cols = the product of the others. */
  readonly shape: readonly number[];

  /** `anyRank`: accept N-d arrays (read as shape[0] rows of the remaining elements), e.g. image stacks. */
  constructor(readonly file: string, anyRank = false) {
    try {
      this.fd = fs.openSync(file, 'r');
    } catch (err) {
      throw new GenmetricsError(`${file}: cannot read: ${(err as Error).message}`);
    }
    try {
      const head = Buffer.alloc(65536 + 12);
      const got = fs.readSync(this.fd, head, 0, head.length, 0);
      this.header = parseNpyHeader(head.subarray(0, got), file);
      const shape = this.header.shape;
      if (anyRank ? shape.length < 1 : shape.length !== 2) {
        throw new GenmetricsError(`${file}: expected a 2-D array (samples x features), got shape (${shape.join(', ')})`);
      }
      this.shape = shape;
      this.rows = shape[0];
      this.cols = elementCount(shape.slice(1));
      this.dtype = this.header.dtype;
      const size = fs.fstatSync(this.fd).size;
      const need = this.rows * this.cols * ITEM_SIZE[this.dtype];
      if (size - this.header.dataOffset < need) {
        throw new GenmetricsError(
          `${file}: truncated: shape (${this.rows}, ${this.cols}) needs ${need} bytes of data, file has ${size - this.header.dataOffset}`,
        );
      }
      if (this.header.fortranOrder) this.whole = readNpy(file);
    } catch (err) {
      fs.closeSync(this.fd);
      throw err;
    }
  }

  /** Where the data starts in the file (bytes), when the file holds it in C order as read() returns it. */
  get rawOffset(): number | undefined {
    return this.header.fortranOrder ? undefined : this.header.dataOffset;
  }

  /** Rows [start, start + count) in C order. */
  read(start: number, count: number): TypedData {
    const n = Math.max(0, Math.min(count, this.rows - start));
    requireMemory(n * this.cols * ITEM_SIZE[this.dtype], this.file, `${n} x ${this.cols} ${this.dtype}`);
    if (this.whole) {
      return this.whole.data.subarray(start * this.cols, (start + n) * this.cols);
    }
    const item = ITEM_SIZE[this.dtype];
    const bytes = new Uint8Array(n * this.cols * item);
    let off = 0;
    const pos = this.header.dataOffset + start * this.cols * item;
    while (off < bytes.length) {
      const got = fs.readSync(this.fd, bytes, off, bytes.length - off, pos + off);
      if (got === 0) throw new GenmetricsError(`${this.file}: unexpected end of file`);
      off += got;
    }
    return typedView(this.dtype, bytes, n * this.cols);
  }

  /** Rows [start, start + count) into `target` from element `offset` on (same dtype), with no copy in between. */
  readInto(start: number, count: number, target: TypedData, offset: number): void {
    const item = ITEM_SIZE[this.dtype];
    if (target.BYTES_PER_ELEMENT !== item || offset + count * this.cols > target.length) {
      throw new GenmetricsError(`${this.file}: readInto needs a ${this.dtype} array with room for ${count} rows`);
    }
    if (this.whole) {
      target.set(this.read(start, count) as never, offset);
      return;
    }
    const bytes = new Uint8Array(target.buffer, target.byteOffset + offset * item, count * this.cols * item);
    const pos = this.header.dataOffset + start * this.cols * item;
    let off = 0;
    while (off < bytes.length) {
      const got = fs.readSync(this.fd, bytes, off, bytes.length - off, pos + off);
      if (got === 0) throw new GenmetricsError(`${this.file}: unexpected end of file`);
      off += got;
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/**
 * Streams rows into a 2-D .npy: rows go to a temporary file beside the target, and commit() writes
 * the final shape and renames it over the target, so a failed run leaves nothing half-written.
 */
export class NpyRowWriter {
  private readonly tmp: string;
  private readonly fd: number;
  private readonly headerLength: number;
  private readonly unregister: () => void;
  rows = 0;

  constructor(
    readonly file: string,
    readonly dtype: 'float32' | 'float64',
    readonly cols: number,
    expectedRows = 0,
  ) {
    this.tmp = tempPathFor(file);
    this.fd = fs.openSync(this.tmp, 'wx');
    this.unregister = registerTempPath(this.tmp);
    // Room for the largest shape this file can get (the header is rewritten at commit).
    const head = npyHeader(dtype, [Math.max(expectedRows, 1e15), cols]);
    this.headerLength = head.length;
    fs.writeSync(this.fd, head);
  }

  append(data: Float32Array | Float64Array, rows: number): void {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, rows * this.cols * data.BYTES_PER_ELEMENT);
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(this.fd, bytes, off, bytes.length - off);
    this.rows += rows;
  }

  commit(): void {
    try {
      fs.writeSync(this.fd, npyHeader(this.dtype, [this.rows, this.cols], this.headerLength), 0, this.headerLength, 0);
      fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
      fs.renameSync(this.tmp, this.file);
    } catch (err) {
      fs.rmSync(this.tmp, { force: true });
      throw err;
    } finally {
      this.unregister();
    }
  }

  abort(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    fs.rmSync(this.tmp, { force: true });
    this.unregister();
  }
}
