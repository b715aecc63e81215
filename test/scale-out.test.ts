/**
 * The scale-out service: `genmetrics serve --redis` with `genmetrics worker` processes through
 * BullMQ on a real redis-server (random loopback port, nothing persisted), over real HTTP.
 * 1, 2 and 3 workers give the FID, KID and P/R/D/C of the embedded mode and of the CLI to the last
 * bit, on features and on images; a worker killed mid-shard, a worker joining mid-job, a Redis
 * restarted mid-job and a shard that always fails; shard outputs and data files removed from the
 * blob directory once merged (or failed). Small fixtures (features 300 x 32, stacks of 24 tiny images through the
 * Inception twin): about a minute and a half on 2 cores.
 */
import * as fs from 'fs';
import * as path from 'path';
import { zipSync } from 'fflate';
import { writeNpy } from '../lib/io/npy';
import { cli, networkEnv, sharedFile, tmpDir } from './helpers';
import { Client, start, type Started } from './service-helpers';
import { freePort, startRedis, startWorker, type RedisServer, type WorkerProcess } from './scale-out-helpers';

// Workers and servers find the Inception twin by name; each server keeps its own feature cache (<data>/cache).
process.env.GENMETRICS_MODEL_DIR = networkEnv().GENMETRICS_MODEL_DIR;
delete process.env.GENMETRICS_CACHE_DIR;

const dir = tmpDir();
const lcg = (seed: number) => {
  let s = seed;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
};
const feats = (name: string, n: number, d: number, seed: number) => {
  const r = lcg(seed);
  const file = path.join(dir, name);
  writeNpy(file, { dtype: 'float32', shape: [n, d], data: Float32Array.from({ length: n * d }, () => r() / 2 ** 32 + (seed % 3) * 0.05) });
  return file;
};
const stack = (name: string, n: number, seed: number) => {
  const r = lcg(seed);
  const f = path.join(dir, name);
  writeNpy(f, { dtype: 'uint8', shape: [n, 48, 40, 3], data: Uint8Array.from({ length: n * 48 * 40 * 3 }, () => r() >>> 24) });
  return f;
};
const GEN = feats('gen.npy', 300, 32, 1);
const REF = feats('ref.npy', 280, 32, 2);
const GI = stack('gen_images.npy', 12, 11);
const RI = stack('ref_images.npy', 10, 12);
const GI2 = stack('gen_images2.npy', 16, 21);
const RI2 = stack('ref_images2.npy', 10, 22);
const GI3 = stack('gen_images3.npy', 40, 31);

