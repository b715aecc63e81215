"""Writes the reference values of the KID/MMD and precision/recall/density/coverage tests.

  PEERS_DIR=/path/to/peers python3 scripts/make_metric_fixtures.py

Runs the reference implementations themselves (torch-fidelity's metric_kid / metric_prc and the
prdc package, imported from PEERS_DIR by scripts/peer_modules.py) with Debian's python3-numpy,
python3-sklearn and python3-torch, on the shared fixture features (../shared/fixtures/metrics) and
on small integer-valued sets built here to have exact distance ties. Outputs go to test/fixtures/
and are committed, so CI needs no Python.
"""
import json
import os

import numpy as np
import torch

import peer_modules

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures')
SHARED = os.path.join(HERE, '..', '..', 'shared', 'fixtures', 'metrics')

prc, kid = peer_modules.torch_fidelity_metrics()
prdc = peer_modules.prdc()


def kid_kwargs(**over):
    kw = dict(kid_subsets=100, kid_subset_size=1000, rng_seed=2020, verbose=False, kid_kernel='poly',
              kid_kernel_poly_degree=3, kid_kernel_poly_gamma=None, kid_kernel_poly_coef0=1,
              kid_kernel_rbf_sigma=10.0)
    kw.update(over)
    return kw


def tf_kid(a, b, **over):
    r = kid.kid_features_to_metric(torch.from_numpy(a), torch.from_numpy(b), **kid_kwargs(**over))
    return {'mean': r[kid.KEY_METRIC_KID_MEAN], 'std': r[kid.KEY_METRIC_KID_STD]}


def tf_prc(fake, real, k):
    r = prc.prc_features_to_metric(torch.from_numpy(fake), torch.from_numpy(real), prc_neighborhood=k,
                                   prc_batch_size=10000, save_cpu_ram=False, verbose=False)
    return {key: float(r[key]) for key in ('precision', 'recall', 'f_score')}


def clovaai_prdc(real, fake, k):
    return {key: float(v) for key, v in prdc.compute_prdc(real, fake, k).items()}


# --- legacy RandomState.choice(n, size, replace=False) -----------------------------------------
choice = []
for seed, n, size in [(2020, 3000, 1000), (0, 10, 10), (7, 1, 1), (4294967295, 65537, 5), (123, 1000, 0)]:
    choice.append({'seed': seed, 'n': n, 'size': size,
                   'indices': np.random.RandomState(seed).choice(n, size, replace=False).tolist()})
rs = np.random.RandomState(2020)  # successive draws share the stream, as in KID's loop
seq = [rs.choice(n, 4, replace=False).tolist() for n in (9, 12, 9, 12)]
with open(os.path.join(OUT, 'rng_choice.json'), 'w') as f:
    json.dump({'single': choice, 'sequence': {'seed': 2020, 'n': [9, 12, 9, 12], 'size': 4, 'draws': seq}}, f)

# --- KID / MMD on the shared features, in float64 ------------------------------------------------
# torch-fidelity computes the kernels in the features' dtype; fed float64 it gives the estimator's
# exact value (to rounding), which is what genmetrics computes. Its float32 run is kept for scale.
fake32 = np.load(os.path.join(SHARED, 'fake_3000x2048.npy'))
real32 = np.load(os.path.join(SHARED, 'real_3000x2048.npy'))
fake, real = fake32.astype(np.float64), real32.astype(np.float64)


def full_mmd2(x, y, est, kernel=kid.kernel_poly, **over):
    kw = kid_kwargs(**over)
    return float(kid.mmd2(kernel(x, x, **kw), kernel(x, y, **kw), kernel(y, y, **kw), mmd_est=est))


kid_ref = {
    'features': 'shared fixtures/metrics fake_3000x2048 (x, drawn first) and real_3000x2048 (y), as float64',
    'poly_default': tf_kid(fake, real),
    'poly_default_float32': tf_kid(fake32, real32),
    'rbf_sigma10': tf_kid(fake, real, kid_kernel='rbf'),
    'poly_s10_m500_seed7': tf_kid(fake, real, kid_subsets=10, kid_subset_size=500, rng_seed=7),
    'poly_d2_g0.01_c0.5': tf_kid(fake, real, kid_subsets=5, kid_kernel_poly_degree=2, kid_kernel_poly_gamma=0.01,
                                 kid_kernel_poly_coef0=0.5),
    'full': {est: full_mmd2(fake, real, est) for est in ('unbiased', 'biased', 'u-statistic')},
    'full_rbf_unbiased': full_mmd2(fake, real, 'unbiased', kid.kernel_rbf),
}
with open(os.path.join(OUT, 'kid_reference.json'), 'w') as f:
    json.dump(kid_ref, f, indent=1)

# --- precision / recall / density / coverage with exact ties -----------------------------------
# Points of a small integer lattice: squared distances are small integers, exact in every
# implementation, so many samples sit exactly on a ball's boundary; some points are duplicated
# and some fakes coincide with reals.
g = np.random.RandomState(11)
real_t = g.randint(0, 4, size=(60, 3)).astype(np.float32)
fake_t = np.concatenate([g.randint(0, 5, size=(40, 3)), real_t[:10].astype(np.int64)]).astype(np.float32)
np.save(os.path.join(OUT, 'ties_real_60x3.npy'), real_t)
np.save(os.path.join(OUT, 'ties_fake_50x3.npy'), fake_t)
cases = {}
for k in (1, 2, 3, 5):
    cases[str(k)] = {
        'torch_fidelity': tf_prc(fake_t, real_t, k),
        'prdc': clovaai_prdc(real_t, fake_t, k),
    }
# A set against itself: with prdc's strict test, each point still lies in its own ball (radius > 0).
same = {'torch_fidelity': tf_prc(real_t, real_t, 3), 'prdc': clovaai_prdc(real_t, real_t, 3)}
prdc_ref = {'ties': cases, 'same_set_k3': same,
            'shared_k3': tf_prc(fake32, real32, 3), 'shared_k5': clovaai_prdc(real32, fake32, 5)}
with open(os.path.join(OUT, 'prdc_reference.json'), 'w') as f:
    json.dump(prdc_ref, f, indent=1)
print('wrote rng_choice.json, kid_reference.json, prdc_reference.json, ties_*.npy')
