/** A pytorch-fid checkpoint (real key names and shapes) holding the Inception twin's weights. */
import * as fs from 'fs';
import * as path from 'path';
import { decodeOnnx } from '../lib/models/onnx-proto';
import { FIXTURES, sharedFile } from './helpers';
import { writeTorchZip } from './torch-zip';

export const KEYS: [string, number[]][] = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'pt_inception_keys.json'), 'utf8')).keys;
export const TWIN = sharedFile('models', 'inception-fid-twin.onnx');

/** The twin's weights under pytorch-fid's names: its (batch-norm folded) convolutions paired with
 *  the checkpoint's conv weights in order, each batch norm the identity (gamma 1, mean 0,
 *  var + 0.001 = 1 in float32), beta the folded bias. */
export function twinCheckpoint(file: string): void {
  const model = decodeOnnx(fs.readFileSync(TWIN));
  const init = new Map(model.graph!.initializer!.map((t) => [t.name!, t]));
  const f32 = (name: string) => {
    const raw = init.get(name)!.raw_data!;
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  };
  const convs = model.graph!.node!.filter((n) => n.op_type === 'Conv');
  const convKeys = KEYS.filter(([k]) => k.endsWith('.conv.weight'));
  if (convs.length !== convKeys.length) throw new Error(`${convs.length} convolutions in the twin, ${convKeys.length} in the checkpoint`);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  convs.forEach((n, i) => {
    const [key, shape] = convKeys[i];
    const prefix = key.slice(0, -'.conv.weight'.length);
    const w = f32(n.input![1]);
    const out = shape[0];
    if (w.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`${key}: the twin's ${n.input![1]} has ${w.length} values`);
    tensors.set(key, { shape, data: w });
    tensors.set(`${prefix}.bn.weight`, { shape: [out], data: new Float32Array(out).fill(1) });
    tensors.set(`${prefix}.bn.bias`, { shape: [out], data: f32(n.input![2]) });
    tensors.set(`${prefix}.bn.running_mean`, { shape: [out], data: new Float32Array(out) });
    tensors.set(`${prefix}.bn.running_var`, { shape: [out], data: new Float32Array(out).fill(Math.fround(0.999)) });
  });
  const mm = model.graph!.node!.find((n) => n.op_type === 'MatMul')!;
  const wt = f32(mm.input![1]); // 2048 x 1008
  const fc = new Float32Array(1008 * 2048);
  for (let i = 0; i < 2048; i++) for (let j = 0; j < 1008; j++) fc[j * 2048 + i] = wt[i * 1008 + j];
  tensors.set('fc.weight', { shape: [1008, 2048], data: fc });
  tensors.set('fc.bias', { shape: [1008], data: f32('fc.bias') });
  // Every key of the real checkpoint, in its order, and nothing else.
  if ([...tensors.keys()].sort().join() !== KEYS.map(([k]) => k).sort().join()) throw new Error('the twin checkpoint does not have the real keys');
  writeTorchZip(
    file,
    KEYS.map(([name, shape]) => ({ name, shape, data: tensors.get(name)!.data })),
  );
}

