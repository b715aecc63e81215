"""LPIPS v0.1 (Zhang et al. 2018, "The Unreasonable Effectiveness of Deep Features as a Perceptual
Metric") in plain PyTorch, for the ONNX export in export_onnx.py; torchvision is not needed.

distance(x0, x1) = sum over taps l of mean_{h,w} w_l . (f0_l - f1_l)^2, where f_l are the trunk's
activations at tap l unit-normalised over channels (f / (||f|| + 1e-10)) and w_l >= 0 the learned
1x1 weights; the inputs in [-1, 1] first go through the v0.1 scaling layer (x - shift) / scale.

Parameter names follow the lpips package's modules (scaling_layer.*, net.slice<k>.<i>.*,
lin<k>.model.1.weight), so its weight files, its exports and torchvision trunks (features.<i>.*,
mapped to the slice holding layer i) all load into it.
"""
import torch
import torch.nn as nn

SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)


class Fire(nn.Module):
    """SqueezeNet's fire module (torchvision's attribute names)."""

    def __init__(self, cin, squeeze, e1, e3):
        super().__init__()
        self.squeeze = nn.Conv2d(cin, squeeze, 1)
        self.expand1x1 = nn.Conv2d(squeeze, e1, 1)
        self.expand3x3 = nn.Conv2d(squeeze, e3, 3, padding=1)

    def forward(self, x):
        x = torch.relu(self.squeeze(x))
        return torch.cat([torch.relu(self.expand1x1(x)), torch.relu(self.expand3x3(x))], 1)


def alexnet_features():
    return [
        nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(),
    ]


def vgg16_features():
    layers, cin = [], 3
    for block in [(64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512)]:
        if layers:
            layers.append(nn.MaxPool2d(2, 2))
        for cout in block:
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU()]
            cin = cout
    return layers


def squeezenet11_features():
    return [
        nn.Conv2d(3, 64, 3, stride=2), nn.ReLU(), nn.MaxPool2d(3, 2, ceil_mode=True),
        Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), nn.MaxPool2d(3, 2, ceil_mode=True),
        Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), nn.MaxPool2d(3, 2, ceil_mode=True),
        Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256), Fire(512, 64, 256, 256),
    ]


# Trunk layers, the end index of each tap's slice (the lpips package's taps), channels per tap.
TRUNKS = {
    "alex": (alexnet_features, [2, 5, 8, 10, 12], [64, 192, 384, 256, 256]),
    "vgg": (vgg16_features, [4, 9, 16, 23, 30], [64, 128, 256, 512, 512]),
    "squeeze": (squeezenet11_features, [2, 5, 8, 10, 11, 12, 13], [64, 128, 256, 384, 384, 512, 512]),
}


class Scaling(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("shift", torch.tensor(SHIFT).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor(SCALE).view(1, 3, 1, 1))

    def forward(self, x):
        return (x - self.shift) / self.scale


class Slices(nn.Module):
    def __init__(self, net):
        super().__init__()
        make, ends, _ = TRUNKS[net]
        layers, start = make(), 0
        self.n = len(ends)
        for k, end in enumerate(ends):
            s = nn.Sequential()
            for i in range(start, end):
                s.add_module(str(i), layers[i])
            setattr(self, f"slice{k + 1}", s)
            start = end

    def forward(self, x):
        taps = []
        for k in range(self.n):
            x = getattr(self, f"slice{k + 1}")(x)
            taps.append(x)
        return taps


class Lin(nn.Module):
    """The learned weights of one tap; index 1 as in the package (its index 0 is a dropout)."""

    def __init__(self, channels):
        super().__init__()
        self.model = nn.Sequential(nn.Identity(), nn.Conv2d(channels, 1, 1, bias=False))

    def forward(self, x):
        return self.model(x)


def unit(f):
    return f / (torch.sqrt(torch.sum(f * f, dim=1, keepdim=True)) + 1e-10)


class Lpips(nn.Module):
    def __init__(self, net="alex"):
        super().__init__()
        self.scaling_layer = Scaling()
        self.net = Slices(net)
        for k, c in enumerate(TRUNKS[net][2]):
            setattr(self, f"lin{k}", Lin(c))

    def forward(self, in0, in1):
        t0 = self.net(self.scaling_layer(in0))
        t1 = self.net(self.scaling_layer(in1))
        total = 0
        for k, (a, b) in enumerate(zip(t0, t1)):
            d = (unit(a) - unit(b)) ** 2
            total = total + getattr(self, f"lin{k}")(d).mean([2, 3], keepdim=True)
        return total


def trunk_state(net, torchvision_state):
    """A torchvision trunk's `features.<i>.*` parameters under this module's names."""
    ends = TRUNKS[net][1]
    out = {}
    for key, value in torchvision_state.items():
        if not key.startswith("features."):
            continue
        i = int(key.split(".")[1])
        k = next(k for k, end in enumerate(ends) if i < end)
        out[f"net.slice{k + 1}.{key[len('features.'):]}"] = value
    return out
