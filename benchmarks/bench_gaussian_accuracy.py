"""Accuracy on continuous data with a known answer: gaussian, copula, cvx (and BATCH) against the truth.

Samples of a jointly Gaussian (X1, X2, Y) (X1, X2 two-dimensional, Y scalar) whose exact PID is known
from its covariance (pid.decompose_gaussian), as drawn ("gaussian data") and after increasing maps
of every dimension — exp, cube, a logistic squash of Y — that keep the copula and so the Gaussian-copula
PID ("transformed data"). Each estimator's atoms are compared with the truth; the discretizing
estimators bin the continuous target (``y_bins``), so their target is a coarser one (part of their error
is that loss).

    python benchmarks/bench_gaussian_accuracy.py                  # n = 1e3, 1e4, 1e5; gaussian, copula, cvx
    python benchmarks/bench_gaussian_accuracy.py --batch          # also BATCH (needs torch; minutes)
    python benchmarks/bench_gaussian_accuracy.py --ns 1000 --seeds 0

Printed per (data, n, estimator): the mean over seeds of |estimate - truth| for each atom (bits), the
largest, and the seconds per estimate.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np

COV_SEED = 11
DIMS = (2, 2, 1)


def truth_cov() -> np.ndarray:
    rng = np.random.default_rng(COV_SEED)
    a = rng.normal(size=(5, 5)) * 0.7
    return a @ a.T + np.eye(5)


def sample(n: int, seed: int, transformed: bool):
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal(np.zeros(5), truth_cov(), size=n)
    x1, x2, y = z[:, :2], z[:, 2:4], z[:, 4]
    if transformed:
        x1 = np.exp(x1 / 2)
        x2 = x2 ** 3
        y = 1 / (1 + np.exp(-2 * y))
    return x1, x2, y


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ns", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--y-bins", type=int, default=8, help="bins of the target for cvx / BATCH (default 8)")
    ap.add_argument("--batch", action="store_true", help="also the BATCH estimator (needs torch)")
    args = ap.parse_args(argv)

    import pidkit as pid

    truth = pid.decompose_gaussian(truth_cov(), DIMS)
    atoms = ("R", "U1", "U2", "S")
    print("truth (exact Gaussian PID of the covariance): " + ", ".join(f"{a} {getattr(truth, a):.4f}" for a in atoms)
          + " bits")
    estimators = ["gaussian", "copula", "cvx"] + (["batch"] if args.batch else [])
    head = (f"{'data':<12}{'n':>8}  {'estimator':<10}" + "".join(f"{'|Δ' + a + '|':>9}" for a in atoms)
            + f"{'max':>9}{'s each':>9}")
    print(head)
    print("-" * len(head))
    for transformed in (False, True):
        for n in args.ns:
            for name in estimators:
                errs, secs = [], []
                for seed in args.seeds:
                    x1, x2, y = sample(n, seed, transformed)
                    kw = {}
                    if name in ("cvx", "batch"):
                        kw["discretizer"] = pid.Discretizer(y_bins=args.y_bins, random_state=seed)
                    t0 = time.perf_counter()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        res = pid.estimate(x1, x2, y, estimator=name, random_state=seed, **kw)
                    secs.append(time.perf_counter() - t0)
                    errs.append([abs(getattr(res, a) - getattr(truth, a)) for a in atoms])
                e = np.mean(errs, axis=0)
                print(f"{'transformed' if transformed else 'gaussian':<12}{n:>8}  {name:<10}"
                      + "".join(f"{v:9.4f}" for v in e) + f"{e.max():9.4f}{np.mean(secs):9.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
