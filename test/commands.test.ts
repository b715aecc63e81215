// The command layer's own behaviour through the CLI: option ranges checked before any work with
// the flag named, thread counts clamped, progress on a non-terminal stderr, help examples, texts.
import * as os from 'os';
import * as path from 'path';
import { commands } from '../lib';
import { FIXTURES, cli, sharedFile } from './helpers';
import * as lib from '../lib';

const fx = (f: string) => path.join(FIXTURES, f);
const F = fx('features_40x6.npy');
const metrics = (f: string) => sharedFile('fixtures', 'metrics', f);

describe('absurd or invalid option values are refused up front, naming the flag', () => {
  const cases: Array<[string[], RegExp]> = [
    [['kid', F, F, '--subsets', '1e12'], /--subsets: expected at most 1000000, got '1e12'/],
    [['kid', F, F, '--subsets', '100000', '--subset-size', '100000'], /--subsets: 100000 subsets of 100000 are 10000000000 draws, which need 74\.5 GiB of row indices; .*\(lower --subsets or --subset-size\)/],
    [['fid', F, F, '--batch-size', '1e8'], /--batch-size: expected at most 4096, got '1e8'/],
    [['lpips', F, F, '--resize', '100000'], /--resize: expected at most 4096, got '100000'/],
    [['diversity', F, '--pairs', '1e12'], /--pairs: expected at most 10000000, got '1e12'/],
    [['fid', F, F, '--eps', '-1'], /--eps: expected a number >= 0, got '-1'/],
    [['fid', F, F, '--eps', 'abc'], /--eps: expected a number >= 0, got 'abc'/],
    [['kid', F, F, '--subset-size', '2.5'], /--subset-size: expected an integer >= 2, got '2.5'/],
    [['prdc', F, F, '--dc-test', '=<'], /--dc-test: expected '<' \(lt\) or '<=' \(le\), got '=<'/],
    [['kid', F, F, '--estimator', 'fast'], /--estimator: expected one of unbiased, biased, u-statistic, got 'fast'/],
    [['features', F], /--output: required/],
    [['vae', '--encoder', F, '--decoder', F, '--data', F, '--binarize', '1'], /--binarize: expected less than 1, got '1'/],
    [['cluster', '--labels', fx('blobs_300x4_labels.npy')], /pass --codes \(to cluster\) or --pred/],
  ];
  test.each(cases)('%j', (args, message) => {
    const r = cli(args);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
  });
});

test('more threads than cores are clamped with a notice; the result is the same', () => {
  const n = os.availableParallelism();
  const many = cli(['fid', F, fx('stats_6d_savez.npz'), '--threads', String(n + 3), '--json']);
  expect(many.code).toBe(0);
  expect(many.stderr).toContain(`genmetrics: --threads ${n + 3} is more than the ${n} cores; using ${n}`);
  const one = cli(['fid', F, fx('stats_6d_savez.npz'), '--threads', '1', '--json']);
  expect(JSON.parse(many.stdout).fid).toBeCloseTo(JSON.parse(one.stdout).fid, 12);
});

test('progress goes to a non-terminal stderr as plain lines; --quiet silences it', () => {
  const r = cli(['fid', metrics('real_3000x2048.npy'), metrics('fake_3000x2048.npy')]);
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/^genmetrics: moments: 3000\/3000 rows \(100%, \d+ rows\/s\)$/m);
  expect(r.stdout).toMatch(/^FID: /);
  const q = cli(['fid', metrics('real_3000x2048.npy'), metrics('fake_3000x2048.npy'), '-q']);
  expect(q.stderr).toBe('');
});

