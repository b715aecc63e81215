#!/usr/bin/env python3
"""Writes test/fixtures/sap_continuous.json: SAP's continuous score matrix as disentanglement_lib's
compute_score_matrix(continuous_factors=True) computes it (np.cov with ddof 1, squared covariance
over the product of variances, 0 where a code's variance is <= 1e-12), on seeded random codes
(one of them constant) and integer factors, with the mean top-two gap.

Run with Debian's python3-numpy: /usr/bin/python3 scripts/make_sap_fixture.py
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "sap_continuous.json")


def main():
    rs = np.random.RandomState(4)
    n, L, K = 60, 4, 3
    factors = rs.randint(0, 5, size=(n, K))
    codes = rs.standard_normal((n, L))
    codes[:, 1] += 2.0 * factors[:, 0]
    codes[:, 3] = 1.5  # constant: variance 0, score 0
    mus, ys = codes.T, factors.T  # disentanglement_lib's [dims, samples] layout
    score = np.zeros([L, K])
    for i in range(L):
        for j in range(K):
            c = np.cov(mus[i, :], ys[j, :], ddof=1)
            score[i, j] = c[0, 1] ** 2 / (c[0, 0] * c[1, 1]) if c[0, 0] > 1e-12 else 0.0
    s = np.sort(score, axis=0)
    with open(OUT, "w") as f:
        json.dump({"n": n, "L": L, "K": K, "codes": codes.ravel().tolist(), "factors": factors.ravel().tolist(),
                   "score_matrix": score.tolist(), "sap": float(np.mean(s[-1, :] - s[-2, :]))}, f, indent=1)


if __name__ == "__main__":
    main()
