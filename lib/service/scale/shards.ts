/**
 * Shards of the scale-out service: what one BullMQ job computes, how its output is laid out in the
 * shared blob directory, and the worker's side of each (lib/service/scale/worker.ts runs them).
 *
 * Every shard is exact to merge: the worker makes the native call the single-process run makes,
 * on a row range or a group of subsets, so the merged result has the same float64 bits.
 *   extract: images [start, start + count) of an image dataset -> pool3 and logits rows (the batches
 *            of a single pass, when start is a multiple of the batch size) + partial statistics;
 *   radii:   k-NN radii of rows [start, start + count) of X against all of X (nearestNeighbours
 *            with k + 1: the row itself is its own nearest, as neighbourRadii counts it);
 *   balls:   countBalls of fake rows [start, start + count) against all reals (fake counts of the
 *            block; real counts to be summed over blocks);
 *   kid:     kernelSumsSubsets of subsets [first, first + count) (each subset's sums are computed
 *            from its own draw, whatever else the call holds).
 * Paths in a spec are relative to the blob directory: each machine mounts it where it likes.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { GenmetricsError } from '../../errors';
import { decodeImage } from '../../images/decode';
import { listImages, openImageSource, type ImageSource } from '../../images/sources';
import type { ResizeMode } from '../../images/preprocess';
import { writeFileAtomic } from '../../io/atomic';
import { readNpy } from '../../io/npy';
import { resolveModel } from '../../models/registry';
import { native, type FeatureData, type NativeKernel, type NativeKernelSums } from '../../native';
import { extractFeatureFiles } from '../../network/inception';
import { RunningMoments } from '../../stats/moments';
import { writePartial } from '../../stats/statistics';

/** A matrix in the blob directory: raw row-major values, named by their SHA-256. */
export interface MatrixRef {
  file: string;
  dtype: 'float32' | 'float64';
  rows: number;
  cols: number;
}

export interface ExtractShard {
  op: 'extract';
  /** The image dataset (a folder or a uint8 .npy/.npz stack). */
  source: string;
  /** Folder datasets: the shard's files, relative to the folder (the worker need not list it). */
  files?: string[];
  start: number;
  count: number;
  mode: ResizeMode;
  model: string;
  modelSha256: string;
  maxPixels: number;
}
export interface RadiiShard {
  op: 'radii';
  x: MatrixRef;
  start: number;
  count: number;
  ks: number[];
  precision: 'float32' | 'float64';
  tile?: number;
}
export interface BallsShard {
  op: 'balls';
  real: MatrixRef;
  fake: MatrixRef;
  start: number;
  count: number;
  /** Per ball set: the radii files (float64, one per row of real / fake) and the test. */
  sets: { realRadii: string; fakeRadii: string; strict: boolean }[];
  precision: 'float32' | 'float64';
  tile?: number;
}
export interface KidShard {
  op: 'kid';
  x: MatrixRef;
  y: MatrixRef;
  /** uint32: all subsets' x indices, then all subsets' y indices. */
  draws: string;
  subsets: number;
  first: number;
  count: number;
  m: number;
  kernel: NativeKernel;
  precision: 'float32' | 'float64';
  dense: boolean;
  tile?: number;
}
export type ShardSpec = ExtractShard | RadiiShard | BallsShard | KidShard;

/** Units of work of a shard (its progress scale): images, query rows or subsets. */
export const shardUnits = (s: ShardSpec): number => s.count;

/** A shard's identity: the SHA-256 of its spec (the BullMQ job id and the name of its output). */
export function shardKey(s: ShardSpec): string {
  return createHash('sha256').update(JSON.stringify(s)).digest('hex');
}

/** Where a shard's output lives, relative to the blob directory (a folder for extract, else one file). */
export function shardOutput(s: ShardSpec): string {
  return path.join('work', 'shards', s.op, shardKey(s));
}

// ---- matrices in the blob directory

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const hashes = new WeakMap<ArrayBufferView, string>();

/** Writes `data` (rows x cols) once under its SHA-256 (a matrix already there is kept). */
export function putMatrix(root: string, data: FeatureData, rows: number): MatrixRef {
  const dtype = data instanceof Float32Array ? 'float32' : 'float64';
  return { file: putBytes(root, data, dtype === 'float32' ? 'f32' : 'f64'), dtype, rows, cols: rows === 0 ? 0 : data.length / rows };
}

/** Writes any typed array once under its SHA-256; returns its path relative to root. */
export function putBytes(root: string, data: ArrayBufferView, ext: string): string {
  let sha = hashes.get(data);
  if (!sha) {
    sha = createHash('sha256').update(bytesOf(data)).digest('hex');
    hashes.set(data, sha);
  }
  const rel = path.join('work', 'data', `${sha}.${ext}`);
  const abs = path.join(root, rel);
  if (!fs.existsSync(abs)) {
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    writeFileAtomic(abs, bytesOf(data));
  }
  return rel;
}

