"""``pidkit.estimate``: the one call that turns samples into a decomposition."""

from __future__ import annotations

import dataclasses
import importlib.util
from typing import Any

import numpy as np

from ._validation import as_samples, check_bool, check_keys, check_same_length, check_units
from .discretize import Discretizer, joint_counts
from .estimators._problem import check_pmf
from .estimators.batch import BatchEstimator, min_class_size
from .estimators.exact import decompose
from .estimators.gaussian import CopulaEstimator, GaussianEstimator, decompose_gaussian
from .estimators.registry import (
    Estimator,
    TableEstimator,
    available_estimators,
    estimator_options,
    make_estimator,
)
from .exceptions import ParameterError, PIDKitError
from .result import PIDResult
from .scale._dask import check_client, is_dask_collection
from .scale.counts import DEFAULT_SAMPLE_SIZE, check_no_dask_batch
from .scale.estimate import estimate_dask
from .trust import check_information, warn_about
from .uncertainty.core import batch_uncertainty, check_uncertainty_options, table_uncertainty

__all__ = ["estimate", "bootstrap"]


#: ``estimator="auto"`` falls back to ``"batch"`` (codes that keep too little information) only with at
#: least this many samples: fewer cannot train its three classifiers and coupling networks reliably.
AUTO_BATCH_MIN_SAMPLES = 1000
#: The seed every random step uses when ``random_state`` is None: the same data give the same answer.
DEFAULT_SEED = 0


def _check_estimator(name: Any) -> str:
    if name != "auto" and name not in available_estimators():
        raise ParameterError(f"estimator must be 'auto' or one of {available_estimators()}; got {name!r}.")
    return name


def _check_info_check(value: Any) -> str | None:
    if isinstance(value, (bool, np.bool_)):
        return "fast" if value else None
    if value not in ("fast", "thorough"):
        raise ParameterError(
            f"info_check must be True (the fast classifiers), 'thorough' (gradient boosting as well) or False; "
            f"got {value!r}."
        )
    return value


def _split_options(options: dict) -> dict[str, dict]:
    """``estimator="auto"``: the options each candidate estimator takes (unknown to both: an error)."""
    out, keywords = {}, {}
    for name in ("cvx", "batch"):
        keywords[name] = set(estimator_options(name))
        out[name] = {k: v for k, v in options.items() if k in keywords[name]}
    check_keys("estimator 'auto' ('cvx', with 'batch' as its fallback)", options,
               sorted(keywords["cvx"] | keywords["batch"]), noun="option",
               hint=f"Those of 'cvx' are {sorted(keywords['cvx'])}, those of 'batch' {sorted(keywords['batch'])}.")
    return out


def _batch_unavailable(a1: np.ndarray, a2: np.ndarray, y_codes: np.ndarray, unc: dict, ci_method: Any, bias: bool,
                       batch_options: dict) -> str | None:
    """Why ``estimator="auto"`` cannot fall back to BATCH here (None when it can)."""
    if any(a.dtype.kind not in "biuf" for a in (a1, a2)):
        return "a modality is not numeric (BATCH's networks need numbers)"
    if y_codes.size < AUTO_BATCH_MIN_SAMPLES:
        return f"{y_codes.size} samples are under {AUTO_BATCH_MIN_SAMPLES}, too few to train BATCH's networks"
    if importlib.util.find_spec("torch") is None:
        return "PyTorch is not installed (pip install 'pidkit[torch]')"
    if unc["n_perm"] or bias:
        return "permutation tests and bias corrections need the count table of 'cvx'"
    if ci_method is not None:
        return f"ci_method={ci_method!r} was asked for, a method of the count table"
    counts = np.bincount(y_codes)
    need = min_class_size(batch_options.get("validation_size", 0.2), batch_options.get("test_size", 0.2))
    if np.any((counts > 0) & (counts < need)):
        return f"a class has fewer than the {need} samples BATCH's splits need"
    return None


