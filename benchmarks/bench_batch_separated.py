"""BATCH on separated clusters (known answers), on small real data, and under CPU load.

(s) ``sweep``: :func:`pidkit.synthetic.separated_clusters` — kinds ``R`` (one shared noisy
    latent), ``U1``, ``S`` (XOR) and ``views`` (two conditionally independent noisy views: R and
    S > 0) × separations 2, 4, 6, 8σ × ``--seeds``, ``--n`` samples (default 1,500),
    16-d modalities, ``pid.estimate(..., estimator="batch")`` with default options. Per
    (kind, separation): the largest |atom| over the atoms that are exactly 0 (per seed and the
    worst), the non-zero atom(s) against the exact value, seconds per fit. A failed fit (e.g. a NaN
    divergence; see "Numerics on well-separated classes" in docs/guide/continuous.md) is counted and shown.
(v) ``views``: the exact BROJA atoms of two independently noisy views, from the exact solver on a
    ``--bins`` × ``--bins`` grid of the two latents (normal-CDF cell probabilities), against the
    closed form ``S = I(√2·s) − I(s)``: the synergy BATCH reports there is real.
(r) ``real``: default BATCH fits (and ``ci=0.95``) on breast cancer (x1 = first 15 features, x2 =
    last 15), wine (x1 = first 7, x2 = last 6; raw and z-scored) and digits (x1 = first 32 pixel
    columns, x2 = last 32): seconds, where they went, atoms, the interval of S.
(t) ``load``: the BATCH example of docs/guide/continuous.md, once in the README
    (``latent_modalities(20_000, dim=64)``, default options) idle and
    with a second process spinning (``python -c "while True: pass"``), with ``threads="auto"``
    (the default) and with torch's default thread count forced (``threads=<torch default>``).

    python benchmarks/bench_batch_separated.py                 # parts s, v, r (~5 min on 2 cores)
    python benchmarks/bench_batch_separated.py --parts t       # the load comparison (~4 min)
    python benchmarks/bench_batch_separated.py --parts svrt --seeds 0,1,2,3,4,5,6,7,8,9   # the saved run (~15 min)

Wall times depend on what else runs on the machine; the load average before each part is printed.
Results go to ``benchmarks/results/bench_batch_separated_<parts>.txt``.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import subprocess
import sys
import time
import warnings
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
from _tee import Tee  # benchmarks/_tee.py (scripts run from this folder)

RESULTS = Path(__file__).resolve().parent / "results"
ATOMS = ("R", "U1", "U2", "S")
KINDS = ("R", "U1", "S", "views")
SEPARATIONS = (2.0, 4.0, 6.0, 8.0)
WALL_NOTE = "    s = wall time of pid.estimate; BATCH s = the estimator's own (the rest: pid.estimate's info check)"


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def fit(x1, x2, y, seed, **kw):
    import pidkit as pid

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        res = pid.estimate(x1, x2, y, estimator="batch", random_state=seed, progress=False, **kw)
    return res, time.perf_counter() - t0


def bench_sweep(args) -> None:
    from pidkit.synthetic import separated_clusters

    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"(s) separated clusters: n = {args.n}, dim = 16, default options, seeds {seeds}; load {load_average()}")
    print("    max0 = largest |atom| among the atoms that are exactly 0 (bits); main = the non-zero atom(s)")
    width = max(28, 7 * len(seeds) + 1)
    print(f"    {'kind':<6}{'sep':>4} | {'max0 per seed':<{width}}{'worst':>7} | {'main: estimate (exact)':<44}"
          f"| {'s/fit':>6}")
    print("    " + "-" * 100)
    worst_by_kind: dict[str, float] = {}
    for kind in args.kinds.split(","):
        for sep in SEPARATIONS:
            per_seed, mains, times, failed = [], {}, [], 0
            for seed in seeds:
                data = separated_clusters(args.n, kind, separation=sep, random_state=seed)
                try:
                    res, dt = fit(*data, seed)
                except Exception as exc:  # noqa: BLE001 - a benchmark reports failures, it does not stop
                    failed += 1
                    print(f"    {kind:<6}{sep:>4.0f} seed {seed}: FAILED {type(exc).__name__}: {str(exc)[:120]}")
                    continue
                times.append(dt)
                per_seed.append(max(abs(getattr(res, a)) for a in data.zero_atoms))
                for a in set(ATOMS) - set(data.zero_atoms):
                    mains.setdefault(a, []).append(getattr(res, a))
            exact = data.atoms
            worst = max(per_seed) if per_seed else math.nan
            worst_by_kind[kind] = max(worst_by_kind.get(kind, 0.0), worst)
            main = "  ".join(f"{a}={np.mean(v):.3f}±{np.std(v):.3f} ({exact[a]:.3f})" for a, v in sorted(mains.items()))
            seeds_txt = " ".join(f"{v:.4f}" for v in per_seed) + (f" +{failed} failed" if failed else "")
            print(f"    {kind:<6}{sep:>4.0f} | {seeds_txt:<{width}}{worst:>7.4f} | {main:<44}| {np.mean(times):6.1f}")
    print("    worst truly-zero atom by kind: " + ", ".join(f"{k} {v:.4f}" for k, v in worst_by_kind.items()))


def bench_views(args) -> None:
    import pidkit as pid
    from pidkit.synthetic import gaussian_mixture_pmf, separated_atoms

    print(f"\n(v) two independently noisy views (X1 ⟂ X2 | Y): exact solver on a {args.bins}x{args.bins} grid of the "
          "latents vs the closed form (bits)")
    print(f"    {'sep':>4} | {'grid R':>8} {'grid U1':>9} {'grid U2':>9} {'grid S':>8} | {'exact R':>8} "
          f"{'exact S':>8} | {'s':>5}")
    for sep in SEPARATIONS:
        t0 = time.perf_counter()
        p, _ = gaussian_mixture_pmf(norm=sep / math.sqrt(2), angle=math.pi / 4, bins=args.bins)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g = pid.decompose(p, tol=1e-7)
        ex = separated_atoms("views", sep)
        print(f"    {sep:>4.0f} | {g.R:8.5f} {g.U1:9.2e} {g.U2:9.2e} {g.S:8.5f} | {ex['R']:8.5f} {ex['S']:8.5f} |"
              f" {time.perf_counter() - t0:5.1f}")


def real_datasets():
    from sklearn.datasets import load_breast_cancer, load_digits, load_wine

    xb, yb = load_breast_cancer(return_X_y=True)
    xw, yw = load_wine(return_X_y=True)
    xz = (xw - xw.mean(0)) / xw.std(0)
    xd, yd = load_digits(return_X_y=True)
    return {
        "breast cancer": (xb[:, :15], xb[:, 15:], yb),
        "wine": (xw[:, :7], xw[:, 7:], yw),
        "wine z-scored": (xz[:, :7], xz[:, 7:], yw),
        "digits halves": (xd[:, :32], xd[:, 32:], yd),
    }


def bench_real(args) -> None:
    print(f"\n(r) small real data, default options, random_state=0; load {load_average()}")
    print(WALL_NOTE)
    print(f"    {'data':<15}{'n':>6} | {'s':>6} {'BATCH s':>8} {'classif':>8} {'coupl':>6} | {'R':>6} {'U1':>6} "
          f"{'U2':>6} {'S':>7} {'I12':>6} | {'s (ci)':>6} {'S 95% (readout)':>17} | threads")
    for name, (x1, x2, y) in real_datasets().items():
        res, dt = fit(x1, x2, y, 0)
        d = res.diagnostics.details
        ci_res, dt_ci = fit(x1, x2, y, 0, ci=0.95)
        lo, hi = ci_res.ci("S")
        t = d["time_s"]
        print(f"    {name:<15}{len(y):>6} | {dt:6.1f} {res.diagnostics.time_s:8.1f} {t['classifiers']:8.1f} "
              f"{t['coupling']:6.1f} | "
              f"{res.R:6.3f} {res.U1:6.3f} {res.U2:6.3f} {res.S:7.3f} {res.total:6.3f} | {dt_ci:6.1f} "
              f"[{lo:6.3f}, {hi:6.3f}] | {d['threads']}")


def bench_load(args) -> None:
    import torch

    from pidkit.synthetic import latent_modalities

    default = torch.get_num_threads()
    x1, x2, y = latent_modalities(20_000, label="mixed", dim=64, random_state=0)
    print(f"\n(t) README example: latent_modalities(20_000, label='mixed', dim=64), default options, random_state=0; "
          f"torch default threads {default}, {os.cpu_count()} CPUs")
    print(WALL_NOTE)
    print(f"    {'machine':<34}{'threads':>12} | {'s':>6} {'BATCH s':>8} {'classif':>8} {'coupl':>6} | "
          "threads used | load before")
    for spin in (False, True):
        for threads in ("auto", default):
            proc = None
            if spin:
                proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
                time.sleep(2.0)
            try:
                before = load_average()
                res, dt = fit(x1, x2, y, 0, threads=threads)
            finally:
                if proc is not None:
                    proc.kill()
                    proc.wait()
            d = res.diagnostics.details
            what = "plus 1 process spinning" if spin else "as is (see load)"
            t = d["time_s"]
            print(f"    {what:<34}{threads!s:>12} | {dt:6.1f} {res.diagnostics.time_s:8.1f} {t['classifiers']:8.1f} "
                  f"{t['coupling']:6.1f} | {str(d['threads']):<12} | {before}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default="svr", help="any of s (sweep), v (views grid), r (real data), t (load)")
    ap.add_argument("--seeds", default="0,1,2", help="part s: comma-separated seeds (data and estimator)")
    ap.add_argument("--n", type=int, default=1500, help="part s: samples per dataset")
    ap.add_argument("--kinds", default=",".join(KINDS), help="part s: comma-separated kinds")
    ap.add_argument("--bins", type=int, default=200, help="part v: grid cells per latent")
    ap.add_argument("--no-save", action="store_true", help="do not write the results file")
    args = ap.parse_args(argv)
    if set(args.parts) - set("svrt"):
        ap.error(f"--parts takes letters from 'svrt'; got {args.parts!r}")
    tee = Tee()

    import torch

    with redirect_stdout(tee):
        print(f"$ python benchmarks/bench_batch_separated.py {' '.join(argv if argv is not None else sys.argv[1:])}"
              .rstrip())
        print(f"  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {platform.platform()}, torch {torch.__version__}, "
              f"{torch.get_num_threads()} threads, {os.cpu_count()} CPUs\n")
        parts = {"s": bench_sweep, "v": bench_views, "r": bench_real, "t": bench_load}
        for key in "svrt":
            if key in args.parts:
                parts[key](args)
                sys.stdout.flush()
    if not args.no_save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"bench_batch_separated_{args.parts}.txt").write_text(tee.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
