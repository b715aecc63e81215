#!/usr/bin/env python3
"""Writes test/fixtures/dci_irs.json: DCI (Eastwood & Williams 2018) and IRS (Suter et al. 2019) as
disentanglement_lib computes them, by running disentanglement_lib's own dci.py, irs.py and utils.py
(only their gin / absl imports are replaced by stand-ins carrying the study configs' bindings) on
full factor grids whose codes are known row by row, each metric from np.random.RandomState(0):

- `gbt`: scikit-learn's GradientBoostingClassifier alone, on continuous data genmetrics regenerates
  from RandomState(5) (see gbt_case_data);
- `small`: a 2 x 3 x 4 x 5 grid (one binary factor, so both of scikit-learn's deviance losses run)
  with 8 code dimensions built here from seeded noise: single-factor codes, mixed codes, a noise
  code, a constant 0.1 code (its variance over the sample is ~1e-30, not 0, so irs.py counts it
  active) and a constant 0 code (inactive);
- `shared`: the three code sets of ../shared/fixtures/disentanglement (grid 3 x 6 x 10 x 8 x 8),
  values only (the codes stay there).

disentanglement_lib fits GradientBoostingClassifier() with random_state=None: every tree draws its
splitter seed from NumPy's global RandomState, which orders the features a node visits, and when two
features split a node into the same two sample sets (common in small nodes) that order and the
rounding of the two improvements pick the winner. DCI is therefore run under several global seeds
(np.random.seed before each run; genmetrics' seed plays that role), whose spread is the reference's
own run-to-run variation.

The representation function returns float64 codes (the stored float32 values, widened): IRS's
means and quantiles then run in float64 as genmetrics computes them; `irs_float32` records what a
float32 representation function gives instead.

Needs Debian's python3 with scikit-learn 1.2.1, numpy, scipy and six, and a checkout (or extracted
copy) of google-research/disentanglement_lib (tested with 86a644d4):
  DISENTANGLEMENT_LIB=/tmp/disentanglement_lib /usr/bin/python3 scripts/make_dci_irs_fixture.py
"""
import functools
import importlib.util
import json
import os
import sys
import types

import numpy as np
import sklearn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "test", "fixtures", "dci_irs.json")
SHARED = os.path.join(HERE, "..", "..", "shared", "fixtures", "disentanglement")
DLIB = os.environ.get("DISENTANGLEMENT_LIB", "/tmp/disentanglement_lib")

# gin stand-in: configurable functions read their bindings from BINDINGS at call time.
BINDINGS = {}


def _configurable(name, blacklist=None):
    del blacklist

    def wrap(fn):
        @functools.wraps(fn)
        def call(*args, **kwargs):
            return fn(*args, **{**BINDINGS.get(name, {}), **kwargs})

        return call

    return wrap


def _install_stubs():
    gin = types.ModuleType("gin")
    gin.REQUIRED = object()
    gin.configurable = _configurable
    gin.tf = gin
    sys.modules["gin"] = gin
    sys.modules["gin.tf"] = gin
    absl = types.ModuleType("absl")
    absl.logging = types.SimpleNamespace(info=lambda *a, **k: None, warning=lambda *a, **k: None)
    sys.modules["absl"] = absl
    sys.modules["absl.logging"] = absl.logging
    for pkg in ["disentanglement_lib", "disentanglement_lib.evaluation", "disentanglement_lib.evaluation.metrics"]:
        m = types.ModuleType(pkg)
        m.__path__ = []
        sys.modules[pkg] = m


def _load(name, rel):
    spec = importlib.util.spec_from_file_location(name, os.path.join(DLIB, rel))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    parent, _, leaf = name.rpartition(".")
    setattr(sys.modules[parent], leaf, mod)
    return mod


_install_stubs()
utils = _load("disentanglement_lib.evaluation.metrics.utils", "disentanglement_lib/evaluation/metrics/utils.py")
dci = _load("disentanglement_lib.evaluation.metrics.dci", "disentanglement_lib/evaluation/metrics/dci.py")
irs = _load("disentanglement_lib.evaluation.metrics.irs", "disentanglement_lib/evaluation/metrics/irs.py")
# disentanglement_lib/config/*/irs.gin: 20 histogram bins for the factors.
BINDINGS["discretizer"] = {"num_bins": 20, "discretizer_fn": utils._histogram_discretize}
# dci.gin (every study) and irs.gin.
DCI_ARGS = {"num_train": 10000, "num_test": 5000, "batch_size": 16}
IRS_ARGS = {"num_train": 10000, "batch_size": 16}


