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
