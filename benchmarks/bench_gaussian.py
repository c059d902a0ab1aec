"""Benchmark of pid.decompose_gaussian against a straightforward baseline, in the same run.

For d1 = d2 = d in 8 ... 1024 and a target of dy dimensions, a random covariance of (X1, X2, Y) is
decomposed by

* ``pidkit``: pid.decompose_gaussian (sufficient statistics, barrier Newton, certified gap 1e-8 bits);
* ``baseline``: projected gradient descent with backtracking over the full d x d noise correlation
  (the same objective and certificate, without the reduction to sufficient statistics and with
  first-order steps), stopped at the same certified gap (1e-8 bits) or after ``--max-seconds``.

Printed: seconds, certified gap (bits), the atoms' largest difference between the two, the ratio, and
the scaling exponent of pidkit's time in d (least squares on log time vs log d, d >= 64).

    python benchmarks/bench_gaussian.py                   # d = 8 ... 1024, baseline up to d = 128
    python benchmarks/bench_gaussian.py --dims 8 16 --dy 2 --max-seconds 10
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np


def random_cov(d: int, dy: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = 2 * d + dy
    a = rng.normal(size=(n, n + 8))
    return a @ a.T / (n + 8)


def baseline(cov: np.ndarray, d: int, dy: int, tol_bits: float, max_seconds: float) -> tuple[float, float, float]:
    """(seconds, certified gap in bits, f* in bits) of projected gradient over the full noise correlation."""
    from pidkit.estimators.gaussian import CAP_MARGIN, _fw_gap, _Problem

    def _inv_sqrt(a):
        w, v = np.linalg.eigh(a)
        return (v / np.sqrt(w)) @ v.T

    t0 = time.perf_counter()
    s_y = cov[2 * d:, 2 * d:]
    g = np.linalg.solve(np.linalg.cholesky(s_y), cov[: 2 * d, 2 * d:].T).T
    cond = cov[: 2 * d, : 2 * d] - g @ g.T
    prob = _Problem(_inv_sqrt(cond[:d, :d]) @ g[:d], _inv_sqrt(cond[d:, d:]) @ g[d:])

    def project(k):
        u, sv, vt = np.linalg.svd(k, full_matrices=False)
        return (u * np.minimum(sv, 1.0 - CAP_MARGIN)) @ vt

    k = np.zeros((d, d))
    f, grad = prob.value_grad(k)
    step, gap = 1.0, _fw_gap(k, grad)
    tol = tol_bits * math.log(2)
    while gap > tol and time.perf_counter() - t0 < max_seconds:
        while True:
            cand = project(k - step * grad)
            f_c, _ = prob.value_grad(cand, grad=False)
            diff = cand - k
            if f_c <= f + np.sum(grad * diff) + np.sum(diff * diff) / (2 * step):
                break
            step *= 0.5
        k = cand
        f, grad = prob.value_grad(k)
        gap = _fw_gap(k, grad)
        step *= 1.5
    return time.perf_counter() - t0, gap / math.log(2), f / math.log(2)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dims", type=int, nargs="+", default=[8, 16, 32, 64, 128, 256, 512, 1024])
    ap.add_argument("--dy", type=int, default=4)
    ap.add_argument("--baseline-up-to", type=int, default=128, help="largest d the baseline runs on (default 128)")
    ap.add_argument("--max-seconds", type=float, default=60.0, help="cap per baseline solve (default 60)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import pidkit as pid

    head = (f"{'d':>6}{'dy':>4}{'pidkit s':>11}{'gap bits':>11}{'baseline s':>12}{'gap bits':>11}{'ratio':>9}"
            f"{'max|Δ|':>10}")
    print(f"decompose_gaussian vs projected gradient, d1 = d2 = d, dy = {args.dy}")
    print(head)
    print("-" * len(head))
    times = []
    for d in args.dims:
        cov = random_cov(d, args.dy, args.seed)
        t0 = time.perf_counter()
        res = pid.decompose_gaussian(cov, (d, d, args.dy))
        t = time.perf_counter() - t0
        times.append((d, t))
        line = f"{d:>6}{args.dy:>4}{t:11.3f}{res.diagnostics.duality_gap:11.1e}"
        if d <= args.baseline_up_to:
            tb, gap_b, f_b = baseline(cov, d, args.dy, 1e-8, args.max_seconds)
            delta = abs((res.total - res.S) - f_b)
            capped = "" if gap_b <= 1e-8 else " (capped: gap above 1e-8)"
            line += f"{tb:12.3f}{gap_b:11.1e}{tb / t:8.2g}x{delta:10.1e}{capped}"
        print(line, flush=True)
    big = [(d, t) for d, t in times if d >= 64]
    if len(big) >= 2:
        slope = np.polyfit(np.log([d for d, _ in big]), np.log([t for _, t in big]), 1)[0]
        print(f"scaling of pidkit's time in d (d >= 64): d^{slope:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
