/**
 * Crash safety of the service: SIGKILL in the middle of an upload and of an evaluation, then a
 * restart over the same data. The database passes integrity_check, nothing partial is visible,
 * the interrupted evaluation is re-queued and ends with the result an uninterrupted run gives.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { writeNpy } from '../lib/io/npy';
import { Store } from '../lib/service/store';
import { cli, tmpDir } from './helpers';
import { Client, start } from './service-helpers';

const dir = tmpDir();
const file = (name: string, n: number, d: number, seed: number) => {
  let s = seed;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const f = path.join(dir, name);
  writeNpy(f, { dtype: 'float32', shape: [n, d], data: Float32Array.from({ length: n * d }, () => rnd()) });
  return f;
};

function checkStore(data: string): { datasets: number; evaluations: { id: string; status: string; attempts: number }[] } {
  const store = new Store(data);
  try {
    expect(store.integrityCheck()).toBe('ok');
    return {
      datasets: (store.db.prepare('SELECT COUNT(*) AS n FROM datasets').get() as { n: number }).n,
      evaluations: store.db.prepare('SELECT id, status, attempts FROM evaluations ORDER BY seq').all() as { id: string; status: string; attempts: number }[],
    };
  } finally {
    store.close();
  }
}

test('SIGKILL mid-upload: after a restart no dataset, blob or temporary file is left, and uploads work', async () => {
  const big = file('big.npy', 4000, 256, 3); // 4 MB
  const s = await start();
  const url = new URL(`${s.base}/v1/datasets`);
  // Send the first half, then kill the server while the body is still coming.
  const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { authorization: `Bearer ${s.tokens.writer}`, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' } });
  req.on('error', () => undefined);
  const bytes = fs.readFileSync(big);
  req.write(bytes.subarray(0, bytes.length >> 1));
  await new Promise((r) => setTimeout(r, 300));
  const partial = fs.readdirSync(path.join(s.data, 'blobs', 'tmp'));
  expect(partial.length).toBe(1); // the upload was being written
  await s.kill9();
  req.destroy();
  expect(checkStore(s.data).datasets).toBe(0);
  const again = await start([], s.data, s.tokens);
  try {
    expect(fs.readdirSync(path.join(s.data, 'blobs', 'tmp'))).toEqual([]);
    const blobs = fs.readdirSync(path.join(s.data, 'blobs')).filter((d) => d !== 'tmp');
    expect(blobs).toEqual([]);
    const w = new Client(again.base, s.tokens.writer);
    const up = await w.upload(big);
    expect([up.status, up.body.count]).toEqual([201, 4000]);
  } finally {
    expect(await again.stop()).toBe(0);
  }
});

test('SIGKILL mid-evaluation: re-queued at restart, finished with the uninterrupted result, nothing duplicated', async () => {
  const gen = file('gen.npy', 600, 512, 5);
  const ref = file('ref.npy', 600, 512, 6);
  const s = await start();
  const w = new Client(s.base, s.tokens.writer);
  const g = (await w.upload(gen)).body.id;
  const r = (await w.upload(ref)).body.id;
  const done = await w.waitDone((await w.req('POST', '/v1/evaluations', { json: { generated: g, reference: r, metrics: ['fid'] } })).body.id);
  expect(done.status).toBe('done');
  // A KID long enough to be caught running (about 2 s on 2 cores).
  const options = { subsets: 3000, subsetSize: 300, seed: 9 };
  const ev = (await w.req('POST', '/v1/evaluations', { json: { generated: g, reference: r, metrics: ['kid'], options } })).body;
  for (let i = 0; i < 400; i++) {
    const now = (await w.req('GET', `/v1/evaluations/${ev.id}`)).body;
    if (now.status === 'running' && now.progress) break;
    await new Promise((res) => setTimeout(res, 25));
  }
  await s.kill9();
  const after = checkStore(s.data);
  expect(after.datasets).toBe(2);
  expect(after.evaluations.map((e) => [e.status, e.attempts])).toEqual([
    ['done', 1],
    ['running', 1],
  ]);
  const again = await start([], s.data, s.tokens);
  try {
    const w2 = new Client(again.base, s.tokens.writer);
    const finished = await w2.waitDone(ev.id);
    expect([finished.status, finished.attempts]).toEqual(['done', 2]);
    const c = cli(['kid', gen, ref, '--json', '-q', '--subsets', '3000', '--subset-size', '300', '--seed', '9']);
    expect(finished.result.kid).toEqual(JSON.parse(c.stdout).kid);
    // The finished FID is still there, once; the list has the two evaluations only.
    const list = (await w2.req('GET', '/v1/evaluations')).body.evaluations;
    expect(list.map((e: { id: string; status: string }) => [e.id, e.status])).toEqual([
      [done.id, 'done'],
      [ev.id, 'done'],
    ]);
    expect(list[0].result).toEqual(done.result);
  } finally {
    expect(await again.stop()).toBe(0);
  }
  expect(checkStore(s.data).evaluations.every((e) => e.status === 'done')).toBe(true);
});

test('SIGKILL mid-extraction of an image dataset: taken again at restart, ready, with the CLI numbers', async () => {
  let q = 21;
  const stack = path.join(dir, 'stack.npy');
  writeNpy(stack, { dtype: 'uint8', shape: [48, 64, 64, 3], data: Uint8Array.from({ length: 48 * 64 * 64 * 3 }, () => (q = (Math.imul(q, 1664525) + 1013904223) >>> 0) >>> 24) });
  const s = await start();
  const w = new Client(s.base, s.tokens.writer);
  const up = (await w.upload(stack, '?model=inception-fid-twin')).body;
  expect(up.status).toBe('processing');
  for (let i = 0; i < 400; i++) {
    if ((await w.req('GET', `/v1/datasets/${up.id}`)).body.progress?.done > 0) break;
    await new Promise((res) => setTimeout(res, 25));
  }
  await s.kill9();
  const again = await start([], s.data, s.tokens);
  try {
    const w2 = new Client(again.base, s.tokens.writer);
    const ev = (await w2.req('POST', '/v1/evaluations', { json: { generated: up.id, metrics: ['is'], options: { splits: 3 } } })).body;
    const done = await w2.waitDone(ev.id);
    expect(done.status).toBe('done');
    expect((await w2.req('GET', `/v1/datasets/${up.id}`)).body).toMatchObject({ status: 'ready', count: 48 });
    const c = JSON.parse(cli(['is', stack, '--model', 'inception-fid-twin', '--splits', '3', '--json', '-q']).stdout);
    expect(done.result.inception_score).toEqual(c.inception_score);
  } finally {
    expect(await again.stop()).toBe(0);
  }
  const store = new Store(s.data);
  try {
    expect(store.integrityCheck()).toBe('ok');
    expect(store.datasetById(up.id)!.attempts).toBe(2);
  } finally {
    store.close();
  }
});
