import { GenmetricsError } from '../errors';
import { native, type NativeMoments } from '../native';
import type { PartialStatistics, Statistics } from './statistics';

/**
 * Streaming mean and covariance (float64, ddof = 1 like np.cov) of feature vectors, computed by the
 * native core with a blocked, multi-threaded rank-k update. Accumulators merge exactly.
 */
export class RunningMoments {
  private readonly impl: NativeMoments;

  constructor(readonly dims: number) {
    if (!Number.isInteger(dims) || dims <= 0) throw new GenmetricsError(`dimension must be a positive integer, got ${dims}`);
    this.impl = new (native().Moments)(dims);
  }

  get count(): number {
    return this.impl.count;
  }

  /** Adds `batch` (rows x dims, row-major). `firstRow` numbers rows in error messages. */
  async update(batch: Float32Array | Float64Array, options: { threads?: number; firstRow?: number } = {}): Promise<void> {
    if (batch.length % this.dims !== 0) {
      throw new GenmetricsError(`batch of ${batch.length} values is not a whole number of ${this.dims}-d rows`);
    }
    await this.impl.update(batch, batch.length / this.dims, options.threads ?? 0, options.firstRow ?? 0);
  }

  merge(other: RunningMoments): void {
    if (other.dims !== this.dims) {
      throw new GenmetricsError(`cannot merge ${other.dims}-d statistics into ${this.dims}-d statistics`);
    }
    this.impl.merge(other.impl);
  }

  toPartial(): PartialStatistics {
    const s = this.impl.state();
    return { dims: this.dims, n: s.n, shift: s.shift, sum: s.sum, sumOuter: s.sumOuter };
  }

  static fromPartial(p: PartialStatistics): RunningMoments {
    const m = new RunningMoments(p.dims);
    m.impl.setState(p.n, p.shift, p.sum, p.sumOuter);
    return m;
  }

  /** Mean and covariance; needs at least 2 samples. */
  finalize(): Statistics {
    if (this.count < 2) {
      throw new GenmetricsError(`need at least 2 samples to estimate a covariance, got ${this.count}`);
    }
    const { mean, cov } = this.impl.finalize();
    return { dims: this.dims, mu: mean, sigma: cov, count: this.count };
  }
}

/** Mean and covariance (ddof 1) of a whole feature matrix, or of its rows `rows`. */
export async function statisticsOfMatrix(m: { data: Float32Array | Float64Array; rows: number; dims: number }, threads = 0, rows?: ArrayLike<number>): Promise<Statistics> {
  const moments = new RunningMoments(m.dims);
  if (!rows) {
    await moments.update(m.data, { threads });
  } else {
    // The picked rows gathered a block at a time: memory stays one block whatever the subset's size.
    const d = m.dims;
    const BLOCK = 4096;
    const block = new Float64Array(Math.min(BLOCK, rows.length) * d);
    for (let q0 = 0; q0 < rows.length; q0 += BLOCK) {
      const count = Math.min(BLOCK, rows.length - q0);
      for (let q = 0; q < count; q++) block.set(m.data.subarray(rows[q0 + q] * d, (rows[q0 + q] + 1) * d), q * d);
      await moments.update(block.subarray(0, count * d), { threads });
    }
  }
  return moments.finalize();
}
