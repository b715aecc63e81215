import { GenmetricsError } from '../errors';
import { OnnxModel } from '../models/onnx-model';
import type { Device } from '../models/session';

export type LikelihoodKind = 'bernoulli' | 'gaussian';

/** Output names that identify a role, compared case-insensitively. */
const MU = ['mu', 'mean', 'z_mean', 'loc', 'z_mu'];
const LOGVAR = ['logvar', 'log_var', 'z_log_var', 'z_logvar', 'log_variance'];
const LOGITS = ['logits', 'x_logits'];

function pick(names: readonly string[], wanted: string[]): string | undefined {
  return names.find((n) => wanted.includes(n.toLowerCase()));
}

/** A model with one input, run in batches: the named outputs as Float32Arrays. */
export class OnnxFunction {
  constructor(
    readonly net: OnnxModel,
    readonly outputs: string[],
  ) {}

  /** Input shape after the batch axis, when the model states it. */
  get itemShape(): (number | string)[] | undefined {
    return this.net.inputShape()?.slice(1);
  }

  async run(data: Float32Array, rows: number, itemShape: number[]): Promise<Float32Array[]> {
    const out = await this.net.run({ [this.net.inputNames[0]]: { data, dims: [rows, ...itemShape] } }, this.outputs);
    return this.outputs.map((o) => out[o].data);
  }

  release(): Promise<void> {
    return this.net.release();
  }
}

async function open(path: string, what: string, device: Device | undefined, threads: number | undefined): Promise<OnnxModel> {
  const net = await OnnxModel.open(path, { device, threads });
  if (net.inputNames.length !== 1) {
    await net.release();
    throw new GenmetricsError(`${path}: the ${what} must have one input, it has [${net.inputNames.join(', ')}]`);
  }
  return net;
}

/** The encoder x -> (mu, logvar), outputs found by name (mu/mean, logvar/log_var) or else by order. */
export async function openEncoder(path: string, device?: Device, threads?: number): Promise<OnnxFunction> {
  const net = await open(path, 'encoder', device, threads);
  const outs = net.outputNames;
  const mu = pick(outs, MU) ?? (outs.length === 2 ? outs[0] : undefined);
  const logvar = pick(outs, LOGVAR) ?? (outs.length === 2 ? outs[1] : undefined);
  if (!mu || !logvar || mu === logvar) {
    await net.release();
    throw new GenmetricsError(`${path}: the encoder must output mu and logvar (a diagonal Gaussian posterior); it has outputs [${outs.join(', ')}]`);
  }
  return new OnnxFunction(net, [mu, logvar]);
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
  const net = await open(path, 'decoder', device, threads);
  const outs = net.outputNames;
  const fail = async (why: string): Promise<never> => {
    await net.release();
    throw new GenmetricsError(`${path}: ${why}; the decoder has outputs [${outs.join(', ')}]`);
  };
  if (outs.length === 2) {
    if (likelihood === 'bernoulli') return fail('option likelihood bernoulli needs one output (logits), not a mean and a log-variance');
    const mean = pick(outs, MU) ?? outs[0];
    const logvar = pick(outs, LOGVAR) ?? outs.find((o) => o !== mean)!;
    return { fn: new OnnxFunction(net, [mean, logvar]), kind: 'gaussian', hasLogvar: true };
  }
  if (outs.length !== 1) return fail('expected one output (logits, or a Gaussian mean) or two (mean, logvar)');
  const named: LikelihoodKind | undefined = pick(outs, LOGITS) ? 'bernoulli' : pick(outs, MU) ? 'gaussian' : undefined;
  const kind = likelihood ?? named;
  if (!kind) return fail(`cannot tell the likelihood from the output name '${outs[0]}': set option likelihood to bernoulli or gaussian`);
  return { fn: new OnnxFunction(net, [outs[0]]), kind, hasLogvar: false };
}
