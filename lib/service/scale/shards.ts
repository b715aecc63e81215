/**
 * Shards of the scale-out service: what one BullMQ job computes, how its output is laid out in the
 * shared blob directory, and the worker's side of each (lib/service/scale/worker.ts runs them).
 *
 * Every shard is exact to merge: the worker makes the native call the single-process run makes,
 * on a row range or a group of subsets, so the merged result has the same float64 bits.
 *   extract: images [start, start + count) of an image dataset -> pool3 and logits rows (the batches
 *            of a single pass, when start is a multiple of the batch size) + partial statistics;
 *   radii:   one part of the symmetric k-NN pass of X: the pairs of rows {p, q} with
 *            start <= min(p, q) < start + count, each computed once; for every row from start on,
 *            float64: its k + 1 smallest squared distances in the part (neighbourBlock; the row
 *            itself is its own nearest, as neighbourRadii counts it), merged per row by the server;
 *            float32: its k + 3 smallest float32-pass candidates with their rows
 *            (neighbourBlockCandidates), for the recheck shards;
 *   recheck: float32, rows [start, start + count): each row's candidates over all parts merged,
 *            then re-checked in float64 as neighbourRadii's float32 pass does (neighbourRecheck);
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
import type { ModelLender } from '../../models/model-pool';
import { resolveModel } from '../../models/registry';
import { native, type FeatureData, type NativeKernel, type NativeKernelSums } from '../../native';
import { extractFeatureFiles } from '../../network/inception';
import { RunningMoments } from '../../stats/moments';
import { writePartial } from '../../stats/statistics';

/**
 * A matrix in the blob directory: raw row-major values in a file named by their SHA-256 (putMatrix),
 * or in a dataset's own features .npy from byte `offset` on (blobs are content-addressed and kept
 * while an evaluation uses them).
 */
export interface MatrixRef {
  file: string;
  dtype: 'float32' | 'float64';
  rows: number;
  cols: number;
  offset?: number;
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
  /** The part: the pairs of rows {p, q} with start <= min(p, q) < start + count. */
  start: number;
  count: number;
  /** Squared distances kept per row (the largest k, plus one for the row itself). */
  need: number;
  precision: 'float32' | 'float64';
  /** The tile side the part's pass runs with (its units of progress). */
  tile: number;
}
/** Float32 radius pass, second step: rows [start, start + count) from the candidates of all parts. */
export interface RecheckShard {
  op: 'recheck';
  x: MatrixRef;
  /** The parts of the first step ([start, count) each; their specs are radiiPart(x, start, count, need, 'float32', tile)). */
  parts: [number, number][];
  start: number;
  count: number;
  need: number;
  tile: number;
}

/** The spec of a part of the radius pass (one place builds it: its key names its output). */
export function radiiPart(x: MatrixRef, start: number, count: number, need: number, precision: 'float32' | 'float64', tile: number): RadiiShard {
  return { op: 'radii', x, start, count, need, precision, tile };
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
export type ShardSpec = ExtractShard | RadiiShard | RecheckShard | BallsShard | KidShard;

/** Units of work of a shard (its progress scale): images, tiles (radii), rows (recheck, balls) or subsets. */
export const shardUnits = (s: ShardSpec): number => (s.op === 'radii' ? upperTiles(s.x.rows, s.start, s.start + s.count, s.tile) : s.count);

/** The tiles of neighbourBlock's pass over rows [start, end) of n (as native forEachUpperTile lays them). */
export function upperTiles(n: number, start: number, end: number, tile: number): number {
  let tiles = 0;
  for (let i0 = start; i0 < end; i0 += tile) tiles += 1 + Math.ceil((n - Math.min(end, i0 + tile)) / tile);
  return tiles;
}

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

/** Reads a whole file into `into` (any size: in chunks); or, from byte `offset` on, the end of a longer one. */
function readInto(file: string, into: Uint8Array, offset?: number): void {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const expected = (offset ?? 0) + into.byteLength;
    if (size !== expected) throw new GenmetricsError(`${file}: ${size} bytes, expected ${expected}`);
    readAt(fd, into, offset ?? 0, file);
  } finally {
    fs.closeSync(fd);
  }
}

