"""Out-of-core covariance: the sample covariance of (X1, X2, Y) from dask collections in one pass.

What ``estimator="gaussian"`` needs from data that do not fit in memory: per partition the row
count, the mean and the centred scatter matrix ``sum (z - mean)(z - mean)^T`` of the concatenated
columns, combined pairwise by a tree reduction with the update of Chan, Golub & LeVeque (1979) —
no ``sum z z^T - n mean mean^T`` cancellation when the means are large next to the spread. Memory
per task: one partition plus a (d x d) matrix.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtri

from ..exceptions import InputError, ShapeError
from ._dask import compute
from .counts import _as_block, _block_len, _check_finite, _partitions, _tree_sum

__all__ = ["dask_covariance"]


def _columns(b1: Any, b2: Any, by: Any, offset: int) -> tuple[np.ndarray, tuple]:
    """One partition's columns of (X1, X2, Y) side by side as floats, and the three dimensions."""
    blocks = (_as_block(b1), _as_block(b2), _as_block(by))
    _check_finite(blocks, offset)
    cols = []
    for a, name in zip(blocks, ("x1", "x2", "y"), strict=True):
        if a.dtype.kind not in "biuf":
            raise ShapeError(f"{name} has dtype {a.dtype}; estimator='gaussian' / 'copula' needs numbers.")
        cols.append(a.astype(np.float64).reshape(a.shape[0], -1))
    return np.hstack(cols), tuple(c.shape[1] for c in cols)


def _sample_block(b1: Any, b2: Any, by: Any, offset: int, k: int, seed: int) -> np.ndarray:
    z, _ = _columns(b1, b2, by, offset)
    rng = np.random.default_rng(seed)
    return z[rng.choice(z.shape[0], size=min(k, z.shape[0]), replace=False)]


def normal_scores(z: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Each column of ``z`` mapped to Φ^-1 of its mid-rank among the sorted ``reference`` column (a sample of
    the whole data): the copula's normal scores, approximated by the sample's empirical distribution."""
    m = reference.shape[0]
    out = np.empty_like(z)
    for j in range(z.shape[1]):
        ref = reference[:, j]
        mid = 0.5 * (np.searchsorted(ref, z[:, j], side="left") + np.searchsorted(ref, z[:, j], side="right"))
        out[:, j] = ndtri((mid + 0.5) / (m + 1.0))
    return out


def _moments_block(b1: Any, b2: Any, by: Any, offset: int, reference: np.ndarray | None = None
                   ) -> tuple[int, np.ndarray, np.ndarray, tuple]:
    """(rows, mean, centred scatter, dims) of one partition's concatenated columns (their normal scores when a
    sorted ``reference`` sample is given)."""
    z, dims = _columns(b1, b2, by, offset)
    if reference is not None:
        z = normal_scores(z, reference)
    n = z.shape[0]
    if n == 0:
        return 0, np.zeros(z.shape[1]), np.zeros((z.shape[1], z.shape[1])), dims
    mean = z.mean(axis=0)
    centred = z - mean
    return n, mean, centred.T @ centred, dims


def _combine(a: tuple, b: tuple) -> tuple:
    na, ma, sa, da = a
    nb, mb, sb, db = b
    if na == 0:
        return b
    if nb == 0:
        return a
    if da != db:
        raise InputError(f"partitions disagree on the columns' dimensions ({da} and {db}).")
    n = na + nb
    delta = mb - ma
    return n, ma + delta * (nb / n), sa + sb + np.outer(delta, delta) * (na * nb / n), da


def dask_covariance(x1: Any, x2: Any, y: Any, *, client: Any = None, retries: int = 1, copula: bool = False,
                    sample_size: int = 200_000, random_state: Any = None
                    ) -> tuple[np.ndarray, tuple[int, int, int], int]:
    """``(cov, dims, n)``: the (n - 1)-normalized covariance of (X1, X2, Y) in one pass over the partitions.

    ``copula``: of their normal scores instead, ranked against a uniform sample of ``sample_size`` rows drawn in
    a first pass (ranks over all rows would need a global sort; the sample's quantiles stand in for them).
    """
    import dask

    parts, lengths = _partitions(x1, x2, y)
    if not parts:
        raise InputError("the dask collections have no partitions; expected at least one row.")
    if lengths is None:
        lengths = compute([dask.delayed(_block_len)(*p) for p in parts], client=client, retries=retries,
                          what="counting the rows of each partition")
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64).tolist()
    reference = None
    if copula:
        total = int(sum(lengths))
        seeds = np.random.SeedSequence(0 if random_state is None else int(random_state)).generate_state(len(parts))
        sample = dask.delayed(_sample_block)
        picks = compute([sample(*p, o, int(np.ceil(sample_size * ln / max(total, 1))), int(s))
                         for p, o, ln, s in zip(parts, offsets, lengths, seeds, strict=True)],
                        client=client, retries=retries, what="sampling rows for the copula's ranks")
        reference = np.sort(np.vstack(picks), axis=0)
    block = dask.delayed(_moments_block, pure=True)
    tasks = [block(*p, o, reference) for p, o in zip(parts, offsets, strict=True)]
    (n, _, scatter, dims), = compute([_tree_sum(tasks, dask, add=_combine)], client=client, retries=retries,
                                     what="summing the covariance over partitions")
    if n < 2:
        raise InputError(f"the dask collections hold {n} row(s); a covariance needs at least two.")
    return scatter / (n - 1), dims, int(n)
