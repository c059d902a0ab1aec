"""Ince's common change in surprisal, I_ccs (Ince 2017).

For a node with collections A1 … Ak, take the maximum-entropy distribution ``q`` over
(X_A1, …, X_Ak, Y) that keeps every pair ``p(x_Ai, y)`` and the sources' joint ``p(x_A1, …, x_Ak)``
(found by iterative proportional fitting). At every event of ``q`` form the local co-information
``c = Σ_{S ⊆ {A1, …, Ak, Y}, S ≠ ∅} (-1)^|S| log q(s)`` and the local informations
``i(a_i; y)`` and ``i(a_1 … a_k; y)``; the redundancy is the average of ``c`` over the events where all
of them have the sign of ``c`` ("a common change in surprisal"):

``I∩ = Σ q(e) c(e) [sign c = sign i(a_i; y) for all i = sign i(a_1 … a_k; y)]``.

The maximum-entropy table is fitted by a few sweeps of iterative proportional fitting, then, for
tables not yet within ``IPF_TOL`` (ill-conditioned, or with zeros the marginals do not show), by
damped Newton on the dual; IPF on the largest feasible support (one linear program) is the last
resort. Local quantities within ``ZERO`` nats of 0 count as 0 (their sign is that of 0). A node of one
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
#: Newton iterations on the dual before IPF takes over.
NEWTON_MAX_ITER = 200
#: IPF sweeps tried first on every table (enough for most; the rest go to Newton).
QUICK_SWEEPS = 100


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


def _newton(t: np.ndarray, groups: list[tuple[int, ...]]) -> tuple[np.ndarray, int, float]:
    """Maximum-entropy table of one table ``t`` (|X_u1|, …, |Y|) by damped Newton on the dual.

    ``q(x, y) = p(x) softmax_y(Σ_i λ_i(a_i(x), y))`` keeps ``p(x)`` by construction; the convex dual
    ``F(λ) = Σ_x p(x) log Σ_y exp θ(x, y) − Σ_i Σ_{a,y} p(a_i = a, y) λ_i(a, y)`` has gradient
    ``q(a_i, y) − p(a_i, y)`` (the marginal violation). Parameters of cells without mass are fixed at
    −∞; the Hessian (a sum of softmax covariances) is regularized by 1e-12 of its largest diagonal
    entry for the directions no marginal pins. Returns ``(q, iterations, largest marginal violation)``.
    """
    ny = t.shape[-1]
    src_shape = t.shape[:-1]
    px = t.reshape(-1, ny).sum(axis=1)
    xs = np.flatnonzero(px > 0)
    pxs = px[xs]
    coords = np.unravel_index(xs, src_shape)
    cols, targets, off = [], [], 0
    for g in groups:
        gshape = tuple(src_shape[a] for a in g)
        ai = np.ravel_multi_index(tuple(coords[a] for a in g), gshape)
        target = t.sum(axis=tuple(a for a in range(len(src_shape)) if a not in g)).reshape(-1, ny)
        cols.append(off + ai[:, None] * ny + np.arange(ny)[None, :])  # (X, ny) parameter of each (x, y)
        targets.append(target.ravel())
        off += target.size
    col = np.stack(cols)  # (G, X, ny)
    target = np.concatenate(targets)
    free = target > 0
    lam = np.where(free, 0.0, -np.inf)
    idx = np.flatnonzero(free)

    def evaluate(lam: np.ndarray) -> tuple[float, np.ndarray]:
        theta = lam[col].sum(axis=0)  # (X, ny); -inf where a parameter is fixed
        top = theta.max(axis=1, keepdims=True)
        with np.errstate(invalid="ignore"):
            e = np.exp(theta - top)
        z = e.sum(axis=1, keepdims=True)
        value = float(pxs @ (np.log(z[:, 0]) + top[:, 0]) - target[idx] @ lam[idx])
        return value, e / z

    value, soft = evaluate(lam)
    viol = np.inf
    it = 0
    while it < NEWTON_MAX_ITER:
        it += 1
        q = pxs[:, None] * soft
        grad = np.zeros(off)
        for c in col:
            grad += np.bincount(c.ravel(), weights=q.ravel(), minlength=off)
        grad -= target
        viol = float(np.abs(grad[idx]).max()) if idx.size else 0.0
        if viol <= IPF_TOL:
            break
        # every pair of groups: the softmax covariance diag(q) - p(x) s sᵀ, accumulated by flat index
        outer = (-pxs[:, None, None] * soft[:, :, None] * soft[:, None, :]).ravel()
        flat_diag = (col[:, None] * off + col[None, :]).reshape(-1)
        flat_outer = (col[:, None, :, :, None] * off + col[None, :, :, None, :]).reshape(-1)
        hess = (np.bincount(flat_diag, weights=np.broadcast_to(q, col.shape[1:])[None, None].repeat(
            len(col), 0).repeat(len(col), 1).ravel(), minlength=off * off)
            + np.bincount(flat_outer, weights=np.tile(outer, len(col) ** 2), minlength=off * off)).reshape(off, off)
        h = hess[np.ix_(idx, idx)]
        h[np.diag_indices_from(h)] += 1e-12 * max(float(np.diag(h).max()), 1e-300)
        try:
            step = -np.linalg.solve(h, grad[idx])
        except np.linalg.LinAlgError:
            step = -np.linalg.lstsq(h, grad[idx], rcond=None)[0]
        slope = float(grad[idx] @ step)
        size = 1.0
        for _ in range(60):
            trial = lam.copy()
            trial[idx] += size * step
            new_value, new_soft = evaluate(trial)
            if new_value <= value + 1e-4 * size * slope:
                break
            size *= 0.5
        else:
            break  # no decrease at rounding level: the fit is as good as float64 makes it
        lam, value, soft = trial, new_value, new_soft
    q = np.zeros(t.shape).reshape(-1, ny)
    q[xs] = pxs[:, None] * soft
    return q.reshape(t.shape), it, viol


def maxent(pu: np.ndarray, groups: list[tuple[int, ...]]) -> tuple[np.ndarray, int, float]:
    """Maximum-entropy tables keeping ``p(x_U)`` and each ``p(x_G, y)``.

    ``pu`` has shape (B, |X_u1|, …, |Y|) (the union's sources then the label); ``groups`` lists
    each collection's source axes in ``pu``. Returns ``(q, iterations, largest marginal violation)``.
    Each table by damped Newton on the dual (:func:`_newton`, quadratic near the solution, and it
    drives parameters towards −∞ where the solution has zeros the marginals do not show). A table it
    leaves above ``IPF_TOL`` continues with iterative proportional fitting from its iterate (which lies in
    the solution's exponential family, so IPF's limit is the same table), restricted first to the
    largest feasible support (:func:`_support`) when some cell without data may have to be 0.
    """
    label = pu.ndim - 1
    start = np.broadcast_to(pu.sum(axis=label, keepdims=True) / pu.shape[label], pu.shape).copy()
    out, iters, _ = _ipf(pu, groups, start, QUICK_SWEEPS)  # most tables: a few dozen cheap sweeps
    worst = 0.0
    local = [tuple(a - 1 for a in g) for g in groups]
    for b in range(pu.shape[0]):
        viol = _violation(out[b], pu[b], groups)
        if viol > IPF_TOL:
            q, it, viol = _newton(pu[b], local)
            iters += it
            if viol > IPF_TOL:
                q, more, viol = _ipf_fallback(pu[b:b + 1], groups, q[None])
                q, iters = q[0], iters + more
            out[b] = q
        worst = max(worst, viol)
    return out, iters, worst


def _violation(q: np.ndarray, t: np.ndarray, groups: list[tuple[int, ...]]) -> float:
    """Largest difference between a kept marginal of ``q`` and the data's (one table; ``groups`` as in maxent)."""
    label = t.ndim - 1
    worst = 0.0
    for g in groups:
        d = tuple(a for a in range(label) if a + 1 not in g)
        worst = max(worst, float(np.abs((q.sum(axis=d) if d else q) - (t.sum(axis=d) if d else t)).max()))
    return worst


def _ipf_fallback(pu: np.ndarray, groups: list[tuple[int, ...]], start: np.ndarray) -> tuple[np.ndarray, int, float]:
    label = pu.ndim - 1
    q, sweeps, viol = _ipf(pu, groups, start, FAST_SWEEPS)
    if viol <= IPF_TOL:
        return q, sweeps, viol
    allowed = np.broadcast_to(pu.sum(axis=label, keepdims=True) > 0, pu.shape).copy()
    for d in (tuple(a for a in range(1, label) if a not in g) for g in groups):
        allowed &= (pu.sum(axis=d, keepdims=True) if d else pu) > 0
    if (allowed & (pu == 0)).any():
        support = _support(pu[0], [tuple(a - 1 for a in g) for g in groups])[None] | (pu > 0)
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
