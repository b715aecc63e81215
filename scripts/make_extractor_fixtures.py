#!/usr/bin/env python3
"""Reference outputs of the ViT extractors' twins (test/fixtures/extractors/reference.json).

For test/extractors.test.ts: a few fixture images go through each extractor's *reference*
preprocessing in PIL/PyTorch and through the *official* model code with the twins' seeded weights:

- clip-vit-l14 (CMMD, google-research cmmd/io_util.py + embedding.py): PIL image as opened, centre
  square cropped, `resize((336, 336), BICUBIC)`, float32 / 255, the embedding step's own bicubic
  resize to 336 (torch's, as the 2024 HF-based embedding.py; identity at 336, checked), CLIP mean/std
  in float32, openai/CLIP's VisionTransformer (clip/model.py), L2-normalised. Gray images are
  resized as L and tiled to 3 channels (io_util); RGBA, which the reference refuses, is converted
  with convert("RGB") as genmetrics does.
- dinov2-vit-l14 (dgm-eval models/dinov2.py, clean_resize False): `Image.open().convert("RGB")`,
  torchvision's Resize((224, 224), BICUBIC) on a PIL image (= PIL's resize), ToTensor, Normalize
  (ImageNet), facebookresearch/dinov2's DinoVisionTransformer (hub config: init_values 1.0,
  block_chunks 0, MemEffAttention), `forward` = head(x_norm_clstoken).

The twins' weights are test/vit-builder.ts vitTensor (hashedValues of fnv1a(name)), rebuilt here.
Also stored: the SHA-256 of PIL's resized uint8 RGB bytes per image and of the float32 network input
(3 x S x S): genmetrics' resize and normalisation must give the same bits.

Usage (Debian's python3 with python3-torch, python3-numpy, python3-pil; the model code from
checkouts of github.com/openai/CLIP and github.com/facebookresearch/dinov2):
    CLIP_SRC=/path/to/CLIP DINOV2_SRC=/path/to/dinov2 /usr/bin/python3 scripts/make_extractor_fixtures.py
torch < 2.0 lacks F.scaled_dot_product_attention, which dinov2's Attention calls: it is defined
here as softmax(q k^T / sqrt(d)) v (no mask, no dropout), the operator's definition.
"""
import hashlib
import importlib.util
import json
import os
import sys
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twin_hash import fnv1a, hashed  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
IMAGES = os.environ.get("IMAGES_DIR", os.path.join(ROOT, "..", "shared", "fixtures", "images"))
OUT = os.path.join(ROOT, "test", "fixtures", "extractors", "reference.json")
FILES = ["img00_32x32_RGB.png", "img09_28x28_L.png", "img13_300x200_RGB.png", "img14_512x384_RGBA.png", "img15_299x299_RGB.png"]

CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)
IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406], dtype=torch.float32)
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225], dtype=torch.float32)

TWINS = {
    "clip": dict(width=32, heads=2, layers=2, patch=14, size=336, embed=16),
    "dinov2": dict(width=32, heads=2, layers=2, patch=14, size=224),
}


def vit_tensor(name, shape):
    """test/vit-builder.ts vitTensor."""
    n = int(np.prod(shape))
    seed = fnv1a(name)
    leaf = name.split(".")[-1]
    parts = name.split(".")
    is_norm = len(parts) >= 2 and (parts[-2].startswith("ln_") or parts[-2] in ("norm", "norm1", "norm2")) and leaf in ("weight", "bias")
    if is_norm and leaf == "weight":
        v = np.float32(1) + hashed(n, seed, 0.2)
    elif leaf == "gamma":
        v = np.float32(0.5) + hashed(n, seed, 0.3)
    elif leaf == "bias" or leaf.endswith("_bias"):
        v = hashed(n, seed, 0.1)
    elif name in ("class_embedding", "positional_embedding", "cls_token", "pos_embed", "mask_token"):
        v = hashed(n, seed, 0.5)
    else:
        fan_in = shape[0] if name == "proj" else int(np.prod(shape[1:]))
        v = hashed(n, seed, 1 / np.sqrt(fan_in))
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


