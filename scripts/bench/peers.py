"""Peer timings for `npm run bench`: NumPy/SciPy on the same files the Node side measures.

Usage: python3 peers.py STATS_A.npz STATS_B.npz REPEATS: one JSON object (versions, NumPy's sgemm
rate, the two FID routes' times and values). The FID peers are pytorch-fid's method
(scipy.linalg.sqrtm of the product, as in its calculate_frechet_distance) and NumPy's fastest
symmetric route (Cholesky + eigvalsh).
Or: python3 peers.py serve FEATURES.npy REPEATS: one measurement per line read ('dgemm': NumPy's
float64 GEMM rate; 'cov': np.cov of the features, median of REPEATS), each answered by a JSON
line, so that the caller can interleave them with its own (the shared host's speed drifts).
Run with OPENBLAS_CORETYPE set by the caller (best configuration).
"""
import json
import statistics
import sys
import time

import numpy as np
import scipy
import scipy.linalg

from blas_rate import gemm_gflops


def timed(fn, repeats):
    times, value = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), value


def serve(feats, repeats):
    x = np.load(feats)
    np.cov(x[:1000], rowvar=False)
    for line in sys.stdin:
        op = line.strip()
        if op == 'dgemm':
            out = {'dgemm_gflops': gemm_gflops(np.float64, repeats=repeats)}
        elif op == 'cov':
            out = {'np_cov_s': timed(lambda: np.cov(x, rowvar=False), repeats)[0]}
        else:
            break
        print(json.dumps(out), flush=True)


def main():
    if sys.argv[1] == 'serve':
        serve(sys.argv[2], int(sys.argv[3]))
        return
    a, b, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    out = {'numpy': np.__version__, 'scipy': scipy.__version__}

    out['sgemm_gflops'] = gemm_gflops(np.float32, repeats=repeats)

    sa, sb = np.load(a), np.load(b)
    mu1, s1, mu2, s2 = sa['mu'], sa['sigma'], sb['mu'], sb['sigma']
    diff = mu1 - mu2

    def sqrtm_route():
        try:
            covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
        except TypeError:  # SciPy >= 1.18 removed disp
            covmean = scipy.linalg.sqrtm(s1.dot(s2))
        return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real))

    def cholesky_route():
        L = np.linalg.cholesky(s1)
        w = np.linalg.eigvalsh(L.T @ s2 @ L)
        return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.clip(w, 0, None)).sum())

    out['sqrtm_s'], out['sqrtm_fid'] = timed(sqrtm_route, max(1, repeats // 2))
    out['chol_eigvalsh_s'], out['chol_eigvalsh_fid'] = timed(cholesky_route, repeats)
    print(json.dumps(out))


main()
