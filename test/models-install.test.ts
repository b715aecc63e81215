/**
 * `genmetrics models install inception-v3-fid --from FILE.pth` without Python: on a checkpoint with
 * pytorch-fid's real key names and shapes (test/fixtures/pt_inception_keys.json) whose weights are
 * the twin's, so the installed network must compute exactly what the twin computes. The download
 * path is checked against a loopback server: a file whose SHA-256 is not the pinned one is refused
 * and nothing is installed.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { openSession, ort } from '../lib/models/session';
import { decodeOnnx } from '../lib/models/onnx-proto';
import { cli, cliAsync, sharedFile, tmpDir } from './helpers';
import { writeTorchZip } from './torch-zip';
import { KEYS, TWIN, twinCheckpoint } from './twin-checkpoint';

test('models install --from a pytorch-fid checkpoint: the installed network computes what the twin computes, bit for bit', async () => {
  const dir = tmpDir();
  const pth = path.join(dir, 'pt_inception-twin.pth');
  twinCheckpoint(pth);
  // The checkpoint reads as pytorch-fid's: the same names and shapes through `params`.
  const params = JSON.parse(cli(['params', pth, '--json', '--tensors']).stdout);
  expect(params.tensors.map((t: { name: string; shape: number[] }) => [t.name, t.shape])).toEqual(KEYS);
  const models = path.join(dir, 'models');
  const r = cli(['models', 'install', 'inception-v3-fid', '--from', pth, '--dir', models, '--json']);
  expect(r.stderr).toMatch(/SHA-256 [0-9a-f]{64} is not the pinned 6726825d/);
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.path).toBe(path.join(models, 'inception-v3-fid.onnx'));
  expect(fs.readFileSync(`${out.path}.sha256`, 'utf8').split(/\s+/)[0]).toBe(out.sha256);
  // Listed, verified against the checksum written beside it, and resolved by name.
  const list = JSON.parse(cli(['models', 'list', '--json'], { GENMETRICS_MODEL_DIR: models }).stdout);
  expect(list.models.find((m: { name: string }) => m.name === 'inception-v3-fid')).toMatchObject({ installed: true, sha256: out.sha256, verified: 'export' });
  // The same outputs as the twin on the same batch.
  let s = 7;
  const x = Float32Array.from({ length: 2 * 3 * 299 * 299 }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
  const run = async (file: string) => {
    const m = await openSession({ name: path.basename(file), path: file, sha256: '', verified: 'unchecked' }, { device: 'cpu', threads: 2 });
    const o = await m.session.run({ input: new (ort().Tensor)('float32', x, [2, 3, 299, 299]) });
    await m.session.release();
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Array.from(v.data as Float32Array)]));
  };
  const [mine, twin] = [await run(out.path), await run(TWIN)];
  expect(Object.keys(mine).sort()).toEqual(Object.keys(twin).sort());
  for (const k of Object.keys(twin)) expect(mine[k]).toEqual(twin[k]);
}, 300_000);

test('models install downloads through the pinned SHA-256: a wrong file is refused and nothing is installed', async () => {
  const served = Buffer.from('not the inception weights');
  let ranges = 0;
  const server = http.createServer((req, res) => {
    if (req.headers.range) ranges++;
    res.writeHead(200, { 'content-length': served.length });
    res.end(served);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (server.address() as { port: number }).port;
    const dir = tmpDir();
    const env = { GENMETRICS_WEIGHTS_MIRROR: `http://127.0.0.1:${port}/w`, GENMETRICS_CACHE_DIR: path.join(dir, 'cache') };
    const r = await cliAsync(['models', 'install', 'inception-v3-fid', '--dir', path.join(dir, 'models')], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/http:\/\/127\.0\.0\.1:\d+\/w\/pt_inception-2015-12-05-6726825d\.pth: the download's SHA-256 is [0-9a-f]{64}, not the pinned 6726825d0af5/);
    expect(fs.existsSync(path.join(dir, 'models'))).toBe(false);
    expect(fs.readdirSync(path.join(dir, 'cache', 'downloads'))).toEqual([]);
    // A partial file from an interrupted download is resumed with a Range request.
    fs.writeFileSync(path.join(dir, 'cache', 'downloads', 'pt_inception-2015-12-05-6726825d.pth.partial'), 'abc');
    await cliAsync(['models', 'install', 'inception-v3-fid', '--dir', path.join(dir, 'models')], env);
    expect(ranges).toBe(1);
  } finally {
    server.close();
  }
});

test("models install lpips-alex from the lpips package's alex.pth and torchvision's AlexNet: the twin's outputs, bit for bit", async () => {
  const LPIPS_TWIN = sharedFile('models', 'lpips-alex-twin.onnx');
  const model = decodeOnnx(fs.readFileSync(LPIPS_TWIN));
  const init = new Map(model.graph!.initializer!.map((t) => [t.name!, t]));
  const tensor = (name: string, key: string) => {
    const t = init.get(name)!;
    const raw = t.raw_data!;
    return { name: key, shape: t.dims!.map(Number), data: new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)) };
  };
  const dir = tmpDir();
  const lin = path.join(dir, 'alex.pth');
  const trunk = path.join(dir, 'alexnet-trunk.pth');
  // The lpips package's key names, and torchvision's AlexNet feature layers (its classifier is not read).
  writeTorchZip(lin, [0, 1, 2, 3, 4].map((k) => tensor(`lin${k}.model.1.weight`, `lin${k}.model.1.weight`)));
  const slices: [number, number][] = [[1, 0], [2, 3], [3, 6], [4, 8], [5, 10]];
  writeTorchZip(trunk, slices.flatMap(([s, i]) => ['weight', 'bias'].map((p) => tensor(`net.slice${s}.${i}.${p}`, `features.${i}.${p}`))));
  const models = path.join(dir, 'models');
  const r = cli(['models', 'install', 'lpips-alex', '--from', lin, '--trunk', trunk, '--dir', models, '--json']);
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.sources.map((s: { downloaded: boolean }) => s.downloaded)).toEqual([false, false]);
  let s = 11;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const [a, b] = [0, 1].map(() => Float32Array.from({ length: 4 * 3 * 64 * 64 }, rnd));
  const run = async (file: string) => {
    const m = await openSession({ name: path.basename(file), path: file, sha256: '', verified: 'unchecked' }, { device: 'cpu', threads: 2 });
    const T = ort().Tensor;
    const o = await m.session.run({ in0: new T('float32', a, [4, 3, 64, 64]), in1: new T('float32', b, [4, 3, 64, 64]) });
    await m.session.release();
    return Array.from(o.distance.data as Float32Array);
  };
  expect(await run(out.path)).toEqual(await run(LPIPS_TWIN));
  // A trunk for the wrong network is refused naming what was expected.
  const bad = cli(['models', 'install', 'lpips-alex', '--from', lin, '--trunk', lin, '--dir', models]);
  expect([bad.code, bad.stderr]).toEqual([1, expect.stringMatching(/not torchvision's alex weights \(no 'features\.0\.weight'\)/)]);
  expect(cli(['models', 'install', 'inception-v3-fid', '--trunk', trunk, '--dir', models]).stderr).toMatch(/--trunk: only the LPIPS networks take a trunk/);
  // Only TTUR's TensorFlow graph at hand: told which file to get instead.
  const pb = path.join(dir, 'classify_image_graph_def.pb');
  fs.writeFileSync(pb, 'tf');
  expect(cli(['models', 'install', 'inception-v3-fid', '--from', pb, '--dir', models]).stderr).toMatch(
    /classify_image_graph_def\.pb: a TensorFlow graph .* is not read; pytorch-fid's pt_inception-2015-12-05-6726825d\.pth holds the same weights converted: https:\/\/github\.com\/mseitzer/,
  );
}, 120_000);

test('models install lpips-vgg and lpips-squeeze: every tensor lands where its name says, and the network runs', async () => {
  for (const net of ['vgg', 'squeeze'] as const) {
    // The packaged graph lists what it expects: make a checkpoint pair with the real key names.
    const graph = decodeOnnx(fs.readFileSync(path.join(__dirname, '..', 'lib', 'models', 'graphs', `lpips-${net}.graph.onnx`)));
    const wanted = (graph.metadata_props ?? []).filter((p) => p.key!.startsWith('initializer:')).map((p) => ({ name: p.key!.slice(12), shape: p.value!.split(':')[1].split(',').map(Number) }));
    let s = 5;
    const values = (n: number) => Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 0.1);
    const made = wanted.map((w) => ({ ...w, data: values(w.shape.reduce((a, b) => a * b, 1)) }));
    const dir = tmpDir();
    const lin = path.join(dir, `${net}.pth`);
    const trunk = path.join(dir, `${net}-trunk.pth`);
    writeTorchZip(lin, made.filter((m) => m.name.startsWith('lin')));
    writeTorchZip(trunk, made.filter((m) => m.name.startsWith('net.')).map((m) => ({ ...m, name: m.name.replace(/^net\.slice\d+\./, 'features.') })));
    const r = cli(['models', 'install', `lpips-${net}`, '--from', lin, '--trunk', trunk, '--dir', path.join(dir, 'models'), '--json']);
    expect([net, r.code, r.stderr.replace(/.*warning.*\n/g, '')]).toEqual([net, 0, '']);
    const installed = decodeOnnx(fs.readFileSync(JSON.parse(r.stdout).path)).graph!.initializer!;
    for (const m of made) {
      const t = installed.find((i) => i.name === m.name)!;
      // Byte for byte (a deep equality over millions of numbers would take most of a minute).
      expect([m.name, Buffer.from(t.raw_data!).equals(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength))]).toEqual([m.name, true]);
    }
  }
}, 120_000);
