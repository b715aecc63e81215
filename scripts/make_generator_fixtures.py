#!/usr/bin/env python3
"""Reference latent codes for test/generator.test.ts (test/fixtures/latents_reference.json).

torch-fidelity draws a generator's codes with NumPy's legacy RandomState(rng_seed): per batch,
`rng.randn(batch, z_size)` cast to float32, then, for a conditional model, `rng.randint(0,
num_classes, batch)`. The fixture holds RandomState(2020).randn(5, 3) and a conditional draw of 70
rows in torch-fidelity's default batches of 64 (64 codes, 64 labels, 6 codes, 6 labels).
Usage: python3 scripts/make_generator_fixtures.py
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
