import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { InferenceSession } from 'onnxruntime-node';
import { GenmetricsError, OptionError } from '../errors';
import type { ResolvedModel } from './registry';

export type Device = 'auto' | 'cpu' | 'cuda';

export interface SessionOptions {
  device?: Device;
  /** Intra-op threads for the CPU provider (default: the number of cores). */
  threads?: number;
  onNotice?: (message: string) => void;
  /** The model's bytes, when they differ from the file (e.g. with added outputs); default: read model.path. */
  bytes?: Uint8Array;
}

export interface ModelSession {
  session: InferenceSession;
  device: 'cpu' | 'cuda';
  model: ResolvedModel;
}

type Ort = typeof import('onnxruntime-node');
let ortModule: Ort | undefined;

export type OrtLogSeverity = 0 | 1 | 2 | 3 | 4;

/**
 * onnxruntime's log severity (0 verbose ... 3 error, 4 fatal). Default 4: every error onnxruntime
 * logs also reaches us as an exception, which is reported as a message, so its own colored
 * `[E:onnxruntime:...]` lines would only duplicate it on the terminal. GENMETRICS_ORT_LOG_LEVEL=0..4
 * turns its log back on for debugging.
 */
export function ortLogSeverity(): OrtLogSeverity {
  const v = Number(process.env.GENMETRICS_ORT_LOG_LEVEL);
  return process.env.GENMETRICS_ORT_LOG_LEVEL !== undefined && Number.isInteger(v) && v >= 0 && v <= 4 ? (v as OrtLogSeverity) : 4;
}

const LOG_LEVELS = ['verbose', 'info', 'warning', 'error', 'fatal'] as const;

/** How a CUDA 12 user adds onnxruntime-node's CUDA provider (its install script, denied by default in package.json's allowScripts). */
export const CUDA_INSTALL = 'ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js';

/** onnxruntime-node, loaded on first use (commands that run no network never pay for it). */
export function ort(): Ort {
  if (!ortModule) {
    // onnxruntime's Linux builds start a telemetry client (1DS) with the first session, which
    // creates $TMPDIR/mat-debug-<pid>.log and leaves it behind; this switch (read by the native
    // library at that point) keeps it off, unless the user set it.
    process.env.ORT_DISABLE_TELEMETRY ??= '1';
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ortModule = require('onnxruntime-node') as Ort;
    // The process-wide logger, set up with the first session (before its own severity applies).
    ortModule.env.logLevel = LOG_LEVELS[ortLogSeverity()];
  }
  return ortModule;
}


/** Whether onnxruntime-node's CUDA provider library was installed (see CUDA_INSTALL). */
export function cudaProviderInstalled(): boolean {
  const bin = path.join(path.dirname(require.resolve('onnxruntime-node/package.json')), 'bin');
  const walk = (dir: string): boolean =>
    fs.readdirSync(dir, { withFileTypes: true }).some((e) =>
      e.isDirectory() ? walk(path.join(dir, e.name)) : /^(lib)?onnxruntime_providers_cuda\.(so|dll)$/.test(e.name),
    );
  try {
    return walk(bin);
  } catch {
    return false;
  }
}

async function create(model: ResolvedModel, providers: string[], threads: number, bytes?: Uint8Array): Promise<InferenceSession> {
  const options: InferenceSession.SessionOptions = {
    executionProviders: providers,
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: ortLogSeverity(),
  };
  return bytes ? ort().InferenceSession.create(bytes, options) : ort().InferenceSession.create(model.path, options);
}

/**
 * An onnxruntime session on the requested device. `auto` uses CUDA when onnxruntime-node's CUDA
 * provider is installed and works, otherwise the CPU (with a notice when CUDA was there but failed);
 * `cuda` fails when it cannot run on CUDA.
 */
export async function openSession(model: ResolvedModel, options: SessionOptions = {}): Promise<ModelSession> {
  const device = options.device ?? 'auto';
  const threads = options.threads && options.threads > 0 ? options.threads : os.availableParallelism();
  if (device === 'cuda' || (device === 'auto' && cudaProviderInstalled())) {
    try {
      return { session: await create(model, ['cuda'], threads, options.bytes), device: 'cuda', model };
    } catch (err) {
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      if (device === 'cuda') {
        throw new OptionError(
          'device',
          `device cuda: cannot create a CUDA session (${why}). The CUDA provider is installed with '${CUDA_INSTALL}' (see README, GPU)`,
        );
      }
      options.onNotice?.(`CUDA unavailable (${why}); running on the CPU`);
    }
  }
  try {
    return { session: await create(model, ['cpu'], threads, options.bytes), device: 'cpu', model };
  } catch (err) {
    throw new GenmetricsError(`${model.path}: onnxruntime cannot load the model: ${err instanceof Error ? err.message : String(err)}`);
  }
}
