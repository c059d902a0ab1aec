"""Native backend of the exact estimator: the interior-point kernel of :mod:`pidkit.kernels`.

The kernel (compiled C++, or its NumPy twin) returns an exactly feasible primal ``q`` and a
strictly feasible dual ``lambda``. This module re-verifies both independently with the NumPy
code of :class:`~pidkit.estimators._problem.BROJAProblem` (objective, marginals, dual value),
so the reported gap never rests on the kernel's own arithmetic alone.
"""

from __future__ import annotations

import os

import numpy as np

from ..kernels import get_kernel, kernel_name
from ._problem import BROJAProblem
from .cvxpy_backend import BackendSolution

__all__ = ["solve_native", "pair_major", "n_threads"]


def n_threads() -> int:
    """Threads for the kernel: ``$PIDKIT_NUM_THREADS`` or the number of usable cores."""
    env = os.environ.get("PIDKIT_NUM_THREADS")
    if env:
        return max(1, int(env))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def pair_major(prob: BROJAProblem):
    """Kernel arguments for ``prob`` plus ``order``: kernel cell i is ``prob``'s cell ``order[i]``."""
    order = np.lexsort((prob.iy, prob.pair))
    counts = np.bincount(prob.pair, minlength=prob.n_pairs)
    cell_ptr = np.zeros(prob.n_pairs + 1, dtype=np.int64)
    np.cumsum(counts, out=cell_ptr[1:])
    first = order[cell_ptr[:-1]]
    n1, n2, ny = prob.shape
    args = (
        n1,
        n2,
        ny,
        np.ascontiguousarray(prob.a.ravel()),
        np.ascontiguousarray(prob.b.ravel()),
        prob.i1[first].astype(np.int64),
        prob.i2[first].astype(np.int64),
        cell_ptr,
        prob.iy[order].astype(np.int64),
    )
    return args, order


def solve_native(prob: BROJAProblem, *, tol: float, max_iter: int = 200, kernel: str | None = None) -> BackendSolution:
    """Solve with the interior-point kernel to a certified gap ``tol`` (nats)."""
    name = kernel_name(kernel)
    mod = get_kernel(name)
    args, order = pair_major(prob)
    r = mod.ipm_solve(*args, float(tol), int(max_iter), n_threads())
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
        solver=f"native/ipm ({'C++' if name == 'native' else 'NumPy twin'})",
        max_marginal_violation=prob.marginal_violation(q),
        raw_marginal_violation=float(r["max_marginal_violation"]),
        time_s=float(r["seconds"]),
    )
