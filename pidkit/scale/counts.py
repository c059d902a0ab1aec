"""Out-of-core joint counts: a Discretizer fitted on a bounded sample, counts summed over partitions.

Data of 10^8-10^10 rows do not fit in memory, but their joint count table (|X1| x |X2| x |Y|) does.
:func:`dask_joint_counts` makes at most three passes over dask collections (arrays, DataFrames,
Series):

1. (DataFrames only) the length of every partition;
2. a bounded sample: from each partition a seeded uniform subset of rows, in proportion to the
   partition's length (``sample_size`` rows in all), plus the first row showing each category of
   every column the Discretizer will code as categorical (the label, unless ``y_bins`` bins it;
   non-numeric modalities; numeric ones with at most ``max_categories`` distinct values per
   partition), so that no category is unknown to the coder. The Discretizer is fitted on that
   sample in memory — so its ``"auto"`` bin and cluster counts follow the joint-table budget of
   the *sample* (fewer states than the full data would allow: pass ``n_bins`` / ``n_clusters``
   for finer codes);
3. each partition coded with the fitted Discretizer and counted; the partial tables are summed by a
   tree reduction. The total is checked against the row counts, so a lost or repeated partition
   can never pass as the whole.

Memory per task is one partition plus one table. With a Discretizer that is already fitted, pass 2
is skipped and the counts equal those of the in-memory path exactly.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._validation import check_positive_int, seed_from
from ..discretize import joint_counts
from ..exceptions import InputError, LengthMismatchError, NonFiniteInputError, ParameterError, PlugInBiasWarning
from ._dask import compute, is_dask_collection, require_dask

__all__ = ["dask_joint_counts", "DEFAULT_SAMPLE_SIZE", "MAX_DISTINCT_PER_PARTITION"]

#: rows the Discretizer is fitted on when it is not fitted yet
DEFAULT_SAMPLE_SIZE = 200_000
#: a discrete column with more distinct values than this in one partition is not treated as categorical
#: by the sampler (its first occurrences are not added): the Discretizer bins or clusters such columns
MAX_DISTINCT_PER_PARTITION = 10_000


def _as_block(part: Any) -> np.ndarray:
    """A partition (NumPy block, pandas Series or DataFrame) as a NumPy array of shape (n,) or (n, d)."""
    if hasattr(part, "to_numpy"):
        arr = part.to_numpy()
    else:
        arr = np.asarray(part)
    if arr.ndim == 2 and arr.shape[1] == 1 and not hasattr(part, "columns"):
        arr = arr[:, 0]
    return arr


def _block_len(b1: Any, b2: Any, by: Any) -> int:
    a1, a2, ay = _as_block(b1), _as_block(b2), _as_block(by)
    if not (a1.shape[0] == a2.shape[0] == ay.shape[0]):
        raise LengthMismatchError(
            f"a partition holds {a1.shape[0]} rows of x1, {a2.shape[0]} of x2 and {ay.shape[0]} of y; the three "
            "collections must be partitioned alike (columns of one DataFrame, or arrays with the same chunks)."
        )
    return int(ay.shape[0])


def _first_rows(a: np.ndarray) -> np.ndarray:
    """Index of the first row showing each distinct value (1-D) or row (2-D) of ``a``."""
    if a.dtype.kind in "biu" and a.ndim == 1 and a.size:
        lo = int(a.min())
        span = int(a.max()) - lo + 1
        if span <= 4 * a.size:  # linear, no sort: the smallest row index per value
            first = np.full(span, a.size, dtype=np.int64)
            np.minimum.at(first, a - lo, np.arange(a.size, dtype=np.int64))
            return first[first < a.size]
    try:
        return np.unique(a, axis=0 if a.ndim == 2 else None, return_index=True)[1]
    except TypeError:  # mixed object types (e.g. ints and strings): first occurrences by hand
        seen: dict = {}
        for i, v in enumerate(a.tolist()):
            seen.setdefault(tuple(v) if isinstance(v, list) else v, i)
        return np.fromiter(seen.values(), dtype=np.int64, count=len(seen))


def _few_distinct(a: np.ndarray, limit: int) -> bool:
    """At most ``limit`` distinct values (rows), judged on a prefix first (no full sort of a wide column)."""
    head = a[: 4 * limit + 64]
    try:
        if np.unique(head, axis=0 if a.ndim == 2 else None).shape[0] > limit:
            return False
    except TypeError:
        return True
    return _first_rows(a).size <= limit


def _categorical_rows(a: np.ndarray, limit: int, label: bool) -> np.ndarray | None:
    """First rows of each category of a column the Discretizer will code as categorical, else None.

    Non-numeric columns are always categorical, numeric ones only with at most ``limit``
    (``max_categories``) distinct values; a label always is (unless binned, decided by the caller),
    a float label with many values is left to the Discretizer's ContinuousLabelError.
    """
    numeric = a.dtype.kind in "iuf"
    if label and a.dtype.kind != "f":
        return _first_rows(a)
    if numeric and not _few_distinct(a, limit):
        return None
    first = _first_rows(a)
    return first if first.size <= max(limit, MAX_DISTINCT_PER_PARTITION if not numeric else limit) else None


def _sample_block(b1: Any, b2: Any, by: Any, k: int, seed: int, limits: tuple[int, int, int | None],
                  offset: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``k`` uniform rows of the partition plus the first row of each category of its categorical columns.

    ``limits``: the ``max_categories`` of x1, x2 and y, or ``None`` for a binned label (``y_bins``).
    """
    a1, a2, ay = _as_block(b1), _as_block(b2), _as_block(by)
    n = _block_len(b1, b2, by)
    _check_finite((a1, a2, ay), offset)
    rng = np.random.default_rng(seed)
    rows = [rng.choice(n, size=min(k, n), replace=False)] if n else []
    for a, limit, label in ((a1, limits[0], False), (a2, limits[1], False), (ay, limits[2], True)):
        if n and limit is not None:
            first = _categorical_rows(a, limit, label)
            if first is not None:
                rows.append(first)
    idx = np.unique(np.concatenate(rows)) if rows else np.zeros(0, dtype=np.int64)
    return a1[idx], a2[idx], ay[idx]


