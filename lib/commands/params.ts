import { OptionError } from '../errors';
import { DEFAULT_BUFFER_PATTERN, modelParams, type TensorInfo } from '../models/params';
import { defineCommand } from './descriptor';

export interface ParamsOptions {
  bufferPattern?: string;
  tensors: boolean;
}

export interface ParamsCommandResult {
  file: string;
  format: string;
  total: number;
  learnable: number;
  buffer_elements: number;
  buffers: Record<string, number>;
  per_tensor_learnable: Record<string, number>;
  layers: Record<string, number>;
  bytes_by_dtype: Record<string, number>;
  tensors?: TensorInfo[];
}

export const paramsCommand = defineCommand<ParamsOptions, ParamsCommandResult>({
  name: 'params',
  summary:
    'model size of an .onnx, .safetensors or PyTorch .pth file (metadata only; pickles are parsed, never run): total, learnable, buffers, per tensor and layer, bytes by dtype',
  example: 'params generator.safetensors --json',
  inputs: [{ name: 'model', help: '.onnx, .safetensors, or a PyTorch zip checkpoint (.pth/.pt) holding a state dict' }],
  options: [
    { key: 'bufferPattern', type: 'string', defaultNote: DEFAULT_BUFFER_PATTERN.source, help: 'tensor names counted as buffers, not learnable (a regular expression)', valueName: '<regex>' },
    { key: 'tensors', type: 'boolean', default: false, help: 'list every tensor' },
  ],
  async run([model], o) {
    let pattern: RegExp | undefined;
    if (o.bufferPattern !== undefined) {
      try {
        pattern = new RegExp(o.bufferPattern);
      } catch (err) {
        throw new OptionError('bufferPattern', `not a regular expression: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const r = modelParams(model, { bufferPattern: pattern });
    const pick = (kind: TensorInfo['kind']) => Object.fromEntries(r.tensors.filter((t) => t.kind === kind).map((t) => [t.name, t.elements]));
    return {
      file: r.file,
      format: r.format,
      total: r.total,
      learnable: r.learnable,
      buffer_elements: r.buffers,
      buffers: pick('buffer'),
      per_tensor_learnable: pick('parameter'),
      layers: r.layers,
      bytes_by_dtype: r.bytesByDtype,
      ...(o.tensors ? { tensors: r.tensors } : {}),
    };
  },
});
