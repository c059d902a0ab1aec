"""Benchmark of pidkit.scale: out-of-core counting on Dask, and many decompositions as tasks.

(a) Out-of-core estimate. ``--samples`` rows (default 10^8) are generated lazily, partition by
    partition (``--partition`` rows each, default 2x10^6): every column of every block is drawn by
    ``da.map_blocks`` from its own ``np.random.default_rng(SeedSequence([seed, block, column]))``,
    so no partition is ever held by the driver. x1 and x2 are integers in [0, 20); y (4 classes) is
    ``(x1 // 5 + x2 // 5) % 4``, replaced by a uniform class with probability 0.25. The
    *continuous* variant draws x2 uniform in [0, 20) as float64 (the Discretizer bins it; y uses
    ``floor(x2) // 5``). ``pid.estimate(x1, x2, y, client=client)`` runs on a
    ``distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True)``; the workers
    are restarted before each run, so their peak memory belongs to that run. Reported: wall time,
    samples/s, and the peak resident memory of each worker process, read with ``client.run``
    from ``VmHWM`` in ``/proc/self/status`` after the run (target <= 2 GB per worker; ``ru_maxrss``
    is printed too, but on Linux it survives the fork + exec by which the nanny in this process
    spawns a worker, so it reports this driver's peak whenever that is larger);
    the peak of the cluster-wide total sampled by ``distributed.diagnostics.MemorySampler``
    (every 0.25 s) is printed next to it as a cross-check, and the driver's own peak as well.
    Baseline in the same run: the same generator in this process on a 10^7-row slice, then
    ``np.bincount`` of the joint codes ``(x1 * 20 + x2) * 4 + y`` — timed alone, and with the
    generation — in samples/s; the ratios dask / NumPy are printed. Check: on the first 10^6 rows
    the dask path (on the cluster) and the in-memory ``pid.estimate`` with the *same fitted*
    Discretizer (the one the big run fitted) give the same count table and the same atoms.
(b) Many decompositions. ``--tables`` (default 10,000) Dirichlet(1) tables of 10x10x4:
    ``pid.decompose_many(p, client=client)`` on the cluster, ``pid.decompose_many(p)`` in this
    process, and a Python loop of ``pid.decompose`` timed on the first 1,000 tables (200 with
    ``--quick``) and extrapolated linearly to all of them (said in the table). Atoms are compared:
    cluster vs local must be identical; the loop must agree within the two certified gaps.
(c) GPU rows, only when ``torch.cuda.is_available()``: ``pid.decompose`` of a 1000x1000x10
    Dirichlet table with ``solver="torch"`` (skipped when that solver does not exist) and BATCH
    ``pid.estimate(..., estimator="batch", device="cuda")`` on 20,000 x 2 x 64 data (targets:
    <= 10 s with gap <= 1e-7 bits; <= 10 s). Otherwise printed as "unmeasured (no GPU)".

    python benchmarks/bench_scale.py --quick             # 10^7 samples, 2,000 tables (~2 min on 2 cores)
    python benchmarks/bench_scale.py --json benchmarks/results/bench_scale.json   # full run (~10 min)
    python benchmarks/bench_scale.py --parts b --tables 50000

Numbers are wall times on whatever machine runs it; the results file names it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
import warnings

import numpy as np

import pidkit as pid

ATOMS = ("R", "U1", "U2", "S")
N1 = N2 = 20
NY = 4
NOISE = 0.25
GB = 1e9


# ------------------------------------------------------------------------------------ generator
def _rng(seed: int, block: int, column: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, block, column]))


def gen_x1(n: int, seed: int, block: int) -> np.ndarray:
    return _rng(seed, block, 1).integers(0, N1, size=n)


def gen_x2(n: int, seed: int, block: int, continuous: bool) -> np.ndarray:
    rng = _rng(seed, block, 2)
    return rng.uniform(0.0, N2, size=n) if continuous else rng.integers(0, N2, size=n)


def gen_y(x1: np.ndarray, x2: np.ndarray, seed: int, block: int) -> np.ndarray:
    rng = _rng(seed, block, 3)
    y = (x1 // 5 + np.floor(x2).astype(np.int64) // 5) % NY
    flip = rng.random(x1.shape[0]) < NOISE
    y[flip] = rng.integers(0, NY, size=int(flip.sum()))
    return y


def block_sizes(n: int, partition: int) -> list[int]:
    return [min(partition, n - s) for s in range(0, n, partition)]


def numpy_data(n: int, partition: int, seed: int, continuous: bool, total: int | None = None):
    """The first ``n`` rows of the dask data of ``total`` rows (default ``n``), generated in this process
    block by block from the same streams: whole partitions are drawn, then cut to ``n`` rows."""
    total = n if total is None else total
    cols = ([], [], [])
    for b, size in enumerate(block_sizes(total, partition)):
        if b * partition >= n:
            break
        a1, a2 = gen_x1(size, seed, b), gen_x2(size, seed, b, continuous)
        for c, v in zip(cols, (a1, a2, gen_y(a1, a2, seed, b)), strict=True):
            c.append(v)
    return tuple(np.concatenate(c)[:n] for c in cols)


def dask_data(n: int, partition: int, seed: int, continuous: bool):
    """Lazy dask arrays x1, x2, y of ``n`` rows in partitions of ``partition`` rows."""
    import dask.array as da

    chunks = (tuple(block_sizes(n, partition)),)
    dt2 = np.float64 if continuous else np.int64

    def mk1(block_info=None):
        info = block_info[None]
        return gen_x1(info["chunk-shape"][0], seed, info["chunk-location"][0])

    def mk2(block_info=None):
        info = block_info[None]
        return gen_x2(info["chunk-shape"][0], seed, info["chunk-location"][0], continuous)

    def mky(a1, a2, block_info=None):
        return gen_y(a1, a2, seed, block_info[0]["chunk-location"][0])

    x1 = da.map_blocks(mk1, chunks=chunks, dtype=np.int64, name=f"x1-{seed}-{n}-{partition}")
    x2 = da.map_blocks(mk2, chunks=chunks, dtype=dt2, name=f"x2-{seed}-{n}-{partition}-{continuous}")
    y = da.map_blocks(mky, x1, x2, dtype=np.int64, name=f"y-{seed}-{n}-{partition}-{continuous}")
    return x1, x2, y


# ------------------------------------------------------------------------------------ cluster memory
def _worker_peak() -> tuple[int, int]:
    """(VmHWM, ru_maxrss) of this process in bytes. VmHWM is the high-water mark of this process's own
    address space (new at exec); ru_maxrss survives fork + exec on Linux, so a worker the nanny spawned
    from this driver reports the driver's peak at spawn time when that is larger — it is only a cross-check."""
    import resource as r

    hwm = 0
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) * 1024
    return hwm, r.getrusage(r.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def worker_peaks(client) -> tuple[list[float], list[float]]:
    """Peak resident memory (GB) of each worker process since it started: VmHWM, and ru_maxrss."""
    vals = [v for _, v in sorted(client.run(_worker_peak).items())]
    return [h / GB for h, _ in vals], [m / GB for _, m in vals]


def fresh_workers(client, n_workers: int) -> None:
    client.restart(wait_for_workers=True)
    client.wait_for_workers(n_workers)


class Sampled:
    """Cluster-wide process memory sampled by distributed's MemorySampler, and the run's wall time."""

    def __init__(self, client):
        from distributed.diagnostics import MemorySampler

        self.ms, self.client = MemorySampler(), client

    def __enter__(self):
        self._cm = self.ms.sample("run", client=self.client, measure="process", interval=0.25)
        self._cm.__enter__()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        self._cm.__exit__(*exc)
        samples = self.ms.samples.get("run", [])
        self.total_peak = max((v for _, v in samples), default=0) / GB
        return False


def driver_peak() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GB


# ------------------------------------------------------------------------------------ part (a)
def atoms_of(res) -> dict:
    return {a: float(getattr(res, a)) for a in ATOMS}


def baseline_a(args) -> dict:
    """In this process, before the cluster starts (so that the workers' start does not share the CPUs)."""
    from pidkit.discretize import joint_counts

    print(f"\n(a) baselines in this process (before the cluster starts); load average {os.getloadavg()[0]:.1f}")
    # baseline: the same generator in this process, 10^7 rows (or fewer)
    nb = min(args.baseline_samples, args.samples)
    t0 = time.perf_counter()
    a1, a2, ay = numpy_data(nb, args.partition, args.seed, continuous=False, total=args.samples)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    counts_np = np.bincount((a1 * N2 + a2) * NY + ay, minlength=N1 * N2 * NY)
    t_bc = time.perf_counter() - t0
    assert counts_np.sum() == nb
    base = {"rows": nb, "generate_s": t_gen, "bincount_s": t_bc, "bincount_rate": nb / t_bc,
            "generate_bincount_rate": nb / (t_gen + t_bc)}
    disc0 = pid.Discretizer(random_state=args.seed)
    disc0.fit(a1[:200_000], a2[:200_000], ay[:200_000])
    t0 = time.perf_counter()
    k1, k2, ky = disc0.transform(a1, a2, ay)
    joint_counts(k1, k2, ky, (disc0.n_states_["x1"], disc0.n_states_["x2"], disc0.n_states_["y"]))
    t_pk = time.perf_counter() - t0
    base["pidkit_transform_count_s"] = t_pk
    base["pidkit_rate"] = nb / t_pk
    del a1, a2, ay, k1, k2, ky
    print(f"    NumPy baseline on {nb:.0e} rows in this process: bincount of joint codes {t_bc:.3f} s "
          f"({base['bincount_rate']:.3g} samples/s); generation + bincount {t_gen + t_bc:.2f} s "
          f"({base['generate_bincount_rate']:.3g} samples/s); pidkit Discretizer.transform + joint_counts "
          f"{t_pk:.2f} s ({base['pidkit_rate']:.3g} samples/s)", flush=True)

    # one partition in this process: what each pass of pidkit.scale costs per task (same code as the tasks)
    from pidkit.scale.counts import _count_block, _limits, _sample_block

    size = min(args.partition, args.samples)
    k = int(np.ceil(200_000 * size / args.samples))
    per = {}
    for variant, continuous in (("int", False), ("continuous", True)):
        t0 = time.perf_counter()
        b1, b2 = gen_x1(size, args.seed, 0), gen_x2(size, args.seed, 0, continuous)
        by = gen_y(b1, b2, args.seed, 0)
        t_g = time.perf_counter() - t0
        t0 = time.perf_counter()
        _sample_block(b1, b2, by, k, 1, _limits(pid.Discretizer()))
        t_s = time.perf_counter() - t0
        t0 = time.perf_counter()  # for scale: what a full sort per discrete column would cost
        uniq = [np.unique(v, return_index=True) for v in (b1, b2, by) if v.dtype.kind in "iu"]
        t_u = time.perf_counter() - t0
        d = pid.Discretizer(random_state=args.seed).fit(b1[:200_000], b2[:200_000], by[:200_000])
        t0 = time.perf_counter()
        _count_block(b1, b2, by, d, (d.n_states_["x1"], d.n_states_["x2"], d.n_states_["y"]))
        t_c = time.perf_counter() - t0
        per[variant] = {"rows": size, "generate_s": t_g, "sample_block_s": t_s, "unique_return_index_s": t_u,
                        "unique_columns": len(uniq), "count_block_s": t_c}
        print(f"    one partition of {size:.0e} rows in this process ({variant} x2): generate {t_g:.3f} s, "
              f"_sample_block (k={k}) {t_s:.3f} s (a sort-based np.unique(return_index=True) of the {len(uniq)} "
              f"integer columns alone would take {t_u:.3f} s); _count_block {t_c:.3f} s", flush=True)
    base["per_partition"] = per
    return base


def part_a(args, client, base: dict) -> dict:
    from pidkit.discretize import joint_counts
    from pidkit.scale import dask_joint_counts

    out: dict = {"samples": args.samples, "partition": args.partition,
                 "partitions": len(block_sizes(args.samples, args.partition))}
    print(f"\n(a) out-of-core pid.estimate: {args.samples:.0e} samples in {out['partitions']} partitions of "
          f"{args.partition:.0e} rows; LocalCluster 2 workers x 1 thread (processes), memory_limit {args.memory_limit}")

    out["numpy_baseline"] = base
    out["per_partition_in_process"] = base.pop("per_partition")
    hdr = (f"    {'variant':<28}{'wall s':>8}{'samples/s':>11}{'/bincount':>10}{'/gen+bc':>9}"
           f"{'worker peak GB':>16}{'sampler GB':>11}{'table':>13}  atoms R U1 U2 S (bits)")
    rows = {}
    for variant, continuous in (("int x1, int x2", False), ("int x1, continuous x2", True)):
        fresh_workers(client, 2)
        x1, x2, y = dask_data(args.samples, args.partition, args.seed, continuous)
        disc = pid.Discretizer(random_state=args.seed)
        print(f"    running {variant} ...", flush=True)
        try:
            with warnings.catch_warnings(), Sampled(client) as s:
                warnings.simplefilter("ignore")
                res = pid.estimate(x1, x2, y, discretizer=disc, client=client, random_state=args.seed)
        except Exception as exc:  # recorded, not hidden: the numbers measured so far are kept
            rows[variant] = {"error": f"{type(exc).__name__}: {exc}"}
            print(f"    {variant}: FAILED {type(exc).__name__}: {exc}", flush=True)
            continue
        peaks, maxrss = worker_peaks(client)
        load = os.getloadavg()[0]
        # where the time goes: the counting pass alone (Discretizer already fitted), generation alone
        t0 = time.perf_counter()
        dask_joint_counts(x1, x2, y, disc, client=client)
        t_count = time.perf_counter() - t0
        t0 = time.perf_counter()
        client.gather(client.compute([x1.sum(), x2.sum(), y.sum()]))
        t_gen_cl = time.perf_counter() - t0
        shape = tuple(int(v) for v in res.shape)
        row = {"wall_s": s.wall, "rate": args.samples / s.wall, "worker_peak_gb": peaks, "worker_ru_maxrss_gb": maxrss,
               "sampler_total_peak_gb": s.total_peak, "table": shape, "atoms": atoms_of(res),
               "duality_gap": res.diagnostics.duality_gap, "n_samples": res.n_samples,
               "ratio_vs_bincount": (args.samples / s.wall) / base["bincount_rate"],
               "ratio_vs_gen_bincount": (args.samples / s.wall) / base["generate_bincount_rate"],
               "count_pass_only_s": t_count, "generate_only_s": t_gen_cl, "load_avg_1min_after": load}
        assert res.n_samples == args.samples
        # check: first 10^6 rows, the same fitted Discretizer, dask on the cluster vs in memory
        nc = min(args.check_samples, args.samples)
        c1, c2, cy = (v[:nc] for v in (x1, x2, y))
        m1, m2, my = numpy_data(nc, args.partition, args.seed, continuous, total=args.samples)
        cnt_dask, _ = dask_joint_counts(c1, c2, cy, disc, client=client)
        k1, k2, kc = disc.transform(m1, m2, my)
        cnt_mem = joint_counts(k1, k2, kc, cnt_dask.shape)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r_dask = pid.estimate(c1, c2, cy, discretizer=disc, client=client)
            r_mem = pid.estimate(m1, m2, my, discretizer=disc)
        diff = max(abs(getattr(r_dask, a) - getattr(r_mem, a)) for a in ATOMS)
        row["check"] = {"rows": nc, "counts_equal": bool(np.array_equal(cnt_dask, cnt_mem)),
                        "max_atom_diff_bits": float(diff)}
        rows[variant] = row
        print(hdr)
        print(f"    {variant:<28}{s.wall:8.1f}{row['rate']:11.3g}{row['ratio_vs_bincount']:10.3f}"
              f"{row['ratio_vs_gen_bincount']:9.3f}{' / '.join(f'{p:.2f}' for p in peaks):>16}{s.total_peak:11.2f}"
              f"{'x'.join(map(str, shape)):>13}  " + " ".join(f"{v:.4f}" for v in row["atoms"].values()), flush=True)
        print(f"      (ru_maxrss of the workers: {' / '.join(f'{m:.2f}' for m in maxrss)} GB — inherited from the "
              "driver through the nanny's spawn when larger; VmHWM is the workers' own)")
        print(f"      split: counting pass alone (fitted Discretizer) {t_count:.1f} s; generating the data alone "
              f"on the cluster (sums) {t_gen_cl:.1f} s; rest: sampling pass, fit, solve; 1-min load average "
              f"{load:.1f} on "
              f"{os.cpu_count()} CPUs",
              flush=True)
        print(f"      check on {nc:.0e} rows, same fitted Discretizer: count tables equal: "
              f"{row['check']['counts_equal']}; max atom difference dask vs in memory {diff:.1e} bits", flush=True)
        assert row["check"]["counts_equal"] and diff == 0.0
    out["runs"] = rows
    out["driver_peak_gb"] = driver_peak()
    out["memory_method"] = ("worker peak = VmHWM of each worker process (/proc/self/status via client.run) after a "
                            "run on freshly restarted workers; sampler = peak of the cluster-wide total process "
                            "memory from distributed.diagnostics.MemorySampler every 0.25 s")
    print(f"    driver (this process, also hosts the scheduler) peak RSS so far: {out['driver_peak_gb']:.2f} GB")
    return out


# ------------------------------------------------------------------------------------ part (b)
def part_b(args, client) -> dict:
    rng = np.random.default_rng(args.seed)
    B = args.tables
    p = rng.dirichlet(np.ones(N1 // 2 * N2 // 2 * NY), size=B).reshape(B, 10, 10, NY)
    n_loop = min(B, args.loop_tables)
    print(f"\n(b) {B} Dirichlet(1) tables of 10x10x4: decompose_many on the cluster, in this process, "
          f"and a loop of decompose (timed on {n_loop}, extrapolated to {B})")
    fresh_workers(client, 2)
    client.run(lambda: __import__("pidkit"))  # the import is not part of the solve
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        r_cl = pid.decompose_many(p, client=client)
        t_cl = time.perf_counter() - t0
        t0 = time.perf_counter()
        r_lo = pid.decompose_many(p)
        t_lo = time.perf_counter() - t0
        t0 = time.perf_counter()
        loop = [pid.decompose(p[i]) for i in range(n_loop)]
        t_loop = (time.perf_counter() - t0) * B / n_loop
    notes = sorted({str(w.message) for w in caught})
    worker_threads = sorted(client.run(_threads).values())
    same = all(np.array_equal(getattr(r_cl, a), getattr(r_lo, a)) for a in ATOMS)
    cl_lo = max(float(np.abs(getattr(r_cl, a) - getattr(r_lo, a)).max()) for a in ATOMS)
    gaps = np.array([r.diagnostics.duality_gap for r in loop])
    excess = max(float((np.abs(np.array([getattr(r, a) for r in loop]) - getattr(r_lo, a)[:n_loop])
                        - (gaps + r_lo.duality_gap[:n_loop])).max()) for a in ATOMS)
    loop_diff = max(float(np.abs(np.array([getattr(r, a) for r in loop]) - getattr(r_lo, a)[:n_loop]).max())
                    for a in ATOMS)
    out = {"tables": B, "loop_timed_on": n_loop,
           "cluster_s": t_cl, "local_s": t_lo, "loop_s_extrapolated": t_loop,
           "cluster_identical_to_local": same, "max_diff_cluster_local": cl_lo,
           "max_diff_loop_local": loop_diff, "max_excess_over_gaps": excess,
           "max_gap_many": float(r_lo.duality_gap.max()), "max_gap_loop": float(gaps.max()),
           "all_converged": bool(r_lo.converged.all() and r_cl.converged.all()),
           "not_converged_many": np.flatnonzero(~r_lo.converged).tolist(), "warnings": notes,
           "kernel_threads_per_worker": worker_threads, "load_avg_1min_after": os.getloadavg()[0]}
    print(f"    native kernel threads in each worker: {worker_threads}; 1-min load average "
          f"{out['load_avg_1min_after']:.1f} on {os.cpu_count()} CPUs")
    print(f"    {'method':<44}{'time s':>9}{'tables/s':>10}{'vs cluster':>11}")
    for name, t in (("decompose_many(client=) (2 workers x 1 thread)", t_cl),
                    (f"decompose_many in this process ({_threads()} threads)", t_lo),
                    (f"loop of decompose ({n_loop} timed, x{B / n_loop:g})", t_loop)):
        print(f"    {name:<44}{t:9.2f}{B / t:10.0f}{t / t_cl:11.2f}")
    print(f"    cluster atoms identical to local: {same} (max diff {cl_lo:.1e} bits); loop vs many: max diff "
          f"{loop_diff:.1e} bits, max excess over the summed certified gaps {excess:.1e} (<= 0 means within); "
          f"max gap {out['max_gap_many']:.1e} / {out['max_gap_loop']:.1e} bits; all converged {out['all_converged']}",
          flush=True)
    for note in notes:
        print(f"    warning: {note}")
    assert same and excess <= 0.0
    return out


def _threads() -> int:
    from pidkit.estimators.native_backend import default_threads

    return int(default_threads())


# ------------------------------------------------------------------------------------ part (c)
def part_c(args) -> dict:
    print("\n(c) GPU rows")
    try:
        import torch

        cuda = bool(torch.cuda.is_available())
    except ImportError:
        cuda = False
    out: dict = {}
    if not cuda:
        for row in ("decompose 1000x1000x10 solver='torch' (target <= 10 s, gap <= 1e-7 bits)",
                    "BATCH estimate 20,000 x 2 x 64 device='cuda' (target <= 10 s)"):
            print(f"    {row}: unmeasured (no GPU)")
            out[row] = "unmeasured (no GPU)"
        return out
    from pidkit.estimators.exact import SOLVERS

    rng = np.random.default_rng(args.seed)
    name = "decompose 1000x1000x10 solver='torch'"
    if "torch" not in SOLVERS:
        print(f"    {name}: skipped (no solver 'torch'; solvers are {SOLVERS})")
        out[name] = "skipped (no torch solver)"
    else:
        p = rng.dirichlet(np.ones(1000 * 1000 * 10)).reshape(1000, 1000, 10)
        t0 = time.perf_counter()
        res = pid.decompose(p, solver="torch", tol=1e-7)
        t = time.perf_counter() - t0
        out[name] = {"s": t, "gap_bits": res.diagnostics.duality_gap}
        print(f"    {name}: {t:.2f} s, gap {res.diagnostics.duality_gap:.1e} bits (target <= 10 s, <= 1e-7)")
    name = "BATCH estimate 20,000 x 2 x 64 device='cuda'"
    x1, x2 = rng.normal(size=(20_000, 64)), rng.normal(size=(20_000, 64))
    y = ((x1[:, 0] > 0) ^ (x2[:, 0] > 0)).astype(int)
    t0 = time.perf_counter()
    res = pid.estimate(x1, x2, y, estimator="batch", device="cuda", random_state=args.seed)
    t = time.perf_counter() - t0
    out[name] = {"s": t, "atoms": atoms_of(res)}
    print(f"    {name}: {t:.2f} s (target <= 10 s); atoms " + " ".join(f"{v:.3f}" for v in atoms_of(res).values()))
    return out


# ------------------------------------------------------------------------------------ main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default="abc")
    ap.add_argument("--samples", type=int, default=None, help="rows of part (a) (default 10^8; 10^7 with --quick)")
    ap.add_argument("--partition", type=int, default=2_000_000, help="rows per partition in part (a)")
    ap.add_argument("--tables", type=int, default=None, help="tables of part (b) (default 10,000; 2,000 with --quick)")
    ap.add_argument("--memory-limit", default="4GB", help="LocalCluster memory_limit per worker")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="10^7 samples, 2,000 tables")
    ap.add_argument("--json", help="write all numbers to this file")
    args = ap.parse_args(argv)
    args.samples = args.samples or (10**7 if args.quick else 10**8)
    args.tables = args.tables or (2_000 if args.quick else 10_000)
    args.baseline_samples = 10**7
    args.check_samples = 10**6
    args.loop_tables = 200 if args.quick else 1_000

    import dask
    import distributed

    print(f"bench_scale: pidkit {getattr(pid, '__version__', '?')}, dask {dask.__version__}, distributed "
          f"{distributed.__version__}, numpy {np.__version__}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {platform.machine()}", flush=True)
    out: dict = {"args": {k: v for k, v in vars(args).items() if k != "json"}}
    t_all = time.perf_counter()
    cluster = client = None
    base = baseline_a(args) if "a" in args.parts else None
    if "a" in args.parts or "b" in args.parts:
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           memory_limit=args.memory_limit, dashboard_address=":0")
        client = distributed.Client(cluster)
    try:
        if "a" in args.parts:
            out["a"] = part_a(args, client, base)
        if "b" in args.parts:
            out["b"] = part_b(args, client)
        if "c" in args.parts:
            out["c"] = part_c(args)
    finally:
        out["total_s"] = time.perf_counter() - t_all
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(out, fh, indent=1, default=str)
        if client is not None:
            client.close()
            cluster.close()
    print(f"\ntotal {out['total_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
