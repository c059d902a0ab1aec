"""Intervals, standard errors, bias corrections and tests for a decomposition.

For the exact estimator everything works on the joint count table of the coded samples: the
Discretizer is fitted once, on the data, and not refitted per replicate, so the intervals cover
the sampling variability of the table *given* the discretization. Replicates go through
:func:`pidkit.decompose_many` in one call on the stack of replicates.

For BATCH two readings are offered: ``"readout"`` (cheap: the spread of the held-out read-out
batches around their mean, given the trained networks — it does not cover the training
randomness or the classifiers' estimation error) and ``"retrain"`` (the estimator refitted on
random half-samples drawn without replacement — each refit with its own seed, and no sample in
both a training and a held-out split — whose spread estimates the full-sample variance, the
delete-n/2 jackknife; intervals are the full-data estimate plus the half-sample deviations'
quantiles).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import ndtri

from .._validation import check_positive_int, check_units, seed_from
from ..exceptions import InputError, ParameterError
from ..result import ATOMS, QUANTITIES, PIDResult, Uncertainty
from .intervals import bca_interval, extrapolate, miller_madow, percentile_interval
from .permutation import TESTS, permutation_tests
from .resampling import bootstrap_tables, decompose_tables, dirichlet_tables, jackknife_tables, split_tables

__all__ = ["TABLE_METHODS", "BATCH_METHODS", "GAUSSIAN_METHODS", "DEFAULT_N_BOOT", "table_uncertainty",
           "batch_uncertainty", "check_uncertainty_options"]

#: ``ci_method`` values for estimates from a count table (``"cvx"``).
TABLE_METHODS = ("bca", "percentile", "bayes")
#: ``ci_method`` values for BATCH estimates.
BATCH_METHODS = ("readout", "retrain")
#: estimator="gaussian" / "copula": the samples resampled, or their covariance drawn from its Wishart distribution
GAUSSIAN_METHODS = ("resample", "parametric")
#: Replicates by method when ``n_boot`` is not given (a BATCH refit costs a full fit).
DEFAULT_N_BOOT = {"bca": 1000, "percentile": 1000, "bayes": 1000, "retrain": 20, "readout": 0, "parametric": 200,
                  "resample": 200}
#: Random splits into halves and quarters averaged by the quadratic extrapolation.
EXTRAPOLATION_REPEATS = 10
#: Fewer samples than this cannot be resampled meaningfully.
MIN_SAMPLES = 10
#: Atoms whose interval reaches below this (in bits) are flagged as possibly 0.
BOUNDARY_BITS = 1e-3
#: Most bootstrap replicates / permutations one call runs: beyond this an interval's ends and a
#: p-value (resolution 1e-5) do not change at the precision printed, and the run would take hours.
MAX_REPLICATES = 100_000


def check_uncertainty_options(
    estimator: str, ci: Any, n_boot: Any, ci_method: Any, n_perm: Any, tests: Any
) -> dict[str, Any]:
    """Validate the uncertainty options of :func:`pidkit.estimate` / :func:`pidkit.bootstrap` (one place)."""
    level = None
    if ci is not None:
        if isinstance(ci, bool) or not isinstance(ci, (int, float, np.floating)) or not 0.0 < float(ci) < 1.0:
            raise ParameterError(f"ci must be a confidence level in (0, 1), e.g. 0.95, or None; got {ci!r}.")
        level = float(ci)
    allowed = {"batch": BATCH_METHODS, "gaussian": GAUSSIAN_METHODS, "copula": GAUSSIAN_METHODS}.get(
        estimator, TABLE_METHODS)
    method = ci_method if ci_method is not None else allowed[0]
    if method not in allowed:
        raise ParameterError(f"ci_method for estimator={estimator!r} must be one of {list(allowed)}; got {method!r}.")
    boots = DEFAULT_N_BOOT[method] if n_boot is None else check_positive_int("n_boot", n_boot, minimum=2)
    n_perm = check_positive_int("n_perm", n_perm, minimum=0)
    for name, value in (("n_boot", boots), ("n_perm", n_perm)):
        if value > MAX_REPLICATES:
            raise ParameterError(f"{name}={value:,} is more than {MAX_REPLICATES:,}; more replicates do not change the "
                                 f"result at the precision printed (1,000-10,000 are typical). Lower {name}.")
    if tests is None:
        tests = tuple(TESTS) if n_perm else ()
    else:
        tests = tuple([tests] if isinstance(tests, str) else tests)
        unknown = [t for t in tests if t not in TESTS]
        if unknown:
            raise ParameterError(f"tests must be among {list(TESTS)}; got {unknown}.")
        if tests and not n_perm:
            raise ParameterError("tests were named but n_perm=0; pass n_perm (e.g. 1000) to run them.")
    if n_perm and estimator in ("gaussian", "copula"):
        raise ParameterError(f"permutation tests run on a discretized table; estimator={estimator!r} has none (its "
                             "intervals come from a parametric bootstrap: ci=0.95).")
    if n_perm and estimator == "batch":
        raise ParameterError(
            "permutation tests run on the discretized table; use estimator='cvx' for them (the 'batch' estimator "
            "would have to retrain per permutation)."
        )
    return {"level": level, "method": method, "n_boot": boots, "n_perm": n_perm, "tests": tests}


def _jackknife(counts: np.ndarray, rng: np.random.Generator, units: str,
               measure: str = "broja") -> tuple[dict, np.ndarray]:
    make, n_tables, weights = jackknife_tables(counts, rng)
    jack, _ = decompose_tables(make, n_tables, counts.shape, units=units, measure=measure)
    return jack, weights


def _extrapolated(counts: np.ndarray, full: PIDResult, rng: np.random.Generator, units: str) -> dict[str, float]:
    """Quadratic extrapolation θ(N) = θ∞ + b/N + c/N² from the full table, halves and quarters."""
    quarters = np.concatenate([split_tables(counts, 4, rng) for _ in range(EXTRAPOLATION_REPEATS)])
    q4 = quarters.reshape(EXTRAPOLATION_REPEATS, 4, *counts.shape)
    halves = np.concatenate([q4[:, 0] + q4[:, 1], q4[:, 2] + q4[:, 3]])
    tables = np.concatenate([halves, quarters])
    vals, _ = decompose_tables(lambda a, b: tables[a:b], tables.shape[0], counts.shape, units=units,
                               measure=full.measure)
    n = float(counts.sum())
    nh = halves.shape[0]
    return {q: extrapolate({n: getattr(full, q), n / 2: float(vals[q][:nh].mean()), n / 4: float(vals[q][nh:].mean())})
            for q in QUANTITIES}


def _boundary_note(res: PIDResult, intervals: dict) -> list[str]:
    tol = BOUNDARY_BITS * math.log(2.0) / check_units(res.units)
    at_zero = [a for a in ATOMS if intervals.get(a, (1.0, 1.0))[0] <= tol]
    if not at_zero:
        return []
    return [f"atom(s) {', '.join(at_zero)}: the interval reaches 0, so they may be truly 0; at that boundary the "
            "bootstrap is unreliable (its coverage falls below the nominal level), so read these as 'consistent "
            "with 0', with the upper limit as a bound"]


def table_uncertainty(
    counts: np.ndarray,
    res: PIDResult,
    *,
    level: float | None,
    method: str,
    n_boot: int,
    bias: bool,
    codes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    tests: tuple[str, ...] = (),
    n_perm: int = 0,
    random_state: Any = None,
    client: Any = None,
) -> Uncertainty:
    """Intervals, standard errors, bias corrections and tests for ``res``, the decomposition of ``counts``.

    ``client`` (a ``dask.distributed.Client``) decomposes the bootstrap replicates as tasks on a cluster.

    ``codes`` (the coded samples) are needed for the permutation tests only; without them the
    tests run on samples expanded from the counts (the same thing for a table).
    """
    n = int(round(float(counts.sum())))
    if n < MIN_SAMPLES or not np.allclose(counts, np.round(counts)):
        raise InputError(
            f"intervals and tests resample the samples behind a table: expected integer counts of at least "
            f"{MIN_SAMPLES} samples; got a table summing to {float(counts.sum()):.6g}. Pass counts (not a pmf) or "
            "the samples themselves."
        )
    rng = np.random.default_rng(seed_from(random_state))
    units = res.units
    notes: list[str] = []
    intervals: dict[str, tuple[float, float]] = {}
    std: dict[str, float] = {}
    bias_d: dict[str, float] = {}
    corrected: dict[str, dict[str, float]] = {}
    if level is not None:
        make = dirichlet_tables(counts, rng) if method == "bayes" else bootstrap_tables(counts, rng)
        reps, unconverged = decompose_tables(make, n_boot, counts.shape, units=units, client=client,
                                             measure=res.measure)
        if unconverged:
            notes.append(f"{unconverged} of {n_boot} replicate solves stopped above tol; their atoms are within their "
                         "certified gap and were kept")
        jack, weights = _jackknife(counts, rng, units, res.measure) if method == "bca" else (None, None)
        zero = BOUNDARY_BITS * math.log(2.0) / check_units(units)
        fell_back: dict[str, list[str]] = {"percentile": [], "basic": []}
        for q in QUANTITIES:
            est = getattr(res, q)
            std[q] = float(np.std(reps[q], ddof=1))
            if method == "bca":
                intervals[q], used = bca_interval(reps[q], est, jack[q], weights, level, at_zero=est <= zero)
                if used != "bca":
                    fell_back[used].append(q)
            else:
                intervals[q] = percentile_interval(reps[q], level)
            if method != "bayes":
                bias_d[q] = float(np.mean(reps[q]) - est)
        if fell_back["percentile"]:
            notes.append(f"BCa could not be formed for {', '.join(fell_back['percentile'])} (the replicates on one "
                         "side of an estimate at an edge of its range: 0, or the most a label can carry): percentile "
                         "intervals are reported")
        if fell_back["basic"]:
            for q in fell_back["basic"]:
                if intervals[q][0] < 0:  # atoms and informations are never negative
                    intervals[q] = (0.0, max(intervals[q][1], 0.0))
            notes.append(f"BCa could not be formed for {', '.join(fell_back['basic'])}: over 97.7% of the replicates "
                         "lie on one side of the estimate, a plug-in bias larger than twice the spread (too few "
                         "samples per cell); basic intervals 2 x estimate - quantiles, which subtract the bootstrap's "
                         "bias estimate, are reported (lower limits truncated at 0)")
        what = ("posterior draws of the table (Dirichlet over its occupied cells)" if method == "bayes"
                else "bootstrap resamples of the samples")
        notes.append(f"intervals from {n_boot} {what}, decomposed on the same discretization: they cover the sampling "
                     "variability of the table given the bins / clusters, not the choice of the discretization")
        notes += _boundary_note(res, intervals)
        if bias and bias_d:
            corrected["bootstrap"] = {q: getattr(res, q) - bias_d[q] for q in QUANTITIES}
    if bias:
        if n >= 4 * MIN_SAMPLES:
            corrected["extrapolation"] = _extrapolated(counts, res, rng, units)
        corrected["miller_madow"] = miller_madow(counts, check_units(units))
    p_values: dict[str, float] = {}
    if tests:
        if codes is None:  # the samples a table of counts stands for
            reps = counts.ravel().astype(np.int64)
            codes = tuple(np.repeat(ax, reps) for ax in np.indices(counts.shape).reshape(3, -1))
        p_values, test_notes = permutation_tests(codes, counts.shape, res, tests=tests, n_perm=n_perm, rng=rng)
        notes += test_notes
    return Uncertainty(
        level=level, method=method if level is not None else "none", n_boot=n_boot if level is not None else 0,
        intervals=intervals, std=std, bias=bias_d, corrected=corrected, p_values=p_values,
        tests={t: TESTS[t] for t in tests}, notes=tuple(notes),
    )


def batch_uncertainty(
    res: PIDResult, *, level: float, method: str, n_boot: int, refit, n: int, random_state: Any = None,
) -> Uncertainty:
    """Intervals for a BATCH result: ``"readout"`` from its held-out batches, ``"retrain"`` from refits.

    ``refit(indices, seed) -> PIDResult`` refits the estimator on the samples ``indices``.
    """
    intervals, std, notes = {}, {}, []
    if method == "readout":
        d = res.diagnostics
        spread = d.atom_std or {}
        details = d.details or {}
        if not spread or any(math.isnan(spread.get(q, math.nan)) for q in QUANTITIES):
            raise InputError(
                f"this BATCH result has no spread across read-out batches: its held-out split of "
                f"{details.get('n_test', '?')} samples is too small for two read-out batches (expected at least 16). "
                "Use ci_method='retrain', or more samples / a larger test_size. (pidkit.estimate checks this before "
                "training via BatchEstimator.check_intervals.)"
            )
        # the spread was measured on batches of m samples (the read-out batches, or the disjoint sub-batches of a
        # held-out split that is a single batch); the estimate averages n_test samples: variance ~ 1/size
        m = details.get("readout_spread_batch_size", details.get("readout_batch_size", 1))
        n_test = details.get("n_test", 1)
        batches = details.get("readout_spread_batches", details.get("readout_batches", "?"))
        shrink = math.sqrt(min(1.0, m / max(n_test, 1)))
        z = float(ndtri(0.5 + level / 2.0))
        for q in QUANTITIES:
            std[q] = spread[q] * shrink
            v = getattr(res, q)
            intervals[q] = (v - z * std[q], v + z * std[q])
        notes.append(f"read-out intervals: the spread of the estimate across {batches} held-out batches of {m} "
                     f"scaled to the {n_test} held-out samples (normal), given the trained classifiers and encoders; "
                     "they do not cover the training randomness or the classifiers' errors — ci_method='retrain' "
                     "does")
    else:
        rng = np.random.default_rng(seed_from(random_state))
        half = n // 2
        vals = {q: [] for q in QUANTITIES}
        for _ in range(n_boot):
            idx = np.sort(rng.choice(n, size=half, replace=False))
            r = refit(idx, int(rng.integers(2**31 - 1)))
            for q in QUANTITIES:
                vals[q].append(getattr(r, q))
        for q in QUANTITIES:
            arr = np.asarray(vals[q])
            dev = arr - arr.mean()
            std[q] = float(np.std(arr, ddof=1))
            lo, hi = percentile_interval(dev, level)
            v = getattr(res, q)
            intervals[q] = (v + lo, v + hi)
        notes.append(f"retrain intervals: {n_boot} refits on random half-samples without replacement (new seeds), "
                     "their deviations around their mean added to the full-data estimate (the half-sample spread "
                     "estimates the full-sample variance: delete-n/2 jackknife)")
    notes += _boundary_note(res, intervals)
    return Uncertainty(level=level, method=method, n_boot=n_boot if method == "retrain" else 0,
                       intervals=intervals, std=std, notes=tuple(notes))
