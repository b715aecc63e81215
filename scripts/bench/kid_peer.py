"""torch-fidelity's KID (kid_features_to_metric: numpy float32 kernels, 100 subsets of 1000,
RandomState(2020)) on two feature files, from PEERS_DIR (scripts/peer_modules.py).

Usage: python3 kid_peer.py FAKE.npy REAL.npy
Prints JSON: seconds (the metric call only), kid mean/std, threads and the BLAS kernel that ran.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import numpy as np  # noqa: E402
import peer_modules  # noqa: E402
from threadpoolctl import threadpool_info  # noqa: E402


def main():
    import torch
    threads = int(os.environ.get('BENCH_THREADS', '1'))
    torch.set_num_threads(threads)
    _, kid = peer_modules.torch_fidelity_metrics()
    f = torch.from_numpy(np.load(sys.argv[1]).astype(np.float32))
    g = torch.from_numpy(np.load(sys.argv[2]).astype(np.float32))
    t = time.perf_counter()
    r = kid.kid_features_to_metric(f, g, kid_subsets=100, kid_subset_size=1000, rng_seed=2020, verbose=False,
                                   kid_kernel='poly', kid_kernel_poly_degree=3, kid_kernel_poly_gamma=None,
                                   kid_kernel_poly_coef0=1)
    seconds = time.perf_counter() - t
    blas = [{k: i.get(k) for k in ('internal_api', 'architecture', 'num_threads', 'version')} for i in threadpool_info()]
    print(json.dumps({'seconds': seconds, 'kid_mean': r['kernel_inception_distance_mean'], 'kid_std': r['kernel_inception_distance_std'],
                      'torch_threads': torch.get_num_threads(), 'blas': blas}))


if __name__ == '__main__':
    main()
