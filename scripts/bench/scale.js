#!/usr/bin/env node
// npm run bench:scale: the scale-out service (serve --redis + genmetrics worker, BullMQ on a
// redis-server started here on a random loopback port, nothing persisted) against the embedded
// service, in one run on this machine:
// 1. feature extraction of BENCH_IMAGES (2000) 256 x 256 PNGs uploaded as a tar (upload answered ->
//    dataset ready);
// 2. P/R/D/C of BENCH_ROWS (20000) x 2048 synthetic features against as many (POST -> done);
// each as embedded (--threads C), 1 worker x C threads, and C workers x 1 thread (C = BENCH_THREADS,
// default all cores), ratios to the embedded time. 1 worker x C threads on the same cores as the
// embedded run measures the queue's overhead (target <= 10%); the CPU seconds of the server and
// workers over the P/R/D/C job (from /proc) measure it too when other processes share the cores.
// Results also in .bench/scale.json.
// Env: BENCH_DIR (.bench), BENCH_THREADS, BENCH_IMAGES, BENCH_ROWS, BENCH_MODEL (inception-fid-twin:
// the FID Inception's architecture; inception-v3-fid if installed), BENCH_MODE (legacy-pytorch),
// GENMETRICS_MODEL_DIR (../shared/models), BENCH_PARTS (images,prdc: the parts to run, e.g. prdc).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const net = require('net');
const { spawn, spawnSync } = require('child_process');
const sharp = require('sharp');
const tar = require('tar');
const { featurePair } = require('./synthetic');

const DIR = path.resolve(process.env.BENCH_DIR || path.join(__dirname, '..', '..', '.bench'));
const C = Number(process.env.BENCH_THREADS || os.availableParallelism());
const N_IMAGES = Number(process.env.BENCH_IMAGES || 2000);
const ROWS = Number(process.env.BENCH_ROWS || 20000);
const MODEL = process.env.BENCH_MODEL || 'inception-fid-twin';
const MODE = process.env.BENCH_MODE || 'legacy-pytorch';
const PARTS = new Set((process.env.BENCH_PARTS || 'images,prdc').split(',').map((p) => p.trim()));
for (const p of PARTS) if (p !== 'images' && p !== 'prdc') throw new Error(`BENCH_PARTS: unknown part '${p}' (images, prdc)`);
const BIN = path.join(__dirname, '..', '..', 'bin', 'genmetrics.js');
process.env.GENMETRICS_MODEL_DIR ||= path.join(__dirname, '..', '..', '..', 'shared', 'models');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function startRedis() {
  if (spawnSync('redis-server', ['--version']).status !== 0) throw new Error('redis-server is not installed: run scripts/install-deps.sh');
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG') break;
    await sleep(25);
  }
  return { child, url: `redis://127.0.0.1:${port}` };
}

function waitFor(child, re, what) {
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (c) => {
      err += c;
      const m = re.exec(err);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`${what} exited ${code}: ${err}`)));
  });
}

async function startServer(flags) {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'genmetrics-bench-scale-'));
  const made = spawnSync(process.execPath, [BIN, 'token', 'create', '--name', 'bench', '--scope', 'admin', '--data', data, '--json'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(made.stderr);
  const token = JSON.parse(made.stdout).token;
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data', data, '--threads', String(C), '--rate-limit', '100000000', ...flags], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, GENMETRICS_CACHE_DIR: path.join(data, 'cache') } });
  const base = await waitFor(child, /serving on (http:\/\/127\.0\.0\.1:\d+)/, 'serve');
  return { child, base, data, headers: { authorization: `Bearer ${token}` } };
}

async function startWorkers(n, threads, redis, blobs) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const child = spawn(process.execPath, [BIN, 'worker', '--redis', redis, '--blobs', blobs, '--threads', String(threads)], { stdio: ['ignore', 'ignore', 'pipe'] });
    await waitFor(child, /(taking shards)/, 'worker');
    out.push(child);
  }
  return out;
}

