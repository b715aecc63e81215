#!/usr/bin/env python3
"""Writes test/fixtures/clustering_reference.json: scikit-learn's clustering scores (homogeneity,
completeness, V-measure with beta, ARI, NMI, AMI) on small label sets, edge cases included, and
the k-means inertia scikit-learn reaches on a blob set (test/fixtures/blobs_300x4.npy); and
test/fixtures/clustering_averages.json: MI, NMI and AMI with every averaging method on labellings
where one side has a single class (zero entropy; scikit-learn's test_normalized_mutual_info_score_bounded).

Run with Debian's python3-sklearn (1.2): /usr/bin/python3 scripts/make_cluster_fixtures.py
"""
import json
import os

import numpy as np
from sklearn import metrics
from sklearn.cluster import KMeans

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures")


def attempt(f):
    """The value, or the name of the exception scikit-learn raises."""
    try:
        return f()
    except Exception as e:  # noqa: BLE001 - recorded, the test expects the same refusal
        return {"error": type(e).__name__}


def scores(t, p, beta=1.0):
    hcv = attempt(lambda: metrics.homogeneity_completeness_v_measure(t, p, beta=beta))
    return {
        "labels_true": [int(x) for x in t], "labels_pred": [int(x) for x in p], "beta": beta,
        "homogeneity": hcv[0], "completeness": hcv[1], "v_measure": hcv[2],
        "adjusted_rand": attempt(lambda: metrics.adjusted_rand_score(t, p)),
        "normalized_mutual_info": attempt(lambda: metrics.normalized_mutual_info_score(t, p)),
        "adjusted_mutual_info": attempt(lambda: metrics.adjusted_mutual_info_score(t, p)),
        "mutual_info": attempt(lambda: metrics.mutual_info_score(t, p)),
    }


def main():
    rng = np.random.RandomState(0)
    cases = {
        "empty": scores([], []),
        "single_cluster_both": scores([0, 0, 0, 0], [5, 5, 5, 5]),
        "single_pred_cluster": scores([0, 1, 2, 0, 1], [3, 3, 3, 3, 3]),
        "single_true_class": scores([7, 7, 7, 7], [0, 1, 2, 3]),
        "one_sample": scores([1], [2]),
        "h_plus_c_zero": scores([0, 0, 1, 1], [0, 1, 0, 1]),
        "perfect_renamed": scores([0, 0, 1, 1, 2], [9, 9, 4, 4, -1]),
        "all_singletons": scores([0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5]),
        "beta_2": scores([0, 0, 1, 1, 2, 2, 2], [0, 1, 1, 1, 2, 2, 0], beta=2.0),
        "random_200": scores(rng.randint(0, 5, 200), rng.randint(0, 7, 200)),
        "random_1000_negative_labels": scores(rng.randint(-3, 4, 1000), rng.randint(10, 30, 1000)),
    }
    centres = np.array([[0, 0, 0, 0], [6, 0, 0, 0], [0, 6, 0, 0], [0, 0, 6, 6]], dtype=np.float64)
    y = rng.randint(0, 4, 300)
    x = centres[y] + rng.standard_normal((300, 4))
    np.save(os.path.join(OUT, "blobs_300x4.npy"), x)
    np.save(os.path.join(OUT, "blobs_300x4_labels.npy"), y.astype(np.int32))
    km = KMeans(n_clusters=4, n_init=10, random_state=0).fit(x)
    cases["kmeans_blobs"] = {"k": 4, "inertia": float(km.inertia_), "labels": [int(v) for v in km.labels_]}
    with open(os.path.join(OUT, "clustering_reference.json"), "w") as f:
        json.dump({"sklearn": __import__("sklearn").__version__, "cases": cases}, f, indent=1)

    constant = [0] * 469
    pairs = {
        "constant_vs_one_off": (constant, [1] + constant[1:]),
        "one_off_vs_constant": ([1] + constant[1:], constant),
        "one_off_vs_two_off": ([1] + constant[1:], [0, 1] + constant[2:]),
        "constant_vs_random": ([3] * 50, rng.randint(0, 4, 50)),
        "random_vs_constant": (rng.randint(0, 4, 50), [9] * 50),
        "both_constant": ([2] * 10, [5] * 10),
    }
    averages = {}
    for name, (t, p) in pairs.items():
        averages[name] = {"labels_true": [int(x) for x in t], "labels_pred": [int(x) for x in p], "mutual_info": metrics.mutual_info_score(t, p)}
        for m in ["min", "geometric", "arithmetic", "max"]:
            averages[name][m] = {
                "normalized_mutual_info": metrics.normalized_mutual_info_score(t, p, average_method=m),
                "adjusted_mutual_info": metrics.adjusted_mutual_info_score(t, p, average_method=m),
            }
    with open(os.path.join(OUT, "clustering_averages.json"), "w") as f:
        json.dump({"sklearn": __import__("sklearn").__version__, "cases": averages}, f, indent=1)


if __name__ == "__main__":
    main()
