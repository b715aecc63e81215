/** A client and a server process for the service tests (real HTTP on loopback). */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { createToken } from '../lib/service/auth';
import { Store } from '../lib/service/store';
import { tmpDir } from './helpers';

const BIN = path.join(__dirname, '..', 'bin', 'genmetrics.js');

export interface Res {
  status: number;
  headers: Headers;
  body: any;
}

export class Client {
  constructor(
    readonly base: string,
    readonly token?: string,
  ) {}
  async req(method: string, url: string, o: { json?: unknown; body?: RequestInit['body']; type?: string; token?: string | null } = {}): Promise<Res> {
    const headers: Record<string, string> = {};
    const tok = o.token === null ? undefined : (o.token ?? this.token);
    if (tok) headers.authorization = `Bearer ${tok}`;
    let body = o.body;
    if (o.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(o.json);
    } else if (o.type) headers['content-type'] = o.type;
    const r = await fetch(this.base + url, { method, headers, body });
    const text = await r.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: r.status, headers: r.headers, body: parsed };
  }
  upload(file: string, query = '', token?: string | null): Promise<Res> {
    return this.req('POST', `/v1/datasets${query}`, { body: fs.readFileSync(file), type: 'application/octet-stream', token });
  }
  async waitDone(id: string): Promise<any> {
    for (;;) {
      const r = await this.req('GET', `/v1/evaluations/${id}`);
      if (['done', 'failed', 'canceled'].includes(r.body.status)) return r.body;
      await new Promise((res) => setTimeout(res, 50));
    }
  }
}

export interface Started {
  base: string;
  data: string;
  tokens: Record<string, string>;
  child: ChildProcess;
  /** SIGTERM: drains and resolves to the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no chance to clean up. */
  kill9(): Promise<void>;
}

/**
 * `genmetrics serve` in a child process on a random loopback port over `data`, with four tokens
 * made first (or the given ones, for a restart over the same data).
 */
export async function start(flags: string[] = [], data = tmpDir(), tokens: Record<string, string> = {}): Promise<Started> {
  const fresh = Object.keys(tokens).length === 0;
  const store = new Store(data);
  for (const [name, scope, project] of [
    ['writer', 'write', 'lab'],
    ['reader', 'read', 'lab'],
    ['admin', 'admin', 'shared'],
    ['other', 'write', 'elsewhere'],
  ] as const) {
    if (fresh) tokens[name] = createToken(store, { name, scope, project }).token;
  }
  store.close();
  // This test file's process.env (Jest gives each file its own copy; spawn would otherwise take the runner's).
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data', data, '--threads', '2', ...flags], { stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
  let stderr = '';
  const base = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return {
    base,
    data,
    tokens,
    child,
    stop: () =>
      new Promise((resolve) => {
        child.on('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
    kill9: () =>
      new Promise((resolve) => {
        child.on('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

