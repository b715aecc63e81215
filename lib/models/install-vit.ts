/**
 * The ViT extractors' networks from the publishers' checkpoints, without Python
 * (`models install clip-vit-l14-336 | dinov2-vit-l14`): the tensors are read without executing the
 * pickle (torch-checkpoint.ts), the architecture is read from their names and shapes, and the
 * graph is built in TypeScript (graphs/vit.ts).
 *
 * - CLIP: OpenAI's TorchScript archive (ViT-L-14-336px.pt); only the visual tower (`visual.*`) is
 *   read, float16 weights widened to float32 (what openai/CLIP's clip.load runs on the CPU).
 * - DINOv2: the hub's plain state dict (dinov2_vitl14_pretrain.pth, img_size 518: a 37 x 37
 *   position grid). The position embeddings are interpolated once, here, to the input's grid as
 *   DinoVisionTransformer.interpolate_pos_encoding does at run time (torch's bicubic, A = -0.75,
 *   align_corners false, scale factor (grid + 0.1) / M, no antialiasing), so the graph holds them
 *   at 224's 16 x 16.
 *
 * Both families have 64 channels per attention head (openai/CLIP's build_model: width // 64;
 * the DINOv2 hub models: 384/6, 768/12, 1024/16, 1536/24): the head count is width / 64.
 */
import * as path from 'path';
import { GenmetricsError } from '../errors';
import { vitOnnx, type VitArch } from './graphs/vit';
import { floatTensor, readCheckpoint, type Checkpoint } from './torch-checkpoint';

const HEAD_DIM = 64;

/** The dinov2 hub models' interpolate_offset. */
const DINOV2_INTERPOLATE_OFFSET = 0.1;

export interface VitBuild {
  arch: VitArch;
  onnx: Buffer;
}

function shapes(c: Checkpoint): Map<string, number[]> {
  return new Map(c.tensors.map((t) => [t.name, t.shape]));
}

function need(file: string, s: Map<string, number[]>, name: string, rank: number, expected: string): number[] {
  const shape = s.get(name);
  if (!shape) throw new GenmetricsError(`${file}: no tensor '${name}' in the checkpoint (expected ${expected})`);
  if (shape.length !== rank) throw new GenmetricsError(`${file}: tensor '${name}' has shape [${shape.join(', ')}], expected ${rank} dimensions (${expected})`);
  return shape;
}

/** Blocks 0..L-1 (each with `key`), checked to be numbered without gaps. */
function countBlocks(file: string, s: Map<string, number[]>, prefix: string, key: string): number {
  const re = new RegExp(`^${prefix.replace(/\./g, '\\.')}(\\d+)\\.`);
  const seen = new Set<number>();
  for (const name of s.keys()) {
    const m = re.exec(name);
    if (m) seen.add(Number(m[1]));
  }
  if (seen.size === 0) throw new GenmetricsError(`${file}: no transformer blocks ('${prefix}0.${key}') in the checkpoint`);
  for (let i = 0; i < seen.size; i++) {
    if (!s.has(`${prefix}${i}.${key}`)) throw new GenmetricsError(`${file}: no tensor '${prefix}${i}.${key}' (blocks ${[...seen].sort((a, b) => a - b).join(', ')} present)`);
  }
  return seen.size;
}

function headsOf(file: string, name: string, width: number): number {
  if (width % HEAD_DIM !== 0) {
    throw new GenmetricsError(`${file}: '${name}' gives width ${width}, not a multiple of ${HEAD_DIM} (the CLIP and DINOv2 ViTs have ${HEAD_DIM} channels per attention head)`);
  }
  return width / HEAD_DIM;
}

/** A square grid side from a token count (patch tokens only), or a named error. */
function gridOf(file: string, name: string, patches: number): number {
  const g = Math.round(Math.sqrt(patches));
  if (g * g !== patches) throw new GenmetricsError(`${file}: '${name}' holds ${patches} patch positions, not a square grid`);
  return g;
}

/**
 * OpenAI CLIP's visual tower from its TorchScript archive (or a state dict with the same `visual.*`
 * names), for an input of `size` pixels (the extractor's: 336).
 */
