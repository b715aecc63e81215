"""Reference values of the Parzen-window log-likelihood for test/extras.test.ts.

goodfeli/adversarial's parzen_ll.py is Python 2 + Theano (not installable here); this script
evaluates the same expression graph with NumPy, step for step: theano_parzen's
a = (x[:, None, :] - mu[None, :, :]) / sigma, E = log_mean_exp(-0.5 * sum(a ** 2, 2)) with the row
max subtracted, Z = d * log(sigma * sqrt(2 pi)); get_nll's interleaved batches of 10 rows
(inds[i::n_batches]); cross_validate_sigma's numpy.argmax over the mean validation LL of
numpy.logspace(-1, 0, num=10); main's se = ll.std() / sqrt(n_test). Theano's floatX float64: the
float32 samples stay float32 until the subtraction with the float64 batch.

Set-up of shared/docs/extra-metrics.md section 8: samples = fake[:, :256], valid = real[:1500, :256],
test = real[1500:, :256] of shared/fixtures/metrics/{real,fake}_3000x2048.npy.

Usage: /usr/bin/python3 scripts/make_parzen_fixture.py ../shared > test/fixtures/extras/parzen.json
"""
import json
import sys

import numpy as np


def log_mean_exp(a):
    m = a.max(1)
    return m + np.log(np.exp(a - m[:, None]).mean(1))


def parzen(mu, sigma):
    def f(x):
        a = (x[:, None, :] - mu[None, :, :]) / sigma
        return log_mean_exp(-0.5 * (a ** 2).sum(2)) - mu.shape[1] * np.log(sigma * np.sqrt(np.pi * 2))
    return f


def get_nll(x, fn, batch_size=10):
    inds = range(x.shape[0])
    n_batches = int(np.ceil(float(len(inds)) / batch_size))
    out = []
    for i in range(n_batches):
        out.extend(fn(x[inds[i::n_batches]]))
    return np.array(out)


def main(shared):
    real = np.load(f'{shared}/fixtures/metrics/real_3000x2048.npy')
    fake = np.load(f'{shared}/fixtures/metrics/fake_3000x2048.npy')
    samples = fake[:, :256]
    half = real.shape[0] // 2
    valid = real[:half, :256].astype(np.float64)
    test = real[half:, :256].astype(np.float64)
    sigmas = np.logspace(-1, 0, num=10)
    lls = [float(get_nll(valid, parzen(samples, s)).mean()) for s in sigmas]
    sigma = sigmas[int(np.argmax(lls))]
    ll = get_nll(test, parzen(samples, sigma))
    first = parzen(samples, sigma)(test[:10])
    json.dump({
        'setup': 'samples = fake[:, :256], valid = real[:1500, :256], test = real[1500:, :256]',
        'sigmas': sigmas.tolist(),
        'validation_ll': lls,
        'sigma': float(sigma),
        'll': float(ll.mean()),
        'se': float(ll.std() / np.sqrt(test.shape[0])),
        'first10_test_ll': first.tolist(),
        'sigma_1_ll': float(get_nll(test, parzen(samples, 1.0)).mean()),
        'source': 'goodfeli/adversarial parzen_ll.py, its Theano graph evaluated with NumPy (scripts/make_parzen_fixture.py)',
        'numpy': np.__version__,
    }, sys.stdout, indent=1)


if __name__ == '__main__':
    main(sys.argv[1])
