"""The seeded weights of the test twins, as test/onnx-builder.ts computes them (fnv1a, hashedValues),
for the fixture scripts that load the same weights into the reference code."""
import numpy as np

_M = np.uint64(0xFFFFFFFF)


def fnv1a(text):
    """test/onnx-builder.ts fnv1a of a tensor name (Latin-1 characters)."""
    h = 0x811C9DC5
    for ch in text.encode("latin1"):
        h = ((h ^ ch) * 0x01000193) & 0xFFFFFFFF
    return h


def hashed(n, seed, scale):
    """test/onnx-builder.ts hashedValues: n values in [-scale, scale), float32."""
    x = (np.arange(n, dtype=np.uint64) + np.uint64((seed * 0x9E3779B9) & 0xFFFFFFFF)) & _M
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x7FEB352D)) & _M
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x846CA68B)) & _M
    x ^= x >> np.uint64(16)
    return (((2 * x.astype(np.float64)) / 2**32 - 1) * scale).astype(np.float32)
