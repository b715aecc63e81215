/**
 * One wrapper for every ONNX network genmetrics runs (Inception, LPIPS, VAE encoder/decoder, the
 * probe's network): the session on the requested device with the CPU fallback and thread
 * settings of openSession, an interface check, float32 runs, and batched runs over rows.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { GenmetricsError } from '../errors';
import { resolveModel, type ResolvedModel } from './registry';
import { openSession, ort, type ModelSession, type SessionOptions } from './session';

/** A float32 tensor: data in row-major order and its dimensions. */
export interface Tensor {
  data: Float32Array;
  dims: number[];
}

/** A tensor of one of the types genmetrics feeds or reads (float32 data, int64 labels, uint8 images). */
export interface TypedTensor {
  data: Float32Array | BigInt64Array | Uint8Array;
  dims: number[];
}

function tensorType(data: TypedTensor['data']): 'float32' | 'int64' | 'uint8' {
  return data instanceof Float32Array ? 'float32' : data instanceof BigInt64Array ? 'int64' : 'uint8';
}

/** Rows of float32 items (N x itemShape), as the model takes them. */
export interface Rows {
  data: Float32Array;
  rows: number;
  itemShape: number[];
}

const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

export class OnnxModel {
  private constructor(private readonly s: ModelSession) {}

  /** Opens a registry name, an .onnx path or a resolved model (with `bytes` when they differ from the file). */
  static async open(model: string | ResolvedModel, options: SessionOptions = {}): Promise<OnnxModel> {
    return new OnnxModel(await openSession(typeof model === 'string' ? resolveModel(model) : model, options));
  }

  get device(): 'cpu' | 'cuda' {
    return this.s.device;
  }

  get model(): ResolvedModel {
    return this.s.model;
  }

  get inputNames(): readonly string[] {
    return this.s.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.s.session.outputNames;
  }

  /** The declared shape of an input (symbolic dimensions as strings), when the model states it. */
  inputShape(name = this.inputNames[0]): (number | string)[] | undefined {
    const meta = (this.s.session as unknown as { inputMetadata?: { name: string; shape?: (number | string)[] }[] }).inputMetadata;
    return meta?.find((m) => m.name === name)?.shape;
  }

  /** The declared element type of an input or output ('float32', 'int64', ...), when the model states it. */
  elementType(name: string): string | undefined {
    const s = this.s.session as unknown as { inputMetadata?: { name: string; type?: string }[]; outputMetadata?: { name: string; type?: string }[] };
    return [...(s.inputMetadata ?? []), ...(s.outputMetadata ?? [])].find((m) => m.name === name)?.type;
  }

  /**
   * Checks that the model has these inputs and outputs (and, with `oneInput`, nothing else as
   * input); otherwise releases it and throws, naming what it is not (`what`) and what it has.
   */
  async expect(what: string, want: { inputs?: string[]; outputs?: string[]; oneInput?: boolean }): Promise<void> {
    const missingIn = (want.inputs ?? []).filter((i) => !this.inputNames.includes(i));
    const missingOut = (want.outputs ?? []).filter((o) => !this.outputNames.includes(o));
    const extraIn = want.oneInput && this.inputNames.length !== 1;
    if (missingIn.length === 0 && missingOut.length === 0 && !extraIn) return;
    await this.release();
    const expected = want.oneInput ? 'one input' : `input${(want.inputs ?? []).length > 1 ? 's' : ''} ${(want.inputs ?? []).join(', ')}`;
    const outs = want.outputs?.length ? ` and output${want.outputs.length > 1 ? 's' : ''} ${want.outputs.join(', ')}` : '';
    throw new GenmetricsError(
      `${this.model.path}: not ${what}: expected ${expected}${outs}; it has inputs [${this.inputNames.join(', ')}], outputs [${this.outputNames.join(', ')}]`,
    );
  }

  /** One call: float32 inputs by name, the named outputs. */
  async run(feeds: Record<string, Tensor>, outputs: readonly string[]): Promise<Record<string, Tensor>> {
    const T = ort().Tensor;
    const inputs: Record<string, InstanceType<typeof T>> = {};
    for (const [name, t] of Object.entries(feeds)) inputs[name] = new T('float32', t.data.subarray(0, product(t.dims)), t.dims);
    const out = await this.s.session.run(inputs, outputs as string[]);
    return Object.fromEntries(outputs.map((o) => [o, { data: out[o].data as Float32Array, dims: out[o].dims as number[] }]));
  }

  /** One call with inputs of any supported type; the outputs as onnxruntime returns them. */
  async runTyped(feeds: Record<string, TypedTensor>, outputs: readonly string[]): Promise<Record<string, TypedTensor>> {
    const T = ort().Tensor;
    const inputs: Record<string, InstanceType<typeof T>> = {};
    for (const [name, t] of Object.entries(feeds)) inputs[name] = new T(tensorType(t.data), t.data.subarray(0, product(t.dims)), t.dims);
    const out = await this.s.session.run(inputs, outputs as string[]);
    return Object.fromEntries(outputs.map((o) => [o, { data: out[o].data as TypedTensor['data'], dims: out[o].dims as number[] }]));
  }

  /**
   * Runs the model's single input over `x` in batches of `batchSize` rows; `consume` receives each
   * batch's outputs with the first row and the row count.
   */
  async runRows(
    x: Rows,
    outputs: readonly string[],
    batchSize: number,
    consume: (out: Record<string, Tensor>, first: number, rows: number) => void,
    onProgress?: (done: number, total: number) => void,
  ): Promise<void> {
    const per = product(x.itemShape);
    const input = this.inputNames[0];
    for (let r0 = 0; r0 < x.rows; r0 += batchSize) {
      const rows = Math.min(batchSize, x.rows - r0);
      const out = await this.run({ [input]: { data: x.data.subarray(r0 * per, (r0 + rows) * per), dims: [rows, ...x.itemShape] } }, outputs);
      consume(out, r0, rows);
      onProgress?.(r0 + rows, x.rows);
    }
  }

  release(): Promise<void> {
    return (this.s.session as InferenceSession).release();
  }
}

/**
 * A two-slot pipeline over `count` items in batches: batch k + 1 is prepared (decoded, resized)
 * while batch k runs, so the CPU-side work overlaps the network call.
 */
export async function pipelined<T>(
  count: number,
  batch: number,
  prepare: (start: number, slot: 0 | 1) => Promise<T>,
  consume: (prepared: T, start: number) => Promise<void>,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  let next = prepare(0, 0);
  for (let start = 0, slot: 0 | 1 = 0; start < count; start += batch, slot = slot === 0 ? 1 : 0) {
    const cur = await next;
    if (start + batch < count) {
      next = prepare(start + batch, slot === 0 ? 1 : 0);
      next.catch(() => undefined); // awaited on the next turn; keeps an early rejection handled
    }
    await consume(cur, start);
    onProgress?.(Math.min(start + batch, count), count);
  }
}