export function clipVitOnnx(file: string, bytes: Uint8Array, size: number, metadata: Record<string, string>): VitBuild {
  const c = readCheckpoint(file, bytes, true);
  const s = shapes(c);
  if (!s.has('visual.proj') || !s.has('visual.conv1.weight')) {
    if ([...s.keys()].some((k) => k.startsWith('visual.attnpool.'))) {
      throw new GenmetricsError(`${file}: a ResNet CLIP (visual.attnpool.*); only the ViT visual towers are read (expected ViT-L-14-336px.pt)`);
    }
    const why = c.tensors.length ? `its ${c.tensors.length} tensors have no 'visual.proj' and 'visual.conv1.weight'` : 'no tensors found';
    throw new GenmetricsError(`${file}: not an OpenAI CLIP ViT checkpoint (${why}); expected ViT-L-14-336px.pt`);
  }
  const conv = need(file, s, 'visual.conv1.weight', 4, 'width x 3 x patch x patch');
  const [width, , patch] = conv;
  if (conv[1] !== 3 || conv[2] !== conv[3]) throw new GenmetricsError(`${file}: tensor 'visual.conv1.weight' has shape [${conv.join(', ')}], expected [width, 3, patch, patch]`);
  const pos = need(file, s, 'visual.positional_embedding', 2, `tokens x ${width}`);
  const grid = gridOf(file, 'visual.positional_embedding', pos[0] - 1);
  if (grid * patch !== size) {
    throw new GenmetricsError(
      `${file}: 'visual.positional_embedding' has ${pos[0]} tokens, a ${grid} x ${grid} grid of ${patch}-pixel patches (${grid * patch} px input); the extractor takes ${size} px (ViT-L-14-336px.pt: 577 tokens)`,
    );
  }
  const proj = need(file, s, 'visual.proj', 2, `${width} x embed`);
  const layers = countBlocks(file, s, 'visual.transformer.resblocks.', 'attn.in_proj_weight');
  const mlp = need(file, s, 'visual.transformer.resblocks.0.mlp.c_fc.weight', 2, `hidden x ${width}`)[0];
  const arch: VitArch = { kind: 'clip', width, heads: headsOf(file, 'visual.conv1.weight', width), layers, patch, size, mlp, embed: proj[1] };
  return { arch, onnx: vitOnnx(arch, (name, shape) => floatTensor(file, c, `visual.${name}`, shape), metadata) };
}

/**
 * facebookresearch/dinov2's backbone from its state dict (no registers, unchunked blocks, MLP
 * feed-forward), for an input of `size` pixels (the extractor's: 224).
 */
export function dinov2VitOnnx(file: string, bytes: Uint8Array, size: number, metadata: Record<string, string>): VitBuild {
  const c = readCheckpoint(file, bytes, true);
  const s = shapes(c);
  if (!s.has('patch_embed.proj.weight') || !s.has('cls_token')) {
    const why = c.tensors.length ? `its ${c.tensors.length} tensors have no 'patch_embed.proj.weight' and 'cls_token'` : 'no tensors found';
    throw new GenmetricsError(`${file}: not a DINOv2 state dict (${why}); expected dinov2_vitl14_pretrain.pth`);
  }
  if (s.has('register_tokens')) throw new GenmetricsError(`${file}: has 'register_tokens' (a dinov2_*_reg model); only the register-free backbones are read (dinov2_vitl14_pretrain.pth)`);
  if ([...s.keys()].some((k) => /^blocks\.\d+\.\d+\./.test(k))) {
    throw new GenmetricsError(`${file}: chunked blocks (blocks.<chunk>.<i>.*); expected blocks.<i>.* as in dinov2_vitl14_pretrain.pth`);
  }
  if (s.has('blocks.0.mlp.w12.weight')) throw new GenmetricsError(`${file}: a SwiGLU feed-forward ('blocks.0.mlp.w12.weight', the ViT-g models); only the MLP blocks (mlp.fc1, mlp.fc2) are read`);
  const conv = need(file, s, 'patch_embed.proj.weight', 4, 'width x 3 x patch x patch');
  const [width, , patch] = conv;
  if (conv[1] !== 3 || conv[2] !== conv[3]) throw new GenmetricsError(`${file}: tensor 'patch_embed.proj.weight' has shape [${conv.join(', ')}], expected [width, 3, patch, patch]`);
  if (size % patch !== 0) throw new GenmetricsError(`${file}: patch ${patch} does not divide the extractor's input of ${size} px`);
  const pos = need(file, s, 'pos_embed', 3, `1 x tokens x ${width}`);
  if (pos[0] !== 1 || pos[2] !== width) throw new GenmetricsError(`${file}: tensor 'pos_embed' has shape [${pos.join(', ')}], expected [1, tokens, ${width}]`);
  const from = gridOf(file, 'pos_embed', pos[1] - 1);
  const grid = size / patch;
  const layers = countBlocks(file, s, 'blocks.', 'attn.qkv.weight');
  const mlp = need(file, s, 'blocks.0.mlp.fc1.weight', 2, `hidden x ${width}`)[0];
  const layerScale = s.has('blocks.0.ls1.gamma');
  const arch: VitArch = { kind: 'dinov2', width, heads: headsOf(file, 'patch_embed.proj.weight', width), layers, patch, size, mlp, layerScale };
  const weights = (name: string, shape: number[]) => {
    if (name !== 'pos_embed') return floatTensor(file, c, name, shape);
    const pe = floatTensor(file, c, 'pos_embed', pos);
    // The model's rule: the stored grid as is when it is the input's, else interpolated.
    return from === grid ? pe : interpolatePosEmbed(pe, from, grid, width, DINOV2_INTERPOLATE_OFFSET);
  };
  return { arch, onnx: vitOnnx(arch, weights, metadata) };
}