function readTyped<T extends Float32Array | Float64Array | Uint32Array>(file: string, make: new (n: number) => T, count: number, offset?: number): T {
  const out = new make(count);
  readInto(file, bytesOf(out), offset);
  return out;
}

/** A matrix as a worker holds it: its rows, and their squared norms once a shard asked for them. */
interface HeldMatrix {
  data: FeatureData;
  norms?: Float64Array;
}

/** The worker's matrices, kept while shards of the same job keep asking for them. */
class MatrixCache {
  private readonly held = new Map<string, HeldMatrix>();
  constructor(private readonly limitBytes: number) {}
  private entry(root: string, m: MatrixRef): HeldMatrix {
    const hit = this.held.get(m.file);
    if (hit) {
      this.held.delete(m.file);
      this.held.set(m.file, hit);
      return hit;
    }
    const file = path.join(root, m.file);
    const data: FeatureData = m.dtype === 'float32' ? readTyped(file, Float32Array, m.rows * m.cols, m.offset) : readTyped(file, Float64Array, m.rows * m.cols, m.offset);
    const made: HeldMatrix = { data };
    this.held.set(m.file, made);
    let bytes = 0;
    for (const v of this.held.values()) bytes += v.data.byteLength;
    for (const [k, v] of this.held) {
      if (bytes <= this.limitBytes || k === m.file) break;
      this.held.delete(k);
      bytes -= v.data.byteLength;
    }
    return made;
  }
  get(root: string, m: MatrixRef): FeatureData {
    return this.entry(root, m).data;
  }
  /** The rows' squared norms, computed once per matrix (every k-NN shard of a job needs them). */
  norms(root: string, m: MatrixRef, threads: number): Float64Array {
    const e = this.entry(root, m);
    e.norms ??= native().squaredNorms(e.data, m.rows, threads);
    return e.norms;
  }
}

const matrices = new MatrixCache(4 * 2 ** 30);

// ---- the worker's side

