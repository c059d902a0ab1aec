"""Confidence intervals from replicates, and bias corrections of plug-in information.

* Percentile: the α/2 and 1 − α/2 quantiles of the replicates.
* BCa (Efron 1987): percentiles moved by a bias correction ``z0 = Φ⁻¹(share of replicates below
  the estimate)`` and an acceleration ``a`` from the jackknife,
  ``a = Σ w (θ̄ − θ_(i))³ / (6 [Σ w (θ̄ − θ_(i))²]^{3/2})``; levels
  ``Φ(z0 + (z0 + z_α) / (1 − a (z0 + z_α)))``. It corrects for the median bias of the
  estimator, which for plug-in information is large.
* Bias corrections, reported next to the raw values: the bootstrap's (``2 θ̂ − mean θ*``);
  quadratic extrapolation (Strong et al. 1998, the standard in neural information analysis):
  estimates on disjoint halves and quarters of the samples are fitted by
  ``θ(N) = θ∞ + b / N + c / N²`` and ``θ∞`` is reported; Miller–Madow for the mutual
  informations: each entropy gains ``(occupied cells − 1) / (2n)`` nats.
* When BCa cannot be formed (every replicate on one side of the estimate): the percentile
  interval for a quantity at 0, else the basic interval ``2 θ̂ − quantiles``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr, ndtri

from ..info import mutual_information

__all__ = ["percentile_interval", "basic_interval", "bca_interval", "extrapolate", "miller_madow"]

#: BCa is not trusted when the bootstrap distribution sits this many standard normal units off the
#: estimate (|z0|: fewer than 2.3% of the replicates on one side), where it degenerates (both limits
#: collapse onto the extreme replicates), nor when its levels leave no replicate beyond a limit.
Z0_MAX = 2.0
MIN_TAIL_REPLICATES = 1


def percentile_interval(reps: np.ndarray, level: float) -> tuple[float, float]:
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(reps, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def basic_interval(reps: np.ndarray, estimate: float, level: float) -> tuple[float, float]:
    """The basic (reverse-percentile) interval ``2 θ̂ − quantiles``: it removes the bootstrap's bias estimate."""
    lo, hi = percentile_interval(reps, level)
    return 2.0 * estimate - hi, 2.0 * estimate - lo


def bca_interval(
    reps: np.ndarray, estimate: float, jack: np.ndarray, weights: np.ndarray, level: float, *, at_zero: bool = False
) -> tuple[tuple[float, float], str]:
    """BCa interval and the method actually used (``"bca"``, else the fallback).

    BCa cannot be formed when every replicate lies on one side of the estimate (``z0`` infinite),
    and is not trusted when ``|z0| > Z0_MAX`` or its adjusted levels leave fewer than
    ``MIN_TAIL_REPLICATES`` beyond a limit. When the replicates lie above the estimate, that is
    plug-in bias stronger than the spread, and the basic interval, which subtracts the
    bootstrap's bias estimate, is returned (``"basic"``). For a quantity at 0 (``at_zero``), or
    replicates below the estimate (an upper edge of the range, e.g. I = H(Y) for a deterministic
    label), the percentile interval, stretched to include the estimate, is returned
    (``"percentile"``).
    """
    below = (np.sum(reps < estimate) + 0.5 * np.sum(reps == estimate)) / reps.size
    z0 = float(ndtri(below)) if 0.0 < below < 1.0 else (math.inf if below >= 1.0 else -math.inf)
    if abs(z0) > Z0_MAX:
        if at_zero or z0 > 0:
            # at 0, or replicates below the estimate: an edge of the range (e.g. a deterministic label at
            # I = H(Y)), where reflecting them upwards would leave the range — report where they lie,
            # stretched to the estimate, which sits on that edge and the replicates can only leave
            lo, hi = percentile_interval(reps, level)
            return (min(lo, estimate), max(hi, estimate)), "percentile"
        return basic_interval(reps, estimate, level), "basic"
    mean = float(np.sum(weights * jack) / np.sum(weights))
    d = mean - jack
    den = float(np.sum(weights * d**2))
    a = float(np.sum(weights * d**3)) / (6.0 * den**1.5) if den > 0 else 0.0
    alpha = (1.0 - level) / 2.0
    levels = []
    for z in (ndtri(alpha), ndtri(1.0 - alpha)):
        shift = z0 + z
        denom = 1.0 - a * shift
        levels.append(float(ndtr(z0 + shift / denom)) if denom > 0 else math.nan)
    tail = MIN_TAIL_REPLICATES / reps.size
    if not (tail <= levels[0] and levels[1] <= 1.0 - tail):
        # the adjusted levels leave too few replicates in a tail to estimate a quantile (extreme z0)
        if at_zero:
            return percentile_interval(reps, level), "percentile"
        return basic_interval(reps, estimate, level), "basic"
    lo, hi = np.quantile(reps, levels)
    return (float(lo), float(hi)), "bca"


def extrapolate(values: dict[int, float]) -> float:
    """θ∞ of ``θ(N) = θ∞ + b/N + c/N²`` through three (N, mean estimate at N) points."""
    ns = sorted(values)
    x = np.array([1.0 / n for n in ns])
    m = np.stack([np.ones(3), x, x**2], axis=1)
    return float(np.linalg.solve(m, np.array([values[n] for n in ns]))[0])


def miller_madow(counts: np.ndarray, to_units: float) -> dict[str, float]:
    """Miller–Madow corrected I(X1;Y), I(X2;Y), I(X1,X2;Y) of a count table, in ``units``.

    ``to_units`` divides nats (``check_units(units)``). I = H(A) + H(B) − H(A,B), each entropy
    corrected by (occupied cells − 1) / (2n).
    """
    n = float(counts.sum())
    p = counts / n

    def occ(table: np.ndarray) -> int:
        return int(np.count_nonzero(table))

    def corr(a_occ: int, b_occ: int, ab_occ: int) -> float:
        return ((a_occ - 1) + (b_occ - 1) - (ab_occ - 1)) / (2.0 * n)

    y_occ = occ(counts.sum(axis=(0, 1)))
    out = {}
    for key, axes, a_occ, ab_occ in (
        ("I1", 0, occ(counts.sum(axis=(1, 2))), occ(counts.sum(axis=1))),
        ("I2", 1, occ(counts.sum(axis=(0, 2))), occ(counts.sum(axis=0))),
        ("total", (0, 1), occ(counts.sum(axis=2)), occ(counts)),
    ):
        mi = float(mutual_information(p, axes, 2, units="nats"))
        out[key] = (mi + corr(a_occ, y_occ, ab_occ)) / to_units
    return out