/** The files under a folder (recursively; none when it does not exist). */
const filesUnder = (root: string): string[] =>
  fs.existsSync(root) ? (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(root, f)).isFile()) : [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * The files left under a folder once it settles: shard outputs go as their passes are merged; a
 * second copy of a shard still running then (a stalled shard put back, e.g. on a loaded machine)
 * is removed when it ends.
 */
const settled = async (root: string): Promise<string[]> => {
  for (let i = 0; i < 200 && filesUnder(root).length > 0; i++) await sleep(50);
  return filesUnder(root);
};

const KID = { subsets: 7, subsetSize: 16 };
/** Image sets are small (each extraction shard opens the network: about a second on these 2 cores). */
const IMAGE_KID = { subsets: 4, subsetSize: 8 };
const IMAGE = ['--mode', 'clean', '--model', 'inception-fid-twin'];
const kidFlags = (k: { subsets: number; subsetSize: number }) => ['--subsets', String(k.subsets), '--subset-size', String(k.subsetSize)];
/** The numbers: FID, KID, P/R/D/C (and IS for images), compared with toEqual (Object.is on every number). */
const numbers = (r: any) => ({ fid: r.fid, kid: r.kid, precision: r.precision, recall: r.recall, density: r.density, coverage: r.coverage, f_score: r.f_score, inception_score: r.inception_score });
const cliAll = (a: string, b: string, extra: string[] = [], k = KID) => {
  const r = cli(['all', a, b, ...kidFlags(k), ...extra, '--json', '-q'], { GENMETRICS_CACHE_DIR: tmpDir() });
  expect(r.stderr).toBe('');
  return numbers(JSON.parse(r.stdout));
};

describe('the scale-out service (BullMQ on a real redis-server)', () => {
  let redis: RedisServer;
  let s: Started;
  let blobs: string;
  const workers: WorkerProcess[] = [];
  const flags = () => ['--redis', redis.url, '--blobs', blobs, '--shard-rows', '64', '--shard-subsets', '3', '--shard-images', '8'];

  /** Exactly n live workers (started, or the last ones killed). */
  const useWorkers = async (n: number) => {
    while (workers.length > n) await workers.pop()!.stop();
    while (workers.length < n) workers.push(await startWorker(redis.url, blobs));
  };
  /** Forgets every shard and cached feature, so that the next run computes everything again. */
  const forget = () => {
    fs.rmSync(path.join(blobs, 'work'), { recursive: true, force: true });
    fs.rmSync(path.join(s.data, 'cache'), { recursive: true, force: true });
  };
  const evaluate = async (c: Client, generated: string, reference: string, metrics: string[], run: string, options = KID) => {
    const e = await c.req('POST', '/v1/evaluations', { json: { generated, reference, metrics, options, run } });
    expect([e.status, e.body.error]).toEqual([202, null]);
    return c.waitDone(e.body.id);
  };

  beforeAll(async () => {
    redis = await startRedis();
    blobs = tmpDir();
    s = await start(flags());
  });
  afterAll(async () => {
    await useWorkers(0);
    expect(await s.stop()).toBe(0);
    await redis.stop();
  });

  test('Redis down at start: serve and worker stop with a clear error naming the URL', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    for (const args of [['serve', '--port', '0', '--data', tmpDir()], ['worker', '--blobs', blobs]]) {
      const r = cli([...args, '--redis', url]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`--redis: cannot reach Redis at ${url} (connect ECONNREFUSED`);
    }
    expect(cli(['worker', '--redis', 'http://127.0.0.1:1', '--blobs', blobs]).stderr).toMatch(/--redis: expected a redis:\/\/ or rediss:\/\/ URL, got 'http:\/\/127.0.0.1:1'/);
  });

  test('features: 1, 2 and 3 workers give bit-identical FID, KID and P/R/D/C, equal to the embedded mode and the CLI', async () => {
    const w = new Client(s.base, s.tokens.writer);
    const [g, r] = [(await w.upload(GEN)).body.id, (await w.upload(REF)).body.id];
    const results = [];
    for (const n of [1, 2, 3]) {
      await useWorkers(n);
      forget();
      const before = workers.map((x) => x.done().length);
      const e = await evaluate(w, g, r, ['fid', 'kid', 'prdc'], `features-${n}`);
      expect([e.status, e.error]).toEqual(['done', null]);
      results.push(numbers(e.result));
      // Every worker took shards (3 passes of 4 or 5 parts or row blocks, the rechecks and 3 KID groups).
      for (const [i, x] of workers.entries()) expect(x.done().length).toBeGreaterThan(before[i] ?? 0);
      // Merged, then gone: no shard output nor data file is left in the blob directory.
      expect(await settled(path.join(blobs, 'work'))).toEqual([]);
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    expect(results[0].kid).toEqual({ mean: expect.any(Number), std: expect.any(Number) });
    expect(results[0]).toEqual(cliAll(GEN, REF));
    // The embedded mode (no Redis) on the same datasets.
    const embedded = await start(['--threads', '2']);
    try {
      const we = new Client(embedded.base, embedded.tokens.writer);
      const e = await evaluate(we, (await we.upload(GEN)).body.id, (await we.upload(REF)).body.id, ['fid', 'kid', 'prdc'], 'embedded');
      expect(numbers(e.result)).toEqual(results[0]);
    } finally {
      await embedded.stop();
    }
  });

  test('image datasets: extraction in shards of 8 images, then FID, KID, P/R/D/C and IS bit-identical for 1, 2 and 3 workers and equal to the CLI', async () => {
    const results = [];
    // One project per run: each uploads the stacks anew, so each extracts them again.
    for (const [n, token] of [[1, 'writer'], [2, 'other'], [3, 'admin']] as const) {
      await useWorkers(n);
      forget();
      const c = new Client(s.base, s.tokens[token]);
      const g = await c.upload(GI, '?mode=clean&model=inception-fid-twin');
      const r = await c.upload(RI, '?mode=clean&model=inception-fid-twin');
      expect([g.status, r.status, g.body.status]).toEqual([201, 201, 'processing']);
      const e = await evaluate(c, g.body.id, r.body.id, ['fid', 'kid', 'prdc', 'is'], `images-${n}`, IMAGE_KID);
      expect([e.status, e.error]).toEqual(['done', null]);
      expect((await c.req('GET', `/v1/datasets/${g.body.id}`)).body).toMatchObject({ status: 'ready', count: 12, dims: 2048 });
      // The evaluation read the features the workers' shards made (the cache entry the server assembled), not a pass of its own.
      expect(e.result.inputs.map((p: any) => p.images.cached)).toEqual([true, true]);
      expect(await settled(path.join(blobs, 'work'))).toEqual([]);
      results.push(numbers(e.result));
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    expect(results[0]).toEqual(cliAll(GI, RI, [...IMAGE, '--metrics', 'fid,kid,prdc,is'], IMAGE_KID));
  });

  test('a worker SIGKILLed mid-shard: its shard goes to another worker within seconds, and the result is the same', async () => {
    await useWorkers(2);
    forget();
    const c = new Client(s.base, s.tokens.writer);
    const t0 = Date.now();
    const g = await c.upload(GI2, '?mode=clean&model=inception-fid-twin');
    // Kill the first worker that starts an extraction shard of this dataset, as soon as it says so.
    const killed = await new Promise<{ id: string; at: number; victim: WorkerProcess }>((resolve) => {
      const t = setInterval(() => {
        for (const x of workers) {
          const started = x.events().find((ev) => ev.at >= t0 && ev.event === 'start' && ev.op === 'extract');
          if (!started) continue;
          clearInterval(t);
          x.child.kill('SIGKILL');
          resolve({ id: started.id, at: Date.now(), victim: x });
          return;
        }
      }, 5);
    });
    expect(killed.victim.done()).not.toContain(killed.id);
    const r = await c.upload(RI2, '?mode=clean&model=inception-fid-twin');
    const e = await evaluate(c, g.body.id, r.body.id, ['fid', 'kid', 'prdc'], 'killed', IMAGE_KID);
    expect([e.status, e.error]).toEqual(['done', null]);
    const survivor = workers.find((x) => x !== killed.victim)!;
    expect(survivor.done()).toContain(killed.id);
    const redone = survivor.events().find((ev) => ev.event === 'start' && ev.id === killed.id)!;
    const seconds = (redone.at - killed.at) / 1000;
    process.stderr.write(`scale-out: the killed worker's shard started again on another worker ${seconds.toFixed(2)} s after the kill\n`);
    // lockDuration 2.5 s, stalledInterval 1 s: the shard is back in the queue about 3.5 s after the kill.
    expect(seconds).toBeLessThan(10);
    workers.splice(workers.indexOf(killed.victim), 1);
    expect(numbers(e.result)).toEqual(cliAll(GI2, RI2, [...IMAGE, '--metrics', 'fid,kid,prdc'], IMAGE_KID));
  });

  test('a worker joining mid-job takes the waiting shards at once, and the result is the same', async () => {
    await useWorkers(1);
    forget();
    const c = new Client(s.base, s.tokens.writer);
    const t0 = Date.now();
    // 40 images: 5 extraction shards of 8 (about a second each here).
    const g = await c.upload(GI3, '?mode=clean&model=inception-fid-twin');
    expect([g.status, g.body.status]).toEqual([201, 'processing']);
    while (!workers[0].events().some((ev) => ev.at >= t0 && ev.event === 'start' && ev.op === 'extract')) await sleep(10);
    const doneBefore = workers[0].done().length;
    // From the launch: a worker may take its first shard before it prints that it is ready.
    const launched = Date.now();
    await useWorkers(2);
    const late = workers[1];
    const r = await c.upload(RI2, '?mode=clean&model=inception-fid-twin');
    const e = await evaluate(c, g.body.id, r.body.id, ['fid', 'kid', 'prdc'], 'joined', IMAGE_KID);
    expect([e.status, e.error]).toEqual(['done', null]);
    const first = late.events().find((ev) => ev.event === 'start');
    expect(first).toBeDefined();
    const seconds = (first!.at - launched) / 1000;
    process.stderr.write(`scale-out: the worker that joined mid-job started its first shard ${seconds.toFixed(2)} s after it was launched\n`);
    // Node's start, the modules and the Redis connection: seconds, where a poll for new work would add BullMQ's.
    expect(seconds).toBeLessThan(6);
    // It took extraction shards of the dataset that was already being extracted when it joined.
    expect(late.events().filter((ev) => ev.event === 'done' && ev.op === 'extract').length).toBeGreaterThan(0);
    expect(workers[0].done().length).toBeGreaterThan(doneBefore);
    expect(await settled(path.join(blobs, 'work'))).toEqual([]);
    expect(numbers(e.result)).toEqual(cliAll(GI3, RI2, [...IMAGE, '--metrics', 'fid,kid,prdc'], IMAGE_KID));
  });

  test('Redis restarted (empty) mid-job: the lost shards are queued again and the job ends with the same result', async () => {
    await useWorkers(2);
    forget();
    const c = new Client(s.base, s.tokens.other);
    const g = await c.upload(GI2, '?mode=clean&model=inception-fid-twin');
    const r = await c.upload(RI2, '?mode=clean&model=inception-fid-twin');
    const posted = await c.req('POST', '/v1/evaluations', { json: { generated: g.body.id, reference: r.body.id, metrics: ['fid', 'kid', 'prdc'], options: IMAGE_KID, run: 'redis-restart' } });
    // After the first shard is done, Redis goes away (every job and lock lost) and comes back empty on the same port.
    while (!workers.some((x) => x.done().length > 0)) await new Promise((res) => setTimeout(res, 10));
    const doneBefore = workers.reduce((a, x) => a + x.done().length, 0);
    await redis.stop();
    await new Promise((res) => setTimeout(res, 1500));
    redis = await startRedis(redis.port);
    const e = await c.waitDone(posted.body.id);
    expect([e.status, e.error]).toEqual(['done', null]);
    expect(workers.reduce((a, x) => a + x.done().length, 0)).toBeGreaterThan(doneBefore);
    expect((await c.req('GET', `/v1/datasets/${g.body.id}`)).body).toMatchObject({ status: 'ready', count: 16 });
    expect(numbers(e.result)).toEqual(cliAll(GI2, RI2, [...IMAGE, '--metrics', 'fid,kid,prdc'], IMAGE_KID));
  });

  test('a shard that always fails: the dataset and the evaluation waiting for it end failed with the worker message', async () => {
    await useWorkers(2);
    forget();
    const c = new Client(s.base, s.tokens.admin);
    const png = (n: string) => new Uint8Array(fs.readFileSync(sharedFile('fixtures', 'images', n)));
    const entries: Record<string, Uint8Array> = {};
    for (let i = 0; i < 10; i++) entries[`img${String(i).padStart(2, '0')}.png`] = png(`img0${i % 6}_32x32_RGB.png`);
    // The tenth image is cut short: its shard (images [8, 10)) fails on every attempt.
    entries['img09.png'] = entries['img09.png'].subarray(0, 120);
    const zip = path.join(dir, 'bad.zip');
    fs.writeFileSync(zip, zipSync(entries));
    const ds = await c.req('POST', '/v1/datasets?mode=clean&model=inception-fid-twin', { body: fs.readFileSync(zip), type: 'application/octet-stream' });
    expect([ds.status, ds.body.status, ds.body.count]).toEqual([201, 'processing', 10]);
    const ref = await c.upload(RI, '?mode=clean&model=inception-fid-twin');
    const e = await c.req('POST', '/v1/evaluations', { json: { generated: ds.body.id, reference: ref.body.id, metrics: ['fid'], run: 'bad' } });
    expect(e.status).toBe(202);
    const done = await c.waitDone(e.body.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(new RegExp(`^dataset ${ds.body.id}: extract shard images \\[8, 10\\) of .* failed 3 times: .*img09\\.png`));
    const failed = (await c.req('GET', `/v1/datasets/${ds.body.id}`)).body;
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/failed 3 times: .*img09\.png/);
    // The worker said why, on each attempt.
    expect(workers.map((x) => x.log()).join('')).toMatch(/img09\.png/);
    // The failed dataset's shards leave nothing behind (one still computing when the job failed
    // is removed when it ends).
    expect(await settled(path.join(blobs, 'work'))).toEqual([]);
  });
});
