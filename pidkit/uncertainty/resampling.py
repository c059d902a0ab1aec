"""Replicate tables of a joint count table, and their decomposition as stacks.

Resampling the n samples with replacement is the same as drawing a new count table from the
multinomial of the observed frequencies, so every replicate is built on the table's occupied
cells and never touches the samples. All replicates are decomposed by
:func:`pidkit.decompose_many` (compiled, parallel over tables), in chunks that bound memory.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..estimators.many import decompose_many
from ..exceptions import ConvergenceWarning
from ..result import QUANTITIES

__all__ = [
    "decompose_tables",
    "bootstrap_tables",
    "dirichlet_tables",
    "jackknife_tables",
    "split_tables",
    "chunks",
    "CHUNK_CELLS",
]

#: Cells of replicate tables held in memory at once (8 bytes each: 160 MB).
CHUNK_CELLS = 20_000_000


def chunks(n_tables: int, cells: int):
    """``(start, stop)`` ranges of replicates whose tables of ``cells`` cells hold at most ``CHUNK_CELLS``."""
    size = max(1, CHUNK_CELLS // max(cells, 1))
    for start in range(0, n_tables, size):
        yield start, min(n_tables, start + size)


def decompose_tables(make, n_tables: int, shape: tuple[int, int, int], *, units: str,
                     client: Any = None, measure: str = "broja") -> tuple[dict, int]:
    """Decompose ``n_tables`` tables built by ``make(start, stop) -> (stop - start, *shape)`` array
    (on ``client``, a ``dask.distributed.Client``, when given), by ``measure`` (a lattice measure of
    :mod:`pidkit.measures` runs in this process, vectorized over the tables).

    Returns ``({quantity: array (n_tables,)}, number of tables whose solve stopped above tol)``;
    those atoms are still within their certified gap, so they are kept and counted, not dropped.
    """
    out = {q: np.empty(n_tables) for q in QUANTITIES}
    unconverged = 0
    cells = int(np.prod(shape))
    for start, stop in chunks(n_tables, cells):
        tables = make(start, stop)
        if measure != "broja":
            _lattice_chunk(tables, measure, units, out, start, stop)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = decompose_many(tables, units=units, normalize=True, client=client)
        unconverged += int((~res.converged).sum())
        for q in QUANTITIES:
            out[q][start:stop] = getattr(res, q)
    return out, unconverged


def _lattice_chunk(tables: np.ndarray, measure: str, units: str, out: dict, start: int, stop: int) -> None:
    from .._validation import check_units
    from ..measures import lattice, lattice_atoms, two_source_quantities

    sums = tables.reshape(tables.shape[0], -1).sum(axis=1)
    pmf = tables / np.where(sums > 0, sums, 1.0)[:, None, None, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        red, atoms, _ = lattice_atoms(pmf, measure, lattice(2))
    scale = check_units(units)
    for q, values in two_source_quantities(red, atoms).items():
        out[q][start:stop] = values / scale


def _occupied(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    flat = counts.ravel()
    idx = np.flatnonzero(flat)
    return idx, flat[idx].astype(np.float64)


def _scatter(values: np.ndarray, idx: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros((values.shape[0], int(np.prod(shape))))
    out[:, idx] = values
    return out.reshape(values.shape[0], *shape)


def bootstrap_tables(counts: np.ndarray, rng: np.random.Generator):
    """``make(start, stop)``: nonparametric bootstrap tables, each a Multinomial(n, counts / n) draw."""
    idx, c = _occupied(counts)
    n = int(round(c.sum()))
    p = c / c.sum()

    def make(start: int, stop: int) -> np.ndarray:
        return _scatter(rng.multinomial(n, p, size=stop - start).astype(np.float64), idx, counts.shape)

    return make


def dirichlet_tables(counts: np.ndarray, rng: np.random.Generator, prior: float = 0.0):
    """``make(start, stop)``: posterior draws of the pmf under a Dirichlet(prior) prior on the cells.

    With ``prior = 0`` the posterior lives on the occupied cells (Rubin's Bayesian bootstrap);
    with ``prior > 0`` every cell of the table gets the pseudo-count ``prior``.
    """
    if prior > 0:
        idx = np.arange(counts.size)
        alpha = counts.ravel().astype(np.float64) + prior
    else:
        idx, alpha = _occupied(counts)

    def make(start: int, stop: int) -> np.ndarray:
        return _scatter(rng.dirichlet(alpha, size=stop - start), idx, counts.shape)

    return make


#: Above this many occupied cells the jackknife deletes groups of samples instead of one sample.
EXACT_JACKKNIFE_CELLS = 500
#: Groups of the grouped (delete-a-group) jackknife.
JACKKNIFE_GROUPS = 100


def jackknife_tables(counts: np.ndarray, rng: np.random.Generator) -> tuple[object, int, np.ndarray]:
    """Leave-one-out tables for the BCa acceleration: ``(make, n_tables, weights)``.

    Deleting any one sample of a cell gives the same table, so the exact jackknife needs one table
    per occupied cell, weighted by its count. Tables with more than ``EXACT_JACKKNIFE_CELLS``
    occupied cells use the delete-a-group jackknife over ``JACKKNIFE_GROUPS`` random groups.
    """
    idx, c = _occupied(counts)
    if idx.size <= EXACT_JACKKNIFE_CELLS:
        def make(start: int, stop: int) -> np.ndarray:
            vals = np.repeat(c[None, :], stop - start, axis=0)
            vals[np.arange(stop - start), np.arange(start, stop)] -= 1.0
            return _scatter(vals, idx, counts.shape)

        return make, idx.size, c
    groups = split_tables(counts, JACKKNIFE_GROUPS, rng)
    flat = counts.reshape(1, -1).astype(np.float64)

    def make_groups(start: int, stop: int) -> np.ndarray:
        return (flat - groups[start:stop].reshape(stop - start, -1)).reshape(stop - start, *counts.shape)

    return make_groups, JACKKNIFE_GROUPS, np.ones(JACKKNIFE_GROUPS)


def split_tables(counts: np.ndarray, parts: int, rng: np.random.Generator) -> np.ndarray:
    """The samples of ``counts`` dealt at random into ``parts`` nearly equal parts: (parts, *shape) counts.

    Sampling without replacement (multivariate hypergeometric), as subsampling the data would.
    """
    idx, c = _occupied(counts)
    left = c.astype(np.int64)
    n = int(left.sum())
    sizes = [n // parts + (1 if i < n % parts else 0) for i in range(parts)]
    out = np.zeros((parts, counts.size))
    for i, size in enumerate(sizes[:-1]):
        draw = rng.multivariate_hypergeometric(left, size)
        out[i, idx] = draw
        left = left - draw
    out[-1, idx] = left
    return out.reshape(parts, *counts.shape)
