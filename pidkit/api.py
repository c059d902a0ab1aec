"""``pidkit.estimate``: the one call that turns samples into a decomposition."""

from __future__ import annotations

import dataclasses
import importlib.util
from typing import Any

import numpy as np

from ._validation import as_samples, check_bool, check_same_length, check_units
from .discretize import joint_counts
from .estimators.registry import available_estimators, make_estimator
from .exceptions import ParameterError
from .result import PIDResult
from .scale._dask import check_client, is_dask_collection
from .uncertainty.core import batch_uncertainty, check_uncertainty_options, table_uncertainty

__all__ = ["estimate", "bootstrap"]


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
    ci: float | None = None,
    n_boot: int | None = None,
    ci_method: str | None = None,
    n_perm: int = 0,
    tests: Any = None,
    bias: bool | None = None,
    client: Any = None,
    sample_size: int | None = None,
    **options: Any,
) -> PIDResult:
    """Partial information decomposition of what ``x1`` and ``x2`` tell about ``y``.

    Parameters
    ----------
    x1, x2 : array-like of shape (n,) or (n, d)
        The two modalities, one row per sample: NumPy arrays, lists, pandas Series or
        DataFrames; numbers, strings, bools or categoricals. Dask arrays, DataFrames or Series
        (:mod:`pidkit.scale`, ``pip install 'pidkit[dask]'``) are decomposed out of core with the
        exact estimator: the Discretizer is fitted on a bounded sample (``sample_size``) and the
        joint counts are summed over partitions, on ``client`` or locally.
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
        minibatches of ``"batch"``; the resamples and permutations below).
    ci : float, optional
        Confidence level (e.g. 0.95) of intervals for every atom and for I(X1;Y), I(X2;Y),
        I(X1,X2;Y), with standard errors, in ``result.uncertainty`` (``result.ci("S")``).
    n_boot : int, optional
        Replicates behind the intervals (default 1000 for ``"cvx"``, 20 refits for BATCH's
        ``"retrain"``).
    ci_method : str, optional
        ``"cvx"``: ``"bca"`` (default; bootstrap, bias-corrected and accelerated),
        ``"percentile"`` (bootstrap percentiles) or ``"bayes"`` (credible intervals under a
        Dirichlet posterior over the table). All resample the coded samples' count table and
        decompose the replicates in one :func:`decompose_many` call. ``"batch"``: ``"readout"``
        (default; the spread of the held-out read-out batches, given the trained networks) or
        ``"retrain"`` (the whole estimator refitted on ``n_boot`` random half-samples — costly,
        and the honest one). See :mod:`pidkit.uncertainty`.
    n_perm : int, default 0
        Permutations per significance test (``"cvx"`` only); p-values in ``result.p_values``.
    tests : sequence of str, optional
        Which tests (default all when ``n_perm`` > 0): ``"total"`` (H0: I(X1,X2;Y) = 0),
        ``"x1"`` (H0: U1 + S = 0), ``"x2"`` (H0: U2 + S = 0), ``"synergy"`` (H0: S = 0, a
        parametric bootstrap from the BROJA optimum q*); see :mod:`pidkit.uncertainty.permutation`.
    bias : bool, optional
        Report bias-corrected values next to the raw ones (bootstrap, quadratic extrapolation,
        Miller–Madow; ``"cvx"`` only). Default: True when ``ci`` is given.
    client : dask.distributed.Client, optional
        Run the counting of dask inputs and the bootstrap replicates' decompositions as tasks on
        this cluster (default: in this process).
    sample_size : int, optional
        Dask inputs only: rows the Discretizer is fitted on when it is not fitted yet (default
        200,000, plus the first row of every label and category); see :mod:`pidkit.scale.counts`.
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
    if discretizer is not None and not isinstance(discretizer, Discretizer):
        raise ParameterError(
            f"discretizer must be None or a pidkit.Discretizer (fitted or not); got {type(discretizer).__name__} "
            f"{discretizer!r}. Pass discretizer=pid.Discretizer(...) or leave it out to use the default."
        )
    check_client(client)
    if any(is_dask_collection(v) for v in (x1, x2, y)):
        return _estimate_dask(x1, x2, y, estimator=estimator, discretizer=discretizer, units=units,
                              random_state=random_state, ci=ci, n_boot=n_boot, ci_method=ci_method, n_perm=n_perm,
                              tests=tests, bias=bias, client=client, sample_size=sample_size, options=options)
    if sample_size is not None:
        raise ParameterError("sample_size applies to dask inputs only (the Discretizer sees every in-memory sample).")
    a1 = as_samples(x1, "x1")
    a2 = as_samples(x2, "x2")
    ay = as_samples(y, "y")
    check_same_length(x1=a1, x2=a2, y=ay)
    name, why = _choose_estimator(estimator, a1, a2, discretizer)
    unc = check_uncertainty_options(name, ci, n_boot, ci_method, n_perm, tests)
    do_bias = (ci is not None) if bias is None else check_bool("bias", bias)
    if do_bias and name == "batch" and bias:
        raise ParameterError("bias corrections need the count table of estimator='cvx'; BATCH has none.")
    est = make_estimator(name, options)
    if discretizer is None:
        discretizer = Discretizer(random_state=random_state)
    res = est.estimate(a1, a2, ay, discretizer=discretizer, units=units, random_state=random_state)
    if why is not None:
        diag = dataclasses.replace(res.diagnostics, notes=(why, *res.diagnostics.notes))
        res = dataclasses.replace(res, diagnostics=diag)
    if name == "batch":
        if unc["level"] is None:
            return res

        def refit(idx, seed):
            from .discretize import Discretizer as D

            return est.estimate(a1[idx], a2[idx], ay[idx], discretizer=D(), units=units, random_state=seed)

        extra = batch_uncertainty(res, level=unc["level"], method=unc["method"], n_boot=unc["n_boot"], refit=refit,
                                  n=len(ay), random_state=random_state)
    elif unc["level"] is not None or unc["n_perm"] or do_bias:
        c1, c2, cy = discretizer.transform(a1, a2, ay)
        shape = (discretizer.n_states_["x1"], discretizer.n_states_["x2"], discretizer.n_states_["y"])
        counts = joint_counts(c1, c2, cy, shape)
        extra = table_uncertainty(counts, res, level=unc["level"], method=unc["method"], n_boot=unc["n_boot"],
                                  bias=do_bias, codes=(c1, c2, cy), tests=unc["tests"], n_perm=unc["n_perm"],
                                  random_state=random_state, client=client)
    else:
        return res
    return dataclasses.replace(res, uncertainty=extra)


def _estimate_dask(x1, x2, y, *, estimator, discretizer, units, random_state, ci, n_boot, ci_method, n_perm, tests,
                   bias, client, sample_size, options) -> PIDResult:
    """:func:`estimate` on dask collections: counts summed over partitions, then the exact solver."""
    from .scale.counts import DEFAULT_SAMPLE_SIZE, check_no_dask_batch
    from .scale.estimate import estimate_dask

    check_no_dask_batch(estimator)
    if n_perm:
        raise ParameterError(
            "permutation tests (n_perm) shuffle the samples in memory; with dask inputs only intervals and bias "
            "corrections (resampling the count table) are available. Pass n_perm=0."
        )
    unc = check_uncertainty_options("cvx", ci, n_boot, ci_method, n_perm, tests)
    do_bias = (ci is not None) if bias is None else check_bool("bias", bias)
    res, counts = estimate_dask(x1, x2, y, discretizer=discretizer, units=units, random_state=random_state,
                                client=client, sample_size=DEFAULT_SAMPLE_SIZE if sample_size is None else sample_size,
                                estimator_options=options)
    if unc["level"] is None and not do_bias:
        return res
    extra = table_uncertainty(counts, res, level=unc["level"], method=unc["method"], n_boot=unc["n_boot"],
                              bias=do_bias, tests=unc["tests"], n_perm=0, random_state=random_state, client=client)
    return dataclasses.replace(res, uncertainty=extra)


def bootstrap(
    x1: Any,
    x2: Any = None,
    y: Any = None,
    *,
    ci: float = 0.95,
    n_boot: int | None = None,
    ci_method: str | None = None,
    n_perm: int = 0,
    tests: Any = None,
    bias: bool | None = None,
    units: str = "bits",
    random_state: Any = None,
    client: Any = None,
    **options: Any,
) -> PIDResult:
    """A decomposition with confidence intervals, standard errors and bias corrections.

    ``bootstrap(x1, x2, y, ...)`` is :func:`estimate` with ``ci=0.95`` (all its options apply);
    ``bootstrap(counts)`` takes a joint table of integer counts (shape (|X1|, |X2|, |Y|)) — the
    samples it stands for are resampled. See :func:`estimate` for ``ci``, ``n_boot``,
    ``ci_method``, ``n_perm``, ``tests``, ``bias`` and
    ``client`` (the replicates decomposed as tasks on a Dask cluster).

    Examples
    --------
    >>> import pidkit as pid
    >>> x1, x2, y = pid.synthetic.sample_gate("and", 2000, random_state=0)
    >>> res = pid.bootstrap(x1, x2, y, random_state=0)
    >>> lo, hi = res.ci("S")
    >>> bool(lo < 0.5 < hi)
    True
    >>> counts = pid.discretize.joint_counts(x1, x2, y, (2, 2, 2))
    >>> pid.bootstrap(counts, random_state=0).ci("S") == (lo, hi)
    True
    """
    if x2 is None and y is None:
        from .estimators import decompose
        from .estimators._problem import check_pmf
        check_client(client)
        table = np.asarray(x1)
        check_pmf(table, normalize=True, name="counts")
        unc = check_uncertainty_options("cvx", ci, n_boot, ci_method, n_perm, tests)
        res = decompose(table, units=units, normalize=True, **options)
        res = dataclasses.replace(res, n_samples=int(round(float(table.sum()))))
        extra = table_uncertainty(table.astype(np.float64), res, level=unc["level"], method=unc["method"],
                                  n_boot=unc["n_boot"], bias=True if bias is None else check_bool("bias", bias),
                                  tests=unc["tests"],
                                  n_perm=unc["n_perm"], random_state=random_state, client=client)
        return dataclasses.replace(res, uncertainty=extra)
    if x2 is None or y is None:
        raise ParameterError("bootstrap takes samples (x1, x2, y) or one table of counts; got only part of them.")
    return estimate(x1, x2, y, ci=ci, n_boot=n_boot, ci_method=ci_method, n_perm=n_perm, tests=tests, bias=bias,
                    units=units, random_state=random_state, client=client, **options)
