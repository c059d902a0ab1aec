"""Do pidkit's intervals, bias corrections and tests keep their promises?

(a) Coverage and bias. Tables whose PID is known exactly — the AND, XOR and COPY gates, three
    random 3x3x2 pmfs (Dirichlet(1)) and the latent table of the suite preset ``mix4`` — are
    sampled ``--reps`` times at n = 200, 500, 1000, 5000, 20000; each sample's count table gets
    95% intervals (BCa and percentile, ``--n-boot`` resamples) and bias corrections. Reported:
    coverage of every interval, separately for *interior* atoms (true value > 0) and *boundary*
    ones (true value 0, where the bootstrap is known to fail), and for the informations; the mean
    bias and mean absolute error of the raw, bootstrap-corrected and extrapolation-corrected
    estimates.
(b) Tests. False-positive rate of each permutation test at nominal 5% over ``--nulls`` datasets
    drawn from its null (n = 1000), and its power on XOR, COPY and AND at n = 1000.
(c) Speed. 1000 bootstrap replicates of a 20x20x4 table through ``decompose_many`` against a
    Python loop over ``decompose``, in the same run, and a whole ``pid.bootstrap`` call.
(d) BATCH. The digits and gate oracles with the multimodal classifier stacked on the unimodal
    ones (default) and without: atoms, their read-out interval, the joint classifier's
    validation accuracy and NLL.

    python benchmarks/bench_uncertainty.py                      # everything (~N min on 2 cores)
    python benchmarks/bench_uncertainty.py --parts bc --quick   # a fast look
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

import numpy as np

import pidkit as pid
from pidkit.exceptions import PIDKitWarning
from pidkit.synthetic import gate_pmf, suite_data
from pidkit.uncertainty import table_uncertainty
from pidkit.uncertainty.permutation import TESTS, optimal_coupling, permutation_tests

ATOMS = ("R", "U1", "U2", "S")
INFOS = ("total", "I1", "I2")
QUANTITIES = (*ATOMS, *INFOS)
SIZES = (200, 500, 1000, 5000, 20000)


def noisy_gate(name: str, eps: float = 0.1) -> np.ndarray:
    """The gate with its label replaced by a uniform draw with probability ``eps``: full support."""
    p = gate_pmf(name)
    pair = p.sum(2, keepdims=True)
    return (1 - eps) * p + eps * pair / p.shape[2]


def known_tables(seed: int) -> dict[str, tuple[np.ndarray, bool]]:
    """``{name: (pmf, regular)}``: regular tables have no deterministic label (every label possible
    wherever the pair occurs), so a positive atom is interior; the exact gates, whose labels are
    functions of the inputs, put the truth on the edge of the parameter space and are reported apart."""
    rng = np.random.default_rng(seed)
    tables = {f"{g} + 10% label noise": (noisy_gate(g), True) for g in ("and", "xor", "copy")}
    for i in range(3):
        tables[f"random 3x3x2 #{i}"] = (rng.dirichlet(np.ones(18)).reshape(3, 3, 2), True)
    tables["suite mix4 latent 8x8x4"] = (suite_data("mix4", n=10).spec.latent_pmf(), True)
    for g in ("and", "xor"):
        tables[f"{g} (exact, deterministic)"] = (gate_pmf(g), False)
    return tables


def decompose_counts(counts: np.ndarray):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PIDKitWarning)
        return pid.decompose(counts, normalize=True)


# ------------------------------------------------------------------------------------ part (a)
def part_a(args) -> dict:
    """Coverage per quantity, then grouped: interior (true > 0), clearly interior (true > 3 standard
    errors at that n: a small positive atom behaves like one at 0 until n makes it stand out) and
    boundary (true 0) atoms; interior and boundary informations."""
    rng = np.random.default_rng(args.seed)
    out = {}
    print(f"\n(a) coverage of 95% intervals over {args.reps} samples per table and size; n_boot {args.n_boot}")
    print(f"{'table':<27}{'n':>6}  {'atoms: interior':>15} {'>3 SE':>11} {'boundary':>11}  {'infos: >0':>11} "
          f"{'=0':>11}   {'MAE raw':>8}{'boot':>8}{'extrap':>8}")
    print(f"{'':<33}{'(BCa / pct)':>15} {'':>11} {'':>11}  {'':>11} {'':>11}   (atoms, bits)")
    for name, (p, regular) in known_tables(args.seed).items():
        truth = pid.decompose(p)
        for n in args.sizes:
            hits = {(q, m): [] for q in QUANTITIES for m in ("bca", "percentile")}
            ses = {q: [] for q in QUANTITIES}
            errs = {k: [] for k in ("raw", "bootstrap", "extrapolation")}
            signed = {k: [] for k in errs}
            for _ in range(args.reps):
                counts = rng.multinomial(n, p.ravel()).reshape(p.shape).astype(np.float64)
                res = decompose_counts(counts)
                seed = int(rng.integers(2**31 - 1))
                for method in ("bca", "percentile"):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", PIDKitWarning)
                        unc = table_uncertainty(counts, res, level=0.95, method=method, n_boot=args.n_boot,
                                                bias=method == "bca", random_state=seed)
                    for q in QUANTITIES:
                        lo, hi = unc.intervals[q]
                        hits[(q, method)].append(lo - 1e-9 <= getattr(truth, q) <= hi + 1e-9)
                    if method == "bca":
                        for q in QUANTITIES:
                            ses[q].append(unc.std[q])
                        for a in ATOMS:
                            t = getattr(truth, a)
                            vals = {"raw": getattr(res, a), "bootstrap": unc.corrected["bootstrap"][a],
                                    "extrapolation": unc.corrected["extrapolation"][a]}
                            for k, v in vals.items():
                                errs[k].append(abs(v - t))
                                signed[k].append(v - t)
            groups = {
                "interior": [a for a in ATOMS if regular and getattr(truth, a) > 1e-6],
                "clear": [a for a in ATOMS if regular and getattr(truth, a) > 3 * np.mean(ses[a])],
                "boundary": [a for a in ATOMS if getattr(truth, a) <= 1e-6],
                "info+": [q for q in INFOS if regular and getattr(truth, q) > 1e-6],
                "info0": [q for q in INFOS if getattr(truth, q) <= 1e-6],
            }
            row = {"regular": regular}
            for g, keys in groups.items():
                for m in ("bca", "percentile"):
                    h = [x for q in keys for x in hits[(q, m)]]
                    row[f"{g}_{m}"] = float(np.mean(h)) if h else None
            row.update({f"mae_{k}": float(np.mean(v)) for k, v in errs.items()})
            row.update({f"bias_{k}": float(np.mean(v)) for k, v in signed.items()})
            row["coverage_by_quantity"] = {q: [float(np.mean(hits[(q, m)])) for m in ("bca", "percentile")]
                                           for q in QUANTITIES}
            out[f"{name} n={n}"] = row

            def pair(g, row=row):
                b, c = row[f"{g}_bca"], row[f"{g}_percentile"]
                return "     —     " if b is None else f"{b:.3f}/{c:.3f}"

            print(f"{name:<27}{n:>6}  {pair('interior'):>15} {pair('clear'):>11} {pair('boundary'):>11}  "
                  f"{pair('info+'):>11} {pair('info0'):>11}   {row['mae_raw']:8.4f}{row['mae_bootstrap']:8.4f}"
                  f"{row['mae_extrapolation']:8.4f}", flush=True)
    print("\nsummary by n over the regular tables (BCa / percentile; mean and min over tables):")
    for n in args.sizes:
        rows = [v for k, v in out.items() if k.endswith(f" n={n}") and v["regular"]]

        def agg(g, rows=rows):
            vals = [(r[f"{g}_bca"], r[f"{g}_percentile"]) for r in rows if r[f"{g}_bca"] is not None]
            if not vals:
                return "—"
            b, c = np.array(vals).T
            return f"{b.mean():.3f} (min {b.min():.3f}) / {c.mean():.3f} (min {c.min():.3f})"

        print(f"  n={n:>6}: interior atoms {agg('interior')}; >3 SE {agg('clear')}; boundary atoms {agg('boundary')}; "
              f"informations > 0 {agg('info+')}")
    print("summary: mean absolute error and mean bias of the atoms (bits), regular tables:")
    for n in args.sizes:
        rows = [v for k, v in out.items() if k.endswith(f" n={n}") and v["regular"]]
        print(f"  n={n:>6}: MAE raw {np.mean([r['mae_raw'] for r in rows]):.4f}, bootstrap-corrected "
              f"{np.mean([r['mae_bootstrap'] for r in rows]):.4f}, extrapolation-corrected "
              f"{np.mean([r['mae_extrapolation'] for r in rows]):.4f}; bias raw "
              f"{np.mean([r['bias_raw'] for r in rows]):+.4f}, bootstrap "
              f"{np.mean([r['bias_bootstrap'] for r in rows]):+.4f}, extrapolation "
              f"{np.mean([r['bias_extrapolation'] for r in rows]):+.4f}")
    return out


# ------------------------------------------------------------------------------------ part (b)
def null_table(test: str, rng: np.random.Generator) -> np.ndarray:
    if test == "total":  # y independent of the pair
        return (rng.dirichlet(np.ones(9)).reshape(3, 3, 1) * rng.dirichlet(np.ones(2)).reshape(1, 1, 2))
    if test == "x1":  # x1 independent of y given x2: p(x2) p(x1|x2) p(y|x2)
        p2 = rng.dirichlet(np.ones(3))
        return np.einsum("b,ba,by->aby", p2, rng.dirichlet(np.ones(3), size=3), rng.dirichlet(np.ones(2), size=3))
    if test == "x2":
        p1 = rng.dirichlet(np.ones(3))
        return np.einsum("a,ab,ay->aby", p1, rng.dirichlet(np.ones(3), size=3), rng.dirichlet(np.ones(2), size=3))
    return optimal_coupling(rng.dirichlet(np.ones(18)).reshape(3, 3, 2))  # S = 0, random pairwise marginals


def run_tests(p: np.ndarray, n: int, tests: tuple[str, ...], n_perm: int, rng: np.random.Generator) -> dict:
    counts = rng.multinomial(n, p.ravel()).reshape(p.shape)
    c1, c2, cy = (np.repeat(ax, counts.ravel()) for ax in np.indices(p.shape).reshape(3, -1))
    res = decompose_counts(counts.astype(np.float64))
    pv, _ = permutation_tests((c1, c2, cy), p.shape, res, tests=tests, n_perm=n_perm, rng=rng)
    return pv


def part_b(args) -> dict:
    rng = np.random.default_rng(args.seed + 1)
    out = {"fpr": {}, "power": {}}
    print(f"\n(b) permutation tests: n = 1000, {args.n_perm} permutations each, nominal 5%")
    for test in TESTS:
        rejections = [run_tests(null_table(test, rng), 1000, (test,), args.n_perm, rng)[test] <= 0.05
                      for _ in range(args.nulls)]
        out["fpr"][test] = float(np.mean(rejections))
        print(f"  {test:<8} H0 {TESTS[test]}\n           false-positive rate {np.mean(rejections):.3f} over "
              f"{args.nulls} null datasets", flush=True)
    print(f"  power at n = 1000 ({args.power_reps} datasets each; synergy on COPY is a null: S = 0):")
    for gate in ("xor", "copy", "and"):
        rej = {t: [] for t in TESTS}
        for _ in range(args.power_reps):
            for t, pv in run_tests(gate_pmf(gate), 1000, tuple(TESTS), args.n_perm, rng).items():
                rej[t].append(pv <= 0.05)
        out["power"][gate] = {t: float(np.mean(v)) for t, v in rej.items()}
        print(f"    {gate:<5} " + ", ".join(f"{t} {np.mean(v):.2f}" for t, v in rej.items()), flush=True)
    return out


# ------------------------------------------------------------------------------------ part (c)
def part_c(args) -> dict:
    rng = np.random.default_rng(args.seed + 2)
    p = rng.dirichlet(np.ones(1600)).reshape(20, 20, 4)
    counts = rng.multinomial(20_000, p.ravel()).reshape(p.shape)
    reps = rng.multinomial(20_000, (counts / counts.sum()).ravel(), size=1000).reshape(1000, 20, 20, 4)
    reps = reps.astype(np.float64)
    t0 = time.perf_counter()
    batch = pid.decompose_many(reps, normalize=True)
    t_many = time.perf_counter() - t0
    t0 = time.perf_counter()
    loop = [pid.decompose(r, normalize=True).S for r in reps]
    t_loop = time.perf_counter() - t0
    t0 = time.perf_counter()
    pid.bootstrap(counts, random_state=0)
    t_full = time.perf_counter() - t0
    agree = float(np.max(np.abs(np.asarray(loop) - batch.S)))
    print(f"\n(c) 1000 bootstrap replicates of a 20x20x4 table (20,000 samples): decompose_many {t_many:.2f} s, "
          f"Python loop over decompose {t_loop:.2f} s ({t_loop / t_many:.1f}x); max |dS| {agree:.1e} bits; "
          f"pid.bootstrap (BCa with its jackknife, corrections) {t_full:.2f} s")
    return {"decompose_many_s": t_many, "loop_s": t_loop, "ratio": t_loop / t_many, "bootstrap_s": t_full}


# ------------------------------------------------------------------------------------ part (d)
def part_d(args) -> dict:
    import torch

    from pidkit.datasets import load_digits_halves
    from pidkit.synthetic import sample_pmf

    torch.set_num_threads(2)
    cases = {"digits": load_digits_halves()}
    for gate in ("xor", "and", "copy", "rdn"):
        a, b, y = sample_pmf(gate_pmf(gate), 20_000, random_state=0)
        cases[gate] = (np.eye(2)[a], np.eye(2)[b], y)
    out = {}
    print("\n(d) BATCH: the multimodal classifier stacked on the unimodal ones (default) or not")
    print(f"  {'data':<8}{'stacked':>9}" + "".join(f"{a + ' [95% read-out CI]':>26}" for a in ATOMS)
          + f"{'joint acc':>11}{'NLL':>7}{'s':>6}")
    for name, (x1, x2, y) in cases.items():
        for stack in (True, False):
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PIDKitWarning)
                kw = {"batch_size": 256} if name == "digits" else {}
                res = pid.estimate(x1, x2, y, estimator="batch", ci=0.95, random_state=0, stack_unimodal=stack, **kw)
            j = res.diagnostics.details["classifiers"]["joint"]
            cells = []
            for a in ATOMS:
                lo, hi = res.ci(a)
                cells.append(f"{getattr(res, a):7.3f} [{lo:7.3f}, {hi:7.3f}]")
            out[f"{name} stacked={stack}"] = {"atoms": res.atoms, "intervals": {a: res.ci(a) for a in ATOMS},
                                              "joint_val_accuracy": j["val_accuracy"],
                                              "joint_val_nll": j["val_nll_nats"]}
            print(f"  {name:<8}{str(stack):>9}" + "".join(f"{c:>26}" for c in cells)
                  + f"{j['val_accuracy']:11.3f}{j['val_nll_nats']:7.3f}{time.perf_counter() - t0:6.0f}", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default="abcd")
    ap.add_argument("--reps", type=int, default=200, help="samples per table and size in part (a)")
    ap.add_argument("--n-boot", type=int, default=500, help="bootstrap resamples per interval in part (a)")
    ap.add_argument("--nulls", type=int, default=1000, help="null datasets per test in part (b)")
    ap.add_argument("--power-reps", type=int, default=100, help="datasets per gate for the power in part (b)")
    ap.add_argument("--n-perm", type=int, default=200, help="permutations per test in part (b)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="30 reps, 3 sizes, 100 nulls")
    ap.add_argument("--json", help="write all numbers to this file")
    args = ap.parse_args()
    args.sizes = SIZES
    if args.quick:
        args.reps, args.nulls, args.power_reps, args.sizes = 30, 100, 20, (200, 1000, 5000)
    print(f"pidkit {pid.__version__}; command: python " + " ".join(sys.argv))
    t0 = time.perf_counter()
    out = {}
    for part, fn in (("a", part_a), ("b", part_b), ("c", part_c), ("d", part_d)):
        if part in args.parts:
            out[part] = fn(args)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