/**
 * Position embeddings [1, 1 + M*M, dim] (the class token's, then the patches' in row order) at a
 * `grid` x `grid` patch grid: the class token's unchanged, the patches' resampled as torch's
 * `interpolate(..., mode='bicubic', scale_factor=(grid + offset) / M, align_corners=False)` on the
 * CPU computes it: source coordinate scale * (i + 0.5) - 0.5 with scale = float32(1 / factor),
 * cubic convolution weights (A = -0.75, in float32) at the 4 nearest rows and columns (indices
 * clamped at the border), columns summed first. Not bit for bit: against torch 1.13 on the test
 * checkpoint's 37 x 37 grid (values up to 0.5) the largest difference is 1.8e-7.
 */
export function interpolatePosEmbed(pe: Float32Array, m: number, grid: number, dim: number, offset: number): Float32Array {
  const f = Math.fround;
  const factor = (grid + offset) / m;
  const outSize = Math.floor(m * factor);
  if (outSize !== grid) throw new Error(`interpolatePosEmbed: ${m} x ${factor} gives ${outSize} positions, not ${grid}`);
  const scale = f(1 / factor);
  const A = f(-0.75);
  // The cubic convolution kernel's two pieces, each multiply-add rounded once (fused): closer to
  // torch 1.13's CPU weights than a rounding per operation (measured; a float32 product is exact
  // in double, so f(a * b + c) is the fused step).
  const fma = (a: number, b: number, c: number) => f(a * b + c);
  const near = (x: number) => fma(f(fma(f(A + 2), x, -f(A + 3)) * x), x, 1); // |x| <= 1
  const far = (x: number) => fma(fma(fma(A, x, -f(5 * A)), x, f(8 * A)), x, -f(4 * A)); // 1 < |x| < 2
  // Per output index: the 4 source indices (clamped) and their weights.
  const taps = Array.from({ length: grid }, (_, i) => {
    // The source coordinate in double precision, its fraction rounded to float32 (torch's CPU kernel).
    const real = scale * (i + 0.5) - 0.5;
    const base = Math.floor(real);
    const t = f(real - base);
    const w = [far(f(t + 1)), near(t), near(f(1 - t)), far(f(f(1 - t) + 1))];
    const idx = [0, 1, 2, 3].map((j) => Math.min(Math.max(base - 1 + j, 0), m - 1));
    return { idx, w };
  });
  const out = new Float32Array((1 + grid * grid) * dim);
  out.set(pe.subarray(0, dim), 0);
  for (let y = 0; y < grid; y++) {
    const ty = taps[y];
    for (let x = 0; x < grid; x++) {
      const tx = taps[x];
      const o = (1 + y * grid + x) * dim;
      for (let ch = 0; ch < dim; ch++) {
        let acc = 0;
        for (let a = 0; a < 4; a++) {
          const row = 1 + ty.idx[a] * m;
          let r = 0;
          for (let b = 0; b < 4; b++) r = f(r + f(pe[(row + tx.idx[b]) * dim + ch] * tx.w[b]));
          acc = f(acc + f(r * ty.w[a]));
        }
        out[o + ch] = acc;
      }
    }
  }
  return out;
}

/** The source checkpoint's name and SHA-256, recorded in the installed model's metadata. */
export function sourceMetadata(file: string, sha256: string): Record<string, string> {
  return { 'genmetrics.weights': `${path.basename(file)} sha256 ${sha256}` };
}
