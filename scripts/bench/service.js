#!/usr/bin/env node
// npm run bench:service: the scoring service on loopback, in one run (autocannon for the load):
// 1. GET of a finished evaluation: req/s, p50, p99 (target >= 5000 req/s);
// 2. FID of two stored 2048-d statistics through the API (POST, poll until done) against the CLI
//    on the same files (target: overhead <= 10%);
// 3. a BENCH_UPLOAD_MB (2048) MB features upload: MB/s and the server's peak RSS (target <= 300 MB);
// 4. a 10k x 2048 `all` evaluation alone, then again with 50 concurrent pollers of its state, each
//    polling 10 times a second (target: within 10% of the idle time);
// 5. a HYPE study with BENCH_RATERS (50) raters judging at once, each trial as a browser makes it
//    (the page, its image, the answer form and its redirect): trials/s, p50 and p99 per trial.
// Env: BENCH_DIR (.bench), BENCH_THREADS (all cores), BENCH_UPLOAD_MB, BENCH_REPEATS (3),
// BENCH_PARTS (upload,fid,all,study: the parts to run; GET load runs with fid), BENCH_RATERS.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const autocannon = require('autocannon');
const { featurePair } = require('./synthetic');

const DIR = path.resolve(process.env.BENCH_DIR || path.join(__dirname, '..', '..', '.bench'));
const THREADS = Number(process.env.BENCH_THREADS || os.availableParallelism());
const UPLOAD_MB = Number(process.env.BENCH_UPLOAD_MB || 2048);
const REPEATS = Number(process.env.BENCH_REPEATS || 3);
const PARTS = new Set((process.env.BENCH_PARTS || 'upload,fid,all,study').split(','));
const RATERS = Number(process.env.BENCH_RATERS || 50);
const BIN = path.join(__dirname, '..', '..', 'bin', 'genmetrics.js');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function peakRssMb(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function startServer(data) {
  const made = spawnSync(process.execPath, [BIN, 'token', 'create', '--name', 'bench', '--scope', 'admin', '--data', data, '--json'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(made.stderr);
  const token = JSON.parse(made.stdout).token;
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data', data, '--threads', String(THREADS), '--rate-limit', '100000000', '--answer-rate-limit', '100000000', '--max-upload', String((UPLOAD_MB + 64) * 2 ** 20)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const base = await new Promise((resolve, reject) => {
    child.stderr.on('data', (c) => {
      err += c;
      const m = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return { child, base, token, headers: { authorization: `Bearer ${token}` } };
}

async function api(s, method, url, body, type) {
  const headers = { ...s.headers };
  if (body !== undefined && type === undefined) headers['content-type'] = 'application/json';
  if (type) headers['content-type'] = type;
  const r = await fetch(s.base + url, { method, headers, body: type ? body : body === undefined ? undefined : JSON.stringify(body), duplex: 'half' });
  const json = r.status === 204 ? null : await r.json();
  if (r.status >= 400) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

async function evaluate(s, body) {
  const t = process.hrtime.bigint();
  let e = await api(s, 'POST', '/v1/evaluations', body);
  while (e.status === 'queued' || e.status === 'running') {
    await sleep(5);
    e = await api(s, 'GET', `/v1/evaluations/${e.id}`);
  }
  if (e.status !== 'done') throw new Error(`evaluation ${e.status}: ${e.error}`);
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, e };
}

/** A features .npy of about `mb` MB, written in 64 MB steps (never whole in memory). */
function bigFeatures(mb) {
  const file = path.join(DIR, `upload_${mb}MB.npy`);
  const d = 2048;
  const rows = Math.floor((mb * 2 ** 20) / (4 * d));
  if (fs.existsSync(file) && fs.statSync(file).size > rows * d * 4) return file;
  const { npyHeader } = require('../../dist/io/npy');
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, npyHeader('float32', [rows, d]));
  const step = 8192;
  const block = Float32Array.from({ length: step * d }, (_, i) => (i % 977) / 977);
  for (let r = 0; r < rows; r += step) {
    const n = Math.min(step, rows - r);
    fs.writeSync(fd, new Uint8Array(block.buffer, 0, n * d * 4));
  }
  fs.closeSync(fd);
  return file;
}

/** A uint8 image stack of n 64 x 64 images (brightness tells reals from fakes). */
function imageStack(file, n, lo) {
  const header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${n}, 64, 64, 3), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  const head = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0]), Buffer.alloc(2), Buffer.from(header + ' '.repeat(pad) + '\n')]);
  head.writeUInt16LE(head.length - 10, 8);
  const body = Buffer.alloc(n * 64 * 64 * 3);
  let q = lo + 1;
  for (let i = 0; i < body.length; i++) body[i] = lo + (((q = (Math.imul(q, 1664525) + 1013904223) >>> 0) >>> 24) % 100);
  fs.writeFileSync(file, Buffer.concat([head, body]));
  return file;
}

