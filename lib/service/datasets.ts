/**
 * What an upload holds, checked before it becomes a dataset: a features .npy (float32/float64,
 * 2-D, every value finite, read in row blocks so memory stays bounded) or a statistics .npz
 * (TTUR/pytorch-fid mu + sigma, or genmetrics partial statistics). The format is recognised from
 * the bytes (the .npy magic, a zip's signature), never from the name alone.
 */
import { coerceOption } from '../commands/descriptor';
import { networkOptions } from '../commands/common';
import { openFeatureFile } from '../features';
import { Generator } from '../generator/generator';
import { classifyInput } from '../inputs';
import { NpyRowReader } from '../io/npy';
import { native } from '../native';
import { readStatisticsFile } from '../stats/statistics';
import { archiveKind, isNpz } from './archives';
import { HttpError } from './http-error';
import type { DatasetKind } from './store';

const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
const EMPTY_ZIP = Buffer.from([0x50, 0x4b, 0x05, 0x06]); // an empty zip: its end record only

export interface UploadFormat {
  /** .npy/.npz: read as a file; .zip/.tar: an image archive, unpacked into a folder. */
  ext: '.npy' | '.npz' | '.zip' | '.tar';
}

/** The container of an upload from its first bytes (and a zip's member names), or 415 naming what was expected. */
export async function uploadFormat(head: Buffer, file: string, field: string): Promise<UploadFormat> {
  if (head.subarray(0, 6).equals(NPY_MAGIC)) return { ext: '.npy' };
  const archive = archiveKind(head);
  if (archive === 'zip') return { ext: (await isNpz(file)) ? '.npz' : '.zip' };
  if (head.subarray(0, 4).equals(EMPTY_ZIP)) return { ext: '.npz' };
  if (archive === 'tar') return { ext: '.tar' };
  throw new HttpError(
    415,
    'unsupported_media',
    `${field}: not a .npy, .npz, .zip or .tar file (its first bytes are none of their signatures); upload features (.npy, N x D float), statistics (.npz with mu and sigma), a uint8 image stack, or an archive of images`,
    field,
  );
}

export interface DatasetFacts {
  kind: DatasetKind;
  count: number | null;
  dims: number;
  mode: string | null;
  model: string | null;
  modelSha256: string | null;
}

const ROW_BLOCK_BYTES = 16 << 20;

/**
 * Checks the received file (named for messages by `name`) and describes it; 422 when it is not a
 * dataset. Image stacks (uint8, N x H x W x 3, .npy or .npz) are described by their header here;
 * decoding them is the extraction job's (their dataset stays 'processing' until it is done).
 */
export function inspectUpload(file: string, format: UploadFormat, name: string): DatasetFacts {
  const rename = (err: unknown) => {
    const message = (err instanceof Error ? err.message : String(err)).split(file).join(name);
    return new HttpError(422, 'invalid_dataset', message, 'file');
  };
  try {
    if (classifyInput(file) === 'images') {
      let count: number | null = null;
      if (format.ext === '.npy') {
        const r = new NpyRowReader(file, true);
        r.close();
        count = r.rows;
      }
      return { kind: 'images', count, dims: 2048, mode: null, model: null, modelSha256: null };
    }
    if (format.ext === '.npy') {
      const reader = openFeatureFile(file);
      try {
        const rowsPerBlock = Math.max(1, Math.floor(ROW_BLOCK_BYTES / (reader.cols * (reader.dtype === 'float32' ? 4 : 8))));
        for (let r = 0; r < reader.rows; r += rowsPerBlock) {
          const block = reader.read(r, rowsPerBlock) as Float32Array | Float64Array;
          const bad = native().firstNonFinite(block);
          if (bad >= 0) {
            throw new HttpError(422, 'invalid_dataset', `${name}: non-finite value (NaN or Inf) at row ${r + Math.floor(bad / reader.cols)}, column ${bad % reader.cols}`, 'file');
          }
        }
        return { kind: 'features', count: reader.rows, dims: reader.cols, mode: null, model: null, modelSha256: null };
      } finally {
        reader.close();
      }
    }
    const s = readStatisticsFile(file);
    if (s.kind === 'partial') {
      return { kind: 'statistics', count: s.partial.n, dims: s.partial.dims, mode: null, model: null, modelSha256: null };
    }
    return {
      kind: 'statistics',
      count: s.stats.count ?? null,
      dims: s.stats.dims,
      mode: s.stats.preprocessing?.mode ?? null,
      model: s.stats.preprocessing?.model.name ?? null,
      modelSha256: s.stats.preprocessing?.model.sha256 ?? null,
    };
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw rename(err);
  }
}

/** The preprocessing of an image dataset from the upload's `mode` and `model` (a registry name, never a server path). */
export function imageOptions(q: { mode?: string; model?: string }): { mode: string; model: string } {
  const spec = (key: string) => networkOptions.find((o) => o.key === key)!;
  const value = (key: 'mode' | 'model') => {
    try {
      return String(coerceOption(spec(key), q[key] ?? spec(key).default));
    } catch (err) {
      throw new HttpError(400, 'bad_option', (err as Error).message, key);
    }
  };
  const model = value('model');
  if (/[/\\]|\.onnx$/i.test(model)) throw new HttpError(400, 'bad_option', `model: expected a model name of the registry, not a file ('${model}')`, 'model');
  return { mode: value('mode'), model };
}

/** A generator upload (ONNX): opened on the CPU to check its interface (input z, image output); 422 naming what is wrong. */
export async function inspectGenerator(file: string, name: string): Promise<DatasetFacts> {
  let g: Generator | undefined;
  try {
    g = await Generator.open({ generator: file, samples: 1, seed: 0 }, { device: 'cpu', threads: 1 });
    return { kind: 'generator', count: null, dims: 2048, mode: null, model: null, modelSha256: null };
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split(file).join(name);
    throw new HttpError(422, 'invalid_dataset', message, 'file');
  } finally {
    await g?.release();
  }
}
