/**
 * Writes a PyTorch zip checkpoint (what torch.save writes since 1.6) of a flat state dict of
 * float32 tensors: `archive/data.pkl` (a protocol-2 pickle of an OrderedDict whose values are
 * torch._utils._rebuild_tensor_v2 records over persistent FloatStorage ids), `archive/data/<k>`
 * (the little-endian values) and `archive/version`. For tests of the checkpoint reader.
 */
import * as fs from 'fs';
import { zipSync } from 'fflate';

class Pickle {
  parts: Buffer[] = [Buffer.from([0x80, 0x02])];
  op(...bytes: number[]) {
    this.parts.push(Buffer.from(bytes));
  }
  global(mod: string, name: string) {
    this.parts.push(Buffer.from(`c${mod}\n${name}\n`, 'latin1'));
  }
  str(s: string) {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    this.parts.push(Buffer.from([0x58]), len, b); // BINUNICODE
  }
  int(n: number) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    this.parts.push(Buffer.from([0x4a]), b); // BININT
  }
  tuple(items: number[]) {
    if (items.length === 0) return this.op(0x29); // EMPTY_TUPLE
    this.op(0x28); // MARK
    items.forEach((i) => this.int(i));
    this.op(0x74); // TUPLE
  }
}

export function writeTorchZip(file: string, tensors: { name: string; shape: number[]; data: Float32Array }[]): void {
  const p = new Pickle();
  p.global('collections', 'OrderedDict');
  p.op(0x29, 0x52); // EMPTY_TUPLE, REDUCE
  p.op(0x28); // MARK
  const entries: Record<string, Uint8Array> = {};
  tensors.forEach((t, k) => {
    p.str(t.name);
    p.global('torch._utils', '_rebuild_tensor_v2');
    p.op(0x28); // MARK (args)
    p.op(0x28); // MARK (persistent id)
    p.str('storage');
    p.global('torch', 'FloatStorage');
    p.str(String(k));
    p.str('cpu');
    p.int(t.data.length);
    p.op(0x74, 0x51); // TUPLE, BINPERSID
    p.int(0); // storage offset
    p.tuple(t.shape);
    const stride = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    p.tuple(stride);
    p.op(0x89); // NEWFALSE (requires_grad)
    p.global('collections', 'OrderedDict');
    p.op(0x29, 0x52); // OrderedDict() (backward hooks)
    p.op(0x74, 0x52); // TUPLE, REDUCE
    entries[`archive/data/${k}`] = new Uint8Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
  });
  p.op(0x75, 0x2e); // SETITEMS, STOP
  entries['archive/data.pkl'] = new Uint8Array(Buffer.concat(p.parts));
  entries['archive/version'] = new TextEncoder().encode('3\n');
  fs.writeFileSync(file, zipSync(entries, { level: 0 }));
}
