r"""NumPy twin of the compiled exact solver (``pidkit.kernels._native.ipm_solve``).

Primal-dual interior-point method (Mehrotra predictor–corrector) on the dual of the BROJA
program. With pairs :math:`k = (x_1, x_2)` and their label sets :math:`Y(k)`:

.. math::

    \max_\lambda \; c^\top \lambda \quad \text{s.t.} \quad
    g_k(\lambda) = \log \sum_{y \in Y(k)} e^{\lambda_1(x_1, y) + \lambda_2(x_2, y)} \le 0,

with multipliers :math:`s_k \ge 0` (at the optimum :math:`s_k = q^*(x_1, x_2)`) and slacks
:math:`z_k = -g_k \ge 0`. The primal point is :math:`q_k(y) = s_k\,\pi_k(y)` with
:math:`\pi_k = \operatorname{softmax}_{Y(k)}(\lambda_1 + \lambda_2)`. Each Newton step reduces to

.. math::

    H\,\Delta\lambda = r, \qquad
    H = \sum_k M_k^\top \big[s_k \operatorname{diag}(\pi_k) + (s_k / z_k - s_k)\,\pi_k \pi_k^\top\big] M_k,

where :math:`M_k` maps :math:`\lambda` to :math:`\lambda_1(x_1, \cdot) + \lambda_2(x_2, \cdot)` on
:math:`Y(k)`. The gauge :math:`\lambda_1(\cdot, y) + \gamma_y,\ \lambda_2(\cdot, y) - \gamma_y` is
removed by fixing one :math:`\lambda_2` per label. This twin solves with a dense Cholesky of
``H`` (fine for the small tables of the tests and as a fallback), or with ``newton="torch"`` by the
compiled kernel's Schur complement in torch, on a GPU where there is one
(:mod:`pidkit.kernels.torch_newton`, which pins the gauge on the Schur complement's side). The
compiled kernel uses a Schur complement with BLAS, and for large Schur complements (at least 500
unknowns, dense update) factors the early ones in single precision: it then solves the full Newton system by conjugate
gradients preconditioned with that factorization (to a relative residual of 1e-8), and switches to
double precision for good once the single-precision Cholesky fails or needs more than 2 PCG steps
(6 from 5000 unknowns in S on, where a double-precision factorization costs many PCG steps).

Termination is decided by a certificate, never by the interior-point residuals: the dual point is
polished to exact feasibility (per-row, then per-column shifts that make each row's largest
constraint tight, plus a 4e-15 safety margin) and the primal point is rounded to exact
feasibility (Altschuler–Weed–Rigollet, per label). Their objective difference bounds the error of
every PID atom.

Why this design (the measurements and what was tried: ``docs/dev-notes.md#ipm``): at the
optimum only a few pairs carry mass, so most tables have a boundary optimum and the alternating
I-projection is sublinear; ``H`` gets ill-conditioned like ``1/mu``, which stalls matrix-free
conjugate gradients with every preconditioner tried, hence direct solves of the Schur
complement; every pair stays in ``H`` (dropping weakly coupled or inactive pairs stalls the
method or does not pay). The dense factorization per iteration is the cost that remains: minutes
at 1000x1000x10, with the BLAS near the machine's peak.

Both kernels take the problem in *pair-major* form: ``pair_x1``, ``pair_x2`` (pairs sorted by
(x1, x2)) and ``cell_ptr``, ``cell_y`` (the labels of pair ``k`` are
``cell_y[cell_ptr[k]:cell_ptr[k+1]]``).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.linalg as sla

from .support import pair_major_support, trivial_objective

__all__ = ["ipm_solve", "ipm_solve_many"]

_TAU = 0.995  # fraction-to-boundary
_SAFETY = 4e-15  # margin that keeps the polished dual strictly feasible in floating point
#: step safeguard: the linearized slack step can overshoot the curved LSE constraints; a step is
#: shortened until the largest constraint violation is <= max(current violation, _RP_CAP) nats.
#: Chosen on 700 random tables; tests/test_kernels.py::test_twin_random_tables_match_clarabel runs 200.
_RP_CAP = 1.0
_RD_GROWTH = 10.0  # ... and the marginal residual grows at most this factor
#: ... measured from at least _RD_TOL * tol (from a primal feasible to rounding, rd ~ 1e-13, every
#: step was cut and mu stalled)
_RD_TOL = 0.1
_RD_TRIES = 20
_MAX_HALVINGS = 40
#: ... and no dual coordinate moves by more than this many nats in one step (a trust region): the
#: exact Newton step along a direction of vanishing curvature (coordinates of cells whose mass is
#: orders of magnitude off their marginal) can be thousands of nats long, and when it lowers lam
#: nothing else stops it; later steps could not bring such coordinates back.
_MAX_MOVE = 20.0
#: Newton-matrix regularizations ``(prox, rho)`` tried in turn while the step is short (factorization
#: or safeguards): the exact matrix ``H``, then ``H + rho * diag(max(c, served))`` (``served = c - rd``:
#: each unknown's own mass; it bounds the step of a coordinate of vanishing curvature to about
#: ``1 / rho`` nats and hardly touches the stiff ones), then ``H + prox * mean(diag H) * I`` (robust
#: factorizations). The last kind alone froze the small-mass coordinates near the optimum:
#: ``mean(diag H)`` grows like ``1 / mu``, so the shift ended far above their curvature, and that
#: step, taken because it was the longest, did not move them (docs/dev-notes.md#mass-scaled-regularization).
_LADDER = ((0.0, 0.0), (0.0, 0.1), (0.0, 1.0), (1e-10, 0.0), (1e-8, 0.0), (1e-6, 0.0))
_GOOD_STEP = 0.1  # a step at least this long ends the search along the ladder


class _Pairs:
    """Pair-major view of the support: an (m, ny) mask of the labels each pair carries."""

    def __init__(self, n1, n2, ny, a, b, pair_x1, pair_x2, cell_ptr, cell_y):
        self.n1, self.n2, self.ny = n1, n2, ny
        self.a = np.asarray(a, dtype=np.float64).reshape(n1, ny)
        self.b = np.asarray(b, dtype=np.float64).reshape(n2, ny)
        self.i1 = np.asarray(pair_x1, dtype=np.int64)
        self.i2 = np.asarray(pair_x2, dtype=np.int64)
        self.m = self.i1.size
        cell_ptr = np.asarray(cell_ptr, dtype=np.int64)
        self.cell_pair = np.repeat(np.arange(self.m), np.diff(cell_ptr))
        self.cell_y = np.asarray(cell_y, dtype=np.int64)
        self.mask = np.zeros((self.m, ny), dtype=bool)
        self.mask[self.cell_pair, self.cell_y] = True
        self.A = self.a > 0
        self.B = self.b > 0
        self.nv = (n1 + n2) * ny

    def split(self, x):
        n1ny = self.n1 * self.ny
        return x[:n1ny].reshape(self.n1, self.ny), x[n1ny:].reshape(self.n2, self.ny)

    def gather(self, x):
        l1, l2 = self.split(x)
        return l1[self.i1] + l2[self.i2]

    def row_sums(self, W):
        out = np.zeros((self.n1, self.ny))
        np.add.at(out, self.i1, W)
        return out

    def col_sums(self, W):
        out = np.zeros((self.n2, self.ny))
        np.add.at(out, self.i2, W)
        return out

    def scatter(self, W):
        return np.concatenate([self.row_sums(W).ravel(), self.col_sums(W).ravel()])

    def lse(self, x):
        L = np.where(self.mask, self.gather(x), -np.inf)
        mx = L.max(axis=1)
        E = np.exp(L - mx[:, None])
        S = E.sum(axis=1)
        return mx + np.log(S), E / S[:, None]

    def c(self):
        return np.concatenate([self.a.ravel(), self.b.ravel()])

    def supp(self):
        return np.concatenate([self.A.ravel(), self.B.ravel()])

    # ------------------------------------------------------------ certificate
    def f(self, Q):
        s = Q.sum(axis=1)
        pos = Q > 0
        logs = np.log(np.where(s > 0, s, 1.0))
        return float(np.sum(np.where(pos, Q * (np.log(np.where(pos, Q, 1.0)) - logs[:, None]), 0.0)))

    def polish_dual(self, x):
        x = x.copy()
        l1, l2 = self.split(x)
        for _ in range(2):
            for lam, idx, n in ((l1, self.i1, self.n1), (l2, self.i2, self.n2)):
                g, _ = self.lse(x)
                gm = np.full(n, -np.inf)
                np.maximum.at(gm, idx, g)
                gm[~np.isfinite(gm)] = 0.0
                lam -= gm[:, None]
        self._push_coordinates(x)
        for _ in range(5):
            g, _ = self.lse(x)
            top = float(g.max()) if g.size else -1.0
            if top < -1e-15:
                break
            l1 -= max(top, 0.0) + _SAFETY
        l1[~self.A] = 0.0
        l2[~self.B] = 0.0
        return x

    def _push_coordinates(self, x):
        """Raise each dual coordinate to the largest value that keeps every constraint feasible.

        The dual objective has non-negative coefficients, so this only improves the bound. For a
        fixed label y, the entries lam2[:, y] touch disjoint pairs and are raised together: pair k
        allows lam2[x2, y] <= log(1 - sum_{y' != y} e^{L_k(y')}) - lam1[x1, y]. Then the same for
        lam1. This repairs coordinates of tiny marginals that the interior-point method leaves far
        from optimal (their error hardly moves the residuals but can dominate the gap).
        """
        l1, l2 = self.split(x)
        for lam_self, idx_self, n_self in ((l2, self.i2, self.n2), (l1, self.i1, self.n1)):
            for y in range(self.ny):
                L = np.where(self.mask, self.gather(x), -np.inf)
                has = self.mask[:, y]
                if not has.any():
                    continue
                mx = L.max(axis=1)
                E = np.exp(L - mx[:, None])
                rest = (E.sum(axis=1) - E[:, y]) * np.exp(mx)  # sum over y' != y of e^{L(y')}
                with np.errstate(divide="ignore", invalid="ignore"):
                    room = np.where(rest < 1.0, np.log1p(-np.minimum(rest, 1.0)) - L[:, y], -np.inf)
                bound = np.full(n_self, np.inf)
                np.minimum.at(bound, idx_self[has], room[has])
                ok = np.isfinite(bound)
                lam_self[ok, y] += np.maximum(bound[ok], 0.0)
        return x

    def round_primal(self, Q):
        Q = np.where(self.mask, np.maximum(Q, 0.0), 0.0)
        r = self.row_sums(Q)
        with np.errstate(divide="ignore", invalid="ignore"):
            Q = Q * np.where(r > self.a, self.a / r, 1.0)[self.i1]
        c = self.col_sums(Q)
        with np.errstate(divide="ignore", invalid="ignore"):
            Q = Q * np.where(c > self.b, self.b / c, 1.0)[self.i2]
        er = np.maximum(self.a - self.row_sums(Q), 0.0)
        ec = np.maximum(self.b - self.col_sums(Q), 0.0)
        tot = er.sum(axis=0)
        return Q + er[self.i1] * ec[self.i2] / np.where(tot > 0, tot, 1.0)[None, :]

    def certificate(self, x, s, P):
        xf = self.polish_dual(x)
        dual = float(self.c() @ xf)
        Q = self.round_primal(s[:, None] * P)
        return self.f(Q) - dual, self.f(Q), dual, xf, Q

    def marginal_violation(self, Q):
        return float(max(np.abs(self.row_sums(Q) - self.a).max(), np.abs(self.col_sums(Q) - self.b).max()))

    # ------------------------------------------------------------ Newton system
    def dense_H(self, s, coef, P):
        n1, n2, ny = self.n1, self.n2, self.ny
        Bk = coef[:, None, None] * P[:, :, None] * P[:, None, :]
        idx = np.arange(ny)
        Bk[:, idx, idx] += s[:, None] * P
        N1, N2 = n1 * ny, n2 * ny
        H = np.zeros((N1 + N2, N1 + N2))
        r1 = (self.i1[:, None] * ny + idx)  # (m, ny) row indices of lam1 entries
        r2 = N1 + (self.i2[:, None] * ny + idx)
        for rows, cols in ((r1, r1), (r2, r2), (r1, r2), (r2, r1)):  # Bk is symmetric
            np.add.at(H, (rows[:, :, None], cols[:, None, :]), Bk)
        H[~self.supp(), ~self.supp()] += 1.0
        return H

    def gauge_keep(self, side=2):
        """Unknowns of the Newton system: all but one pinned ``lam<side>`` per label (the gauge)."""
        keep = np.ones(self.nv, dtype=bool)
        off, marg, has = (self.n1 * self.ny, self.b, self.B) if side == 2 else (0, self.a, self.A)
        for y in range(self.ny):
            if has[:, y].any():  # pin the best-conditioned unknown of this label: largest marginal
                keep[off + int(np.argmax(marg[:, y])) * self.ny + y] = False
        return keep


class _DenseNewton:
    """Newton systems by a dense Cholesky of ``H`` on the kept unknowns (SciPy)."""

    name = "dense"

    def __init__(self, pr, keep):
        self.pr, self.keep = pr, keep

    def set_point(self, s, z, P):
        self.H = self.pr.dense_H(s, s / z - s, P)[np.ix_(self.keep, self.keep)]

    def factor(self, prox, dreg=None):
        """Factor ``H + prox * mean(diag) I + diag(dreg)`` (``dreg``: per unknown, ``(nv,)``, or None);
        False when the Cholesky fails."""
        H = self.H
        if prox > 0:
            H = H + prox * float(np.trace(H)) / max(len(H), 1) * np.eye(len(H))
        if dreg is not None:
            H = H + np.diag(dreg[self.keep])
        try:
            self.cf = sla.cho_factor(H, lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            return False
        return True

    def solve(self, rhs):
        dx = np.zeros(self.pr.nv)
        dx[self.keep] = sla.cho_solve(self.cf, rhs[self.keep], check_finite=False)
        return dx


def _max_step(v, dv):
    neg = dv < 0
    return 1.0 if not neg.any() else min(1.0, _TAU * float(np.min(-v[neg] / dv[neg])))


def _try_step(pr, newton, rung, c, supp, x, s, z, rd, rp, mu, mu_floor, rd_floor):
    """One Mehrotra predictor-corrector step with Newton matrix ``H + prox * mean(diag) I + rho * D``,
    ``(prox, rho) = rung``, ``D = diag(max(c, c - rd))`` (see ``_LADDER``).

    ``newton`` holds ``H`` at the current point (``_DenseNewton`` or ``TorchSchurNewton``).
    Returns the accepted point and step length ``(x, s, z, g, P, alpha)`` or ``None`` when the factorization fails or no
    step length passes the safeguards (the caller then retries with the next rung).
    """
    m = s.size
    prox, rho = rung
    dreg = np.where(supp, rho * np.maximum(c, c - rd), 0.0) if rho > 0 else None
    if not newton.factor(prox, dreg):
        return None

    def direction(w):
        rhs = rd - pr.scatter(w[:, None] * P)
        rhs[~supp] = 0.0
        dx = newton.solve(rhs)
        jd = (P * pr.gather(dx)).sum(axis=1)
        return dx, w + (s / z) * jd, rp - jd

    _, P = pr.lse(x)
    # predictor (affine scaling), then Mehrotra's centering + second-order corrector
    dx_a, ds_a, dz_a = direction((-s * z - s * rp) / z)
    al = min(_max_step(s, ds_a), _max_step(z, dz_a))
    mu_aff = float((s + al * ds_a) @ (z + al * dz_a) / m)
    sigma = max((mu_aff / mu) ** 3, mu_floor / mu)
    dx, ds, dz = direction((sigma * mu - s * z - ds_a * dz_a - s * rp) / z)
    if not (np.isfinite(dx).all() and np.isfinite(ds).all() and np.isfinite(dz).all()):
        return None
    al = min(_max_step(s, ds), _max_step(z, dz))
    # Safeguards (see _MAX_MOVE, _RP_CAP, _RD_GROWTH): shorten the step while it moves a coordinate
    # too far or overshoots the curved constraints badly; for the first _RD_TRIES halvings also
    # while it inflates the marginal residual, after that accept any step that passes the first tests.
    rp_now = float(np.abs(rp).max()) if rp.size else 0.0
    rd_now = max(float(np.abs(rd).max()), rd_floor)
    dx_max = float(np.abs(dx).max()) if dx.size else 0.0
    for trial in range(_MAX_HALVINGS):
        if al * dx_max > _MAX_MOVE:
            al *= 0.5
            continue
        x_new, s_new, z_new = x + al * dx, s + al * ds, z + al * dz
        g_new, P_new = pr.lse(x_new)
        if np.isfinite(g_new).all() and float(np.abs(-g_new - z_new).max()) <= max(rp_now, _RP_CAP):
            if trial >= _RD_TRIES:
                return x_new, s_new, z_new, g_new, P_new, al
            rd_new = c - pr.scatter(s_new[:, None] * P_new)
            rd_new[~supp] = 0.0
            if float(np.abs(rd_new).max()) <= _RD_GROWTH * rd_now:
                return x_new, s_new, z_new, g_new, P_new, al
        al *= 0.5
    return None


def ipm_solve(n1, n2, ny, a, b, pair_x1, pair_x2, cell_ptr, cell_y, tol, max_iter, n_threads=1, *,
              newton="dense", device="cpu"):
    """Solve the BROJA dual by interior point; see the module docstring. Same contract as the native kernel.

    ``newton`` chooses how the Newton systems are solved: ``"dense"`` (a SciPy Cholesky of ``H``) or
    ``"torch"`` (:class:`~pidkit.kernels.torch_newton.TorchSchurNewton`: Schur complement in torch on
    ``device``, ``"cpu"``, ``"cuda"``, ``"cuda:<i>"`` or ``"auto"``; needs torch).

    Returns a dict with ``lam1``, ``lam2`` (flattened, zero off the support), ``q`` (exactly
    feasible primal on the cells, in ``cell_y`` order), ``primal``, ``dual``, ``gap`` (nats),
    ``iterations``, ``single_precision_factorizations`` (always 0 here), ``converged``, ``status``, ``mu``,
    ``max_marginal_violation``, ``seconds``.
    """
    t0 = time.perf_counter()
    pr = _Pairs(n1, n2, ny, a, b, pair_x1, pair_x2, cell_ptr, cell_y)
    m = pr.m
    c, supp = pr.c(), pr.supp()
    # strictly feasible start: lam1 = log p(y|x1), lam2 = log p(y|x2) - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        l1 = np.where(pr.A, np.log(pr.a / pr.a.sum(axis=1, keepdims=True)), 0.0)
        l2 = np.where(pr.B, np.log(pr.b / pr.b.sum(axis=1, keepdims=True)), 0.0) - 1.0
    x = np.concatenate([l1.ravel(), l2.ravel()])
    g, P = pr.lse(x)
    z = -g
    py = pr.a.sum(axis=0)
    s = np.where(pr.mask, pr.a[pr.i1] * pr.b[pr.i2] / np.where(py > 0, py, 1.0)[None, :], 0.0).sum(axis=1)
    mu_floor = 0.05 * tol / max(m, 1)
    rd_floor = max(1e-13, _RD_TOL * tol)
    if newton == "dense":
        newton_sys = _DenseNewton(pr, pr.gauge_keep())
    elif newton == "torch":
        from .torch_newton import TorchSchurNewton, b_side

        keep = pr.gauge_keep(side=b_side(n1, n2))  # pins on the kept side of the Schur complement
        newton_sys = TorchSchurNewton(n1, n2, ny, pr.i1, pr.i2, supp, keep, device=device)
    else:
        raise ValueError(f"newton must be 'dense' or 'torch'; got {newton!r}.")
    best = None
    status = "max_iter"
    it = 0
    for it in range(max_iter + 1):
        rd = c - pr.scatter(s[:, None] * P)
        rd[~supp] = 0.0
        rp = -g - z
        mu = float(s @ z / m)
        gap, F, D, xf, Q = pr.certificate(x, s, P)
        if best is None or gap < best[0]:
            best = (gap, F, D, xf, Q, mu)
        if gap <= tol:
            status = "converged"
            break
        if it == max_iter:
            break
        newton_sys.set_point(s, z, P)
        # exact Newton first; if its step is short (a direction of vanishing curvature), also try
        # regularized matrices and keep the longest step
        step = None
        for rung in _LADDER:
            trial = _try_step(pr, newton_sys, rung, c, supp, x, s, z, rd, rp, mu, mu_floor, rd_floor)
            if trial is not None and (step is None or trial[-1] > step[-1]):
                step = trial
            if step is not None and step[-1] >= _GOOD_STEP:
                break
        if step is None:
            status = "no_acceptable_step"
            break
        x_new, s_new, z_new, g_new, P_new, _ = step
        x, s, z, g, P = x_new, s_new, z_new, g_new, P_new
        z = np.where(g < 0, -g, z)  # slack reset: r_p = 0 wherever lam is strictly feasible
    gap, F, D, xf, Q, mu = best
    l1, l2 = pr.split(xf)
    return {
        "lam1": l1.ravel().copy(),
        "lam2": l2.ravel().copy(),
        "q": Q[pr.cell_pair, pr.cell_y],
        "primal": F,
        "dual": D,
        "gap": gap,
        "iterations": it,
        "single_precision_factorizations": 0,  # the twin factors in double precision only
        "converged": bool(gap <= tol),
        "status": "converged" if gap <= tol else status,
        "mu": mu,
        "max_marginal_violation": pr.marginal_violation(Q),
        "seconds": time.perf_counter() - t0,
    }


def ipm_solve_many(p, tol, max_iter, n_threads=1):
    """Solve a stack of tables of shape (B, n1, n2, ny); returns arrays of ``primal``, ``dual``, ``gap``,
    ``iterations``, ``converged`` (one entry per table). Twin of ``_native.ipm_solve_many``."""
    p = np.asarray(p, dtype=np.float64)
    B = p.shape[0]
    out = {k: np.zeros(B) for k in ("primal", "dual", "gap")}
    out["iterations"] = np.zeros(B, dtype=np.int64)
    out["converged"] = np.zeros(B, dtype=bool)
    for i in range(B):
        sup = pair_major_support(p[i])
        f_trivial = trivial_objective(p[i])
        if f_trivial is not None:
            out["primal"][i] = out["dual"][i] = f_trivial
            out["converged"][i] = True
            continue
        r = ipm_solve(*sup, tol, max_iter)
        for k in ("primal", "dual", "gap", "iterations", "converged"):
            out[k][i] = r[k]
    return out
