r"""Bounds on the accuracy of the Bayes-optimal classifier from the information it can use.

Let :math:`X = (X_1, X_2)`, :math:`P_{acc} = \sum_x \max_y p(x, y)` the accuracy of the
Bayes-optimal classifier, :math:`P_e = 1 - P_{acc}` its error, and suppose only
:math:`I_{low} \le I(X; Y) \le I_{high}` and :math:`p(y)` are known. Then
:math:`H(Y) - I_{high} \le H(Y \mid X) \le H(Y) - I_{low}`.

**Lower bound** (Feder & Merhav 1994). For each :math:`x`,
:math:`\max_y p(y \mid x) = 2^{-H_\infty(Y \mid x)} \ge 2^{-H(Y \mid X = x)}` (min-entropy
:math:`\le` Shannon entropy), and by Jensen's inequality (:math:`2^{-t}` is convex)

.. math::

    P_{acc} \ge 2^{-H(Y \mid X)} \ge 2^{-(H(Y) - I_{low})} \quad \text{(entropies in bits;}
    \ e^{-H} \text{ in nats)}.

Predicting the most likely label also gives :math:`P_{acc} \ge \max_y p(y)`; the lower bound is
the larger of the two.

**Upper bound** (Fano's inequality, general form). With :math:`M` the number of labels of
positive probability and :math:`h` the binary entropy,

.. math::

    H(Y \mid X) \le \phi(P_e) := h(P_e) + P_e \log(M - 1).

:math:`\phi` increases on :math:`[0, 1 - 1/M]`, and :math:`P_e \le 1 - \max_y p(y) \le 1 - 1/M`,
so :math:`P_e \ge \phi^{-1}(H(Y) - I_{high})` (0 when the argument is :math:`\le 0`), i.e.

.. math::

    P_{acc} \le 1 - \phi^{-1}\big(H(Y) - I_{high}\big).

:math:`\phi^{-1}` is computed by bisection and rounded towards the valid side. Both bounds lie in
:math:`[0, 1]` and the lower never exceeds the upper when :math:`I_{low} \le I_{high}`. (The
simplified form :math:`(I + 1) / \log |Y|` quoted in some papers assumes a uniform label and can
exceed 1; it is not used.)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .._validation import check_prob_table, check_units
from ..exceptions import InputError
from ..info import entropy_nats

__all__ = ["AccuracyBounds", "accuracy_bounds", "INFO_TOL"]

#: slack (in nats) allowed when checking 0 <= info_lower <= info_upper <= H(Y); smaller excesses
#: are rounding errors of the information estimates and are treated as the nearest valid value.
INFO_TOL = 1e-9
_BISECTION_STEPS = 64


@dataclass(frozen=True)
class AccuracyBounds:
    """Bounds on the Bayes-optimal accuracy; unpacks as ``lower, upper = ...``.

    Attributes
    ----------
    lower, upper : float
        Lower and upper bound on the accuracy, both in [0, 1].
    chance : float
        :math:`\\max_y p(y)`, the accuracy of always predicting the most likely label.
    info_lower, info_upper : float
        The information bounds they were evaluated at, in ``units`` (the names of
        :class:`~pidkit.bounds.SynergyBounds`).
    units : str
    """

    lower: float
    upper: float
    chance: float
    info_lower: float
    info_upper: float
    units: str

    def __iter__(self):
        return iter((self.lower, self.upper))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return (
            f"Bayes accuracy in [{self.lower:.4f}, {self.upper:.4f}] (chance {self.chance:.4f}; "
            f"I(X1,X2;Y) in [{self.info_lower:.4f}, {self.info_upper:.4f}] {self.units})"
        )


def _fano_phi(e: np.ndarray, m: np.ndarray) -> np.ndarray:
    """h(e) + e log(m - 1) in nats (h: binary entropy)."""
    e = np.asarray(e, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where((e > 0) & (e < 1), -e * np.log(e) - (1 - e) * np.log1p(-e), 0.0)
        extra = np.where(m > 1, e * np.log(np.maximum(m - 1, 1)), 0.0)
    return h + extra


def _accuracy_arrays(i_low: np.ndarray, i_high: np.ndarray, p_y: np.ndarray):
    """Vectorized bounds; informations in nats, p_y of shape (B, ny). Returns (lower, upper, chance)."""
    p_y = np.asarray(p_y, dtype=np.float64)
    h_y = entropy_nats(p_y, axis=1)
    m = (p_y > 0).sum(axis=1).astype(np.float64)
    chance = p_y.max(axis=1)
    h_cond_high = np.maximum(h_y - i_low, 0.0)
    lower = np.maximum(np.exp(-h_cond_high), chance)
    target = h_y - i_high  # lower bound on H(Y|X)
    e_max = np.where(m > 1, 1.0 - 1.0 / np.maximum(m, 1.0), 0.0)
    lo = np.zeros_like(target)  # phi(lo) <= target is kept (or lo = 0)
    hi = e_max.copy()
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        below = _fano_phi(mid, m) < target
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    e_min = np.where(target <= 0, 0.0, lo)  # lo <= phi^{-1}(target): conservative
    e_min = np.where(target >= _fano_phi(e_max, m), e_max, e_min)  # H(Y|X) at its maximum log M
    upper = np.clip(1.0 - e_min, 0.0, 1.0)
    return lower, upper, chance


def _check_py(p_y: Any) -> np.ndarray:
    # any positive total is accepted and rescaled (probabilities, counts or unnormalized weights)
    py, _, _ = check_prob_table(
        p_y,
        name="p_y",
        ndim=1,
        ndim_message="Expected a non-empty 1-D array (one entry per label): pass the label marginal, e.g. "
        "p_x1y.sum(axis=0).",
        normalize=True,
    )
    return py


def accuracy_bounds(info_lower: float, info_upper: float, p_y: Any, *, units: str = "bits") -> AccuracyBounds:
    r"""Bounds on the Bayes-optimal accuracy from bounds on :math:`I(X_1, X_2; Y)`.

    .. math::

        \max\big(2^{-(H(Y) - I_{low})}, \max_y p(y)\big) \;\le\; P_{acc} \;\le\;
        1 - \phi^{-1}\big(H(Y) - I_{high}\big), \qquad \phi(e) = h(e) + e \log(M - 1),

    with entropies and informations in ``units`` (:math:`2^{-H}` in bits is :math:`e^{-H}` in
    nats), :math:`M` the number of labels with :math:`p(y) > 0`. See the module docstring for the
    derivations (Feder–Merhav and Jensen; Fano's inequality solved for the error).

    Parameters
    ----------
    info_lower, info_upper : float
        Lower and upper bounds on :math:`I(X_1, X_2; Y)` in ``units``, with
        ``0 <= info_lower <= info_upper <= H(Y)`` (up to rounding).
    p_y : array-like (ny,)
        Label marginal (probabilities or counts).
    units : {"bits", "nats"}

    Returns
    -------
    AccuracyBounds
        ``lower``, ``upper`` in [0, 1] (unpacks as a pair), ``chance`` = max p(y).

    Examples
    --------
    >>> lo, hi = accuracy_bounds(1.0, 1.0, [0.5, 0.5])      # Y a function of X
    >>> round(lo, 6), round(hi, 6)
    (1.0, 1.0)
    """
    scale = check_units(units)
    py = _check_py(p_y)
    h_y = float(entropy_nats(py))
    vals = {}
    for name, v in (("info_lower", info_lower), ("info_upper", info_upper)):
        try:
            f = float(v)
        except (TypeError, ValueError):
            f = float("nan")
        if not math.isfinite(f):
            raise InputError(f"{name} must be a finite number (information in {units}); got {v!r}.")
        vals[name] = f * scale
    lo, hi = vals["info_lower"], vals["info_upper"]
    if lo < -INFO_TOL or hi > h_y + INFO_TOL or lo > hi + INFO_TOL:
        raise InputError(
            f"Expected 0 <= info_lower <= info_upper <= H(Y) = {h_y / scale:.6g} {units}; got info_lower="
            f"{info_lower!r}, info_upper={info_upper!r}. Check the units and that the bounds belong to this p_y."
        )
    lower, upper, chance = _accuracy_arrays(np.array([max(lo, 0.0)]), np.array([min(hi, h_y)]), py[None])
    return AccuracyBounds(
        lower=float(lower[0]),
        upper=float(upper[0]),
        chance=float(chance[0]),
        info_lower=float(info_lower),
        info_upper=float(info_upper),
        units=units,
    )