def load_twin(model):
    model.load_state_dict({k: vit_tensor(k, list(t.shape)) for k, t in model.state_dict().items()}, strict=True)
    return model.eval()


def clip_twin():
    src = os.environ["CLIP_SRC"]
    spec = importlib.util.spec_from_file_location("clip_model", os.path.join(src, "clip", "model.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    t = TWINS["clip"]
    return load_twin(mod.VisionTransformer(input_resolution=t["size"], patch_size=t["patch"], width=t["width"], layers=t["layers"], heads=t["heads"], output_dim=t["embed"]))


def dinov2_twin():
    if not hasattr(F, "scaled_dot_product_attention"):
        def sdpa(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
            assert attn_mask is None and not is_causal and dropout_p == 0
            s = (q @ k.transpose(-2, -1)) * (scale if scale is not None else q.shape[-1] ** -0.5)
            return s.softmax(-1) @ v
        F.scaled_dot_product_attention = sdpa
    sys.path.insert(0, os.environ["DINOV2_SRC"])
    from dinov2.layers import MemEffAttention, NestedTensorBlock as Block
    from dinov2.models.vision_transformer import DinoVisionTransformer

    t = TWINS["dinov2"]
    # dinov2/hub/backbones.py: init_values 1.0, block_chunks 0, interpolate_offset 0.1; img_size is
    # the twin's input size, so its position embeddings need no interpolation.
    return load_twin(DinoVisionTransformer(img_size=t["size"], patch_size=t["patch"], embed_dim=t["width"], depth=t["layers"], num_heads=t["heads"], mlp_ratio=4,
                                           block_fn=partial(Block, attn_class=MemEffAttention), init_values=1.0, block_chunks=0, interpolate_offset=0.1))


def fsha(a):
    """SHA-256 of a float32 array's C-order little-endian bytes (the network input, 3 x H x W)."""
    return hashlib.sha256(np.ascontiguousarray(a, dtype="<f4").tobytes()).hexdigest()


def sha(a):
    return hashlib.sha256(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).hexdigest()


def cmmd_image(path, size):
    """io_util._read_image + _center_crop_and_resize; the RGB bytes and the float32 array."""
    im = Image.open(path)
    im.load()
    if im.mode not in ("RGB", "L"):
        im = im.convert("RGB")  # the reference refuses 4-channel arrays; genmetrics converts
    w, h = im.size
    l = min(w, h)
    top, left = (h - l) // 2, (w - l) // 2
    im = im.crop((left, top, left + l, top + l)).resize((size, size), resample=Image.BICUBIC)
    x = np.asarray(im).astype(np.float32)
    if x.ndim == 2:
        x = np.tile(x[..., np.newaxis], (1, 1, 3))
    return sha(x.astype(np.uint8)), x


def cmmd_embed(model, x, size):
    """embedding.py: [0, 1] batch, bicubic resize to the model's size, CLIP normalisation, image embeds / norm."""
    batch = x[np.newaxis] / 255.0
    t = torch.from_numpy(batch.transpose(0, 3, 1, 2))
    resized = F.interpolate(t, size=(size, size), mode="bicubic")
    assert torch.equal(resized, t), "the embedding's resize at the model's size is not the identity"
    img = (resized.permute(0, 2, 3, 1).numpy() - CLIP_MEAN) / CLIP_STD
    with torch.no_grad():
        e = model(torch.from_numpy(np.ascontiguousarray(img.transpose(0, 3, 1, 2)))).numpy()
    return e / np.linalg.norm(e, axis=-1, keepdims=True), img


def dinov2_image(path, size):
    im = Image.open(path).convert("RGB").resize((size, size), Image.BICUBIC)
    a = np.asarray(im)
    t = torch.from_numpy(a.copy()).permute(2, 0, 1).contiguous().to(torch.float32).div(255)
    t = t.sub(IMAGENET_MEAN[:, None, None]).div(IMAGENET_STD[:, None, None])
    return sha(a), t


def cmmd_reference(x, y, sigma=10.0, scale=1000.0, dtype=np.float32):
    """google-research cmmd/distance.py mmd, in NumPy at `dtype` (the reference runs float32 in JAX)."""
    x = np.asarray(x, dtype=dtype)
    y = np.asarray(y, dtype=dtype)
    x_sq = np.diag(x @ x.T)
    y_sq = np.diag(y @ y.T)
    gamma = dtype(1 / (2 * sigma**2))
    k_xx = np.mean(np.exp(-gamma * (-2 * (x @ x.T) + x_sq[:, None] + x_sq[None, :])))
    k_xy = np.mean(np.exp(-gamma * (-2 * (x @ y.T) + x_sq[:, None] + y_sq[None, :])))
    k_yy = np.mean(np.exp(-gamma * (-2 * (y @ y.T) + y_sq[:, None] + y_sq[None, :])))
    return float(dtype(scale) * (k_xx + k_yy - 2 * k_xy))


def unit_rows(n, d, seed, shift=0.0):
    """test/cmmd.test.ts unitRows: hashed values (+ shift), each row L2-normalised (CLIP-like embeddings)."""
    v = hashed(n * d, seed, 1.0).astype(np.float64).reshape(n, d) + shift
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def cmmd_fixture():
    """CMMD of feature sets the test rebuilds (and of the shared Inception pair), for test/cmmd.test.ts."""
    cases = []
    for name, (nx, ny, d, sx, sy, shift, sigma) in {
        "unit_300x16_vs_250x16": (300, 250, 16, 11, 12, 0.3, 10.0),
        "unit_200x8_same_seed_shift": (200, 200, 8, 21, 22, 0.0, 10.0),
        "unit_120x16_sigma_0.5": (120, 90, 16, 31, 32, 0.5, 0.5),
    }.items():
        x = unit_rows(nx, d, sx)
        y = unit_rows(ny, d, sy, shift)
        cases.append({"name": name, "x": [nx, d, sx, 0.0], "y": [ny, d, sy, shift], "sigma": sigma,
                      "cmmd_float32": cmmd_reference(x, y, sigma), "cmmd_float64": cmmd_reference(x, y, sigma, dtype=np.float64)})
    metrics = os.path.join(ROOT, "..", "shared", "fixtures", "metrics")
    fake = np.load(os.path.join(metrics, "fake_3000x2048.npy"))
    real = np.load(os.path.join(metrics, "real_3000x2048.npy"))
    cases.append({"name": "shared_fake_vs_real_3000x2048", "files": ["fake_3000x2048.npy", "real_3000x2048.npy"], "sigma": 10.0,
                  "cmmd_float32": cmmd_reference(fake, real), "cmmd_float64": cmmd_reference(fake, real, dtype=np.float64)})
    path = os.path.join(ROOT, "test", "fixtures", "extractors", "cmmd_reference.json")
    with open(path, "w") as fh:
        json.dump({"reference": "google-research cmmd/distance.py mmd (sigma 10, scale 1000), NumPy float32 and float64", "cases": cases}, fh, indent=1)
    print(f"wrote {path}")


def main():
    cmmd_fixture()
    torch.set_num_threads(1)
    clip = clip_twin()
    dino = dinov2_twin()
    out = {"images": FILES, "twins": TWINS, "clip": {"resized_sha256": [], "embeds": [], "input_sha256": []}, "dinov2": {"resized_sha256": [], "features": [], "input_sha256": []}}
    cs, ds = TWINS["clip"]["size"], TWINS["dinov2"]["size"]
    for f in FILES:
        p = os.path.join(IMAGES, f)
        h, x = cmmd_image(p, cs)
        e, img = cmmd_embed(clip, x, cs)
        out["clip"]["resized_sha256"].append(h)
        out["clip"]["embeds"].append([float(v) for v in e[0]])
        out["clip"]["input_sha256"].append(fsha(img[0].transpose(2, 0, 1)))
        h, t = dinov2_image(p, ds)
        with torch.no_grad():
            feat = dino(t[None]).numpy()
        out["dinov2"]["resized_sha256"].append(h)
        out["dinov2"]["features"].append([float(v) for v in feat[0]])
        out["dinov2"]["input_sha256"].append(fsha(t.numpy()))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as fh:
        json.dump(out, fh, indent=1)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
