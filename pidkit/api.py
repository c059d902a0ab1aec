"""``pidkit.estimate``: the one call that turns samples into a decomposition."""

from __future__ import annotations

from typing import Any

from ._validation import as_samples, check_same_length, check_units
from .estimators.registry import available_estimators, make_estimator
from .exceptions import ParameterError
from .result import PIDResult

__all__ = ["estimate"]


def _choose_estimator(name: str) -> str:
    if name == "auto":
        # The exact estimator handles every table the Discretizer produces within
        # max_table_bytes; estimators for continuous high-dimensional data plug in here.
        return "cvx"
    if name not in available_estimators():
        raise ParameterError(f"estimator must be 'auto' or one of {available_estimators()}; got {name!r}.")
    return name


def estimate(
    x1: Any,
    x2: Any,
    y: Any,
    *,
    estimator: str = "auto",
    discretizer: Any = None,
    units: str = "bits",
    random_state: Any = None,
    **options: Any,
) -> PIDResult:
    """Partial information decomposition of what ``x1`` and ``x2`` tell about ``y``.

    Parameters
    ----------
    x1, x2 : array-like of shape (n,) or (n, d)
        The two modalities, one row per sample: NumPy arrays, lists, pandas Series or
        DataFrames; numbers, strings, bools or categoricals.
    y : array-like of shape (n,)
        Discrete task labels (ints, strings, bools, categoricals, or floats taking few values).
    estimator : {"auto", "cvx"}
        ``"cvx"`` discretizes with the shared :class:`~pidkit.Discretizer` and solves the BROJA
        program exactly on the joint count table. ``"auto"`` picks ``"cvx"`` whenever the table
        fits (see ``max_table_bytes``).
    discretizer : Discretizer, optional
        The front end to use. An unfitted one is fitted on these samples; a fitted one only
        transforms them, so codes mean the same thing as in an earlier call (e.g. to decompose a
        model's predictions with the dataset's bins and clusters). Default: ``Discretizer()``
        with ``random_state``.
    units : {"bits", "nats"}
    random_state : int, numpy Generator or None
        Seed for every random step (k-means clustering of multi-dimensional modalities).
    **options
        Options of the chosen estimator, e.g. ``solver="ecos"``, ``tol=1e-7`` for ``"cvx"``.

    Returns
    -------
    PIDResult
        ``R``, ``U1``, ``U2``, ``S``, ``total`` and diagnostics including the discretization
        summary (states per modality, occupied cells, samples per occupied cell).

    Examples
    --------
    >>> import numpy as np, pidkit as pid
    >>> rng = np.random.default_rng(0)
    >>> x1, x2 = rng.integers(0, 2, 10_000), rng.integers(0, 2, 10_000)
    >>> res = pid.estimate(x1, x2, x1 ^ x2)
    >>> round(res.S, 2)
    1.0
    """
    from .discretize import Discretizer

    check_units(units)
    name = _choose_estimator(estimator)
    est = make_estimator(name, options)
    a1 = as_samples(x1, "x1")
    a2 = as_samples(x2, "x2")
    ay = as_samples(y, "y")
    check_same_length(x1=a1, x2=a2, y=ay)
    if discretizer is None:
        discretizer = Discretizer(random_state=random_state)
    return est.estimate(a1, a2, ay, discretizer=discretizer, units=units, random_state=random_state)
