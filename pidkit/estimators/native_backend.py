"""Native backend of the exact estimator: the interior-point kernel of :mod:`pidkit.kernels`.

The kernel (compiled C++, or its NumPy twin) returns an exactly feasible primal ``q`` and a
strictly feasible dual ``lambda``. This module re-verifies both independently with the NumPy
code of :class:`~pidkit.estimators._problem.BROJAProblem` (objective, marginals, dual value),
so the reported gap never rests on the kernel's own arithmetic alone.
"""

from __future__ import annotations

import math
from contextlib import nullcontext
from typing import Any

import numpy as np

from .._memory import MEMORY_CHECK_FLOOR, binding_memory_limit, memory_limit
from .._threads import env_threads, idle_cores, idle_cores_now, limit_blas, usable_cores
from ..exceptions import ParameterError, TableTooLargeError
from ..kernels import get_kernel, kernel_name
from ..kernels.support import kernel_args
from ._problem import BROJAProblem
from .cvxpy_backend import BackendSolution

__all__ = ["solve_native", "pair_major", "default_threads", "solve_threads", "plan_native", "default_solver_bytes",
           "ELIMINATIONS", "MULTI_THREAD_FLOPS", "MEASURED_LOAD_FLOPS"]

#: ``elimination`` choices of the native kernel: ``"auto"`` picks the cheaper one by estimated cost.
#: ``"pairs"``: Schur complement onto one modality's (node, label) unknowns, for tables with many
#: states per modality; ``"labels"``: block elimination per label plus a pairs x pairs capacitance
#: matrix (Woodbury), for tables with few (x1, x2) pairs and many labels.
ELIMINATIONS = {"auto": 0, "pairs": 1, "labels": 2}


def default_solver_bytes() -> int:
    """Working-memory budget of one solve: 3/4 of what this process may still allocate.

    That is physical memory, or less under an address-space / data limit (``ulimit -v`` / ``-d``) or a
    cgroup memory limit (:func:`pidkit._memory.memory_limit`).
    """
    return int(0.75 * memory_limit())


#: Estimated flops of one factorization (the plan's ``flops_*``) from which a solve may use more than
#: one thread: below it one thread is as fast even on an idle machine (60x60x10, 1.7e8 flops: 0.118 vs
#: 0.117 s), above it a second idle core pays (100x100x10, 8e8: 0.46 vs 0.38 s; 200x200x10, 6.6e9:
#: 3.8 vs 2.7 s). `benchmarks/bench_exact.py --under-load`; docs/dev-notes.md, "Threads".
MULTI_THREAD_FLOPS = 5e8
#: From here a solve takes seconds, and the idle cores are measured over 50 ms of CPU counters rather
#: than read from the run queue at one instant.
MEASURED_LOAD_FLOPS = 2e10
#: Below this many flops per factorization the Schur complement (under 64 unknowns) is factored by the
#: kernel's own routines, so the BLAS thread pools need not be set.
BLAS_FLOPS = 1e5


def default_threads() -> int:
    """Threads of ``decompose_many`` (parallel over tables): ``$PIDKIT_NUM_THREADS`` or the usable cores."""
    return env_threads() or usable_cores()


def solve_threads(threads: int | str, plan: dict, choice: str) -> int:
    """Threads of one solve: ``threads`` if an int, else ``$PIDKIT_NUM_THREADS``, else by the work.

    ``"auto"``: 1 below :data:`MULTI_THREAD_FLOPS` per factorization, else the usable cores other
    processes leave idle (from the run queue, or measured over 50 ms from :data:`MEASURED_LOAD_FLOPS`).
    """
    if threads != "auto":
        return int(threads)
    fixed = env_threads()
    if fixed is not None:
        return fixed
    flops = plan.get(f"flops_{choice}")
    if flops is None or not flops >= MULTI_THREAD_FLOPS:
        return 1
    return idle_cores() if flops >= MEASURED_LOAD_FLOPS else idle_cores_now()


def pair_major(prob: BROJAProblem):
    """Kernel arguments for ``prob`` plus ``order``: kernel cell i is ``prob``'s cell ``order[i]``."""
    return kernel_args(prob.a, prob.b, prob.i1, prob.i2, prob.iy, prob.pair, prob.n_pairs)


def _pairs_plan(prob: BROJAProblem) -> dict:
    """Memory of the Schur elimination (what the NumPy twin does), estimated from the support alone."""
    n1, n2, ny = prob.shape
    n_a, n_b = (n1, n2) if n1 >= n2 else (n2, n1)
    n_s = n_b * ny
    factor = 8.0 * ((n_a + n_b) * ny * ny + n_s * n_s)
    base = 8.0 * (12 * (n1 + n2) * ny + 8 * prob.n_cells + 12 * prob.n_pairs)
    flops = n_a * ny**3 / 3.0 + 0.5 * n_s * n_s * n_a * ny + n_s**3 / 3.0  # as the C++ kernel's plan
    return {"elimination": "pairs", "bytes": factor + base, "bytes_pairs": factor + base, "bytes_labels": np.inf,
            "flops_pairs": flops}


