r"""How far a decomposition can be trusted, from its informations alone.

Two facts make a PID checkable without knowing the answer:

1. **Information kept.** A decomposition of coded data is a decomposition of the *codes*: if the
   codes keep 70% of :math:`I(X_1;Y)`, the atoms split 70% of the information, and how they split
   it says little about the data. Held-out classifiers give an independent lower bound on each
   information (:func:`pidkit.heldout.classifier_information`: :math:`I \ge H(Y) - CE`), so the share
   the estimate keeps is measurable: ``kept = I_estimate / I_classifier`` for I(X1;Y), I(X2;Y) and
   I(X1,X2;Y). Below :data:`KEPT_THRESHOLD` the result warns (:class:`InformationLossWarning`).
2. **Ranges.** The mutual informations alone pin the atoms down:

   .. math::

       \max(0,\, I_1 + I_2 - I_{12}) \le R \le \min(I_1, I_2), \qquad
       S = R - (I_1 + I_2 - I_{12}), \quad U_1 = I_1 - R, \quad U_2 = I_2 - R,

   whatever the estimator. :func:`information_ranges` evaluates them with the result's own
   informations and with the best available ones — for each information the larger of the
   estimate's and the classifiers', both lower bounds of the data's (up to sampling error): an atom
   far outside that range (:class:`OutOfRangeWarning`) is an artefact of the estimate's lost
   information, and two estimators that disagree while both sitting in their ranges disagree only
   on what the informations leave open.

:func:`check_information` builds the :class:`~pidkit.result.InformationCheck` that
:func:`pidkit.estimate` attaches to every result (``result.info_check``).
"""

from __future__ import annotations

import math
import time
import warnings
from typing import Any

import numpy as np

from ._validation import check_units, seed_from
from .exceptions import InformationLossWarning, OutOfRangeWarning, OverconfidenceWarning
from .heldout import MODEL_SETS, CrossFit, classifier_information, stratified_folds
from .result import ATOMS, INFORMATION_LABELS, INFORMATIONS, InformationCheck, PIDResult
from .uncertainty.intervals import miller_madow

__all__ = [
    "KEPT_THRESHOLD",
    "OVERSHOOT",
    "MIN_BITS",
    "MARGIN_BITS",
    "MARGIN_SE",
    "information_ranges",
    "check_information",
    "warn_about",
]

#: Share of the classifiers' information an estimate must keep not to warn.
KEPT_THRESHOLD = 0.85
#: Share of the classifiers' information above which a model-based estimate (BATCH, whose informations
#: come from its own classifiers' confidence) warns: more than held-out classifiers find is either a better
#: model or an overconfident one (few samples). Codes cannot gain information, so tables are not checked.
OVERSHOOT = 1.10
#: Classifier informations below this (bits) leave nothing to keep: the share is NaN.
MIN_BITS = 0.02
#: An atom counts as outside a range when it is farther from it than MARGIN_BITS plus MARGIN_SE standard
#: errors of the classifiers' co-information I1 + I2 - I12 (the range's widest-moving end; the standard
#: error from the paired per-sample held-out terms: about 0.04 bits on digits' 1,797 samples, 0.08 on
#: wine's 178).
MARGIN_BITS = 0.02
#: The number of standard errors in that margin (see :data:`MARGIN_BITS`).
MARGIN_SE = 2.0
#: Fewer samples than this are too few for held-out classifiers, and so are fewer samples per class than
#: MIN_SAMPLES_PER_CLASS: the check then only gives the ranges.
MIN_SAMPLES = 30
MIN_SAMPLES_PER_CLASS = 5
#: Categorical modalities with at most this many states enter the classifiers one-hot encoded;
#: more states enter as their cross-fitted class frequencies (target encoding).
MAX_ONE_HOT = 64


def information_ranges(I1: float, I2: float, total: float) -> dict[str, tuple[float, float]]:
    """Where R, U1, U2 and S must lie given I(X1;Y), I(X2;Y) and I(X1,X2;Y) alone.

    ``R ∈ [max(0, I1 + I2 − I12), min(I1, I2)]``; the other atoms follow from the identities
    ``U1 = I1 − R``, ``U2 = I2 − R``, ``S = R − (I1 + I2 − I12)``. Any units.

    Examples
    --------
    >>> information_ranges(1.0, 1.0, 1.0)["R"]     # two copies of one bit: all redundant
    (1.0, 1.0)
    >>> information_ranges(0.0, 0.0, 1.0)["S"]     # XOR: all synergy
    (1.0, 1.0)
    """
    co = I1 + I2 - total
    lo, hi = max(0.0, co), min(I1, I2)
    return {"R": (lo, hi), "U1": (I1 - hi, I1 - lo), "U2": (I2 - hi, I2 - lo), "S": (lo - co, hi - co)}


