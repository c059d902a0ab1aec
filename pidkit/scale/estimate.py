"""``pid.estimate`` on data that do not fit in memory: dask collections and Parquet datasets."""

from __future__ import annotations

import dataclasses
import fnmatch
from typing import Any, cast

from .._validation import as_samples
from ..discretize import Discretizer
from ..estimators.registry import TableEstimator, make_estimator
from ..exceptions import InputError, ParameterError
from ..trust import check_information
from ._dask import check_client, require_dask
from .counts import DEFAULT_SAMPLE_SIZE, dask_joint_counts

__all__ = ["estimate_dask", "read_parquet"]


def estimate_dask(
    x1: Any,
    x2: Any,
    y: Any,
    *,
    discretizer: Any = None,
    units: str = "bits",
    random_state: Any = None,
    client: Any = None,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    retries: int = 1,
    estimator_options: dict | None = None,
    info_check: str | None = None,
):
    """The exact (``"cvx"``) PID of dask collections; returns the result and the count table.

    What :func:`pidkit.estimate` runs when a modality or the label is a dask collection: the
    Discretizer (fitted on a bounded sample unless already fitted), counts summed over partitions
    (:func:`~pidkit.scale.counts.dask_joint_counts`), then the exact solver on the table. With
    ``info_check`` (``"fast"`` / ``"thorough"``) the result's information check compares the
    counts' informations with held-out classifiers fitted on that sample; a Discretizer fitted
    before gives no sample, and the check is then left out (noted).
    """
    client = check_client(client)
    # unknown options: ParameterError. What follows relies on the TableEstimator protocol: check_options,
    # check_size (before any pass over the data), decompose_table (of the counts summed over partitions)
    est = cast(TableEstimator, make_estimator("cvx", **dict(estimator_options or {})))
    est.check_options(units)  # before any pass over the data
    if discretizer is None:
        discretizer = Discretizer(random_state=random_state)
    sample: list = []
    counts, n = dask_joint_counts(x1, x2, y, discretizer, sample_size=sample_size, random_state=random_state,
                                  client=client, retries=retries, on_fitted=est.check_size,
                                  on_sample=lambda *arrays: sample.extend(arrays))
    summary = discretizer.summarize_counts(counts)
    res = est.decompose_table(counts / n, units=units, n_samples=n, discretization=summary.to_dict())
    if info_check is None:
        return res, counts
    if not sample:
        note = ("no information check: the Discretizer was fitted before, so no sample of these data is in memory "
                "for the held-out classifiers (pass an unfitted Discretizer, or info_check=False)")
        return dataclasses.replace(res, diagnostics=dataclasses.replace(
            res.diagnostics, notes=(note, *res.diagnostics.notes))), counts
    s1, s2, sy = (as_samples(a, name) for a, name in zip(sample, ("x1", "x2", "y"), strict=True))
    c1, c2, cy = discretizer.transform(s1, s2, sy)
    categorical = tuple(c if discretizer.kinds_[m] == "categorical" else None for c, m in ((c1, "x1"), (c2, "x2")))
    check = check_information(res, s1, s2, cy, counts=counts, categorical=categorical, models=info_check,
                              crossfit=discretizer.crossfit_, random_state=random_state)
    note = (f"information check: held-out classifiers fitted on the {cy.size:,} sampled rows the Discretizer was "
            "fitted on; the estimate's informations are those of all rows")
    return dataclasses.replace(res, info_check=check, diagnostics=dataclasses.replace(
        res.diagnostics, notes=(*res.diagnostics.notes, note))), counts


def _select(columns: list[str], spec: Any, name: str) -> list[str]:
    """Column names from a name, a glob or a list of them (in the dataset's column order)."""
    items = [spec] if isinstance(spec, str) else list(spec)
    if not items:
        raise ParameterError(f"{name} selects no column; pass a column name, a glob such as 'px_*', or a list.")
    out: list[str] = []
    for item in items:
        hits = [c for c in columns if fnmatch.fnmatchcase(c, item)] if any(ch in item for ch in "*?[") \
            else [item] if item in columns else []
        if not hits:
            raise InputError(f"{name}: no column matches {item!r}; the dataset has {len(columns)} columns: "
                             f"{', '.join(columns[:20])}{' ...' if len(columns) > 20 else ''}.")
        out.extend(h for h in hits if h not in out)
    return out


def read_parquet(path: Any, *, x1: Any, x2: Any, y: str, **kwargs: Any):
    """Lazily read the columns of a Parquet dataset (a file, a directory or a glob) as dask collections.

    ``x1`` and ``x2`` name one column, a glob (``"emb_*"``) or a list of them; ``y`` one column.
    Returns ``(x1, x2, y)``: a Series for a single column, a DataFrame for several, all from one
    read (so their partitions align), ready for :func:`pidkit.estimate`. Only the selected columns
    are read. Other keyword arguments go to ``dask.dataframe.read_parquet``.

    Examples
    --------
    >>> x1, x2, y = pid.scale.read_parquet("events/*.parquet", x1="user_*", x2="item_*", y="clicked")  # doctest: +SKIP
    >>> res = pid.estimate(x1, x2, y, client=client)  # doctest: +SKIP
    """
    require_dask("pidkit.scale.read_parquet")
    import dask.dataframe as dd

    if not isinstance(y, str):
        raise ParameterError(f"y must name one label column; got {y!r}.")
    try:
        schema = dd.read_parquet(path, **kwargs)
    except (FileNotFoundError, OSError, ValueError) as exc:
        raise InputError(f"could not read Parquet data at {path!r}: {exc}") from exc
    columns = [str(c) for c in schema.columns]
    c1, c2, cy = _select(columns, x1, "x1"), _select(columns, x2, "x2"), _select(columns, y, "y")
    frame = schema[list(dict.fromkeys(c1 + c2 + cy))]
    pick = [frame[c[0]] if len(c) == 1 else frame[c] for c in (c1, c2)]
    return pick[0], pick[1], frame[cy[0]]
