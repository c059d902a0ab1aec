r"""cvxpy backend of the exact estimator (ECOS, SCS or Clarabel).

The program of :mod:`pidkit.estimators._problem` is stated on the support vector ``q`` with sparse
matrices only:

.. math::

    \min_q \; \mathbf{1}^\top \operatorname{rel\_entr}(q, P^\top P q)
    \quad \text{s.t.} \quad A_1 q = a, \; A_2 q = b,

where ``P`` (pairs × cells) sums ``q`` over ``y`` for each (x1, x2) pair, and ``A_1``, ``A_2``
sum it into the pairwise marginals. ``rel_entr(x, y) = x log(x / y)`` is jointly convex, so the
problem is DCP and becomes an exponential-cone program.

The solver status is checked against cvxpy's constants: ``OPTIMAL`` and ``OPTIMAL_INACCURATE``
are accepted (the latter is reported in the status, and the certificate below — not the solver's
word — decides whether the result meets the requested accuracy); anything else raises
:class:`~pidkit.exceptions.SolverError`. The returned ``q`` is rounded to exact feasibility and a
dual lower bound is built from the equality constraints' multipliers, so the result carries a
certified duality gap like every other backend.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..exceptions import SolverError
from ._problem import BROJAProblem

__all__ = ["CVXPY_SOLVERS", "solve_cvxpy", "BackendSolution"]

#: pidkit solver name -> (cvxpy solver constant, options for a tolerance ``tol`` in nats).
#: Clarabel's static regularization (default 1e-8) limits its accuracy on large tables: on a
#: 100x100x10 Dirichlet table it stops with AlmostSolved 2e-6 bits from the optimum by default, 7e-7
#: bits with 1e-10 (87 instead of 44 iterations; benchmarks/bench_exact.py).
CVXPY_SOLVERS = {
    "clarabel": (
        "CLARABEL",
        lambda tol: {
            "tol_gap_abs": tol,
            "tol_gap_rel": tol,
            "tol_feas": tol,
            "max_iter": 500,
            "static_regularization_constant": 1e-10,
        },
    ),
    "ecos": ("ECOS", lambda tol: {"abstol": tol, "reltol": tol, "feastol": tol, "max_iters": 500}),
    "scs": ("SCS", lambda tol: {"eps_abs": tol, "eps_rel": tol, "max_iters": 200_000}),
}


@dataclass
class BackendSolution:
    """What a backend returns: a feasible primal point, a dual bound, and bookkeeping."""

    q: np.ndarray
    primal_value: float  # f(q) in nats, q exactly feasible
    dual_value: float  # a certified lower bound on min f, nats
    iterations: int | None
    status: str
    solver: str
    max_marginal_violation: float
    raw_marginal_violation: float
    time_s: float


def _matrices(prob: BROJAProblem):
    n1, n2, ny = prob.shape
    m = prob.n_cells
    cols = np.arange(m)
    ones = np.ones(m)
    # rows of A1 / A2: only the (x, y) with positive marginal (the others have no cells)
    ra = prob.i1 * ny + prob.iy
    rb = prob.i2 * ny + prob.iy
    used_a, ra = np.unique(ra, return_inverse=True)
    used_b, rb = np.unique(rb, return_inverse=True)
    A1 = sp.csr_matrix((ones, (ra, cols)), shape=(used_a.size, m))
    A2 = sp.csr_matrix((ones, (rb, cols)), shape=(used_b.size, m))
    P = sp.csr_matrix((ones, (prob.pair, cols)), shape=(prob.n_pairs, m))
    a = prob.a.ravel()[used_a]
    b = prob.b.ravel()[used_b]
    return A1, A2, P, a, b, used_a, used_b


def solve_cvxpy(
    prob: BROJAProblem, *, solver: str = "clarabel", tol: float = 1e-9, verbose: bool = False
) -> BackendSolution:
    """Solve the BROJA program with cvxpy and the named conic solver.

    Parameters
    ----------
    prob : BROJAProblem
    solver : {"clarabel", "ecos", "scs"}
    tol : float
        Tolerance handed to the solver (absolute and relative gap, feasibility), in nats.
    """
    import cvxpy as cp

    const, opts = CVXPY_SOLVERS[solver]
    if const not in cp.installed_solvers():
        raise SolverError(
            f"cvxpy solver {const} is not installed (installed: {cp.installed_solvers()}); "
            f"install it with `pip install {solver}` or choose another solver."
        )
    n1, n2, ny = prob.shape
    A1, A2, P, a, b, used_a, used_b = _matrices(prob)
    q = cp.Variable(prob.n_cells, nonneg=True)
    cons_a = A1 @ q == a
    cons_b = A2 @ q == b
    objective = cp.Minimize(cp.sum(cp.rel_entr(q, P.T @ (P @ q))))
    problem = cp.Problem(objective, [cons_a, cons_b])
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # cvxpy's own chatter; the status is checked below
            problem.solve(solver=getattr(cp, const), verbose=verbose, **opts(tol))
    except cp.error.SolverError as exc:
        raise SolverError(
            f"cvxpy/{const} failed on a {n1}x{n2}x{ny} table ({prob.n_cells} support cells): {str(exc).rstrip('.')}. "
            "Try another solver (solver='clarabel', 'ecos' or 'scs') or solver='auto'."
        ) from exc
    elapsed = time.perf_counter() - t0
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or q.value is None:
        raise SolverError(
            f"cvxpy/{const} returned status {problem.status!r} (expected {cp.OPTIMAL!r}) on a "
            f"{n1}x{n2}x{ny} table ({prob.n_cells} support cells). Try solver='clarabel' (most accurate) "
            "or another solver, or coarsen the discretization."
        )
    q_raw = np.asarray(q.value, dtype=np.float64)
    raw_violation = prob.marginal_violation(q_raw)
    q_feas = prob.round_to_feasible(q_raw)
    primal = prob.objective(q_feas)
    # the data pmf is feasible too: never report something worse than it
    p_sup = prob.p_on_support()
    primal_p = prob.objective(p_sup)
    if primal_p < primal:
        q_feas, primal = p_sup, primal_p
    dual = _dual_bound(prob, cons_a.dual_value, cons_b.dual_value, used_a, used_b)
    stats = problem.solver_stats
    iters = getattr(stats, "num_iters", None)
    return BackendSolution(
        q=q_feas,
        primal_value=primal,
        dual_value=dual,
        iterations=None if iters is None else int(iters),
        status=str(problem.status),
        solver=f"cvxpy/{const}",
        max_marginal_violation=prob.marginal_violation(q_feas),
        raw_marginal_violation=raw_violation,
        time_s=elapsed,
    )


def _dual_bound(prob: BROJAProblem, nu_a, nu_b, used_a, used_b) -> float:
    """Certified lower bound from the multipliers of ``A1 q = a`` and ``A2 q = b``.

    cvxpy's multipliers enter its Lagrangian as ``f(q) + nu^T (A q - b)``, so ``lambda = -nu``.
    Rows with no support cells have no constraint; their value does not matter. Both signs are
    tried defensively and the larger (still certified) bound kept: a wrong sign only gives a
    weaker, never an invalid, bound.
    """
    if nu_a is None or nu_b is None:
        return -np.inf
    n1, n2, ny = prob.shape
    best = -np.inf
    for sign in (-1.0, 1.0):
        lam1 = np.zeros(n1 * ny)
        lam2 = np.zeros(n2 * ny)
        lam1[used_a] = sign * np.asarray(nu_a, dtype=np.float64).ravel()
        lam2[used_b] = sign * np.asarray(nu_b, dtype=np.float64).ravel()
        best = max(best, prob.dual_value(lam1.reshape(n1, ny), lam2.reshape(n2, ny)))
    return best