/** Reads a whole file into `into` (any size: in chunks). */
function readInto(file: string, into: Uint8Array): void {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size !== into.byteLength) throw new GenmetricsError(`${file}: ${size} bytes, expected ${into.byteLength}`);
    for (let off = 0; off < size; ) {
      const got = fs.readSync(fd, into, off, Math.min(1 << 28, size - off), off);
      if (got <= 0) throw new GenmetricsError(`${file}: unexpected end of file`);
      off += got;
    }
  } finally {
    fs.closeSync(fd);
  }
}

function readTyped<T extends Float32Array | Float64Array | Uint32Array>(file: string, make: new (n: number) => T, count: number): T {
  const out = new make(count);
  readInto(file, bytesOf(out));
  return out;
}

/** The worker's matrices, kept while shards of the same job keep asking for them. */
class MatrixCache {
  private readonly held = new Map<string, FeatureData>();
  constructor(private readonly limitBytes: number) {}
  get(root: string, m: MatrixRef): FeatureData {
    const hit = this.held.get(m.file);
    if (hit) {
      this.held.delete(m.file);
      this.held.set(m.file, hit);
      return hit;
    }
    const file = path.join(root, m.file);
    const data: FeatureData = m.dtype === 'float32' ? readTyped(file, Float32Array, m.rows * m.cols) : readTyped(file, Float64Array, m.rows * m.cols);
    this.held.set(m.file, data);
    let bytes = 0;
    for (const v of this.held.values()) bytes += v.byteLength;
    for (const [k, v] of this.held) {
      if (bytes <= this.limitBytes || k === m.file) break;
      this.held.delete(k);
      bytes -= v.byteLength;
    }
    return data;
  }
}

const matrices = new MatrixCache(4 * 2 ** 30);

// ---- the worker's side

export interface ShardRun {
  root: string;
  threads: number;
  onProgress?: (done: number) => void;
}

/** Computes a shard and writes its output atomically (a second run of the same shard writes the same bytes). */
export async function runShard(s: ShardSpec, run: ShardRun): Promise<void> {
  const out = path.join(run.root, shardOutput(s));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  if (fs.existsSync(out)) return;
  switch (s.op) {
    case 'extract':
      return extractShard(s, run, out);
    case 'radii': {
      const x = matrices.get(run.root, s.x);
      const kmax = Math.max(...s.ks);
      const block = x.subarray(s.start * s.x.cols, (s.start + s.count) * s.x.cols);
      const nn = await native().nearestNeighbours(block, s.count, x, s.x.rows, kmax + 1, { threads: run.threads, precision: s.precision, tile: s.tile }, tileProgress(run, s.count));
      const radii = new Float64Array(s.ks.length * s.count);
      s.ks.forEach((k, q) => {
        for (let r = 0; r < s.count; r++) radii[q * s.count + r] = nn.distance[r * (kmax + 1) + k];
      });
      writeFileAtomic(out, bytesOf(radii));
      return;
    }
    case 'balls': {
      const real = matrices.get(run.root, s.real);
      const fake = matrices.get(run.root, s.fake);
      const sets = s.sets.map((b) => ({
        realRadii: readTyped(path.join(run.root, b.realRadii), Float64Array, s.real.rows),
        fakeRadii: readTyped(path.join(run.root, b.fakeRadii), Float64Array, s.fake.rows).subarray(s.start, s.start + s.count),
        strict: b.strict,
      }));
      const block = fake.subarray(s.start * s.fake.cols, (s.start + s.count) * s.fake.cols);
      const c = await native().countBalls(real, s.real.rows, block, s.count, sets, { threads: run.threads, precision: s.precision, tile: s.tile }, tileProgress(run, s.count));
      writeFileAtomic(out, [bytesOf(Float64Array.of(c.rechecked)), ...s.sets.flatMap((_, q) => [bytesOf(c.fakeInReal[q]), bytesOf(c.realInFake[q]), bytesOf(c.realCovered[q])])]);
      return;
    }
    case 'kid': {
      const x = matrices.get(run.root, s.x);
      const y = matrices.get(run.root, s.y);
      const all = readTyped(path.join(run.root, s.draws), Uint32Array, 2 * s.subsets * s.m);
      const ix = all.subarray(s.first * s.m, (s.first + s.count) * s.m);
      const iy = all.subarray((s.subsets + s.first) * s.m, (s.subsets + s.first + s.count) * s.m);
      const sums = await native().kernelSumsSubsets(x, s.x.rows, y, s.y.rows, ix, iy, s.count, s.m, s.kernel, { threads: run.threads, precision: s.precision, dense: s.dense, tile: s.tile }, (d, t) =>
        run.onProgress?.(Math.floor((d / t) * s.count)),
      );
      writeFileAtomic(out, bytesOf(Float64Array.from(sums.flatMap((v) => [v.xx, v.xxDiag, v.yy, v.yyDiag, v.xy, v.xyDiag]))));
      return;
    }
  }
}

const tileProgress = (run: ShardRun, units: number) => (done: number, total: number) => run.onProgress?.(Math.floor((done / total) * units));