def _outside(res: PIDResult, ranges: dict, margin: float) -> tuple[str, ...]:
    return tuple(a for a in ATOMS if ranges and max(ranges[a][0] - getattr(res, a), getattr(res, a) - ranges[a][1])
                 > margin)


def _features(arr: np.ndarray, codes: np.ndarray | None, y: np.ndarray, seed: int | None) -> tuple[str, np.ndarray]:
    """What the classifiers see of a modality: its numbers, or its categories encoded."""
    if codes is None:
        return "raw", arr
    n_states = int(codes.max()) + 1
    if n_states <= MAX_ONE_HOT:
        return "onehot", np.eye(n_states)[codes]
    # many categories: each sample's category as the class frequencies of the other folds
    folds = stratified_folds(y, 5, seed)
    k = int(y.max()) + 1
    out = np.empty((codes.size, k))
    for f in np.unique(folds):
        tr = folds != f
        table = np.bincount(codes[tr] * k + y[tr], minlength=n_states * k).reshape(n_states, k) + 0.5
        out[~tr] = (table / table.sum(axis=1, keepdims=True))[codes[~tr]]
    return "target", out


def check_information(
    res: PIDResult,
    x1: np.ndarray,
    x2: np.ndarray,
    y_codes: np.ndarray,
    *,
    counts: np.ndarray | None = None,
    categorical: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
    models: str = "fast",
    crossfit: CrossFit | None = None,
    random_state: Any = None,
) -> InformationCheck:
    """The :class:`~pidkit.result.InformationCheck` of ``res``, estimated from the samples.

    Parameters
    ----------
    res : PIDResult
        The decomposition to check.
    x1, x2 : ndarray
        The modalities as given (numeric ones reach the classifiers as they are, standardized).
    y_codes : ndarray of int
        Label codes 0 .. K-1.
    counts : ndarray, optional
        The joint count table ``res`` decomposed: its Miller–Madow informations are compared (a
        table's plug-in informations are biased upward). Without it, ``res``'s own informations.
    categorical : pair of code arrays or None
        Codes of each modality that was coded losslessly (categorical): the classifiers see them
        one-hot encoded, and ``kept`` is 1 for them. Both given (and ``counts``): nothing is
        lost, no classifier is fitted.
    models : {"fast", "thorough"}
        Classifiers of :func:`pidkit.heldout.classifier_information`.
    crossfit : CrossFit, optional
        Folds and cached posteriors to reuse (the Discretizer's ``crossfit_`` of the same samples).
    """
    t0 = time.perf_counter()
    to_units = check_units(res.units)
    bits = math.log(2.0) / to_units  # one bit in the result's units
    if counts is not None:
        estimate = miller_madow(np.asarray(counts, dtype=np.float64), to_units)
    else:
        estimate = {q: getattr(res, q) for q in INFORMATIONS}
    ranges = information_ranges(res.I1, res.I2, res.total)
    lossless = all(c is not None for c in categorical) and counts is not None
    if lossless:
        return InformationCheck(
            estimate=estimate, classifier={}, kept=dict.fromkeys(INFORMATIONS, 1.0), ranges=ranges,
            outside=_outside(res, ranges, 1e-6 * bits), lossless=True, threshold=KEPT_THRESHOLD,
            margin=0.0, method="lossless codes", time_s=time.perf_counter() - t0,
        )
    seed = seed_from(random_state)
    y = np.asarray(y_codes, dtype=np.int64)
    n_classes = int(y.max()) + 1 if y.size else 0
    if y.size < MIN_SAMPLES or y.size < MIN_SAMPLES_PER_CLASS * n_classes:
        why = (f"{y.size} samples are too few for held-out classifiers (at least {MIN_SAMPLES})" if y.size < MIN_SAMPLES
               else f"{n_classes} classes in {y.size} samples are too many for held-out classifiers (at least "
                    f"{MIN_SAMPLES_PER_CLASS} samples per class)")
        return InformationCheck(
            estimate=estimate, classifier={}, kept=dict.fromkeys(INFORMATIONS, math.nan), ranges=ranges,
            threshold=KEPT_THRESHOLD, margin=0.0, method="none", time_s=time.perf_counter() - t0,
            notes=(f"{why}: the information kept is not measured",),
        )
    cf = crossfit if crossfit is not None and crossfit.y.size == y.size and np.array_equal(crossfit.y, y) \
        else CrossFit(y, random_state=seed)
    (t1, f1), (t2, f2) = (_features(a, c, y, seed) for a, c in zip((x1, x2), categorical, strict=True))
    # raw features share the cache keys of the supervised coding's posteriors ("x1", "x2")
    keys = tuple(m if t == "raw" else f"{m}:{t}" for m, t in (("x1", t1), ("x2", t2)))
    found = classifier_information(f1, f2, y, models=models, crossfit=cf, keys=keys)
    # informations are never negative: a bound below 0 (a classifier worse than the label frequencies on
    # held-out samples) says only I >= 0
    clf = {q: max(getattr(found, q), 0.0) * bits for q in INFORMATIONS}
    kept = {}
    for q in INFORMATIONS:
        lossless_q = q != "total" and categorical[INFORMATIONS.index(q)] is not None and counts is not None
        kept[q] = 1.0 if lossless_q else (estimate[q] / clf[q] if clf[q] > MIN_BITS * bits else math.nan)
    # the classifiers' informations, and a table's Miller-Madow ones (codes lose information, and the
    # correction removes most of the plug-in bias), are lower bounds of the data's up to sampling error: the
    # larger of the two is the best estimate of each (codes can beat weak classifiers). A model-based estimate
    # (BATCH) can also overshoot — its own check, `high`, catches that — so the larger is its reference too.
    reference = {q: max(estimate[q], clf[q]) for q in INFORMATIONS}
    reference["total"] = max(reference["total"], reference["I1"], reference["I2"])
    ref_ranges = information_ranges(reference["I1"], reference["I2"], reference["total"])
    margin = (MARGIN_BITS + MARGIN_SE * found.standard_error({"I1": 1.0, "I2": 1.0, "total": -1.0})) * bits
    names = {"logistic": "logistic regression", "knn": "nearest neighbours", "boosting": "gradient boosting"}
    tried = MODEL_SETS[models] if isinstance(models, str) else tuple(models)
    method = (f"{' and '.join(names[m] for m in tried)}, {found.folds}-fold cross-fitted on "
              f"{found.n_samples} samples" + (" (a stratified subsample)" if cf.subsampled else ""))
    notes = []
    if found.total < max(found.I1, found.I2) + 1e-12 and "one modality" in found.models["best"]["total"]:
        notes.append("the classifiers of the pair found no more than one modality alone; their I(X1,X2;Y) is "
                     "that modality's")
    return InformationCheck(
        estimate=estimate, classifier=clf, kept=kept, ranges=ranges, reference=reference,
        reference_ranges=ref_ranges, outside=_outside(res, ref_ranges, margin), lossless=False,
        threshold=KEPT_THRESHOLD, overshoot=None if counts is not None else OVERSHOOT, margin=margin,
        method=method, models=found.models, time_s=time.perf_counter() - t0, notes=tuple(notes),
    )


