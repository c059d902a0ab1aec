"""Benchmark of the exact decomposition: the native solver against cvxpy, in the same run.

Decomposes Dirichlet(1) pmfs of growing size and sparse empirical tables with the native
interior-point solver and with the cvxpy backends (Clarabel, ECOS), each solve in its own process
so that a per-solve time cap (``--max-seconds``, default 300 s) can stop it and its peak memory
can be read. The native solver is timed over ``--repeats`` fresh processes per table (the median
is its time and the basis of the ratios; the minimum is printed too), each baseline once. The large
tables (300x300x10, 1000x1000x10 dense, 500x500x20 sparse empirical) run with the native solver
only, once, capped at ``--max-seconds-large`` (default 900 s). Finally ``decompose_many`` on 100,000
random 2x2x2 pmfs, and the per-call time of the gates. The many-label tables (3x3x2000, 10x10x1000,
3x3x100000: few (x1, x2) pairs, many labels) run with the default elimination and, for comparison,
the Schur elimination over pairs that was the only one before. A baseline whose status is not "optimal"
(e.g. cvxpy's "optimal_inaccurate": Clarabel stopped with AlmostSolved) says so after its row.

    python benchmarks/bench_exact.py                 # everything (~30 min: the cvxpy baselines, 1000x1000x10)
    python benchmarks/bench_exact.py --quick         # sizes up to 20x20x10, no large tables
    python benchmarks/bench_exact.py --labels-only   # 100x100x10 and the many-label tables (~3 min)
    python benchmarks/bench_exact.py --solvers native clarabel --json out.json
    python benchmarks/bench_exact.py --under-load    # default vs one thread, idle and with k = cores busy processes

Columns: wall time of the solve (s), ratio = baseline time / native time on the same table,
certified duality gap (bits), max marginal violation of the returned (rounded) q, peak resident
memory of the solving process (MiB), largest atom difference to the native solver's atoms.
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
LARGE_SIZES = [(300, 300, 10), (1000, 1000, 10)]


def empirical(rng, shape, n_samples):
    """Counts of ``n_samples`` draws from a peaked random pmf: a sparse empirical table."""
    p = rng.dirichlet(np.full(int(np.prod(shape)), 0.05)).reshape(shape)
    flat = rng.choice(p.size, size=n_samples, p=p.ravel())
    return np.bincount(flat, minlength=p.size).reshape(shape)


def make_tables(sizes, seed: int, large: bool) -> list[tuple[str, np.ndarray, bool]]:
    """(name, table, baselines?) triples."""
    rng = np.random.default_rng(seed)
    def dirichlet(shape):
        return rng.dirichlet(np.ones(int(np.prod(shape)))).reshape(shape)

    tables = [(f"dirichlet {'x'.join(map(str, s))}", dirichlet(s), True) for s in sizes]
    if (100, 100, 10) in sizes:
        tables.append(("empirical 100x100x10 (20k samples)", empirical(rng, (100, 100, 10), 20_000), True))
    if large:
        for s in LARGE_SIZES:
            tables.append((f"dirichlet {'x'.join(map(str, s))}", dirichlet(s), False))
        tables.append(("empirical 500x500x20 (200k samples)", empirical(rng, (500, 500, 20), 200_000), False))
    return tables


def _worker(p, solver, queue, options=None):
    import warnings

    import pidkit as pid

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        try:
            res = pid.decompose(p, solver=solver, **(options or {}))
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
            "status": res.diagnostics.status,
            "atoms": res.atoms,
        }
    )


def _worker_one_thread(p, solver, queue, options=None):
    """``_worker`` with every thread pool of the process at one thread: the baseline of --under-load."""
    import os

    from threadpoolctl import threadpool_limits

    os.environ["PIDKIT_NUM_THREADS"] = "1"
    with threadpool_limits(limits=1):
        _worker(p, solver, queue, options)


def run_one(p, solver, max_seconds, options=None, one_thread=False):
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    target = _worker_one_thread if one_thread else _worker
    proc = ctx.Process(target=target, args=(p, solver, queue, options))
    proc.start()
    proc.join(max_seconds)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return {"error": f"timeout after {max_seconds:.0f} s"}
    return queue.get() if not queue.empty() else {"error": f"process exited with code {proc.exitcode}"}


def label_table(shape, n_samples, seed):
    """Counts of a label that x1 and x2 each see through a noisy modular map (few pairs, many labels)."""
    n1, n2, ny = shape
    rng = np.random.default_rng(seed)
    y = rng.integers(0, ny, n_samples)
    x1 = (y + rng.integers(0, 2, n_samples)) % n1
    x2 = (7 * y + rng.integers(0, 3, n_samples)) % n2
    return np.bincount((x1 * n2 + x2) * ny + y, minlength=n1 * n2 * ny).reshape(shape)


LABEL_TABLES = [((3, 3, 2000), 20_000), ((10, 10, 1000), 30_000), ((3, 3, 100_000), 300_000)]


def many_labels(rows, seed: int, max_seconds: float, repeats: int, pairs: bool) -> None:
    """Tables with few (x1, x2) pairs and many labels: the default (elimination by label) and, with
    ``pairs``, the Schur elimination over pairs' nodes that was the only one before the elimination by label
    (docs/dev-notes.md#elimination-by-label)."""
    print()
    for shape, n in LABEL_TABLES:
        name = f"labels {'x'.join(map(str, shape))} ({n // 1000}k samples)"
        p = label_table(shape, n, seed)
        runs = [run_one(p, "native", max_seconds) for _ in range(repeats)]
        ok = [x for x in runs if "error" not in x]
        r = dict(ok[0] if ok else runs[0], table=name, solver="native")
        if ok:
            r["time_s"] = float(np.median([x["time_s"] for x in ok]))
        rows.append(r)
        line = f"{name:<36}{'native':<10}"
        line += (f"{r['time_s']:10.3f}{'':>9}{r['gap_bits']:11.1e}{r['marginal_violation']:11.1e}{r['peak_mib']:10.0f}"
                 if ok else f"  {r['error']}")
        print(line, flush=True)
        if pairs:
            q = run_one(p, "native", max_seconds, {"elimination": "pairs"})
            q.update(table=name, solver="native, elimination='pairs'")
            rows.append(q)
            if "error" in q:
                print(f"{'':<36}{'pairs':<10}  {q['error']}", flush=True)
            else:
                ratio = f"{q['time_s'] / r['time_s']:.0f}x" if ok else "-"
                delta = f"{max(abs(q['atoms'][a] - r['atoms'][a]) for a in r['atoms']):.1e}" if ok else "-"
                print(f"{'':<36}{'pairs':<10}{q['time_s']:10.3f}{ratio:>9}{q['gap_bits']:11.1e}"
                      f"{q['marginal_violation']:11.1e}{q['peak_mib']:10.0f}{delta:>12}", flush=True)


def gates_and_batches(rows) -> None:
    """Per-call time of the gates, and decompose_many on 100,000 random 2x2x2 pmfs."""
    import pidkit as pid
    from pidkit.synthetic import gate_pmf

    print()
    for gate in ("and", "xor", "sum", "copy"):
        p = gate_pmf(gate)
        pid.decompose(p)
        reps = 200
        t0 = time.perf_counter()
        for _ in range(reps):
            pid.decompose(p)
        per_call = (time.perf_counter() - t0) / reps
        rows.append({"table": f"gate {gate}", "solver": "native", "time_s": per_call})
        print(f"gate {gate:<5} decompose: {per_call * 1e3:.3f} ms per call (mean of {reps})")
    ps = np.random.default_rng(1).dirichlet(np.ones(8), size=100_000).reshape(100_000, 2, 2, 2)
    t0 = time.perf_counter()
    batch = pid.decompose_many(ps)
    elapsed = time.perf_counter() - t0
    rows.append({"table": "decompose_many 100000 x 2x2x2", "solver": "native", "time_s": elapsed})
    print(
        f"decompose_many, 100,000 random 2x2x2 pmfs: {elapsed:.2f} s, max gap {batch.duality_gap.max():.1e} bits, "
        f"all converged: {bool(batch.converged.all())}"
    )


def _spin(stop) -> None:
    """A busy process: the load of --under-load."""
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


def under_load(rows, seed: int, repeats: int, max_seconds: float) -> None:
    """The default threads against one thread everywhere and against every core, idle and with k busy
    processes (k = cores).

    ``threads=cores`` reproduces the default before ``threads="auto"``: OpenMP and BLAS on every core.
    Each configuration is solved ``repeats`` times in fresh processes, the configurations interleaved so
    that all see the same load; the median is reported.
    """
    import os

    cores = len(os.sched_getaffinity(0))
    rng = np.random.default_rng(seed)
    tables = [(s, rng.dirichlet(np.ones(int(np.prod(s)))).reshape(s)) for s in [(50, 50, 10), (100, 100, 10)]]
    print(f"\nunder load: default threads ('auto') vs one thread (threadpoolctl limits=1, PIDKIT_NUM_THREADS=1) vs "
          f"threads={cores} (every core: the default before 'auto'), {cores} cores, median of {repeats} "
          "fresh-process solves each")
    head = (f"{'table':<14}{'busy':>6}{'default s':>11}{'one thread s':>14}{f'{cores} threads s':>14}"
            f"{'default/one':>13}{f'default/{cores}':>11}")
    print(head)
    print("-" * len(head))
    configs = {"default": ({}, False), "one": ({}, True), "all": ({"threads": cores}, False)}
    ctx = mp.get_context("fork")
    for busy in (0, cores):
        stop = ctx.Event()
        spinners = [ctx.Process(target=_spin, args=(stop,), daemon=True) for _ in range(busy)]
        for proc in spinners:
            proc.start()
        try:
            time.sleep(0.5 if busy else 0.0)
            for shape, p in tables:
                times: dict[str, list[float]] = {k: [] for k in configs}
                for _ in range(repeats):
                    for key, (options, one) in configs.items():
                        r = run_one(p, "native", max_seconds, options=options, one_thread=one)
                        if "error" not in r:
                            times[key].append(r["time_s"])
                name = "x".join(map(str, shape))
                if not all(times.values()):
                    print(f"{name:<14}{busy:>6}  failed")
                    continue
                med = {k: float(np.median(v)) for k, v in times.items()}
                print(f"{name:<14}{busy:>6}{med['default']:11.3f}{med['one']:14.3f}{med['all']:14.3f}"
                      f"{med['default'] / med['one']:13.2f}{med['default'] / med['all']:11.2f}", flush=True)
                rows.append({"table": f"dirichlet {name}", "busy_processes": busy,
                             **{f"{k}_s": v for k, v in med.items()}, **{f"{k}_runs_s": v for k, v in times.items()},
                             "ratio_default_vs_one_thread": med["default"] / med["one"],
                             "ratio_default_vs_all_cores": med["default"] / med["all"]})
        finally:
            stop.set()
            for proc in spinners:
                proc.join(5)
                if proc.is_alive():
                    proc.terminate()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="only sizes up to 20x20x10")
    ap.add_argument("--solvers", nargs="+", default=["native", "clarabel", "ecos"], help="first one is the reference")
    ap.add_argument("--max-seconds", type=float, default=300.0, help="cap per solve (default 300)")
    ap.add_argument(
        "--max-seconds-large", type=float, default=900.0,
        help="cap per solve of the native-only large tables (default 900)",
    )
    ap.add_argument(
        "--repeats", type=int, default=5,
        help="fresh-process solves of the reference solver per table "
        "(default 5; the median is its time, the min is shown)",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument(
        "--labels-only", action="store_true",
        help="only the 100x100x10 tables (native) and the many-label tables, with the pair elimination for comparison",
    )
    ap.add_argument(
        "--under-load", action="store_true",
        help="only 50x50x10 and 100x100x10 with the default settings and with one thread, idle and with as many "
        "busy processes as cores (the speed on a shared machine)",
    )
    args = ap.parse_args(argv)
    if args.under_load:
        import pidkit as pid
        from pidkit.synthetic import gate_pmf

        pid.decompose(gate_pmf("and"))
        rows: list[dict] = []
        under_load(rows, args.seed, max(1, args.repeats), args.max_seconds)
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(rows, fh, indent=1)
        return 0
    if args.labels_only:
        args.solvers = args.solvers[:1]

    # import and warm up in the parent: forked solves then time the solve, not the imports
    import pidkit as pid
    from pidkit.synthetic import gate_pmf

    for solver in args.solvers:
        pid.decompose(gate_pmf("and"), solver=solver)
    tables = make_tables(QUICK_SIZES if args.quick else SIZES, args.seed, large=not args.quick)
    if args.labels_only:  # the 100x100x10 solves whose time the many-label path must not worsen
        tables = [t for t in tables if "100x100x10" in t[0]]
    rows = []
    head = (
        f"{'table':<36}{'solver':<10}{'time s':>10}{'ratio':>9}{'gap bits':>11}{'marg err':>11}"
        f"{'peak MiB':>10}{'max|Δatom|':>12}"
    )
    print(head)
    print("-" * len(head))
    for name, p, with_baselines in tables:
        ref = None
        for solver in args.solvers if with_baselines else args.solvers[:1]:
            first = ref is None and solver == args.solvers[0]
            cap = args.max_seconds if with_baselines else args.max_seconds_large
            # the reference solver is timed over several fresh processes (median; a single solve of
            # a fraction of a second varies by +-15% on a shared machine), the baselines once
            reps = max(1, args.repeats) if first and with_baselines else 1
            runs = [run_one(p, solver, cap) for _ in range(reps)]
            ok = [x for x in runs if "error" not in x]
            r = dict(runs[0]) if not ok else dict(ok[0])
            if ok and len(ok) > 1:
                times = [x["time_s"] for x in ok]
                r.update(time_s=float(np.median(times)), time_min_s=min(times), time_runs_s=times)
            r.update(table=name, solver=solver)
            rows.append(r)
            if "error" in r:
                print(f"{name:<36}{solver:<10}  {r['error']}", flush=True)
                continue
            if ref is None:
                ref = r
                delta, ratio = "ref", "1"
            else:
                delta = f"{max(abs(r['atoms'][a] - ref['atoms'][a]) for a in ref['atoms']):.1e}"
                ratio = f"{r['time_s'] / ref['time_s']:.0f}x"
                r["ratio_vs_ref"] = r["time_s"] / ref["time_s"]
            extra = f"  (min of {len(ok)}: {r['time_min_s']:.3f} s)" if "time_min_s" in r else ""
            if ok and len(ok) < len(runs):  # never hide a failed repeat behind the successful ones
                err = next(x for x in runs if "error" in x)["error"]
                extra += f"  {len(runs) - len(ok)} of {len(runs)} solves failed: {err}"
            if r.get("status") not in (None, "optimal"):
                extra += f"  status {r['status']}"
            print(
                f"{name:<36}{solver:<10}{r['time_s']:10.3f}{ratio:>9}{r['gap_bits']:11.1e}"
                f"{r['marginal_violation']:11.1e}{r['peak_mib']:10.0f}{delta:>12}{extra}",
                flush=True,
            )
    if not args.quick:
        many_labels(rows, args.seed, args.max_seconds, max(1, args.repeats), pairs=True)
    if not args.labels_only:
        gates_and_batches(rows)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
