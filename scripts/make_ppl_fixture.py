#!/usr/bin/env python3
"""Reference perceptual path lengths for test/ppl.test.ts (test/fixtures/ppl_reference.json),
from torch-fidelity's own calculate_ppl (torch_fidelity/metric_ppl.py) and its own LPIPS-VGG16
(sample_similarity_lpips.py), run on twins that the test builds in JS with the same numbers:

- the generator: test/onnx-builder.ts exactGenerator, clip(z W + b, -1, 1) with one power-of-two
  entry per column of W, so that its float32 output is bit-identical in onnxruntime and here (one
  rounding flip would move a pixel of a uint8 image and change a distance); its images become uint8
  as StyleGAN saves them, (x * 127.5 + 128).clamp(0, 255) truncated, in float32;
- LPIPS-VGG16: the VGG16 trunk and lin layers with hashed weights (test/lpips-twin.ts), given to
  torch-fidelity through stubs of torch.hub.load_state_dict_from_url and of its torchvision loader.

torch-fidelity's package __init__ and utils import torchvision (not in Debian): the harness
(scripts/peer_modules.py) loads its modules under a bare package and provides the five utils
functions calculate_ppl imports: sample_random and batch_interp dispatch to its own noise.py,
create_sample_similarity builds its SampleSimilarityLPIPS, and the two input helpers hand over the
generator. Nothing of torch-fidelity is copied here.
Usage: PEERS_DIR=... /usr/bin/python3 scripts/make_ppl_fixture.py
"""
import json
import math
import os
import sys
import types

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from lpips_net import vgg16_features  # noqa: E402
from peer_modules import torch_fidelity_module  # noqa: E402
from twin_hash import fnv1a, hashed  # noqa: E402

M = 0xFFFFFFFF
OUT = os.path.join(HERE, "..", "test", "fixtures", "ppl_reference.json")


def twin_tensor(name, shape):
    """test/lpips-twin.ts twinTensor."""
    n = int(np.prod(shape))
    if name.startswith("lin"):
        v = np.abs(hashed(n, fnv1a(name), 0.1))
    elif name.endswith(".bias"):
        v = hashed(n, fnv1a(name), 0.01)
    else:
        v = hashed(n, fnv1a(name), math.sqrt(6 / (n / shape[0])))
    return torch.from_numpy(v.reshape(shape))


class Lcg:
    def __init__(self, seed):
        self.s = seed & M

    def __call__(self):
        self.s = (self.s * 1664525 + 1013904223) & M
        return self.s / 2**32


def exact_generator(z, height, width, seed):
    """test/onnx-builder.ts exactGenerator: (W as a row per output: its source entry and factor, b)."""
    out = 3 * height * width
    u = Lcg(seed)
    factor = np.zeros(out, dtype=np.float32)
    for j in range(out):
        k = math.floor(3 * u())
        sign = -1.0 if u() < 0.5 else 1.0
        factor[j] = sign * 2.0 ** -(1 + k)
    ub = Lcg(seed + 1)
    b = np.array([(ub() - 0.5) * 2 * 0.2 for _ in range(out)], dtype=np.float32)
    return np.arange(out) % z, factor, b


def make_model(z, height, width, seed, dtype):
    base = torch_fidelity_module("generative_model_base")
    source, factor, b = exact_generator(z, height, width, seed)

    class Twin(base.GenerativeModelBase):
        @property
        def z_size(self):
            return z

        @property
        def z_type(self):
            return "normal"

        @property
        def num_classes(self):
            return 0

        def forward(self, codes):
            c = codes.numpy().astype(np.float32)
            x = np.clip(c[:, source] * factor + b, np.float32(-1), np.float32(1)).astype(np.float32)
            if dtype == "uint8":
                y = np.clip(x * np.float32(127.5) + np.float32(128), 0, 255).astype(np.uint8)
            else:
                y = ((x.astype(np.float64) + 1) / 2 * 255).astype(np.float32)
            return torch.from_numpy(y.reshape(-1, 3, height, width))

    return Twin()


