// Jest runs tests in a separate V8 realm with its own typed-array constructors; onnxruntime-node's
// native outputs are created in the main realm and fail its `instanceof Float32Array` checks. This
// environment gives the test realm the main realm's typed arrays, as a plain Node process has.
//
// It also gives each test file a temporary folder of its own, set as TMPDIR for the file's run (so
// os.tmpdir(), the library's temporary files and every child process land there) and removed when
// the file ends. The suite writes images, features and stores there (about 570 MB at its peak, on
// both workers together), which used to pile up in /tmp until a CI machine ran out of disk.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { TestEnvironment } = require('jest-environment-node');

class SharedTypedArrayEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of [
      'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Uint8Array', 'Uint8ClampedArray', 'Int8Array', 'Uint16Array',
      'Int16Array', 'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
    ]) {
      this.global[name] = globalThis[name];
    }
  }

  async setup() {
    await super.setup();
    this.savedTmpdir = process.env.TMPDIR;
    this.tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'genmetrics-jest-'));
    // Open to others, as /tmp is: some tests run the CLI as another user inside it.
    fs.chmodSync(this.tmpRoot, 0o755);
    process.env.TMPDIR = this.tmpRoot;
    this.global.process.env.TMPDIR = this.tmpRoot;
  }

  async teardown() {
    if (this.savedTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = this.savedTmpdir;
    if (this.tmpRoot) fs.rmSync(this.tmpRoot, { recursive: true, force: true, maxRetries: 3 });
    await super.teardown();
  }
}

module.exports = SharedTypedArrayEnvironment;
