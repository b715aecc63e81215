"""One reference measurement for scripts/bench/extras.js, in its own process (for its peak RSS).

Usage: python3 extras_peers.py WHICH FAKE.npy REAL.npy
WHICH: vendi | authpct | fd-inf | realism | ct | parzen. Prints one JSON object: seconds (the
metric call, features loaded), max_rss_mb (the whole process) and the reference's value. The
references are dgm-eval's own files (PEERS_DIR/dgm-eval/dgm_eval/metrics, commit 74c79f7, loaded
file by file so the package's other imports are not needed); parzen is goodfeli's parzen_ll.py
expression evaluated with NumPy (scripts/make_parzen_fixture.py), its Theano being unavailable.
"""
import importlib.util
import json
import os
import resource
import sys
import time

import numpy as np


def dgm(name):
    path = os.path.join(os.environ['PEERS_DIR'], 'dgm-eval', 'dgm_eval', 'metrics', f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'dgm_{name}', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    which, fake_path, real_path = sys.argv[1:4]
    threads = int(os.environ.get('BENCH_THREADS', '1'))
    fake, real = np.load(fake_path), np.load(real_path)
    half = real.shape[0] // 2
    if which in ('authpct',):
        import torch
        torch.set_num_threads(threads)
    if which == 'parzen':
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
        from make_parzen_fixture import get_nll, parzen
        m = int(os.environ.get('BENCH_PARZEN_TEST', '1000'))
        samples, valid, test = fake[:, :256], real[:m, :256].astype(np.float64), real[m:2 * m, :256].astype(np.float64)
    t = time.perf_counter()
    if which == 'vendi':
        value = float(dgm('vendi').compute_vendi_score(fake))
    elif which == 'authpct':
        value = float(dgm('authpct').compute_authpct(real, fake))
    elif which == 'fd-inf':
        np.random.seed(0)
        value = float(dgm('fd').compute_FD_infinity(real, fake))
    elif which == 'realism':
        r = dgm('prdc').compute_prdc(real, fake, 5, realism=True)
        value = float(np.mean(r['realism']) if isinstance(r, dict) and 'realism' in r else np.mean(r[-1]))
    elif which == 'ct':
        np.random.seed(0)
        value = float(dgm('ct').compute_CTscore(real[:half], real[half:], fake))
    elif which == 'parzen':
        sigmas = np.logspace(-1, 0, num=10)
        lls = [get_nll(valid, parzen(samples, s)).mean() for s in sigmas]
        value = float(get_nll(test, parzen(samples, sigmas[int(np.argmax(lls))])).mean())
    else:
        raise SystemExit(f'unknown measure {which}')
    seconds = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'seconds': seconds, 'max_rss_mb': rss, 'result': {'value': value}}))


if __name__ == '__main__':
    main()
