import type { InferenceSession } from 'onnxruntime-node';
import { GenmetricsError } from '../errors';
import { resolveModel } from '../models/registry';
import { openSession, ort, type Device, type ModelSession } from '../models/session';

export type LikelihoodKind = 'bernoulli' | 'gaussian';

/** Output names that identify a role, compared case-insensitively. */
const MU = ['mu', 'mean', 'z_mean', 'loc', 'z_mu'];
const LOGVAR = ['logvar', 'log_var', 'z_log_var', 'z_logvar', 'log_variance'];
const LOGITS = ['logits', 'x_logits'];

function pick(names: readonly string[], wanted: string[]): string | undefined {
  return names.find((n) => wanted.includes(n.toLowerCase()));
}

function dims(s: InferenceSession, input: string): (number | string)[] | undefined {
  const meta = (s as unknown as { inputMetadata?: { name: string; shape?: (number | string)[] }[] }).inputMetadata;
  return meta?.find((m) => m.name === input)?.shape;
}

/** A model with one input, run in batches: the named outputs as Float32Arrays. */
export class OnnxFunction {
  constructor(
    readonly s: ModelSession,
    readonly input: string,
    readonly outputs: string[],
  ) {}

  /** Input shape after the batch axis, when the model states it. */
  get itemShape(): (number | string)[] | undefined {
    return dims(this.s.session, this.input)?.slice(1);
  }

  async run(data: Float32Array, rows: number, itemShape: number[]): Promise<Float32Array[]> {
    const t = new (ort().Tensor)('float32', data.subarray(0, rows * itemShape.reduce((a, b) => a * b, 1)), [rows, ...itemShape]);
    const out = await this.s.session.run({ [this.input]: t }, this.outputs);
    return this.outputs.map((o) => out[o].data as Float32Array);
  }

  release(): Promise<void> {
    return this.s.session.release();
  }
}

async function open(path: string, what: string, device: Device | undefined, threads: number | undefined): Promise<ModelSession> {
  const s = await openSession(resolveModel(path), { device, threads });
  if (s.session.inputNames.length !== 1) {
    await s.session.release();
    throw new GenmetricsError(`${path}: the ${what} must have one input, it has [${s.session.inputNames.join(', ')}]`);
  }
  return s;
}

/** The encoder x -> (mu, logvar), outputs found by name (mu/mean, logvar/log_var) or else by order. */
export async function openEncoder(path: string, device?: Device, threads?: number): Promise<OnnxFunction> {
  const s = await open(path, 'encoder', device, threads);
  const outs = s.session.outputNames;
  const mu = pick(outs, MU) ?? (outs.length === 2 ? outs[0] : undefined);
  const logvar = pick(outs, LOGVAR) ?? (outs.length === 2 ? outs[1] : undefined);
  if (!mu || !logvar || mu === logvar) {
    await s.session.release();
    throw new GenmetricsError(`${path}: the encoder must output mu and logvar (a diagonal Gaussian posterior); it has outputs [${outs.join(', ')}]`);
  }
  return new OnnxFunction(s, s.session.inputNames[0], [mu, logvar]);
}

export interface Decoder {
  fn: OnnxFunction;
  kind: LikelihoodKind;
  /** Whether the decoder outputs a log-variance (Gaussian); otherwise a fixed one is used. */
  hasLogvar: boolean;
}

/**
 * The decoder z -> logits (Bernoulli) or z -> mean[, logvar] (Gaussian). Two outputs mean a
 * Gaussian; one output named `logits` a Bernoulli, one named `mean` a Gaussian; `likelihood`
 * decides otherwise and must agree with what the outputs say.
 */
export async function openDecoder(path: string, likelihood: LikelihoodKind | undefined, device?: Device, threads?: number): Promise<Decoder> {
  const s = await open(path, 'decoder', device, threads);
  const outs = s.session.outputNames;
  const fail = async (why: string): Promise<never> => {
    await s.session.release();
    throw new GenmetricsError(`${path}: ${why}; the decoder has outputs [${outs.join(', ')}]`);
  };
  const input = s.session.inputNames[0];
  if (outs.length === 2) {
    if (likelihood === 'bernoulli') return fail('option likelihood bernoulli needs one output (logits), not a mean and a log-variance');
    const mean = pick(outs, MU) ?? outs[0];
    const logvar = pick(outs, LOGVAR) ?? outs.find((o) => o !== mean)!;
    return { fn: new OnnxFunction(s, input, [mean, logvar]), kind: 'gaussian', hasLogvar: true };
  }
  if (outs.length !== 1) return fail('expected one output (logits, or a Gaussian mean) or two (mean, logvar)');
  const named: LikelihoodKind | undefined = pick(outs, LOGITS) ? 'bernoulli' : pick(outs, MU) ? 'gaussian' : undefined;
  const kind = likelihood ?? named;
  if (!kind) return fail(`cannot tell the likelihood from the output name '${outs[0]}': set option likelihood to bernoulli or gaussian`);
  return { fn: new OnnxFunction(s, input, [outs[0]]), kind, hasLogvar: false };
}
