"""Ince's common change in surprisal, I_ccs (Ince 2017).

For a node with collections A1 … Ak, take the maximum-entropy distribution ``q`` over
(X_A1, …, X_Ak, Y) that keeps every pair ``p(x_Ai, y)`` and the sources' joint ``p(x_A1, …, x_Ak)``
(found by iterative proportional fitting). At every event of ``q`` form the local co-information
``c = Σ_{S ⊆ {A1, …, Ak, Y}, S ≠ ∅} (-1)^|S| log q(s)`` and the local informations
``i(a_i; y)`` and ``i(a_1 … a_k; y)``; the redundancy is the average of ``c`` over the events where all
of them have the sign of ``c`` ("a common change in surprisal"):

``I∩ = Σ q(e) c(e) [sign c = sign i(a_i; y) for all i = sign i(a_1 … a_k; y)]``.

Local quantities within ``ZERO`` nats of 0 count as 0 (their sign is that of 0). A node of one
collection has redundancy ``I(X_A; Y)``. The atoms of I_ccs can be negative (misinformation).
Collections that share sources (``{12}{13}``) are handled on the joint table of their union, to
which the tuple (x_A1, …, x_Ak) is one-to-one on the support.
"""

from __future__ import annotations

import itertools

import numpy as np

from ._information import informations
from .lattice import Lattice

__all__ = ["redundancy", "maxent", "ZERO", "IPF_TOL", "IPF_MAX_ITER"]

NAME = "ccs"
TITLE = "Ince's common change in surprisal"

#: Local informations (nats) treated as 0 when comparing signs.
ZERO = 1e-9
#: Iterative proportional fitting stops when every kept marginal is within this of the data's.
IPF_TOL = 1e-13
#: ... or after this many sweeps (then the largest violation is reported, and warned about).
IPF_MAX_ITER = 5_000
#: Sweeps before the support is checked by a linear program (zeros the marginals do not show).
FAST_SWEEPS = 2000


def _axes(mask: int, n: int) -> tuple[int, ...]:
    return tuple(1 + i for i in range(n) if mask >> i & 1)


def _support(pu: np.ndarray, groups: list[tuple[int, ...]]) -> np.ndarray:
    """Cells of one table (|X_u1|, …, |Y|) that some distribution with the kept marginals puts mass on.

    The maximum-entropy table is positive exactly there; IPF started on a larger set only creeps
    towards zeros it cannot see (O(1/k)). One linear program on the homogenized constraint cone,
    ``max Σ z`` with ``0 <= z <= q``, ``z <= 1``, ``A q = b s``: every cell that can be positive can be made
    >= 1 by scaling, so the optimum has ``z = 1`` exactly on the largest support.
    """
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix, hstack, identity, vstack

    label = pu.ndim - 1
    src = pu.sum(axis=label, keepdims=True)
    allowed = np.broadcast_to(src > 0, pu.shape).copy()
    drops = [tuple(a for a in range(0, label) if a not in g) for g in groups]
    margins = [pu.sum(axis=d, keepdims=True) if d else pu for d in drops]
    for m in margins:
        allowed &= np.broadcast_to(m > 0, pu.shape)
    cells = np.flatnonzero(allowed)
    k = cells.size
    rows, cols, rhs = [], [], []
    r0 = 0
    for keep_shape, m in [(src, src)] + [(m, m) for m in margins]:
        # row of each cell = its index in the flattened marginal
        idx = np.ravel_multi_index(
            [np.unravel_index(cells, pu.shape)[a] if keep_shape.shape[a] > 1 else np.zeros(k, dtype=np.intp)
             for a in range(pu.ndim)], keep_shape.shape)
        rows.append(r0 + idx)
        cols.append(np.arange(k))
        rhs.append(m.ravel())
        r0 += m.size
    a = coo_matrix((np.ones(sum(r.size for r in rows)), (np.concatenate(rows), np.concatenate(cols))), shape=(r0, k))
    b = np.concatenate(rhs)[:, None]
    eq = hstack([a, coo_matrix((r0, k)), coo_matrix(-b)])  # variables [q, z, s]
    ub = hstack([-identity(k), identity(k), coo_matrix((k, 1))])  # z - q <= 0
    cost = np.concatenate([np.zeros(k), -np.ones(k), [0.0]])
    bounds = [(0, None)] * k + [(0, 1)] * k + [(0, None)]
    sol = linprog(cost, A_ub=vstack([ub]).tocsr(), b_ub=np.zeros(k), A_eq=eq.tocsr(), b_eq=np.zeros(r0),
                  bounds=bounds, method="highs")
    support = np.zeros(pu.shape, dtype=bool)
    if sol.status == 0:
        support.flat[cells[sol.x[k:2 * k] > 0.5]] = True
    else:  # cannot happen for a feasible table (the data are feasible); keep every allowed cell
        support.flat[cells] = True
    return support