test('the IS summary says how many samples each split holds', () => {
  const r = cli(['is', metrics('logits_4000x1008.npy'), '--splits', '10', '-q']);
  expect(r.stdout).toMatch(/\(10 splits of 400 samples, 4000 in all, shuffled with seed 2020\)/);
  const odd = cli(['is', metrics('logits_4000x1008.npy'), '--splits', '7', '-q']);
  expect(odd.stdout).toMatch(/\(7 splits of 571-572 samples, 4000 in all/);
});

test('every command has --help with one example', () => {
  for (const c of commands) {
    const r = cli([...c.name.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Example:\n  genmetrics ${c.name.split(' ')[0]}`);
  }
});

describe('kid on features files reads only the rows its subsets draw', () => {
  test('the result equals KID on the whole matrices, bit for bit', async () => {
    const a = metrics('fake_3000x2048.npy');
    const b = metrics('real_3000x2048.npy');
    const r = await lib.kid(a, b, { subsets: 7, subsetSize: 300, seed: 11 });
    const whole = await lib.metrics.kid(lib.readFeatureMatrix(a), lib.readFeatureMatrix(b), { subsets: 7, subsetSize: 300, seed: 11 });
    expect('kid' in r && r.kid).toEqual({ mean: whole.mean, std: whole.std });
    expect(r.inputs.map((p) => [p.kind, p.count, p.dims])).toEqual([['features', 3000, 2048], ['features', 3000, 2048]]);
  });

  test('the drawn rows: distinct and sorted, the draws renumbered; read in runs equal to the rows of the whole file', () => {
    const { compactRows, readFeatureRows } = require('../lib/feature-rows');
    const { writeNpy } = require('../lib');
    const c = compactRows(Uint32Array.from([5, 2, 5, 9, 2, 3]));
    expect([Array.from(c.rows), Array.from(c.remapped)]).toEqual([[2, 3, 5, 9], [2, 0, 2, 3, 0, 1]]);
    const file = path.join(require('./helpers').tmpDir(), 'rows.npy');
    const data = Float64Array.from({ length: 12 * 3 }, (_, i) => i / 7);
    writeNpy(file, { dtype: 'float64', shape: [12, 3], data });
    const got = readFeatureRows(file, c.rows);
    expect([got.rows, got.dims, got.data.constructor.name]).toEqual([4, 3, 'Float64Array']);
    expect(Array.from(got.data)).toEqual([2, 3, 5, 9].flatMap((r) => Array.from(data.subarray(r * 3, r * 3 + 3))));
  });

  test('draws over half the rows: the file is mapped whole, the draws kept; fewer: the drawn rows read compactly', () => {
    const { readDrawnRows } = require('../lib/feature-rows');
    const { writeNpy } = require('../lib');
    const file = path.join(require('./helpers').tmpDir(), 'rows.npy');
    const data = Float32Array.from({ length: 10 * 3 }, (_, i) => i / 7);
    writeNpy(file, { dtype: 'float32', shape: [10, 3], data });
    const dense = Uint32Array.from([7, 1, 2, 7, 4, 9, 0]); // 6 distinct of 10
    const m = readDrawnRows(file, dense);
    expect([m.matrix.rows, m.matrix.dims, m.matrix.data.constructor.name, m.draws]).toEqual([10, 3, 'Float32Array', dense]);
    expect(Array.from(m.matrix.data)).toEqual(Array.from(data));
    // Copy-on-write: a write to the mapped array leaves the file as it was.
    m.matrix.data[0] = 42;
    expect(require('../lib').readNpy(file).data[0]).toBe(0);
    const sparse = Uint32Array.from([7, 1, 7, 4]); // 3 distinct
    const c = readDrawnRows(file, sparse);
    expect([c.matrix.rows, Array.from(c.draws)]).toEqual([3, [2, 0, 2, 1]]);
    expect(Array.from(c.matrix.data)).toEqual([1, 4, 7].flatMap((r) => Array.from(data.subarray(r * 3, r * 3 + 3))));
  });

  test('mapped: KID equals KID on the whole matrices bit for bit; an undrawn NaN is ignored, a drawn Inf named by its row', async () => {
    const a = metrics('fake_3000x2048.npy');
    const b = metrics('real_3000x2048.npy');
    const o = { subsets: 12, subsetSize: 400, seed: 5 }; // 4800 draws: over half of the 3000 rows
    const r = await lib.kid(a, b, o);
    const whole = await lib.metrics.kid(lib.readFeatureMatrix(a), lib.readFeatureMatrix(b), o);
    expect('kid' in r && r.kid).toEqual({ mean: whole.mean, std: whole.std });

    const { LegacyRandomState, writeNpy } = require('../lib');
    const n = 40;
    const rng = new LegacyRandomState(3);
    const drawn = new Set([...Array.from(rng.choice(n, 30)), ...Array.from(rng.choice(n, 30))] as number[]);
    const undrawn = [...Array(n).keys()].find((i) => !drawn.has(i))!;
    expect(undrawn).toBeDefined();
    const data = Float64Array.from({ length: n * 4 }, (_, i) => Math.cos(i));
    data[undrawn * 4 + 3] = NaN;
    const file = path.join(require('./helpers').tmpDir(), 'x.npy');
    writeNpy(file, { dtype: 'float64', shape: [n, 4], data });
    const args = ['kid', file, file, '--subsets', '1', '--subset-size', '30', '--seed', '3'];
    expect(cli([...args, '--json']).code).toBe(0);
    const last = Math.max(...drawn);
    data[last * 4 + 1] = -Infinity;
    writeNpy(file, { dtype: 'float64', shape: [n, 4], data });
    const bad = cli(args);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`x.npy: non-finite value (NaN or Inf) at row ${last}, column 1`);
  });

  test('a row no subset draws is never read (a NaN there does not stop the run); a drawn one is named by its row in the file', () => {
    const { LegacyRandomState, writeNpy } = require('../lib');
    const dir = require('./helpers').tmpDir();
    const n = 50;
    // The rows one subset of 10 draws from each set (the same file) with seed 3, as torch-fidelity draws them.
    const rng = new LegacyRandomState(3);
    const drawn = new Set([...Array.from(rng.choice(n, 10)), ...Array.from(rng.choice(n, 10))] as number[]);
    const undrawn = [...Array(n).keys()].find((i) => !drawn.has(i))!;
    const data = Float32Array.from({ length: n * 4 }, (_, i) => Math.sin(i));
    data[undrawn * 4 + 1] = NaN;
    const file = path.join(dir, 'x.npy');
    writeNpy(file, { dtype: 'float32', shape: [n, 4], data });
    const ok = cli(['kid', file, file, '--subsets', '1', '--subset-size', '10', '--seed', '3', '--json']);
    expect(ok.code).toBe(0);
    const first = Math.min(...drawn);
    data[first * 4 + 2] = Infinity;
    writeNpy(file, { dtype: 'float32', shape: [n, 4], data });
    const bad = cli(['kid', file, file, '--subsets', '1', '--subset-size', '10', '--seed', '3']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`x.npy: non-finite value (NaN or Inf) at row ${first}, column 2`);
  });
});
