/**
 * Small ViT twins of the extractors' networks, written as ONNX from JS (opset 17, standard
 * operators onnxruntime runs): the same architecture family as the real exports, few layers, seeded
 * weights named as the official state dicts name them, so scripts/make_extractor_fixtures.py loads
 * the same values into openai/CLIP's VisionTransformer and facebookresearch/dinov2's
 * DinoVisionTransformer and stores their outputs (test/fixtures/extractors/reference.json).
 *
 * - clip: conv1 (no bias), class_embedding, positional_embedding, ln_pre, pre-norm residual blocks
 *   (nn.MultiheadAttention in_proj/out_proj, QuickGELU MLP c_fc/c_proj), ln_post on the CLS token,
 *   the visual projection `proj`; output image_embeds (not normalised, as the real export).
 * - dinov2: patch_embed.proj (with bias), cls_token, pos_embed (native grid: no interpolation),
 *   blocks with qkv/proj attention, LayerScale ls1/ls2, GELU (erf) MLP fc1/fc2, LayerNorm eps 1e-6,
 *   final norm; output x_norm_clstoken.
 *
 * Tensor values (vitTensor, mirrored in the fixture script): hashedValues(n, fnv1a(name), s) with
 * s = 1/sqrt(fan_in) for weights (fan_in: the product of the torch shape but the first; `proj`'s
 * first dimension), 0.1 for biases, 0.5 for embeddings and tokens; LayerNorm weights 1 + h(0.2),
 * LayerScale gammas 0.5 + h(0.3).
 */
import { extractorMetadata } from '../lib/network/extractor';
import { fnv1a, hashedValues, writeModel, type GraphSpec, type NodeSpec } from './onnx-builder';

export interface VitTwin {
  kind: 'clip' | 'dinov2';
  width: number;
  heads: number;
  layers: number;
  patch: number;
  /** Input side (336 for CLIP ViT-L/14@336px, 224 for dgm-eval's DINOv2). */
  size: number;
  /** CLIP: projection width. */
  embed?: number;
}

export const CLIP_TWIN: VitTwin = { kind: 'clip', width: 32, heads: 2, layers: 2, patch: 14, size: 336, embed: 16 };
export const DINOV2_TWIN: VitTwin = { kind: 'dinov2', width: 32, heads: 2, layers: 2, patch: 14, size: 224 };

/** A tensor of the twin by its state-dict name and torch shape. */
export function vitTensor(name: string, shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const seed = fnv1a(name);
  const leaf = name.split('.').pop()!;
  const isNorm = /(^|\.)(ln_\w+|norm\d?)\.(weight|bias)$/.test(name);
  if (isNorm && leaf === 'weight') return Float32Array.from(hashedValues(n, seed, 0.2), (v) => 1 + v);
  if (leaf === 'gamma') return Float32Array.from(hashedValues(n, seed, 0.3), (v) => 0.5 + v);
  if (leaf === 'bias' || leaf.endsWith('_bias')) return hashedValues(n, seed, 0.1);
  if (['class_embedding', 'positional_embedding', 'cls_token', 'pos_embed', 'mask_token'].includes(name)) return hashedValues(n, seed, 0.5);
  const fanIn = name === 'proj' ? shape[0] : shape.slice(1).reduce((a, b) => a * b, 1);
  return hashedValues(n, seed, 1 / Math.sqrt(fanIn));
}

/** [out, in] (torch Linear) -> [in, out] (MatMul's right operand). */
function transposed(w: Float32Array, out: number, inn: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let o = 0; o < out; o++) for (let i = 0; i < inn; i++) t[i * out + o] = w[o * inn + i];
  return t;
}

class Graph {
  nodes: NodeSpec[] = [];
  initializers: GraphSpec['initializers'] = [];
  private k = 0;

  init(name: string, dims: number[], data: Float32Array | BigInt64Array): string {
    this.initializers.push({ name, dims, data });
    return name;
  }

