r"""The three pairwise tables of the semi-supervised setting: checks, inconsistency, reconciliation.

The bounds use :math:`p(x_1, y)` (from D1), :math:`p(x_2, y)` (from D2) and
:math:`p(x_1, x_2)` (from DM). Estimated from different datasets they disagree: the two estimates
of :math:`p(x_1)` (D1 and DM), of :math:`p(x_2)` (D2 and DM) and of :math:`p(y)` (D1 and D2)
differ, and even pairwise-consistent tables may admit no joint distribution at all. Every bound
assumes that some joint :math:`p(x_1, x_2, y)` has all three tables as marginals, so:

1. **Measure** the total-variation distances between the duplicated one-variable marginals
   (:func:`measure_inconsistency`).
2. **Reconcile** (:func:`reconcile`) by the *maximum-likelihood joint*: the :math:`r(x_1, x_2, y)`
   maximising :math:`\sum_t w_t \sum T_t \log r_t` over the three tables :math:`T_t` (weights
   :math:`w_t` = their sample counts, or equal for probability tables), found by EM from the
   uniform distribution (cells left below 1e-12 are set to zero); the reconciled tables are
   :math:`r`'s pairwise marginals. They are
   consistent *and* jointly compatible by construction (they are marginals of one :math:`r`),
   even if EM stops early, and equal the inputs when those already are.
3. **Report** the distances and how far each table moved, and **refuse**
   (:class:`InconsistentMarginalsError`) when any exceeds ``max_inconsistency``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_prob_table
from ..exceptions import InputError, ShapeError
from ..info import total_variation

__all__ = [
    "InconsistentMarginalsError",
    "Inconsistency",
    "check_tables",
    "measure_inconsistency",
    "reconcile",
    "CONSISTENCY_TOL",
    "DEFAULT_MAX_INCONSISTENCY",
]

#: tolerance on the total of a floating input table of the bounds: looser than decompose's 1e-9 because
#: the pairwise tables are often marginals computed in another precision or from rounded estimates
BOUNDS_SUM_TOL = 1e-6
#: total-variation distance below which marginals count as consistent (rounding of the inputs)
CONSISTENCY_TOL = 1e-9
#: default refusal threshold (total variation) of ``synergy_bounds(max_inconsistency=...)``
DEFAULT_MAX_INCONSISTENCY = 0.05
_EM_TOL = 1e-10
_EM_MAX_ITER = 5000
#: cells of the reconciled joint below this mass are set to zero (EM remnants of empty cells)
_PRUNE = 1e-12

TABLE_NAMES = ("p_x1y", "p_x2y", "p_x1x2")
_AXES = {"p_x1y": ("x1", "y"), "p_x2y": ("x2", "y"), "p_x1x2": ("x1", "x2")}


class InconsistentMarginalsError(InputError):
    """The three pairwise tables disagree by more than ``max_inconsistency`` (total variation)."""


@dataclass(frozen=True)
class Inconsistency:
    """Total-variation distances between duplicated marginals, before any reconciliation.

    Attributes
    ----------
    tv_x1 : float
        Between :math:`p(x_1)` of ``p_x1y`` and of ``p_x1x2``.
    tv_x2 : float
        Between :math:`p(x_2)` of ``p_x2y`` and of ``p_x1x2``.
    tv_y : float
        Between :math:`p(y)` of ``p_x1y`` and of ``p_x2y``.
    """

    tv_x1: float
    tv_x2: float
    tv_y: float

    @property
    def max(self) -> float:
        return max(self.tv_x1, self.tv_x2, self.tv_y)

    def to_dict(self) -> dict[str, float]:
        return {"tv_x1": self.tv_x1, "tv_x2": self.tv_x2, "tv_y": self.tv_y}


def _check_table(t: Any, name: str) -> tuple[np.ndarray, float, bool]:
    a, b = _AXES[name]
    return check_prob_table(
        t,
        name=name,
        ndim=2,
        ndim_message=f"Expected shape (|{a.upper()}|, |{b.upper()}|) indexed [{a}, {b}]; for a full joint table "
        "p[x1, x2, y] use p.sum(axis=1) for p_x1y, p.sum(axis=0) for p_x2y and p.sum(axis=2) for p_x1x2.",
        ndim_error=ShapeError,
        sum_tol=BOUNDS_SUM_TOL,
        sum_fix="Divide it by its sum if it holds unnormalized probabilities.",
    )


def check_tables(p_x1y: Any, p_x2y: Any, p_x1x2: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate the three tables; return them as pmfs ``(p1, p2, p12)`` plus their EM weights.

    When all three are count tables they weigh by their sample counts (maximum likelihood over the
    three datasets); otherwise they weigh equally. The weights sum to 1 (see :func:`reconcile`).
    """
    p1, n1, c1 = _check_table(p_x1y, "p_x1y")
    p2, n2, c2 = _check_table(p_x2y, "p_x2y")
    p12, n12, c12 = _check_table(p_x1x2, "p_x1x2")
    if p1.shape[0] != p12.shape[0]:
        raise ShapeError(
            f"p_x1y has {p1.shape[0]} states of x1 (axis 0) but p_x1x2 has {p12.shape[0]} (axis 0); "
            "expected the same number. Code x1 with one Discretizer in both datasets."
        )
    if p2.shape[0] != p12.shape[1]:
        raise ShapeError(
            f"p_x2y has {p2.shape[0]} states of x2 (axis 0) but p_x1x2 has {p12.shape[1]} (axis 1); "
            "expected the same number. Code x2 with one Discretizer in both datasets."
        )
    if p1.shape[1] != p2.shape[1]:
        raise ShapeError(
            f"p_x1y has {p1.shape[1]} labels (axis 1) but p_x2y has {p2.shape[1]} (axis 1); expected the "
            "same label coding in both. Pad the table of the dataset that lacks a class with a zero column."
        )
    if c1 and c2 and c12:
        w = np.array([n1, n2, n12])
    else:
        w = np.ones(3)
    return p1, p2, p12, w / w.sum()


