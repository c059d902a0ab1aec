"""Model PID: what a trained model's predictions hold about its inputs (thesis §3.3.3).

The PID of ``(X1, X2, Ŷ)`` with ``Ŷ`` drawn from the model's predictive distribution
``p_f(y | x1, x2)``. With the exact estimator every sample adds its whole probability vector to
its cell of the table — ``T[c1, c2, :] += p_f(· | x1_i, x2_i) / n`` — so the table is exact for
the model's predictive distribution on these inputs: no argmax, no sampling noise. The cells are
those of the **dataset's fitted Discretizer**, so dataset and model codes mean the same thing
and :func:`pidkit.agreement` compares like with like.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any

import numpy as np

from ._validation import as_samples, check_option, check_same_length, check_units
from .discretize import Discretizer
from .estimators.registry import make_estimator
from .exceptions import (
    InvalidPMFError,
    LengthMismatchError,
    NonFiniteInputError,
    ParameterError,
    PlugInBiasWarning,
    ShapeError,
)
from .result import PIDResult

__all__ = ["model_pid", "predictive_distribution"]

#: Largest |row sum - 1| accepted in a model's probabilities (float32 softmax stays far below).
ROW_SUM_TOL = 1e-4
#: Entries down to minus this count as rounding noise and are set to 0 (counted in the notes).
NEGATIVE_TOL = 1e-9


def _to_array(p: Any, what: str) -> np.ndarray:
    if type(p).__module__.startswith("torch"):
        p = p.detach().cpu().numpy()
    elif type(p).__module__.startswith("pandas"):
        p = p.to_numpy()
    try:
        arr = np.asarray(p, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ShapeError(
            f"{what} could not be read as a numeric (n, n_classes) array of probabilities ({exc}). Return one row "
            "of class probabilities per sample."
        ) from None
    return arr


def predictive_distribution(model: Any, x1: Any, x2: Any, n: int) -> tuple[np.ndarray, np.ndarray | None, str]:
    """The model's class probabilities on ``(x1, x2)``, checked: ``(proba (n, K), classes or None, source)``.

    ``model`` is a fitted object with ``predict_proba(x1, x2)`` (e.g. a
    :class:`~pidkit.fusion.FusionClassifier`), a callable ``f(x1, x2)`` returning probabilities,
    or an (n, K) array of probabilities. ``classes`` is the model's ``classes_`` if it has one.
    Rows must be finite, non-negative and sum to 1 (within ``ROW_SUM_TOL``; then renormalized).
    """
    classes = None
    if isinstance(model, (np.ndarray, list, tuple)) or type(model).__module__.startswith(("torch", "pandas")):
        what, raw = "the probability array", model
    elif hasattr(model, "predict_proba"):
        what = f"{type(model).__name__}.predict_proba(x1, x2)"
        raw = model.predict_proba(x1, x2)
        classes = getattr(model, "classes_", None)
    elif callable(model):
        what = f"the model function {getattr(model, '__name__', type(model).__name__)}(x1, x2)"
        raw = model(x1, x2)
    else:
        raise ParameterError(
            f"model must be a fitted model with predict_proba(x1, x2), a callable f(x1, x2) returning class "
            f"probabilities, or an (n, n_classes) array of probabilities; got {type(model).__name__}."
        )
    p = _to_array(raw, what)
    if p.ndim != 2:
        raise ShapeError(
            f"{what} gave an array of shape {p.shape}; expected (n, n_classes): one row of class probabilities per "
            "sample (for a binary model, both columns)."
        )
    if p.shape[0] != n:
        raise LengthMismatchError(
            f"{what} gave {p.shape[0]} rows for {n} samples; expected one row of class probabilities per sample of "
            "x1, x2."
        )
    if p.shape[1] == 0:
        raise ShapeError(f"{what} gave zero columns; expected one probability per class.")
    finite = np.isfinite(p)
    if not finite.all():
        rows = np.flatnonzero(~finite.all(1))
        raise NonFiniteInputError(
            f"{what} gave NaN or infinite probabilities for {rows.size} sample(s) (first: row {rows[0]}); expected "
            "finite probabilities. Check the model (a diverged fit?) and its inputs."
        )
    if (p < -NEGATIVE_TOL).any():
        raise InvalidPMFError(
            f"{what} gave {int((p < -NEGATIVE_TOL).sum())} negative entries (min {p.min():.3g}); expected "
            "probabilities in [0, 1]. Pass class probabilities (softmax of logits), not logits or scores."
        )
    sums = p.sum(1)
    if np.abs(sums - 1.0).max() > ROW_SUM_TOL:
        raise InvalidPMFError(
            f"{what} gave rows summing to {sums.min():.6g}..{sums.max():.6g}; expected probabilities summing to 1 per "
            f"sample (within {ROW_SUM_TOL:g}). Apply softmax to logits, or pass predict_proba rather than decision "
            "scores."
        )
    if classes is not None and len(classes) != p.shape[1]:
        raise ShapeError(
            f"{what} gave {p.shape[1]} columns but the model has {len(classes)} classes ({list(classes)[:5]}...); "
            "expected one column per entry of its classes_."
        )
    p = np.clip(p, 0.0, None)
    return p / p.sum(1, keepdims=True), None if classes is None else np.asarray(classes), what


def _align_classes(p: np.ndarray, classes: np.ndarray | None, disc: Any, what: str) -> np.ndarray:
    """Columns in the order of the Discretizer's label codes; the class count must match."""
    k_data = disc.n_states_["y"]
    if p.shape[1] != k_data:
        cats = disc.categories_.get("y")
        shown = "" if cats is None else f" ({list(cats[:5])}{', ...' if len(cats) > 5 else ''})"
        raise ShapeError(
            f"{what} gives {p.shape[1]} class probabilities per sample, but the Discretizer was fitted on a label with "
            f"{k_data} classes{shown}. Expected one column per class of the dataset's label, in sorted label order; "
            "pass a model trained on the same classes, or a Discretizer fitted on the same label set."
        )
    if classes is None or "y" not in disc.categories_:
        return p
    _, _, codes = disc.transform(y=classes)  # UnknownCategoryError names a class the dataset never had
    out = np.empty_like(p)
    out[:, codes] = p
    return out


