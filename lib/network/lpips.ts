import { GenmetricsError } from '../errors';
import { DEFAULT_LPIPS, resolveModel } from '../models/registry';
import { openSession, ort, type Device, type ModelSession } from '../models/session';

/** Where and how an LPIPS network runs. */
export interface LpipsNetworkOptions {
  /** Registry name (lpips-alex, lpips-vgg, lpips-squeeze, ...) or .onnx path; default lpips-alex. */
  model?: string;
  device?: Device;
  /** onnxruntime intra-op threads (default: all cores). */
  threads?: number;
  onNotice?: (message: string) => void;
}

/**
 * An LPIPS network (Zhang et al. 2018) in onnxruntime. The ONNX interface is the `lpips` package's
 * forward(in0, in1): inputs `in0`, `in1` N x 3 x H x W float32 in [-1, 1], output `distance`
 * N x 1 x 1 x 1 (the v0.1 scaling layer, unit-normalised features, learned 1x1 weights, spatial
 * mean and the sum over layers are all inside the graph).
 */
export class LpipsNetwork {
  private constructor(private readonly s: ModelSession) {}

  static async open(options: LpipsNetworkOptions = {}): Promise<LpipsNetwork> {
    const model = resolveModel(options.model ?? DEFAULT_LPIPS);
    const s = await openSession(model, { device: options.device, threads: options.threads, onNotice: options.onNotice });
    const { inputNames, outputNames } = s.session;
    if (!inputNames.includes('in0') || !inputNames.includes('in1') || !outputNames.includes('distance')) {
      await s.session.release();
      throw new GenmetricsError(
        `${model.path}: not an LPIPS model: expected inputs in0, in1 and output distance; it has inputs [${inputNames.join(', ')}], outputs [${outputNames.join(', ')}]`,
      );
    }
    return new LpipsNetwork(s);
  }

  get device(): 'cpu' | 'cuda' {
    return this.s.device;
  }

  get model(): { name: string; sha256: string } {
    return { name: this.s.model.name, sha256: this.s.model.sha256 };
  }

  /** Distances between in0[i] and in1[i], i < n, both n x 3 x h x w (float32 in [-1, 1]). */
  async distances(in0: Float32Array, in1: Float32Array, n: number, h: number, w: number): Promise<Float32Array> {
    const size = n * 3 * h * w;
    if (in0.length < size || in1.length < size) throw new GenmetricsError(`LPIPS input holds fewer than ${n} x 3 x ${h} x ${w} values`);
    const T = ort().Tensor;
    const out = await this.s.session.run(
      { in0: new T('float32', in0.subarray(0, size), [n, 3, h, w]), in1: new T('float32', in1.subarray(0, size), [n, 3, h, w]) },
      ['distance'],
    );
    return Float32Array.from(out.distance.data as Float32Array);
  }

  async release(): Promise<void> {
    await this.s.session.release();
  }
}