def harness(model):
    noise = torch_fidelity_module("noise")
    lin = {f"lin{k}.model.1.weight": twin_tensor(f"lin{k}.model.1.weight", [1, c, 1, 1]) for k, c in enumerate([64, 128, 256, 512, 512])}
    torch.hub.load_state_dict_from_url = lambda *a, **k: lin

    def vgg16(**kwargs):
        features = torch.nn.Sequential(*vgg16_features())
        state = {}
        for i, layer in enumerate(features):
            if isinstance(layer, torch.nn.Conv2d):
                state[f"{i}.weight"] = twin_tensor(f"features.{i}.weight", list(layer.weight.shape))
                state[f"{i}.bias"] = twin_tensor(f"features.{i}.bias", list(layer.bias.shape))
        features.load_state_dict(state)
        return types.SimpleNamespace(features=features)

    tv = types.ModuleType("torch_fidelity.utils_torchvision")
    tv.torchvision_load_pretrained_vgg16 = vgg16
    sys.modules["torch_fidelity.utils_torchvision"] = tv
    lpips = torch_fidelity_module("sample_similarity_lpips")
    interps = {"lerp": noise.batch_lerp, "slerp_any": noise.batch_slerp_any}
    utils = sys.modules["torch_fidelity.utils"]
    utils.sample_random = lambda rng, shape, z_type: noise.random_normal(rng, shape)
    utils.batch_interp = lambda a, b, t, method: interps[method](a, b, t)
    utils.create_sample_similarity = lambda name, cuda=False, **kw: lpips.SampleSimilarityLPIPS(name, **kw).eval()
    utils.prepare_input_descriptor_from_input_id = lambda input_id, **kw: {"input_model_num_samples": kw["input1_model_num_samples"], "input_model_num_classes": 0}
    utils.prepare_input_from_descriptor = lambda desc, **kw: model
    ppl = torch_fidelity_module("metric_ppl")
    # metric_ppl bound the utils names when first imported: this case's model and helpers again.
    for fn in ("sample_random", "batch_interp", "create_sample_similarity", "prepare_input_descriptor_from_input_id", "prepare_input_from_descriptor"):
        setattr(ppl, fn, getattr(utils, fn))
    return ppl


def case(name, generator, dtype, **kwargs):
    ppl = harness(make_model(*generator, dtype))
    out = ppl.calculate_ppl(1, cuda=False, verbose=False, ppl_reduction="none", ppl_sample_similarity_dtype=dtype if dtype == "uint8" else None, **kwargs)
    raw = out["perceptual_path_length_raw"]
    return name, {
        "generator": dict(zip(["z", "height", "width", "seed"], generator)),
        "dtype": dtype,
        "kwargs": kwargs,
        "mean": out["perceptual_path_length_mean"],
        "std": out["perceptual_path_length_std"],
        "kept": [float(v) for v in raw],
    }


def resize_cases():
    """torch's interpolate as torch-fidelity's LPIPS calls it: area down (both sides larger), bilinear up."""
    x = np.random.RandomState(3).rand(1, 2, 7, 6).astype(np.float32)
    t = torch.from_numpy(x)
    area = torch.nn.functional.interpolate(t, (4, 4), mode="area")
    up = torch.nn.functional.interpolate(t, (9, 9), mode="bilinear", align_corners=False)
    return {"input": [float(v) for v in x.ravel()], "shape": list(x.shape),
            "area4": [float(v) for v in area.numpy().ravel()], "bilinear9": [float(v) for v in up.numpy().ravel()]}


def main():
    torch.set_num_threads(1)
    gen = (8, 16, 16, 3)
    cases = dict([
        case("uint8_lerp", gen, "uint8", rng_seed=5, batch_size=50, input1_model_num_samples=300, ppl_epsilon=1e-4, ppl_z_interp_mode="lerp"),
        case("float32_slerp", gen, "float32", rng_seed=9, batch_size=32, input1_model_num_samples=100, ppl_epsilon=1e-2, ppl_z_interp_mode="slerp_any"),
    ])
    cases["resize"] = resize_cases()
    with open(OUT, "w") as f:
        json.dump(cases, f)


if __name__ == "__main__":
    main()