async function api(s, method, url, body, type) {
  const headers = { ...s.headers };
  if (body !== undefined && type === undefined) headers['content-type'] = 'application/json';
  if (type) headers['content-type'] = type;
  const r = await fetch(s.base + url, { method, headers, body: type ? body : body === undefined ? undefined : JSON.stringify(body), duplex: 'half' });
  const json = await r.json();
  if (r.status >= 400) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

/** CPU seconds (user + system, with waited-for children: the embedded server's evaluation processes) of processes, from /proc. */
function cpuSeconds(pids) {
  const tick = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  let t = 0;
  for (const pid of pids) {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
    t += [11, 12, 13, 14].reduce((a, i) => a + Number(v[i]), 0);
  }
  return t / tick;
}

/** Files under a folder (none when it does not exist). */
const leftovers = (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).filter((f) => fs.statSync(path.join(dir, f)).isFile()).length : 0);

const stop = (child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.on('exit', resolve), child.kill('SIGTERM'))));

/** The bench's PNGs (written once), as one tar. */
async function imageTar() {
  const dir = path.join(DIR, `images-256-${N_IMAGES}`);
  if (!(fs.existsSync(dir) && fs.readdirSync(dir).length === N_IMAGES)) {
    fs.mkdirSync(dir, { recursive: true });
    let s = 12345;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    for (let i = 0; i < N_IMAGES; i++) {
      const px = Buffer.alloc(256 * 256 * 3);
      const f = [rnd() * 0.1, rnd() * 0.1, rnd() * 0.1];
      for (let y = 0; y < 256; y++)
        for (let x = 0; x < 256; x++) for (let c = 0; c < 3; c++) px[(y * 256 + x) * 3 + c] = 127 + 100 * Math.sin(f[c] * x + f[(c + 1) % 3] * y) + 27 * (rnd() - 0.5);
      await sharp(px, { raw: { width: 256, height: 256, channels: 3 } }).png().toFile(path.join(dir, `${String(i).padStart(5, '0')}.png`));
    }
  }
  const file = path.join(DIR, `images-256-${N_IMAGES}.tar`);
  if (!fs.existsSync(file)) await tar.c({ file, cwd: dir }, fs.readdirSync(dir).sort());
  return file;
}

/** Seconds from the upload's answer to the dataset's features being ready. */
async function extraction(s, tarFile) {
  const d = await api(s, 'POST', `/v1/datasets?mode=${MODE}&model=${MODEL}`, fs.readFileSync(tarFile), 'application/octet-stream');
  const t = process.hrtime.bigint();
  let row = d;
  while (row.status === 'processing') {
    await sleep(50);
    row = await api(s, 'GET', `/v1/datasets/${d.id}`);
  }
  if (row.status !== 'ready') throw new Error(`extraction ${row.status}: ${row.error}`);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function prdc(s, fake, real) {
  const a = await api(s, 'POST', '/v1/datasets', fs.readFileSync(fake), 'application/octet-stream');
  const b = await api(s, 'POST', '/v1/datasets', fs.readFileSync(real), 'application/octet-stream');
  const t = process.hrtime.bigint();
  let e = await api(s, 'POST', '/v1/evaluations', { generated: a.id, reference: b.id, metrics: ['prdc'] });
  while (e.status === 'queued' || e.status === 'running') {
    await sleep(50);
    e = await api(s, 'GET', `/v1/evaluations/${e.id}`);
  }
  if (e.status !== 'done') throw new Error(`prdc ${e.status}: ${e.error}`);
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, result: e.result };
}

