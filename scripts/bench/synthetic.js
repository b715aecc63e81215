// Synthetic 2048-d features for the pairwise benches (pairwise.js, kid.js): non-negative and
// clustered like Inception pool3 (the generated set: fewer clusters, less spread), written once
// per size under the bench folder.
'use strict';
const fs = require('fs');
const path = require('path');
const { NpyRowWriter } = require('../../dist/io/npy');

const D = 2048;

/** n x D float32 rows: relu(centre_c + spread * noise), c uniform over `clusters`. */
function makeFeatures(file, n, clusters, spread, seed) {
  if (fs.existsSync(file)) return file;
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  let c = 777;
  const crnd = () => ((c = (Math.imul(c, 22695477) + 1) >>> 0) / 2 ** 32);
  const centres = Float32Array.from({ length: 64 * D }, () => crnd() * 0.6);
  const w = new NpyRowWriter(file, 'float32', D);
  const block = 1000;
  const buf = new Float32Array(block * D);
  for (let r0 = 0; r0 < n; r0 += block) {
    const rows = Math.min(block, n - r0);
    for (let r = 0; r < rows; r++) {
      const k = Math.floor(rnd() * clusters);
      for (let j = 0; j < D; j++) buf[r * D + j] = Math.max(0, centres[k * D + j] + spread * gauss());
    }
    w.append(buf.subarray(0, rows * D), rows);
  }
  w.commit();
  return file;
}

/** A generated and a reference set of n rows each in `dir`. */
function featurePair(dir, n) {
  fs.mkdirSync(dir, { recursive: true });
  return {
    fake: makeFeatures(path.join(dir, `fake_${n}x${D}.npy`), n, 40, 0.15, 1 + n),
    real: makeFeatures(path.join(dir, `real_${n}x${D}.npy`), n, 64, 0.2, 2 + n),
  };
}

module.exports = { D, featurePair };
