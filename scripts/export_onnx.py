#!/usr/bin/env python3
"""Export the networks genmetrics runs to ONNX: pytorch-fid's FID Inception-v3, and LPIPS v0.1.

    python3 scripts/export_onnx.py inception --weights pt_inception-2015-12-05-6726825d.pth \
        -o ~/.cache/genmetrics/models/inception-v3-fid.onnx
    python3 scripts/export_onnx.py lpips --net alex --lin alex.pth --trunk alexnet-owt-7be5be79.pth \
        -o ~/.cache/genmetrics/models/lpips-alex.onnx

Interface: input `input` N x 3 x 299 x 299 float32 in [-1, 1] (resizing and scaling are done by
genmetrics); outputs `pool3` N x 2048, `logits` N x 1008 (fc with bias) and `logits_unbiased`
N x 1008 (fc without bias: torch-fidelity's Inception Score input). The weights' SHA-256 is checked
against the value pinned in lib/models/registry.ts, and the ONNX's SHA-256 is written to
`<output>.sha256`, which genmetrics verifies on every load.

`--weights-from-onnx TWIN.onnx` loads the (batch-norm folded) weights of an existing export instead,
to check this architecture against reference outputs without the real weights (see --check).

LPIPS (`--net alex|vgg|squeeze`): `--lin` is the lpips package's v0.1 weight file
(lpips/weights/v0.1/<net>.pth) and `--trunk` torchvision's ImageNet weights (alexnet-owt-7be5be79,
vgg16-397923af, squeezenet1_1-b8a52dc0); both SHA-256 are checked. Interface: inputs `in0`, `in1`
N x 3 x H x W float32 in [-1, 1], output `distance` N x 1 x 1 x 1 (lpips.LPIPS(net, version='0.1')
forward). `--weights-from-onnx lpips-alex-twin.onnx --check ../shared/fixtures/reference` rebuilds
the test twin and compares it with the lpips package's lpips_check_* outputs.

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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

WEIGHTS_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
WEIGHTS_URL = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth"

# LPIPS v0.1 weight files (lin: richzhang/PerceptualSimilarity lpips/weights/v0.1; trunk: torchvision).
LPIPS_LIN_URL = "https://raw.githubusercontent.com/richzhang/PerceptualSimilarity/master/lpips/weights/v0.1/{net}.pth"
LPIPS_WEIGHTS = {
    "alex": {
        "lin": "df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0",
        "trunk": ("https://download.pytorch.org/models/alexnet-owt-7be5be79.pth", "7be5be791159472b1fbf3c69796f7cb30dca7ad8466c2df70058c37116cdee02"),
    },
    "vgg": {
        "lin": "a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868",
        "trunk": ("https://download.pytorch.org/models/vgg16-397923af.pth", "397923af8e79cdbb6a7127f12361acd7a2f83e06b05044ddf496e83de57a5bf0"),
    },
    "squeeze": {
        "lin": "4a5350f23600cb79923ce65bb07cbf57dca461329894153e05a1346bd531cf76",
        "trunk": ("https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth", "b8a52dc049b60e4b6ab68ad0df457362afab8b6304b2febdc1650a5dab4d7e7b"),
    },
}


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


def export(model, out, example, inputs, outputs, dynamic):
    model.eval()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(out)), suffix=".onnx.tmp")
    os.close(fd)
    try:
        torch.onnx.export(model, example, tmp, input_names=inputs, output_names=outputs, opset_version=17, dynamic_axes=dynamic)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    digest = sha256(out)
    with open(out + ".sha256", "w") as f:
        f.write(f"{digest}  {os.path.basename(out)}\n")
    return digest


def export_inception(model, out):
    n = {0: "n"}
    return export(model, out, torch.zeros(1, 3, 299, 299), ["input"], ["pool3", "logits", "logits_unbiased"],
                  {"input": n, "pool3": n, "logits": n, "logits_unbiased": n})


def checked(path, expected, what, url):
    digest = sha256(path)
    if digest != expected:
        sys.exit(f"{path}: SHA-256 {digest} is not that of {what} ({expected}); download {url}")
    return torch.load(path, map_location="cpu")


def lpips_model(a):
    from lpips_net import Lpips, trunk_state

    model = Lpips(a.net).eval()
    if a.weights_from_onnx:
        import onnx
        from onnx import numpy_helper

        state = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in onnx.load(a.weights_from_onnx).graph.initializer}
        state = {k: v for k, v in state.items() if k in model.state_dict()}
    else:
        if not (a.lin and a.trunk):
            sys.exit("lpips needs --lin and --trunk (or --weights-from-onnx)")
        w = LPIPS_WEIGHTS[a.net]
        state = dict(checked(a.lin, w["lin"], f"the lpips package's v0.1 {a.net}.pth", LPIPS_LIN_URL.format(net=a.net)))
        state.update(trunk_state(a.net, checked(a.trunk, w["trunk"][1], os.path.basename(w["trunk"][0]), w["trunk"][0])))
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.startswith("scaling_layer.")]
    if missing or unexpected:
        sys.exit(f"weights do not fit LPIPS ({a.net}): missing {missing[:5]}, unexpected {unexpected[:5]}")
    return model


def export_lpips(model, out):
    d = {0: "n", 2: "h", 3: "w"}
    x = torch.zeros(1, 3, 64, 64)
    return export(model, out, (x, x), ["in0", "in1"], ["distance"], {"in0": d, "in1": d, "distance": {0: "n"}})


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("network", choices=["inception", "lpips"])
    p.add_argument("--weights", help="inception: pytorch-fid's pt_inception-2015-12-05-6726825d.pth")
    p.add_argument("--weights-from-onnx", help="an export with this interface (e.g. a test twin)")
    p.add_argument("--net", choices=sorted(LPIPS_WEIGHTS), default="alex", help="lpips: the trunk")
    p.add_argument("--lin", help="lpips: the lpips package's lpips/weights/v0.1/<net>.pth")
    p.add_argument("--trunk", help="lpips: torchvision's ImageNet weights of the trunk")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--check", help="directory with onnx_check_* (inception) or lpips_check_* (lpips) .npy files: compare the PyTorch module with them")
    a = p.parse_args()
    if a.network == "lpips":
        model = lpips_model(a)
        if a.check:
            x0, x1 = (torch.from_numpy(np.load(os.path.join(a.check, f"lpips_check_in{i}.npy"))) for i in (0, 1))
            with torch.no_grad():
                got = model(x0, x1).flatten().numpy()
            ref = np.load(os.path.join(a.check, "lpips_check_distance.npy"))
            print(f"distance: max absolute error {np.abs(got - ref).max():.2e} against lpips_check_distance.npy")
        digest = export_lpips(model, a.output)
        print(f"wrote {a.output} (sha256 {digest}) and {a.output}.sha256")
        return
    if bool(a.weights) == bool(a.weights_from_onnx):
        sys.exit("inception needs exactly one of --weights and --weights-from-onnx")
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
    digest = export_inception(model, a.output)
    print(f"wrote {a.output} (sha256 {digest}) and {a.output}.sha256")


if __name__ == "__main__":
    main()
