import { LPIPS_MODEL } from '../defaults';
import { GenmetricsError } from '../errors';
import { OnnxModel } from '../models/onnx-model';
import { minimumInputSize } from './lpips-size';
import type { Device } from '../models/session';

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
  private constructor(
    private readonly net: OnnxModel,
    /** The trunk's smallest input, from its conv and pool layers: smaller images empty an activation. */
    readonly minimum: { height: number; width: number },
  ) {}

  static async open(options: LpipsNetworkOptions = {}): Promise<LpipsNetwork> {
    const net = await OnnxModel.open(options.model ?? LPIPS_MODEL, { device: options.device, threads: options.threads, onNotice: options.onNotice });
    await net.expect('an LPIPS model', { inputs: ['in0', 'in1'], outputs: ['distance'] });
    return new LpipsNetwork(net, minimumInputSize(net.model.path));
  }

  get device(): 'cpu' | 'cuda' {
    return this.net.device;
  }

  get model(): { name: string; sha256: string } {
    return { name: this.net.model.name, sha256: this.net.model.sha256 };
  }

  /** Distances between in0[i] and in1[i], i < n, both n x 3 x h x w (float32 in [-1, 1]). */
  async distances(in0: Float32Array, in1: Float32Array, n: number, h: number, w: number): Promise<Float32Array> {
    const size = n * 3 * h * w;
    if (in0.length < size || in1.length < size) throw new GenmetricsError(`LPIPS input holds fewer than ${n} x 3 x ${h} x ${w} values`);
    if (h < this.minimum.height || w < this.minimum.width) {
      throw new GenmetricsError(`${this.model.name} needs inputs of at least ${this.minimum.width} x ${this.minimum.height} px, got ${w} x ${h}`);
    }
    const dims = [n, 3, h, w];
    const out = await this.net.run({ in0: { data: in0, dims }, in1: { data: in1, dims } }, ['distance']);
    return Float32Array.from(out.distance.data);
  }

  release(): Promise<void> {
    return this.net.release();
  }
}