export interface ShardRun {
  root: string;
  threads: number;
  /** The worker's open networks, kept across extraction shards. */
  models?: ModelLender;
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
      const options = { threads: run.threads, precision: s.precision, tile: s.tile, norms: matrices.norms(run.root, s.x, run.threads) };
      if (s.precision === 'float64') {
        const lists = await native().neighbourBlock(x, s.x.rows, s.start, s.start + s.count, s.need, options, tileProgress(run, shardUnits(s)));
        writeFileAtomic(out, bytesOf(lists));
        return;
      }
      const c = await native().neighbourBlockCandidates(x, s.x.rows, s.start, s.start + s.count, s.need, options, tileProgress(run, shardUnits(s)));
      writeFileAtomic(out, [bytesOf(Float64Array.of(c.maxSquared, c.L)), bytesOf(c.value), bytesOf(c.index)]);
      return;
    }
    case 'recheck': {
      const x = matrices.get(run.root, s.x);
      const c = mergeCandidates(run.root, s);
      const options = { threads: run.threads, precision: 'float32' as const, tile: s.tile, norms: matrices.norms(run.root, s.x, run.threads) };
      const exact = await native().neighbourRecheck(x, s.x.rows, s.start, s.count, c.index, c.value, c.L, s.need, c.maxSquared, options, (d, t) =>
        run.onProgress?.(Math.floor((d / t) * s.count)),
      );
      writeFileAtomic(out, bytesOf(exact));
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
      const realNorms = matrices.norms(run.root, s.real, run.threads);
      const fakeNorms = matrices.norms(run.root, s.fake, run.threads).subarray(s.start, s.start + s.count);
      const options = { threads: run.threads, precision: s.precision, tile: s.tile, realNorms, fakeNorms };
      const c = await native().countBalls(real, s.real.rows, block, s.count, sets, options, tileProgress(run, s.count));
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
  const files = await extractFeatureFiles(shardSource(s, run.root), { mode: s.mode, model: s.model, threads: run.threads, models: run.models, maxPixels: s.maxPixels, cache: false, onProgress: (d) => run.onProgress?.(d) });
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

/**
 * A recheck shard's rows: the L smallest candidates of each over all parts (ascending by value,
 * then row), read part by part (only the shard's rows of each), and the largest squared norm.
 */
function mergeCandidates(root: string, s: RecheckShard): { index: Int32Array; value: Float64Array; L: number; maxSquared: number } {
  const L = s.need + 2;
  const value = new Float64Array(s.count * L).fill(Infinity);
  const index = new Int32Array(s.count * L).fill(-1);
  let maxSquared = 0;
  const end = s.start + s.count;
  for (const [pStart, pCount] of s.parts) {
    if (pStart >= end) continue;
    const part = radiiPart(s.x, pStart, pCount, s.need, 'float32', s.tile);
    const rows = s.x.rows - pStart;
    const fd = fs.openSync(path.join(root, shardOutput(part)), 'r');
    try {
      const size = fs.fstatSync(fd).size;
      if (size !== 16 + rows * L * 12) throw new GenmetricsError(`${shardOutput(part)}: ${size} bytes, expected ${16 + rows * L * 12}`);
      const head = new Float64Array(2);
      readAt(fd, bytesOf(head), 0, shardOutput(part));
      if (head[1] !== L) throw new GenmetricsError(`${shardOutput(part)}: lists of ${head[1]}, expected ${L}`);
      maxSquared = Math.max(maxSquared, head[0]);
      // The shard's rows this part has (rows from pStart on).
      const from = Math.max(s.start, pStart);
      const n = end - from;
      const v = new Float64Array(n * L);
      const j = new Int32Array(n * L);
      readAt(fd, bytesOf(v), 16 + (from - pStart) * L * 8, shardOutput(part));
      readAt(fd, bytesOf(j), 16 + rows * L * 8 + (from - pStart) * L * 4, shardOutput(part));
      for (let r = 0; r < n; r++) {
        const b = (from - s.start + r) * L;
        for (let q = 0; q < L; q++) {
          const d = v[r * L + q];
          const at = j[r * L + q];
          if (at < 0) break;
          // Ascending by (value, row): stop at the first entry that does not come before the last kept.
          if (!(d < value[b + L - 1] || (d === value[b + L - 1] && at < index[b + L - 1]) || index[b + L - 1] < 0)) break;
          let p = L - 1;
          while (p > 0 && (index[b + p - 1] < 0 || value[b + p - 1] > d || (value[b + p - 1] === d && index[b + p - 1] > at))) {
            value[b + p] = value[b + p - 1];
            index[b + p] = index[b + p - 1];
            p--;
          }
          value[b + p] = d;
          index[b + p] = at;
        }
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  return { index, value, L, maxSquared };
}

function readAt(fd: number, into: Uint8Array, position: number, file: string): void {
  for (let off = 0; off < into.byteLength; ) {
    const got = fs.readSync(fd, into, off, Math.min(1 << 28, into.byteLength - off), position + off);
    if (got <= 0) throw new GenmetricsError(`${file}: unexpected end of file`);
    off += got;
  }
}

// ---- the coordinator's side: reading outputs

/** A float64 radii shard's lists: (rows - start) x need squared distances, ascending per row. */
export function readRadii(root: string, s: RadiiShard): Float64Array {
  return readTyped(path.join(root, shardOutput(s)), Float64Array, (s.x.rows - s.start) * s.need);
}

/** A recheck shard's exact lists: count x need squared distances, ascending per row. */
export function readRecheck(root: string, s: RecheckShard): Float64Array {
  return readTyped(path.join(root, shardOutput(s)), Float64Array, s.count * s.need);
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
