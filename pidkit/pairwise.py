"""``pid.pairwise``: the PID of many feature (or modality) pairs against one label.

Each feature is coded once (its own Discretizer, budgeted for a pair table), every pair's joint
count table is built from the codes, and all tables are decomposed by :func:`pidkit.decompose_many`
— in this process, or as tasks on a Dask cluster with ``client=`` (identical numbers).
"""

from __future__ import annotations

import itertools
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validation import as_samples, check_positive_int, check_same_length, check_units
from .discretize import Discretizer
from .estimators.exact import DEFAULT_MAX_TABLE_BYTES, check_table_size
from .estimators.many import STACK_ARRAYS, PIDResultStack, decompose_many
from .exceptions import ConvergenceWarning, InputError, ParameterError, PlugInBiasWarning, ShapeError
from .kernels import kernel_name
from .scale._dask import check_client, compute, require_dask

__all__ = ["pairwise", "PairwiseResult"]

#: bytes of the count tables held at once while a list of pairs is decomposed
LOCAL_CHUNK_BYTES = 64 * 1024**2

@dataclass(frozen=True)
class PairwiseResult(PIDResultStack):
    """PID atoms of feature pairs ``(a, b)`` against one label: a :class:`~pidkit.PIDResultStack`
    (arrays ``R, U1, U2, S, total, I1, I2, duality_gap, iterations, converged``) aligned with ``pairs``.

    Attributes
    ----------
    pairs : list of tuple
        ``(a, b)`` feature names (column indices for an array, keys for a dict of modalities);
        ``U1`` belongs to ``a``, ``U2`` to ``b``.
    n_states : dict
        States of each feature's coding and of the label.
    n_samples : int
    """

    pairs: list = field(default_factory=list)
    n_states: dict = field(default_factory=dict)
    n_samples: int = 0

    def __len__(self) -> int:
        return len(self.pairs)

    def top(self, k: int | None = 10, by: str = "S") -> list[tuple[Any, Any, float]]:
        """The ``k`` pairs with the largest ``by`` (an atom or ``"total"``): ``[(a, b, value), ...]``.

        ``k`` is a non-negative int; ``k=None`` returns every pair, in order.
        """
        if k is None:
            k = len(self)
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise ParameterError(f"k must be a non-negative int (how many pairs) or None for all; got {k!r}.")
        if by not in ("R", "U1", "U2", "S", "total", "I1", "I2"):
            raise ParameterError(f"by must be an atom, 'total', 'I1' or 'I2'; got {by!r}.")
        vals = getattr(self, by)
        order = np.argsort(-vals, kind="stable")[:k]
        return [(*self.pairs[i], float(vals[i])) for i in order]

    def to_pandas(self):
        """One row per pair: ``x1``, ``x2`` and the arrays."""
        frame = super().to_pandas()
        frame.insert(0, "x2", [b for _, b in self.pairs])
        frame.insert(0, "x1", [a for a, _ in self.pairs])
        return frame

    def __repr__(self) -> str:
        best = self.top(1)[0] if len(self) else None
        most = f", most synergy {best[2]:.3g} {self.units} for {best[:2]}" if best else ""
        return f"PairwiseResult({len(self)} pairs, {self.n_samples} samples{most}, {self.time_s:.3g} s)"


def _features(X: Any) -> tuple[list, list[np.ndarray]]:
    """Names and sample arrays of the features: columns of a 2-D array / DataFrame, or a dict's values."""
    if isinstance(X, dict):
        names = list(X)
        cols = [as_samples(X[k], f"X[{k!r}]") for k in names]
    elif hasattr(X, "columns") and hasattr(X, "iloc"):  # pandas DataFrame
        names = list(X.columns)
        twice = sorted({str(c) for c in names if names.count(c) > 1})
        if twice:
            raise ParameterError(f"X repeats the column name(s) {twice}; pairs are named by column, so names must be "
                                 "unique. Rename or drop the duplicates.")
        cols = [as_samples(X.iloc[:, j], f"X[{c!r}]") for j, c in enumerate(names)]
    else:
        arr = as_samples(X, "X")
        if arr.ndim != 2:
            raise ShapeError(f"X must be 2-D (samples x features) or a dict of modalities; got shape {arr.shape}.")
        names = list(range(arr.shape[1]))
        cols = [arr[:, j] for j in names]
    if len(names) < 2:
        raise InputError(f"pairwise needs at least two features; got {len(names)}.")
    return names, cols


