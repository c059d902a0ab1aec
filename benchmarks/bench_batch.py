"""Benchmarks of the BATCH estimator.

(a) ``bench_projection``: the differentiable Sinkhorn projection
    (:func:`pidkit.kernels.sinkhorn.sinkhorn_projection`, forward + implicit backward) against a
    plain unrolled linear-domain Sinkhorn (``A = exp(L)``; T times: scale rows, scale columns; a
    last row scaling; backward by autograd through all T iterations), at EQUAL marginal accuracy:
    ours runs to its default tol, the baseline gets the smallest T (doubling, then bisection)
    whose L1 column error is <= ours. float32, CPU, logits like an encoder's:
    ``scale * f1 f2^T / sqrt(32)`` with unit-normal features (scale 1: "encoder", scale 3:
    "sharper"), targets ``p(y|x1_i)/m`` and ``p(y|x2_j)/m`` from random softmaxes, made consistent.
    Both of our backends are timed (``torch`` and the compiled ``native`` forward). Also the
    backward's Schur solve, Cholesky vs conjugate gradients, by side length (tunes
    ``_DIRECT_MAX_SIDE``), and the per-iteration cost of the two forward backends (tunes
    ``_NATIVE_IS_FASTER`` and the kernel's threading).
(c) ``bench_cuda``: the projection on CUDA, with the memory bandwidth it achieves (bytes of K read
    by the iterations / time). Skips with a message without a GPU.

    python benchmarks/bench_batch.py            # everything (~10 min on 2 shared cores)
    python benchmarks/bench_batch.py --quick    # m = 256 and one m = 1024 case, one repeat

Times are the best of ``--repeats`` runs in this process (the machine may be shared: compare
within a run; on shared cores ``--threads 1`` gives stable numbers, as every parallel region
otherwise waits for a core). "graph MiB" is what autograd keeps for backward (saved tensors), the memory that
grows with T for the baseline and stays constant for ours. Results also go to
``benchmarks/results/bench_batch_projection.txt``.
"""

from __future__ import annotations

import argparse
import io
import math
import platform
import sys
import time
from contextlib import redirect_stdout
from functools import partial
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "bench_batch_projection.txt"


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
                for name, fn in (("torch", sk._torch_iterate), ("native", sk._native_iterate)):
                    if name == "native" and not sk.native_sinkhorn_available():
                        continue
                    best = math.inf
                    for _ in range(3):
                        a, b = torch.ones_like(r), torch.ones_like(r)
                        start = time.perf_counter()
                        fn(torch, kern, r, r, a, b, 0.0, 20, 200.0, 1)
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
    direct0 = sk._DIRECT_MAX_SIDE
    for n in (16, 32, 64, 128, 256):
        logits, log_row, log_col = make_problem(torch, 10, n, 3.0)
        x = logits.requires_grad_(True)
        grad = torch.randn(x.shape, generator=torch.Generator().manual_seed(2))
        per = []
        for direct in (10**9, 0):
            sk._DIRECT_MAX_SIDE = direct
            best = math.inf
            for _ in range(5):
                x.grad = None
                log_q, _ = sk.sinkhorn_projection(x, log_row, log_col)
                start = time.perf_counter()
                log_q.backward(grad)
                best = min(best, time.perf_counter() - start)
            per.append(best * 1e3)
        print(f"    {n:>5} {per[0]:>9.2f} {per[1]:>9.2f}")
    sk._DIRECT_MAX_SIDE = direct0


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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes and one m = 1024 case, one repeat")
    ap.add_argument("--repeats", type=int, default=None, help="timed runs per measurement (default 3, quick 1)")
    ap.add_argument("--no-save", action="store_true", help=f"do not write {RESULTS.name}")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    args = ap.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    buffer = io.StringIO()

    class Tee(io.TextIOBase):
        def write(self, s):
            sys.__stdout__.write(s)
            buffer.write(s)
            return len(s)

        def flush(self):
            sys.__stdout__.flush()

    with redirect_stdout(Tee()):
        print(f"$ python benchmarks/bench_batch.py {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
        print(f"  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {platform.platform()}\n")
        bench_projection(args)
        bench_cuda(args)
    if not args.no_save:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(buffer.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
