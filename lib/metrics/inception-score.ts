/**
 * Inception Score (Salimans et al. 2016): IS = exp(E_x KL(p(y|x) || p(y))), computed per split
 * and reported as the mean and the population std (ddof 0) over splits, with torch-fidelity's
 * conventions: float64 softmax of the logits (`logits_unbiased`, 1008 classes, for the FID
 * Inception), 10 splits at i*N/splits, rows shuffled by NumPy's RandomState(2020).permutation.
 */
import { IS_SEED, IS_SPLITS } from '../defaults';
import { GenmetricsError, OptionError } from '../errors';
import { LegacyRandomState } from '../random/mt19937';

export interface InceptionScoreOptions {
  splits?: number;
  /** Shuffle rows before splitting (torch-fidelity: yes). */
  shuffle?: boolean;
  /** Seed of the legacy NumPy RandomState used to shuffle (torch-fidelity: 2020). */
  seed?: number;
}

export interface InceptionScoreResult {
  mean: number;
  std: number;
  /** The score of each split, in order. */
  perSplit: number[];
  splits: number;
  shuffle: boolean;
  seed: number;
  count: number;
}

/** logits: N x C row-major (float32 or float64). `where` names the input in errors. */
export function inceptionScore(
  logits: Float32Array | Float64Array,
  rows: number,
  classes: number,
  options: InceptionScoreOptions = {},
  where = 'logits',
): InceptionScoreResult {
  const splits = options.splits ?? IS_SPLITS;
  const shuffle = options.shuffle ?? true;
  const seed = options.seed ?? IS_SEED;
  if (!Number.isInteger(splits) || splits < 1) throw new OptionError('splits', `expected a positive integer, got ${splits}`);
  if (classes < 2) throw new GenmetricsError(`${where}: need at least 2 classes, got ${classes}`);
  if (rows < splits) throw new GenmetricsError(`${where}: ${rows} samples cannot make ${splits} splits`);
  if (logits.length !== rows * classes) throw new GenmetricsError(`${where}: expected ${rows} x ${classes} values, got ${logits.length}`);

  // log p(y|x) per row, by a max-shifted log-sum-exp.
  const logp = new Float64Array(rows * classes);
  const prob = new Float64Array(rows * classes);
  for (let i = 0; i < rows; i++) {
    const o = i * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      const v = logits[o + c];
      if (!Number.isFinite(v)) throw new GenmetricsError(`${where}: non-finite value (NaN or Inf) at row ${i}, column ${c}`);
      if (v > max) max = v;
    }
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(logits[o + c] - max);
    const lse = max + Math.log(s);
    for (let c = 0; c < classes; c++) {
      logp[o + c] = logits[o + c] - lse;
      prob[o + c] = Math.exp(logp[o + c]);
    }
  }

  const order = shuffle ? new LegacyRandomState(seed).permutation(rows) : null;
  const perSplit: number[] = [];
  const q = new Float64Array(classes);
  for (let k = 0; k < splits; k++) {
    const start = Math.floor((k * rows) / splits);
    const end = Math.floor(((k + 1) * rows) / splits);
    q.fill(0);
    for (let r = start; r < end; r++) {
      const o = (order ? order[r] : r) * classes;
      for (let c = 0; c < classes; c++) q[c] += prob[o + c];
    }
    for (let c = 0; c < classes; c++) q[c] = Math.log(q[c] / (end - start));
    // mean over the split of KL(p(y|x) || p(y)) = sum_c p (log p - log q)
    let kl = 0;
    for (let r = start; r < end; r++) {
      const o = (order ? order[r] : r) * classes;
      let row = 0;
      for (let c = 0; c < classes; c++) row += prob[o + c] * (logp[o + c] - q[c]);
      kl += row;
    }
    perSplit.push(Math.exp(kl / (end - start)));
  }
  const mean = perSplit.reduce((a, b) => a + b, 0) / splits;
  const std = Math.sqrt(perSplit.reduce((a, b) => a + (b - mean) ** 2, 0) / splits);
  return { mean, std, perSplit, splits, shuffle, seed, count: rows };
}