/** The images of a shard as an image source (the folder's files by name, or rows of a stack). */
function shardSource(s: ExtractShard, root: string): ImageSource {
  const abs = path.join(root, s.source);
  if (s.files) {
    const full = (i: number) => path.join(abs, s.files![i]);
    return {
      kind: 'folder',
      path: abs,
      count: s.files.length,
      name: full,
      fingerprint: () => `${abs}[${s.start}+${s.count}]`,
      load: (i) => decodeImage(full(i), { maxPixels: s.maxPixels }),
      close() {},
    };
  }
  const base = openImageSource(abs, { maxPixels: s.maxPixels });
  if (s.start + s.count > base.count) {
    base.close();
    throw new GenmetricsError(`${s.source}: holds ${base.count} images, the shard asks for [${s.start}, ${s.start + s.count})`);
  }
  return {
    kind: base.kind,
    path: base.path,
    count: s.count,
    name: (i) => base.name(s.start + i),
    fingerprint: () => `${base.fingerprint()}[${s.start}+${s.count}]`,
    load: (i) => base.load(s.start + i),
    ...(base.loadBatch ? { loadBatch: (st: number, n: number) => base.loadBatch!(s.start + st, n) } : {}),
    close: () => base.close(),
  };
}

/** The files of a folder dataset, sorted as the folder source sorts them (for the shards' file lists). */
export const folderFiles = (dir: string): string[] => listImages(dir).files;

async function extractShard(s: ExtractShard, run: ShardRun, out: string): Promise<void> {
  const model = resolveModel(s.model);
  if (model.sha256 !== s.modelSha256) {
    throw new GenmetricsError(`model ${s.model}: this worker's file has SHA-256 ${model.sha256}, the server's ${s.modelSha256}; give every worker the same models (GENMETRICS_MODEL_DIR)`);
  }
  const files = await extractFeatureFiles(shardSource(s, run.root), { mode: s.mode, model: s.model, threads: run.threads, maxPixels: s.maxPixels, cache: false, onProgress: (d) => run.onProgress?.(d) });
  const staging = `${out}.${process.pid}.${Date.now().toString(36)}.tmp`;
  try {
    fs.mkdirSync(staging, { recursive: true });
    fs.copyFileSync(files.pool3, path.join(staging, 'pool3.npy'));
    fs.copyFileSync(files.logits, path.join(staging, 'logits.npy'));
    const pool3 = readNpy(files.pool3);
    const moments = new RunningMoments(pool3.shape[1]);
    await moments.update(pool3.data as Float32Array, { threads: run.threads });
    writePartial(path.join(staging, 'partial.npz'), moments.toPartial());
    fs.writeFileSync(path.join(staging, 'meta.json'), JSON.stringify({ count: files.meta.count, skipped: files.meta.skipped }));
    for (const f of fs.readdirSync(staging)) {
      const fd = fs.openSync(path.join(staging, f), 'r');
      fs.fsyncSync(fd);
      fs.closeSync(fd);
    }
    try {
      fs.renameSync(staging, out);
    } catch (err) {
      // Another worker finished the same shard first (a stalled job run twice): its output stands.
      if (!fs.existsSync(out)) throw err;
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    files.dispose();
  }
}

// ---- the coordinator's side: reading outputs

export function readRadii(root: string, s: RadiiShard): Float64Array {
  return readTyped(path.join(root, shardOutput(s)), Float64Array, s.ks.length * s.count);
}

export function readBalls(root: string, s: BallsShard): { rechecked: number; fakeInReal: Uint32Array[]; realInFake: Uint32Array[]; realCovered: Uint32Array[] } {
  const S = s.sets.length;
  const nr = s.real.rows;
  const buf = fs.readFileSync(path.join(root, shardOutput(s)));
  const expected = 8 + 4 * S * (s.count + 2 * nr);
  if (buf.length !== expected) throw new GenmetricsError(`${shardOutput(s)}: ${buf.length} bytes, expected ${expected}`);
  const at = (off: number, n: number) => new Uint32Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + 4 * n));
  const r = { rechecked: buf.readDoubleLE(0), fakeInReal: [] as Uint32Array[], realInFake: [] as Uint32Array[], realCovered: [] as Uint32Array[] };
  let off = 8;
  for (let q = 0; q < S; q++) {
    r.fakeInReal.push(at(off, s.count));
    off += 4 * s.count;
    r.realInFake.push(at(off, nr));
    off += 4 * nr;
    r.realCovered.push(at(off, nr));
    off += 4 * nr;
  }
  return r;
}

export function readKidSums(root: string, s: KidShard): NativeKernelSums[] {
  const v = readTyped(path.join(root, shardOutput(s)), Float64Array, 6 * s.count);
  return Array.from({ length: s.count }, (_, i) => ({ xx: v[6 * i], xxDiag: v[6 * i + 1], yy: v[6 * i + 2], yyDiag: v[6 * i + 3], xy: v[6 * i + 4], xyDiag: v[6 * i + 5] }));
}