async function main() {
  fs.mkdirSync(DIR, { recursive: true });
  const tarFile = PARTS.has('images') ? await imageTar() : undefined;
  const { fake, real } = PARTS.has('prdc') ? featurePair(DIR, ROWS) : {};
  const redis = await startRedis();
  const configs = [
    { name: 'embedded', workers: 0, threads: C },
    { name: `1 worker x ${C} threads`, workers: 1, threads: C },
    { name: `${C} workers x 1 thread`, workers: C, threads: 1 },
  ];
  const rows = [];
  try {
    for (const c of configs) {
      const blobs = fs.mkdtempSync(path.join(os.tmpdir(), 'genmetrics-bench-blobs-'));
      const s = await startServer(c.workers ? ['--redis', redis.url, '--blobs', blobs] : ['--blobs', blobs]);
      const workers = c.workers ? await startWorkers(c.workers, c.threads, redis.url, blobs) : [];
      try {
        const images = tarFile ? await extraction(s, tarFile) : NaN;
        const pids = [s.child.pid, ...workers.map((w) => w.pid)];
        const cpu0 = cpuSeconds(pids);
        const p = fake ? await prdc(s, fake, real) : { seconds: NaN, result: {} };
        const cpu = fake ? cpuSeconds(pids) - cpu0 : NaN;
        rows.push({ config: c.name, images_seconds: images, images_per_second: N_IMAGES / images, prdc_seconds: p.seconds, prdc_cpu_seconds: cpu, prdc: p.result });
        process.stderr.write(`${c.name}: extraction ${images.toFixed(1)} s, prdc ${p.seconds.toFixed(1)} s (${cpu.toFixed(1)} CPU s)\n`);
        // Scaled out, the blob directory holds no shard output nor data file once the jobs are done.
        const left = c.workers ? leftovers(path.join(blobs, 'work')) : 0;
        if (left > 0) throw new Error(`${c.name}: ${left} files left in ${path.join(blobs, 'work')}`);
      } finally {
        for (const w of workers) await stop(w);
        await stop(s.child);
        fs.rmSync(s.data, { recursive: true, force: true });
        fs.rmSync(blobs, { recursive: true, force: true });
      }
    }
  } finally {
    redis.child.kill('SIGKILL');
  }
  const base = rows[0];
  const numbers = (p) => JSON.stringify([p.precision, p.recall, p.density, p.coverage, p.f_score]);
  const same = rows.every((r) => numbers(r.prdc) === numbers(base.prdc));
  const cpu = os.cpus()[0].model.trim();
  console.log(`bench:scale on ${cpu}, ${os.availableParallelism()} cores (${Math.round(os.totalmem() / 2 ** 30)} GiB); ${N_IMAGES} images (${MODEL}, ${MODE}) and P/R/D/C ${ROWS} x ${ROWS} x 2048`);
  console.log('| configuration | extraction s | img/s | ratio | P/R/D/C s | ratio | P/R/D/C CPU s | ratio |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.config} | ${r.images_seconds.toFixed(1)} | ${r.images_per_second.toFixed(1)} | ${(r.images_seconds / base.images_seconds).toFixed(3)} | ${r.prdc_seconds.toFixed(1)} | ${(r.prdc_seconds / base.prdc_seconds).toFixed(3)} | ${r.prdc_cpu_seconds.toFixed(1)} | ${(r.prdc_cpu_seconds / base.prdc_cpu_seconds).toFixed(3)} |`);
  }
  const overhead = { images: rows[1].images_seconds / base.images_seconds - 1, prdc: rows[1].prdc_seconds / base.prdc_seconds - 1 };
  console.log(`queue overhead (1 worker x ${C} threads vs embedded): extraction ${(100 * overhead.images).toFixed(1)}%, P/R/D/C ${(100 * overhead.prdc).toFixed(1)}% (target <= 10%); P/R/D/C results identical in all three: ${same}`);
  fs.writeFileSync(path.join(DIR, 'scale.json'), JSON.stringify({ machine: { cpu, cores: os.availableParallelism(), memory_gib: os.totalmem() / 2 ** 30 }, images: N_IMAGES, rows: ROWS, model: MODEL, mode: MODE, rows_: rows.map(({ prdc: _p, ...r }) => r), overhead, identical: same }, null, 2));
  if (!same) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