/** 5. RATERS raters at once on one study, each trial as a browser makes it: page, image, answer (303). */
async function studyLoad(s, data) {
  const up = async (file) => api(s, 'POST', '/v1/datasets?model=inception-fid-twin', fs.readFileSync(file), 'application/octet-stream');
  const real = await up(imageStack(path.join(data, 'real.npy'), 120, 0));
  const fake = await up(imageStack(path.join(data, 'fake.npy'), 120, 156));
  for (const d of [real, fake]) while ((await api(s, 'GET', `/v1/datasets/${d.id}`)).status === 'processing') await sleep(200);
  const study = await api(s, 'POST', '/v1/studies', { real: real.id, fake: fake.id, images: 100, tutorial: 10, raters: RATERS });
  const url = new URL(study.rater_url);
  const k = url.searchParams.get('k');
  const times = [];
  const rater = async (r) => {
    let cookie = '';
    for (let t = 0; t < 110; t++) {
      const t0 = process.hrtime.bigint();
      const page = await fetch(study.rater_url, { headers: cookie ? { cookie } : {} });
      if (!cookie) cookie = page.headers.get('set-cookie').split(';')[0];
      await page.text();
      const img = await fetch(`${url.origin}${url.pathname}/image?k=${k}&t=${t}`, { headers: { cookie } });
      if (img.status !== 200) throw new Error(`image ${t}: ${img.status}`);
      await img.arrayBuffer();
      const a = await fetch(`${url.origin}${url.pathname}/answer?k=${k}`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: `t=${t}&answer=${(t + r) % 2 ? 'real' : 'fake'}&ms=900`, redirect: 'manual' });
      if (a.status !== 303) throw new Error(`answer ${t}: ${a.status}`);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  const t = process.hrtime.bigint();
  await Promise.all(Array.from({ length: RATERS }, (_, r) => rater(r)));
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  const sorted = [...times].sort((a, b) => a - b);
  const after = await api(s, 'GET', `/v1/studies/${study.id}`);
  console.log(
    `HYPE study, ${RATERS} raters at once (110 trials each; a trial = page + image + answer): ${(times.length / seconds).toFixed(0)} trials/s, p50 ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, p99 ${sorted[Math.floor(sorted.length * 0.99)].toFixed(1)} ms per trial; ${after.hype.n_answers} answers stored, ${after.raters.finished} raters finished`,
  );
}

async function main() {
  fs.mkdirSync(DIR, { recursive: true });
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'genmetrics-bench-service-'));
  const s = await startServer(data);
  console.log(`bench:service on loopback, ${os.cpus()[0].model}, ${os.availableParallelism()} cores, ${THREADS} threads per evaluation`);
  try {
    const { fake, real } = featurePair(DIR, 10000);
    const upload = async (file, name) => {
      const t = process.hrtime.bigint();
      const r = await api(s, 'POST', `/v1/datasets?name=${name}`, fs.createReadStream(file), 'application/octet-stream');
      return { r, seconds: Number(process.hrtime.bigint() - t) / 1e9 };
    };
    // 3. A large upload (first, so that the peak RSS is the upload's, not an evaluation's).
    if (PARTS.has('upload')) {
    const big = bigFeatures(UPLOAD_MB);
    const size = fs.statSync(big).size / 2 ** 20;
    const up = await upload(big, 'big');
    console.log(`upload of ${size.toFixed(0)} MB features: ${(size / up.seconds).toFixed(0)} MB/s (streamed, hashed, fsynced, every value checked); server peak RSS since start ${peakRssMb(s.child.pid).toFixed(0)} MB (target <= 300 MB)`);
    await api(s, 'DELETE', `/v1/datasets/${up.r.id}`);
    }

    const A = (await upload(fake, 'fake')).r.id;
    const B = (await upload(real, 'real')).r.id;

    // 2. FID of stored statistics: API vs CLI.
    if (PARTS.has('fid')) {
    const statsA = path.join(data, 'a_stats.npz');
    const statsB = path.join(data, 'b_stats.npz');
    for (const [f, o] of [[fake, statsA], [real, statsB]]) spawnSync(process.execPath, [BIN, 'stats', f, '-o', o, '-q'], { stdio: 'ignore' });
    const SA = (await upload(statsA, 'stats-a')).r.id;
    const SB = (await upload(statsB, 'stats-b')).r.id;
    const apiTimes = [];
    const cliTimes = [];
    let finished;
    for (let i = 0; i < REPEATS; i++) {
      const { seconds, e } = await evaluate(s, { generated: SA, reference: SB, metrics: ['fid'], options: { eps: 1e-6 + i * 1e-9 } });
      apiTimes.push(seconds);
      finished = e;
      const t = process.hrtime.bigint();
      spawnSync(process.execPath, [BIN, 'fid', statsA, statsB, '--json', '-q', '--threads', String(THREADS)], { stdio: 'ignore' });
      cliTimes.push(Number(process.hrtime.bigint() - t) / 1e9);
    }
    const fa = median(apiTimes);
    const fc = median(cliTimes);
    console.log(`FID of two stored 2048-d statistics: API ${fa.toFixed(3)} s (POST + polling), CLI ${fc.toFixed(3)} s (whole process) -> API/CLI ${(fa / fc).toFixed(2)} (target <= 1.10)`);

    // 1. GET of a finished evaluation.
    const load = await autocannon({ url: `${s.base}/v1/evaluations/${finished.id}`, headers: s.headers, connections: 50, duration: 10 });
    console.log(`GET /v1/evaluations/:id (finished, 50 connections, 10 s): ${Math.round(load.requests.average)} req/s, p50 ${load.latency.p50} ms, p99 ${load.latency.p99} ms, errors ${load.errors + load.non2xx} (target >= 5000 req/s)`);
    }

    // 4. `all` on 10k x 2048, idle and with 50 pollers.
    if (PARTS.has('all')) {
    const idle = await evaluate(s, { generated: A, reference: B, metrics: ['all'], options: { seed: 1 } });
    const busyRun = evaluate(s, { generated: A, reference: B, metrics: ['all'], options: { seed: 2 } });
    await sleep(50);
    const evs = (await api(s, 'GET', '/v1/evaluations')).evaluations;
    const target = evs[evs.length - 1].id;
    // Pollers as a training script polls: each connection 10 requests/s (500 req/s in all).
    const pollers = autocannon({ url: `${s.base}/v1/evaluations/${target}`, headers: s.headers, connections: 50, connectionRate: 10, duration: Math.ceil(idle.seconds * 1.5) + 2 });
    const busy = await busyRun;
    const polled = await pollers;
    console.log(`all, 10k x 2048 per side: idle ${idle.seconds.toFixed(2)} s, with 50 pollers at 10/s each (${Math.round(polled.requests.average)} req/s served) ${busy.seconds.toFixed(2)} s -> ${((busy.seconds / idle.seconds - 1) * 100).toFixed(1)}% slower (target <= 10%)`);
    }

    if (PARTS.has('study')) await studyLoad(s, data);
  } finally {
    s.child.kill('SIGTERM');
    await new Promise((r) => s.child.on('exit', r));
    fs.rmSync(data, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
