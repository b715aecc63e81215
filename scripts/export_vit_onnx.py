#!/usr/bin/env python3
"""Export the ViT feature extractors to the ONNX files genmetrics runs (docs/extractors.md).

    CLIP_SRC=/path/to/openai/CLIP python3 scripts/export_vit_onnx.py clip \\
        --weights ViT-L-14-336px.pt -o ~/.cache/genmetrics/models/clip-vit-l14-336.onnx
    DINOV2_SRC=/path/to/facebookresearch/dinov2 python3 scripts/export_vit_onnx.py dinov2 \\
        --weights dinov2_vitl14_pretrain.pth -o ~/.cache/genmetrics/models/dinov2-vit-l14.onnx

The networks are built from the official model code (a checkout of github.com/openai/CLIP or
github.com/facebookresearch/dinov2, given by CLIP_SRC / DINOV2_SRC) and the publishers' weights:

- clip: OpenAI's TorchScript archive ViT-L-14-336px.pt (SHA-256 3035c92b…, checked: OpenAI publishes
  it under that hash); the visual tower (`visual.*`): input `pixel_values` N x 3 x 336 x 336 (CLIP
  mean/std applied by genmetrics), output `image_embeds` N x 768 = ln_post(CLS) @ proj, not
  normalised (genmetrics L2-normalises, as CMMD).
- dinov2: dinov2_vitl14_pretrain.pth (a plain state dict; no SHA-256 is published, so none is
  checked: the script prints the file's), as torch.hub's dinov2_vitl14 builds it (img_size 518,
  patch 14, init_values 1.0, block_chunks 0, interpolate_offset 0.1, no registers); the position
  embeddings are interpolated to the 16 x 16 grid of a 224 input by the model's own
  interpolate_pos_encoding (torch's bicubic) before the export, so the graph holds torch's values;
  input `pixel_values` N x 3 x 224 x 224 (ImageNet mean/std applied by genmetrics), output
  `x_norm_clstoken` N x 1024 (the hub model's forward).

Each export carries genmetrics' metadata_props (preprocessing, names), so it also works as
`--extractor onnx:FILE`, and its SHA-256 is written to `<output>.sha256`, which genmetrics checks.
`--twin` exports the test twins instead (test/vit-builder.ts weights, from
make_extractor_fixtures.vit_tensor), to check this conversion path against
test/fixtures/extractors/reference.json without the real weights.

Needs PyTorch and onnx (Debian: python3-torch python3-onnx). torch < 2.0 lacks
F.scaled_dot_product_attention, which dinov2's Attention calls: it is defined here by its formula.
"""
import argparse
import hashlib
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_extractor_fixtures as fx  # noqa: E402

CLIP_SHA256 = "3035c92b350959924f9f00213499208652fc7ea050643e8b385c2dac08641f02"
CLIP_URL = f"https://openaipublic.azureedge.net/clip/models/{CLIP_SHA256}/ViT-L-14-336px.pt"
DINOV2_URL = "https://dl.fbaipublicfiles.com/dinov2/dinov2_vitl14/dinov2_vitl14_pretrain.pth"