def warn_about(check: InformationCheck, res: PIDResult, *, stacklevel: int = 2) -> None:
    """Warn when the estimate keeps too little information or an atom leaves its range."""
    units = res.units
    if check.low:
        parts = ", ".join(f"{check.kept[q]:.0%} of {INFORMATION_LABELS[q]} ({check.estimate[q]:.3f} of "
                          f"{check.classifier[q]:.3f} {units})" for q in check.low)
        fix = ("give the codes more states (Discretizer(n_clusters=...) / n_bins=...), keep the modalities "
               "continuous with estimator='batch', or see the estimators side by side with pid.compare_estimators"
               if res.estimator != "batch" else
               "train the classifiers longer or larger (classifier_epochs, hidden), or supply better ones "
               "(classifiers=...)")
        warnings.warn(
            f"the {res.estimator!r} estimate keeps only {parts} that held-out classifiers find in the samples; its "
            f"atoms split what was kept, not what the data hold, so read them with care. To keep more: {fix}.",
            InformationLossWarning, stacklevel=stacklevel + 1,
        )
    if check.high:
        parts = ", ".join(f"{check.kept[q]:.0%} of {INFORMATION_LABELS[q]} ({check.estimate[q]:.3f} against "
                          f"{check.classifier[q]:.3f} {units})" for q in check.high)
        warnings.warn(
            f"the {res.estimator!r} estimate finds {parts} that held-out classifiers find: its classifiers are "
            "either better than those or overconfident (on few samples, the usual case), and then its atoms are "
            "too. Compare with estimator='cvx' (pid.compare_estimators), or give BATCH more samples.",
            OverconfidenceWarning, stacklevel=stacklevel + 1,
        )
    if check.outside:
        warnings.warn(
            f"{check.outside_words(res)} {units}: the informations found in the samples (the larger of the "
            "estimate's and held-out classifiers') leave the atoms only these ranges (R between max(0, I1 + I2 - "
            "I12) and min(I1, I2)), so the estimate's split is an artefact of the information it lost (kept: "
            f"{check.kept_words()}). Compare estimators with pid.compare_estimators.",
            OutOfRangeWarning, stacklevel=stacklevel + 1,
        )
