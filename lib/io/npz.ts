/**
 * NumPy .npz archives: a zip of .npy members, stored (np.savez) or deflated (np.savez_compressed),
 * zip64 included. Opening one reads the central directory and each member's .npy header only
 * (checked against the member's declared size); members are inflated on demand, whole (small
 * statistics) or row by row (image stacks), so memory stays bounded whatever a member inflates to.
 */
import * as fs from 'fs';
import type * as Fflate from 'fflate';
import type { Inflate, Zippable } from 'fflate';
import { GenmetricsError } from '../errors';
import { lazyModule } from '../lazy';
import { writeFileAtomic } from './atomic';
import { requireMemory } from './memory';
import { elementCount, encodeNpy, ITEM_SIZE, parseNpyHeader, typedView, fortranToC, type NdArray, type NpyHeader, type TypedData } from './npy';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fflate = lazyModule(() => require('fflate') as typeof Fflate);

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function u16(b: Buffer, o: number): number {
  return b.readUInt16LE(o);
}
function u32(b: Buffer, o: number): number {
  return b.readUInt32LE(o);
}
function u64(b: Buffer, o: number): number {
  return Number(b.readBigUInt64LE(o));
}

function pread(fd: number, length: number, position: number, file: string): Buffer {
  const buf = Buffer.alloc(length);
  let off = 0;
  while (off < length) {
    const got = fs.readSync(fd, buf, off, length - off, position + off);
    if (got === 0) throw new GenmetricsError(`${file}: not a readable .npz (zip) archive: unexpected end of file`);
    off += got;
  }
  return buf;
}

