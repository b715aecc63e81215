/** A real redis-server and `genmetrics worker` processes for the scale-out tests (loopback only). */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as net from 'net';
import * as path from 'path';

const BIN = path.join(__dirname, '..', 'bin', 'genmetrics.js');

/** A free loopback port (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.on('error', () => resolve(false));
    c.on('connect', () => c.write('PING\r\n'));
    c.on('data', (d) => {
      resolve(d.toString().startsWith('+PONG'));
      c.destroy();
    });
  });
}

export interface RedisServer {
  port: number;
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * redis-server on a random loopback port, nothing persisted (`--save '' --appendonly no`). A
 * machine without redis-server fails here, loudly: scripts/install-deps.sh installs it.
 */
export async function startRedis(port?: number): Promise<RedisServer> {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`redis-server is not installed (${probe.error?.message ?? probe.stderr}); run scripts/install-deps.sh (apt-get install redis-server)`);
  }
  const p = port ?? (await freePort());
  const child = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let exited = false;
  child.on('exit', () => (exited = true));
  for (let i = 0; i < 200 && !(await answersPing(p)); i++) {
    if (exited) throw new Error(`redis-server on port ${p} exited at start`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (exited) return resolve();
        child.on('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Its stderr so far (with --verbose: a line per shard started and done). */
  log(): string;
  /** Ids of the shards it finished. */
  done(): string[];
  /** Each shard started or done, with the time its line arrived. */
  events(): { event: 'start' | 'done'; op: string; id: string; at: number }[];
  stop(): Promise<void>;
}

/** `genmetrics worker` with short lock and stall intervals (a dead worker costs about 3.5 s; not shorter, so that a loaded machine does not stall live shards). */
export async function startWorker(redis: string, blobs: string, env: NodeJS.ProcessEnv = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [BIN, 'worker', '--redis', redis, '--blobs', blobs, '--threads', '1', '--lock-duration', '2500', '--stalled-interval', '1000', '--verbose'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  const events: { event: 'start' | 'done'; op: string; id: string; at: number }[] = [];
  child.stderr!.on('data', (c: Buffer) => {
    const at = Date.now();
    for (const m of c.toString().matchAll(/genmetrics worker: (start|done) (\w+) ([0-9a-f]+)/g)) events.push({ event: m[1] as 'start' | 'done', op: m[2], id: m[3], at });
    stderr += c.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      if (/taking shards/.test(stderr)) {
        clearInterval(t);
        resolve();
      }
    }, 20);
    child.on('exit', (code) => {
      clearInterval(t);
      reject(new Error(`worker exited ${code}: ${stderr}`));
    });
  });
  let exited = false;
  child.on('exit', () => (exited = true));
  return {
    child,
    log: () => stderr,
    done: () => events.filter((e) => e.event === 'done').map((e) => e.id),
    events: () => events,
    stop: () =>
      new Promise((resolve) => {
        if (exited) return resolve();
        child.on('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
