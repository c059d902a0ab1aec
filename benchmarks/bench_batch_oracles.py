"""Accuracy of the BATCH estimator against exact answers (issue 4's oracles).

* Discrete oracles: one-hot XOR, AND, COPY, RDN (n = 20,000) and a random 8×8×3 pmf (n = 50,000,
  Dirichlet(1), seed 1); exact = ``pidkit.decompose`` on the true pmf.
* Continuous oracle: the Gaussian mixture of thesis §3.3.1 (‖μ‖ = 2, angles 0, π/8, π/4, n = 20,000
  samples); exact = ``pidkit.decompose`` of the density integrated over a 200×200 grid
  (``pidkit.synthetic.gaussian_mixture_pmf``).

Prints, per case, BATCH's atoms ± their spread across held-out batches, the exact atoms, the
largest |difference|, the wall time, and writes ``benchmarks/results/bench_batch_oracles.txt``.

    python benchmarks/bench_batch_oracles.py                 # all cases (~15 min on 2 cores)
    python benchmarks/bench_batch_oracles.py --cases xor,gmm0
"""

from __future__ import annotations

import argparse
import io
import math
import platform
import sys
import time
import warnings
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np

import pidkit as pid
from pidkit.synthetic import gate_pmf, gaussian_mixture, gaussian_mixture_pmf, sample_pmf

RESULTS = Path(__file__).resolve().parent / "results" / "bench_batch_oracles.txt"
ANGLES = {"gmm0": 0.0, "gmm8": math.pi / 8, "gmm4": math.pi / 4}
CASES = ("xor", "and", "copy", "rdn", "rand8x8x3", *ANGLES)


def one_hot(v: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[v]


def case_data(name: str):
    """(x1, x2, y, exact atoms, exact gap) of one case."""
    if name in ANGLES:
        p, _ = gaussian_mixture_pmf(norm=2.0, angle=ANGLES[name], bins=200, half_width=6.5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the gap reached is printed instead
            ex = pid.decompose(p, tol=1e-6)
        x1, x2, y = gaussian_mixture(20_000, norm=2.0, angle=ANGLES[name], random_state=0)
        return x1.reshape(-1, 1), x2.reshape(-1, 1), y, ex
    if name == "rand8x8x3":
        p = np.random.default_rng(1).dirichlet(np.ones(8 * 8 * 3)).reshape(8, 8, 3)
        n = 50_000
    else:
        p, n = gate_pmf(name), 20_000
    x1, x2, y = sample_pmf(p, n, random_state=0)
    return one_hot(x1, p.shape[0]), one_hot(x2, p.shape[1]), y, pid.decompose(p)


def run(cases: list[str], seed: int) -> None:
    print(f"BATCH oracles — pidkit {pid.__version__}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{platform.platform()}")
    print("atoms in bits: BATCH ± spread across held-out batches | exact (gap) | max |Δ| | time\n")
    worst = 0.0
    for name in cases:
        x1, x2, y, ex = case_data(name)
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = pid.estimate(x1, x2, y, estimator="batch", random_state=seed)
        dt = time.perf_counter() - t0
        err = max(abs(getattr(res, a) - getattr(ex, a)) for a in ("R", "U1", "U2", "S"))
        worst = max(worst, err)
        std = res.diagnostics.atom_std
        got = "  ".join(f"{a}={getattr(res, a):7.4f}±{std[a]:.4f}" for a in ("R", "U1", "U2", "S"))
        want = "  ".join(f"{a}={getattr(ex, a):7.4f}" for a in ("R", "U1", "U2", "S"))
        print(f"{name:10s} n={y.size:6d}  {got}")
        print(f"{'':10s} exact     {want}  (gap {ex.diagnostics.duality_gap:.1e})")
        print(f"{'':10s} max |Δ| = {err:.4f} bits, {dt:.1f} s, {res.diagnostics.details['coupling_epochs']} epochs")
        for w in caught:
            print(f"{'':10s} warning: {str(w.message)[:160]}")
    print(f"\nworst max |Δ| over {len(cases)} cases: {worst:.4f} bits")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default=",".join(CASES), help=f"comma-separated subset of {','.join(CASES)}")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-save", action="store_true", help=f"do not write {RESULTS.name}")
    args = ap.parse_args(argv)
    cases = [c for c in args.cases.split(",") if c]
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        ap.error(f"unknown case(s) {unknown}; choose from {list(CASES)}")
    buf = io.StringIO()

    class Tee(io.TextIOBase):
        def write(self, s):
            buf.write(s)
            return sys.__stdout__.write(s)

    with redirect_stdout(Tee()):
        run(cases, args.seed)
    if not args.no_save:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(f"$ python benchmarks/bench_batch_oracles.py --cases {args.cases}\n" + buf.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
