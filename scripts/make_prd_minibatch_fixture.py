#!/usr/bin/env python3
"""Reference values for lib/stats/minibatch-kmeans.ts and PRD's default clustering
(test/prd-minibatch.test.ts), from scikit-learn's MiniBatchKMeans and msmsajjadi prd_score.py's
procedure.

Writes test/fixtures/extras/prd_minibatch.json with:
- `blobs`: a seeded 2000 x 64 clustered set (made from NumPy's legacy RandomState, which the test
  rebuilds with lib/random/mt19937.ts and checks against the stored checksums), and
  MiniBatchKMeans(n_clusters=20, n_init=10, random_state=s).inertia_ (and n_steps_) for s = 0..9,
  plus `edge_cases` with other rows / batch_size / tol / max_iter settings, s = 0..2;
- `prd`: compute_prd_from_embedding(fake, real) -> prd_to_max_f_beta_pair(beta=8) on
  shared/fixtures/metrics/{fake,real}_3000x2048.npy after np.random.seed(s), s = 0..4, with the
  per-run histograms (MiniBatchKMeans(20, n_init=10) on vstack(fake, real) as float64,
  np.histogram(..., density=True)) and compute_prd as in prd_score.py (commit df840ad).

Run: /usr/bin/python3 scripts/make_prd_minibatch_fixture.py [--shared ../shared]
(scikit-learn 1.2.1, NumPy 1.24.2 from Debian bookworm's python3-sklearn when made).
"""
import argparse
import json
import os
import time

import numpy as np
import sklearn
from sklearn.cluster import MiniBatchKMeans

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

BLOBS = dict(seed=20261206, rows=2000, dims=64, centres=20, spread=1.0)
CLUSTERS = 20


def make_blobs(seed, rows, dims, centres, spread):
    """Centres ~ N(0, spread^2) (drawn first, row-major), labels = randint(0, centres, rows), rows = centre + N(0, 1)."""
    rs = np.random.RandomState(seed)
    c = rs.standard_normal((centres, dims)) * spread
    labels = rs.randint(0, centres, size=rows)
    noise = rs.standard_normal((rows, dims))
    return c[labels] + noise


def prd_curve(eval_dist, ref_dist, num_angles=1001, epsilon=1e-10):
    slopes = np.tan(np.linspace(epsilon, np.pi / 2 - epsilon, num=num_angles))
    precision = np.minimum(ref_dist[None, :] * slopes[:, None], eval_dist[None, :]).sum(axis=1)
    return precision, precision / slopes


def f_beta(precision, recall, beta, epsilon=1e-10):
    return (1 + beta**2) * (precision * recall) / ((beta**2 * precision) + recall + epsilon)