def _pairs(names: list, pairs: Any) -> list[tuple[int, int]]:
    """Pairs as index tuples into ``names`` (all unordered pairs when ``pairs`` is None)."""
    if pairs is None:
        return list(itertools.combinations(range(len(names)), 2))
    index = {n: i for i, n in enumerate(names)}
    out = []
    for p in pairs:
        if not (isinstance(p, (tuple, list)) and len(p) == 2):
            raise ParameterError(f"pairs must hold (a, b) tuples of feature names; got {p!r}.")
        missing = [v for v in p if v not in index]
        if missing:
            raise InputError(f"pairs names unknown feature(s) {missing}; the features are {names[:20]}.")
        if p[0] == p[1]:
            raise ParameterError(f"pair {tuple(p)} pairs a feature with itself; use distinct features.")
        out.append((index[p[0]], index[p[1]]))
    if not out:
        raise ParameterError("pairs is empty; pass at least one (a, b) pair, or None for all pairs.")
    return out


def _tables(codes: np.ndarray, cy: np.ndarray, states: list[int], ny: int, pairs: list, width: int) -> np.ndarray:
    """Count tables of ``pairs`` padded to (width, width, ny) (a padded state has no mass: it is pruned)."""
    out = np.zeros((len(pairs), width, width, ny))
    for t, (i, j) in enumerate(pairs):
        flat = (codes[:, i] * width + codes[:, j]) * ny + cy
        out[t] = np.bincount(flat, minlength=width * width * ny).reshape(width, width, ny)
    return out