def _limits(discretizer: Any) -> tuple[int, int, int | None]:
    """``max_categories`` per slot as the sampler needs them (``None`` for a label binned by ``y_bins``)."""
    mc = discretizer.max_categories
    per = {slot: int(mc.get(slot, 32) if isinstance(mc, dict) else mc) for slot in ("x1", "x2")}
    return per["x1"], per["x2"], None if discretizer.y_bins is not None else max(per.values())


def _check_finite(arrays: tuple[np.ndarray, ...], offset: int) -> None:
    """NaN / inf in a partition, named by its row in the whole collection (the partition starts at ``offset``)."""
    for a, name in zip(arrays, ("x1", "x2", "y"), strict=True):
        if a.dtype.kind != "f":
            continue
        finite = np.isfinite(a)
        if not finite.all():
            first = int(np.argwhere(~finite)[0][0])
            raise NonFiniteInputError(
                f"{name} contains {int((~finite).sum())} NaN or infinite value(s) in the partition of rows "
                f"{offset:,}-{offset + a.shape[0] - 1:,} (first at row {offset + first:,}); expected finite numbers. "
                "Drop or impute these samples before estimating (e.g. x.dropna() on the dask DataFrame)."
            )


def _count_block(b1: Any, b2: Any, by: Any, discretizer: Any, shape: tuple[int, int, int], offset: int = 0
                 ) -> tuple[np.ndarray, int]:
    n = _block_len(b1, b2, by)
    if n == 0:
        return np.zeros(shape, dtype=np.int64), 0
    blocks = (_as_block(b1), _as_block(b2), _as_block(by))
    _check_finite(blocks, offset)
    c1, c2, cy = discretizer.transform(*blocks)
    return joint_counts(c1, c2, cy, shape).astype(np.int64), n


def _add(a: tuple[np.ndarray, int], b: tuple[np.ndarray, int]) -> tuple[np.ndarray, int]:
    return a[0] + b[0], a[1] + b[1]