def _coding_note(disc) -> str:
    """What the Discretizer did, in one line for the result's notes."""
    parts = []
    for v in ("x1", "x2", "y"):
        coder, k = disc.coders_[v], disc.n_states_[v]
        what = {"categorical": "categories", "binned": "bins", "clustered": "clusters",
                "supervised": "posterior cells"}[coder.kind]
        extra = ""
        if coder.kind == "clustered":
            extra = " of standardized columns" if coder.standardize else " of raw columns"
        elif coder.kind == "binned" and v != "y":
            extra = " of equal count" if coder.strategy == "quantile" else " of equal width"
        elif coder.kind == "supervised":
            extra = f" (cross-fitted logistic p(y | {v}))"
        parts.append(f"{v} {k} {what}{extra}")
    sel = disc.selection_
    chosen = "" if sel is None else f"; states chosen by held-out information: {sel.short()}"
    return "codes: " + ", ".join(parts) + chosen


def estimate(
    x1: Any,
    x2: Any,
    y: Any = None,
    *,
    estimator: str = "auto",
    measure: str = "broja",
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
    info_check: Any = True,
    **options: Any,
) -> PIDResult:
    """Partial information decomposition of what ``x1`` and ``x2`` tell about ``y``.

    Parameters
    ----------
    x1, x2 : array-like of shape (n,) or (n, d)
        The two modalities, one row per sample (for three or four modalities call
        ``estimate([x1, x2, x3], y, measure="imin")``: a list of sources, then the label): NumPy
        arrays, lists, pandas Series or DataFrames; numbers, strings, bools or categoricals. Dask
        arrays, DataFrames or Series (:mod:`pidkit.scale`, ``pip install 'pidkit[dask]'``) are
        decomposed out of core with the exact estimator: the Discretizer is fitted on a bounded
        sample (``sample_size``) and the joint counts are summed over partitions, on ``client`` or
        locally.
    y : array-like of shape (n,)
        Discrete task labels (ints, strings, bools, categoricals, or numbers taking at most
        ``max_categories`` (32) values). Under ``estimator="auto"`` a float label with more
        distinct non-integer values (a regression target; never class codes) beside numeric
        modalities is kept continuous: ``"copula"`` decomposes it (and says so). A many-valued integer
        label, or any such label with a Discretizer or ``estimator="cvx"``, raises
        :class:`~pidkit.exceptions.ContinuousLabelError`: bin it
        (``Discretizer(y_bins=5)``) or declare it class codes (``Discretizer(kind={"y": "categorical"})``).
    estimator : {"auto", "cvx", "batch", "gaussian", "copula"}
        ``"cvx"`` codes the samples with the shared :class:`~pidkit.Discretizer` (categories
        kept as they are; continuous modalities binned, clustered or coded by their class posterior,
        with the number of states chosen by held-out information) and solves the BROJA program
        exactly on the joint count table. ``"batch"``
        (:class:`~pidkit.estimators.batch.BatchEstimator`, needs PyTorch) keeps numeric
        modalities continuous: classifiers plus learned minibatch couplings. ``"auto"`` (default)
        decides from the data, never from the dtype: it runs ``"cvx"`` and keeps it when its codes
        keep at least 85% of I(X1;Y), I(X2;Y) and I(X1,X2;Y) that held-out classifiers find and its
        atoms lie in the ranges those informations allow (``info_check``); otherwise it falls back
        to ``"batch"`` — numeric modalities, at least ``AUTO_BATCH_MIN_SAMPLES`` (1000) samples,
        torch installed, no ``discretizer`` given — and keeps whichever keeps more. The result's
        notes say what was chosen and why, and how each variable was coded. ``"gaussian"``
        (:class:`~pidkit.estimators.gaussian.GaussianEstimator`) takes the data as jointly Gaussian:
        the exact Gaussian PID (:func:`pidkit.decompose_gaussian`) of their sample covariance — vector
        modalities and a continuous (or vector) target, no discretization; ``ci=`` gives bootstrap
        intervals over the samples (``ci_method="resample"``, default) or from the covariance's Wishart
        distribution (``"parametric"``), and a bias correction. ``"copula"``
        first replaces every dimension by its normal scores (ranks): invariant under increasing maps of
        each dimension, robust to outliers.
    measure : {"broja", "mmi", "imin", "ccs"}
        The PID measure of the discretized table (:func:`pidkit.decompose`, :mod:`pidkit.measures`).
        Lattice measures use the ``"cvx"`` path (codes → table) and also decompose a list of three or
        four sources, each coded by its own copy of the Discretizer with its share of the joint-table
        budget, into a :class:`~pidkit.measures.LatticePIDResult` (``ci=`` gives percentile
        bootstrap intervals of every atom).
    discretizer : Discretizer, optional
        The front end to use. An unfitted one is fitted on these samples; a fitted one only
        transforms them, so codes mean the same thing as in an earlier call (e.g. to decompose a
        model's predictions with the dataset's bins and clusters). Default: ``Discretizer()``
        with ``random_state``. ``"batch"`` uses it for the labels only. Passing one asks for
        codes: ``"auto"`` then stays with ``"cvx"``.
    units : {"bits", "nats"}
    random_state : int, numpy Generator or None
        Seed for every random step (the Discretizer's folds, classifiers and k-means; the splits,
        initializations and minibatches of ``"batch"``; the information check; the resamples and
        permutations below). None uses seed ``DEFAULT_SEED`` (0): the same data always give the
        same answer — whatever their dtype or file format. Pass other ints to see how much the
        random steps move the result.
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
    info_check : bool or {"fast", "thorough"}, default True
        Attach ``result.info_check`` (:class:`~pidkit.result.InformationCheck`): held-out lower
        bounds on I(X1;Y), I(X2;Y), I(X1,X2;Y) from cross-fitted classifiers (logistic regression
        and nearest neighbours; ``"thorough"`` adds gradient boosting), the share of each the
        estimate keeps, and the ranges the atoms must lie in given the informations alone
        (:mod:`pidkit.trust`). Warns (:class:`~pidkit.exceptions.InformationLossWarning`,
        :class:`~pidkit.exceptions.OutOfRangeWarning`) when the estimate keeps under 85% or an atom
        leaves its range. Lossless codes (all modalities categorical) need no classifier. False
        skips it (and ``"auto"`` then keeps ``"cvx"``).
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
    check_units(units)
    _check_estimator(estimator)  # a bad name fails before the data are looked at
    from .measures import DEFAULT_MAX_ATOMS, check_measure

    measure = check_measure(measure)
    if y is None:
        if not isinstance(x1, (list, tuple)):
            raise ParameterError(
                "estimate needs the label: estimate(x1, x2, y), or estimate([x1, x2, x3], y, measure=...) for a list "
                "of sources; got two arguments and the first is not a list of sources."
            )
        extra = {k: v for k, v in dict(ci_method=ci_method, client=client, sample_size=sample_size).items()
                 if v is not None}
        if n_perm or tests or bias or extra or estimator not in ("auto", "cvx") or set(options) - {"max_atoms"}:
            raise ParameterError(
                "a list of sources is decomposed on its discretized joint table by a lattice measure; it takes "
                "discretizer=, units=, random_state=, measure=, max_atoms=, ci= and n_boot= (percentile bootstrap); "
                "tests, bias corrections, other estimators and options are for two modalities; got "
                f"{sorted([*extra, *options]) or estimator!r}."
            )
        from .measures.samples import estimate_sources

        return estimate_sources(x1, x2, measure=measure, discretizer=discretizer, units=units,
                                random_state=DEFAULT_SEED if random_state is None else random_state,
                                max_atoms=options.get("max_atoms", DEFAULT_MAX_ATOMS), ci=ci, n_boot=n_boot)
    if measure != "broja":
        if estimator not in ("auto", "cvx"):
            raise ParameterError(f"measure={measure!r} decomposes the discretized table (estimator='cvx'); estimator "
                                 f"{estimator!r} computes BROJA only.")
        if tests is not None and "synergy" in tests or (n_perm and tests is None):
            raise ParameterError("the 'synergy' permutation test draws from the BROJA optimum; with measure="
                                 f"{measure!r} pass tests=('total', 'x1', 'x2').")
        estimator, options = "cvx", {**options, "measure": measure}
    models = _check_info_check(info_check)
    if discretizer is not None and not isinstance(discretizer, Discretizer):
        raise ParameterError(
            f"discretizer must be None or a pidkit.Discretizer (fitted or not); got {type(discretizer).__name__} "
            f"{discretizer!r}. Pass discretizer=pid.Discretizer(...) or leave it out to use the default."
        )
    check_client(client)
    if random_state is None:
        random_state = DEFAULT_SEED
    if any(is_dask_collection(v) for v in (x1, x2, y)):
        return _estimate_dask(x1, x2, y, estimator=estimator, discretizer=discretizer, units=units,
                              random_state=random_state, ci=ci, n_boot=n_boot, ci_method=ci_method, n_perm=n_perm,
                              tests=tests, bias=bias, client=client, sample_size=sample_size, models=models,
                              options=options)
    if sample_size is not None:
        raise ParameterError("sample_size applies to dask inputs only (the Discretizer sees every in-memory sample).")
    a1 = as_samples(x1, "x1")
    a2 = as_samples(x2, "x2")
    ay = as_samples(y, "y")
    check_same_length(x1=a1, x2=a2, y=ay)
    continuous = estimator == "auto" and discretizer is None and _continuous_target(a1, a2, ay)
    first = "copula" if continuous else "cvx" if estimator == "auto" else estimator
    unc = check_uncertainty_options(first, ci, n_boot, ci_method, n_perm, tests)
    do_bias = _bias(bias, ci)
    if do_bias and first == "batch" and bias:
        raise ParameterError("bias corrections need the count table of estimator='cvx'; BATCH has none.")
    if continuous:  # the exact solver's and BATCH's options do not apply to the copula estimator
        split = {first: {k: v for k, v in options.items() if k in ("tol", "max_iter")}}
    else:
        split = _split_options(options) if estimator == "auto" else {first: options}
    est = make_estimator(first, **split[first])
    given = discretizer is not None
    if discretizer is None:
        discretizer = Discretizer(random_state=random_state)
    fresh = not discretizer.is_fitted()  # fitted here: its cross-fitted posteriors are of these samples
    run = _Run(a1=a1, a2=a2, ay=ay, units=units, random_state=random_state, models=models,
               discretizer=discretizer, fresh=fresh, given_discretizer=given)
    if first == "batch":
        res = run.batch(est, unc)
    elif not isinstance(est, TableEstimator):
        res = run.other(est)
    else:
        res = run.table(est)
        if estimator == "auto":
            res = run.auto(res, unc, ci_method, bias is True, split)
    if continuous:
        res = _noted(res, f"estimator='auto' chose 'copula': y is continuous ({np.unique(ay).size:,} distinct "
                          "non-integer values) and the modalities numeric, so y is kept continuous rather than binned "
                          "(estimator='gaussian' for the Gaussian PID of the raw values; Discretizer(y_bins=k) to bin "
                          "it)")
    run.warn(res)
    return run.uncertainty(res, unc, do_bias, client)


@dataclasses.dataclass
class _Run:
    """One call of :func:`estimate` on in-memory samples: the estimators it runs and what it attaches."""

    a1: np.ndarray
    a2: np.ndarray
    ay: np.ndarray
    units: str
    random_state: Any
    models: str | None
    discretizer: Any
    fresh: bool
    given_discretizer: bool = False
    counts: np.ndarray | None = None
    codes: tuple | None = None
    batch_run: tuple | None = None  # (estimator, uncertainty options) of the BATCH result, if one was made
    other_est: Any = None  # the registered estimator run by other()

    def _checked(self, res: PIDResult, *, table: bool) -> PIDResult:
        """``res`` with its information check (and, for a table estimate, a note on the codes)."""
        disc = self.discretizer
        check = None
        if self.models is not None:
            y_codes = self.codes[2] if table else disc.encode_labels(self.ay)[0]
            categorical = (None, None)
            if table:
                categorical = tuple(self.codes[i] if disc.kinds_[m] == "categorical" else None
                                    for i, m in enumerate(("x1", "x2")))
            check = check_information(
                res, self.a1, self.a2, y_codes, counts=self.counts if table else None, categorical=categorical,
                models=self.models, crossfit=disc.crossfit_ if self.fresh and disc.is_fitted() else None,
                random_state=self.random_state,
            )
        res = dataclasses.replace(res, info_check=check)
        return _noted(res, _coding_note(disc)) if table else res

    def table(self, est: TableEstimator) -> PIDResult:
        res, self.counts, self.codes = est.estimate_table(self.a1, self.a2, self.ay, discretizer=self.discretizer,
                                                          units=self.units, random_state=self.random_state)
        return self._checked(res, table=True)

    def other(self, est: Estimator) -> PIDResult:
        """A registered estimator without ``estimate_table``: its count table, if any, from the Discretizer."""
        res = est.estimate(self.a1, self.a2, self.ay, discretizer=self.discretizer, units=self.units,
                           random_state=self.random_state)
        self.other_est = est
        if res.estimator in ("gaussian", "copula"):  # no codes and no classifiers: a continuous target is allowed
            return res
        if not self.discretizer.is_fitted():
            return self._checked(res, table=False)
        self.codes = self.discretizer.transform(self.a1, self.a2, self.ay)
        self.counts = joint_counts(*self.codes, tuple(self.discretizer.n_states_[v] for v in ("x1", "x2", "y")))
        return self._checked(res, table=True)

    def batch(self, est, unc: dict) -> PIDResult:
        if unc["level"] is not None and hasattr(est, "check_intervals"):
            est.check_intervals(self.ay.shape[0], unc["level"], unc["method"], labels=self.ay)  # before any training
        res = est.estimate(self.a1, self.a2, self.ay, discretizer=self.discretizer, units=self.units,
                           random_state=self.random_state)
        self.batch_run = (est, unc)
        return self._checked(res, table=False)

    def auto(self, res: PIDResult, unc: dict, ci_method: Any, bias: bool, split: dict) -> PIDResult:
        """``"auto"``: the codes if they keep the information; else BATCH, if it can run and keeps more."""
        check = res.info_check
        if check is None or not check.badness[0]:
            why = ("the information check is off (info_check=False)" if check is None else
                   "the codes are lossless" if check.lossless else
                   f"the codes keep {_kept(check)} of what held-out classifiers find")
            return _noted(res, f"estimator='auto' chose 'cvx': {why}")
        problem = (f"its codes keep only {_kept(check)} of what held-out classifiers find" if check.low else
                   f"{' and '.join(check.outside)} fell outside the range(s) that the informations found allow "
                   f"(the codes keep {_kept(check)})")
        reason = "a Discretizer was passed, which asks for codes" if self.given_discretizer else \
            _batch_unavailable(self.a1, self.a2, self.codes[2], unc, ci_method, bias, split["batch"])
        unc_batch = check_uncertainty_options("batch", unc["level"], None, None, 0, None)
        est = BatchEstimator(**split["batch"])
        if reason is None and unc_batch["level"] is not None and hasattr(est, "check_intervals"):
            try:
                est.check_intervals(self.ay.shape[0], unc_batch["level"], unc_batch["method"], labels=self.ay)
            except PIDKitError as err:
                reason = f"its intervals cannot be formed: {err}"
        if reason is not None:
            return _noted(res, f"estimator='auto' kept 'cvx' although {problem}: it cannot fall back to 'batch' "
                               f"({reason})")
        alt = self.batch(est, unc_batch)
        if _badness(alt.info_check) >= _badness(check):  # BATCH is no better: the exact solve of the codes stands
            self.batch_run = None
            return _noted(res, f"estimator='auto' kept 'cvx' although {problem}: 'batch' did no better (it keeps "
                               f"{_kept(alt.info_check)}{_outside_words(alt.info_check)})")
        return _noted(alt, f"estimator='auto' chose 'batch': with 'cvx' {problem}; 'batch' keeps "
                           f"{_kept(alt.info_check)}{_outside_words(alt.info_check)}")

    def warn(self, res: PIDResult) -> None:
        if res.info_check is not None:
            warn_about(res.info_check, res, stacklevel=3)

    def uncertainty(self, res: PIDResult, unc: dict, bias: bool, client: Any) -> PIDResult:
        if res.estimator == "batch" and self.batch_run is not None:
            est, unc = self.batch_run
            return _with_uncertainty(res, unc, bias, random_state=self.random_state,
                                     batch=(est, self.a1, self.a2, self.ay, self.units))
        if res.estimator in ("gaussian", "copula") and self.other_est is not None:
            return _with_uncertainty(res, unc, bias, random_state=self.random_state, parametric=self.other_est)
        return _with_uncertainty(res, unc, bias, random_state=self.random_state, client=client, counts=self.counts,
                                 codes=self.codes)


def _bias(bias: Any, ci: Any) -> bool:
    """Whether to attach bias corrections: as asked, else wherever intervals are (every entry point alike)."""
    return (ci is not None) if bias is None else check_bool("bias", bias)


def _with_uncertainty(res: PIDResult, unc: dict, bias: bool, *, random_state: Any, client: Any = None,
                      counts: np.ndarray | None = None, codes: tuple | None = None, parametric: Any = None,
                      batch: tuple | None = None) -> PIDResult:
    """``res`` with its intervals, tests and bias corrections: the one place every entry point attaches them.

    ``unc`` is :func:`~pidkit.uncertainty.core.check_uncertainty_options`' answer and ``bias``
    :func:`_bias`'s. What is resampled follows from what the estimate has: a BATCH run (``batch``:
    the estimator, the samples and the units, refitted for ``"retrain"``), a parametric estimator
    (``parametric``: ``"gaussian"`` / ``"copula"``, its own bootstrap), else the coded samples'
    count table (``counts``; ``codes`` for the permutation tests). Nothing asked: ``res`` as it is.
    """
    if batch is not None:
        if unc["level"] is None:
            return res
        est, a1, a2, ay, units = batch

        def refit(idx, seed):
            return est.estimate(a1[idx], a2[idx], ay[idx], discretizer=Discretizer(), units=units, random_state=seed)

        extra = batch_uncertainty(res, level=unc["level"], method=unc["method"], n_boot=unc["n_boot"], refit=refit,
                                  n=len(ay), random_state=random_state)
    elif parametric is not None:
        if unc["level"] is None:
            if bias:
                raise ParameterError(f"estimator={res.estimator!r} corrects its bias with its parametric bootstrap; "
                                     "pass ci= (e.g. 0.95) for it.")
            return res
        extra = parametric.uncertainty(res, level=unc["level"], n_boot=unc["n_boot"], bias=bias,
                                       random_state=random_state, method=unc["method"])
    else:
        if unc["level"] is None and not unc["n_perm"] and not bias:
            return res
        if counts is None:
            raise ParameterError(f"intervals, tests and bias corrections resample a count table; estimator "
                                 f"{res.estimator!r} has none (pass a Discretizer, or use estimator='cvx').")
        extra = table_uncertainty(counts, res, level=unc["level"], method=unc["method"], n_boot=unc["n_boot"],
                                  bias=bias, codes=codes, tests=unc["tests"], n_perm=unc["n_perm"],
                                  random_state=random_state, client=client)
    return dataclasses.replace(res, uncertainty=extra)


#: A floating-point target with more distinct non-integer values than this is continuous for estimator="auto"
#: (the Discretizer's default max_categories): never class codes, so it is not refused but kept continuous.
CONTINUOUS_TARGET_VALUES = 32


def _continuous_target(a1: np.ndarray, a2: np.ndarray, ay: np.ndarray) -> bool:
    """A float target that cannot be class codes (non-integer values, many of them) beside numeric modalities."""
    if ay.dtype.kind != "f" or a1.dtype.kind not in "biuf" or a2.dtype.kind not in "biuf":
        return False
    if np.all(ay == np.round(ay)):  # integers may be class codes: the Discretizer asks (ContinuousLabelError)
        return False
    return (ay.ndim == 2 and ay.shape[1] > 1) or np.unique(ay).size > CONTINUOUS_TARGET_VALUES


def _noted(res: PIDResult, note: str) -> PIDResult:
    """``res`` with ``note`` first among its notes."""
    return dataclasses.replace(res, diagnostics=dataclasses.replace(res.diagnostics,
                                                                    notes=(note, *res.diagnostics.notes)))


def _kept(check: Any) -> str:
    """The shares a check measured, in words ("an unchecked share" without a check)."""
    return "an unchecked share" if check is None else check.kept_words()


def _badness(check: Any) -> tuple[int, float]:
    return (0, 0.0) if check is None else check.badness


def _outside_words(check: Any) -> str:
    return "" if check is None or not check.outside else f", with {' and '.join(check.outside)} out of range"




def _estimate_dask(x1, x2, y, *, estimator, discretizer, units, random_state, ci, n_boot, ci_method, n_perm, tests,
                   bias, client, sample_size, models, options) -> PIDResult:
    """:func:`estimate` on dask collections: counts summed over partitions, then the exact solver."""
    check_no_dask_batch(estimator)
    if estimator in ("gaussian", "copula"):
        return _gaussian_dask(x1, x2, y, estimator=estimator, units=units, random_state=random_state, ci=ci,
                              n_boot=n_boot, ci_method=ci_method, n_perm=n_perm, tests=tests, bias=bias, client=client,
                              options=options)
    if n_perm:
        raise ParameterError(
            "permutation tests (n_perm) shuffle the samples in memory; with dask inputs only intervals and bias "
            "corrections (resampling the count table) are available. Pass n_perm=0."
        )
    unc = check_uncertainty_options("cvx", ci, n_boot, ci_method, n_perm, tests)
    do_bias = _bias(bias, ci)
    if discretizer is None:
        discretizer = Discretizer(random_state=random_state)
    res, counts = estimate_dask(x1, x2, y, discretizer=discretizer, units=units, random_state=random_state,
                                client=client, sample_size=DEFAULT_SAMPLE_SIZE if sample_size is None else sample_size,
                                estimator_options=options, info_check=models)
    res = _noted(res, _coding_note(discretizer))
    if estimator == "auto":
        res = _noted(res, "estimator='auto' chose 'cvx': dask inputs are counted out of core (BATCH trains in memory)")
    if res.info_check is not None:
        warn_about(res.info_check, res, stacklevel=3)
    return _with_uncertainty(res, unc, do_bias, random_state=random_state, client=client, counts=counts)


def _gaussian_dask(x1, x2, y, *, estimator, units, random_state, ci, n_boot, ci_method, n_perm, tests, bias, client,
                   options) -> PIDResult:
    """``estimator="gaussian"`` on dask collections: the covariance in one pass, then the exact Gaussian PID;
    intervals from the parametric bootstrap (no second pass)."""
    from .scale.moments import dask_covariance

    if ci_method == "resample":
        raise ParameterError("ci_method='resample' draws the samples again; with dask inputs the intervals come from "
                             "the parametric bootstrap (ci_method='parametric', the default here).")
    unc = check_uncertainty_options("gaussian", ci, n_boot, "parametric" if ci_method is None else ci_method, n_perm,
                                    tests)
    est = (CopulaEstimator if estimator == "copula" else GaussianEstimator)(**(options or {}))
    cov, dims, n = dask_covariance(x1, x2, y, client=client, copula=estimator == "copula", random_state=random_state)
    res = decompose_gaussian(cov, dims, units=units, tol=est.tol, max_iter=est.max_iter)
    est.cov_, est.dims_, est.n_ = cov, dims, n
    res = dataclasses.replace(res, n_samples=n, diagnostics=dataclasses.replace(
        res.diagnostics, notes=(est._note(n) + "; covariance summed over dask partitions"
                                + ("; ranks against a sample of at most 200,000 rows" if estimator == "copula" else ""),
                                *res.diagnostics.notes)))
    res = dataclasses.replace(res, estimator=estimator)
    return _with_uncertainty(res, unc, _bias(bias, ci), random_state=random_state, parametric=est)


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
    ``ci_method``, ``n_perm``, ``tests``, ``bias`` (both forms: by default wherever ``ci`` is) and
    ``client`` (the replicates decomposed as tasks on a Dask cluster). ``measure=`` (``"mmi"``,
    ``"imin"``, ``"ccs"``) decomposes the table and every replicate by that measure.

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
        check_client(client)
        table = np.asarray(x1)
        check_pmf(table, normalize=True, name="counts")
        unc = check_uncertainty_options("cvx", ci, n_boot, ci_method, n_perm, tests)
        if options.get("measure", "broja") != "broja" and "synergy" in unc["tests"]:
            raise ParameterError("the 'synergy' permutation test draws from the BROJA optimum; with measure="
                                 f"{options['measure']!r} pass tests=('total', 'x1', 'x2').")
        res = decompose(table, units=units, normalize=True, **options)
        res = dataclasses.replace(res, n_samples=int(round(float(table.sum()))))
        return _with_uncertainty(res, unc, _bias(bias, ci), random_state=random_state, client=client,
                                 counts=table.astype(np.float64))
    if x2 is None or y is None:
        raise ParameterError("bootstrap takes samples (x1, x2, y) or one table of counts; got only part of them.")
    return estimate(x1, x2, y, ci=ci, n_boot=n_boot, ci_method=ci_method, n_perm=n_perm, tests=tests, bias=bias,
                    units=units, random_state=random_state, client=client, **options)
