"""Benchmark of the exact decomposition: time, certified gap and marginal error per solver.

Decomposes Dirichlet(1) pmfs of growing size and a sparse empirical table (20,000 samples drawn
into 100x100x10 cells) with every backend, each solve in its own process so that a per-solve time
cap (``--max-seconds``) can stop it and its peak memory can be read.

    python benchmarks/bench_exact.py                 # all sizes, all solvers, 300 s cap per solve
    python benchmarks/bench_exact.py --quick         # sizes up to 20x20x10
    python benchmarks/bench_exact.py --solvers clarabel ecos --json out.json

Columns: wall time of the solve (s), certified duality gap (bits), max marginal violation of the
returned (rounded) q, peak resident memory of the solving process (MiB), and the largest atom
difference to the first solver in the list that finished on the same table.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import time

import numpy as np

SIZES = [(2, 2, 2), (10, 10, 5), (20, 20, 10), (50, 50, 10), (100, 100, 10)]
QUICK_SIZES = SIZES[:3]


def make_tables(sizes, seed: int) -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    tables = [(f"dirichlet {'x'.join(map(str, s))}", rng.dirichlet(np.ones(int(np.prod(s)))).reshape(s)) for s in sizes]
    if (100, 100, 10) in sizes:
        # sparse empirical table: 20,000 samples of a peaked random pmf
        p = rng.dirichlet(np.full(100 * 100 * 10, 0.05)).reshape(100, 100, 10)
        flat = rng.choice(p.size, size=20_000, p=p.ravel())
        counts = np.bincount(flat, minlength=p.size).reshape(p.shape)
        tables.append(("empirical 100x100x10 (20k samples)", counts))
    return tables


def _worker(p, solver, queue):
    import warnings

    import pidkit as pid

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        try:
            res = pid.decompose(p, solver=solver)
        except Exception as exc:  # reported, not hidden
            queue.put({"error": f"{type(exc).__name__}: {exc}"})
            return
        elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    queue.put(
        {
            "time_s": elapsed,
            "gap_bits": res.diagnostics.duality_gap,
            "marginal_violation": res.diagnostics.max_marginal_violation,
            "iterations": res.diagnostics.iterations,
            "peak_mib": peak,
            "atoms": res.atoms,
        }
    )


def run_one(p, solver, max_seconds):
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_worker, args=(p, solver, queue))
    proc.start()
    proc.join(max_seconds)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return {"error": f"timeout after {max_seconds:.0f} s"}
    return queue.get() if not queue.empty() else {"error": f"process exited with code {proc.exitcode}"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="only sizes up to 20x20x10")
    ap.add_argument("--solvers", nargs="+", default=["clarabel", "ecos", "scs"])
    ap.add_argument("--max-seconds", type=float, default=300.0, help="cap per solve (default 300)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)

    # import and warm up in the parent: forked solves then time the solve, not the imports
    import pidkit as pid
    from pidkit.synthetic import gate_pmf

    for solver in args.solvers:
        pid.decompose(gate_pmf("and"), solver=solver)
    tables = make_tables(QUICK_SIZES if args.quick else SIZES, args.seed)
    rows = []
    head = f"{'table':<36}{'solver':<10}{'time s':>10}{'gap bits':>11}{'marg err':>11}{'peak MiB':>10}{'max|Δatom|':>12}"
    print(head)
    print("-" * len(head))
    for name, p in tables:
        ref = None
        for solver in args.solvers:
            r = run_one(p, solver, args.max_seconds)
            r.update(table=name, solver=solver)
            rows.append(r)
            if "error" in r:
                print(f"{name:<36}{solver:<10}  {r['error']}")
                continue
            if ref is None:
                ref = r["atoms"]
                delta = "ref"
            else:
                delta = f"{max(abs(r['atoms'][a] - ref[a]) for a in ref):.1e}"
            print(
                f"{name:<36}{solver:<10}{r['time_s']:10.3f}{r['gap_bits']:11.1e}"
                f"{r['marginal_violation']:11.1e}{r['peak_mib']:10.0f}{delta:>12}",
                flush=True,
            )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