  ints(name: string, values: number[]): string {
    return this.init(name, [values.length], BigInt64Array.from(values.map(BigInt)));
  }

  scalar(name: string, v: number): string {
    return this.init(name, [], Float32Array.of(v));
  }

  op(op: string, inputs: string[], attrs?: NodeSpec['attrs'], out?: string): string {
    const o = out ?? `t${this.k++}`;
    this.nodes.push({ op, inputs, outputs: [o], attrs });
    return o;
  }

  /** torch Linear (weight [out, in], bias [out]) on the last axis. */
  linear(x: string, name: string, out: number, inn: number, bias = true): string {
    const w = this.init(`${name}.weight.T`, [inn, out], transposed(vitTensor(`${name}.weight`, [out, inn]), out, inn));
    const y = this.op('MatMul', [x, w]);
    return bias ? this.op('Add', [y, this.init(`${name}.bias`, [out], vitTensor(`${name}.bias`, [out]))]) : y;
  }

  layerNorm(x: string, name: string, width: number, eps: number): string {
    const w = this.init(`${name}.weight`, [width], vitTensor(`${name}.weight`, [width]));
    const b = this.init(`${name}.bias`, [width], vitTensor(`${name}.bias`, [width]));
    return this.op('LayerNormalization', [x, w, b], { axis: -1, epsilon: eps });
  }
}

/** Multi-head self-attention from a fused [3W] projection laid out (3, heads, head_dim). */
function attention(g: Graph, h: string, t: VitTwin, qkvName: string, outName: string, fused: 'clip' | 'dinov2'): string {
  const W = t.width;
  const hd = W / t.heads;
  let qkv: string;
  if (fused === 'clip') {
    const w = g.init(`${qkvName}.in_proj_weight.T`, [W, 3 * W], transposed(vitTensor(`${qkvName}.in_proj_weight`, [3 * W, W]), 3 * W, W));
    qkv = g.op('Add', [g.op('MatMul', [h, w]), g.init(`${qkvName}.in_proj_bias`, [3 * W], vitTensor(`${qkvName}.in_proj_bias`, [3 * W]))]);
  } else {
    qkv = g.linear(h, qkvName, 3 * W, W);
  }
  const split = g.op('Transpose', [g.op('Reshape', [qkv, g.ints(`${qkvName}.shape`, [0, 0, 3, t.heads, hd])])], { perm: [2, 0, 3, 1, 4] });
  const pick = (i: number) => g.op('Gather', [split, g.init(`${qkvName}.idx${i}`, [], BigInt64Array.of(BigInt(i)))], { axis: 0 });
  const [q, k, v] = [pick(0), pick(1), pick(2)];
  const scores = g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), g.scalar(`${qkvName}.scale`, 1 / Math.sqrt(hd))]);
  const ctx = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]);
  const merged = g.op('Reshape', [g.op('Transpose', [ctx], { perm: [0, 2, 1, 3] }), g.ints(`${qkvName}.merge`, [0, 0, W])]);
  return g.linear(merged, outName, W, W);
}

