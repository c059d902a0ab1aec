"""Benchmarks of the BATCH estimator.

(a) ``bench_projection``: the differentiable Sinkhorn projection
    (:func:`pidkit.kernels.sinkhorn.sinkhorn_projection`, forward + implicit backward) against a
    plain unrolled linear-domain Sinkhorn (``A = exp(L)``; T times: scale rows, scale columns; a
    last row scaling; backward by autograd through all T iterations), at EQUAL marginal accuracy:
    ours runs to its default tol, the baseline gets the smallest T (doubling, then bisection)
    whose L1 column error is <= ours. float32, CPU, logits like an encoder's:
    ``scale * f1 f2^T / sqrt(32)`` with unit-normal features (scale 1: "encoder", scale 3:
    "sharper"), targets ``p(y|x1_i)/m`` and ``p(y|x2_j)/m`` from random softmaxes, made consistent.
    Both of our backends are timed (``torch`` and the compiled ``native`` passes). Then the same
    comparison on the inputs the projection really gets: logits and targets recorded every 25th
    step while ``estimate(estimator="batch", batch_size=1024)`` trains on a 10-class
    ``make_classification`` problem split into two 32-feature modalities (not with ``--quick``);
    early steps are near-flat, later ones sharper; per step and in total. Also the
    backward's Schur solve, Cholesky vs conjugate gradients, by side length (tunes
    ``DIRECT_MAX_SIDE``), and the per-iteration cost of the two forward backends (tunes
    ``_NATIVE_IS_FASTER`` and the kernel's threading).
(b) ``bench_end_to_end``: ``pid.estimate(x1, x2, y, estimator="batch")`` with default options on
    20,000 samples of ``pidkit.synthetic.latent_modalities`` (two 64-dimensional modalities;
    ``--labels``, default ``mixed``): wall time, where it went, and the atoms.
(c) ``bench_cuda``: the projection on CUDA, with the memory bandwidth it achieves (bytes of K read
    by the iterations / time). Skips with a message without a GPU.
(d) ``bench_oracles`` (only with ``--parts d``): BATCH against exact answers — one-hot XOR, AND,
    COPY, RDN (n = 20,000), a random 8x8x3 pmf (n = 50,000) and the Gaussian mixture of
    :func:`pidkit.synthetic.gaussian_mixture`
    (‖μ‖ = 2, angles 0, π/8, π/4; exact solver on a 200x200 grid of the density).

    python benchmarks/bench_batch.py               # parts a, b, c (~10 min on 2 cores)
    python benchmarks/bench_batch.py --quick       # m = 256 and one m = 1024 case, one repeat
    python benchmarks/bench_batch.py --parts d     # the oracles (~4 min)

Times are the best of ``--repeats`` runs in this process (the machine may be shared: compare
within a run; on shared cores ``--threads 1`` gives stable numbers, as every parallel region
otherwise waits for a core). "graph MiB" is what autograd keeps for backward (saved tensors), the memory that
grows with T for the baseline and stays constant for ours. Results also go to
``benchmarks/results/bench_batch.txt`` (``bench_batch_<parts>.txt`` for other ``--parts``).
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
import warnings
from contextlib import redirect_stdout
from functools import partial
from pathlib import Path

from _tee import Tee  # benchmarks/_tee.py (scripts run from this folder)

RESULTS = Path(__file__).resolve().parent / "results" / "bench_batch.txt"


def make_problem(torch, n_y: int, m: int, scale: float, seed: int = 0, d: int = 32):
    """Encoder-like logits (n_y, m, m) and consistent log-targets, float32."""
    g = torch.Generator().manual_seed(seed)
    f1 = torch.randn(n_y, m, d, generator=g)
    f2 = torch.randn(n_y, m, d, generator=g)
    logits = scale * f1 @ f2.transpose(1, 2) / math.sqrt(d)
    p1 = torch.softmax(2.0 * torch.randn(m, n_y, generator=g, dtype=torch.float64), dim=1).T / m
    p2 = torch.softmax(2.0 * torch.randn(m, n_y, generator=g, dtype=torch.float64), dim=1).T / m
    p2 = p2 * (p1.sum(1, keepdim=True) / p2.sum(1, keepdim=True))
    return logits, p1.log().float(), p2.log().float()


def baseline(torch, logits, log_row, log_col, iterations: int):
    """Unrolled linear-domain Sinkhorn; returns q (rows exact after a last row scaling)."""
    r, c = log_row.exp(), log_col.exp()
    q = logits.exp()
    for _ in range(iterations):
        q = q * (r / q.sum(2)).unsqueeze(2)
        q = q * (c / q.sum(1)).unsqueeze(1)
    return q * (r / q.sum(2)).unsqueeze(2)


def baseline_iterations(torch, logits, log_row, log_col, target: float, cap: int = 4096) -> tuple[int, float]:
    """Smallest T whose column error is <= target (doubling, then bisection), and that error."""
    c = log_col.exp()

    def err(t):
        with torch.no_grad():
            return float((baseline(torch, logits, log_row, log_col, t).sum(1) - c).abs().sum())

    hi = 1
    while err(hi) > target:
        if hi >= cap:
            return cap, err(cap)
        hi *= 2
    lo = hi // 2  # err(lo) > target (or lo = 0)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if err(mid) <= target else (mid, hi)
    return hi, err(hi)


def ours_step(sk, x, log_row, log_col, backend: str):
    """Our projection, forward + backward of the negative entropy sum q log q."""
    x.grad = None
    log_q, info = sk.sinkhorn_projection(x, log_row, log_col, backend=backend)
    (log_q.exp() * log_q).sum().backward()
    return info


def baseline_step(torch, x, log_row, log_col, iterations: int) -> None:
    """The unrolled baseline, forward + backward of the same loss."""
    x.grad = None
    q = baseline(torch, x, log_row, log_col, iterations)
    (q * q.log()).sum().backward()


def timed(torch, fn, repeats: int):
    """Best wall time of fn() (forward + backward) and the bytes autograd saved in the last run."""
    fn()  # warm-up: first-call costs (thread pools, allocator) are not what we compare
    best, saved = math.inf, 0
    for _ in range(repeats):
        sizes = []

        def pack(t, sizes=sizes):
            sizes.append(t.numel() * t.element_size())
            return t

        start = time.perf_counter()
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            out = fn()
        best = min(best, time.perf_counter() - start)
        saved = sum(sizes)
    return best, saved, out


def bench_projection(args) -> None:
    """Part (a): ours (torch, native) vs the unrolled baseline at equal marginal accuracy."""
    import torch

    from pidkit.kernels import _sinkhorn_torch as skt
    from pidkit.kernels import _sinkhorn_tuning as tuning
    from pidkit.kernels import sinkhorn as sk

    print("(a) Sinkhorn projection, forward + backward, float32, CPU, best of", args.repeats, "run(s)")
    print(
        f"    torch {torch.__version__}, {torch.get_num_threads()} threads, native kernel "
        f"{'built' if sk.native_sinkhorn_available() else 'MISSING'}, python {platform.python_version()}"
    )
    configs = [(m, n_y, case) for m in (256, 1024) for n_y in (2, 10) for case in ("encoder", "sharper")]
    if args.quick:
        configs = [c for c in configs if c[0] == 256] + [(1024, 10, "encoder")]
    scales = {"encoder": 1.0, "sharper": 3.0}
    backends = ["torch"] + (["native"] if sk.native_sinkhorn_available() else [])
    head = (
        f"{'m':>5} {'|Y|':>3} {'logits':>8} | {'iters':>5} {'err ours':>9} | {'T':>4} {'err base':>9} | "
        + " ".join(f"{'t ' + b + ' s':>10}" for b in backends)
        + f" {'t base s':>9} | "
        + " ".join(f"{'x vs ' + b:>11}" for b in backends)
        + f" | {'graph MiB ours/base':>19}"
    )
    print(head)
    print("-" * len(head))
    for m, n_y, case in configs:
        logits, log_row, log_col = make_problem(torch, n_y, m, scales[case])
        times, info = {}, None
        x = logits.requires_grad_(True)
        for backend in backends:
            run = partial(ours_step, sk, x, log_row, log_col, backend)
            times[backend], saved_ours, info = timed(torch, run, args.repeats)
        t_base_iters, err_base = baseline_iterations(torch, logits.detach(), log_row, log_col, info.marginal_error)
        run = partial(baseline_step, torch, x, log_row, log_col, t_base_iters)
        t_base, saved_base, _ = timed(torch, run, args.repeats)
        print(
            f"{m:>5} {n_y:>3} {case:>8} | {info.iterations:>5} {info.marginal_error:>9.2e} | {t_base_iters:>4} "
            f"{err_base:>9.2e} | "
            + " ".join(f"{times[b]:>10.3f}" for b in backends)
            + f" {t_base:>9.3f} | "
            + " ".join(f"{t_base / times[b]:>10.1f}x" for b in backends)
            + f" | {saved_ours / 2**20:>8.1f} / {saved_base / 2**20:>8.1f}",
            flush=True,
        )

    if not args.quick:
        bench_trained_inputs(args, torch, sk, backends)

    print("\n    forward iterations alone (fixed count, ms per iteration, float32 unless noted):")
    print(f"    {'Y x m x m':>16} {'dtype':>8} {'threads':>7} {'torch':>8} {'native':>8} {'ratio':>6}")
    threads0 = torch.get_num_threads()
    sizes = [(10, 256), (2, 1024), (10, 1024)]
    for n_threads in sorted({1, threads0}):
        torch.set_num_threads(n_threads)
        for n_y, m in sizes:
            for dtype in (torch.float32, torch.float64):
                kern = torch.rand(n_y, m, m, generator=torch.Generator().manual_seed(1), dtype=dtype) + 0.5
                r = torch.full((n_y, m), 1.0 / (n_y * m), dtype=dtype)
                per = {}
                for name, fn in (("torch", skt.torch_iterate), ("native", skt.native_iterate)):
                    if name == "native" and not sk.native_sinkhorn_available():
                        continue
                    best = math.inf
                    for _ in range(3):
                        a, b = torch.ones_like(r), torch.ones_like(r)
                        start = time.perf_counter()
                        fn(kern, r, r, a, b, 0.0, 20, 200.0, 1)
                        best = min(best, (time.perf_counter() - start) / 20)
                    per[name] = best * 1e3
                nat = per.get("native", math.nan)
                print(
                    f"    {f'{n_y} x {m} x {m}':>16} {str(dtype)[6:]:>8} {n_threads:>7} {per['torch']:>8.3f} "
                    f"{nat:>8.3f} {per['torch'] / nat:>5.2f}x"
                )
    torch.set_num_threads(threads0)

    print("\n    backward by side length n (|Y| = 10, m = n, 'sharper' logits, ms): Cholesky vs CG")
    print(f"    {'n':>5} {'Cholesky':>9} {'CG':>9}")
    direct0 = tuning.DIRECT_MAX_SIDE
    for n in (16, 32, 64, 128, 256):
        logits, log_row, log_col = make_problem(torch, 10, n, 3.0)
        x = logits.requires_grad_(True)
        grad = torch.randn(x.shape, generator=torch.Generator().manual_seed(2))
        per = []
        for direct in (10**9, 0):
            tuning.DIRECT_MAX_SIDE = direct
            best = math.inf
            for _ in range(5):
                x.grad = None
                log_q, _ = sk.sinkhorn_projection(x, log_row, log_col)
                start = time.perf_counter()
                log_q.backward(grad)
                best = min(best, time.perf_counter() - start)
            per.append(best * 1e3)
        print(f"    {n:>5} {per[0]:>9.2f} {per[1]:>9.2f}")
    tuning.DIRECT_MAX_SIDE = direct0


def record_training_inputs(torch, sk, n: int = 10_240, every: int = 25):
    """The projection's inputs at every ``every``-th training step of a real BATCH fit, m = 1024, |Y| = 10.

    Data: scikit-learn's ``make_classification`` (64 features, 10 classes, seed 0), split into two
    32-feature modalities; the estimator with its default options except batch_size=1024 (epochs,
    early stopping), seed 0. Returns a list of (step, logits, log_row, log_col) and the number of
    training steps with m = 1024.
    """
    from sklearn.datasets import make_classification

    import pidkit as pid

    x, y = make_classification(n_samples=n, n_features=64, n_informative=24, n_redundant=8, n_classes=10,
                               n_clusters_per_class=1, random_state=0)
    recorded, step = [], [0]
    original = sk.sinkhorn_projection

    def spy(logits, log_row, log_col, *a, **k):
        if logits.requires_grad and logits.shape[1] == 1024:
            if step[0] % every == 0:
                recorded.append((step[0], logits.detach().clone(), log_row.detach().clone(), log_col.detach().clone()))
            step[0] += 1
        return original(logits, log_row, log_col, *a, **k)

    sk.sinkhorn_projection = spy
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pid.estimate(x[:, ::2], x[:, 1::2], y, estimator="batch", batch_size=1024, random_state=0)
    finally:
        sk.sinkhorn_projection = original
    return recorded, step[0]


def bench_trained_inputs(args, torch, sk, backends) -> None:
    """Ours vs the baseline on the inputs the projection gets while a real fit trains (m = 1024, |Y| = 10)."""
    print("\n    inputs recorded while training: make_classification(10,240 x 64, 10 classes) split 32 + 32,")
    recorded, steps = record_training_inputs(torch, sk)
    print(f"    estimate(estimator='batch', batch_size=1024), default epochs and early stopping: {steps} steps with")
    print("    m = 1024, every 25th timed; equal marginal accuracy")
    head = (f"    {'step':>5} | {'iters':>5} {'err ours':>9} | {'T':>4} {'err base':>9} | "
            + " ".join(f"{'t ' + b + ' s':>10}" for b in backends) + f" {'t base s':>9} | "
            + " ".join(f"{'x vs ' + b:>11}" for b in backends))
    print(head)
    total = dict.fromkeys([*backends, "base"], 0.0)
    for step, logits, log_row, log_col in recorded:
        x = logits.requires_grad_(True)
        times, info = {}, None
        for backend in backends:
            times[backend], _, info = timed(torch, partial(ours_step, sk, x, log_row, log_col, backend), args.repeats)
        t_iters, err_base = baseline_iterations(torch, logits.detach(), log_row, log_col, info.marginal_error)
        times["base"], _, _ = timed(torch, partial(baseline_step, torch, x, log_row, log_col, t_iters), args.repeats)
        for key in total:
            total[key] += times[key]
        print(f"    {step:>5} | {info.iterations:>5} {info.marginal_error:>9.2e} | {t_iters:>4} {err_base:>9.2e} | "
              + " ".join(f"{times[b]:>10.3f}" for b in backends) + f" {times['base']:>9.3f} | "
              + " ".join(f"{times['base'] / times[b]:>10.1f}x" for b in backends), flush=True)
    print(f"    {'all':>5} | {'':>5} {'':>9} | {'':>4} {'':>9} | "
          + " ".join(f"{total[b]:>10.3f}" for b in backends) + f" {total['base']:>9.3f} | "
          + " ".join(f"{total['base'] / total[b]:>10.1f}x" for b in backends))


def bench_end_to_end(args) -> None:
    """Part (b): estimate(..., estimator="batch") on 20,000 samples of 2 x 64-dimensional data."""
    import pidkit as pid
    from pidkit.synthetic import latent_modalities

    print("\n(b) end to end: pid.estimate(x1, x2, y, estimator='batch') on latent_modalities(20_000, dim=64),")
    print("    default options, device 'auto'; atoms in bits ± spread across held-out batches")
    for label in [lab for lab in args.labels.split(",") if lab]:
        x1, x2, y = latent_modalities(20_000, label=label, dim=64, random_state=args.seed)
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = pid.estimate(x1, x2, y, estimator="batch", random_state=args.seed)
        dt = time.perf_counter() - t0
        d, std = res.diagnostics.details, res.diagnostics.atom_std
        atoms = "  ".join(f"{a}={getattr(res, a):.3f}±{std[a]:.3f}" for a in ("R", "U1", "U2", "S"))
        split = ", ".join(f"{k} {v:.1f} s" for k, v in d["time_s"].items())
        print(f"    {label:<10} {dt:7.1f} s on {d['device']}  {atoms}  I(X1,X2;Y)={res.total:.3f}")
        print(f"    {'':<10} ({split}; {d['coupling_epochs']} epochs, {d['coupling_steps']} steps, "
              f"m = {d['batch_size']}, {d['sinkhorn_iterations_train_mean']:.1f} Sinkhorn iterations per step)")
        for w in caught:
            print(f"    {'':<10} warning: {str(w.message)[:160]}")


def bench_cuda(args) -> None:
    """Part (c): the projection on CUDA and the memory bandwidth its iterations achieve."""
    import torch

    from pidkit.kernels import sinkhorn as sk

    print("\n(c) Sinkhorn projection on CUDA")
    if not torch.cuda.is_available():
        print("    skipped: no CUDA device (this part runs on a GPU machine only)")
        return
    dev = torch.device("cuda")
    print(f"    {torch.cuda.get_device_name(dev)}, torch {torch.__version__}")
    print(
        f"    {'Y x m x m':>18} {'dtype':>8} {'logits':>8} {'iters':>5} {'fwd ms':>8} {'fwd+bwd ms':>10} "
        f"{'GB/s (iters)':>12} {'peak MiB':>9}"
    )
    sizes = [(10, 1024), (10, 4096)] if args.quick else [(10, 1024), (10, 4096), (10, 8192), (100, 1024)]
    for n_y, m in sizes:
        for dtype in (torch.float32, torch.float64):
            for case, scale in (("encoder", 1.0), ("sharper", 3.0)):
                logits, log_row, log_col = (t.to(dev, dtype) for t in make_problem(torch, n_y, m, scale))
                sk.sinkhorn_projection(logits, log_row, log_col)  # warm-up
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats(dev)
                fwd = fwd_bwd = math.inf
                for _ in range(args.repeats):
                    x = logits.clone().requires_grad_(True)
                    torch.cuda.synchronize()
                    start = time.perf_counter()
                    log_q, info = sk.sinkhorn_projection(x, log_row, log_col)
                    torch.cuda.synchronize()
                    mid = time.perf_counter()
                    (log_q.exp() * log_q).sum().backward()
                    torch.cuda.synchronize()
                    fwd, fwd_bwd = min(fwd, mid - start), min(fwd_bwd, time.perf_counter() - start)
                # the iterations read K twice each (two matrix-vector products); setup and output add
                # a few more passes, so this is a lower bound on the bandwidth actually achieved
                bytes_iter = 2 * logits.numel() * logits.element_size() * info.iterations
                peak = torch.cuda.max_memory_allocated(dev) / 2**20
                print(
                    f"    {f'{n_y} x {m} x {m}':>18} {str(dtype)[6:]:>8} {case:>8} {info.iterations:>5} "
                    f"{fwd * 1e3:>8.2f} {fwd_bwd * 1e3:>10.2f} {bytes_iter / fwd / 1e9:>12.1f} {peak:>9.0f}"
                )


ORACLE_ANGLES = {"gmm0": 0.0, "gmm8": math.pi / 8, "gmm4": math.pi / 4}
ORACLE_CASES = ("xor", "and", "copy", "rdn", "rand8x8x3", *ORACLE_ANGLES)


def one_hot(v, k: int):
    import numpy as np

    return np.eye(k)[v]


def case_data(name: str):
    """(x1, x2, y, exact result) of one oracle case."""
    import numpy as np

    import pidkit as pid
    from pidkit.synthetic import gate_pmf, gaussian_mixture, gaussian_mixture_pmf, sample_pmf

    if name in ORACLE_ANGLES:
        p, _ = gaussian_mixture_pmf(norm=2.0, angle=ORACLE_ANGLES[name], bins=200, half_width=6.5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the gap reached is printed instead
            ex = pid.decompose(p, tol=1e-6)
        x1, x2, y = gaussian_mixture(20_000, norm=2.0, angle=ORACLE_ANGLES[name], random_state=0)
        return x1.reshape(-1, 1), x2.reshape(-1, 1), y, ex
    if name == "rand8x8x3":
        p = np.random.default_rng(1).dirichlet(np.ones(8 * 8 * 3)).reshape(8, 8, 3)
        n = 50_000
    else:
        p, n = gate_pmf(name), 20_000
    x1, x2, y = sample_pmf(p, n, random_state=0)
    return one_hot(x1, p.shape[0]), one_hot(x2, p.shape[1]), y, pid.decompose(p)


def bench_oracles(args) -> None:
    """Part (d): BATCH atoms against exact answers (gates, a random 8x8x3 pmf, the Gaussian mixture)."""
    import pidkit as pid

    cases, seed = [c for c in args.cases.split(",") if c], args.seed
    print("(d) BATCH oracles: one-hot gates (n = 20,000), random 8x8x3 (n = 50,000), Gaussian mixture (n = 20,000)")
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
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes and one m = 1024 case, one repeat")
    ap.add_argument("--repeats", type=int, default=None, help="timed runs per measurement (default 3, quick 1)")
    ap.add_argument("--no-save", action="store_true", help=f"do not write {RESULTS.name}")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    ap.add_argument("--parts", default="abc", help="which parts to run: any of a, b, c, d (default abc)")
    ap.add_argument("--labels", default="mixed", help="part (b): comma-separated latent_modalities labels")
    ap.add_argument("--cases", default=",".join(ORACLE_CASES), help="part (d): comma-separated oracle cases")
    ap.add_argument("--seed", type=int, default=0, help="random_state of parts (b) and (d)")
    args = ap.parse_args(argv)
    if set(args.parts) - set("abcd"):
        ap.error(f"--parts takes letters from 'abcd'; got {args.parts!r}")
    unknown = sorted(set(args.cases.split(",")) - set(ORACLE_CASES))
    if unknown:
        ap.error(f"unknown oracle case(s) {unknown}; choose from {list(ORACLE_CASES)}")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    tee = Tee()

    with redirect_stdout(tee):
        print(f"$ python benchmarks/bench_batch.py {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
        print(f"  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {platform.platform()}\n")
        parts = {"a": bench_projection, "b": bench_end_to_end, "c": bench_cuda, "d": bench_oracles}
        for key in "abcd":
            if key in args.parts:
                parts[key](args)
    if not args.no_save:
        out = RESULTS.with_name(f"bench_batch_{args.parts}.txt") if args.parts != "abc" else RESULTS
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(tee.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
