#!/usr/bin/env python3
"""Small checkpoints in the publishers' file formats for `genmetrics models install` of the ViT
extractors (test/models-install-vit.test.ts), and the reference features of the same weights.

- test/fixtures/extractors/clip_twin.pt: a TorchScript archive (torch.jit.save of a traced
  openai/CLIP `CLIP` module, as OpenAI's ViT-L-14-336px.pt is), visual tower at 336 px (patch 14,
  grid 24) with width 64, 2 blocks, projection 32, and a one-block text tower; the weights that
  openai/CLIP's convert_weights turns into float16 are float16 in the archive (conv, linear and
  attention weights, `proj`, `text_projection`), the rest float32, and the int64 buffers
  `input_resolution`, `context_length`, `vocab_size` are there as in OpenAI's files.
- test/fixtures/extractors/dinov2_twin.pth: torch.save of a facebookresearch/dinov2
  DinoVisionTransformer's state_dict (hub settings: img_size 518, so a 37 x 37 position grid that
  the model interpolates to 224's 16 x 16 at run time; init_values 1.0, block_chunks 0, no
  registers), width 64, 2 blocks.
- test/fixtures/extractors/vit_checkpoints_reference.json: for the five fixture images of
  make_extractor_fixtures.py, the references' features of these weights: CMMD's L2-normalised
  embeddings through openai/CLIP's VisionTransformer (the archive's values in float32, as clip.load
  does on the CPU) and dgm-eval's DINOv2 features (forward = x_norm_clstoken), with the same
  preprocessing as reference.json; and each checkpoint's SHA-256.

Both have one attention head per block: the real models have 64 channels per head (width // 64),
which is what `models install` reads the head count as. Weights: make_extractor_fixtures.vit_tensor
of each state-dict name (the visual tower's without its `visual.` prefix).

Usage (Debian's python3 with python3-torch, numpy, PIL; checkouts of openai/CLIP and
facebookresearch/dinov2 as in make_extractor_fixtures.py):
    CLIP_SRC=/path/to/CLIP DINOV2_SRC=/path/to/dinov2 /usr/bin/python3 scripts/make_vit_checkpoint_fixtures.py
"""
import copy
import hashlib
import importlib.util
import json
import os
import sys
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_extractor_fixtures as fx  # noqa: E402

OUT_DIR = os.path.join(fx.ROOT, "test", "fixtures", "extractors")
CLIP_ARCH = dict(embed=32, size=336, layers=2, width=64, patch=14, context=8, vocab=50, text_width=64, text_layers=1)
DINO_ARCH = dict(img_size=518, patch=14, width=64, layers=2)


def file_sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def seeded(name, shape):
    if not shape:
        return torch.tensor(fx.vit_tensor(name, [1]).item())
    return fx.vit_tensor(name, list(shape))