# lib/network/extractor.ts BUILTIN_EXTRACTORS / extractorMetadata.
METADATA = {
    "clip": {
        "genmetrics.input": "pixel_values", "genmetrics.output": "image_embeds", "genmetrics.size": "336", "genmetrics.crop": "center",
        "genmetrics.resize": "bicubic", "genmetrics.range": "0,1", "genmetrics.mean": "0.48145466,0.4578275,0.40821073",
        "genmetrics.std": "0.26862954,0.26130258,0.27577711", "genmetrics.normalize": "l2",
        "genmetrics.convention": "CMMD (google-research cmmd): centre square crop, PIL bicubic resize to 336 on uint8, x/255, CLIP mean/std, CLIP ViT-L/14@336px projected image embedding, L2-normalised",
    },
    "dinov2": {
        "genmetrics.input": "pixel_values", "genmetrics.output": "x_norm_clstoken", "genmetrics.size": "224", "genmetrics.crop": "none",
        "genmetrics.resize": "bicubic", "genmetrics.range": "0,1", "genmetrics.mean": "0.485,0.456,0.406", "genmetrics.std": "0.229,0.224,0.225",
        "genmetrics.normalize": "none",
        "genmetrics.convention": "dgm-eval's dinov2 encoder: PIL bicubic resize to 224 x 224 on uint8 (no crop), x/255, ImageNet mean/std, DINOv2 ViT-L/14 CLS token after the final norm",
    },
}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def clip_model(weights, twin):
    if twin:
        return fx.clip_twin(), 336
    got = sha256(weights)
    if got != CLIP_SHA256:
        sys.exit(f"{weights}: SHA-256 {got} is not OpenAI's {CLIP_SHA256} ({CLIP_URL})")
    state = torch.jit.load(weights, map_location="cpu").state_dict()
    visual = {k[len("visual."):]: v.float() for k, v in state.items() if k.startswith("visual.")}
    width = visual["conv1.weight"].shape[0]
    patch = visual["conv1.weight"].shape[-1]
    grid = round((visual["positional_embedding"].shape[0] - 1) ** 0.5)
    layers = len({k.split(".")[2] for k in visual if k.startswith("transformer.resblocks.")})
    spec = __import__("importlib.util").util.spec_from_file_location("clip_model", os.path.join(os.environ["CLIP_SRC"], "clip", "model.py"))
    mod = __import__("importlib.util").util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    model = mod.VisionTransformer(input_resolution=patch * grid, patch_size=patch, width=width, layers=layers, heads=width // 64, output_dim=visual["proj"].shape[1])
    model.load_state_dict(visual, strict=True)
    return model.eval(), patch * grid


class DinoCls(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)  # head(x_norm_clstoken), head = Identity


def dinov2_model(weights, twin, size=224):
    if twin:
        model = fx.dinov2_twin()
    else:
        print(f"{weights}: SHA-256 {sha256(weights)} (not pinned: its publisher states none; {DINOV2_URL})")
        if not hasattr(torch.nn.functional, "scaled_dot_product_attention"):
            def sdpa(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
                s = (q @ k.transpose(-2, -1)) * (scale if scale is not None else q.shape[-1] ** -0.5)
                return s.softmax(-1) @ v
            torch.nn.functional.scaled_dot_product_attention = sdpa
        sys.path.insert(0, os.environ["DINOV2_SRC"])
        from functools import partial

        from dinov2.layers import MemEffAttention, NestedTensorBlock as Block
        from dinov2.models.vision_transformer import DinoVisionTransformer

        model = DinoVisionTransformer(img_size=518, patch_size=14, embed_dim=1024, depth=24, num_heads=16, mlp_ratio=4, block_fn=partial(Block, attn_class=MemEffAttention),
                                      init_values=1.0, block_chunks=0, num_register_tokens=0, interpolate_antialias=False, interpolate_offset=0.1)
        model.load_state_dict(torch.load(weights, map_location="cpu"), strict=True)
        model.eval()
    # The position embeddings at the input's grid, as the model interpolates them at run time.
    grid = size // model.patch_size
    tokens = torch.zeros(1, grid * grid + 1, model.embed_dim)
    with torch.no_grad():
        pe = model.interpolate_pos_encoding(tokens, size, size).clone()
    model.pos_embed = torch.nn.Parameter(pe)
    return DinoCls(model).eval(), size


def export(model, size, out, output, metadata):
    import onnx

    example = torch.zeros(1, 3, size, size)
    tmp = f"{out}.tmp"
    torch.onnx.export(model, example, tmp, input_names=["pixel_values"], output_names=[output], opset_version=17,
                      dynamic_axes={"pixel_values": {0: "N"}, output: {0: "N"}}, do_constant_folding=True)
    m = onnx.load(tmp)
    for k, v in metadata.items():
        m.metadata_props.add(key=k, value=v)
    onnx.save(m, tmp)
    os.replace(tmp, out)
    sha = sha256(out)
    with open(f"{out}.sha256", "w") as f:
        f.write(f"{sha}  {os.path.basename(out)}\n")
    print(f"wrote {out} (sha256 {sha})")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("net", choices=["clip", "dinov2"])
    p.add_argument("--weights", help="ViT-L-14-336px.pt (clip) or dinov2_vitl14_pretrain.pth (dinov2)")
    p.add_argument("--twin", action="store_true", help="export the test twin (seeded weights) instead")
    p.add_argument("-o", "--output", required=True)
    a = p.parse_args()
    if not a.twin and not a.weights:
        p.error("--weights is required (or --twin)")
    torch.set_grad_enabled(False)
    if a.net == "clip":
        model, size = clip_model(a.weights, a.twin)
        export(model, size, a.output, "image_embeds", METADATA["clip"])
    else:
        model, size = dinov2_model(a.weights, a.twin)
        export(model, size, a.output, "x_norm_clstoken", METADATA["dinov2"])


if __name__ == "__main__":
    main()