def prd_from_embedding(eval_data, ref_data, num_clusters=20, num_runs=10):
    """The reference's procedure: num_runs clusterings on the global RNG, curves averaged."""
    eval_data = np.asarray(eval_data, dtype=np.float64)
    ref_data = np.asarray(ref_data, dtype=np.float64)
    data = np.vstack([eval_data, ref_data])
    precisions, recalls, inertias = [], [], []
    for _ in range(num_runs):
        km = MiniBatchKMeans(n_clusters=num_clusters, n_init=10).fit(data)
        labels = km.labels_
        inertias.append(float(km.inertia_))
        e = np.histogram(labels[: len(eval_data)], bins=num_clusters, range=[0, num_clusters], density=True)[0]
        r = np.histogram(labels[len(eval_data):], bins=num_clusters, range=[0, num_clusters], density=True)[0]
        p, q = prd_curve(e, r)
        precisions.append(p)
        recalls.append(q)
    p = np.clip(np.mean(precisions, axis=0), 0, 1)
    r = np.clip(np.mean(recalls, axis=0), 0, 1)
    return float(np.max(f_beta(p, r, 8))), float(np.max(f_beta(p, r, 1 / 8))), inertias


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--shared', default=os.path.join(ROOT, '..', 'shared'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'test', 'fixtures', 'extras', 'prd_minibatch.json'))
    ap.add_argument('--blob-seeds', type=int, default=10)
    ap.add_argument('--prd-seeds', type=int, default=5)
    a = ap.parse_args()

    x = make_blobs(**BLOBS)
    blob_runs = []
    for s in range(a.blob_seeds):
        km = MiniBatchKMeans(n_clusters=CLUSTERS, n_init=10, random_state=s).fit(x)
        blob_runs.append({'random_state': s, 'inertia': float(km.inertia_), 'n_steps': int(km.n_steps_)})
    inertias = np.array([r['inertia'] for r in blob_runs])
    blobs = {
        **BLOBS,
        'checksum': {'sum': float(x.sum()), 'sum_squares': float((x * x).sum()), 'first_row_head': x[0, :4].tolist()},
        'runs': blob_runs,
        'inertia_min': float(inertias.min()),
        'inertia_max': float(inertias.max()),
        'inertia_mean': float(inertias.mean()),
        'inertia_std': float(inertias.std()),
    }

    # Other paths of the algorithm: batch = all rows (no init subsets), small batches, the centre-shift
    # tolerance, and the epoch limit with the no-improvement test off.
    edge_cases = []
    for rows, params in [(300, {}), (2000, {'batch_size': 100}), (2000, {'tol': 0.1}), (2000, {'max_no_improvement': None, 'max_iter': 3})]:
        for s in range(3):
            km = MiniBatchKMeans(n_clusters=CLUSTERS, n_init=10, random_state=s, **params).fit(x[:rows])
            edge_cases.append({'rows': rows, 'params': params, 'random_state': s, 'inertia': float(km.inertia_), 'n_steps': int(km.n_steps_)})
    blobs['edge_cases'] = edge_cases

    fake = np.load(os.path.join(a.shared, 'fixtures', 'metrics', 'fake_3000x2048.npy'))
    real = np.load(os.path.join(a.shared, 'fixtures', 'metrics', 'real_3000x2048.npy'))
    prd_runs = []
    for s in range(a.prd_seeds):
        np.random.seed(s)
        t = time.time()
        f8, f1_8, run_inertias = prd_from_embedding(fake, real)
        prd_runs.append({'np_random_seed': s, 'F8': f8, 'F1_8': f1_8, 'run_inertias': run_inertias, 'seconds': round(time.time() - t, 2)})
    f8s = np.array([r['F8'] for r in prd_runs])
    f18s = np.array([r['F1_8'] for r in prd_runs])
    all_inertias = np.array([v for r in prd_runs for v in r['run_inertias']])
    prd = {
        'eval': 'fake_3000x2048.npy',
        'ref': 'real_3000x2048.npy',
        'num_clusters': 20,
        'num_angles': 1001,
        'num_runs': 10,
        'runs': prd_runs,
        'F8_min': float(f8s.min()),
        'F8_max': float(f8s.max()),
        'F1_8_min': float(f18s.min()),
        'F1_8_max': float(f18s.max()),
        'run_inertia_min': float(all_inertias.min()),
        'run_inertia_max': float(all_inertias.max()),
    }
    out = {
        'made_by': 'scripts/make_prd_minibatch_fixture.py',
        'versions': {'sklearn': sklearn.__version__, 'numpy': np.__version__},
        'reference': 'sklearn.cluster.MiniBatchKMeans(n_clusters=20, n_init=10) defaults otherwise; prd_score.py compute_prd_from_embedding + prd_to_max_f_beta_pair(beta=8)',
        'blobs': blobs,
        'prd': prd,
    }
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')
    print(json.dumps({'blobs': {k: blobs[k] for k in ('inertia_min', 'inertia_max', 'inertia_mean', 'inertia_std')}, 'prd': {k: prd[k] for k in ('F8_min', 'F8_max', 'F1_8_min', 'F1_8_max')}}, indent=1))


if __name__ == '__main__':
    main()