def _soft_table(c1: np.ndarray, c2: np.ndarray, p: np.ndarray, n1: int, n2: int) -> np.ndarray:
    """``T[a, b, :] = Σ_{i: c1_i = a, c2_i = b} p_i``: each sample adds its probability vector to its cell."""
    pair = c1 * n2 + c2
    cols = [np.bincount(pair, weights=p[:, k], minlength=n1 * n2) for k in range(p.shape[1])]
    return np.stack(cols, axis=1).reshape(n1, n2, p.shape[1])


def _summary(disc: Any, c1: np.ndarray, c2: np.ndarray, table: np.ndarray, labels: str) -> dict[str, Any]:
    """Discretization summary of a model table (the keys of DiscretizationSummary.to_dict, plus pairs)."""
    n = int(c1.size)
    n1, n2, k = table.shape
    occupied = int(np.count_nonzero(table))
    pairs = int(np.unique(c1 * n2 + c2).size)
    summary = {
        "kinds": {"x1": disc.kinds_["x1"], "x2": disc.kinds_["x2"], "y": f"model probabilities ({labels})"},
        "n_states": {"x1": int(n1), "x2": int(n2), "y": int(k)},
        "n_samples": n,
        "total_cells": int(table.size),
        "occupied_cells": occupied,
        "samples_per_occupied_cell": n / occupied,
        "empty_fraction": 1.0 - occupied / table.size,
        "notes": [str(s) for s in disc.notes_],
        "fingerprint": disc.fingerprint_,
        "occupied_pairs": pairs,
        "samples_per_occupied_pair": n / pairs,
    }
    per_label_cell = n / (pairs * k)
    if per_label_cell < disc.min_samples_per_cell:
        bias = pairs * (k - 1) / (2.0 * n * math.log(2.0))
        warnings.warn(
            f"Only {n / pairs:.2f} samples per occupied (x1, x2) cell for {k} classes ({n} samples in {pairs} cells; "
            f"threshold min_samples_per_cell={disc.min_samples_per_cell} per class). The model's plug-in "
            f"information is biased upward by at most about {bias:.3f} bits (less with confident predictions). Use "
            "more samples or a Discretizer with fewer bins / clusters.",
            PlugInBiasWarning,
            stacklevel=3,
        )
    return summary


