"""One peer measurement for scripts/bench/pairwise.js, in its own process (for its peak RSS).

Usage: python3 pairwise_peers.py {prdc|torch-fidelity-prc|torch-fidelity-kid} FAKE.npy REAL.npy
Prints one JSON object: seconds (the metric call only, features already loaded), max_rss_mb
(the whole process, features included) and the peer's result. Peers come from PEERS_DIR
(scripts/peer_modules.py): clovaai's prdc (sklearn pairwise_distances, n_jobs=8) with k=5, and
torch-fidelity's prc_features_to_metric (torch.cdist, k=3, batch 10000) and kid_features_to_metric.
"""
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import numpy as np  # noqa: E402

import peer_modules  # noqa: E402


def main():
    which, fake_path, real_path = sys.argv[1:4]
    threads = int(os.environ.get('BENCH_THREADS', '1'))
    fake, real = np.load(fake_path), np.load(real_path)
    if which == 'prdc':
        prdc = peer_modules.prdc()
        t = time.perf_counter()
        r = prdc.compute_prdc(real, fake, 5)
    else:
        import torch
        torch.set_num_threads(threads)  # the same threads as genmetrics
        prc, kid = peer_modules.torch_fidelity_metrics()
        f, g = torch.from_numpy(fake), torch.from_numpy(real)
        t = time.perf_counter()
        if which == 'torch-fidelity-prc':
            r = prc.prc_features_to_metric(f, g, prc_neighborhood=3, prc_batch_size=10000, save_cpu_ram=False, verbose=False)
        else:
            r = kid.kid_features_to_metric(f, g, kid_subsets=100, kid_subset_size=1000, rng_seed=2020, verbose=False,
                                           kid_kernel='poly', kid_kernel_poly_degree=3, kid_kernel_poly_gamma=None,
                                           kid_kernel_poly_coef0=1)
    seconds = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'seconds': seconds, 'max_rss_mb': rss, 'result': {k: float(v) for k, v in r.items()}}))


main()
