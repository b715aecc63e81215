"""The machine's GEMM rate as NumPy's BLAS gives it in the calling process's environment (threads,
OpenBLAS core type): the median of `repeats` n x n x n products after a warm-up, in GFLOP/s. The
yardstick the benchmarks print their rates against (sgemm: float32, dgemm: float64)."""
import statistics
import time

import numpy as np


def gemm_gflops(dtype=np.float32, n=4096, repeats=3):
    m = np.random.default_rng(0).standard_normal((n, n)).astype(dtype)
    m @ m
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        m @ m
        times.append(time.perf_counter() - t)
    return 2 * n ** 3 / statistics.median(times) / 1e9