def plan_native(prob: BROJAProblem, *, elimination: str = "auto", max_bytes: int | None = None,
                kernel: str | None = None, args: tuple | None = None) -> tuple[str, dict]:
    """Choose the elimination of a solve and check its estimated memory before anything is allocated.

    Returns ``(elimination, plan)``; ``plan`` holds the kernel's estimates (``bytes_pairs``,
    ``bytes_labels``, ``flops_*`` for the C++ kernel). With ``"auto"``, the cheaper elimination is
    taken unless it needs more than ``max_bytes`` and the other does not. Raises
    :class:`TableTooLargeError` when the chosen elimination would exceed ``max_bytes``.
    """
    if elimination not in ELIMINATIONS:
        raise ParameterError(f"elimination must be one of {list(ELIMINATIONS)}; got {elimination!r}.")
    name = kernel_name(kernel)
    if name == "native":
        if args is None:
            args, _ = pair_major(prob)
        plan = dict(get_kernel(name).ipm_plan(*args))
    else:
        if elimination == "labels":
            raise ParameterError("elimination='labels' needs the compiled kernel; the NumPy twin eliminates by pairs.")
        plan = _pairs_plan(prob)
    choice = plan["elimination"] if elimination == "auto" else elimination
    if max_bytes is not None:
        budget, origin = int(max_bytes), "max_solver_bytes"
    elif min(plan["bytes_pairs"], plan["bytes_labels"]) <= MEMORY_CHECK_FLOOR:
        budget, origin = MEMORY_CHECK_FLOOR, ""  # small solves: the limits are not read (80 us, on every call)
    else:
        room, limit = binding_memory_limit()
        budget, origin = int(0.75 * room), f"3/4 of what this process may still allocate under {limit}"
    if elimination == "auto" and plan[f"bytes_{choice}"] > budget:
        other = "labels" if choice == "pairs" else "pairs"
        if plan[f"bytes_{other}"] <= budget:
            choice = other
    need = plan[f"bytes_{choice}"]
    if need > budget:
        n1, n2, ny = prob.shape
        raise TableTooLargeError(
            f"solving this {n1} x {n2} x {ny} table ({prob.n_cells:,} support cells, {prob.n_pairs:,} (x1, x2) "
            f"pairs) needs about {need / 1024**3:.1f} GiB of working memory (elimination {choice!r}), above the "
            f"budget of {budget / 1024**3:.2f} GiB ({origin}). Use fewer states per modality or label "
            "(smaller n_bins / n_clusters, merge rare labels), or raise max_solver_bytes / the limit if the machine "
            "has the memory."
        )
    return choice, plan


def solve_native(
    prob: BROJAProblem,
    *,
    tol: float,
    max_iter: int = 200,
    kernel: str | None = None,
    elimination: str = "auto",
    max_bytes: int | None = None,
    torch_device: Any = None,
    threads: int | str = "auto",
) -> BackendSolution:
    """Solve with the interior-point kernel to a certified gap ``tol`` (nats).

    The elimination and its memory are decided first (:func:`plan_native`): a table whose solve
    would not fit ``max_bytes`` raises :class:`TableTooLargeError` before the kernel allocates.
    With ``torch_device`` (a device torch accepts), the NumPy twin's loop runs with its Newton
    systems factored by torch on that device (:mod:`pidkit.kernels.torch_newton`), whatever ``kernel``.
    ``threads`` (see :func:`solve_threads`) sets the kernel's OpenMP threads and, for the solve, the
    threads of every loaded BLAS library.
    """
    name = "python" if torch_device is not None else kernel_name(kernel)
    mod = get_kernel(name)
    args, order = pair_major(prob)  # once: the plan and the solve share it
    choice, plan = plan_native(prob, elimination=elimination, max_bytes=max_bytes, kernel=name, args=args)
    n_thr = solve_threads(threads, plan, choice)
    extra = {"elimination": ELIMINATIONS[choice]} if name == "native" else {}
    if torch_device is not None:
        extra = {"newton": "torch", "device": torch_device}
        label = f"torch Schur, {torch_device}"
    else:
        label = "C++" if name == "native" else "NumPy twin"
    out_of_memory: tuple[type[BaseException], ...] = (MemoryError,)
    if torch_device is not None:  # device memory is not in the estimate: torch's error becomes pidkit's
        import torch

        out_of_memory += (getattr(torch.cuda, "OutOfMemoryError", MemoryError),)
    try:
        # tiny factorizations use the kernel's own routines, not BLAS: no pools to set (18 us a call)
        with limit_blas(n_thr) if plan.get(f"flops_{choice}", math.inf) >= BLAS_FLOPS else nullcontext():
            r = mod.ipm_solve(*args, float(tol), int(max_iter), n_thr, **extra)
    except out_of_memory as exc:  # the estimate missed (other processes took the memory): still a pidkit error
        n1, n2, ny = prob.shape
        where = f" on {torch_device}" if torch_device is not None else ""
        raise TableTooLargeError(
            f"the solver ran out of memory{where} on this {n1} x {n2} x {ny} table ({prob.n_cells:,} support "
            f"cells) with elimination {choice!r}. Free memory, or use fewer states per modality or label."
        ) from exc
    q = np.empty(prob.n_cells)
    q[order] = np.asarray(r["q"], dtype=np.float64)
    lam1 = np.asarray(r["lam1"], dtype=np.float64).reshape(prob.a.shape)
    lam2 = np.asarray(r["lam2"], dtype=np.float64).reshape(prob.b.shape)
    primal = prob.objective(q)
    dual = prob.dual_value(lam1, lam2)
    return BackendSolution(
        q=q,
        primal_value=primal,
        dual_value=dual,
        iterations=int(r["iterations"]),
        # "optimal" like the cvxpy backends when the certificate met tol, else the kernel's reason
        status="optimal" if r["converged"] else str(r.get("status", "not_converged")),
        solver=f"native/ipm ({label})",
        max_marginal_violation=prob.marginal_violation(q),
        raw_marginal_violation=float(r["max_marginal_violation"]),
        time_s=float(r["seconds"]),
    )
