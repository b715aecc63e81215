"""Writes the small NumPy-made files under test/fixtures/ that the npy/npz tests read.

Run with Debian's python3-numpy: python3 scripts/make_test_fixtures.py
The outputs are committed (a few KiB), so CI needs no Python.
"""
import json
import os

import numpy as np

out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures')
os.makedirs(out, exist_ok=True)
rng = np.random.RandomState(7)

a = rng.standard_normal((5, 3))
np.save(os.path.join(out, 'f8_fortran_5x3.npy'), np.asfortranarray(a))
np.save(os.path.join(out, 'f8_c_5x3.npy'), a)
np.save(os.path.join(out, 'f4_4x2x3.npy'), rng.standard_normal((4, 2, 3)).astype(np.float32))
np.save(os.path.join(out, 'u1_2x4x4x3.npy'), rng.randint(0, 256, (2, 4, 4, 3)).astype(np.uint8))
np.save(os.path.join(out, 'i4_7.npy'), np.arange(-3, 4, dtype=np.int32))
np.save(os.path.join(out, 'i8_7.npy'), np.arange(-3, 4, dtype=np.int64) * (1 << 40))
np.save(os.path.join(out, 'f4_bigendian.npy'), np.arange(4, dtype='>f4'))

x = rng.standard_normal((40, 6)).astype(np.float32)
mu, sigma = x.astype(np.float64).mean(0), np.cov(x.astype(np.float64), rowvar=False)
np.savez(os.path.join(out, 'stats_6d_savez.npz'), mu=mu, sigma=sigma)
np.savez_compressed(os.path.join(out, 'stats_6d_compressed.npz'), mu=mu, sigma=sigma)
np.savez(os.path.join(out, 'wrong_keys.npz'), mean=mu, cov=sigma)
np.save(os.path.join(out, 'features_40x6.npy'), x)
with open(os.path.join(out, 'features_40x6.json'), 'w') as f:
    json.dump({'mu': mu.tolist(), 'sigma': sigma.tolist()}, f)

# Fréchet distances at sizes that exercise the band reduction's edges (blocks of 32; matrices
# above 128 take the two-stage path). The features are integer hashes, so the test rebuilds the
# very same float64 values in JavaScript: x[i, j] = ((i * 7919 + j * 104729 + i * j * s) % 1009) / 1009.
import scipy.linalg


def hashed(n, d, s):
    i = np.arange(n, dtype=np.int64)[:, None]
    j = np.arange(d, dtype=np.int64)[None, :]
    return ((i * 7919 + j * 104729 + i * j * s) % 1009).astype(np.float64) / 1009


def fd_sqrtm(mu1, s1, mu2, s2):  # pytorch-fid's calculate_frechet_distance
    covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
    covmean = covmean.real
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def fd_eigh(mu1, s1, mu2, s2):  # symmetric route, float64
    w, v = np.linalg.eigh(s1)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = root @ s2 @ root
    e = np.linalg.eigvalsh((m + m.T) / 2)
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.clip(e, 0, None)).sum())


sizes = {}
for d in (130, 161, 300, 517):
    n = 2 * d + 7
    a, b = hashed(n, d, 31), hashed(n, d, 57)
    mu1, s1 = a.mean(0), np.cov(a, rowvar=False)
    mu2, s2 = b.mean(0), np.cov(b, rowvar=False)
    sizes[str(d)] = {'n': n, 'pytorch_fid': fd_sqrtm(mu1, s1, mu2, s2), 'eigh_float64': fd_eigh(mu1, s1, mu2, s2)}
with open(os.path.join(out, 'fd_sizes.json'), 'w') as f:
    json.dump({'formula': 'x[i, j] = ((i * 7919 + j * 104729 + i * j * s) % 1009) / 1009, s = 31 and 57',
               'sizes': sizes}, f, indent=1)

# NumPy's legacy RandomState permutations (the stream torch-fidelity seeds with 2020).
perms = []
for seed, n in ((2020, 13), (0, 17), (4294967295, 1000), (2020, 4000), (12345, 70000)):
    p = np.random.RandomState(seed).permutation(n)
    perms.append({'seed': seed, 'n': n, 'head': p[:16].tolist(),
                  'weighted_sum': int((np.arange(n, dtype=np.int64) * p).sum())})
with open(os.path.join(out, 'rng_permutations.json'), 'w') as f:
    json.dump(perms, f, indent=1)
