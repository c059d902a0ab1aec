r"""Maximum entropy with three fixed pairwise marginals, by iterative proportional fitting (IPF).

The redundancy lower bound on synergy (:func:`pidkit.bounds.synergy_bounds`) needs

.. math::

    H^\star = \max_{r \in \Delta_{12,1,2}} H_r(X_1, X_2, Y), \qquad
    \Delta_{12,1,2} = \{ r \ge 0 : r(x_1, x_2) = p(x_1, x_2),\ r(x_1, y) = p(x_1, y),\
    r(x_2, y) = p(x_2, y) \}.

IPF started from the uniform distribution on the *support mask*
:math:`M = \{(x_1, x_2, y) : p(x_1, x_2) > 0,\ p(x_1, y) > 0,\ p(x_2, y) > 0\}` (every feasible
``r`` vanishes outside it) rescales the three pairwise marginals in turn. Every iterate has the
log-linear form :math:`r_k = u_M \, f_{12}(x_1, x_2) f_1(x_1, y) f_2(x_2, y)` and sums to 1, and
IPF converges to the maximum-entropy member of :math:`\Delta_{12,1,2}` when that set is not empty.

**Certified upper bound.** For *any* iterate (converged or not) and any feasible ``r``, Gibbs'
inequality gives

.. math::

    H(r) \le -\sum_x r(x) \log r_k(x)
        = \log |M| - \sum p(x_1,x_2) \log f_{12} - \sum p(x_1,y) \log f_1 - \sum p(x_2,y) \log f_2
        =: \bar H_k,

because ``r`` and ``r_k``'s factors only meet through the fixed marginals. So
:math:`H^\star \le \bar H_k` at every iteration; the bounds use :math:`\bar H_k` and stay valid
even when IPF stops early (they are then only looser, by at most ``entropy_gap`` =
:math:`\bar H_k - H(r_k)` once the marginal error is small). If :math:`\bar H_k` falls below
the entropy of one of the fixed pairwise marginals, no joint distribution has these three
marginals (every feasible ``r`` has :math:`H(r) \ge H(X_1, X_2)` etc.): ``infeasible`` is set.

All quantities are in nats; arrays carry a leading stack axis ``B``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..info import entropy_nats

__all__ = ["MaxEntResult", "maxent_pairwise", "DEFAULT_IPF_TOL", "DEFAULT_IPF_MAX_ITER"]

#: stopping tolerance on the largest L1 marginal error sum |r(.) - p(.)| over the three marginals.
#: Dense problems reach it in tens of iterations; when the maximum-entropy solution lies on the
#: boundary (sparse tables) IPF converges sublinearly; the certified entropy bound (hence S_R) then
#: moves by ~1e-4 bits between 5,000 and 50,000 iterations (digits example), and stays valid anyway.
DEFAULT_IPF_TOL = 1e-6
#: iteration budget (one iteration = one pass over the three marginals)
DEFAULT_IPF_MAX_ITER = 20000


@dataclass(frozen=True)
class MaxEntResult:
    """Output of :func:`maxent_pairwise` for a stack of B problems (entropies in nats).

    Attributes
    ----------
    r : ndarray (B, n1, n2, ny)
        Last IPF iterate (a distribution; exactly feasible only in the limit).
    entropy_upper : ndarray (B,)
        Certified upper bound :math:`\\bar H` on the maximum entropy (see module docstring).
    entropy : ndarray (B,)
        Entropy of the last iterate ``r``.
    marginal_error : ndarray (B,)
        Largest L1 error of ``r``'s three pairwise marginals.
    iterations : ndarray of int (B,)
        Iterations each problem used.
    converged : ndarray of bool (B,)
        ``marginal_error <= tol``.
    infeasible : ndarray of bool (B,)
        Certified: no joint distribution has the three given marginals.
    """

    r: np.ndarray
    entropy_upper: np.ndarray
    entropy: np.ndarray
    marginal_error: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    infeasible: np.ndarray

    @property
    def entropy_gap(self) -> np.ndarray:
        """``entropy_upper - entropy``: slack of the certified bound at the last iterate."""
        return self.entropy_upper - self.entropy


def _ratio(target: np.ndarray, current: np.ndarray) -> np.ndarray:
    """target / current where current > 0, else 1 (those cells carry no mass)."""
    out = np.ones_like(current)
    pos = current > 0
    out[pos] = target[pos] / current[pos]
    return out


def _marginal_errors(r, p12, p1, p2):
    e12 = np.abs(r.sum(axis=3) - p12).sum(axis=(1, 2))
    e1 = np.abs(r.sum(axis=2) - p1).sum(axis=(1, 2))
    e2 = np.abs(r.sum(axis=1) - p2).sum(axis=(1, 2))
    return np.maximum(np.maximum(e12, e1), e2)


def _ipf(p12, p1, p2, mask, tol, max_iter):
    """IPF from the uniform distribution on ``mask``; returns r, log-factors, errors, iterations, |mask|.

    ``r`` is updated multiplicatively; the factors are accumulated in the log domain (on boundary
    problems they diverge and would overflow as plain numbers).
    """
    size = mask.sum(axis=(1, 2, 3)).astype(np.float64)
    r = np.where(mask, 1.0 / np.maximum(size, 1.0)[:, None, None, None], 0.0)
    l12 = np.zeros_like(p12)
    l1 = np.zeros_like(p1)
    l2 = np.zeros_like(p2)
    B = p12.shape[0]
    iterations = np.zeros(B, dtype=np.int64)
    err = _marginal_errors(r, p12, p1, p2)
    active = err > tol
    it = 0
    while active.any() and it < max_iter:
        it += 1
        idx = np.flatnonzero(active)
        ra = r[idx]
        g = _ratio(p12[idx], ra.sum(axis=3))
        l12[idx] += _log_pos(g)
        ra *= g[:, :, :, None]
        g = _ratio(p1[idx], ra.sum(axis=2))
        l1[idx] += _log_pos(g)
        ra *= g[:, :, None, :]
        g = _ratio(p2[idx], ra.sum(axis=1))
        l2[idx] += _log_pos(g)
        ra *= g[:, None, :, :]
        r[idx] = ra
        iterations[idx] = it
        err[idx] = _marginal_errors(ra, p12[idx], p1[idx], p2[idx])
        active[idx] = err[idx] > tol
    return r, l12, l1, l2, err, iterations, size


def _log_pos(g: np.ndarray) -> np.ndarray:
    """log g where g > 0, else 0 (zero ratios only occur on cells outside the support)."""
    out = np.zeros_like(g)
    pos = g > 0
    out[pos] = np.log(g[pos])
    return out


def maxent_pairwise(
    p12: np.ndarray,
    p1: np.ndarray,
    p2: np.ndarray,
    *,
    tol: float = DEFAULT_IPF_TOL,
    max_iter: int = DEFAULT_IPF_MAX_ITER,
) -> MaxEntResult:
    """Maximum-entropy joint with fixed pairwise marginals, by IPF (stacked problems, nats).

    Parameters
    ----------
    p12 : ndarray (B, n1, n2)
        Target :math:`p(x_1, x_2)` of each problem (sums to 1).
    p1 : ndarray (B, n1, ny)
        Target :math:`p(x_1, y)`.
    p2 : ndarray (B, n2, ny)
        Target :math:`p(x_2, y)`.
    tol : float
        Stop when the largest L1 marginal error is at most ``tol``.
    max_iter : int
        Iteration budget.

    Returns
    -------
    MaxEntResult
        The caller decides whether to warn about non-convergence (it knows the option names).
    """
    p12 = np.asarray(p12, dtype=np.float64)
    p1 = np.asarray(p1, dtype=np.float64)
    p2 = np.asarray(p2, dtype=np.float64)
    mask = (p12[:, :, :, None] > 0) & (p1[:, :, None, :] > 0) & (p2[:, None, :, :] > 0)
    # a pair (x1, x2) with mass but no label compatible with both x1 and x2: certainly infeasible
    support_clash = ((p12 > 0) & ~mask.any(axis=3)).any(axis=(1, 2)) | ~mask.any(axis=(1, 2, 3))
    mask &= ~support_clash[:, None, None, None]
    r, l12, l1, l2, err, iterations, size = _ipf(p12, p1, p2, mask, tol, max_iter)
    h_upper = np.log(np.maximum(size, 1.0)) + np.log(np.maximum(r.sum(axis=(1, 2, 3)), 1e-300))
    for target, lf in ((p12, l12), (p1, l1), (p2, l2)):
        pos = target > 0
        term = np.zeros_like(target)
        term[pos] = target[pos] * lf[pos]
        h_upper = h_upper - term.sum(axis=(1, 2))
    h_floor = np.maximum(np.maximum(entropy_nats(p12, (1, 2)), entropy_nats(p1, (1, 2))), entropy_nats(p2, (1, 2)))
    infeasible = support_clash | (h_upper < h_floor - 1e-9) | (size == 0)
    h_upper = np.where(infeasible, -np.inf, h_upper)
    converged = (err <= tol) & ~infeasible
    return MaxEntResult(
        r=r,
        entropy_upper=h_upper,
        entropy=entropy_nats(r, (1, 2, 3)),
        marginal_error=err,
        iterations=iterations,
        converged=converged,
        infeasible=infeasible,
    )
