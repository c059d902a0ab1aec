"""``pidkit.estimate``: the one call that turns samples into a decomposition."""

from __future__ import annotations

import dataclasses
import importlib.util
from typing import Any

from ._validation import as_samples, check_same_length, check_units
from .estimators.registry import available_estimators, make_estimator
from .exceptions import ParameterError
from .result import PIDResult

__all__ = ["estimate"]


#: ``estimator="auto"`` picks ``"batch"`` only with at least this many samples ...
AUTO_BATCH_MIN_SAMPLES = 1000
#: ... and a continuous modality with at least this many feature columns.
AUTO_BATCH_MIN_DIM = 16


def _is_continuous_high_dim(a) -> bool:
    return a.ndim == 2 and a.dtype.kind == "f" and a.shape[1] >= AUTO_BATCH_MIN_DIM


def _choose_estimator(name: str, a1=None, a2=None, discretizer=None) -> tuple[str, str | None]:
    """The estimator to run and, for ``"auto"``, why it was chosen (a note for the result).

    A Discretizer passed by the user asks for discretized data, so ``"auto"`` keeps ``"cvx"``.
    """
    if name != "auto":
        if name not in available_estimators():
            raise ParameterError(f"estimator must be 'auto' or one of {available_estimators()}; got {name!r}.")
        return name, None
    if a1 is None or a2 is None or discretizer is not None:
        return "cvx", None
    wide = [m for m, a in (("x1", a1), ("x2", a2)) if _is_continuous_high_dim(a)]
    numeric = all(a.dtype.kind in "iuf" for a in (a1, a2))
    if not wide or not numeric:
        return "cvx", None
    dims = ", ".join(f"{m} has {a.shape[1]} continuous features" for m, a in (("x1", a1), ("x2", a2)) if m in wide)
    if a1.shape[0] < AUTO_BATCH_MIN_SAMPLES:
        return "cvx", (
            f"estimator='auto' chose 'cvx' (clustering) although {dims}: {a1.shape[0]} samples are under "
            f"{AUTO_BATCH_MIN_SAMPLES}, too few to train the 'batch' estimator's networks"
        )
    if importlib.util.find_spec("torch") is None:
        return "cvx", (
            f"estimator='auto' chose 'cvx' (clustering) although {dims}: PyTorch is not installed; "
            "pip install 'pidkit[torch]' to get the 'batch' estimator"
        )
    return "batch", f"estimator='auto' chose 'batch': {dims} and there are {a1.shape[0]} samples"


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
    estimator : {"auto", "cvx", "batch"}
        ``"cvx"`` discretizes with the shared :class:`~pidkit.Discretizer` and solves the BROJA
        program exactly on the joint count table. ``"batch"``
        (:class:`~pidkit.estimators.batch.BatchEstimator`, needs PyTorch) keeps numeric
        modalities continuous: classifiers plus learned minibatch couplings. ``"auto"`` picks
        ``"batch"`` when a modality is continuous and high-dimensional — a float array with at
        least ``AUTO_BATCH_MIN_DIM`` (16) columns, the other modality numeric too — with at
        least ``AUTO_BATCH_MIN_SAMPLES`` (1000) samples, torch installed and no ``discretizer``
        given; otherwise ``"cvx"``. The result's notes say what ``"auto"`` chose and why.
    discretizer : Discretizer, optional
        The front end to use. An unfitted one is fitted on these samples; a fitted one only
        transforms them, so codes mean the same thing as in an earlier call (e.g. to decompose a
        model's predictions with the dataset's bins and clusters). Default: ``Discretizer()``
        with ``random_state``. ``"batch"`` uses it for the labels only.
    units : {"bits", "nats"}
    random_state : int, numpy Generator or None
        Seed for every random step (k-means clustering; the splits, initializations and
        minibatches of ``"batch"``).
    **options
        Options of the chosen estimator, e.g. ``solver="ecos"``, ``tol=1e-7`` for ``"cvx"``;
        ``batch_size=1024``, ``epochs=60``, ``device="cuda"`` for ``"batch"``.

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
    _choose_estimator(estimator)  # a bad name fails before the data are looked at
    a1 = as_samples(x1, "x1")
    a2 = as_samples(x2, "x2")
    ay = as_samples(y, "y")
    check_same_length(x1=a1, x2=a2, y=ay)
    name, why = _choose_estimator(estimator, a1, a2, discretizer)
    est = make_estimator(name, options)
    if discretizer is None:
        discretizer = Discretizer(random_state=random_state)
    res = est.estimate(a1, a2, ay, discretizer=discretizer, units=units, random_state=random_state)
    if why is not None:
        diag = dataclasses.replace(res.diagnostics, notes=(why, *res.diagnostics.notes))
        res = dataclasses.replace(res, diagnostics=diag)
    return res
