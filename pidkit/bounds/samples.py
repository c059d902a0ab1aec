"""Synergy bounds from samples: D1 = {(x1, y)}, D2 = {(x2, y)} and unlabeled pairs DM = {(x1, x2)}.

Each modality is coded by **one** Discretizer fitted on every sample of that modality (x1 from D1
and DM, x2 from D2 and DM), and the label by one coding of y1 and y2 together, so a state means the
same thing in every table. The three count tables then go to :func:`~pidkit.bounds.synergy_bounds`
(which measures, reconciles and reports their inconsistency). The disagreement term of S_U comes
from the empirical conditionals of those tables (default) or from unimodal classifiers' predicted
probabilities on the paired samples.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from .._validation import (
    as_samples,
    check_positive_float,
    check_positive_int,
    check_same_length,
    check_units,
    seed_from,
)
from ..discretize import VARIABLES, Discretizer, joint_counts
from ..estimators.exact import DEFAULT_MAX_TABLE_BYTES, check_table_size
from ..exceptions import InputError, NotFittedError, ParameterError
from ..info import total_variation
from .maxent import DEFAULT_IPF_MAX_ITER
from .result import SynergyBounds
from .synergy import _bounds_from_tables, _disagreement_from
from .tables import DEFAULT_MAX_INCONSISTENCY

__all__ = ["estimate_synergy_bounds", "auto_n_states", "sampling_tv_scale", "MAX_AUTO_STATES", "SAMPLES_IPF_TOL"]

#: cap of the automatic number of states per continuous modality
MAX_AUTO_STATES = 32
#: default IPF tolerance for tables built from samples (see estimate_synergy_bounds)
SAMPLES_IPF_TOL = 1e-4


def auto_n_states(n1: int, n2: int, n_paired: int, n_labels: int, min_samples_per_cell: float = 5.0) -> int:
    """States per continuous modality so that each of the three tables keeps enough samples per cell.

    The largest ``k`` (between 2 and :data:`MAX_AUTO_STATES`) with ``k * |Y| <= n1 / m``,
    ``k * |Y| <= n2 / m`` and ``k * k <= n_paired / m``, ``m = min_samples_per_cell``.
    """
    m = min_samples_per_cell
    k = min(n1 / (m * n_labels), n2 / (m * n_labels), math.sqrt(n_paired / m))
    return int(min(max(math.floor(k), 2), MAX_AUTO_STATES))


def sampling_tv_scale(k: int, n_a: int, n_b: int) -> float:
    """Upper bound on the expected TV between two independent empirical pmfs of k states (n_a, n_b samples)."""
    return 0.5 * math.sqrt(2.0 / math.pi) * math.sqrt(max(k - 1, 0) * (1.0 / n_a + 1.0 / n_b))


def _resolve_discretizers(discretizers: Any, k: int, seed: int | None) -> dict[str, Discretizer]:
    if discretizers is None:
        return {
            "x1": Discretizer(n_clusters=k, n_bins=k, random_state=seed),
            "x2": Discretizer(n_clusters=k, n_bins=k, random_state=seed),
            "y": Discretizer(),
        }
    if isinstance(discretizers, Discretizer):
        if not discretizers.is_fitted(()):
            raise NotFittedError(
                "A single Discretizer passed as discretizer= must already be fitted (e.g. on labeled pairs); "
                "got an unfitted one. Fit it, or pass a dict {'x1': Discretizer(...), 'x2': Discretizer(...)} "
                "of per-modality ones (fitted here on every sample of their modality)."
            )
        return {"x1": discretizers, "x2": discretizers, "y": discretizers}
    if isinstance(discretizers, dict):
        bad = [key for key in discretizers if key not in VARIABLES]
        if bad or not all(isinstance(v, Discretizer) for v in discretizers.values()):
            raise ParameterError(
                f"discretizer must be None, a fitted Discretizer or a dict with keys among {list(VARIABLES)} and "
                f"Discretizer values; got keys {list(discretizers)!r}."
            )
        out = dict(discretizers)
        out.setdefault("x1", Discretizer(n_clusters=k, n_bins=k, random_state=seed))
        out.setdefault("x2", Discretizer(n_clusters=k, n_bins=k, random_state=seed))
        out.setdefault("y", Discretizer())
        return out
    raise ParameterError(
        f"discretizer must be None, a fitted Discretizer or a dict {{'x1': ..., 'x2': ..., 'y': ...}}; "
        f"got {type(discretizers).__name__}."
    )


def _make_classifier(spec: Any, seed: int | None):
    if spec == "logistic":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    if not hasattr(spec, "predict_proba"):
        raise ParameterError(
            f"classifiers must be None, 'empirical', 'logistic' or a pair of scikit-learn-style classifiers with "
            f"predict_proba; got {type(spec).__name__} without predict_proba."
        )
    return spec


def _proba(clf, x_fit, y_fit, x_pred, classes: np.ndarray, name: str) -> np.ndarray:
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError as SkNotFitted
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(clf)
    except SkNotFitted:
        clf = clone(clf).fit(x_fit.reshape(len(x_fit), -1) if x_fit.ndim == 1 else x_fit, y_fit)
    xp = x_pred.reshape(len(x_pred), -1) if x_pred.ndim == 1 else x_pred
    prob = np.asarray(clf.predict_proba(xp), dtype=np.float64)
    cls = np.asarray(clf.classes_)
    out = np.zeros((len(xp), len(classes)))
    for j, c in enumerate(cls):
        hit = np.flatnonzero(classes == c)
        if hit.size == 0:
            raise InputError(
                f"classifier for {name} predicts class {c!r}, which is not among the labels of y1 and y2 "
                f"({classes.tolist()!r}). Train it on the same labels."
            )
        out[:, hit[0]] = prob[:, j]
    if not np.all(np.isfinite(out)) or (out < 0).any() or np.any(np.abs(out.sum(axis=1) - 1) > 1e-6):
        raise InputError(f"classifier for {name} returned predict_proba rows that are not probability vectors.")
    return out


def _classifier_disagreement(classifiers, seed, x1, y1, x2, y2, x1p, x2p, classes):
    if isinstance(classifiers, str):
        c1 = c2 = classifiers
        desc = f"classifiers={classifiers!r} trained on D1 and D2"
    else:
        try:
            c1, c2 = classifiers
        except (TypeError, ValueError):
            raise ParameterError(
                "classifiers must be None, 'empirical', 'logistic' or a pair (clf_x1, clf_x2); "
                f"got {classifiers!r}."
            ) from None
        desc = f"classifiers {type(c1).__name__} / {type(c2).__name__}"
    a = _proba(_make_classifier(c1, seed), x1, y1, x1p, classes, "x1")
    b = _proba(_make_classifier(c2, seed), x2, y2, x2p, classes, "x2")
    bc = np.sqrt(a * b).sum(axis=1)
    if (bc <= 0).any():
        raise InputError(
            f"the unimodal classifiers give disjoint supports (zero probability overlap) on {int((bc <= 0).sum())} "
            "paired samples, so the disagreement is infinite; expected calibrated probabilities with overlapping "
            "support (e.g. smoothed or regularized classifiers)."
        )
    tv = total_variation(a, b, axis=1)
    w = np.full((1, len(bc)), 1.0 / len(bc))
    db, tv2, tvm = _disagreement_from(w, bc[None], tv[None])
    return (float(db[0]), float(tv2[0]), float(tvm[0])), desc


def estimate_synergy_bounds(
    x1: Any,
    y1: Any,
    x2: Any,
    y2: Any,
    x1_paired: Any,
    x2_paired: Any,
    *,
    discretizer: Any = None,
    classifiers: Any = None,
    random_state: Any = None,
    units: str = "bits",
    max_inconsistency: Any = "auto",
    min_samples_per_cell: float = 5.0,
    ipf_tol: float = SAMPLES_IPF_TOL,
    ipf_max_iter: int = DEFAULT_IPF_MAX_ITER,
    max_table_bytes: int = DEFAULT_MAX_TABLE_BYTES,

) -> SynergyBounds:
    """Synergy and accuracy bounds from labeled unimodal data and unlabeled paired data.

    Parameters
    ----------
    x1, y1 : array-like (n1,) or (n1, d1), (n1,)
        D1: modality 1 with labels.
    x2, y2 : array-like (n2,) or (n2, d2), (n2,)
        D2: modality 2 with labels.
    x1_paired, x2_paired : array-like (m,) or (m, d)
        DM: unlabeled pairs (row i of each is the same sample).
    discretizer : None, fitted Discretizer or dict, optional
        As :func:`pidkit.estimate`'s option. ``None``: one new :class:`~pidkit.Discretizer` per
        modality, fitted on every sample of that modality (D1 and DM for x1, D2 and DM for x2),
        with ``n_clusters = n_bins =`` :func:`auto_n_states` for continuous data, and one coding
        of y1 and y2 together. A single *fitted* Discretizer codes x1, x2 and y as fitted. A dict
        ``{"x1": ..., "x2": ..., "y": ...}`` gives per-variable Discretizers (missing keys take the
        default; unfitted ones are fitted here on their variable alone,
        :meth:`~pidkit.Discretizer.fit_one`).
    classifiers : None, "empirical", "logistic" or (clf_x1, clf_x2), optional
        Source of :math:`p(y|x_1), p(y|x_2)` in the disagreement term of S_U — the same role as the
        BATCH estimator's ``classifiers`` (user-supplied estimates of p(y|x)); here scikit-learn
        estimators of the raw features, there torch callables. ``None`` /
        ``"empirical"``: the conditionals of the discretized tables (S_U is then a proven bound for
        those tables). ``"logistic"``: standardized logistic regressions trained on D1 and D2.
        A pair: scikit-learn-style classifiers with ``predict_proba`` (unfitted ones are cloned and
        fitted on D1 / D2). Classifier-based S_U is only as valid as the classifiers are
        Bayes-optimal (noted in ``diagnostics.notes``).
    random_state : None, int or numpy Generator
        Seeds k-means/PCA of the discretizers and the classifiers.
    units : {"bits", "nats"}
    max_inconsistency : float or "auto", default "auto"
        See :func:`~pidkit.bounds.synergy_bounds`. ``"auto"``: ``max(0.05, 2 * tau)`` where
        ``tau`` bounds the *expected* total variation between two independent empirical estimates
        of a k-state pmf from ``n_a`` and ``n_b`` samples,
        ``tau = 0.5 * sqrt(2 / pi) * sqrt((k - 1) * (1 / n_a + 1 / n_b))`` (E|N(0, s^2)| = s
        sqrt(2/pi) per state, Cauchy–Schwarz over states), maximised over the three duplicated
        marginals. So sampling noise is reconciled, a real shift between datasets is refused.
    min_samples_per_cell : float, default 5
        Budget of :func:`auto_n_states`.
    ipf_tol : float, default 1e-4
        IPF tolerance (L1 marginal error); far below the sampling error of tables built from
        samples (about 1/n), and reached on sparse empirical tables where 1e-6 may take 10^5
        iterations. S_R is certified valid at any tolerance.
    ipf_max_iter : int
        See :func:`~pidkit.bounds.synergy_bounds`.
    max_table_bytes : int
        Refuse codings whose joint (|X1|, |X2|, |Y|) float64 table would exceed this many bytes
        (default 2 GiB); checked once the Discretizers are fitted, before any table is built.

    Returns
    -------
    SynergyBounds
        With ``discretizers`` set (use ``res.transform(x1, x2, y)`` to code other data alike) and
        ``diagnostics.n_samples`` / ``diagnostics.discretization`` filled in.
    """
    check_units(units)
    if not (isinstance(max_inconsistency, str) and max_inconsistency == "auto"):
        check_positive_float("max_inconsistency", max_inconsistency)
    seed = seed_from(random_state)
    if not (classifiers is None or (isinstance(classifiers, str) and classifiers in ("empirical", "logistic"))
            or (isinstance(classifiers, (tuple, list)) and len(classifiers) == 2)):
        raise ParameterError(
            "classifiers must be None, 'empirical', 'logistic' or a pair (clf_x1, clf_x2) with predict_proba; "
            f"got {classifiers!r}."
        )
    x1, y1 = as_samples(x1, "x1"), as_samples(y1, "y1")
    x2, y2 = as_samples(x2, "x2"), as_samples(y2, "y2")
    x1p, x2p = as_samples(x1_paired, "x1_paired"), as_samples(x2_paired, "x2_paired")
    n1 = check_same_length(x1=x1, y1=y1)
    n2 = check_same_length(x2=x2, y2=y2)
    nm = check_same_length(x1_paired=x1p, x2_paired=x2p)
    for name, a, b in (("x1", x1, x1p), ("x2", x2, x2p)):
        if a.shape[1:] != b.shape[1:]:
            raise InputError(
                f"{name} has {a.shape[1:] or 'one'} feature(s) per sample in the labeled data but "
                f"{b.shape[1:] or 'one'} in the paired data ({name}_paired); expected the same features."
            )
    y_all = np.concatenate([y1, y2]) if y1.dtype == y2.dtype else np.concatenate([y1.astype(object), y2.astype(object)])
    n_labels = int(np.unique(y_all.astype(str) if y_all.dtype.kind == "O" else y_all).size)
    k = auto_n_states(n1, n2, nm, n_labels, min_samples_per_cell)
    discs = _resolve_discretizers(discretizer, k, seed)
    data = {"x1": np.concatenate([x1, x1p]), "x2": np.concatenate([x2, x2p]), "y": y_all}
    for slot, d in discs.items():
        if not d.is_fitted(()):
            d.fit_one(slot, data[slot])
    c1, c1p = discs["x1"].transform_one("x1", x1), discs["x1"].transform_one("x1", x1p)
    c2, c2p = discs["x2"].transform_one("x2", x2), discs["x2"].transform_one("x2", x2p)
    cy1, cy2 = discs["y"].transform_one("y", y1), discs["y"].transform_one("y", y2)
    s1, s2, sy = discs["x1"].n_states_["x1"], discs["x2"].n_states_["x2"], discs["y"].n_states_["y"]
    check_table_size((s1, s2, sy), check_positive_int("max_table_bytes", max_table_bytes))
    t1 = joint_counts(c1, np.zeros_like(c1), cy1, (s1, 1, sy))[:, 0, :]
    t2 = joint_counts(np.zeros_like(c2), c2, cy2, (1, s2, sy))[0]
    t12 = joint_counts(c1p, c2p, np.zeros_like(c1p), (s1, s2, 1))[:, :, 0]
    dis, source = None, "empirical conditionals"
    if classifiers is not None and not (isinstance(classifiers, str) and classifiers == "empirical"):
        classes = np.unique(y_all)
        dis, source = _classifier_disagreement(classifiers, seed, x1, y1, x2, y2, x1p, x2p, classes)
    if isinstance(max_inconsistency, str):
        max_inconsistency = max(DEFAULT_MAX_INCONSISTENCY, 2.0 * max(
            sampling_tv_scale(s1, n1, nm), sampling_tv_scale(s2, n2, nm), sampling_tv_scale(sy, n1, n2)))
    res = _bounds_from_tables(
        t1, t2, t12, units=units, max_inconsistency=max_inconsistency, ipf_tol=ipf_tol, ipf_max_iter=ipf_max_iter,
        tol=None, disagreement_in=dis, disagreement_source=source, stacklevel=3,
    )
    disc_info = {
        "n_states": {"x1": int(s1), "x2": int(s2), "y": int(sy)},
        "kinds": {"x1": discs["x1"].kinds_["x1"], "x2": discs["x2"].kinds_["x2"], "y": discs["y"].kinds_["y"]},
        "auto_n_states": k,
        "empty_cells": {"p_x1y": int((t1 == 0).sum()), "p_x2y": int((t2 == 0).sum()), "p_x1x2": int((t12 == 0).sum())},
    }
    diag = replace(res.diagnostics, n_samples={"D1": n1, "D2": n2, "DM": nm}, discretization=disc_info)
    return replace(res, diagnostics=diag, discretizers=discs)
