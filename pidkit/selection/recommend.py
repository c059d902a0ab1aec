"""``pid.select_models``: recommend fusion models from a dataset's PID and the reference catalog.

Thesis §3.3.4: compute the dataset's normalized PID, find the reference datasets whose
interaction profile is most similar, and recommend the models that did best there. Here the
recommendation averages over the few nearest references (weighted by closeness), says how much
of the best model's accuracy each model is expected to reach and how much that varied, and warns
when the data lie outside what the catalog covers.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import check_option, check_positive_int
from ..exceptions import InputError, OutsideCatalogWarning, ParameterError
from ..result import ATOMS, PIDResult
from .catalog import Catalog, load_catalog, profile_of

__all__ = ["select_models", "ModelSelection", "DISTANCES", "MIN_SAMPLES"]

#: Fewer samples than this give a PID too noisy to select anything with.
MIN_SAMPLES = 100
#: A dataset whose normalized profile is farther than this (L1, out of at most 2) from every
#: reference profile is outside the catalog's coverage (a quarter of its information is
#: distributed differently from the nearest reference's). The shipped catalog's profiles leave
#: gaps of up to 0.67, e.g. at U2 + S mixtures; see the issue-12 note.
COVERAGE_PROFILE = 0.5
#: Distances between a dataset and a reference dataset:
#: ``"profile"`` is the thesis's s(D, D') = Σ_I |Î_D − Î_D'| over the normalized profiles;
#: ``"profile+info"`` adds ½|log2(I_D / I_D')|, the difference in total information I(X1,X2;Y)
#: in halvings, so a dataset also matches references of a similar strength of signal;
#: ``"profile+info+size"`` also adds ½|log2(n_D / n_D')|, the difference in (training) sample
#: size in halvings — which model wins depends on how much data it learns from
#: (``benchmarks/bench_selection.py`` compares them).
DISTANCES = ("profile", "profile+info", "profile+info+size")


def _distance(kind: str, q: dict[str, Any], cat: Catalog, reference: str) -> np.ndarray:
    """Distance from query ``q`` (``profile``, ``total``, ``n``) to every catalog dataset."""
    d = np.abs(cat.profiles(reference) - q["profile"][None, :]).sum(axis=1)
    if kind in ("profile+info", "profile+info+size"):
        d = d + 0.5 * np.abs(np.log2(np.maximum(cat.totals(reference), 1e-6) / max(q["total"], 1e-6)))
    if kind == "profile+info+size" and q.get("n"):
        d = d + 0.5 * np.abs(np.log2(cat.n_train / q["n"]))
    return d


@dataclass(frozen=True)
class ModelSelection:
    """A recommendation of fusion models for one dataset.

    Attributes
    ----------
    ranking : list of dict
        Every catalog model, best first: ``model``; ``expected_relative_accuracy`` (its accuracy
        over the best model's, averaged over the nearest references by closeness —
        ``nearest_references`` — and shrunk towards its ``catalog_average`` by ``prior_weight``);
        ``spread`` (weighted standard deviation of that ratio over the nearest references and
        the model seeds).
    neighbors : list of dict
        The nearest reference datasets: ``name``, ``distance``, ``weight``, ``profile``,
        ``best_model``, ``n_train``, ``n_classes``.
    profile : dict
        The dataset's normalized PID profile (R, U1, U2, S).
    data_pid : PIDResult
        The decomposition the profile comes from.
    distance, reference : str
        Which distance ranked the references (see :data:`DISTANCES`) and which of their profiles
        (``"cvx"`` or ``"exact"``) it compared.
    in_coverage : bool
        False when the profile is farther than ``COVERAGE_PROFILE`` from every reference profile,
        the total information beyond twice the references' range, or the label has more classes
        than any reference (an :class:`~pidkit.exceptions.OutsideCatalogWarning` was issued and
        the notes say which).
    notes : tuple of str
    """

    ranking: list
    neighbors: list
    profile: dict
    data_pid: PIDResult
    distance: str
    reference: str
    in_coverage: bool
    notes: tuple = field(default_factory=tuple)

    def top(self, k: int = 3) -> list[str]:
        """Names of the ``k`` recommended models, best first."""
        k = check_positive_int("k", k)
        return [r["model"] for r in self.ranking[:k]]

    def plot(self, ax: Any = None, **kwargs: Any):
        """Draw the ranking and the nearest references (:func:`pidkit.plot.plot_selection`)."""
        from ..plot import plot_selection

        return plot_selection(self, ax, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ranking": [dict(r) for r in self.ranking],
            "neighbors": [{**n, "profile": dict(n["profile"])} for n in self.neighbors],
            "profile": dict(self.profile), "distance": self.distance, "reference": self.reference,
            "in_coverage": self.in_coverage,
            "notes": list(self.notes), "data_pid": self.data_pid.to_dict(),
        }

    def __str__(self) -> str:
        p = self.profile
        d = self.data_pid
        lines = [
            f"Model selection — dataset profile R {p['R']:.2f}, U1 {p['U1']:.2f}, U2 {p['U2']:.2f}, S {p['S']:.2f} "
            f"(I(X1,X2;Y) = {d.total:.3f} {d.units}, estimator {d.estimator!r}"
            + (f", {d.n_samples} samples)" if d.n_samples is not None else ")"),
            f"nearest reference datasets ({self.distance} distance to their {self.reference!r} profiles):",
        ]
        for n in self.neighbors:
            q = n["profile"]
            lines.append(f"  {n['name']:<22} {n['distance']:6.3f}  R {q['R']:.2f} U1 {q['U1']:.2f} U2 {q['U2']:.2f} "
                         f"S {q['S']:.2f}  best there: {n['best_model']}")
        lines.append(f"{'rank':<6}{'model':<16}{'expected accuracy / best':>26}{'spread':>9}")
        for i, r in enumerate(self.ranking, 1):
            lines.append(f"{i:<6}{r['model']:<16}{r['expected_relative_accuracy']:26.3f}{r['spread']:9.3f}")
        if not self.in_coverage:
            lines.append("warning: the dataset lies outside the catalog's coverage; the ranking extrapolates")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    __repr__ = __str__


def rank_models(
    cat: Catalog, profile: dict[str, float], total: float, n: int | None = None, *, reference: str = "cvx",
    distance: str = "profile", neighbors: int = 3, prior_weight: float = 1.0,
) -> tuple[list[dict], list[dict], np.ndarray]:
    """Ranking and nearest references for a profile (the core of :func:`select_models`, no checks).

    Expected relative accuracy of model m: ``(Σ_j w_j rel_jm + λ · avg_m) / (1 + λ)`` over the
    ``neighbors`` nearest references j (weights ``w_j ∝ 1 / (d_j + 0.05)``, summing to 1), with
    ``avg_m`` the model's mean over the whole catalog and ``λ = prior_weight``. The spread is the
    weighted standard deviation of the neighbours' per-seed relative accuracies.
    """
    q = {"profile": np.array([profile[a] for a in ATOMS]), "total": float(total), "n": n}
    dist = _distance(distance, q, cat, reference)
    order = np.argsort(dist, kind="stable")[: min(neighbors, len(cat))]
    w = 1.0 / (dist[order] + 0.05)  # closeness weights; 0.05 keeps an exact match from taking all
    w = w / w.sum()
    rel = cat.relative_accuracy[order]  # (k, models)
    per_seed = cat.accuracy_per_seed[order] / cat.accuracy[order].max(axis=1)[:, None, None]  # (k, models, seeds)
    local = w @ rel
    var = np.einsum("k,kms->m", w, (per_seed - local[None, :, None]) ** 2) / per_seed.shape[2]
    avg = cat.relative_accuracy.mean(axis=0)
    mean = (local + prior_weight * avg) / (1.0 + prior_weight)
    idx = sorted(range(len(cat.models)), key=lambda m: (-round(float(mean[m]), 9), -avg[m]))
    ranking = [{"model": cat.models[m], "expected_relative_accuracy": float(mean[m]),
                "spread": float(math.sqrt(max(var[m], 0.0))), "nearest_references": float(local[m]),
                "catalog_average": float(avg[m])} for m in idx]
    near = []
    for j, wj in zip(order, w, strict=True):
        e = cat.datasets[j]
        best = cat.models[int(np.argmax(cat.accuracy[j]))]
        near.append({"name": e["name"], "distance": float(dist[j]), "weight": float(wj),
                     "profile": dict(e["profile"][reference]), "best_model": best,
                     "n_train": int(e["generator"]["n_train"]), "n_classes": int(e["n_classes"])})
    return ranking, near, dist


def select_models(
    x1: Any,
    x2: Any = None,
    y: Any = None,
    *,
    catalog: Catalog | str | None = None,
    reference: str = "auto",
    distance: str = "profile",
    neighbors: int = 3,
    prior_weight: float = 1.0,
    estimator: str = "cvx",
    random_state: Any = None,
    **estimate_options: Any,
) -> ModelSelection:
    """Recommend fusion models for a dataset from its PID (thesis §3.3.4).

    Parameters
    ----------
    x1, x2, y : array-like
        The dataset (its PID is computed with :func:`pidkit.estimate`); or pass a
        :class:`~pidkit.PIDResult` as ``x1`` (and nothing else) to use a decomposition you have.
    catalog : Catalog, path or None
        The reference catalog (default: the one shipped with pidkit, :func:`load_catalog`).
    reference : {"auto", "cvx", "exact"}
        Which profile of each reference dataset to compare with: as the ``"cvx"`` estimator found
        it on the reference's test split (like with like for a ``"cvx"`` estimate, whose plug-in
        bias it shares), or its exact PID (for an unbiased estimate, e.g. ``"batch"`` on ample
        data). ``"auto"``: ``"cvx"`` when the dataset's PID came from ``"cvx"``, else ``"exact"``.
    distance : {"profile", "profile+info", "profile+info+size"}
        ``"profile"``: the thesis's s(D, D') = Σ_I |Î_D − Î_D'|; the others also compare total
        information and sample size (see :data:`DISTANCES`).
    neighbors : int, default 3
        Nearest reference datasets the expected accuracies are averaged over
        (weights ∝ 1 / (distance + 0.05)).
    prior_weight : float >= 0, default 1.0
        Weight λ of each model's catalog-wide mean relative accuracy against the neighbours'
        average: expected = (neighbours + λ · catalog) / (1 + λ). 0 trusts the neighbours alone
        (the thesis's rule with ``neighbors=1``).
    estimator : str, default "cvx"
        Estimator of the dataset's PID when it is computed here (``"cvx"`` is fast and, paired
        with ``reference="cvx"``, compared like with like); ``random_state`` and
        ``**estimate_options`` go to :func:`pidkit.estimate` too.

    The defaults were chosen on the catalog (leave-one-mix-out) and a first set of held-out
    suite datasets, then checked on fresh ones: ``python benchmarks/bench_selection.py``.

    Returns
    -------
    ModelSelection
        ``top(k)`` gives the ``k`` recommended model names; ``ranking`` the expected accuracy
        relative to the best model and its spread for every model; ``neighbors`` the references.

    Raises
    ------
    InputError
        Fewer than ``MIN_SAMPLES`` (100) samples.
    CatalogError
        The catalog is missing, unreadable or of another schema version.

    Warns
    -----
    OutsideCatalogWarning
        The profile is farther than ``COVERAGE_PROFILE`` (0.5) from every reference profile, the
        total information beyond twice the references' range, or the label has more classes than
        any reference: the ranking extrapolates.
    """
    from .._training import check_non_negative
    from ..api import estimate

    check_option("reference", reference, ("auto", "cvx", "exact"))
    check_option("distance", distance, DISTANCES)
    neighbors = check_positive_int("neighbors", neighbors)
    prior_weight = check_non_negative("prior_weight", prior_weight)
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    if isinstance(x1, PIDResult):
        if x2 is not None or y is not None or estimate_options:
            raise ParameterError("pass either a PIDResult alone or the data (x1, x2, y), not both.")
        data_pid = x1
    else:
        if x2 is None or y is None:
            raise ParameterError("select_models needs x1, x2 and y (or a PIDResult as its only argument).")
        data_pid = estimate(x1, x2, y, estimator=estimator, random_state=random_state, **estimate_options)
    if reference == "auto":
        reference = "cvx" if data_pid.estimator == "cvx" else "exact"
    n = data_pid.n_samples
    if n is not None and n < MIN_SAMPLES:
        raise InputError(
            f"the dataset has {n} samples; a PID from fewer than {MIN_SAMPLES} is too noisy to select models with. "
            "Collect more samples, or compare candidate models directly with pidkit.fusion.compare."
        )
    bits = data_pid.with_units("bits")
    profile = profile_of(bits.atoms)
    notes = []
    if bits.total <= 0:
        notes.append("the dataset carries no information about its label; every model is as good as chance")
    if distance == "profile+info+size" and n is None:
        notes.append("the PIDResult does not say how many samples it came from: the size term of the distance is 0")
    ranking, near, _ = rank_models(cat, profile, bits.total, n, reference=reference, distance=distance,
                                   neighbors=neighbors, prior_weight=prior_weight)
    outside = []
    gap = float(np.abs(cat.profiles(reference) - np.array([profile[a] for a in ATOMS])[None, :]).sum(axis=1).min())
    if gap > COVERAGE_PROFILE:
        outside.append(f"its interaction profile is {gap:.2f} (L1) from the nearest reference profile, more than "
                       f"{COVERAGE_PROFILE}")
    lo, hi = float(cat.totals(reference).min()), float(cat.totals(reference).max())
    if bits.total > 0 and not lo / 2 <= bits.total <= 2 * hi:
        outside.append(f"its I(X1,X2;Y) = {bits.total:.3g} bits is beyond twice the references' range "
                       f"({lo:.2g}-{hi:.2g} bits)")
    k_data, k_max = int(data_pid.shape[2]), int(cat.n_classes.max())
    if k_data > k_max:
        outside.append(f"its label has {k_data} classes, the references {int(cat.n_classes.min())} to {k_max}")
    if outside:
        warnings.warn(
            "the dataset lies outside the catalog's coverage: " + "; ".join(outside) + ". The ranking extrapolates "
            "from the nearest references; check it on your data with pidkit.fusion.compare.",
            OutsideCatalogWarning, stacklevel=2,
        )
        notes += [f"outside the catalog: {o}" for o in outside]
    n_lo, n_hi = int(cat.n_train.min()), int(cat.n_train.max())
    if n is not None and not n_lo / 2 <= n <= 4 * n_hi:
        notes.append(f"{n} samples; the references were trained on {n_lo}-{n_hi}, so the ranking assumes models "
                     "rank alike at this size")
    return ModelSelection(ranking, near, profile, data_pid, distance, reference, not outside, tuple(notes))
