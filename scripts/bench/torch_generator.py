#!/usr/bin/env python3
"""Peer and model for scripts/bench/generator.js.

  export OUT.onnx        a DCGAN generator (Radford et al. 2016: z 128 -> 3 x 64 x 64, tanh) with
                         torch.manual_seed(0)'s initial weights, exported to ONNX (input z, output images)
  run N BATCH THREADS TWIN
                         torch-fidelity's generator path (utils.get_featuresdict_from_generative_model:
                         per batch rng.randn codes from RandomState(2020), the generator, uint8 images,
                         the feature extractor) in Debian's PyTorch, with the same generator and the FID
                         Inception twin (scripts/export_onnx.py) resized as pytorch-fid does. Prints JSON:
                         total seconds, generator seconds, network seconds.
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def dcgan():
    torch.manual_seed(0)
    layers, cin = [], 128
    for i, cout in enumerate([512, 256, 128, 64]):
        layers += [nn.ConvTranspose2d(cin, cout, 4, 1 if i == 0 else 2, 0 if i == 0 else 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
        cin = cout
    layers += [nn.ConvTranspose2d(cin, 3, 4, 2, 1, bias=False), nn.Tanh()]
    body = nn.Sequential(*layers).eval()

    class G(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = body

        def forward(self, z):
            return self.body(z.view(z.shape[0], -1, 1, 1))

    return G().eval()


def export(out):
    g = dcgan()
    torch.onnx.export(g, torch.zeros(2, 128), out, input_names=["z"], output_names=["images"], dynamic_axes={"z": {0: "N"}, "images": {0: "N"}}, opset_version=13)


def run(n, batch, threads, twin):
    import export_onnx

    torch.set_num_threads(threads)
    g = dcgan()
    net = export_onnx.FidInception().eval()
    export_onnx.load_folded_onnx(net, twin)
    rng = np.random.RandomState(2020)
    gen_s = net_s = 0.0
    t0 = time.perf_counter()
    with torch.no_grad():
        for start in range(0, n, batch):
            b = min(batch, n - start)
            t = time.perf_counter()
            z = torch.from_numpy(rng.randn(b, 128)).float()
            x = g(z)
            u8 = (x * 127.5 + 128).clamp(0, 255).to(torch.uint8)
            gen_s += time.perf_counter() - t
            t = time.perf_counter()
            y = F.interpolate(u8.float() / 255, size=(299, 299), mode="bilinear", align_corners=False) * 2 - 1
            net(y)
            net_s += time.perf_counter() - t
    print(json.dumps({"seconds": time.perf_counter() - t0, "generator_seconds": gen_s, "network_seconds": net_s}))


if __name__ == "__main__":
    if sys.argv[1] == "export":
        export(sys.argv[2])
    else:
        run(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
