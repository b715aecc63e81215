#!/usr/bin/env python3
"""Export pytorch-fid's FID Inception-v3 weights to the ONNX interface genmetrics runs.

    python3 scripts/export_onnx.py inception --weights pt_inception-2015-12-05-6726825d.pth \
        -o ~/.cache/genmetrics/models/inception-v3-fid.onnx

Interface: input `input` N x 3 x 299 x 299 float32 in [-1, 1] (resizing and scaling are done by
genmetrics); outputs `pool3` N x 2048, `logits` N x 1008 (fc with bias) and `logits_unbiased`
N x 1008 (fc without bias: torch-fidelity's Inception Score input). The weights' SHA-256 is checked
against the value pinned in lib/models/registry.ts, and the ONNX's SHA-256 is written to
`<output>.sha256`, which genmetrics verifies on every load.

`--weights-from-onnx TWIN.onnx` loads the (batch-norm folded) weights of an existing export instead,
to check this architecture against reference outputs without the real weights (see --check).

Needs PyTorch and onnx (Debian: python3-torch python3-onnx); torchvision is not needed.
"""
import argparse
import hashlib
import os
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

WEIGHTS_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
WEIGHTS_URL = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth"


class ConvBN(nn.Module):
    """Conv (no bias) + batch norm (eps 1e-3) + ReLU; attribute names follow torchvision's BasicConv2d."""

    def __init__(self, cin, cout, kernel, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def avg3(x):
    # The TF graph's average pools exclude the padding (count_include_pad=False): the FID patch.
    return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


class BlockA(nn.Module):  # Mixed_5b..5d
    def __init__(self, cin, pool_features):
        super().__init__()
        self.branch1x1 = ConvBN(cin, 64, 1)
        self.branch5x5_1 = ConvBN(cin, 48, 1)
        self.branch5x5_2 = ConvBN(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = ConvBN(cin, 64, 1)
        self.branch3x3dbl_2 = ConvBN(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = ConvBN(96, 96, 3, padding=1)
        self.branch_pool = ConvBN(cin, pool_features, 1)

    def forward(self, x):
        a = self.branch1x1(x)
        b = self.branch5x5_2(self.branch5x5_1(x))
        c = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        d = self.branch_pool(avg3(x))
        return torch.cat([a, b, c, d], 1)


class BlockB(nn.Module):  # Mixed_6a (grid reduction)
    def __init__(self, cin):
        super().__init__()
        self.branch3x3 = ConvBN(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = ConvBN(cin, 64, 1)
        self.branch3x3dbl_2 = ConvBN(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = ConvBN(96, 96, 3, stride=2)

    def forward(self, x):
        a = self.branch3x3(x)
        b = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([a, b, F.max_pool2d(x, 3, stride=2)], 1)


class BlockC(nn.Module):  # Mixed_6b..6e (factorised 7x7)
    def __init__(self, cin, c7):
        super().__init__()
        self.branch1x1 = ConvBN(cin, 192, 1)
        self.branch7x7_1 = ConvBN(cin, c7, 1)
        self.branch7x7_2 = ConvBN(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = ConvBN(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = ConvBN(cin, c7, 1)
        self.branch7x7dbl_2 = ConvBN(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = ConvBN(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = ConvBN(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = ConvBN(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = ConvBN(cin, 192, 1)

    def forward(self, x):
        a = self.branch1x1(x)
        b = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        c = x
        for i in range(1, 6):
            c = getattr(self, f"branch7x7dbl_{i}")(c)
        d = self.branch_pool(avg3(x))
        return torch.cat([a, b, c, d], 1)


class BlockD(nn.Module):  # Mixed_7a (grid reduction)
    def __init__(self, cin):
        super().__init__()
        self.branch3x3_1 = ConvBN(cin, 192, 1)
        self.branch3x3_2 = ConvBN(192, 320, 3, stride=2)
        self.branch7x7x3_1 = ConvBN(cin, 192, 1)
        self.branch7x7x3_2 = ConvBN(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = ConvBN(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = ConvBN(192, 192, 3, stride=2)

    def forward(self, x):
        a = self.branch3x3_2(self.branch3x3_1(x))
        b = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([a, b, F.max_pool2d(x, 3, stride=2)], 1)


class BlockE(nn.Module):  # Mixed_7b (average pool) and Mixed_7c (max pool: the FID graph's quirk)
    def __init__(self, cin, max_pool):
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = ConvBN(cin, 320, 1)
        self.branch3x3_1 = ConvBN(cin, 384, 1)
        self.branch3x3_2a = ConvBN(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = ConvBN(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = ConvBN(cin, 448, 1)
        self.branch3x3dbl_2 = ConvBN(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = ConvBN(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = ConvBN(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = ConvBN(cin, 192, 1)

    def forward(self, x):
        a = self.branch1x1(x)
        b = self.branch3x3_1(x)
        b = torch.cat([self.branch3x3_2a(b), self.branch3x3_2b(b)], 1)
        c = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        c = torch.cat([self.branch3x3dbl_3a(c), self.branch3x3dbl_3b(c)], 1)
        p = F.max_pool2d(x, 3, stride=1, padding=1) if self.max_pool else avg3(x)
        return torch.cat([a, b, c, self.branch_pool(p)], 1)


class FidInception(nn.Module):
    """Inception-v3 as in the TF FID graph (2015-12-05), 1008 classes, no auxiliary head."""

    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = ConvBN(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = ConvBN(32, 32, 3)
        self.Conv2d_2b_3x3 = ConvBN(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = ConvBN(64, 80, 1)
        self.Conv2d_4a_3x3 = ConvBN(80, 192, 3)
        self.Mixed_5b = BlockA(192, 32)
        self.Mixed_5c = BlockA(256, 64)
        self.Mixed_5d = BlockA(288, 64)
        self.Mixed_6a = BlockB(288)
        self.Mixed_6b = BlockC(768, 128)
        self.Mixed_6c = BlockC(768, 160)
        self.Mixed_6d = BlockC(768, 160)
        self.Mixed_6e = BlockC(768, 192)
        self.Mixed_7a = BlockD(768)
        self.Mixed_7b = BlockE(1280, max_pool=False)
        self.Mixed_7c = BlockE(2048, max_pool=True)
        self.fc = nn.Linear(2048, 1008)

    def forward(self, x):
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, 3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, 3, stride=2)
        for name in ["5b", "5c", "5d", "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c"]:
            x = getattr(self, f"Mixed_{name}")(x)
        pool3 = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        logits_unbiased = pool3 @ self.fc.weight.t()
        return pool3, logits_unbiased + self.fc.bias, logits_unbiased


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_pth(model, path):
    digest = sha256(path)
    if digest != WEIGHTS_SHA256:
        sys.exit(f"{path}: SHA-256 {digest} is not that of pt_inception-2015-12-05-6726825d.pth ({WEIGHTS_SHA256}); download {WEIGHTS_URL}")
    state = torch.load(path, map_location="cpu")
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        sys.exit(f"{path}: state dict does not fit the FID Inception: missing {missing[:5]}, unexpected {unexpected[:5]}")


def load_folded_onnx(model, path):
    """Weights of a BN-folded export: conv weights and biases in graph order; BN set to the identity."""
    import onnx
    from onnx import numpy_helper

    g = onnx.load(path).graph
    init = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    convs = [n for n in g.node if n.op_type == "Conv"]
    # Our convolutions in execution order (what the exporter's graph order follows).
    order = []
    hooks = [m.register_forward_pre_hook(lambda m, _x: order.append(m)) for m in model.modules() if isinstance(m, ConvBN)]
    with torch.no_grad():
        model(torch.zeros(1, 3, 299, 299))
    for h in hooks:
        h.remove()
    if len(order) != len(convs):
        sys.exit(f"{path}: {len(convs)} convolutions, the FID Inception has {len(order)}")
    with torch.no_grad():
        for m, node in zip(order, convs):
            w, b = init[node.input[1]], init[node.input[2]]
            if tuple(w.shape) != tuple(m.conv.weight.shape):
                sys.exit(f"{path}: convolution shape {w.shape} where the FID Inception has {tuple(m.conv.weight.shape)}")
            m.conv.weight.copy_(torch.from_numpy(w))
            m.bn.running_mean.zero_()
            m.bn.running_var.fill_(1.0)
            m.bn.weight.fill_(float(np.sqrt(1.0 + m.bn.eps)))
            m.bn.bias.copy_(torch.from_numpy(b))
        matmul = [init[n.input[1]] for n in g.node if n.op_type == "MatMul" and n.input[1] in init][0]
        model.fc.weight.copy_(torch.from_numpy(matmul.T.copy()))
        model.fc.bias.copy_(torch.from_numpy(init["fc.bias"]))


def export(model, out):
    model.eval()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(out)), suffix=".onnx.tmp")
    os.close(fd)
    try:
        torch.onnx.export(
            model, torch.zeros(1, 3, 299, 299), tmp, input_names=["input"],
            output_names=["pool3", "logits", "logits_unbiased"], opset_version=17,
            dynamic_axes={"input": {0: "n"}, "pool3": {0: "n"}, "logits": {0: "n"}, "logits_unbiased": {0: "n"}},
        )
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    digest = sha256(out)
    with open(out + ".sha256", "w") as f:
        f.write(f"{digest}  {os.path.basename(out)}\n")
    return digest


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("network", choices=["inception"])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--weights", help="pytorch-fid's pt_inception-2015-12-05-6726825d.pth")
    src.add_argument("--weights-from-onnx", help="a BN-folded export with this interface (e.g. the test twin)")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--check", help="directory with onnx_check_input/pool3/logits.npy: compare the PyTorch module with them")
    a = p.parse_args()
    model = FidInception().eval()
    if a.weights:
        load_pth(model, a.weights)
    else:
        load_folded_onnx(model, a.weights_from_onnx)
    if a.check:
        x = torch.from_numpy(np.load(os.path.join(a.check, "onnx_check_input.npy")))
        with torch.no_grad():
            pool3, logits, _ = model(x)
        for name, got in [("pool3", pool3), ("logits", logits)]:
            ref = np.load(os.path.join(a.check, f"onnx_check_{name}.npy"))
            err = np.abs(got.numpy() - ref).max() / np.abs(ref).max()
            print(f"{name}: max relative error {err:.2e} against onnx_check_{name}.npy")
    digest = export(model, a.output)
    print(f"wrote {a.output} (sha256 {digest}) and {a.output}.sha256")


if __name__ == "__main__":
    main()