def _solve_pairs(codes, cy, states, ny, pairs, width, units, tol, max_iter) -> dict:
    """Count and decompose a list of pairs, a chunk at a time (tables of at most ~64 MB in memory)."""
    from .scale.many import chunk_bounds

    parts = []
    per_chunk = max(1, LOCAL_CHUNK_BYTES // (8 * width * width * ny))
    for a, b in chunk_bounds(len(pairs), width * width * ny, 1, per_chunk):
        with warnings.catch_warnings():  # reported once for the whole run by the caller
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = decompose_many(_tables(codes, cy, states, ny, pairs[a:b], width), units=units, tol=tol,
                                 max_iter=max_iter, normalize=True)
        parts.append({k: getattr(res, k) for k in STACK_ARRAYS})
    return {k: np.concatenate([p[k] for p in parts]) for k in STACK_ARRAYS}


def pairwise(
    X: Any,
    y: Any,
    *,
    pairs: Any = None,
    discretizer: Any = None,
    units: str = "bits",
    random_state: Any = None,
    client: Any = None,
    chunk_size: int | None = None,
    retries: int = 1,
    tol: float | None = None,
    max_iter: int = 200,
) -> PairwiseResult:
    """PID of every pair of features (or of the given ``pairs``) about one label ``y``.

    Parameters
    ----------
    X : array (n, p), pandas DataFrame, or dict of modalities {name: array (n,) or (n, d)}
        The features; a pair's U1 belongs to its first feature.
    y : array-like (n,)
        The label.
    pairs : list of (a, b), optional
        Feature names (column indices of an array, columns of a DataFrame, keys of a dict);
        default all ``p (p - 1) / 2`` unordered pairs.
    discretizer : Discretizer, optional
        Template of each feature's coding (unfitted; its parameters are reused for every feature,
        with ``"auto"`` budgets sized for a pair table). Default ``Discretizer(random_state=...)``.
    client : dask.distributed.Client, optional
        Count and decompose chunks of pairs as tasks on this cluster (the codes are sent to every
        worker once); the numbers are identical to the local run.
    chunk_size : int, optional
        Pairs per task (default: about four tasks per worker).
    retries : int
        With ``client``: retries of a failed task before
        :class:`~pidkit.scale.DistributedComputeError`.
    tol, max_iter :
        As in :func:`pidkit.decompose_many`. Pairs whose solve stops above ``tol`` are counted in
        one :class:`~pidkit.exceptions.ConvergenceWarning` (their atoms stay within their gap).

    Each feature is coded once, by a Discretizer fitted on (feature, feature, y): its ``"auto"``
    budget is that of a table of two such features. The feature-by-feature tables themselves are
    not decomposed, so their plug-in-bias warnings are not shown; check ``n_states`` against the
    number of samples.

    Returns
    -------
    PairwiseResult
        Arrays aligned with ``pairs``; ``top(k, by="S")``, ``to_pandas()``.

    Examples
    --------
    >>> import numpy as np, pidkit as pid
    >>> X = np.random.default_rng(0).integers(0, 2, size=(4000, 4))
    >>> res = pid.pairwise(X, X[:, 0] ^ X[:, 1])
    >>> res.top(1)[0][:2], round(res.top(1)[0][2], 2)
    ((0, 1), 1.0)
    """
    t0 = time.perf_counter()
    check_units(units)
    client = check_client(client)
    names, cols = _features(X)
    ay = as_samples(y, "y")
    check_same_length(**{f"X[{names[0]!r}]": cols[0], "y": ay})
    for name, col in zip(names, cols, strict=True):
        if col.shape[0] != ay.shape[0]:
            raise InputError(f"feature {name!r} has {col.shape[0]} samples but y has {ay.shape[0]}.")
    index_pairs = _pairs(names, pairs)
    if discretizer is not None and not isinstance(discretizer, Discretizer):
        raise ParameterError(
            f"discretizer must be None or an unfitted pidkit.Discretizer; got {type(discretizer).__name__}."
        )
    params = discretizer.get_params() if discretizer is not None else {"random_state": random_state}
    used = sorted({i for p in index_pairs for i in p})
    codes = np.zeros((ay.shape[0], len(names)), dtype=np.int64)
    states = [1] * len(names)
    cy = None
    for i in used:  # each feature once, in both slots: the "auto" budget of a pair of such features
        with warnings.catch_warnings():  # the (feature, feature, y) table is never decomposed
            warnings.simplefilter("ignore", PlugInBiasWarning)
            c1, _, c_y = Discretizer(**params).fit_transform(cols[i], cols[i], ay)
        codes[:, i], states[i] = c1, int(c1.max()) + 1 if c1.size else 1
        cy = c_y if cy is None else cy
    ny = int(cy.max()) + 1
    width = max(states[i] for i in used)
    # one pair's table must fit (the largest feature sets every table's width), checked before counting
    check_table_size((width, width, ny), DEFAULT_MAX_TABLE_BYTES, what="one pair's joint table", fix=(
        "A feature with many distinct values (an ID, free text) makes every pair's table that wide: drop it, or "
        "pass a Discretizer with fewer states (n_bins, max_categories)."))
    solver = f"native/ipm ({'C++' if kernel_name() == 'native' else 'NumPy twin'})"
    if client is None:
        out = _solve_pairs(codes, cy, states, ny, index_pairs, width, units, tol, max_iter)
    else:
        from .scale.many import chunk_bounds, n_workers

        dask = require_dask("pairwise(client=...)", distributed=True)
        shared = client.scatter((codes, cy), broadcast=True)
        bounds = chunk_bounds(len(index_pairs), width * width * ny, n_workers(client), chunk_size)

        def task(data, chunk):
            return _solve_pairs(data[0], data[1], states, ny, chunk, width, units, tol, max_iter)

        parts = compute([dask.delayed(task)(shared, index_pairs[a:b]) for a, b in bounds], client=client,
                        retries=check_positive_int("retries", retries, minimum=0),
                        what=f"pairwise decomposition of {len(index_pairs)} pairs")
        out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    if not out["converged"].all():
        bad = np.flatnonzero(~out["converged"])
        warnings.warn(f"{bad.size} of {len(index_pairs)} pair tables stopped above tol (worst certified gap "
                      f"{out['duality_gap'][bad].max():.2e} {units}); their atoms are within their duality_gap.",
                      ConvergenceWarning, stacklevel=2)
    return PairwiseResult(
        **{k: out[k] for k in STACK_ARRAYS},
        units=units,
        solver=solver,
        time_s=time.perf_counter() - t0,
        pairs=[(names[i], names[j]) for i, j in index_pairs],
        n_states={**{names[i]: states[i] for i in used}, "y": ny},
        n_samples=int(ay.shape[0]),
    )