class Grid:
    """A ground-truth data set whose observation is the grid row of the factor vector (C order)."""

    def __init__(self, sizes):
        self.factors_num_values = list(sizes)
        self.num_factors = len(sizes)

    def sample_factors(self, num, random_state):
        f = np.zeros((num, self.num_factors), dtype=np.int64)
        for j, s in enumerate(self.factors_num_values):
            f[:, j] = random_state.randint(s, size=num)
        return f

    def sample_observations_from_factors(self, factors, random_state):
        return np.ravel_multi_index(factors.T, self.factors_num_values)

    def sample(self, num, random_state):
        factors = self.sample_factors(num, random_state)
        return factors, self.sample_observations_from_factors(factors, random_state)


def dci_reference(sizes, codes, seeds):
    """compute_dci once per global seed (it decides GradientBoostingClassifier's feature order)."""
    data = Grid(sizes)
    rep = lambda rows: codes[rows]
    runs = []
    for s in seeds:
        np.random.seed(s)
        rs = np.random.RandomState(0)
        mus_train, ys_train = utils.generate_batch_factor_code(data, rep, DCI_ARGS["num_train"], rs, 16)
        mus_test, ys_test = utils.generate_batch_factor_code(data, rep, DCI_ARGS["num_test"], rs, 16)
        imp, train_acc, test_acc = dci.compute_importance_gbt(mus_train, ys_train, mus_test, ys_test)
        runs.append({"global_seed": s, "disentanglement": float(dci.disentanglement(imp)),
                     "completeness": float(dci.completeness(imp)), "informativeness_train": float(train_acc),
                     "informativeness_test": float(test_acc), "importance_matrix": imp.tolist()})
    # compute_dci itself on the first seed: the same numbers.
    np.random.seed(seeds[0])
    scores = dci.compute_dci(data, rep, np.random.RandomState(0), **DCI_ARGS)
    for k in ["disentanglement", "completeness", "informativeness_train", "informativeness_test"]:
        assert scores[k] == runs[0][k], k
    return runs


# scikit-learn's GradientBoostingClassifier on continuous data, after np.random.seed(0) (each tree
# draws its splitter seed from the global RandomState). With trees of depth 1 or 2 no node is small
# enough for two features to split it identically up to rounding, so genmetrics builds the same trees;
# with the default depth 3 such rounding ties appear, and the seeds spread the reference itself.
GBT_CASES = [
    {"name": "binary_depth2", "classes": 2, "n": 1200, "noise": 0.15, "duplicate": False, "max_depth": 2},
    {"name": "four_classes_duplicate_depth1", "classes": 4, "n": 1200, "noise": 0.15, "duplicate": True, "max_depth": 1},
    {"name": "three_classes_defaults", "classes": 3, "n": 3000, "noise": 0.1, "duplicate": False, "max_depth": 3},
]


def gbt_case_data(case, seed=5):
    """Rows of RandomState(seed).random_sample((n, 6)) (genmetrics draws the same numbers): features
    x0..x3 as drawn (x3 = x0 when `duplicate`: equal splits, decided by the feature order), x4 on six
    float32 values 0.5 + k 2^-24 for k in (0, 1, 4, 5, 8, 9) (one-ulp steps are under scikit-learn's
    FEATURE_THRESHOLD, so each pair is one value), x5 the label noise. Labels: floor functions of the
    features modulo the classes, a `noise` share redrawn from x5. The first two thirds train."""
    u = np.random.RandomState(seed).random_sample((case["n"], 6))
    group = np.floor(u[:, 4] * 6).astype(int)
    x = u[:, :5].copy()
    x[:, 4] = 0.5 + np.array([0, 1, 4, 5, 8, 9])[group] * 2.0 ** -24
    if case["duplicate"]:
        x[:, 3] = x[:, 0]
    base = np.floor(3 * u[:, 0]) + np.floor(2 * u[:, 1] + u[:, 2]) + group // 2
    y = (base % case["classes"]).astype(int)
    noisy = u[:, 5] < case["noise"]
    y[noisy] = np.minimum(np.floor(u[noisy, 5] / case["noise"] * case["classes"]), case["classes"] - 1).astype(int)
    return x, y, case["n"] * 2 // 3


