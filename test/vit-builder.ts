/**
 * Small ViT twins of the extractors' networks: the graphs `models install` builds
 * (lib/models/graphs/vit.ts, vitOnnx), few layers, seeded weights named as the official state
 * dicts name them, so scripts/make_extractor_fixtures.py loads the same values into openai/CLIP's
 * VisionTransformer and facebookresearch/dinov2's DinoVisionTransformer and stores their outputs
 * (test/fixtures/extractors/reference.json).
 *
 * The architectures are lib/models/graphs/vit.ts's (CLIP's visual tower, DINOv2 with LayerScale);
 * the DINOv2 twin's pos_embed is at its native grid (no interpolation).
 *
 * Tensor values (vitTensor, mirrored in the fixture script): hashedValues(n, fnv1a(name), s) with
 * s = 1/sqrt(fan_in) for weights (fan_in: the product of the torch shape but the first; `proj`'s
 * first dimension), 0.1 for biases, 0.5 for embeddings and tokens; LayerNorm weights 1 + h(0.2),
 * LayerScale gammas 0.5 + h(0.3).
 */
import * as fs from 'fs';
import { vitOnnx, type VitArch } from '../lib/models/graphs/vit';
import { extractorMetadata } from '../lib/network/extractor';
import { fnv1a, hashedValues } from './onnx-builder';

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

/** The twin's architecture for the builder (lib/models/graphs/vit.ts). */
export function twinArch(t: VitTwin): VitArch {
  return { kind: t.kind, width: t.width, heads: t.heads, layers: t.layers, patch: t.patch, size: t.size, mlp: 4 * t.width, embed: t.embed, layerScale: t.kind === 'dinov2' };
}

/** Writes the twin to `file`; its metadata is the built-in extractor's, as the real exports carry. */
export function vitTwin(file: string, t: VitTwin): string {
  fs.writeFileSync(file, vitOnnx(twinArch(t), vitTensor, extractorMetadata(t.kind === 'clip' ? 'clip-vit-l14' : 'dinov2-vit-l14')));
  return file;
}
