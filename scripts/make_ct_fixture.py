"""Reference parts of C_T (Meehan et al. 2020) for test/extras-density.test.ts, from dgm-eval's own
dgm_eval/metrics/ct.py (PEERS_DIR/dgm-eval, commit 74c79f7), scikit-learn 1.2.1.

Split of shared/docs/extra-metrics.md section 6: train = real[:1500], test = real[1500:], gen = fake.
np.random.seed(0) right before compute_CTscore (its PCA and KMeans draw from numpy's global RNG).
The seeded run's own PCA and KMeans are stored: the PCA's mean_ and components_ (64 x 2048) and
the k-means centres (3 x 64), as the float32 values scikit-learn fitted on the float32 features, in
test/fixtures/extras/ct_seed0_*.npy. The run itself is float32 (sgemm projection, float32-rounded
distances), which no other BLAS reproduces bit for bit, so the exact target
`value_from_parts_float64` is ct.C_T (the reference's own statistic) on those parts evaluated in
float64: projection (x - mean_) @ components_.T and cells = the nearest centre (argmin of squared
distances), all in float64.

Usage: PEERS_DIR=/work/peers /usr/bin/python3 scripts/make_ct_fixture.py ../shared test/fixtures/extras
"""
import json
import os
import sys

import numpy as np
import sklearn
from sklearn import cluster, decomposition

sys.path.insert(0, os.path.join(os.environ['PEERS_DIR'], 'dgm-eval'))
from dgm_eval.metrics import ct  # noqa: E402


def main(shared, out):
    real = np.load(f'{shared}/fixtures/metrics/real_3000x2048.npy')
    fake = np.load(f'{shared}/fixtures/metrics/fake_3000x2048.npy')
    train, test, gen = real[:1500], real[1500:], fake
    kept = {}
    pca_fit, km_fit = decomposition.PCA.fit, cluster.KMeans.fit

    def pca_spy(self, *a, **k):
        r = pca_fit(self, *a, **k)
        kept['pca'] = self
        return r

    def km_spy(self, *a, **k):
        r = km_fit(self, *a, **k)
        kept['km'] = self
        return r

    ct.PCA.fit, ct.KMeans.fit = pca_spy, km_spy
    np.random.seed(0)
    value = float(ct.compute_CTscore(train, test, gen))
    pca, km = kept['pca'], kept['km']
    mean, comps, centres = pca.mean_, pca.components_, km.cluster_centers_
    np.save(f'{out}/ct_seed0_pca_mean.npy', mean)
    np.save(f'{out}/ct_seed0_pca_components.npy', comps)
    np.save(f'{out}/ct_seed0_centers.npy', centres)
    t, p, q = ((x.astype(np.float64) - mean.astype(np.float64)) @ comps.astype(np.float64).T for x in (train, test, gen))
    c64 = centres.astype(np.float64)
    cells = [(((x[:, None, :] - c64[None, :, :]) ** 2).sum(2)).argmin(1) for x in (t, p, q)]
    from_parts = float(ct.C_T(p, cells[1], q, cells[2], t, cells[0], tau=20 / len(q)))
    json.dump({
        'value_seed0': value,
        'value_from_parts_float64': from_parts,
        'cells_train': np.bincount(cells[0], minlength=3).tolist(),
        'cells_test': np.bincount(cells[1], minlength=3).tolist(),
        'cells_gen': np.bincount(cells[2], minlength=3).tolist(),
        'zu_cells': ct.Zu_cells(p, cells[1], q, cells[2], t, cells[0]).tolist(),
        'pca_dtype': str(pca.components_.dtype),
        'split': 'train = real[:1500], test = real[1500:], gen = fake',
        'source': 'layer6ai-labs/dgm-eval 74c79f7 dgm_eval/metrics/ct.py compute_CTscore, np.random.seed(0)',
        'sklearn': sklearn.__version__,
    }, sys.stdout, indent=1)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