/** Writes the twin to `file`; its metadata is the built-in extractor's, as the real exports carry. */
export function vitTwin(file: string, t: VitTwin): string {
  const g = new Graph();
  const W = t.width;
  const grid = t.size / t.patch;
  const tokens = grid * grid + 1;
  const clip = t.kind === 'clip';
  const eps = clip ? 1e-5 : 1e-6;
  const convName = clip ? 'conv1' : 'patch_embed.proj';
  const convW = g.init(`${convName}.weight`, [W, 3, t.patch, t.patch], vitTensor(`${convName}.weight`, [W, 3, t.patch, t.patch]));
  const convIn = clip ? [`pixel_values`, convW] : [`pixel_values`, convW, g.init(`${convName}.bias`, [W], vitTensor(`${convName}.bias`, [W]))];
  const patches = g.op('Conv', convIn, { kernel_shape: [t.patch, t.patch], strides: [t.patch, t.patch] });
  const seq = g.op('Transpose', [g.op('Reshape', [patches, g.ints('flat', [0, W, -1])])], { perm: [0, 2, 1] });
  // The class token expanded to N x 1 x W: Expand to (N, 1, W) taken from the input's shape.
  const n = g.op('Slice', [g.op('Shape', [seq]), g.ints('s0', [0]), g.ints('s1', [1])]);
  const clsShape = g.op('Concat', [n, g.ints('one_w', [1, W])], { axis: 0 });
  const clsName = clip ? 'class_embedding' : 'cls_token';
  const cls = g.op('Expand', [g.init(clsName, [1, 1, W], vitTensor(clsName, clip ? [W] : [1, 1, W])), clsShape]);
  const posName = clip ? 'positional_embedding' : 'pos_embed';
  let x = g.op('Add', [g.op('Concat', [cls, seq], { axis: 1 }), g.init(posName, [1, tokens, W], vitTensor(posName, clip ? [tokens, W] : [1, tokens, W]))]);
  if (clip) x = g.layerNorm(x, 'ln_pre', W, eps);
  for (let i = 0; i < t.layers; i++) {
    const p = clip ? `transformer.resblocks.${i}` : `blocks.${i}`;
    const n1 = g.layerNorm(x, clip ? `${p}.ln_1` : `${p}.norm1`, W, eps);
    let a = attention(g, n1, t, `${p}.attn${clip ? '' : '.qkv'}`, `${p}.attn.${clip ? 'out_proj' : 'proj'}`, t.kind);
    if (!clip) a = g.op('Mul', [a, g.init(`${p}.ls1.gamma`, [W], vitTensor(`${p}.ls1.gamma`, [W]))]);
    x = g.op('Add', [x, a]);
    const n2 = g.layerNorm(x, clip ? `${p}.ln_2` : `${p}.norm2`, W, eps);
    const hidden = g.linear(n2, clip ? `${p}.mlp.c_fc` : `${p}.mlp.fc1`, 4 * W, W);
    // QuickGELU (CLIP): x sigmoid(1.702 x); GELU (DINOv2, nn.GELU): x/2 (1 + erf(x/sqrt 2)).
    const act = clip
      ? g.op('Mul', [hidden, g.op('Sigmoid', [g.op('Mul', [hidden, g.scalar(`${p}.k`, 1.702)])])])
      : g.op('Mul', [g.op('Mul', [hidden, g.scalar(`${p}.half`, 0.5)]), g.op('Add', [g.op('Erf', [g.op('Mul', [hidden, g.scalar(`${p}.rsqrt2`, Math.SQRT1_2)])]), g.scalar(`${p}.one`, 1)])]);
    let m = g.linear(act, clip ? `${p}.mlp.c_proj` : `${p}.mlp.fc2`, W, 4 * W);
    if (!clip) m = g.op('Mul', [m, g.init(`${p}.ls2.gamma`, [W], vitTensor(`${p}.ls2.gamma`, [W]))]);
    x = g.op('Add', [x, m]);
  }
  const first = g.init('cls_index', [], BigInt64Array.of(0n));
  let out: string;
  if (clip) {
    const post = g.layerNorm(g.op('Gather', [x, first], { axis: 1 }), 'ln_post', W, eps);
    g.op('MatMul', [post, g.init('proj', [W, t.embed!], vitTensor('proj', [W, t.embed!]))], undefined, 'image_embeds');
    out = 'image_embeds';
  } else {
    g.op('Gather', [g.layerNorm(x, 'norm', W, eps), first], { axis: 1 }, 'x_norm_clstoken');
    out = 'x_norm_clstoken';
  }
  return writeModel(file, {
    inputs: [{ name: 'pixel_values', type: 'float32', shape: ['N', 3, t.size, t.size] }],
    outputs: [{ name: out, type: 'float32', shape: ['N', clip ? t.embed! : W] }],
    nodes: g.nodes,
    initializers: g.initializers,
    metadata: extractorMetadata(clip ? 'clip-vit-l14' : 'dinov2-vit-l14'),
  });
}
