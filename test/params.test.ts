import * as fs from 'fs';
import * as path from 'path';
import { modelParams } from '../lib/models/params';
import { FIXTURES, cli, sharedFile, tmpDir } from './helpers';

const EXP = JSON.parse(fs.readFileSync(sharedFile('fixtures', 'vae', 'expected.json'), 'utf8')).dcgan_mnist_model_size;

describe('model size (dcgan_mnist_model_size, exactly)', () => {
  for (const net of ['generator', 'discriminator']) {
    test.each(['pth', 'safetensors'])(`${net}.%s: learnable, buffers, per tensor`, (ext) => {
      const r = modelParams(sharedFile('fixtures', 'vae', 'dcgan_mnist', `${net}.${ext}`));
      const want = EXP[net];
      expect(r.learnable).toBe(want.learnable_parameters);
      expect(r.buffers).toBe(want.buffer_elements_total);
      expect(Object.fromEntries(r.tensors.filter((t) => t.kind === 'buffer').map((t) => [t.name, t.elements]))).toEqual(want.buffers);
      expect(Object.fromEntries(r.tensors.filter((t) => t.kind === 'parameter').map((t) => [t.name, t.elements]))).toEqual(want.per_layer_learnable);
    });

    test(`${net}.onnx: initializer elements`, () => {
      const r = modelParams(sharedFile('fixtures', 'vae', 'dcgan_mnist', `${net}.onnx`));
      expect(r.format).toBe('onnx');
      expect(r.total).toBe(EXP[net].onnx_initializer_elements);
    });
  }

  test('bytes by dtype; the int64 batch counters are buffers', () => {
    const r = modelParams(sharedFile('fixtures', 'vae', 'dcgan_mnist', 'generator.pth'));
    expect(r.bytesByDtype).toEqual({ float32: 4 * (r.total - 2), int64: 16 });
    expect(r.layers.fc).toBe(627200 + 6272);
  });

  test('nested checkpoints are walked; a pickled module or a file without tensors is refused', () => {
    const r = modelParams(path.join(FIXTURES, 'pth_checkpoint.pth'));
    expect(r.tensors.map((t) => t.name)).toEqual([
      'state_dict.0.weight',
      'state_dict.0.bias',
      'state_dict.1.weight',
      'state_dict.1.bias',
      'state_dict.1.running_mean',
      'state_dict.1.running_var',
      'state_dict.1.num_batches_tracked',
    ]);
    expect([r.learnable, r.buffers]).toEqual([6 + 3 + 3 + 3, 3 + 3 + 1]);
    expect(() => modelParams(path.join(FIXTURES, 'pth_module.pth'))).toThrow(/pth_module\.pth: no tensors found .*torch\.nn\.modules\.linear\.Linear.*state_dict\(\)/);
    expect(() => modelParams(path.join(FIXTURES, 'pth_no_tensors.pth'))).toThrow(/pth_no_tensors\.pth: no tensors found in the checkpoint/);
  });

  test('bad files: exit 1 naming the file', () => {
    const dir = tmpDir();
    const files: [string, string | Buffer, RegExp][] = [
      ['bad.onnx', 'garbage!', /bad\.onnx: not a readable ONNX model/],
      ['bad.safetensors', Buffer.from([255, 255, 255, 255, 0, 0, 0, 0, 1]), /bad\.safetensors: not a safetensors file/],
      ['bad.pth', 'not a zip', /bad\.pth: not a PyTorch zip checkpoint/],
      ['model.h5', 'x', /model\.h5: unknown model format '\.h5'/],
    ];
    for (const [name, content, msg] of files) {
      fs.writeFileSync(path.join(dir, name), content);
      const r = cli(['params', path.join(dir, name)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(msg);
    }
  });

  test('genmetrics params --json', () => {
    const r = cli(['params', sharedFile('fixtures', 'vae', 'dcgan_mnist', 'discriminator.safetensors'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ format: 'safetensors', learnable: EXP.discriminator.learnable_parameters, buffer_elements: 257, buffers: EXP.discriminator.buffers });
    const custom = JSON.parse(cli(['params', sharedFile('fixtures', 'vae', 'dcgan_mnist', 'discriminator.pth'), '--buffer-pattern', '^bn2\\.', '--json']).stdout);
    expect(custom.buffer_elements).toBe(128 * 4 + 1);
  });
});
