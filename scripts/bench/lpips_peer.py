"""One lpips-package measurement for scripts/bench/lpips.js, in its own process.

Usage: python3 lpips_peer.py TWIN.onnx IN0.npy IN1.npy BATCH OUT.npy
lpips.LPIPS(net='alex', version='0.1') from PEERS_DIR (scripts/peer_modules.py) with the twin's
weights, on the CPU under torch.no_grad, in batches of BATCH pairs after one warm-up batch. Prints
JSON: seconds (the forward calls only), pairs, pairs_per_s, threads; writes the distances to OUT.npy.

Usage: python3 lpips_peer.py --machine TWIN.onnx SIZE [SIZE ...]
The yardsticks of the run: the multiply-adds of one pair at each SIZE x SIZE (every Conv of the
graph, both trunks and the 1x1 heads, from ONNX shape inference) and the machine's sgemm rate
(NumPy's float32 4096^3 product, median of 3, in this process's environment).
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import numpy as np  # noqa: E402
import torch  # noqa: E402

import peer_modules  # noqa: E402
from blas_rate import gemm_gflops  # noqa: E402


def multiply_adds(twin, size):
    import onnx
    model = onnx.load(twin)
    for i in model.graph.input:
        if i.name in ('in0', 'in1'):
            dims = i.type.tensor_type.shape.dim
            for axis, n in ((0, 1), (2, size), (3, size)):
                dims[axis].ClearField('dim_param')
                dims[axis].dim_value = n
    model = onnx.shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in list(model.graph.value_info) + list(model.graph.output)}
    weights = {t.name: list(t.dims) for t in model.graph.initializer}
    # A Conv output element costs C_in / groups x kernel multiply-adds: the weight's dims after the first.
    return sum(int(np.prod(shapes[n.output[0]][1:])) * int(np.prod(weights[n.input[1]][1:])) for n in model.graph.node if n.op_type == 'Conv')


def machine(twin, sizes):
    print(json.dumps({'sgemm_gflops': gemm_gflops(np.float32), 'multiply_adds': {s: multiply_adds(twin, int(s)) for s in sizes}}))


def main():
    if sys.argv[1] == '--machine':
        machine(sys.argv[2], sys.argv[3:])
        return
    twin, p0, p1, batch, out = sys.argv[1:6]
    batch = int(batch)
    torch.set_num_threads(int(os.environ.get('BENCH_THREADS', '1')))  # the same threads as genmetrics
    model = peer_modules.lpips_package(twin)
    x0, x1 = torch.from_numpy(np.load(p0)), torch.from_numpy(np.load(p1))
    n = x0.shape[0]
    d = np.empty(n, dtype=np.float32)
    with torch.no_grad():
        model(x0[:batch], x1[:batch])
        t = time.perf_counter()
        for s in range(0, n, batch):
            d[s:s + batch] = model(x0[s:s + batch], x1[s:s + batch]).flatten().numpy()
        seconds = time.perf_counter() - t
    np.save(out, d)
    print(json.dumps({'seconds': seconds, 'pairs': n, 'pairs_per_s': n / seconds, 'threads': torch.get_num_threads()}))


main()
