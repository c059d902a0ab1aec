"""Information measures on joint probability tables.

Every function takes a joint pmf ``p`` as an array with one axis per variable and measures in
``units="bits"`` (default) or ``"nats"``. Zero cells contribute nothing (``0 log 0 = 0``), so
sparse empirical tables are handled exactly. Variables are named by axis numbers; a tuple of
axes names a joint variable, and axes that are not mentioned are summed out.

Leading stack axes are supported with ``stack_ndim``: with ``stack_ndim=1`` an array of shape
``(B, |X1|, |X2|, |Y|)`` holds B tables and every function returns an array of B values. Axis
numbers always refer to the table axes (stack axes excluded).

Examples
--------
>>> import numpy as np
>>> from pidkit import info
>>> p = np.zeros((2, 2, 2)); p[0, 0, 0] = p[0, 1, 1] = p[1, 0, 1] = p[1, 1, 0] = 0.25  # XOR
>>> round(float(info.mutual_information(p, (0, 1), 2)), 12)
1.0
>>> float(info.mutual_information(p, 0, 2))
0.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._validation import check_units

__all__ = [
    "entropy",
    "conditional_entropy",
    "mutual_information",
    "conditional_mutual_information",
    "co_information",
    "xlogx",
    "entropy_nats",
    "total_variation",
]

Axes = int | Sequence[int]


def xlogx(p: np.ndarray) -> np.ndarray:
    """Elementwise ``p * log(p)`` in nats with ``0 log 0 = 0``: the one place pidkit writes ``p log p``."""
    p = np.asarray(p, dtype=np.float64)
    out = np.zeros_like(p)
    pos = p > 0
    out[pos] = p[pos] * np.log(p[pos])
    return out


def entropy_nats(p: np.ndarray, axis: int | tuple[int, ...] | None = None) -> np.ndarray:
    """:math:`-\\sum p \\log p` (nats) of the entries of ``p`` over ``axis`` (default: all), ``0 log 0 = 0``.

    No marginalisation and no checks: ``p`` holds the probabilities of one variable (or joint
    variable) along ``axis``, e.g. ``entropy_nats(p_xy.reshape(B, -1), axis=1)`` for B tables.
    """
    return -xlogx(p).sum(axis=axis)


def total_variation(a: np.ndarray, b: np.ndarray, axis: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Total-variation distance :math:`\\tfrac12 \\sum |a - b|` over ``axis`` (default: all entries)."""
    return 0.5 * np.abs(np.asarray(a) - np.asarray(b)).sum(axis=axis)


def _axes(a: Axes | None) -> tuple[int, ...]:
    if a is None:
        return ()
    if isinstance(a, (int, np.integer)):
        return (int(a),)
    return tuple(int(i) for i in a)


def _marginal_entropy_nats(p: np.ndarray, keep: tuple[int, ...], stack_ndim: int) -> np.ndarray:
    """Entropy (nats) of the marginal of ``p`` on the table axes ``keep``."""
    ndim = p.ndim - stack_ndim
    keep = tuple(sorted(set(k % ndim for k in keep)))
    if not keep:
        return np.zeros(p.shape[:stack_ndim])
    drop = tuple(stack_ndim + i for i in range(ndim) if i not in keep)
    m = p.sum(axis=drop) if drop else p
    return entropy_nats(m, axis=tuple(range(stack_ndim, m.ndim)))


def _prepare(p: np.ndarray, stack_ndim: int) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if p.ndim <= stack_ndim:
        raise ValueError(
            f"Expected a joint table with at least one axis after {stack_ndim} stack axes; got shape {p.shape}."
        )
    return p


def entropy(p: np.ndarray, axes: Axes | None = None, *, units: str = "bits", stack_ndim: int = 0) -> np.ndarray:
    """Shannon entropy :math:`H(A) = -\\sum_a p(a) \\log p(a)` of the variables on ``axes``.

    Parameters
    ----------
    p : array
        Joint pmf (non-negative, sums to 1 over the table axes).
    axes : int or tuple of int, optional
        Which variables; default all table axes (the joint entropy).
    units : {"bits", "nats"}
    stack_ndim : int
        Number of leading stack axes (tables stacked on them).
    """
    scale = check_units(units)
    p = _prepare(p, stack_ndim)
    keep = tuple(range(p.ndim - stack_ndim)) if axes is None else _axes(axes)
    return _marginal_entropy_nats(p, keep, stack_ndim) / scale


def conditional_entropy(
    p: np.ndarray, axes: Axes, given: Axes, *, units: str = "bits", stack_ndim: int = 0
) -> np.ndarray:
    """Conditional entropy :math:`H(A \\mid B) = H(A, B) - H(B)`."""
    scale = check_units(units)
    p = _prepare(p, stack_ndim)
    a, b = _axes(axes), _axes(given)
    h = _marginal_entropy_nats(p, a + b, stack_ndim) - _marginal_entropy_nats(p, b, stack_ndim)
    return h / scale


def mutual_information(p: np.ndarray, a: Axes, b: Axes, *, units: str = "bits", stack_ndim: int = 0) -> np.ndarray:
    """Mutual information :math:`I(A; B) = H(A) + H(B) - H(A, B)`."""
    scale = check_units(units)
    p = _prepare(p, stack_ndim)
    a, b = _axes(a), _axes(b)
    h = (
        _marginal_entropy_nats(p, a, stack_ndim)
        + _marginal_entropy_nats(p, b, stack_ndim)
        - _marginal_entropy_nats(p, a + b, stack_ndim)
    )
    return h / scale


def conditional_mutual_information(
    p: np.ndarray, a: Axes, b: Axes, given: Axes, *, units: str = "bits", stack_ndim: int = 0
) -> np.ndarray:
    """Conditional mutual information :math:`I(A; B \\mid C) = H(A,C) + H(B,C) - H(A,B,C) - H(C)`."""
    scale = check_units(units)
    p = _prepare(p, stack_ndim)
    a, b, c = _axes(a), _axes(b), _axes(given)
    h = (
        _marginal_entropy_nats(p, a + c, stack_ndim)
        + _marginal_entropy_nats(p, b + c, stack_ndim)
        - _marginal_entropy_nats(p, a + b + c, stack_ndim)
        - _marginal_entropy_nats(p, c, stack_ndim)
    )
    return h / scale


def co_information(p: np.ndarray, *, units: str = "bits", stack_ndim: int = 0) -> np.ndarray:
    """Co-information :math:`I(X_1; X_2; Y) = I(X_1; Y) - I(X_1; Y \\mid X_2)` of a 3-axis table.

    Positive values indicate net redundancy, negative values net synergy; in the PID,
    :math:`I(X_1; X_2; Y) = R - S`.
    """
    p = _prepare(p, stack_ndim)
    if p.ndim - stack_ndim != 3:
        raise ValueError(f"co_information needs a table with 3 axes (x1, x2, y); got shape {p.shape[stack_ndim:]}.")
    return mutual_information(p, 0, 2, units=units, stack_ndim=stack_ndim) - conditional_mutual_information(
        p, 0, 2, 1, units=units, stack_ndim=stack_ndim
    )
