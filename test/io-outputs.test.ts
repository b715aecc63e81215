// Outputs are checked before any work: never an input, never two outputs in one file, the folder
// must exist and be writable; special files are written through, not replaced.
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync, spawn, spawnSync } from 'child_process';
import { writeNpy } from '../lib/io/npy';
import { FIXTURES, cli, tmpDir } from './helpers';

const fx = (f: string) => path.join(FIXTURES, f);

function features(dir: string, name = 'in.npy'): string {
  const p = path.join(dir, name);
  writeNpy(p, { dtype: 'float32', shape: [8, 3], data: Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)) });
  return p;
}

describe('an output that is an input is refused before any work, the input untouched', () => {
  test.each([
    ['the same path', (p: string) => p],
    ['a symbolic link to it', (p: string) => {
      const l = path.join(path.dirname(p), 'link.npy');
      fs.symlinkSync(p, l);
      return l;
    }],
    ['a hard link to it', (p: string) => {
      const l = path.join(path.dirname(p), 'hard.npy');
      fs.linkSync(p, l);
      return l;
    }],
    ['a path through ..', (p: string) => path.join(path.dirname(p), '..', path.basename(path.dirname(p)), path.basename(p))],
  ])('%s', (_name, alias) => {
    const dir = tmpDir();
    const input = features(dir);
    const before = fs.readFileSync(input);
    const r = cli(['stats', input, '-o', alias(input)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\(--output\) is the same file as the input .*in\.npy: writing it would destroy the input/);
    expect(fs.readFileSync(input)).toEqual(before);
  });

  test('two outputs in one file, and an option input as output', () => {
    const dir = tmpDir();
    const out = path.join(dir, 'x.npy');
    const r = cli(['features', fx('u1_2x4x4x3.npy'), '-o', out, '--logits', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/x\.npy \(--logits\) is the same file as .*x\.npy \(--output\): each output needs its own file/);
    const labels = path.join(dir, 'labels.npy');
    fs.copyFileSync(fx('blobs_300x4_labels.npy'), labels);
    const c = cli(['cluster', '--codes', fx('blobs_300x4.npy'), '--labels', labels, '--out', labels]);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/labels\.npy \(--out\) is the same file as the input/);
    expect(fs.readFileSync(labels)).toEqual(fs.readFileSync(fx('blobs_300x4_labels.npy')));
  });
});

describe('unwritable outputs are found before the work, naming the path given', () => {
  test('a missing folder, a folder as the output, a file as the folder', () => {
    const dir = tmpDir();
    const input = features(dir);
    const missing = path.join(dir, 'nope', 'out.npz');
    let r = cli(['stats', input, '-o', missing]);
    expect(r.stderr).toContain(`${missing}: cannot write: the folder ${path.join(dir, 'nope')} does not exist (ENOENT)`);
    r = cli(['stats', input, '-o', dir]);
    expect(r.stderr).toContain(`${dir}: is a folder; --output names the file to write`);
    r = cli(['stats', input, '-o', path.join(input, 'out.npz')]);
    expect(r.stderr).toMatch(/cannot write: .*in\.npy is not a folder \(ENOTDIR\)/);
    expect(fs.readdirSync(dir)).toEqual(['in.npy']);
  });

  test('a read-only file system (a tmpfs mounted read-only; the tests run as root, as CI does)', () => {
    const dir = tmpDir();
    const input = features(dir);
    const ro = path.join(dir, 'ro');
    fs.mkdirSync(ro);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro]);
    try {
      const r = cli(['stats', input, '-o', path.join(ro, 'out.npz')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${path.join(ro, 'out.npz')}: cannot write: read-only file system (EROFS)`);
    } finally {
      execFileSync('umount', [ro]);
    }
  });

  test('no permission (run as the unprivileged user nobody)', () => {
    const dir = tmpDir();
    fs.chmodSync(dir, 0o755);
    const input = features(dir);
    fs.chmodSync(input, 0o644);
    const bin = path.resolve(__dirname, '..', 'bin', 'genmetrics.js');
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, bin, 'stats', input, '-o', path.join(dir, 'out.npz')], { encoding: 'utf8' });
    expect(r.stderr).toContain(`${path.join(dir, 'out.npz')}: cannot write: permission denied (EACCES)`);
    expect(r.status).toBe(1);
  });
});

describe('special files are written through, not replaced', () => {
  test('/dev/null stays a character device', () => {
    const r = cli(['stats', features(tmpDir()), '-o', '/dev/null']);
    expect(r.code).toBe(0);
    expect(fs.statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  test('a FIFO receives the output and stays a FIFO', async () => {
    const dir = tmpDir();
    const fifo = path.join(dir, 'pipe.npz');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo]);
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise((resolve) => reader.on('close', resolve));
    const r = cli(['stats', features(dir), '-o', fifo]);
    await done;
    expect(r.code).toBe(0);
    expect(fs.statSync(fifo).isFIFO()).toBe(true);
    const bytes = Buffer.concat(chunks);
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK'); // the .npz (a zip)
    fs.writeFileSync(path.join(dir, 'copy.npz'), bytes);
    expect(JSON.parse(cli(['fid', path.join(dir, 'copy.npz'), path.join(dir, 'copy.npz'), '--json']).stdout).fid).toBeCloseTo(0, 9);
  });
});
