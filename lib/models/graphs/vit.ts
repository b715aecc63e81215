/**
 * The ViT feature extractors' ONNX graphs, built in TypeScript from an architecture and a source of
 * weights named and shaped as the official state dicts (opset 17; standard operators that
 * onnxruntime runs): `models install clip-vit-l14-336 | dinov2-vit-l14` fills them from the
 * publishers' checkpoints, and the tests fill them with seeded twins' weights
 * (test/vit-builder.ts, checked against openai/CLIP's and facebookresearch/dinov2's model code).
 *
 * - clip (openai/CLIP's VisionTransformer, the `visual.*` tower without its prefix): conv1 (no
 *   bias), class_embedding, positional_embedding, ln_pre, pre-norm residual blocks
 *   (transformer.resblocks.i: ln_1, attn with a fused in_proj and out_proj, ln_2, mlp c_fc,
 *   QuickGELU, c_proj), ln_post on the CLS token, the projection `proj`; output `image_embeds`
 *   (not normalised). LayerNorm eps 1e-5.
 * - dinov2 (DinoVisionTransformer without registers): patch_embed.proj (with bias), cls_token,
 *   pos_embed at the graph's grid, blocks.i (norm1, attn.qkv, attn.proj, LayerScale ls1, norm2,
 *   mlp fc1, GELU (erf), fc2, ls2), final norm; output `x_norm_clstoken`. LayerNorm eps 1e-6.
 *
 * Input `pixel_values` N x 3 x size x size, normalised by the caller.
 */
import { encodeOnnx, type OnnxGraphSpec, type OnnxNode } from '../onnx-write';

export interface VitArch {
  kind: 'clip' | 'dinov2';
  /** Channels of the token embeddings. */
  width: number;
  heads: number;
  layers: number;
  /** Patch side (the patch embedding's kernel and stride). */
  patch: number;
  /** Input side; the position embeddings are (size / patch)^2 + 1 tokens. */
  size: number;
  /** Hidden width of each block's MLP (4 x width in both families). */
  mlp: number;
  /** CLIP: the projection's output width. */
  embed?: number;
  /** DINOv2: blocks with LayerScale (ls1.gamma, ls2.gamma); the hub models have it. */
  layerScale?: boolean;
}

/** A tensor by its state-dict name (CLIP: relative to `visual.`) and its torch shape, as float32 in C order. */
export type VitWeights = (name: string, shape: number[]) => Float32Array;

/** [out, in] (torch Linear) -> [in, out] (MatMul's right operand). */
function transposed(w: Float32Array, out: number, inn: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let o = 0; o < out; o++) for (let i = 0; i < inn; i++) t[i * out + o] = w[o * inn + i];
  return t;
}

class Graph {
  nodes: OnnxNode[] = [];
  initializers: OnnxGraphSpec['initializers'] = [];
  private k = 0;

  constructor(readonly weight: VitWeights) {}

  init(name: string, dims: number[], data: Float32Array | BigInt64Array): string {
    this.initializers.push({ name, dims, data });
    return name;
  }

  /** A state-dict tensor as an initializer of `dims` (its element count unchanged). */
  param(name: string, torchShape: number[], dims = torchShape): string {
    return this.init(name, dims, this.weight(name, torchShape));
  }

  ints(name: string, values: number[]): string {
    return this.init(name, [values.length], BigInt64Array.from(values.map(BigInt)));
  }

  scalar(name: string, v: number): string {
    return this.init(name, [], Float32Array.of(v));
  }

  op(op: string, inputs: string[], attrs?: OnnxNode['attrs'], out?: string): string {
    const o = out ?? `t${this.k++}`;
    this.nodes.push({ op, inputs, outputs: [o], attrs });
    return o;
  }

  /** torch Linear (weight [out, in], bias [out]) on the last axis. */
  linear(x: string, name: string, out: number, inn: number): string {
    const w = this.init(`${name}.weight.T`, [inn, out], transposed(this.weight(`${name}.weight`, [out, inn]), out, inn));
    return this.op('Add', [this.op('MatMul', [x, w]), this.param(`${name}.bias`, [out])]);
  }

  layerNorm(x: string, name: string, width: number, eps: number): string {
    return this.op('LayerNormalization', [x, this.param(`${name}.weight`, [width]), this.param(`${name}.bias`, [width])], { axis: -1, epsilon: eps });
  }
}

/** Multi-head self-attention from a fused [3W] projection laid out (3, heads, head_dim). */
function attention(g: Graph, h: string, a: VitArch, qkvName: string, outName: string): string {
  const W = a.width;
  const hd = W / a.heads;
  let qkv: string;
  if (a.kind === 'clip') {
    const w = g.init(`${qkvName}.in_proj_weight.T`, [W, 3 * W], transposed(g.weight(`${qkvName}.in_proj_weight`, [3 * W, W]), 3 * W, W));
    qkv = g.op('Add', [g.op('MatMul', [h, w]), g.param(`${qkvName}.in_proj_bias`, [3 * W])]);
  } else {
    qkv = g.linear(h, qkvName, 3 * W, W);
  }
  const split = g.op('Transpose', [g.op('Reshape', [qkv, g.ints(`${qkvName}.shape`, [0, 0, 3, a.heads, hd])])], { perm: [2, 0, 3, 1, 4] });
  const pick = (i: number) => g.op('Gather', [split, g.init(`${qkvName}.idx${i}`, [], BigInt64Array.of(BigInt(i)))], { axis: 0 });
  const [q, k, v] = [pick(0), pick(1), pick(2)];
  const scores = g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), g.scalar(`${qkvName}.scale`, 1 / Math.sqrt(hd))]);
  const ctx = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]);
  const merged = g.op('Reshape', [g.op('Transpose', [ctx], { perm: [0, 2, 1, 3] }), g.ints(`${qkvName}.merge`, [0, 0, W])]);
  return g.linear(merged, outName, W, W);
}

