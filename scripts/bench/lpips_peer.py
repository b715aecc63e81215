"""One lpips-package measurement for scripts/bench/lpips.js, in its own process.

Usage: python3 lpips_peer.py TWIN.onnx IN0.npy IN1.npy BATCH OUT.npy
lpips.LPIPS(net='alex', version='0.1') from PEERS_DIR (scripts/peer_modules.py) with the twin's
weights, on the CPU under torch.no_grad, in batches of BATCH pairs after one warm-up batch. Prints
JSON: seconds (the forward calls only), pairs, pairs_per_s, threads; writes the distances to OUT.npy.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import numpy as np  # noqa: E402
import torch  # noqa: E402

import peer_modules  # noqa: E402


def main():
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
