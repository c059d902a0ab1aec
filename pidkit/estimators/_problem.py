r"""The BROJA convex program on a joint table, shared by every exact backend.

Given a joint pmf :math:`p(x_1, x_2, y)`, the BROJA decomposition needs

.. math::

    q^* = \arg\min_{q \in \Delta_p} f(q), \qquad
    f(q) = \sum_{x_1, x_2, y} q \log \frac{q}{q(x_1, x_2)} = -H_q(Y \mid X_1, X_2),

    \Delta_p = \{ q \ge 0 : q(x_1, y) = p(x_1, y),\ q(x_2, y) = p(x_2, y) \}.

Cells with :math:`p(x_1, y) = 0` or :math:`p(x_2, y) = 0` are forced to zero, so ``q`` lives on
the *support* ``{(x1, x2, y) : p(x1, y) > 0, p(x2, y) > 0}``; everything here works on vectors
over that support (memory O(support), never the dense table).

Because ``H_q(Y|X1)``, ``H_q(Y|X2)`` and ``H(Y)`` are fixed by the constraints, every atom is an
affine function of the optimal value ``f* = f(q*)`` (nats):

.. math::

    U_1 = H(Y|X_2) + f^*, \quad U_2 = H(Y|X_1) + f^*, \quad
    R = I(X_1;Y) - U_1, \quad S = I(X_1,X_2;Y) - H(Y) - f^*.

So the identities of the PID hold exactly, and an error of ``e`` in ``f*`` moves every atom by
exactly ``e``. The dual

.. math::

    \max_{\lambda_1, \lambda_2} \sum \lambda_1(x_1,y) p(x_1,y) + \sum \lambda_2(x_2,y) p(x_2,y)
    \quad \text{s.t.} \quad \log \sum_{y \in Y(x_1,x_2)} e^{\lambda_1(x_1,y) + \lambda_2(x_2,y)} \le 0

gives lower bounds on ``f*``; a feasible primal ``q`` gives upper bounds. Their difference, the
*duality gap*, certifies every atom.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import PMF_SUM_TOL, check_prob_table
from ..info import entropy_nats
from ..kernels.support import support_cells

__all__ = ["BROJAProblem", "check_pmf", "broja_atoms", "PMF_SUM_TOL"]


def check_pmf(p, *, normalize: bool = False, name: str = "p") -> np.ndarray:
    """Validate a joint table of shape (|X1|, |X2|, |Y|) and return it as a float64 pmf.

    Tables of non-negative integers (counts) are normalized automatically; a floating table must
    sum to 1 within 1e-9 unless ``normalize=True``. The input is never modified.
    """
    pmf, _, _ = check_prob_table(
        p,
        name=name,
        ndim=3,
        ndim_message="Expected a joint table of shape (|X1|, |X2|, |Y|): build one with np.histogramdd or "
        "pidkit.discretize.joint_counts, or for a stack of tables use pidkit.decompose_many.",
        sum_tol=PMF_SUM_TOL,
        normalize=normalize,
    )
    return pmf


def broja_atoms(h_y, h_y_given_x1, h_y_given_x2, i_x1x2_y, f_value) -> dict:
    """R, U1, U2, S, total, I1, I2 (nats) from the data's fixed entropies and the optimal value ``f*``.

    The one place the atoms are written (module docstring): floats for one table, or arrays of
    shape (B,) for a stack (:func:`pidkit.decompose_many`).
    """
    i1 = h_y - h_y_given_x1
    i2 = h_y - h_y_given_x2
    u1 = h_y_given_x2 + f_value
    u2 = h_y_given_x1 + f_value
    return {"R": i1 - u1, "U1": u1, "U2": u2, "S": i_x1x2_y - h_y - f_value, "total": i_x1x2_y, "I1": i1, "I2": i2}


def _h(v: np.ndarray) -> float:
    """Shannon entropy (nats) of the entries of ``v`` (any shape), 0 log 0 = 0."""
    return float(entropy_nats(v))


@dataclass
class BROJAProblem:
    """The BROJA program of one pmf, restricted to its support.

    Attributes
    ----------
    p : ndarray (n1, n2, ny)
        The pmf, with states of zero probability removed (see ``kept``).
    kept : tuple of three index arrays
        Which original states of x1, x2, y survive pruning.
    a, b : ndarray (n1, ny), (n2, ny)
        Pairwise marginals ``p(x1, y)`` and ``p(x2, y)``.
    i1, i2, iy : ndarray (m,)
        Coordinates of the ``m`` support cells, in label-major order (sorted by y, x1, x2; see
        :func:`pidkit.kernels.support.support_cells`).
    pair : ndarray (m,)
        Index of the (x1, x2) pair of each support cell (pairs numbered in (x1, x2) order).
    n_pairs : int
        Number of (x1, x2) pairs that have at least one support cell.
    """

    p: np.ndarray
    kept: tuple[np.ndarray, np.ndarray, np.ndarray]
    original_shape: tuple[int, int, int]
    a: np.ndarray
    b: np.ndarray
    i1: np.ndarray
    i2: np.ndarray
    iy: np.ndarray
    pair: np.ndarray
    n_pairs: int

    @classmethod
    def from_pmf(cls, p: np.ndarray) -> BROJAProblem:
        """Build the problem from a validated pmf (see :func:`check_pmf`)."""
        original_shape = p.shape
        k1 = np.flatnonzero(p.sum(axis=(1, 2)) > 0)
        k2 = np.flatnonzero(p.sum(axis=(0, 2)) > 0)
        ky = np.flatnonzero(p.sum(axis=(0, 1)) > 0)
        if (k1.size, k2.size, ky.size) != p.shape:  # a copy only when states are pruned
            p = p[np.ix_(k1, k2, ky)]
        a = p.sum(axis=1)
        b = p.sum(axis=0)
        i1, i2, iy, pair, n_pairs = support_cells(a, b)
        return cls(
            p=p,
            kept=(k1, k2, ky),
            original_shape=original_shape,
            a=a,
            b=b,
            i1=i1,
            i2=i2,
            iy=iy,
            pair=pair,
            n_pairs=n_pairs,
        )

    # ------------------------------------------------------------------ sizes
    @property
    def shape(self) -> tuple[int, int, int]:
        return self.p.shape  # type: ignore[return-value]

    @property
    def n_cells(self) -> int:
        return int(self.i1.size)

    # ------------------------------------------------------------- primal side
    def p_on_support(self) -> np.ndarray:
        """The data pmf as a vector on the support (always feasible)."""
        return self.p[self.i1, self.i2, self.iy]

    def objective(self, q: np.ndarray) -> float:
        """``f(q) = sum q log(q / q(x1, x2))`` in nats for a support vector ``q >= 0``."""
        s = np.bincount(self.pair, weights=q, minlength=self.n_pairs)
        pos = q > 0
        return float(np.sum(q[pos] * (np.log(q[pos]) - np.log(s[self.pair[pos]]))))

    def marginal_violation(self, q: np.ndarray) -> float:
        """Largest absolute deviation of ``q(x1, y)`` and ``q(x2, y)`` from the data marginals."""
        n1, n2, ny = self.shape
        qa = np.bincount(self.i1 * ny + self.iy, weights=q, minlength=n1 * ny).reshape(n1, ny)
        qb = np.bincount(self.i2 * ny + self.iy, weights=q, minlength=n2 * ny).reshape(n2, ny)
        return float(max(np.abs(qa - self.a).max(), np.abs(qb - self.b).max()))

    def round_to_feasible(self, q: np.ndarray) -> np.ndarray:
        """Map a nearly feasible ``q`` to an exactly feasible one (Altschuler–Weed–Rigollet rounding).

        Per label ``y``: scale rows down to ``p(x1, y)``, scale columns down to ``p(x2, y)``, then
        add the rank-one correction ``err_r err_c^T / |err_r|_1`` that restores both marginals
        exactly. The L1 change is at most twice the initial marginal violation, and the correction
        only touches support cells. Negative entries (solver roundoff) are set to zero first.
        """
        n1, n2, ny = self.shape
        q = np.maximum(np.asarray(q, dtype=np.float64), 0.0)
        ra = np.bincount(self.i1 * ny + self.iy, weights=q, minlength=n1 * ny).reshape(n1, ny)
        with np.errstate(divide="ignore", invalid="ignore"):
            fa = np.where(ra > self.a, self.a / ra, 1.0)
        q = q * fa[self.i1, self.iy]
        cb = np.bincount(self.i2 * ny + self.iy, weights=q, minlength=n2 * ny).reshape(n2, ny)
        with np.errstate(divide="ignore", invalid="ignore"):
            fb = np.where(cb > self.b, self.b / cb, 1.0)
        q = q * fb[self.i2, self.iy]
        ra = np.bincount(self.i1 * ny + self.iy, weights=q, minlength=n1 * ny).reshape(n1, ny)
        cb = np.bincount(self.i2 * ny + self.iy, weights=q, minlength=n2 * ny).reshape(n2, ny)
        err_a = np.maximum(self.a - ra, 0.0)
        err_b = np.maximum(self.b - cb, 0.0)
        norm = err_a.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(norm > 0, 1.0 / norm, 0.0)
        return q + err_a[self.i1, self.iy] * err_b[self.i2, self.iy] * scale[self.iy]

    # --------------------------------------------------------------- dual side
    def dual_value(self, lam1: np.ndarray, lam2: np.ndarray) -> float:
        """Lower bound on ``min f`` from any ``lam1 (n1, ny)``, ``lam2 (n2, ny)``.

        The point is first made feasible by the uniform shift ``lam1 -= max_{x1,x2} lse``: that
        lowers every constraint by the same amount and the objective by exactly that amount
        (``sum p(x1, y) = 1``).
        """
        z = lam1[self.i1, self.iy] + lam2[self.i2, self.iy]
        if not np.isfinite(z).all():
            return -np.inf
        zmax = np.full(self.n_pairs, -np.inf)
        np.maximum.at(zmax, self.pair, z)
        lse = zmax + np.log(np.bincount(self.pair, weights=np.exp(z - zmax[self.pair]), minlength=self.n_pairs))
        shift = float(lse.max())
        return float(np.sum(lam1 * self.a) + np.sum(lam2 * self.b) - shift)

    # ----------------------------------------------------------------- atoms
    def entropies(self) -> dict[str, float]:
        """Fixed information quantities of the data (nats)."""
        p, a, b = self.p, self.a, self.b
        h_y = _h(a.sum(axis=0))
        h_x1y, h_x2y = _h(a), _h(b)
        h_x1, h_x2 = _h(a.sum(axis=1)), _h(b.sum(axis=1))
        return {
            "H_Y": h_y,
            "H_Y_given_X1": h_x1y - h_x1,
            "H_Y_given_X2": h_x2y - h_x2,
            "I_X1X2_Y": _h(p.sum(axis=2)) + h_y - _h(p),
        }

    def atoms_from_objective(self, f_value: float) -> dict[str, float]:
        """R, U1, U2, S, total, I1, I2 in nats from the optimal value ``f*``."""
        h = self.entropies()
        return broja_atoms(h["H_Y"], h["H_Y_given_X1"], h["H_Y_given_X2"], h["I_X1X2_Y"], f_value)

    def dense(self, q: np.ndarray) -> np.ndarray:
        """Scatter a support vector into a dense table of the *original* shape."""
        out = np.zeros(self.original_shape)
        k1, k2, ky = self.kept
        out[k1[self.i1], k2[self.i2], ky[self.iy]] = q
        return out
