"""Pair-major description of a table's support, the input format of the exact-solver kernels."""

from __future__ import annotations

import numpy as np

__all__ = ["pair_major_support", "trivial_objective"]


def pair_major_support(p: np.ndarray):
    """Return ``(n1, n2, ny, a, b, pair_x1, pair_x2, cell_ptr, cell_y)`` for a pmf ``p``.

    Support cells are the (x1, x2, y) with p(x1, y) > 0 and p(x2, y) > 0; pairs (x1, x2) with at
    least one cell are listed in (x1, x2) order, and the labels of pair k are
    ``cell_y[cell_ptr[k]:cell_ptr[k+1]]`` in ascending order.
    """
    n1, n2, ny = p.shape
    a = p.sum(axis=1)
    b = p.sum(axis=0)
    mask = (a > 0)[:, None, :] & (b > 0)[None, :, :]  # (n1, n2, ny)
    i1, i2, iy = np.nonzero(mask)  # row-major order: sorted by (x1, x2, y)
    flat = i1 * n2 + i2
    first = np.flatnonzero(np.r_[True, flat[1:] != flat[:-1]]) if flat.size else np.zeros(0, dtype=np.int64)
    cell_ptr = np.r_[first, flat.size].astype(np.int64)
    return (
        n1,
        n2,
        ny,
        a.ravel(),
        b.ravel(),
        i1[first].astype(np.int64),
        i2[first].astype(np.int64),
        cell_ptr,
        iy.astype(np.int64),
    )


def trivial_objective(p: np.ndarray) -> float | None:
    """``f(p)`` (nats) when the feasible set holds only ``p`` (one label, or one state of x1 or x2
    with mass), else ``None``."""
    n_y = int(np.count_nonzero(p.sum(axis=(0, 1)) > 0))
    n_1 = int(np.count_nonzero(p.sum(axis=(1, 2)) > 0))
    n_2 = int(np.count_nonzero(p.sum(axis=(0, 2)) > 0))
    if min(n_y, n_1, n_2) > 1:
        return None
    s = p.sum(axis=2, keepdims=True)
    pos = p > 0
    return float(np.sum(p[pos] * (np.log(p[pos]) - np.log(np.broadcast_to(s, p.shape)[pos]))))
