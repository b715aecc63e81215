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
console.error('genmetrics: could not build the native addon. It needs a C++17 compiler, CMake >= 3.15 and Eigen 3.4 (Debian/Ubuntu: apt-get install g++ cmake libeigen3-dev).');
process.exit(1);
