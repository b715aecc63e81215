#!/usr/bin/env python3
"""Peer for scripts/bench/images.js: pytorch-fid's CPU pipeline in Debian's PyTorch 1.13.

PIL decode + convert('RGB') -> float tensor / 255 -> F.interpolate(bilinear, align_corners=False)
-> 2x - 1 -> the FID Inception module (scripts/export_onnx.py) with the twin's weights. Prints JSON:
total seconds, seconds inside the network, images, and the sgemm rate of NumPy's BLAS on this machine.
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import export_onnx  # noqa: E402
from blas_rate import gemm_gflops  # noqa: E402


def main():
    folder, twin, batch, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    model = export_onnx.FidInception().eval()
    export_onnx.load_folded_onnx(model, twin)
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".png"))
    with torch.no_grad():  # one untimed batch: the first call's set-up is not throughput
        model(torch.zeros(min(batch, len(files)), 3, 299, 299))
    t0 = time.perf_counter()
    net = 0.0
    with torch.no_grad():
        for i in range(0, len(files), batch):
            x = np.stack([np.asarray(Image.open(f).convert("RGB")) for f in files[i : i + batch]])
            x = torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255
            t = time.perf_counter()
            x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
            model(2 * x - 1)
            net += time.perf_counter() - t
    total = time.perf_counter() - t0
    print(json.dumps({"images": len(files), "seconds": total, "network_seconds": net, "sgemm_gflops": gemm_gflops(np.float32)}))


if __name__ == "__main__":
    main()