def _tv(a: np.ndarray, b: np.ndarray) -> float:
    return float(total_variation(a, b))


def measure_inconsistency(p1: np.ndarray, p2: np.ndarray, p12: np.ndarray) -> Inconsistency:
    """Total-variation distances between the duplicated one-variable marginals (pmfs in)."""
    return Inconsistency(
        tv_x1=_tv(p1.sum(axis=1), p12.sum(axis=1)),
        tv_x2=_tv(p2.sum(axis=1), p12.sum(axis=0)),
        tv_y=_tv(p1.sum(axis=0), p2.sum(axis=0)),
    )


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.zeros(np.broadcast_shapes(num.shape, den.shape))
    np.divide(num, den, out=out, where=den > 0)
    return out


def reconcile(
    p1: np.ndarray,
    p2: np.ndarray,
    p12: np.ndarray,
    weights: np.ndarray,
    *,
    tol: float = _EM_TOL,
    max_iter: int = _EM_MAX_ITER,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    r"""Project three pairwise tables onto jointly compatible ones (maximum-likelihood joint, EM).

    Maximises :math:`\sum_t w_t \sum_{cells} T_t \log r_t` over joint pmfs :math:`r(x_1,x_2,y)`
    (:math:`r_t` the marginal of :math:`r` on table :math:`t`'s variables), a concave problem; each
    EM step fills in the missing variable of every table with :math:`r`'s conditional and averages:

    .. math::

        r \leftarrow \sum_t w_t \, T_t(\cdot) \, r(\text{missing} \mid \cdot).

    Returns the three marginals of the final :math:`r` (consistent and compatible whatever the
    iteration count) and a dict with ``iterations``, ``converged``, ``tv_change`` (total variation
    between each input table and its reconciled version).
    """
    w1, w2, w12 = (float(w) for w in weights)
    r = np.full((p1.shape[0], p2.shape[0], p1.shape[1]), 1.0 / (p1.size * p2.shape[0]))
    it, converged = 0, False
    prev = None
    for it in range(1, max_iter + 1):  # noqa: B007 - the final count is reported
        m1, m2, m12 = r.sum(axis=1), r.sum(axis=0), r.sum(axis=2)
        r = (
            w1 * _safe_div(p1, m1)[:, None, :] * r
            + w2 * _safe_div(p2, m2)[None, :, :] * r
            + w12 * _safe_div(p12, m12)[:, :, None] * r
        )
        r /= r.sum()
        cur = np.concatenate([r.sum(axis=1).ravel(), r.sum(axis=0).ravel(), r.sum(axis=2).ravel()])
        if prev is not None and np.abs(cur - prev).sum() <= tol:
            converged = True
            break
        prev = cur
    # EM approaches cells that the optimum leaves empty only sublinearly; drop those remnants (the result
    # is still one joint distribution, so its marginals stay exactly compatible)
    r = np.where(r < _PRUNE, 0.0, r)
    r /= r.sum()
    q1, q2, q12 = r.sum(axis=1), r.sum(axis=0), r.sum(axis=2)
    info = {
        "method": "maximum-likelihood joint (EM)",
        "iterations": it,
        "converged": converged,
        "tv_change": {"p_x1y": _tv(p1, q1), "p_x2y": _tv(p2, q2), "p_x1x2": _tv(p12, q12)},
        "weights": {"p_x1y": w1, "p_x2y": w2, "p_x1x2": w12},
    }
    return q1, q2, q12, info