def maxent(pu: np.ndarray, groups: list[tuple[int, ...]]) -> tuple[np.ndarray, int, float]:
    """Maximum-entropy tables keeping ``p(x_U)`` and each ``p(x_G, y)``.

    ``pu`` has shape (B, |X_u1|, …, |Y|) (the union's sources then the label); ``groups`` lists
    each collection's source axes in ``pu``. Returns ``(q, sweeps, largest marginal violation)``.
    Iterative proportional fitting from ``p(x_U) / |Y|``, which lies in the exponential family of the
    solution, so its limit is the maximum-entropy table. When the solution has zeros the marginals
    do not show (IPF then converges like 1/k), the start is restricted to the largest feasible
    support (:func:`_support`, per table) and IPF rerun: it then converges linearly.
    """
    label = pu.ndim - 1
    src = pu.sum(axis=label, keepdims=True)
    start = np.broadcast_to(src / pu.shape[label], pu.shape).copy()
    q, sweeps, viol = _ipf(pu, groups, start, FAST_SWEEPS)
    if viol <= IPF_TOL:
        return q, sweeps, viol
    # slow: either a zero the marginals do not show (only cells without data can be one), or ill-conditioned
    allowed = start > 0
    for d in (tuple(a for a in range(1, label) if a not in g) for g in groups):
        allowed &= (pu.sum(axis=d, keepdims=True) if d else pu) > 0
    if (allowed & (pu == 0)).any():
        support = np.stack([_support(t, [tuple(a - 1 for a in g) for g in groups]) for t in pu]) | (pu > 0)
        q2, more, viol2 = _ipf(pu, groups, start * support, IPF_MAX_ITER)
        sweeps += more
        if viol2 <= viol:
            return q2, sweeps, viol2
    q, more, viol = _ipf(pu, groups, q, IPF_MAX_ITER)
    return q, sweeps + more, viol


def _ipf(pu: np.ndarray, groups: list[tuple[int, ...]], start: np.ndarray,
         max_sweeps: int) -> tuple[np.ndarray, int, float]:
    label = pu.ndim - 1
    src = pu.sum(axis=label, keepdims=True)
    q = start.copy()
    drops = [tuple(a for a in range(1, label) if a not in g) for g in groups]
    targets = [pu.sum(axis=d, keepdims=True) if d else pu for d in drops]
    viol = np.inf
    sweeps = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        while sweeps < max_sweeps:
            sweeps += 1
            m = q.sum(axis=label, keepdims=True)
            q *= np.where(m > 0, src / m, 0.0)
            viol = 0.0
            for d, t in zip(drops, targets, strict=True):
                m = q.sum(axis=d, keepdims=True) if d else q
                viol = max(viol, float(np.abs(m - t).max()))
                q *= np.where(m > 0, t / m, 0.0)
            if viol <= IPF_TOL:
                break
        m = q.sum(axis=label, keepdims=True)
        q *= np.where(m > 0, src / m, 0.0)
    return q, sweeps, viol


def _sign(v: np.ndarray) -> np.ndarray:
    return np.where(np.abs(v) <= ZERO, 0, np.sign(v))


def _node(p: np.ndarray, node: tuple[int, ...], n: int) -> tuple[np.ndarray, int, float]:
    union = 0
    for c in node:
        union |= c
    keep = _axes(union, n)
    drop = tuple(a for a in range(1, n + 1) if a not in keep)
    pu = p.sum(axis=drop) if drop else p
    pos = {a: k + 1 for k, a in enumerate(keep)}  # source axis of p -> axis of pu
    groups = [tuple(pos[a] for a in _axes(c, n)) for c in node]
    q, sweeps, viol = maxent(pu, groups)
    label = q.ndim - 1
    all_axes = set(range(1, q.ndim))
    cache: dict[frozenset, np.ndarray] = {}

    def log_marginal(axes: frozenset) -> np.ndarray:
        if axes not in cache:
            drop_ = tuple(sorted(all_axes - axes))
            m = q.sum(axis=drop_, keepdims=True) if drop_ else q
            with np.errstate(divide="ignore"):
                cache[axes] = np.log(m)
        return cache[axes]

    items = [frozenset(g) for g in groups] + [frozenset({label})]
    with np.errstate(invalid="ignore"):  # -inf - -inf off the support; those events are masked out by q > 0
        coinfo = np.zeros_like(q)
        for size in range(1, len(items) + 1):
            for sub in itertools.combinations(items, size):
                coinfo = coinfo + (-1) ** size * log_marginal(frozenset().union(*sub))
        ly = log_marginal(frozenset({label}))
        s = _sign(coinfo)
        ok = q > 0
        for g in items[:-1]:
            local = log_marginal(g | {label}) - log_marginal(g) - ly
            ok &= _sign(local) == s
        sources = frozenset().union(*items[:-1])
        joint = log_marginal(sources | {label}) - log_marginal(sources) - ly
        ok &= _sign(joint) == s
    contrib = np.where(ok, q * np.where(ok, coinfo, 0.0), 0.0)
    return contrib.reshape(q.shape[0], -1).sum(axis=1), sweeps, viol


def redundancy(p: np.ndarray, lat: Lattice) -> tuple[np.ndarray, dict]:
    """Redundancy of every node of ``lat`` for each table of ``p`` (B, |X1|, …, |Xn|, |Y|): (B, n_nodes), nats."""
    mi, _ = informations(p, lat.n)
    out = np.empty((p.shape[0], lat.size))
    sweeps_total, worst = 0, 0.0
    for i, node in enumerate(lat.nodes):
        if len(node) == 1:  # one collection: its own information
            out[:, i] = mi[:, node[0] - 1]
            continue
        out[:, i], sweeps, viol = _node(p, node, lat.n)
        sweeps_total += sweeps
        worst = max(worst, viol)
    return out, {"solver": "ipf", "iterations": sweeps_total, "max_marginal_violation": worst}