def model_pid(
    model: Any,
    x1: Any,
    x2: Any,
    *,
    discretizer: Any = None,
    estimator: str = "cvx",
    hard: bool = False,
    units: str = "bits",
    random_state: Any = None,
    **options: Any,
) -> PIDResult:
    """PID of ``(X1, X2, Ŷ)`` with ``Ŷ ~ p_f(y | x1, x2)``, the model's predictive distribution.

    Parameters
    ----------
    model : fitted model, callable or array
        Anything with ``predict_proba(x1, x2)`` (a :class:`~pidkit.fusion.FusionClassifier`, or
        your own wrapper), a callable ``f(x1, x2)`` returning class probabilities, or an (n, K)
        array of probabilities already computed on ``x1, x2``. Columns are the classes in
        sorted label order — for models with ``classes_`` they are matched to the
        Discretizer's label codes by value.
    x1, x2 : array-like, shape (n,) or (n, d)
        The inputs the model is evaluated on — held-out data, as in the thesis.
    discretizer : Discretizer, optional
        For ``"cvx"``: the Discretizer **fitted on the dataset** (e.g. the one passed to
        :func:`pidkit.estimate` for the dataset's PID), so model and dataset codes mean the same.
        Its label must have the model's number of classes. If omitted (or unfitted), one is fitted
        on ``x1, x2`` here, and the result's notes say so: its codes then need not match the
        dataset's, and :func:`pidkit.agreement` warns.
    estimator : {"cvx", "batch"}
        ``"cvx"``: the soft table on the Discretizer's cells (``T[c1, c2, :] += p_f(·|x1_i, x2_i) / n``),
        decomposed exactly. ``"batch"``: the BATCH estimator on the raw features with the model as
        its multimodal classifier and unimodal classifiers fitted to the model's soft labels
        (needs torch; for continuous high-dimensional inputs).
    hard : bool, default False
        Use the argmax prediction (one-hot rows) instead of the probabilities.
    units : {"bits", "nats"}
    random_state : int, numpy Generator or None
        Seeds the Discretizer fitted here (``"cvx"``) or the BATCH estimator.
    **options
        Options of the estimator (``solver``, ``tol``, ``max_iter``, ``max_table_bytes`` for
        ``"cvx"``; those of :class:`~pidkit.estimators.batch.BatchEstimator` for ``"batch"``).

    Returns
    -------
    PIDResult
        The model's atoms; ``diagnostics.details["model"]`` says where the probabilities came
        from, soft or hard, the number of classes and the mean confidence (mean max probability).

    Examples
    --------
    >>> import pidkit as pid
    >>> from pidkit.fusion import FusionClassifier
    >>> from pidkit.synthetic import suite_data
    >>> x1, x2, y = suite_data("mix4", n=6000)
    >>> model = FusionClassifier(fusion="tensor", random_state=0).fit(x1[:4000], x2[:4000], y[:4000])  # doctest: +SKIP
    >>> disc = pid.Discretizer(random_state=0)
    >>> data = pid.estimate(x1[4000:], x2[4000:], y[4000:], estimator="cvx", discretizer=disc)  # doctest: +SKIP
    >>> mpid = pid.model_pid(model, x1[4000:], x2[4000:], discretizer=disc)  # doctest: +SKIP
    >>> pid.agreement(data, mpid)  # doctest: +SKIP
    """
    check_units(units)
    check_option("estimator", estimator, ("cvx", "batch"))
    if not isinstance(hard, (bool, np.bool_)):
        raise ParameterError(f"hard must be True or False; got {hard!r}.")
    est = make_estimator(estimator, **options)  # unknown options fail before the model runs
    if discretizer is not None and not hasattr(discretizer, "is_fitted"):
        raise ParameterError(f"discretizer must be a pidkit.Discretizer (fitted or not) or None; got "
                             f"{type(discretizer).__name__}.")
    a1, a2 = as_samples(x1, "x1"), as_samples(x2, "x2")
    n = check_same_length(x1=a1, x2=a2)
    p, classes, what = predictive_distribution(model, x1, x2, n)
    fitted = discretizer is not None and discretizer.is_fitted()
    if fitted:
        p = _align_classes(p, classes, discretizer, what)
    if hard:
        p = np.eye(p.shape[1])[p.argmax(1)]
    labels = "hard" if hard else "soft"
    notes = [
        f"model PID: (X1, X2, Ŷ) with Ŷ from {what}, {labels} labels"
        + (" (each sample adds its class probabilities to its cell)" if not hard and estimator == "cvx" else "")
    ]
    details = {"source": what, "labels": labels, "n_classes": int(p.shape[1]),
               "mean_confidence": float(p.max(1).mean())}
    if estimator == "batch":
        res = est.estimate_proba(a1, a2, p, units=units, random_state=random_state)
    else:
        disc = discretizer if discretizer is not None else Discretizer(random_state=random_state)
        if not fitted:
            # the label argument only sizes the joint-table budget; the table's label axis is the model's columns
            disc.fit(a1, a2, p.argmax(1))
            notes.append("the Discretizer was fitted here, on the model's inputs: pass the dataset's fitted "
                         "Discretizer so that dataset and model PIDs share their codes")
        c1, c2, _ = disc.transform(a1, a2)
        n1, n2 = disc.n_states_["x1"], disc.n_states_["x2"]
        est.check_size((n1, n2, p.shape[1]))
        table = _soft_table(c1, c2, p, n1, n2)
        summary = _summary(disc, c1, c2, table, labels)
        res = est.decompose_table(table / n, units=units, n_samples=n, discretization=summary)
    diag = res.diagnostics
    merged = {**(diag.details or {}), "model": details}
    return dataclasses.replace(
        res, diagnostics=dataclasses.replace(diag, notes=(*notes, *diag.notes), details=merged)
    )
