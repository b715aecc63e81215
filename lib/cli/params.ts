import type { Command } from 'commander';
import { GenmetricsError } from '../errors';
import { DEFAULT_BUFFER_PATTERN, modelParams } from '../models/params';
import { makeContext, type CommonOptions } from './context';
import { withCommonOptions } from './options';

interface ParamsOptions extends CommonOptions {
  bufferPattern?: string;
  tensors?: boolean;
}

export function registerParams(program: Command): void {
  withCommonOptions(
    program
      .command('params')
      .description('model size of an .onnx, .safetensors or PyTorch .pth file (metadata only; pickles are parsed, never run): total, learnable, buffers, per tensor and layer, bytes by dtype')
      .argument('<model>', '.onnx, .safetensors, or a PyTorch zip checkpoint (.pth/.pt) holding a state dict')
      .option('--buffer-pattern <regex>', `tensor names counted as buffers, not learnable (default ${DEFAULT_BUFFER_PATTERN.source})`)
      .option('--tensors', 'list every tensor'),
  ).action((model: string, opts: ParamsOptions) => {
    const ctx = makeContext(opts);
    let pattern: RegExp | undefined;
    if (opts.bufferPattern !== undefined) {
      try {
        pattern = new RegExp(opts.bufferPattern);
      } catch (err) {
        throw new GenmetricsError(`--buffer-pattern: not a regular expression: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const r = modelParams(model, { bufferPattern: pattern });
    const buffers = Object.fromEntries(r.tensors.filter((t) => t.kind === 'buffer').map((t) => [t.name, t.elements]));
    const learnable = Object.fromEntries(r.tensors.filter((t) => t.kind === 'parameter').map((t) => [t.name, t.elements]));
    const fmt = (n: number) => n.toLocaleString('en-US');
    const lines = [
      `${model} (${r.format}): ${fmt(r.total)} elements in ${r.tensors.length} tensors: ${fmt(r.learnable)} learnable, ${fmt(r.buffers)} in buffers`,
      `bytes by dtype: ${Object.entries(r.bytesByDtype).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`,
      ...Object.entries(r.layers).map(([k, v]) => `  ${k.padEnd(40)} ${fmt(v).padStart(14)}`),
    ];
    if (opts.tensors) lines.push(...r.tensors.map((t) => `  ${t.name.padEnd(40)} ${t.dtype.padEnd(8)} (${t.shape.join(', ')}) ${fmt(t.elements)}${t.kind === 'buffer' ? ' [buffer]' : ''}`));
    ctx.print(
      {
        file: r.file,
        format: r.format,
        total: r.total,
        learnable: r.learnable,
        buffer_elements: r.buffers,
        buffers,
        per_tensor_learnable: learnable,
        layers: r.layers,
        bytes_by_dtype: r.bytesByDtype,
        ...(opts.tensors ? { tensors: r.tensors } : {}),
      },
      lines,
    );
  });
}