def _tree_sum(parts: list, dask, add: Any = _add) -> Any:
    """Pairwise (tree) reduction of delayed partial results with ``add`` (default: ``(table, rows)`` pairs summed):
    depth log2(partitions)."""
    add = dask.delayed(add, pure=True)
    while len(parts) > 1:
        nxt = [add(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        if len(parts) % 2:
            nxt.append(parts[-1])
        parts = nxt
    return parts[0]


def _is_frame(x: Any) -> bool:
    """A dask DataFrame or Series (arrays have partitions too, but no index)."""
    return is_dask_collection(x) and hasattr(x, "npartitions") and hasattr(x, "index")


def _as_dask_array(x: Any, name: str, chunks0: tuple[int, ...] | None):
    import dask.array as da

    if _is_frame(x):
        x = x.to_dask_array(lengths=True)
    elif not is_dask_collection(x):
        x = np.asarray(x)
        x = da.from_array(x, chunks=(chunks0,) + ((-1,) if x.ndim == 2 else ()) if chunks0 else "auto")
    if not hasattr(x, "chunks") or not hasattr(x, "rechunk"):
        raise InputError(
            f"{name} must be a dask array, DataFrame or Series (or a NumPy array); got {type(x).__name__}."
        )
    if x.ndim not in (1, 2):
        raise InputError(f"{name} must have shape (n,) or (n, d); got {x.ndim}-D shape {x.shape}.")
    return x


def _partitions(x1: Any, x2: Any, y: Any) -> tuple[list[tuple[Any, Any, Any]], list[int] | None]:
    """Aligned partitions of the three collections as delayed blocks, and their lengths when known."""
    frames = [_is_frame(v) for v in (x1, x2, y)]
    if all(frames) and len({v.npartitions for v in (x1, x2, y)}) == 1:
        parts = list(zip(*(v.to_delayed(optimize_graph=False) for v in (x1, x2, y)), strict=True))
        return parts, None
    ref = next((v for v in (x1, x2, y) if is_dask_collection(v) and not _is_frame(v)), None)
    a = _as_dask_array(ref if ref is not None else x1, "x1", None)
    chunks0 = a.chunks[0]
    arrays = []
    for name, v in (("x1", x1), ("x2", x2), ("y", y)):
        arr = _as_dask_array(v, name, chunks0)
        if arr.shape[0] != a.shape[0]:
            raise LengthMismatchError(f"x1, x2 and y must have the same number of rows; {name} has {arr.shape[0]}, "
                                      f"expected {a.shape[0]}.")
        arr = arr.rechunk({0: chunks0, 1: -1} if arr.ndim == 2 else {0: chunks0})
        arrays.append(arr)
    blocks = [arr.to_delayed().reshape(-1) if arr.ndim == 1 else arr.to_delayed()[:, 0] for arr in arrays]
    return list(zip(*blocks, strict=True)), [int(c) for c in chunks0]


def dask_joint_counts(
    x1: Any,
    x2: Any,
    y: Any,
    discretizer: Any,
    *,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    random_state: Any = None,
    client: Any = None,
    retries: int = 1,
    on_fitted: Any = None,
    on_sample: Any = None,
) -> tuple[np.ndarray, int]:
    """Joint count table of dask collections, and the number of rows counted (see the module docstring).

    ``discretizer`` is fitted on a bounded sample when it is not fitted yet (in place, like
    ``Discretizer.fit``); a fitted one is used as is. ``on_fitted(shape)``, if given, is called
    with the table's shape before the counting pass (e.g. to refuse a table too large);
    ``on_sample(x1, x2, y)`` with the in-memory sample the Discretizer was fitted on (not called
    for a fitted Discretizer). Returns ``(counts, n)`` with ``counts.sum() == n``.
    """
    dask = require_dask("dask inputs to pidkit.estimate")
    sample_size = check_positive_int("sample_size", sample_size)
    retries = check_positive_int("retries", retries, minimum=0)
    parts, lengths = _partitions(x1, x2, y)
    if not parts:
        raise InputError("the dask collections have no partitions; expected at least one row.")
    if lengths is None:  # DataFrames: one cheap pass for the partition lengths
        lengths = compute([dask.delayed(_block_len)(*p) for p in parts], client=client, retries=retries,
                          what="counting the rows of each partition")
    n = int(sum(lengths))
    if n == 0:
        raise InputError("the dask collections hold 0 rows; expected at least one sample.")
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64).tolist()
    if not discretizer.is_fitted():
        base = seed_from(random_state)
        seeds = np.random.SeedSequence(base if base is not None else 0).generate_state(len(parts))
        want = [int(np.ceil(sample_size * ln / n)) for ln in lengths]
        limits = _limits(discretizer)
        sample = dask.delayed(_sample_block)
        samples = compute([sample(*p, k, int(s), limits, o) for p, k, s, o in zip(parts, want, seeds, offsets,
                                                                                      strict=True)],
                          client=client, retries=retries, what="sampling rows to fit the Discretizer")
        s1, s2, sy = (np.concatenate([s[i] for s in samples]) for i in range(3))
        with warnings.catch_warnings():  # the sample's table is not the one decomposed: warn on the full counts
            warnings.simplefilter("ignore", PlugInBiasWarning)
            discretizer.fit(s1, s2, sy)
        if on_sample is not None:
            on_sample(s1, s2, sy)
    shape = (discretizer.n_states_["x1"], discretizer.n_states_["x2"], discretizer.n_states_["y"])
    if on_fitted is not None:
        on_fitted(shape)
    count = dask.delayed(_count_block, pure=True)
    tasks = [count(*p, discretizer, shape, o) for p, o in zip(parts, offsets, strict=True)]
    (counts, rows), = compute([_tree_sum(tasks, dask)], client=client, retries=retries,
                              what="counting the joint table")
    if rows != n or int(counts.sum()) != n:  # never a partial table counted as the whole
        raise InputError(
            f"the partitions held {n} rows, but {rows} were coded and {int(counts.sum())} counted; the collections "
            "changed between passes (e.g. a non-deterministic source). Persist or rewrite them first."
        )
    return counts, n


def check_no_dask_batch(estimator: str) -> None:
    if estimator == "batch":
        raise ParameterError(
            "estimator='batch' trains networks on samples in memory and does not take dask collections. Use "
            "estimator='cvx' (counts summed over partitions), or compute a sample first (x.compute())."
        )
