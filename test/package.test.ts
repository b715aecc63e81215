/**
 * The package as a user gets it: `npm run prebuild` (prebuildify, N-API, portable baseline) and
 * `npm pack` in a copy of the repository, then `npm install ./genmetrics-*.tgz` into an empty
 * folder with no compiler, CMake or make on the PATH, and `genmetrics fid` run from there. Needs
 * the npm registry (as `npm install` does); takes a few minutes, so it runs in its own jest worker.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { copyCheckout, sharedFile, tmpDir } from './helpers';

const ROOT = path.join(__dirname, '..');
const BUILD_TOOLS = /^(c\+\+|g\+\+|gcc|cc|cpp|clang.*|cmake|ctest|cpack|make|gmake|ninja|ld|x86_64-linux-gnu-.*|aarch64-linux-gnu-.*|.*-g\+\+.*|.*-gcc.*)$/;

/** A PATH of symlinks to every program of the usual bin folders except compilers and build tools. */
function pathWithoutBuildTools(): string {
  const bin = path.join(tmpDir(), 'bin');
  fs.mkdirSync(bin);
  const dirs = [path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'];
  for (const d of dirs) {
    if (!fs.existsSync(d)) continue;
    for (const name of fs.readdirSync(d)) {
      if (BUILD_TOOLS.test(name) || fs.existsSync(path.join(bin, name))) continue;
      fs.symlinkSync(path.join(d, name), path.join(bin, name));
    }
  }
  return bin;
}

test('the packed tarball installs with no compiler on the PATH and runs genmetrics fid', () => {
  // A copy of the tracked files and the compiled dist/, with this checkout's node_modules.
  const copy = copyCheckout();
  fs.cpSync(path.join(ROOT, 'dist'), path.join(copy, 'dist'), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) => {
    const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  run('npm', ['run', 'prebuild'], copy);
  expect(fs.readdirSync(path.join(copy, 'prebuilds'))).toContain(`${process.platform}-${process.arch}`);
  const packed = run('npm', ['pack', '--ignore-scripts', '--json'], copy);
  const tarball = path.join(copy, JSON.parse(packed.stdout)[0].filename);
  const listed: string[] = JSON.parse(packed.stdout)[0].files.map((f: { path: string }) => f.path);
  expect(listed).toEqual(expect.arrayContaining([`prebuilds/${process.platform}-${process.arch}/genmetrics.node`, 'dist/index.js', 'bin/genmetrics.js']));

  // A user's empty project; PATH without compilers; onnxruntime-node's CUDA download off, as the README says.
  const user = tmpDir();
  fs.writeFileSync(path.join(user, 'package.json'), JSON.stringify({ name: 'user', version: '1.0.0', private: true }));
  const PATH = pathWithoutBuildTools();
  const env = { ...process.env, PATH, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };
  expect(spawnSync('sh', ['-c', 'command -v g++ || command -v cc || command -v cmake || command -v make'], { env }).status).not.toBe(0);
  run('npm', ['install', tarball], user, env);
  const bin = path.join(user, 'node_modules', '.bin', 'genmetrics');
  const M = sharedFile('fixtures', 'metrics');
  const fid = run(bin, ['fid', path.join(M, 'real_3000x2048.npy'), path.join(M, 'fake_3000x2048.npy'), '--json', '-q'], user, env);
  const here = run(process.execPath, [path.join(ROOT, 'bin', 'genmetrics.js'), 'fid', path.join(M, 'real_3000x2048.npy'), path.join(M, 'fake_3000x2048.npy'), '--json', '-q'], ROOT);
  expect(JSON.parse(fid.stdout).fid).toBeCloseTo(JSON.parse(here.stdout).fid, 9);
  // Without a fitting binary and without the tools, the source build says what is missing.
  const scratch = path.join(tmpDir(), 'src');
  fs.cpSync(copy, scratch, { recursive: true, filter: (p) => !/\/(prebuilds|build|node_modules)$/.test(p) });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(scratch, 'node_modules'));
  const failed = spawnSync(process.execPath, ['scripts/install-native.js'], { cwd: scratch, env: { ...env, GENMETRICS_BUILD_FROM_SOURCE: '1' }, encoding: 'utf8' });
  expect(failed.status).toBe(1);
  expect(failed.stderr).toMatch(/no prebuilt binary fits this platform \(linux-x64\), and building one from source failed; missing: a C\+\+17 compiler \(g\+\+\), CMake >= 3\.15 \(cmake\)/);
  const version = run(bin, ['--version', '--verbose'], user, env).stdout;
  expect(version).toMatch(/native addon: .*prebuilds\/linux-x64\/genmetrics\.node \(prebuilt, portable x86-64-v2 baseline\)/);
  expect(version).toMatch(/GEMM kernel: (avx512|avx2|generic) \(chosen when the addon loads/);
}, 900_000);
