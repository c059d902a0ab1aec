"""``pidkit.fusion.compare``: candidate fusion models side by side on your data, by cross-validation.

Closes the loop of model selection: :func:`pidkit.select_models` recommends models from reference
datasets; ``compare`` trains them on the user's own data (stratified K-fold), and reports each
one's accuracy per fold and the PID of its out-of-fold predictions — every sample predicted by a
model that did not see it — on the dataset's Discretizer, with its agreement α.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import as_samples, check_positive_int, check_same_length, seed_from
from ..agreement import agreement
from ..api import estimate
from ..discretize import Discretizer
from ..exceptions import InputError, ParameterError
from ..model_pid import model_pid
from ..result import ATOMS, PIDResult
from .zoo import make_model

__all__ = ["compare", "Comparison"]


@dataclass(frozen=True)
class Comparison:
    """Cross-validated accuracies and model PIDs of several fusion models on one dataset.

    Attributes
    ----------
    rows : list of dict
        One per model, best mean accuracy first: ``model``, ``accuracy`` (mean over folds),
        ``accuracy_std``, ``fold_accuracies``, ``model_pid`` (atoms of the out-of-fold
        predictions, in the data PID's units), ``alpha``, ``similarity``, ``fit_s``.
    data_pid : PIDResult
        The dataset's PID (``"cvx"``) on the Discretizer the model PIDs share.
    cv : int
    """

    rows: list
    data_pid: PIDResult
    cv: int

    @property
    def best(self) -> str:
        """The model with the highest mean cross-validated accuracy."""
        return self.rows[0]["model"]

    def to_dict(self) -> dict[str, Any]:
        return {"rows": [dict(r) for r in self.rows], "data_pid": self.data_pid.to_dict(), "cv": self.cv}

    def to_pandas(self):
        """One row per model (best first), indexed by ``model``: ``accuracy``, ``accuracy_std``, the model
        PID's atoms (``R``, ``U1``, ``U2``, ``S``), ``alpha``, ``similarity``, ``fit_s``; the dataset's PID,
        its units and ``cv`` in ``attrs``."""
        import pandas as pd

        rows = [{"model": r["model"], "accuracy": r["accuracy"], "accuracy_std": r["accuracy_std"],
                 **{a: r["model_pid"][a] for a in ATOMS}, "alpha": r["alpha"], "similarity": r["similarity"],
                 "fit_s": r["fit_s"]} for r in self.rows]
        df = pd.DataFrame(rows).set_index("model")
        df.attrs.update(cv=self.cv, units=self.data_pid.units, data_pid=self.data_pid.atoms)
        return df

    def plot(self, ax: Any = None, **kwargs: Any):
        """The dataset's PID next to each model's, with their agreement α (:func:`pidkit.plot.plot_compare`)."""
        from ..plot import plot_compare

        results = {"dataset": self.data_pid, **{r["model"]: r["model_pid"] for r in self.rows}}
        kwargs.setdefault("title", f"dataset vs models ({self.cv}-fold out-of-fold predictions)")
        return plot_compare(results, ax, units=self.data_pid.units,
                            agreement={r["model"]: r["alpha"] for r in self.rows}, **kwargs)

    def __str__(self) -> str:
        d = self.data_pid
        u = d.units
        lines = [f"{self.cv}-fold comparison; dataset PID ({d.estimator}, {u}): "
                 + ", ".join(f"{a} {getattr(d, a):.3f}" for a in ATOMS),
                 f"{'model':<16}{'accuracy':>9}{'±':>7}" + "".join(f"{a:>8}" for a in ATOMS) + f"{'alpha':>8}"
                 f"{'sim':>6}{'fit s':>7}"]
        for r in self.rows:
            lines.append(f"{r['model']:<16}{r['accuracy']:9.3f}{r['accuracy_std']:7.3f}"
                         + "".join(f"{r['model_pid'][a]:8.3f}" for a in ATOMS)
                         + f"{r['alpha']:8.3f}{r['similarity']:6.2f}{r['fit_s']:7.1f}")
        return "\n".join(lines)

    __repr__ = __str__


def _candidates(models: Any, params: dict, random_state: Any) -> list[tuple[str, Any]]:
    """(label, unfitted estimator) pairs from names, FusionClassifier instances or a ModelSelection."""
    from sklearn.base import clone

    if hasattr(models, "top") and hasattr(models, "ranking"):  # a ModelSelection: its top three
        models = models.top(3)
    if isinstance(models, str) or not hasattr(models, "__iter__"):
        models = [models]
    out = []
    for m in models:
        if isinstance(m, str):
            out.append((m, make_model(m, random_state=random_state, **params)))
        elif hasattr(m, "fit") and hasattr(m, "predict_proba") and hasattr(m, "get_params"):
            est = clone(m)
            label = getattr(m, "fusion", type(m).__name__)
            out.append((str(label), est))
        else:
            raise ParameterError(
                f"models must be zoo names, FusionClassifier-like estimators (fit, predict_proba, get_params) or a "
                f"ModelSelection; got {type(m).__name__}."
            )
    if not out:
        raise ParameterError("models is empty; pass at least one zoo name or estimator.")
    labels = [lab for lab, _ in out]
    if len(set(labels)) != len(labels):
        raise ParameterError(f"models has repeated entries {labels}; pass each candidate once.")
    return out


def compare(
    models: Any,
    x1: Any,
    x2: Any,
    y: Any,
    *,
    cv: int = 5,
    random_state: Any = None,
    model_params: dict | None = None,
    discretizer: Any = None,
) -> Comparison:
    """Cross-validate candidate fusion models and decompose their out-of-fold predictions.

    Parameters
    ----------
    models : str, list or ModelSelection
        Zoo names (built with ``random_state`` and ``model_params``), estimators with ``fit`` /
        ``predict_proba`` / ``get_params`` (cloned before each fold), or the result of
        :func:`pidkit.select_models` (its top three).
    x1, x2, y : array-like
        The dataset; every class needs at least ``cv`` samples.
    cv : int, default 5
        Stratified folds (shuffled with ``random_state``).
    model_params : dict, optional
        ``FusionClassifier`` parameters for models given by name (e.g. ``{"epochs": 50}``).
    discretizer : Discretizer, optional
        Codes for the dataset and model PIDs (fitted here on all samples if not fitted).

    Returns
    -------
    Comparison
        Rows sorted by mean accuracy, with fold accuracies, model PIDs and agreement α.
    """
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    cv = check_positive_int("cv", cv, minimum=2)
    a1, a2, ay = as_samples(x1, "x1"), as_samples(x2, "x2"), as_samples(y, "y")
    n = check_same_length(x1=a1, x2=a2, y=ay)
    codes, classes = Discretizer().encode_labels(ay)
    counts = np.bincount(codes)
    if counts.min() < cv:
        rare = classes[int(np.argmin(counts))]
        rare = rare.item() if isinstance(rare, np.generic) else rare
        raise InputError(
            f"class {rare!r} has {int(counts.min())} sample(s), fewer than cv={cv} folds; stratified cross-validation "
            "needs every class in every fold. Lower cv, or drop / merge rare classes."
        )
    seed = seed_from(random_state)
    candidates = _candidates(models, dict(model_params or {}), seed)
    disc = discretizer if discretizer is not None else Discretizer(random_state=seed)
    data_pid = estimate(a1, a2, ay, estimator="cvx", discretizer=disc)
    folds = list(StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed).split(np.zeros(n), codes))
    rows = []
    for label, est in candidates:
        oof = np.zeros((n, classes.size))
        accs, t0 = [], time.perf_counter()
        for tr, te in folds:
            model = clone(est).fit(a1[tr], a2[tr], ay[tr])
            proba = model.predict_proba(a1[te], a2[te])
            order = _columns(model, classes, label)
            oof[np.ix_(te, order)] = proba
            accs.append(float(np.mean(classes[order][proba.argmax(1)] == ay[te])))
        mpid = model_pid(oof, a1, a2, discretizer=disc)
        ag = agreement(data_pid, mpid)
        rows.append({"model": label, "accuracy": float(np.mean(accs)), "accuracy_std": float(np.std(accs)),
                     "fold_accuracies": accs, "model_pid": mpid.with_units(data_pid.units).atoms,
                     "alpha": ag.total, "similarity": ag.similarity, "fit_s": time.perf_counter() - t0})
    rows.sort(key=lambda r: -r["accuracy"])
    return Comparison(rows, data_pid, cv)


def _columns(model: Any, classes: np.ndarray, label: str) -> np.ndarray:
    """Positions in ``classes`` of the model's probability columns (every class seen in training)."""
    model_classes = np.asarray(getattr(model, "classes_", classes))
    pos = {c: i for i, c in enumerate(classes.tolist())}
    try:
        order = np.array([pos[c] for c in model_classes.tolist()])
    except KeyError as exc:
        raise InputError(f"model {label!r} predicts class {exc.args[0]!r}, which y does not contain.") from None
    if order.size != classes.size:
        raise InputError(
            f"model {label!r} saw {order.size} of the {classes.size} classes in a training fold; stratified folds "
            "should give it all of them (every class needs at least cv samples)."
        )
    return order
