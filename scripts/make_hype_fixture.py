"""Reference values for HYPE (Zhou et al. 2019) computed with NumPy from a seeded set of answers:
HYPE-infinity (error rate over all answers, %), its 95% percentile bootstrap over raters
(RandomState(seed).randint(0, R, size=(B, R)), np.percentile), the two error rates by truth, and
HYPE-time (mean of the raters' final staircase exposures) with the same bootstrap. The staircase
is written here independently from the TypeScript one: start 500 ms, -10 ms after 3 consecutive
correct answers, +30 ms after each wrong one, within [100, 1000] ms.

    python3 scripts/make_hype_fixture.py > test/fixtures/hype.json
"""
import json

import numpy as np

B, SEED = 10000, 7


def bootstrap(stat, r, seed=SEED):
    idx = np.random.RandomState(seed).randint(0, r, size=(B, r))
    values = np.array([stat(row) for row in idx])
    lo, hi = np.percentile(values, [2.5, 97.5])
    return [float(lo), float(hi)]


def stair(correct, start=500, lo=100, hi=1000, down_ms=10, up_ms=30, down=3):
    t, run, shown = start, 0, []
    for c in correct:
        shown.append(t)
        if c:
            run += 1
            if run == down:
                t, run = max(lo, t - down_ms), 0
        else:
            t, run = min(hi, t + up_ms), 0
    return shown, t


rng = np.random.RandomState(2019)
answers = []
sizes = [20, 20, 35, 12, 20, 50, 8]
for r, m in enumerate(sizes):
    skill = 0.35 + 0.08 * r  # each rater's chance of a right answer
    for i in range(m):
        truth = 'fake' if rng.rand() < 0.5 else 'real'
        right = rng.rand() < skill
        answer = truth if right else ('real' if truth == 'fake' else 'fake')
        answers.append({'rater': 'r%d' % r, 'truth': truth, 'answer': answer})

R = len(sizes)
n = np.zeros(R)
err = np.zeros(R)
for a in answers:
    k = int(a['rater'][1:])
    n[k] += 1
    err[k] += a['answer'] != a['truth']
score = float(100 * err.sum() / n.sum())
ci = bootstrap(lambda row: 100 * err[row].sum() / n[row].sum(), R)
fakes = [a for a in answers if a['truth'] == 'fake']
reals = [a for a in answers if a['truth'] == 'real']

stairs, thresholds = [], []
for k in range(R):
    correct = [a['answer'] == a['truth'] for a in answers if a['rater'] == 'r%d' % k]
    shown, final = stair(correct)
    stairs.append({'correct': correct, 'exposures': shown, 'final': final})
    thresholds.append(final)
thr = np.array(thresholds, dtype=float)
time_ci = bootstrap(lambda row: thr[row].mean(), R)

json.dump({
    'resamples': B, 'seed': SEED, 'answers': answers,
    'infinity': {'score': score, 'ci95': ci, 'n_raters': R, 'n_answers': len(answers),
                 'fake_judged_real': 100 * sum(a['answer'] == 'real' for a in fakes) / len(fakes),
                 'real_judged_fake': 100 * sum(a['answer'] == 'fake' for a in reals) / len(reals)},
    'staircases': stairs,
    'time': {'score': float(thr.mean()), 'ci95': time_ci, 'thresholds': thresholds},
    'numpy': np.__version__,
}, __import__('sys').stdout, indent=1)
