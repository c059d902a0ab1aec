"""The support of the BROJA program: the one enumeration in Python, and the kernels' pair-major order.

Support cells are the (x1, x2, y) with p(x1, y) > 0 and p(x2, y) > 0 (every other cell of the
feasible set is forced to zero). :func:`support_cells` lists them in *label-major* order (sorted
by y, x1, x2), the order of :class:`pidkit.estimators._problem.BROJAProblem` and of the cvxpy
formulation built on it (Clarabel's iterates, and on degenerate tables its status, depend on the
order of its variables, so that order stays). The exact-solver kernels take *pair-major* order
(sorted by x1, x2, y: the cells of one (x1, x2) pair contiguous, labels ascending);
:func:`kernel_args` applies that permutation, for one :class:`BROJAProblem` and for the NumPy
twin of the stack solver alike.

The compiled stack path (``ipm_solve_many`` of ``_native.cpp``) enumerates the same cells itself
(``build_from_table`` in ``native/problem.hpp``, once per table inside its parallel loop) and must
keep doing so: calling back into Python per table would cost more than the solves of small tables.
"""

from __future__ import annotations

import numpy as np

__all__ = ["support_cells", "kernel_args", "pair_major_support", "trivial_objective"]


def support_cells(a: np.ndarray, b: np.ndarray):
    """Support cells of the marginals ``a = p(x1, y)`` (n1, ny) and ``b = p(x2, y)`` (n2, ny).

    Returns ``(i1, i2, iy, pair, n_pairs)``: the coordinates of the m cells in label-major order
    (sorted by y, x1, x2), the index of each cell's (x1, x2) pair (pairs with at least one cell,
    numbered in (x1, x2) order) and the number of such pairs. Coordinates are int32 whenever they
    fit (a 1000 x 1000 x 10 table has 10^7 cells, and they live through the whole solve).
    """
    n1, ny = a.shape
    n2 = b.shape[0]
    flat = np.flatnonzero((a.T > 0)[:, :, None] & (b.T > 0)[:, None, :])  # (ny, n1, n2) row-major
    idx = np.int32 if max(n1 * n2, flat.size) < 2**31 else np.int64
    iy = (flat // (n1 * n2)).astype(idx)
    flat %= n1 * n2  # now the flat (x1, x2) pair index of each cell
    uniq, pair = np.unique(flat, return_inverse=True)
    return (flat // n2).astype(idx), (flat % n2).astype(idx), iy, pair.astype(idx), int(uniq.size)


def kernel_args(a: np.ndarray, b: np.ndarray, i1: np.ndarray, i2: np.ndarray, iy: np.ndarray, pair: np.ndarray,
                n_pairs: int):
    """Arguments of the kernels' ``ipm_solve`` for label-major cells (see :func:`support_cells`).

    Returns ``(args, order)``: ``args = (n1, n2, ny, a, b, pair_x1, pair_x2, cell_ptr, cell_y)``
    with the cells in pair-major order (the labels of pair k are ``cell_y[cell_ptr[k]:cell_ptr[k+1]]``,
    ascending), and ``order``: kernel cell i is cell ``order[i]`` of the input.
    """
    (n1, ny), n2 = a.shape, b.shape[0]
    order = np.argsort(pair, kind="stable")  # labels already ascend within a pair
    cell_ptr = np.zeros(n_pairs + 1, dtype=np.int64)
    np.cumsum(np.bincount(pair, minlength=n_pairs), out=cell_ptr[1:])
    first = order[cell_ptr[:-1]]
    args = (
        n1,
        n2,
        ny,
        np.ascontiguousarray(a.ravel()),
        np.ascontiguousarray(b.ravel()),
        i1[first].astype(np.int64),
        i2[first].astype(np.int64),
        cell_ptr,
        iy[order].astype(np.int64),
    )
    return args, order


def pair_major_support(p: np.ndarray):
    """Kernel arguments (see :func:`kernel_args`) of a pmf ``p`` of shape (n1, n2, ny), without pruning."""
    a = p.sum(axis=1)
    b = p.sum(axis=0)
    args, _ = kernel_args(a, b, *support_cells(a, b))
    return args


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
