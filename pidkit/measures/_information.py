"""Marginals and (specific) mutual informations of every source collection, for a stack of tables.

The one place the redundancy functions read the table from: ``p`` has shape
``(B, |X1|, …, |Xn|, |Y|)`` (B tables); collection ``m`` (a bit mask of sources, see
:mod:`pidkit.measures.lattice`) is the joint variable of its sources, flattened to one axis.
Everything is in nats.
"""

from __future__ import annotations

import numpy as np

__all__ = ["collection_table", "informations"]


def collection_table(p: np.ndarray, mask: int, n: int) -> np.ndarray:
    """``p(x_A, y)`` for the collection ``mask``: shape (B, |X_A|, |Y|)."""
    drop = tuple(1 + i for i in range(n) if not mask >> i & 1)
    m = p.sum(axis=drop) if drop else p
    return m.reshape(p.shape[0], -1, p.shape[-1])


def pointwise(pay: np.ndarray) -> np.ndarray:
    """Pointwise mutual information ``log p(a, y) / (p(a) p(y))`` of (B, |A|, |Y|) tables, 0 off the support."""
    pa = pay.sum(axis=2, keepdims=True)
    py = pay.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(pay) - np.log(pa) - np.log(py)
    return np.where(pay > 0, pmi, 0.0)


def informations(p: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``I(X_A; Y)`` of shape (B, C) and the specific information ``I(X_A; Y = y)`` of shape (B, C, |Y|)
    for the C = 2**n - 1 collections, in bit-mask order (column ``m - 1`` is collection ``m``).

    The specific information is ``Σ_a p(a | y) log p(a, y) / (p(a) p(y))`` (0 for labels of
    probability 0); ``I(X_A; Y) = Σ_y p(y) I(X_A; Y = y)``.
    """
    b, ny = p.shape[0], p.shape[-1]
    full = (1 << n) - 1
    mi = np.empty((b, full))
    spec = np.empty((b, full, ny))
    py = p.reshape(b, -1, ny).sum(axis=1)
    for mask in range(1, full + 1):
        pay = collection_table(p, mask, n)
        weighted = (pay * pointwise(pay)).sum(axis=1)  # (B, |Y|): p(y) I(X_A; Y = y)
        mi[:, mask - 1] = weighted.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            spec[:, mask - 1] = np.where(py > 0, weighted / py, 0.0)
    return mi, spec
