import * as fs from 'fs';
import { GenmetricsError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import type { ResizeMode } from '../images/preprocess';

/** How features were made: recorded beside feature files (`F.npy.json`) and inside statistics (.npz). */
export interface Preprocessing {
  mode: ResizeMode;
  model: { name: string; sha256: string };
}

export const META_KEY = 'genmetrics_meta';

export function sidecarPath(npy: string): string {
  return `${npy}.json`;
}

/** The preprocessing recorded beside a features .npy, if any. */
export function readSidecar(npy: string): Preprocessing | undefined {
  const file = sidecarPath(npy);
  if (!fs.existsSync(file)) return undefined;
  try {
    const m = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof m.mode === 'string' && m.model && typeof m.model.sha256 === 'string') return m as Preprocessing;
  } catch {
    // fall through
  }
  throw new GenmetricsError(`${file}: unreadable feature metadata (expected JSON with 'mode' and 'model'); delete it if the features are yours`);
}

export function writeSidecar(npy: string, meta: Record<string, unknown>): void {
  writeFileAtomic(sidecarPath(npy), Buffer.from(`${JSON.stringify(meta, null, 1)}\n`));
}

/** Refuses to compare features made with different preprocessing or networks. */
export function requireSameOrigin(a: { path: string; preprocessing?: Preprocessing }, b: { path: string; preprocessing?: Preprocessing }): void {
  const pa = a.preprocessing;
  const pb = b.preprocessing;
  if (!pa || !pb) return;
  if (pa.mode !== pb.mode) {
    throw new GenmetricsError(
      `mixed preprocessing modes: ${a.path} was made with '${pa.mode}', ${b.path} with '${pb.mode}'; their features are not comparable (use the same option mode for both)`,
    );
  }
  if (pa.model.sha256 !== pb.model.sha256) {
    throw new GenmetricsError(
      `different networks: ${a.path} comes from ${pa.model.name} (${pa.model.sha256.slice(0, 12)}), ${b.path} from ${pb.model.name} (${pb.model.sha256.slice(0, 12)})`,
    );
  }
}
