#!/usr/bin/env python3
"""Reference latent codes for test/generator.test.ts (test/fixtures/latents_reference.json).

torch-fidelity draws a generator's codes with NumPy's legacy RandomState(rng_seed): per batch,
`rng.randn(batch, z_size)` cast to float32, then, for a conditional model, `rng.randint(0,
num_classes, batch)`. The fixture holds RandomState(2020).randn(5, 3) and a conditional draw of 70
rows in torch-fidelity's default batches of 64 (64 codes, 64 labels, 6 codes, 6 labels).
Usage: python3 scripts/make_generator_fixtures.py (with PEERS_DIR set, also interpolation_reference.json
from torch-fidelity's own code)
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "test", "fixtures", "latents_reference.json")


def main():
    z = np.random.RandomState(2020).randn(5, 3).astype(np.float32)
    rng = np.random.RandomState(7)
    codes, labels = [], []
    for size in (64, 6):
        codes.append(rng.randn(size, 4).astype(np.float32))
        labels.append(rng.randint(0, 10, (size,)))
    out = {
        "seed2020_5x3": [float(v) for v in z.ravel()],
        "cond_seed7_70x4": {
            "z": [float(v) for v in np.concatenate(codes).ravel()],
            "labels": [int(v) for v in np.concatenate(labels)],
        },
    }
    with open(OUT, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()


def interpolation_fixture():
    """torch-fidelity's own lerp and slerp (torch_fidelity/noise.py) on two codes, for
    test/pictures.test.ts (test/fixtures/interpolation_reference.json). Needs PyTorch and
    torch-fidelity's source under PEERS_DIR (scripts/peer_modules.py)."""
    import sys

    import torch

    sys.path.insert(0, HERE)
    from peer_modules import torch_fidelity_module

    noise = torch_fidelity_module("noise")
    batch_lerp, batch_slerp_any = noise.batch_lerp, noise.batch_slerp_any

    codes = np.random.RandomState(1).randn(2, 6).astype(np.float32)
    a, b = torch.from_numpy(codes[:1]), torch.from_numpy(codes[1:])
    ts = [0.0, 0.25, 0.5, 1e-4, 1.0]
    out = {
        "a": [float(v) for v in codes[0]],
        "b": [float(v) for v in codes[1]],
        "t": ts,
        "lerp": [[float(v) for v in batch_lerp(a, b, t)[0]] for t in ts],
        "slerp": [[float(v) for v in batch_slerp_any(a, b, t)[0]] for t in ts],
        "slerp_parallel": [float(v) for v in batch_slerp_any(a, 2 * a, 0.5)[0]],
    }
    with open(os.path.join(HERE, "..", "test", "fixtures", "interpolation_reference.json"), "w") as f:
        json.dump(out, f)


if __name__ == "__main__" and os.environ.get("PEERS_DIR"):
    interpolation_fixture()
