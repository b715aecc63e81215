"""Imports the reference implementations that scripts/ compare against, from PEERS_DIR.

PEERS_DIR (default ../peers, next to the repository) holds plain checkouts:
  PEERS_DIR/generative-evaluation-prdc   https://github.com/clovaai/generative-evaluation-prdc
  PEERS_DIR/torch-fidelity               https://github.com/toshas/torch-fidelity
  PEERS_DIR/PerceptualSimilarity         https://github.com/richzhang/PerceptualSimilarity (lpips)
Nothing of theirs is copied into this repository.

torch-fidelity's package __init__ imports torchvision (for its feature extractors), which Debian
does not package. Its metric modules work on feature tensors and need none of that, so they are
loaded under a bare parent package, with stubs for the two names they import from
torch_fidelity.utils (feature extraction helpers they do not call here) and for tqdm if missing.
"""
import importlib
import os
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))


def peers_dir():
    d = os.environ.get('PEERS_DIR', os.path.join(HERE, '..', '..', 'peers'))
    return os.path.abspath(d)


def _require(path, what):
    if not os.path.isdir(path):
        sys.exit(f'{what} not found at {path}: clone it there or set PEERS_DIR (see scripts/peer_modules.py)')
    return path


def prdc():
    root = _require(os.path.join(peers_dir(), 'generative-evaluation-prdc'), 'clovaai/generative-evaluation-prdc')
    sys.path.insert(0, root)
    return importlib.import_module('prdc')


def _stub_tqdm():
    if 'tqdm' not in sys.modules:
        try:
            import tqdm  # noqa: F401
        except ImportError:
            class Bar:
                """tqdm's interface without output: iterable, context manager, update()."""

                def __init__(self, it=None, *a, **k):
                    self.it = it

                def __iter__(self):
                    return iter(self.it)

                def __enter__(self):
                    return self

                def __exit__(self, *exc):
                    return False

                def update(self, n=1):
                    pass

            stub = types.ModuleType('tqdm')
            stub.tqdm = Bar
            sys.modules['tqdm'] = stub


def lpips_package(twin_onnx):
    """The lpips package's LPIPS(net='alex', version='0.1') with the weights of an ONNX twin.

    Its pretrained_networks module takes the trunk from torchvision.models.alexnet(...).features;
    without torchvision (Debian has none) a stub provides that Sequential with the same layers
    (scripts/lpips_net.py), and the twin's weights are loaded into the whole module afterwards.
    """
    import onnx
    import torch
    from onnx import numpy_helper

    sys.path.insert(0, HERE)
    import lpips_net

    root = _require(os.path.join(peers_dir(), 'PerceptualSimilarity'), 'richzhang/PerceptualSimilarity')
    _stub_tqdm()
    if 'torchvision' not in sys.modules:
        try:
            import torchvision  # noqa: F401
        except ImportError:
            tv = types.ModuleType('torchvision')
            models = types.ModuleType('torchvision.models')

            def alexnet(*a, **k):
                m = torch.nn.Module()
                m.features = torch.nn.Sequential(*lpips_net.alexnet_features(), torch.nn.MaxPool2d(3, 2))
                return m

            models.alexnet = alexnet
            tv.models = models
            sys.modules['torchvision'] = tv
            sys.modules['torchvision.models'] = models
    sys.path.insert(0, root)
    lpips = importlib.import_module('lpips')
    model = lpips.LPIPS(net='alex', version='0.1', pnet_rand=True, verbose=False).eval()
    state = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in onnx.load(twin_onnx).graph.initializer}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.startswith('lins.')]  # lins[k] is lin<k>, loaded under that name
    if missing or unexpected:
        sys.exit(f'{twin_onnx}: does not fit lpips.LPIPS(alex): missing {missing[:3]}, unexpected {unexpected[:3]}')
    return model


def torch_fidelity_module(name):
    """torch_fidelity.<name>, loaded under a bare parent package (see above)."""
    if 'torch_fidelity' not in sys.modules:
        root = _require(os.path.join(peers_dir(), 'torch-fidelity', 'torch_fidelity'), 'toshas/torch-fidelity')
        _stub_tqdm()
        pkg = types.ModuleType('torch_fidelity')
        pkg.__path__ = [root]
        sys.modules['torch_fidelity'] = pkg
        utils = types.ModuleType('torch_fidelity.utils')

        def unused(*a, **k):
            raise RuntimeError('feature extraction is not available in this harness')

        for fn in ('create_feature_extractor', 'extract_featuresdict_from_input_id_cached',
                   'resolve_feature_extractor', 'resolve_feature_layer_for_metric'):
            setattr(utils, fn, unused)
        sys.modules['torch_fidelity.utils'] = utils
    return importlib.import_module(f'torch_fidelity.{name}')


def torch_fidelity_metrics():
    """(metric_prc, metric_kid) modules of torch-fidelity."""
    return torch_fidelity_module('metric_prc'), torch_fidelity_module('metric_kid')