def gbt_reference(case, seeds=(0, 1, 2, 3)):
    from sklearn import ensemble
    x, y, n_train = gbt_case_data(case)
    runs = []
    for s in seeds:
        np.random.seed(s)
        m = ensemble.GradientBoostingClassifier(max_depth=case["max_depth"]).fit(x[:n_train], y[:n_train])
        runs.append(m)
    m = runs[0]
    return {**case, "data_seed": 5, "n_train": n_train, "global_seeds": list(seeds),
            "feature_importances": [r.feature_importances_.tolist() for r in runs],
            "train_accuracy": [float(np.mean(r.predict(x[:n_train]) == y[:n_train])) for r in runs],
            "test_accuracy": [float(np.mean(r.predict(x[n_train:]) == y[n_train:])) for r in runs],
            "test_predictions": m.predict(x[n_train:]).tolist(),
            "test_decision_function_first_40": m.decision_function(x[n_train:n_train + 40]).tolist(),
            "tree_features_first_10": [t.tree_.feature.tolist() for t in m.estimators_.ravel()[:10]]}


def irs_reference(sizes, codes):
    data = Grid(sizes)
    rep = lambda rows: codes[rows]
    # compute_irs's own steps, keeping the per-dimension scores it drops.
    mus, ys = utils.generate_batch_factor_code(data, rep, IRS_ARGS["num_train"], np.random.RandomState(0), 16)
    ys_discrete = utils.make_discretizer(ys)
    active = irs._drop_constant_dims(mus)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = irs.scalable_disentanglement_score(ys_discrete.T, active.T, 0.99)
        full = irs.compute_irs(data, rep, np.random.RandomState(0), **IRS_ARGS)
    assert full["IRS"] == d["avg_score"]
    return {
        "avg_score": float(d["avg_score"]),
        "disentanglement_scores": d["disentanglement_scores"].tolist(),
        "num_active_dims": float(full["num_active_dims"]),
        "active_dims": [int(i) for i in np.where(mus.var(axis=1) > 0.0)[0]],
    }


def small_codes():
    sizes = [2, 3, 4, 5]
    rs = np.random.RandomState(7)
    rows = np.array(np.unravel_index(np.arange(np.prod(sizes)), sizes)).T
    v = rows / (np.array(sizes) - 1.0)
    n = lambda: rs.standard_normal(len(rows))
    z = np.stack([
        v[:, 0] + 0.05 * n(),
        v[:, 1] + 0.05 * n(),
        0.7 * v[:, 2] + 0.7 * v[:, 3] + 0.05 * n(),
        0.7 * v[:, 2] - 0.7 * v[:, 3] + 0.05 * n(),
        np.sin(3 * v[:, 1]) + 0.3 * v[:, 0] + 0.1 * n(),
        np.full(len(rows), 0.1),
        n(),
        np.zeros(len(rows)),
    ], axis=1)
    # float32 values, as an encoder gives them (and as the boosted trees see them), but for the
    # constant 0.1 code: in float64 its running sum rounds, so irs.py's variance is not 0.
    z = z.astype(np.float32).astype(np.float64)
    z[:, 5] = 0.1
    return sizes, z


def main():
    assert sklearn.__version__ == "1.2.1", sklearn.__version__
    out = {"sklearn": sklearn.__version__, "numpy": np.__version__,
           "settings": {"dci": DCI_ARGS, "irs": {**IRS_ARGS, "diff_quantile": 0.99, "factor_bins": 20}, "seed": 0}}
    out["gbt"] = [gbt_reference(c) for c in GBT_CASES]
    sizes, codes = small_codes()
    out["small"] = {"sizes": sizes, "code_dims": codes.shape[1], "codes": codes.ravel().tolist(),
                    "dci": dci_reference(sizes, codes, seeds=(0, 1, 2, 3, 4, 5)), "irs": irs_reference(sizes, codes)}
    shared = {}
    for name in ["disentangled", "partial", "rotated"]:
        c32 = np.load(os.path.join(SHARED, f"codes_{name}.npy"))
        sizes = [3, 6, 10, 8, 8]
        shared[name] = {"dci": dci_reference(sizes, c32.astype(np.float64), seeds=(0, 1, 2)),
                        "irs": irs_reference(sizes, c32.astype(np.float64)),
                        "irs_float32": irs_reference(sizes, c32)}
    out["shared"] = shared
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
    for g in out["gbt"]:
        imp = np.array(g["feature_importances"])
        print("gbt", g["name"], "importance spread over global seeds", float(np.max(np.abs(imp - imp[0]))))
    for k, v in [("small", out["small"])] + list(shared.items()):
        d = [r["disentanglement"] for r in v["dci"]]
        print(k, "DCI disentanglement over global seeds", min(d), max(d), "IRS", v["irs"]["avg_score"])


if __name__ == "__main__":
    main()
