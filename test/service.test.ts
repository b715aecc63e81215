/**
 * The scoring service over real HTTP on loopback (a random port): uploads, evaluations whose
 * results equal the CLI's --json to the last bit, deduplication, SSE order, the auth matrix and
 * the limits. Fixtures are small so the suite stays quick.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeNpy } from '../lib/io/npy';
import { writeStatistics } from '../lib/stats/statistics';
import { zipSync } from 'fflate';
import { cli, FIXTURES, referenceImages, sharedFile, tmpDir } from './helpers';
import { Client, start, type Res, type Started } from './service-helpers';
import { twinGenerator, twinMapping } from './onnx-builder';

// Small feature sets: 300 x 64 (KID subsets of 100, P/R/D/C exact in float64 and float32 alike).
const dir = tmpDir();
const feats = (name: string, n: number, d: number, seed: number) => {
  let s = seed;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const file = path.join(dir, name);
  writeNpy(file, { dtype: 'float32', shape: [n, d], data: Float32Array.from({ length: n * d }, () => rnd() + (seed % 3) * 0.05) });
  return file;
};
const GEN = feats('gen.npy', 300, 64, 1);
const REF = feats('ref.npy', 320, 64, 2);

describe('the scoring service over HTTP', () => {
  let s: Started;
  let w: Client;
  beforeAll(async () => {
    s = await start();
    w = new Client(s.base, s.tokens.writer);
  });
  afterAll(async () => {
    // SIGTERM drains and exits 0.
    expect(await s.stop()).toBe(0);
  });

  test('healthz needs no token; the OpenAPI document lists the routes', async () => {
    const h = await w.req('GET', '/healthz', { token: null });
    expect(h.status).toBe(200);
    expect(h.body).toEqual({ status: 'ok', version: require('../package.json').version });
    const doc = await w.req('GET', '/openapi.json', { token: null });
    expect(doc.status).toBe(200);
    const docs = await fetch(`${s.base}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/datasets', '/v1/datasets/{id}', '/v1/evaluations', '/v1/evaluations/{id}', '/v1/evaluations/{id}/events', '/v1/tokens', '/v1/tokens/{id}']));
  });

  test('upload features and statistics; the same bytes again give the same dataset', async () => {
    const a = await w.upload(GEN, '?name=gen');
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ kind: 'features', count: 300, dims: 64, name: 'gen', public: false });
    expect(a.body.sha256).toBe(require('crypto').createHash('sha256').update(fs.readFileSync(GEN)).digest('hex'));
    const again = await w.upload(GEN);
    expect([again.status, again.body.id]).toEqual([200, a.body.id]);
    const list = await w.req('GET', '/v1/datasets');
    expect(list.body.datasets.map((d: any) => d.id)).toEqual([a.body.id]);
  });

  for (const metric of ['fid', 'kid', 'prdc', 'all'] as const) {
    test(`${metric}: the result equals the CLI's --json on the same files to the last bit`, async () => {
      const g = (await w.upload(GEN)).body.id;
      const r = (await w.upload(REF)).body.id;
      const options = metric === 'kid' || metric === 'all' ? { subsets: 5, subsetSize: 100 } : {};
      const posted = await w.req('POST', '/v1/evaluations', { json: { generated: g, reference: r, metrics: [metric], options } });
      expect(posted.status).toBe(202);
      const done = await w.waitDone(posted.body.id);
      expect(done.status).toBe('done');
      const flags = metric === 'kid' || metric === 'all' ? ['--subsets', '5', '--subset-size', '100'] : [];
      const c = cli([metric, GEN, REF, '--json', '-q', ...flags]);
      expect(c.code).toBe(0);
      const expected = JSON.parse(c.stdout);
      expected.inputs = expected.inputs.map((p: any, i: number) => ({ ...p, path: `dataset:${[g, r][i]}` }));
      expect(done.result).toEqual(expected);
      expect(done.provenance).toMatchObject({ command: metric, genmetrics: require('../package.json').version });
      // The same request again: the same evaluation.
      const dup = await w.req('POST', '/v1/evaluations', { json: { generated: g, reference: r, metrics: [metric], options } });
      expect([dup.status, dup.body.id]).toEqual([200, posted.body.id]);
    });
  }

  test("several metrics run as all --metrics, each measure equal to the CLI's; one-set vendi takes no reference", async () => {
    const g = (await w.upload(GEN)).body.id;
    const r = (await w.upload(REF)).body.id;
    const posted = await w.req('POST', '/v1/evaluations', { json: { generated: g, reference: r, metrics: ['fid', 'mifid', 'c2st', 'authpct'] } });
    expect([posted.status, posted.body.error]).toEqual([202, null]);
    const done = await w.waitDone(posted.body.id);
    expect(done.status).toBe('done');
    const c = JSON.parse(cli(['all', GEN, REF, '--metrics', 'fid,mifid,c2st,authpct', '--json', '-q']).stdout);
    c.inputs = c.inputs.map((p: any, i: number) => ({ ...p, path: `dataset:${[g, r][i]}` }));
    expect(done.result).toEqual(c);
    expect(done.result.metrics).toEqual(['fid', 'mifid', 'c2st', 'authpct']);
    const vendi = await w.waitDone((await w.req('POST', '/v1/evaluations', { json: { generated: g, metrics: ['vendi'], options: { q: '1,inf' } } })).body.id);
    expect(vendi.result.vendi).toEqual(JSON.parse(cli(['vendi', GEN, '--q', '1,inf', '--json', '-q']).stdout).vendi);
    const bad = await w.req('POST', '/v1/evaluations', { json: { generated: g, reference: r, metrics: ['fid', 'parzen'] } });
    expect([bad.status, bad.body.error.field]).toEqual([400, 'metrics']);
    expect(bad.body.error.message).toMatch(/unknown metric 'parzen'; expected fid, kid, prdc, is, all, vendi, mifid, authpct, c2st, fd-inf, ndb, prd, realism/);
  });

  test('FID from uploaded statistics; statistics refused for KID with a reason', async () => {
    const stats = path.join(dir, 'ref_stats.npz');
    const c0 = cli(['stats', REF, '-o', stats, '-q']);
    expect(c0.code).toBe(0);
    const st = await w.upload(stats);
    expect(st.body).toMatchObject({ kind: 'statistics', dims: 64 });
    const g = (await w.upload(GEN)).body.id;
    const done = await w.waitDone((await w.req('POST', '/v1/evaluations', { json: { generated: g, reference: st.body.id, metrics: ['fid'] } })).body.id);
    expect(done.result.fid).toBe(JSON.parse(cli(['fid', GEN, stats, '--json', '-q']).stdout).fid);
    const kid = await w.req('POST', '/v1/evaluations', { json: { generated: g, reference: st.body.id, metrics: ['kid'] } });
    expect(kid.status).toBe(422);
    expect(kid.body.error).toMatchObject({ code: 'needs_features', field: 'reference' });
    expect(kid.body.error.message).toMatch(/statistics \(mu, sigma\), which hold no samples; kid needs features/);
  });

  test('image stacks: features extracted in a job, then fid and is equal to the CLI on the same arrays', async () => {
    const stack = (name: string, n: number, seed: number) => {
      let q = seed;
      const f = path.join(dir, name);
      writeNpy(f, { dtype: 'uint8', shape: [n, 48, 40, 3], data: Uint8Array.from({ length: n * 48 * 40 * 3 }, () => (q = (Math.imul(q, 1664525) + 1013904223) >>> 0) >>> 24) });
      return f;
    };
    const gi = stack('gen_images.npy', 6, 11);
    const ri = stack('ref_images.npy', 5, 12);
    const bad = await w.upload(gi, '?mode=fancy');
    expect([bad.status, bad.body.error.field]).toEqual([400, 'mode']);
    expect((await w.upload(gi, '?model=/etc/passwd.onnx')).body.error.message).toMatch(/model: expected a model name of the registry, not a file/);
    expect((await w.upload(GEN, '?mode=clean')).body.error.message).toMatch(/mode\/model apply to image uploads; this upload is features/);
    const g = await w.upload(gi, '?mode=clean&model=inception-fid-twin&name=gen-images');
    expect(g.status).toBe(201);
    expect(g.body).toMatchObject({ kind: 'images', count: 6, mode: 'clean', model: 'inception-fid-twin' });
    const r = (await w.upload(ri, '?mode=clean&model=inception-fid-twin')).body;
    // Evaluations may be posted at once: they wait for the extraction.
    const fid = await w.req('POST', '/v1/evaluations', { json: { generated: g.body.id, reference: r.id, metrics: ['fid'] } });
    const is = await w.req('POST', '/v1/evaluations', { json: { generated: g.body.id, metrics: ['is'], options: { splits: 2 } } });
    expect([fid.status, is.status, fid.body.error]).toEqual([202, 202, null]);
    const [fd, isd] = [await w.waitDone(fid.body.id), await w.waitDone(is.body.id)];
    expect([fd.status, isd.status, isd.reference]).toEqual(['done', 'done', null]);
    expect((await w.req('GET', `/v1/datasets/${g.body.id}`)).body).toMatchObject({ status: 'ready', count: 6, dims: 2048, model_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(isd.provenance.datasets[0]).toMatchObject({ id: g.body.id, mode: 'clean', model: 'inception-fid-twin', model_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const cf = JSON.parse(cli(['fid', gi, ri, '--mode', 'clean', '--model', 'inception-fid-twin', '--json', '-q']).stdout);
    const ci = JSON.parse(cli(['is', gi, '--mode', 'clean', '--model', 'inception-fid-twin', '--splits', '2', '--json', '-q']).stdout);
    // The same numbers and provenance, the paths written as dataset ids; `cached` and `device` differ (the
    // service's evaluations find the features its extraction job left in the cache).
    cf.inputs = cf.inputs.map((p: any, i: number) => ({ ...p, path: `dataset:${[g.body.id, r.id][i]}`, images: { ...p.images, cached: true, device: 'cache' } }));
    expect(fd.result).toEqual(cf);
    expect(isd.result).toEqual({ ...ci, input: { ...ci.input, path: `dataset:${g.body.id}`, cached: true } });
    // The report page: the metrics, a grid of the generated images, the provenance.
    const page = await w.req('GET', `/v1/evaluations/${fid.body.id}/report`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect(page.body).toContain(`<td class="num">${cf.fid.toPrecision(6)}</td>`);
    expect((page.body as string).match(/<img src="data:image\/png;base64,/g)).toHaveLength(1);
    expect(page.body).toContain(`${g.body.id} (images, 6 samples`);
    expect((await w.req('GET', `/v1/evaluations/${fid.body.id}/report`, { token: null })).status).toBe(401);
    expect((await w.req('GET', '/v1/evaluations/ev_nope/report')).status).toBe(404);
    expect((await w.req('POST', '/v1/evaluations', { json: { generated: r.id, reference: g.body.id, metrics: ['is'] } })).status).toBe(202);
    const featIs = await w.req('POST', '/v1/evaluations', { json: { generated: (await w.upload(GEN)).body.id, metrics: ['is'] } });
    expect([featIs.status, featIs.body.error.code]).toEqual([422, 'needs_images']);
  });

  test('generator datasets: an ONNX generator uploaded once, its samples drawn by the evaluation; the CLI with --generator gives the same result', async () => {
    const G = twinGenerator(path.join(dir, 'gen-model.onnx'), { z: 8, height: 24, width: 20, seed: 4 });
    const ref = path.join(dir, 'gen_ref_images.npy');
    let q = 5;
    writeNpy(ref, { dtype: 'uint8', shape: [12, 24, 20, 3], data: Uint8Array.from({ length: 12 * 24 * 20 * 3 }, () => (q = (Math.imul(q, 1664525) + 1013904223) >>> 0) >>> 24) });
    const g = await w.upload(G, '?kind=generator&mode=clean&model=inception-fid-twin&name=twin');
    expect([g.status, g.body.kind, g.body.status, g.body.mode]).toEqual([201, 'generator', 'ready', 'clean']);
    const notGen = await w.upload(twinMapping(path.join(dir, 'not-gen.onnx'), 4, 3), '?kind=generator');
    expect([notGen.status, notGen.body.error.message]).toEqual([422, expect.stringMatching(/^upload: not a generator: expected images N x 3 x H x W/)]);
    // Bytes that are no ONNX model, and bytes already stored as features (the same dataset otherwise).
    expect((await w.upload(feats('not-a-model.npy', 5, 4, 9), '?kind=generator')).status).toBe(422);
    await w.upload(GEN);
    const again = await w.upload(GEN, '?kind=generator');
    expect([again.status, again.body.error.message]).toEqual([422, expect.stringMatching(/^file: these bytes are dataset ds_\S+, of kind features, not a generator$/)]);
    const r = (await w.upload(ref, '?mode=clean&model=inception-fid-twin')).body;
    const post = (json: unknown) => w.req('POST', '/v1/evaluations', { json });
    const fid = await post({ generated: g.body.id, reference: r.id, metrics: ['fid'], options: { samples: 16, seed: 3 } });
    expect([fid.status, fid.body.error]).toEqual([202, null]);
    const done = await w.waitDone(fid.body.id);
    expect(done.status).toBe('done');
    const c = JSON.parse(cli(['fid', '--generator', G, '-n', '16', '--seed', '3', ref, '--mode', 'clean', '--model', 'inception-fid-twin', '--json', '-q']).stdout);
    expect(done.result.fid).toBe(c.fid);
    expect(done.result.inputs[0]).toMatchObject({ kind: 'generator', path: `dataset:${g.body.id}`, generator: { path: `dataset:${g.body.id}`, samples: 16, seed: 3 } });
    expect(JSON.stringify(done.result)).not.toContain(dir);
    // Generator options only with a generator dataset; never the files; a generator is never the reference.
    const bad = await post({ generated: r.id, reference: r.id, metrics: ['fid'], options: { truncation: 0.5 } });
    expect([bad.status, bad.body.error.message]).toEqual([400, expect.stringMatching(/options.truncation: a generator option; it applies to a generated dataset of kind generator/)]);
    const file = await post({ generated: g.body.id, reference: r.id, metrics: ['fid'], options: { mapping: '/etc/passwd' } });
    expect([file.status, file.body.error.field]).toEqual([400, 'options.mapping']);
    const asRef = await post({ generated: r.id, reference: g.body.id, metrics: ['fid'] });
    expect([asRef.status, asRef.body.error.code]).toEqual([422, 'bad_reference']);
    const kidTooMany = await post({ generated: g.body.id, reference: r.id, metrics: ['kid'], options: { samples: 16, subsetSize: 100 } });
    expect([kidTooMany.status, kidTooMany.body.error.message]).toEqual([400, expect.stringMatching(/KID subset size 100 is larger than its 16 samples/)]);
  });

  test("a run's evaluations by step (its FID curve); cancel", async () => {
    const g = (await w.upload(GEN)).body.id;
    const r = (await w.upload(REF)).body.id;
    for (const step of [3000, 1000, 2000]) {
      const e = await w.req('POST', '/v1/evaluations', { json: { generated: g, reference: r, metrics: ['fid'], run: 'curve', step } });
      expect(e.status).toBe(202);
      await w.waitDone(e.body.id);
    }
    const curve = (await w.req('GET', '/v1/evaluations?run=curve')).body.evaluations;
    expect(curve.map((e: any) => [e.step, e.status, typeof e.result.fid])).toEqual([
      [1000, 'done', 'number'],
      [2000, 'done', 'number'],
      [3000, 'done', 'number'],
    ]);
    expect((await new Client(s.base, s.tokens.other).req('GET', '/v1/evaluations?run=curve')).body.evaluations).toEqual([]);
    // Cancel: a long KID is canceled while it waits or runs, and stays canceled.
    const long = await w.req('POST', '/v1/evaluations', { json: { generated: g, reference: r, metrics: ['kid'], options: { subsets: 20000, subsetSize: 100 } } });
    const c = await w.req('DELETE', `/v1/evaluations/${long.body.id}`);
    expect([c.status, c.body.status]).toEqual([200, 'canceled']);
    await new Promise((res) => setTimeout(res, 300));
    expect((await w.req('GET', `/v1/evaluations/${long.body.id}`)).body).toMatchObject({ status: 'canceled', result: null });
    expect((await new Client(s.base, s.tokens.reader).req('DELETE', `/v1/evaluations/${long.body.id}`)).status).toBe(403);
  });

  test('SSE: state events in order, ending with done', async () => {
    const g = (await w.upload(GEN)).body.id;
    const r = (await w.upload(REF)).body.id;
    const posted = await w.req('POST', '/v1/evaluations', { json: { generated: g, reference: r, metrics: ['kid'], options: { subsets: 20, subsetSize: 100, seed: 5 } } });
    const res = await fetch(`${s.base}/v1/evaluations/${posted.body.id}/events`, { headers: { authorization: `Bearer ${s.tokens.reader}` } });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const text = await res.text();
    const events = text.trim().split('\n\n').map((block) => {
      const lines = Object.fromEntries(block.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
      return { id: Number(lines.id), event: lines.event, data: JSON.parse(lines.data) };
    });
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i));
    expect(events[events.length - 1]).toMatchObject({ event: 'state', data: { status: 'done' } });
    const order = ['queued', 'running', 'done'];
    const seen = events.map((e) => order.indexOf(e.data.status));
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  test('bad requests: options are checked as the CLI checks its flags, and name the field', async () => {
    const g = (await w.upload(GEN)).body.id;
    const r = (await w.upload(REF)).body.id;
    const post = (json: unknown) => w.req('POST', '/v1/evaluations', { json });
    const cases: [unknown, number, string, RegExp][] = [
      [{ generated: g, reference: r, metrics: ['kid'], options: { subsetSize: 0 } }, 400, 'options.subsetSize', /subsetSize: expected an integer >= 2, got 0/],
      [{ generated: g, reference: r, metrics: ['kid'], options: { subsetSize: 1000 } }, 400, 'options.subsetSize', /generated dataset ds_\S+: KID subset size 1000 is larger than its 300 samples/],
      [{ generated: g, reference: r, metrics: ['kid'], options: { threads: 1 } }, 400, 'options.threads', /set by the server/],
      [{ generated: g, reference: r, metrics: ['fid'], options: { subsets: 3 } }, 400, 'options.subsets', /unknown option of fid; its options are eps, seed$/],
      [{ generated: g, reference: r, metrics: ['fid'], options: { generator: '/etc/passwd' } }, 400, 'options.generator', /a generator option; a request may not name a file on the server/],
      [{ generated: g, reference: r, metrics: ['fdd'] }, 400, 'metrics', /unknown metric 'fdd'/],
      [{ generated: g, reference: r, metrics: ['is'] }, 422, 'generated', /the Inception Score needs the images/],
      [{ generated: g, metrics: ['fid'] }, 400, 'reference', /reference: required for fid/],
      [{ generated: 'ds_nope', reference: r, metrics: ['fid'] }, 404, 'generated', /no dataset ds_nope/],
      [{ reference: r, metrics: ['fid'] }, 400, '', /body must have required property 'generated'/],
    ];
    for (const [json, status, field, message] of cases) {
      const res = await post(json);
      expect([res.status, res.body.error?.field ?? '']).toEqual([status, field]);
      expect(res.body.error.message).toMatch(message);
    }
    // A failed run (here: too few rows for a kid subset after the fact cannot happen; a 1-row set fails FID).
    const one = path.join(dir, 'one.npy');
    writeNpy(one, { dtype: 'float32', shape: [1, 64], data: new Float32Array(64).fill(0.5) });
    const o1 = (await w.upload(one)).body.id;
    const failed = await w.waitDone((await post({ generated: o1, reference: r, metrics: ['fid'] })).body.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(new RegExp(`dataset ${o1}: need at least 2 samples`));
  });

  test('bad uploads get a 4xx naming the problem and store nothing', async () => {
    const before = (await w.req('GET', '/v1/datasets')).body.datasets.length;
    const nan = path.join(dir, 'nan.npy');
    const data = new Float32Array(10 * 4).fill(1);
    data[4 * 7 + 2] = NaN;
    writeNpy(nan, { dtype: 'float32', shape: [10, 4], data });
    const ints = path.join(dir, 'ints.npy');
    writeNpy(ints, { dtype: 'int16', shape: [3, 2], data: new Int16Array(6) } as never);
    const cases: [Buffer, number, RegExp][] = [
      [fs.readFileSync(nan), 422, /nan: non-finite value \(NaN or Inf\) at row 7, column 2/],
      [fs.readFileSync(ints), 422, /expected float32 or float64 features, got int16/],
      [fs.readFileSync(path.join(FIXTURES, 'f4_bigendian.npy')), 422, /big-endian data: convert with/],
      [Buffer.from('hello, not an array'), 415, /not a \.npy, \.npz, \.zip or \.tar file/],
      [fs.readFileSync(GEN).subarray(0, 5000), 422, /truncated/],
      [Buffer.alloc(0), 422, /the upload is empty/],
    ];
    for (const [bytes, status, message] of cases) {
      const res = await w.req('POST', '/v1/datasets?name=nan', { body: bytes, type: 'application/octet-stream' });
      expect(res.status).toBe(status);
      expect(res.body.error.message).toMatch(message);
    }
    expect((await w.req('GET', '/v1/datasets')).body.datasets.length).toBe(before);
    const tmp = path.join(s.data, 'blobs', 'tmp');
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  test('auth matrix: no token, unknown, revoked, wrong scope, another project', async () => {
    const g = (await w.upload(GEN)).body.id;
    expect((await w.req('GET', '/v1/datasets', { token: null })).status).toBe(401);
    expect((await w.req('GET', '/v1/datasets', { token: 'gm_nonsense' })).status).toBe(401);
    const reader = new Client(s.base, s.tokens.reader);
    expect((await reader.req('GET', `/v1/datasets/${g}`)).status).toBe(200);
    const up = await reader.upload(GEN);
    expect([up.status, up.body.error.message]).toEqual([403, "token 'reader' has scope 'read'; this needs 'write'"]);
    const other = new Client(s.base, s.tokens.other);
    expect((await other.req('GET', `/v1/datasets/${g}`)).status).toBe(404);
    expect((await other.req('DELETE', `/v1/datasets/${g}`)).status).toBe(404);
    // Public datasets: only an admin shares one; others read it, and only an admin deletes it.
    expect((await w.upload(REF, '?public=true')).status).toBe(403);
    const pub = await new Client(s.base, s.tokens.admin).upload(REF, '?public=true&name=shared');
    expect(pub.status).toBe(201);
    expect((await other.req('GET', `/v1/datasets/${pub.body.id}`)).body.name).toBe('shared');
    expect((await other.req('DELETE', `/v1/datasets/${pub.body.id}`)).status).toBe(403);
    // Tokens over HTTP: admin only, within the admin's project; the token appears once.
    const admin = new Client(s.base, s.tokens.admin);
    expect((await w.req('GET', '/v1/tokens')).status).toBe(403);
    const viaApi = await admin.req('POST', '/v1/tokens', { json: { name: 'bot', scope: 'read' } });
    expect([viaApi.status, viaApi.body.project, viaApi.body.scope]).toEqual([201, 'shared', 'read']);
    const listed = (await admin.req('GET', '/v1/tokens')).body.tokens;
    expect(listed.map((t: any) => t.name).sort()).toEqual(['admin', 'bot']);
    expect(JSON.stringify(listed)).not.toContain(viaApi.body.token);
    expect((await new Client(s.base, viaApi.body.token).req('GET', '/v1/datasets')).status).toBe(200);
    expect((await admin.req('DELETE', `/v1/tokens/${viaApi.body.id}`)).status).toBe(204);
    expect((await new Client(s.base, viaApi.body.token).req('GET', '/v1/datasets')).status).toBe(401);
    const made = JSON.parse(cli(['token', 'create', '--name', 'temp', '--scope', 'read', '--project', 'lab', '--data', s.data, '--json']).stdout);
    expect((await admin.req('DELETE', `/v1/tokens/${made.id}`)).status).toBe(404); // another project's
    const t = { token: made.token as string };
    expect((await w.req('GET', '/v1/datasets', { token: t.token })).status).toBe(200);
    expect(cli(['token', 'revoke', made.id, '--data', s.data]).code).toBe(0);
    const revoked = await w.req('GET', '/v1/datasets', { token: t.token });
    expect([revoked.status, revoked.body.error.message]).toEqual([401, "token 'temp' was revoked"]);
  });
});

describe('service limits', () => {
  test('upload size (413, raw and multipart, nothing stored), pixels per image, queue (503 with Retry-After), rate (429)', async () => {
    const s = await start(['--max-upload', '4096', '--rate-limit', '40', '--max-queue', '1', '--max-pixels', '1000']);
    try {
      const w = new Client(s.base, s.tokens.writer);
      const big = await w.upload(GEN);
      expect([big.status, big.body.error.code]).toEqual([413, 'too_large']);
      const form = new FormData();
      form.append('file', new Blob([fs.readFileSync(GEN)]), 'gen.npy');
      const multi = await w.req('POST', '/v1/datasets', { body: form });
      expect([multi.status, multi.body.error.code]).toEqual([413, 'too_large']);
      expect((await w.req('GET', '/v1/datasets')).body.datasets).toEqual([]);
      expect(fs.readdirSync(path.join(s.data, 'blobs', 'tmp'))).toEqual([]);
      // A small upload through multipart works.
      const small = path.join(dir, 'small.npy');
      writeNpy(small, { dtype: 'float32', shape: [120, 8], data: Float32Array.from({ length: 960 }, (_, i) => Math.sin(i)) });
      const f2 = new FormData();
      f2.append('name', 'small');
      f2.append('file', new Blob([fs.readFileSync(small)]), 'small.npy');
      const ok = await w.req('POST', '/v1/datasets', { body: f2 });
      expect([ok.status, ok.body.name, ok.body.count]).toEqual([201, 'small', 120]);
      // An image over the pixel limit fails its dataset (in the extraction job), naming the file.
      const img = referenceImages()[0];
      const zip = path.join(dir, 'one.zip');
      fs.writeFileSync(zip, zipSync({ [img]: new Uint8Array(fs.readFileSync(sharedFile('fixtures', 'images', img))) }));
      const zipped = await w.req('POST', '/v1/datasets?model=inception-fid-twin', { body: fs.readFileSync(zip), type: 'application/octet-stream' });
      expect([zipped.status, zipped.body.kind]).toEqual([201, 'images']);
      let ds = zipped.body;
      while (ds.status === 'processing') ds = (await w.req('GET', `/v1/datasets/${ds.id}`)).body;
      expect(ds.status).toBe('failed');
      expect(ds.error).toMatch(new RegExp(`${img.replace('.', '\\.')}: .*more than the limit of 1000 pixels`));
      const onFailed = await w.req('POST', '/v1/evaluations', { json: { generated: ds.id, metrics: ['is'] } });
      expect([onFailed.status, onFailed.body.error.code, onFailed.body.error.field]).toEqual([422, 'dataset_failed', 'generated']);
      // The queue holds one: a long KID runs, one more waits, the next is refused.
      const kid = (seed: number) => w.req('POST', '/v1/evaluations', { json: { generated: ok.body.id, reference: ok.body.id, metrics: ['kid'], options: { subsets: 20000, subsetSize: 100, seed } } });
      const statuses: number[] = [];
      let refused: Res | undefined;
      for (let seed = 1; seed <= 4 && !refused; seed++) {
        const r = await kid(seed);
        statuses.push(r.status);
        if (r.status === 503) refused = r;
      }
      expect(statuses.slice(0, 2)).toEqual([202, 202]);
      expect([refused?.status, refused?.headers.get('retry-after'), refused?.body.error.code]).toEqual([503, '30', 'queue_full']);
      let last: Res | undefined;
      for (let i = 0; i < 60 && last?.status !== 429; i++) last = await w.req('GET', '/v1/datasets');
      expect([last!.status, last!.body.error.code]).toEqual([429, 'rate_limited']);
    } finally {
      await s.stop();
    }
  });

  test('genmetrics serve refuses a non-loopback address without --allow-remote; token create/list/revoke', () => {
    const r = cli(['serve', '--host', '0.0.0.0', '--port', '0', '--data', tmpDir()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--host 0\.0\.0\.0 is not a loopback address.*--allow-remote/);
    const data = tmpDir();
    const c = cli(['token', 'create', '--name', 'ci', '--scope', 'read', '--project', 'p', '--data', data, '--json']);
    expect(c.code).toBe(0);
    const made = JSON.parse(c.stdout);
    expect(made.token).toMatch(/^gm_[A-Za-z0-9_-]{43}$/);
    const list = JSON.parse(cli(['token', 'list', '--data', data, '--json']).stdout);
    expect(list).toEqual([expect.objectContaining({ id: made.id, name: 'ci', scope: 'read', project: 'p', revoked: null })]);
    expect(JSON.stringify(list)).not.toContain(made.token);
    expect(cli(['token', 'revoke', made.id, '--data', data]).code).toBe(0);
    expect(cli(['token', 'revoke', made.id, '--data', data]).stderr).toMatch(/no active token with id/);
    expect(cli(['token', 'create', '--name', 'x', '--scope', 'root', '--data', data]).code).toBe(2);
  });
});