def clip_models():
    spec = importlib.util.spec_from_file_location("clip_model", os.path.join(os.environ["CLIP_SRC"], "clip", "model.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    a = CLIP_ARCH
    model = mod.CLIP(a["embed"], a["size"], a["layers"], a["width"], a["patch"], a["context"], a["vocab"], a["text_width"], a["text_width"] // 64, a["text_layers"])
    state = {}
    for k, t in model.state_dict().items():
        state[k] = seeded(k[len("visual."):] if k.startswith("visual.") else k, t.shape)
    model.load_state_dict(state, strict=True)
    # The archive's dtypes: openai/CLIP's convert_weights on a copy says which tensors are float16.
    half = mod.CLIP(a["embed"], a["size"], a["layers"], a["width"], a["patch"], a["context"], a["vocab"], a["text_width"], a["text_width"] // 64, a["text_layers"])
    half.load_state_dict(state, strict=True)
    mod.convert_weights(half)
    half_names = {k for k, v in half.state_dict().items() if v.dtype == torch.float16}
    # The values as the archive holds them (float16 rounding), in float32 for the reference and the trace.
    with torch.no_grad():
        for k, v in model.state_dict().items():
            if k in half_names:
                v.copy_(v.half().float())
    for k, v in (("input_resolution", a["size"]), ("context_length", a["context"]), ("vocab_size", a["vocab"])):
        if hasattr(model, k):
            delattr(model, k)
        model.register_buffer(k, torch.tensor(v, dtype=torch.int64))
    return model.eval(), half_names


def write_clip(path):
    model, half_names = clip_models()
    a = CLIP_ARCH
    image = torch.zeros(1, 3, a["size"], a["size"])
    text = torch.zeros(1, a["context"], dtype=torch.int64)
    # A copy: the traced module shares its parameters with the module it traced.
    traced = torch.jit.trace(copy.deepcopy(model), (image, text), check_trace=False)
    for name, p in traced.named_parameters():
        if name in half_names:
            p.data = p.data.half()
    torch.jit.save(traced, path)
    loaded = torch.jit.load(path, map_location="cpu").state_dict()
    got = {k for k, v in loaded.items() if v.dtype == torch.float16}
    assert got == half_names, sorted(got ^ half_names)
    for k, v in model.state_dict().items():
        assert torch.equal(loaded[k].to(v.dtype), v), k
    return model


def dinov2_model():
    if not hasattr(F, "scaled_dot_product_attention"):
        def sdpa(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
            assert attn_mask is None and not is_causal and dropout_p == 0
            return ((q @ k.transpose(-2, -1)) * (scale if scale is not None else q.shape[-1] ** -0.5)).softmax(-1) @ v
        F.scaled_dot_product_attention = sdpa
    sys.path.insert(0, os.environ["DINOV2_SRC"])
    from dinov2.layers import MemEffAttention, NestedTensorBlock as Block
    from dinov2.models.vision_transformer import DinoVisionTransformer

    a = DINO_ARCH
    model = DinoVisionTransformer(img_size=a["img_size"], patch_size=a["patch"], embed_dim=a["width"], depth=a["layers"], num_heads=a["width"] // 64, mlp_ratio=4,
                                  block_fn=partial(Block, attn_class=MemEffAttention), init_values=1.0, block_chunks=0, num_register_tokens=0,
                                  interpolate_antialias=False, interpolate_offset=0.1)
    model.load_state_dict({k: seeded(k, t.shape) for k, t in model.state_dict().items()}, strict=True)
    return model.eval()


def main():
    torch.set_num_threads(1)
    torch.set_grad_enabled(False)
    clip_path = os.path.join(OUT_DIR, "clip_twin.pt")
    dino_path = os.path.join(OUT_DIR, "dinov2_twin.pth")
    clip = write_clip(clip_path)
    dino = dinov2_model()
    torch.save(dino.state_dict(), dino_path)
    out = {
        "images": fx.FILES,
        "clip": {"file": "clip_twin.pt", "sha256": file_sha(clip_path), "arch": CLIP_ARCH, "embeds": []},
        "dinov2": {"file": "dinov2_twin.pth", "sha256": file_sha(dino_path), "arch": DINO_ARCH, "features": []},
    }
    for f in fx.FILES:
        p = os.path.join(fx.IMAGES, f)
        _, x = fx.cmmd_image(p, CLIP_ARCH["size"])
        e, _ = fx.cmmd_embed(clip.visual, x, CLIP_ARCH["size"])
        out["clip"]["embeds"].append([float(v) for v in e[0]])
        _, t = fx.dinov2_image(p, 224)
        out["dinov2"]["features"].append([float(v) for v in dino(t[None]).numpy()[0]])
    path = os.path.join(OUT_DIR, "vit_checkpoints_reference.json")
    with open(path, "w") as fh:
        json.dump(out, fh, indent=1)
    print(f"wrote {clip_path} ({os.path.getsize(clip_path)} bytes), {dino_path} ({os.path.getsize(dino_path)} bytes), {path}")


if __name__ == "__main__":
    main()