/** The output's name and width. */
export function vitOutput(a: VitArch): { name: string; width: number } {
  return a.kind === 'clip' ? { name: 'image_embeds', width: a.embed! } : { name: 'x_norm_clstoken', width: a.width };
}

function checkArch(a: VitArch): void {
  const bad = (what: string) => {
    throw new Error(`ViT architecture: ${what}`);
  };
  for (const k of ['width', 'heads', 'layers', 'patch', 'size', 'mlp'] as const) if (!Number.isInteger(a[k]) || a[k] <= 0) bad(`${k} must be a positive integer, got ${a[k]}`);
  if (a.width % a.heads !== 0) bad(`width ${a.width} is not a multiple of heads ${a.heads}`);
  if (a.size % a.patch !== 0) bad(`size ${a.size} is not a multiple of patch ${a.patch}`);
  if (a.kind === 'clip' && !(Number.isInteger(a.embed) && a.embed! > 0)) bad(`CLIP needs the projection width embed, got ${a.embed}`);
}

/** The graph's ONNX bytes with `metadata` as metadata_props. */
export function vitOnnx(a: VitArch, weights: VitWeights, metadata: Record<string, string> = {}): Buffer {
  checkArch(a);
  const g = new Graph(weights);
  const W = a.width;
  const grid = a.size / a.patch;
  const tokens = grid * grid + 1;
  const clip = a.kind === 'clip';
  const eps = clip ? 1e-5 : 1e-6;
  const convName = clip ? 'conv1' : 'patch_embed.proj';
  const convW = g.param(`${convName}.weight`, [W, 3, a.patch, a.patch]);
  const convIn = clip ? ['pixel_values', convW] : ['pixel_values', convW, g.param(`${convName}.bias`, [W])];
  const patches = g.op('Conv', convIn, { kernel_shape: [a.patch, a.patch], strides: [a.patch, a.patch] });
  const seq = g.op('Transpose', [g.op('Reshape', [patches, g.ints('flat', [0, W, -1])])], { perm: [0, 2, 1] });
  // The class token expanded to N x 1 x W, N taken from the input's shape.
  const n = g.op('Slice', [g.op('Shape', [seq]), g.ints('s0', [0]), g.ints('s1', [1])]);
  const clsShape = g.op('Concat', [n, g.ints('one_w', [1, W])], { axis: 0 });
  const cls = clip ? g.param('class_embedding', [W], [1, 1, W]) : g.param('cls_token', [1, 1, W]);
  const pos = clip ? g.param('positional_embedding', [tokens, W], [1, tokens, W]) : g.param('pos_embed', [1, tokens, W]);
  let x = g.op('Add', [g.op('Concat', [g.op('Expand', [cls, clsShape]), seq], { axis: 1 }), pos]);
  if (clip) x = g.layerNorm(x, 'ln_pre', W, eps);
  for (let i = 0; i < a.layers; i++) {
    const p = clip ? `transformer.resblocks.${i}` : `blocks.${i}`;
    const n1 = g.layerNorm(x, clip ? `${p}.ln_1` : `${p}.norm1`, W, eps);
    let at = attention(g, n1, a, clip ? `${p}.attn` : `${p}.attn.qkv`, `${p}.attn.${clip ? 'out_proj' : 'proj'}`);
    if (!clip && a.layerScale) at = g.op('Mul', [at, g.param(`${p}.ls1.gamma`, [W])]);
    x = g.op('Add', [x, at]);
    const n2 = g.layerNorm(x, clip ? `${p}.ln_2` : `${p}.norm2`, W, eps);
    const hidden = g.linear(n2, clip ? `${p}.mlp.c_fc` : `${p}.mlp.fc1`, a.mlp, W);
    // QuickGELU (CLIP): x sigmoid(1.702 x); GELU (DINOv2, nn.GELU): x/2 (1 + erf(x/sqrt 2)).
    const act = clip
      ? g.op('Mul', [hidden, g.op('Sigmoid', [g.op('Mul', [hidden, g.scalar(`${p}.k`, 1.702)])])])
      : g.op('Mul', [g.op('Mul', [hidden, g.scalar(`${p}.half`, 0.5)]), g.op('Add', [g.op('Erf', [g.op('Mul', [hidden, g.scalar(`${p}.rsqrt2`, Math.SQRT1_2)])]), g.scalar(`${p}.one`, 1)])]);
    let m = g.linear(act, clip ? `${p}.mlp.c_proj` : `${p}.mlp.fc2`, W, a.mlp);
    if (!clip && a.layerScale) m = g.op('Mul', [m, g.param(`${p}.ls2.gamma`, [W])]);
    x = g.op('Add', [x, m]);
  }
  const first = g.init('cls_index', [], BigInt64Array.of(0n));
  const out = vitOutput(a);
  if (clip) {
    const post = g.layerNorm(g.op('Gather', [x, first], { axis: 1 }), 'ln_post', W, eps);
    g.op('MatMul', [post, g.param('proj', [W, a.embed!])], undefined, out.name);
  } else {
    g.op('Gather', [g.layerNorm(x, 'norm', W, eps), first], { axis: 1 }, out.name);
  }
  return encodeOnnx({
    inputs: [{ name: 'pixel_values', shape: ['N', 3, a.size, a.size] }],
    outputs: [{ name: out.name, shape: ['N', out.width] }],
    nodes: g.nodes,
    initializers: g.initializers,
    metadata,
  });
}
