#!/usr/bin/env node
// npm's install step: use a prebuilt binary when one fits this platform (node-gyp-build finds it),
// otherwise build from source with cmake-js, falling back to node-gyp (binding.gyp).
'use strict';
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..');
if (!process.env.GENMETRICS_BUILD_FROM_SOURCE) {
  try {
    require('node-gyp-build')(root);
    process.exit(0);
  } catch {
    // no usable binary: build one
  }
}
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' }).status === 0;
const cmakeJs = path.join(path.dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
if (run(process.execPath, [cmakeJs, 'compile', '--out', 'build'])) process.exit(0);
console.error('genmetrics: cmake-js build failed; trying node-gyp');
// npm passes the path of its bundled node-gyp to install scripts.
const nodeGyp = process.env.npm_config_node_gyp;
if (nodeGyp && run(process.execPath, [nodeGyp, 'rebuild'])) process.exit(0);
// Name what is missing: a compiler, CMake, Eigen's headers.
const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const eigen = process.env.EIGEN3_INCLUDE_DIR || '/usr/include/eigen3';
const missing = [
  ...(onPath('c++') || onPath('g++') || onPath('clang++') ? [] : ['a C++17 compiler (g++)']),
  ...(onPath('cmake') ? [] : ['CMake >= 3.15 (cmake)']),
  ...(require('fs').existsSync(path.join(eigen, 'Eigen', 'Core')) ? [] : [`Eigen 3.4's headers (libeigen3-dev; looked in ${eigen}, set EIGEN3_INCLUDE_DIR)`]),
];
console.error(
  `genmetrics: no prebuilt binary fits this platform (${process.platform}-${process.arch}), and building one from source failed` +
    (missing.length ? `; missing: ${missing.join(', ')}` : '') +
    '. Debian/Ubuntu: apt-get install g++ cmake libeigen3-dev (or scripts/install-deps.sh).',
);
process.exit(1);
