/**
 * The latent codes a generator is run on: N(0, I) rows from NumPy's legacy RandomState(seed), as
 * torch-fidelity draws them (`rng.randn(batch, z)` cast to float32, rows in order), with the class
 * labels of a conditional model drawn after each block's codes (`rng.randint(0, classes, batch)`).
 *
 * torch-fidelity draws codes and labels per batch of its `batch_size` (64 by default), so its
 * conditional samples change with the batch size. Here the blocks are always 64 rows, whatever
 * batch the networks run with: codes and labels equal torch-fidelity's at its default, and a seed
 * gives the same samples at any batch size and thread count. (Unconditional codes do not depend on
 * the blocks: `randn` continues one stream.)
 */
import { OptionError } from '../errors';
import { LegacyRandomState } from '../random/mt19937';

/** Rows drawn together (codes, then labels): torch-fidelity's default batch_size. */
export const LATENT_BLOCK = 64;

export type TruncationMethod = 'scale' | 'resample';

export interface Truncation {
  psi: number;
  /** scale: z * psi (w_avg + psi (w - w_avg) with a mapping network); resample: BigGAN's
   *  truncation trick, every entry with |z| > psi drawn again from the same stream. */
  method: TruncationMethod;
}

/** resample needs about 1.25 / psi draws per entry: smaller thresholds would take hours. */
export const MIN_RESAMPLE_PSI = 0.05;

export interface LatentSpec {
  seed: number;
  /** Entries per code. */
  dims: number;
  /** Rows in all (the last block is shorter, as torch-fidelity's last batch). */
  count: number;
  /** Labels in [0, classes) for a conditional model; 0 or absent: none. */
  classes?: number;
  truncation?: Truncation;
}

export function checkTruncation(t: Truncation | undefined): void {
  if (!t) return;
  if (!Number.isFinite(t.psi) || t.psi < 0) throw new OptionError('truncation', `expected a number >= 0, got ${t.psi}`);
  if (t.method === 'resample' && t.psi < MIN_RESAMPLE_PSI) {
    throw new OptionError('truncation', `the resample method draws every entry with |z| > psi again, which needs psi >= ${MIN_RESAMPLE_PSI}; got ${t.psi}`);
  }
}

export interface LatentBatch {
  /** rows x dims, row-major. */
  z: Float32Array;
  /** One label per row (int64, as torch-fidelity passes them), for a conditional model. */
  labels?: BigInt64Array;
  rows: number;
}

/** Codes (and labels) rows [0, count) in order, handed out in batches of any size. */
export class LatentStream {
  private readonly rng: LegacyRandomState;
  private block: LatentBatch = { z: new Float32Array(0), rows: 0 };
  private used = 0;
  private drawn = 0;
  /** Rows handed out so far. */
  position = 0;

  constructor(private readonly spec: LatentSpec) {
    if (!Number.isInteger(spec.dims) || spec.dims < 1) throw new OptionError('generator', `the latent code needs at least one entry, got ${spec.dims}`);
    checkTruncation(spec.truncation);
    this.rng = new LegacyRandomState(spec.seed);
  }

  /** The next `rows` rows (fewer at the end). */
  next(rows: number): LatentBatch {
    const { dims } = this.spec;
    const n = Math.min(rows, this.spec.count - this.position);
    const out: LatentBatch = { z: new Float32Array(n * dims), rows: n, labels: this.spec.classes ? new BigInt64Array(n) : undefined };
    for (let r = 0; r < n; r++) {
      if (this.used === this.block.rows) this.refill();
      out.z.set(this.block.z.subarray(this.used * dims, (this.used + 1) * dims), r * dims);
      if (out.labels) out.labels[r] = this.block.labels![this.used];
      this.used++;
    }
    this.position += n;
    return out;
  }

  private refill(): void {
    const { dims, classes, truncation } = this.spec;
    const rows = Math.min(LATENT_BLOCK, this.spec.count - this.drawn);
    const z = new Float32Array(rows * dims);
    const psi = truncation?.psi ?? 1;
    for (let i = 0; i < z.length; i++) {
      let v = this.rng.standardNormal();
      if (truncation?.method === 'resample') while (Math.abs(v) > psi) v = this.rng.standardNormal();
      z[i] = v;
    }
    // Scaling the float32 code (the generator's input), as z * psi on a float32 tensor.
    if (truncation?.method === 'scale') for (let i = 0; i < z.length; i++) z[i] = Math.fround(z[i] * psi);
    let labels: BigInt64Array | undefined;
    if (classes) {
      labels = new BigInt64Array(rows);
      for (let r = 0; r < rows; r++) labels[r] = BigInt(this.rng.interval(classes - 1));
    }
    this.block = { z, labels, rows };
    this.used = 0;
    this.drawn += rows;
  }
}