/** The central directory: every member's name, method, sizes and local header offset. */
function readCentralDirectory(fd: number, file: string): ZipEntry[] {
  const size = fs.fstatSync(fd).size;
  const bad = (why: string) => new GenmetricsError(`${file}: not a readable .npz (zip) archive: ${why}`);
  const tailLen = Math.min(size, 65557);
  const tail = pread(fd, tailLen, size - tailLen, file);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (u32(tail, i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad('no end of central directory record');
  let count = u16(tail, eocd + 10);
  let cdSize = u32(tail, eocd + 12);
  let cdOffset = u32(tail, eocd + 16);
  if ((count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) && eocd >= 20 && u32(tail, eocd - 20) === 0x07064b50) {
    const z64 = pread(fd, 56, u64(tail, eocd - 20 + 8), file);
    if (u32(z64, 0) !== 0x06064b50) throw bad('bad zip64 end of central directory record');
    count = u64(z64, 32);
    cdSize = u64(z64, 40);
    cdOffset = u64(z64, 48);
  }
  if (cdOffset + cdSize > size) throw bad('central directory beyond the end of the file');
  const cd = pread(fd, cdSize, cdOffset, file);
  const entries: ZipEntry[] = [];
  for (let p = 0, k = 0; k < count; k++) {
    if (p + 46 > cd.length || u32(cd, p) !== 0x02014b50) throw bad('corrupt central directory');
    const nameLen = u16(cd, p + 28);
    const extraLen = u16(cd, p + 30);
    const commentLen = u16(cd, p + 32);
    const e: ZipEntry = {
      name: cd.toString('utf8', p + 46, p + 46 + nameLen),
      method: u16(cd, p + 10),
      compressedSize: u32(cd, p + 20),
      size: u32(cd, p + 24),
      localOffset: u32(cd, p + 42),
    };
    // Zip64 extra field: the 64-bit values of the fields set to 0xffffffff, in this order.
    for (let x = p + 46 + nameLen; x + 4 <= p + 46 + nameLen + extraLen; ) {
      const id = u16(cd, x);
      const len = u16(cd, x + 2);
      if (id === 0x0001) {
        let q = x + 4;
        if (e.size === 0xffffffff) (e.size = u64(cd, q)), (q += 8);
        if (e.compressedSize === 0xffffffff) (e.compressedSize = u64(cd, q)), (q += 8);
        if (e.localOffset === 0xffffffff) e.localOffset = u64(cd, q);
      }
      x += 4 + len;
    }
    entries.push(e);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** A member's uncompressed bytes read forward from any position (inflated as it goes). */
class MemberStream {
  private dataOffset: number;
  private pos = 0; // uncompressed position of the next byte to hand out
  private readPos = 0; // compressed bytes consumed
  private inflater?: Inflate;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly fd: number,
    private readonly e: ZipEntry,
    private readonly where: string,
  ) {
    if (e.method !== 0 && e.method !== 8) throw new GenmetricsError(`${where}: unsupported zip compression method ${e.method} (expected stored or deflate)`);
    const local = pread(fd, 30, e.localOffset, where);
    if (u32(local, 0) !== 0x04034b50) throw new GenmetricsError(`${where}: corrupt zip local header`);
    this.dataOffset = e.localOffset + 30 + u16(local, 26) + u16(local, 28);
    this.restart();
  }

  private restart(): void {
    this.pos = 0;
    this.readPos = 0;
    this.pending = [];
    this.pendingBytes = 0;
    if (this.e.method === 8) {
      this.inflater = new (fflate().Inflate)((chunk) => {
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
      });
    }
  }

  /** Feeds compressed input until `n` uncompressed bytes are pending (or the member ends). */
  private fill(n: number): void {
    const CHUNK = 1 << 16;
    while (this.pendingBytes < n && this.readPos < this.e.compressedSize) {
      const len = Math.min(CHUNK, this.e.compressedSize - this.readPos);
      const data = pread(this.fd, len, this.dataOffset + this.readPos, this.where);
      this.readPos += len;
      try {
        this.inflater!.push(data, this.readPos === this.e.compressedSize);
      } catch (err) {
        throw new GenmetricsError(`${this.where}: corrupt compressed data: ${(err as Error).message}`);
      }
    }
  }

  /** `length` bytes from uncompressed offset `start` (restarting the inflater to go back). */
  read(start: number, length: number): Uint8Array {
    if (start + length > this.e.size) throw new GenmetricsError(`${this.where}: read beyond the member's ${this.e.size} bytes`);
    if (this.e.method === 0) return pread(this.fd, length, this.dataOffset + start, this.where);
    if (start < this.pos) this.restart();
    // Skip to start, then gather length bytes.
    const out = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      this.fill(1);
      const chunk = this.pending.shift();
      if (!chunk) throw new GenmetricsError(`${this.where}: compressed data ends before its declared ${this.e.size} bytes`);
      this.pendingBytes -= chunk.length;
      let c = chunk;
      if (this.pos < start) {
        const skip = Math.min(c.length, start - this.pos);
        this.pos += skip;
        c = c.subarray(skip);
        if (c.length === 0) continue;
      }
      const take = Math.min(c.length, length - got);
      out.set(c.subarray(0, take), got);
      got += take;
      this.pos += take;
      if (take < c.length) {
        this.pending.unshift(c.subarray(take));
        this.pendingBytes += c.length - take;
      }
    }
    return out;
  }
}

/** One .npy member: its header (checked against the declared size) and a stream of its bytes. */
export interface NpzMember {
  key: string;
  dtype: NdArray['dtype'];
  shape: number[];
  header: NpyHeader;
  stream: MemberStream;
  where: string;
}

/** An open .npz: member headers read, data read on demand. close() releases the file. */
export class NpzArchive {
  readonly members = new Map<string, NpzMember>();
  private constructor(
    readonly file: string,
    private readonly fd: number,
  ) {}

  static open(file: string): NpzArchive {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (err) {
      throw new GenmetricsError(`${file}: cannot read: ${(err as Error).message}`);
    }
    const z = new NpzArchive(file, fd);
    try {
      for (const e of readCentralDirectory(fd, file)) {
        if (!e.name.endsWith('.npy')) continue;
        const key = e.name.slice(0, -4);
        const where = `${file}[${key}]`;
        const stream = new MemberStream(fd, e, where);
        // The header: the 12-byte preamble, then the rest of its length.
        const pre = stream.read(0, Math.min(12, e.size));
        const view = new DataView(pre.buffer, pre.byteOffset, pre.byteLength);
        const total = pre.length >= 10 ? (pre[6] === 1 ? 10 + view.getUint16(8, true) : pre.length >= 12 ? 12 + view.getUint32(8, true) : 0) : 0;
        if (total === 0 || total > e.size || total > 1 << 20) throw new GenmetricsError(`${where}: not a .npy member (bad header)`);
        const header = parseNpyHeader(stream.read(0, total), where);
        const need = header.dataOffset + elementCount(header.shape) * ITEM_SIZE[header.dtype];
        if (need !== e.size) {
          throw new GenmetricsError(
            `${where}: the member declares ${e.size} bytes but its header describes ${need} (shape (${header.shape.join(', ')}), ${header.dtype}): corrupt archive`,
          );
        }
        z.members.set(key, { key, dtype: header.dtype, shape: header.shape, header, stream, where });
      }
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    return z;
  }

  /** A whole member as an array (refused before inflating when it exceeds the memory limit). */
  read(key: string): NdArray {
    const m = this.members.get(key);
    if (!m) throw new GenmetricsError(`${this.file}: no member '${key}'`);
    const count = elementCount(m.shape);
    const bytes = count * ITEM_SIZE[m.dtype];
    requireMemory(bytes, m.where, `shape (${m.shape.join(', ')}) ${m.dtype}`);
    let data: TypedData = typedView(m.dtype, m.stream.read(m.header.dataOffset, bytes), count);
    if (m.header.fortranOrder) data = fortranToC(data, m.shape);
    return { dtype: m.dtype, shape: m.shape, data };
  }

  /** Rows [start, start + count) of a C-order member (rows = its first axis). */
  readRows(key: string, start: number, count: number): TypedData {
    const m = this.members.get(key)!;
    if (m.header.fortranOrder) throw new GenmetricsError(`${m.where}: Fortran-order arrays cannot be read row by row; save it in C order`);
    const per = elementCount(m.shape.slice(1));
    const item = ITEM_SIZE[m.dtype];
    return typedView(m.dtype, m.stream.read(m.header.dataOffset + start * per * item, count * per * item), count * per);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** Every .npy member of an archive, whole (for small archives: statistics). */
export function readNpz(file: string): Map<string, NdArray> {
  const z = NpzArchive.open(file);
  try {
    return new Map([...z.members.keys()].map((k) => [k, z.read(k)]));
  } finally {
    z.close();
  }
}

export function encodeNpz(entries: Record<string, NdArray>, compress = false): Uint8Array {
  const files: Zippable = {};
  for (const [key, arr] of Object.entries(entries)) {
    const [head, body] = encodeNpy(arr);
    const bytes = new Uint8Array(head.length + body.length);
    bytes.set(head, 0);
    bytes.set(body, head.length);
    files[`${key}.npy`] = [bytes, { level: compress ? 6 : 0 }];
  }
  return fflate().zipSync(files);
}

export function writeNpz(file: string, entries: Record<string, NdArray>, compress = false): void {
  writeFileAtomic(file, encodeNpz(entries, compress));
}
