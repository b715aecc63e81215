/**
 * Image archives uploaded to the service: a zip or tar of images becomes an image dataset (its
 * features extracted in a job), and every archive that could escape its folder or fill the disk is
 * refused with a 422 that names the problem, leaving nothing behind.
 */
import * as fs from 'fs';
import * as path from 'path';
import { zipSync } from 'fflate';
import * as tar from 'tar';
import { cli, referenceImages, sharedFile, tmpDir } from './helpers';
import { Client, start, type Started } from './service-helpers';

const dir = tmpDir();
const names = referenceImages().slice(0, 4);
const bytesOf = (n: string) => new Uint8Array(fs.readFileSync(sharedFile('fixtures', 'images', n)));

function zipFile(name: string, entries: Record<string, Uint8Array | [Uint8Array, { attrs?: number; os?: number }]>): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, zipSync(entries as never, { level: 6 }));
  return f;
}

describe('image archives', () => {
  let s: Started;
  let w: Client;
  beforeAll(async () => {
    s = await start(['--max-archive-entries', '6', '--max-archive-bytes', '3000000']);
    w = new Client(s.base, s.tokens.writer);
  });
  afterAll(async () => expect(await s.stop()).toBe(0));

  test('a zip and a tar of images: image datasets whose Inception Score equals the CLI on the same folder', async () => {
    const folder = path.join(dir, 'imgs');
    fs.mkdirSync(path.join(folder, 'sub'), { recursive: true });
    names.forEach((n, i) => fs.copyFileSync(sharedFile('fixtures', 'images', n), path.join(folder, i % 2 ? 'sub' : '', n)));
    fs.writeFileSync(path.join(folder, 'README.txt'), 'not an image');
    const z = zipFile('imgs.zip', Object.fromEntries(names.map((n, i) => [`${i % 2 ? 'sub/' : ''}${n}`, bytesOf(n)]).concat([['README.txt', new TextEncoder().encode('not an image')]])));
    const t = path.join(dir, 'imgs.tar');
    await tar.c({ file: t, cwd: folder, portable: true }, fs.readdirSync(folder));
    const cliIs = JSON.parse(cli(['is', folder, '--model', 'inception-fid-twin', '--splits', '2', '--json', '-q']).stdout);
    for (const file of [z, t]) {
      const up = await w.upload(file, '?model=inception-fid-twin');
      expect(up.status).toBe(201);
      expect(up.body).toMatchObject({ kind: 'images', count: names.length, status: 'processing' });
      const ev = await w.req('POST', '/v1/evaluations', { json: { generated: up.body.id, metrics: ['is'], options: { splits: 2 } } });
      const done = await w.waitDone(ev.body.id);
      expect(done.status).toBe('done');
      expect([done.result.inception_score, done.result.per_split, done.result.count]).toEqual([cliIs.inception_score, cliIs.per_split, cliIs.count]);
    }
  });

  test('unsafe or oversized archives are refused with their reason, and nothing is kept', async () => {
    const png = bytesOf(names[0]);
    const before = (await w.req('GET', '/v1/datasets')).body.datasets.length;
    const link = path.join(dir, 'linkdir');
    fs.mkdirSync(link, { recursive: true });
    fs.writeFileSync(path.join(link, 'a.png'), png);
    fs.symlinkSync('/etc/passwd', path.join(link, 'b.png'));
    const linkTar = path.join(dir, 'link.tar');
    await tar.c({ file: linkTar, cwd: link }, ['a.png', 'b.png']);
    const up = path.join(dir, 'up');
    fs.mkdirSync(path.join(up, 'inner'), { recursive: true });
    fs.writeFileSync(path.join(up, 'x.png'), png);
    const climbTar = path.join(dir, 'climb.tar');
    await tar.c({ file: climbTar, cwd: path.join(up, 'inner'), preservePaths: true }, ['../x.png']);
    const cases: [string, RegExp][] = [
      [zipFile('climb.zip', { '../evil.png': png }), /climbs out|invalid relative path/],
      [zipFile('abs.zip', { '/tmp/evil.png': png }), /absolute path/],
      [zipFile('symlink.zip', { 'a.png': [png, { os: 3, attrs: (0o120777 << 16) >>> 0 }] }), /is a symbolic link/],
      [zipFile('many.zip', Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`${i}.png`, png]))), /more than 6 entries/],
      [zipFile('bomb.zip', { 'a.png': png, 'zeros.png': new Uint8Array(4_000_000) }), /unpacks to more than 3000000 bytes/],
      [zipFile('none.zip', { 'notes.txt': new TextEncoder().encode('hi') }), /holds no images/],
      [linkTar, /'b\.png' is a link/],
      [climbTar, /climbs out/],
    ];
    for (const [file, message] of cases) {
      const r = await w.upload(file);
      expect([path.basename(file), r.status]).toEqual([path.basename(file), 422]);
      expect(r.body.error.message).toMatch(message);
    }
    expect((await w.req('GET', '/v1/datasets')).body.datasets.length).toBe(before);
    const leftovers = fs
      .readdirSync(path.join(s.data, 'blobs'), { recursive: true })
      .map(String)
      .filter((p) => p.endsWith('.partial') || p.startsWith('tmp/'));
    expect(leftovers).toEqual([]);
    expect(fs.existsSync('/tmp/evil.png')).toBe(false);
  });
});
