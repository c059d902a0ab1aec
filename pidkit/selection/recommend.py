"""``pid.select_models``: which modalities and which kind of fusion a dataset needs.

Two sources of evidence are combined for every candidate model:

* **the catalog** (thesis §3.3.4): the reference datasets whose interaction profile is closest
  to the dataset's say how well each model learned there, relative to the best (averaged over a
  few neighbours by closeness, shrunk towards the model's average over the references where its
  reach does not bind);
* **the PID's reach**: a model that sees one modality reaches at most I(Xi;Y) and loses the
  other modality's uniqueness and all synergy; a sum or product of unimodal predictions loses
  the synergy. The information a candidate cannot reach, as a fraction of I(X1,X2;Y), costs
  accuracy at a rate calibrated on the catalog (least squares over the references,
  :func:`reach_slopes`); each neighbour's accuracy is moved from its own lost fraction to the
  dataset's, so a neighbour with a little more synergy than the dataset does not drag a late
  fusion model down for synergy the dataset does not have.

The decision is then the cheapest candidate — fewest modalities at prediction, then no paired
training, then fit time — expected within ``tolerance`` of the best. With the samples at hand, a
candidate that cannot reach every atom is last checked on held-out samples against a joint model
(``verify``; :class:`_HeldOutCheck`): the one failure of the evidence above that such a check
catches cheaply is synergy that neither the codes nor the held-out classifiers find.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._training import check_non_negative
from .._validation import check_option, check_positive_int
from ..api import estimate
from ..bounds.result import SynergyBounds
from ..exceptions import InputError, OutsideCatalogWarning, ParameterError
from ..result import ATOMS, PIDResult
from .catalog import Catalog, load_catalog, profile_of

__all__ = ["select_models", "ModelSelection", "DISTANCES", "MIN_SAMPLES", "reach_slopes", "DEFAULT_TOLERANCE",
           "VERIFY_SIZE", "VERIFY_Z"]

#: Default tolerance: a candidate is "as good" when expected within 1% of the best's accuracy.
DEFAULT_TOLERANCE = 0.01
#: A lost fraction of I(X1,X2;Y) below this is not given as a reason against a candidate.
NEGLIGIBLE_LOSS = 0.005
#: When the estimate's I(X1,X2;Y) is more than this multiple of what held-out classifiers find
#: (or they find nothing), only candidates that reach every atom are recommended.
UNCONFIRMED = 2.0
#: References where a candidate loses at most this fraction of I(X1,X2;Y) tell how well it learns
#: when its reach does not bind (its prior, see :func:`rank_models`).
FREE_REACH = 0.02

#: Share of the samples (stratified by label) held out when a recommendation that cannot reach every atom is
#: checked against a joint model fitted on the rest (see :func:`select_models`, ``verify``).
VERIFY_SIZE = 0.2
#: The check vetoes the candidate when the joint model's held-out accuracy exceeds its accuracy by more than
#: the tolerance plus this many standard errors of the paired difference.
VERIFY_Z = 2.0

#: Fewer samples than this give a PID too noisy to select anything with.
MIN_SAMPLES = 100
#: A dataset whose normalized profile is farther than this (L1, out of at most 2) from every
#: reference profile is outside the catalog's coverage (a quarter of its information is
#: distributed differently from the nearest reference's).
COVERAGE_PROFILE = 0.5
#: Distances between a dataset and a reference dataset:
#: ``"profile"`` is the thesis's ``s(D, D') = Σ_I |Î_D − Î_D'|`` over the normalized profiles;
#: ``"profile+info"`` adds ½|log2(I_D / I_D')|, the difference in total information I(X1,X2;Y)
#: in halvings, so a dataset also matches references of a similar strength of signal;
#: ``"profile+info+size"`` also adds ½|log2(n_D / n_D')|, the difference in (training) sample
#: size in halvings — which model wins depends on how much data it learns from.
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
    """A decision: which candidate model to use for one dataset, and why.

    Attributes
    ----------
    recommended : str
        The cheapest candidate expected within ``tolerance`` of the best (cost order: fewer
        modalities at prediction, then no paired training, then fit seconds).
    ranking : list of dict
        Every candidate, best expected first: ``model``; ``inputs`` (``"x1"``, ``"x2"`` or
        ``"x1+x2"``); ``paired_training``; ``reach`` (atoms it can represent); ``lost_bits``
        (information it cannot reach, from the dataset's atoms) and ``lost_fraction`` (of
        I(X1,X2;Y)); ``expected_relative_accuracy`` (expected accuracy over the best candidate's);
        ``expected_range`` (the same with the lost information at the ends of its interval, when
        the PID has intervals or comes from synergy bounds); ``spread`` (weighted standard
        deviation over the neighbours and seeds); ``decision_value`` (what the tolerance is checked
        on: the upper end of ``expected_range`` for a PID with intervals — a candidate is ruled out
        only when the PID shows, beyond its sampling uncertainty, that it loses too much — else the
        expected value); ``within_tolerance``; ``cost`` (``modalities``,
        ``paired_training``, ``fit_seconds`` on the reference machine, ``n_parameters``);
        ``nearest_references`` and ``catalog_average`` (the two parts before the reach
        correction and shrinkage); ``verification`` (None, or for a candidate checked on
        held-out samples: ``reference``, ``accuracy``, ``reference_accuracy``, ``difference``,
        ``standard_error``, ``n_test``, ``passed`` — see ``verify`` in :func:`select_models`).
    reasons : list of str
        The decision in words: why the recommended candidate, why not the cheaper ones.
    tolerance : float
    neighbors : list of dict
        The nearest reference datasets: ``name``, ``distance``, ``weight``, ``profile``,
        ``best_model``, ``n_train``, ``n_classes``.
    profile : dict
        The dataset's normalized PID profile (R, U1, U2, S).
    data_pid : PIDResult or None
        The decomposition the profile comes from (None when selecting from synergy bounds).
    distance, reference : str
        Which distance ranked the references (see :data:`DISTANCES`) and which of their PIDs
        (``"cvx"``, ``"feature"`` or ``"exact"``) it compared.
    in_coverage : bool
        False when the dataset lies outside what the catalog covers (see :func:`select_models`).
    bounds : SynergyBounds or None
        The semi-supervised bounds the selection came from, if any.
    notes : tuple of str
    """

    ranking: list
    neighbors: list
    profile: dict
    data_pid: PIDResult | None
    distance: str
    reference: str
    in_coverage: bool
    notes: tuple = field(default_factory=tuple)
    recommended: str = ""
    tolerance: float = DEFAULT_TOLERANCE
    reasons: tuple = field(default_factory=tuple)
    bounds: Any = None

    def top(self, k: int = 3) -> list[str]:
        """Names of the ``k`` candidates with the highest expected accuracy, best first."""
        k = check_positive_int("k", k)
        return [r["model"] for r in self.ranking[:k]]

    @property
    def pareto(self) -> list[str]:
        """Candidates no other candidate beats on both expected accuracy and cost, cheapest first."""
        rows = sorted(self.ranking, key=_cost_key)
        front, best = [], -math.inf
        for r in rows:
            if r["expected_relative_accuracy"] > best + 1e-12:
                front.append(r["model"])
                best = r["expected_relative_accuracy"]
        return front

    def entry(self, model: str) -> dict:
        """The ranking entry of ``model``."""
        for r in self.ranking:
            if r["model"] == model:
                return r
        raise ParameterError(f"model must be one of {[r['model'] for r in self.ranking]}; got {model!r}.")

    def plot(self, ax: Any = None, **kwargs: Any):
        """Draw the decision: accuracy against cost, with the Pareto front (:func:`pidkit.plot.plot_selection`)."""
        from ..plot import plot_selection

        return plot_selection(self, ax, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "recommended": self.recommended, "tolerance": self.tolerance, "reasons": list(self.reasons),
            "ranking": [dict(r) for r in self.ranking],
            "neighbors": [{**n, "profile": dict(n["profile"])} for n in self.neighbors],
            "profile": dict(self.profile), "distance": self.distance, "reference": self.reference,
            "in_coverage": self.in_coverage, "pareto": self.pareto,
            "notes": list(self.notes),
            "data_pid": None if self.data_pid is None else self.data_pid.to_dict(),
            "bounds": None if self.bounds is None else self.bounds.to_dict(),
        }

    def to_pandas(self):
        """The ranking as a pandas DataFrame (one row per candidate; costs as columns)."""
        import pandas as pd

        rows = []
        for r in self.ranking:
            row = {k: v for k, v in r.items() if k not in ("cost", "reach", "expected_range", "verification")}
            row.update(r["cost"])
            v = r.get("verification")
            row["checked"] = None if v is None else ("passed" if v["passed"] else "failed")
            row["reach"] = "+".join(r["reach"])
            row["expected_low"], row["expected_high"] = r["expected_range"]
            rows.append(row)
        return pd.DataFrame(rows).set_index("model")

    def __str__(self) -> str:
        p = self.profile
        if self.data_pid is not None:
            d = self.data_pid
            src = (f"I(X1,X2;Y) = {d.total:.3f} {d.units}, estimator {d.estimator!r}"
                   + (f", {d.n_samples} samples" if d.n_samples is not None else ""))
        else:
            b = self.bounds
            src = f"semi-supervised: S in [{b.S_lower:.3f}, {b.S_upper:.3f}] {b.units}"
        lines = [
            f"Model selection — dataset profile R {p['R']:.2f}, U1 {p['U1']:.2f}, U2 {p['U2']:.2f}, S {p['S']:.2f} "
            f"({src})",
            f"recommended: {self.recommended} (the cheapest candidate expected within {100 * self.tolerance:.3g}% of "
            "the best)",
        ]
        lines += [f"  - {r}" for r in self.reasons]
        lines.append(f"{'':2}{'model':<15}{'inputs':<7}{'paired':>7}{'expected':>10}{'range':>16}{'spread':>8}"
                     f"{'lost bits':>10}{'fit s':>8}{'params':>9}")
        for r in self.ranking:
            mark = "*" if r["model"] == self.recommended else ("+" if r["within_tolerance"] else " ")
            lo, hi = r["expected_range"]
            c = r["cost"]
            fit = "-" if c["fit_seconds"] is None else f"{c['fit_seconds']:.2f}"
            lines.append(f"{mark:<2}{r['model']:<15}{r['inputs']:<7}{'yes' if r['paired_training'] else 'no':>7}"
                         f"{r['expected_relative_accuracy']:10.3f}{f'[{lo:.3f}, {hi:.3f}]':>16}{r['spread']:8.3f}"
                         f"{r['lost_bits']:10.3f}{fit:>8}{c['n_parameters']:9.0f}")
        lines.append("* recommended, + within tolerance; expected = accuracy relative to the best candidate; "
                     "paired = needs labeled samples with both modalities")
        lines.append(f"nearest reference datasets ({self.distance} distance to their {self.reference!r} profiles): "
                     + ", ".join(f"{n['name']} ({n['distance']:.2f})" for n in self.neighbors))
        if not self.in_coverage:
            lines.append("warning: the dataset lies outside the catalog's coverage; the ranking extrapolates")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    __repr__ = __str__


def _consistent_atoms(atoms: dict[str, float], reference: dict[str, float]) -> dict[str, float]:
    """Atoms that add up to the best-found informations, as close to the PID's split as allowed.

    Codes can lose information that held-out classifiers on the raw data find — above all
    synergy, which no single modality shows. With I1, I2, I12 the larger of the PID's and the
    classifiers' informations, redundancy is clipped to [max(0, I1 + I2 − I12), min(I1, I2)] and
    the other atoms follow: U1 = I1 − R, U2 = I2 − R, S = I12 − I1 − I2 + R. The information a
    one-modality model cannot reach is then at least I12 − Ii, whatever the codes kept.
    """
    a = {k: max(float(v), 0.0) for k, v in atoms.items()}
    i1 = max(a["R"] + a["U1"], float(reference.get("I1", 0.0)))
    i2 = max(a["R"] + a["U2"], float(reference.get("I2", 0.0)))
    i12 = max(sum(a.values()), float(reference.get("total", 0.0)), i1, i2)
    r = min(max(a["R"], i1 + i2 - i12, 0.0), i1, i2)
    return {"R": r, "U1": i1 - r, "U2": i2 - r, "S": i12 - i1 - i2 + r}


def _cost_key(r: dict) -> tuple:
    c = r["cost"]
    fit = c["fit_seconds"] if c["fit_seconds"] is not None else math.inf
    return (c["modalities"], bool(c["paired_training"]), fit, -r["expected_relative_accuracy"])


def _reach(model: str) -> tuple[str, ...]:
    from ..fusion.registry import get_model

    try:
        return tuple(get_model(model).reach)
    except ParameterError:  # a model the catalog holds but this session has not registered
        return ATOMS


def _lost(atoms: np.ndarray, reach: tuple[str, ...]) -> np.ndarray:
    """Information (bits) outside ``reach`` for rows of atoms (R, U1, U2, S); negatives count 0."""
    mask = np.array([a not in reach for a in ATOMS], dtype=np.float64)
    return np.maximum(atoms, 0.0) @ mask


def _fractions(atoms: np.ndarray, reach: tuple[str, ...]) -> np.ndarray:
    total = np.maximum(atoms, 0.0).sum(axis=-1)
    return np.where(total > 0, _lost(atoms, reach) / np.where(total > 0, total, 1.0), 0.0)


def reach_slopes(cat: Catalog, reference: str = "feature") -> dict[str, float]:
    """Accuracy lost per unit of unreachable information, per model, fitted on the catalog.

    For each model m whose reach excludes some atoms, the least-squares slope through the
    origin of ``1 − relative accuracy`` on the fraction of I(X1,X2;Y) it cannot reach, over the
    catalog's reference datasets (their ``reference`` PIDs): ``κ_m = Σ f (1 − rel) / Σ f²``.
    Models that reach every atom get 0.
    """
    out = {}
    for j, m in enumerate(cat.models):
        reach = _reach(m)
        if len(reach) == len(ATOMS):
            out[m] = 0.0
            continue
        f = _fractions(cat.atoms(reference), reach)
        gap = 1.0 - cat.relative_accuracy[:, j]
        out[m] = float((f * gap).sum() / (f * f).sum()) if (f * f).sum() > 0 else 0.0
    return out


def rank_models(
    cat: Catalog, profile: dict[str, float], total: float, n: int | None = None, *, reference: str = "cvx",
    distance: str = "profile", neighbors: int = 3, prior_weight: float = 1.0, atoms: dict | None = None,
    atom_ranges: dict | None = None, tolerance: float = DEFAULT_TOLERANCE, benefit_of_doubt: bool = False,
) -> tuple[list[dict], list[dict], np.ndarray]:
    """Ranking and nearest references for a profile (the core of :func:`select_models`, no checks).

    Expected relative accuracy of model m::

        local_m = Σ_j w_j (rel_jm + κ_m f_jm) − κ_m f_m
        avg_m   = mean_{j: f_jm <= 0.02} rel_jm − κ_m f_m
        expected_m = (local_m + λ avg_m) / (1 + λ)

    over the ``neighbors`` nearest references j (weights ``w_j ∝ 1 / (d_j + 0.05)``, summing to
    1), with ``f_jm`` / ``f_m`` the fraction of I(X1,X2;Y) that m cannot reach in reference j /
    in the dataset, ``κ_m`` from :func:`reach_slopes` and ``λ = prior_weight``; the prior
    ``avg_m`` is m's mean over the references where its reach does not bind (all of them for a
    joint model). ``atoms`` (bits)
    default to ``profile × total``; ``atom_ranges`` (``{atom: (lo, hi)}``) give ``expected_range``.
    The spread is the weighted standard deviation of the neighbours' per-seed relative accuracies.
    ``within_tolerance`` compares ``decision_value`` with the best expected value: the expected
    accuracy itself, or with ``benefit_of_doubt`` the upper end of ``expected_range`` (the lost
    information at the lower end of its interval: a candidate is ruled out only when the PID
    shows, beyond its sampling uncertainty, that it loses too much).
    """
    q = {"profile": np.array([profile[a] for a in ATOMS]), "total": float(total), "n": n}
    q_atoms = np.array([(atoms or {a: profile[a] * total for a in ATOMS})[a] for a in ATOMS], dtype=np.float64)
    dist = _distance(distance, q, cat, reference)
    order = np.argsort(dist, kind="stable")[: min(neighbors, len(cat))]
    w = 1.0 / (dist[order] + 0.05)  # closeness weights; 0.05 keeps an exact match from taking all
    w = w / w.sum()
    slopes = reach_slopes(cat, "feature" if reference == "cvx" else reference)
    ref_atoms = cat.atoms("feature" if reference == "cvx" else reference)
    rel = cat.relative_accuracy.copy()  # (datasets, models)
    per_seed = cat.accuracy_per_seed / cat.accuracy.max(axis=1)[:, None, None]  # (datasets, models, seeds)
    costs = cat.costs.get("models", {})
    rows = []
    for m_idx, m in enumerate(cat.models):
        reach = _reach(m)
        kappa = slopes.get(m, 0.0)
        f_ref = _fractions(ref_atoms, reach)
        lift = kappa * f_ref  # each reference moved to "loses nothing"
        tot = max(float(np.maximum(q_atoms, 0).sum()), 1e-12)
        f_q = float(_fractions(q_atoms[None, :], reach)[0])
        local = float(w @ (rel[order, m_idx] + lift[order])) - kappa * f_q
        # the prior: how well the model learns where its reach does not bind (all references for a joint model)
        free = f_ref <= FREE_REACH
        base = rel[free, m_idx] if free.any() else rel[:, m_idx] + lift
        avg = float(base.mean()) - kappa * f_q
        mean = (local + prior_weight * avg) / (1.0 + prior_weight)
        adjusted = per_seed[order, m_idx, :] + lift[order, None] - kappa * f_q
        var = float(w @ ((adjusted - local) ** 2).mean(axis=1))
        lo_f = hi_f = f_q
        if atom_ranges:
            lost_lo = sum(max(atom_ranges[a][0], 0.0) for a in ATOMS if a not in reach)
            lost_hi = sum(max(atom_ranges[a][1], 0.0) for a in ATOMS if a not in reach)
            lo_f, hi_f = min(lost_lo / tot, f_q), max(lost_hi / tot, f_q)
        from ..fusion.registry import get_model

        try:
            info = get_model(m)
            inputs, paired = info.inputs, info.paired_training
        except ParameterError:
            inputs, paired = "x1+x2", True
        rows.append({
            "model": m, "inputs": inputs, "paired_training": paired, "reach": list(reach),
            "lost_bits": f_q * tot, "lost_fraction": f_q,
            "expected_relative_accuracy": mean,
            "expected_range": (mean - kappa * (hi_f - f_q), mean + kappa * (f_q - lo_f)),
            "spread": math.sqrt(max(var, 0.0)), "reach_slope": kappa,
            "nearest_references": local, "catalog_average": avg,
            "cost": {"modalities": 1 if inputs in ("x1", "x2") else 2, "paired_training": paired,
                     "fit_seconds": costs.get(m, {}).get("fit_seconds"),
                     "n_parameters": float(cat.n_parameters[order, m_idx] @ w)},
        })
    rows.sort(key=lambda r: (-round(r["expected_relative_accuracy"], 9), -r["catalog_average"]))
    best = rows[0]["expected_relative_accuracy"]
    for r in rows:
        r["decision_value"] = r["expected_range"][1] if benefit_of_doubt else r["expected_relative_accuracy"]
        r["within_tolerance"] = bool(r["decision_value"] >= best - tolerance - 1e-12)
    near = []
    for j, wj in zip(order, w, strict=True):
        e = cat.datasets[j]
        best_m = cat.models[int(np.argmax(cat.accuracy[j]))]
        near.append({"name": e["name"], "distance": float(dist[j]), "weight": float(wj),
                     "profile": dict(e["profile"][reference]), "best_model": best_m,
                     "n_train": int(e["generator"]["n_train"]), "n_classes": int(e["n_classes"])})
    return rows, near, dist


def _decide(rows: list[dict], atoms: dict[str, float], ranges: dict | None, units: str,
            tolerance: float, full_reach_only: str = "", vetoed: dict | None = None) -> tuple[str, list[str]]:
    """The cheapest candidate within tolerance, and the reasons in words.

    ``full_reach_only``: a reason (non-empty) to consider only candidates that reach every atom.
    ``vetoed``: ``{model: reason}`` of candidates a held-out check ruled out (see :func:`_verify`).
    """
    vetoed = vetoed or {}
    within = [r for r in rows if r["within_tolerance"] and r["model"] not in vetoed
              and (not full_reach_only or len(r["reach"]) == len(ATOMS))]
    chosen = min(within or [rows[0]], key=_cost_key)
    best = rows[0]

    def atoms_text(reach: list[str]) -> str:
        missing = [a for a in ATOMS if a not in reach]
        val = sum(max(atoms[a], 0.0) for a in missing)
        txt = f"{' + '.join(missing)} = {val:.3f} {units}"
        if ranges:
            lo = sum(max(ranges[a][0], 0.0) for a in missing)
            hi = sum(max(ranges[a][1], 0.0) for a in missing)
            txt += f" [{lo:.3f}, {hi:.3f}]"
        return txt

    def pct(r: dict, key: str = "expected_relative_accuracy") -> str:
        return f"{100 * max(best['expected_relative_accuracy'] - r[key], 0.0):.1f}%"

    reasons = []
    if len(chosen["reach"]) < len(ATOMS):
        reasons.append(f"{chosen['model']} ({chosen['inputs']} at prediction, "
                       f"{'paired' if chosen['paired_training'] else 'no paired'} training) cannot reach "
                       f"{atoms_text(chosen['reach'])} ({100 * chosen['lost_fraction']:.1f}% of I(X1,X2;Y)); it is "
                       f"expected {pct(chosen)} below the best ({best['model']})"
                       + (f", {pct(chosen, 'decision_value')} with the lost information at the low end of its interval"
                          if abs(chosen["decision_value"] - chosen["expected_relative_accuracy"]) > 5e-4 else "")
                       + ".")
    else:
        reasons.append(f"{chosen['model']} reaches all the information; expected within {pct(chosen)} of the best "
                       f"({best['model']}) and the cheapest such candidate.")
    if full_reach_only:
        reasons.append(f"only candidates that reach every atom were considered: {full_reach_only}.")
    seen = set()
    for r in sorted(rows, key=_cost_key):
        if r is chosen or _cost_key(r) >= _cost_key(chosen):
            continue
        kind = (r["inputs"], r["paired_training"])
        if kind in seen and r["model"] not in vetoed:
            continue
        seen.add(kind)
        if r["model"] in vetoed:
            why = vetoed[r["model"]]
        elif r["within_tolerance"] and full_reach_only:
            why = "it cannot reach every atom, and the evidence that it loses little cannot be checked (above)"
        elif len(r["reach"]) < len(ATOMS) and r["lost_fraction"] >= NEGLIGIBLE_LOSS:
            why = f"it cannot reach {atoms_text(r['reach'])} ({100 * r['lost_fraction']:.1f}% of I(X1,X2;Y))"
        else:
            why = ("the reference datasets nearest to this one say it learns less from data like these "
                   f"({r['nearest_references']:.3f} of the best there, {r['catalog_average']:.3f} over the catalog)")
        reasons.append(f"not {r['model']} ({r['inputs']}, {'paired' if r['paired_training'] else 'no paired'} "
                       f"training), though cheaper: expected {pct(r)} below the best — {why}.")
    return chosen["model"], reasons


def _reference_model(rows: list[dict]) -> dict | None:
    """The joint candidate a reach-limited one is checked against: the cheapest candidate that reaches
    every atom among those within tolerance, else the best expected one that does."""
    full = [r for r in rows if len(r["reach"]) == len(ATOMS)]
    if not full:
        return None
    within = [r for r in full if r["within_tolerance"]]
    return min(within, key=_cost_key) if within else max(full, key=lambda r: r["expected_relative_accuracy"])


class _HeldOutCheck:
    """Fits candidates on a stratified ``1 - VERIFY_SIZE`` of the samples and scores them on the rest.

    A recommendation that cannot reach every atom rests on the estimate's claim that the information it
    misses is small; synergy that neither the codes nor the held-out classifiers find (many classes, few
    samples per class) escapes that claim. Two fits — the candidate and one joint model — on the same split
    test it directly, at a fraction of the cost of fitting every candidate.
    """

    def __init__(self, x1: Any, x2: Any, y: Any, tolerance: float, seed: int | None):
        from .._training import stratified_split
        from .._validation import as_samples

        self.x1, self.x2, self.y = (as_samples(v, name) for v, name in ((x1, "x1"), (x2, "x2"), (y, "y")))
        codes = np.unique(self.y, return_inverse=True)[1].ravel()
        self.train, self.test, _ = stratified_split(codes, VERIFY_SIZE, 0.0, np.random.default_rng(seed))
        self.tolerance, self.seed = tolerance, seed
        self._correct: dict[str, np.ndarray] = {}
        self.seconds = 0.0

    @staticmethod
    def usable(x1: Any, x2: Any) -> bool:
        """Numeric modalities (the zoo's networks take numbers); otherwise the check is skipped."""
        return all(np.issubdtype(np.asarray(v).dtype, np.number) or np.asarray(v).dtype == bool for v in (x1, x2))

    def correct(self, model: str) -> np.ndarray:
        if model not in self._correct:
            import torch

            from ..fusion import make_model

            t0 = time.perf_counter()
            tr, te = self.train, self.test
            threads = torch.get_num_threads()
            torch.set_num_threads(1)  # small networks: one thread is fastest, and what the catalog's costs assume
            try:
                fitted = make_model(model, random_state=self.seed).fit(self.x1[tr], self.x2[tr], self.y[tr])
                self._correct[model] = (fitted.predict(self.x1[te], self.x2[te]) == self.y[te]).astype(np.float64)
            finally:
                torch.set_num_threads(threads)
            self.seconds += time.perf_counter() - t0
        return self._correct[model]

    def compare(self, candidate: str, reference: str) -> dict[str, Any]:
        """Held-out accuracies and whether ``candidate`` stays within tolerance of ``reference``."""
        a, b = self.correct(candidate), self.correct(reference)
        d = b - a
        se = float(d.std(ddof=1) / math.sqrt(d.size)) if d.size > 1 else math.inf
        margin = self.tolerance * float(b.mean()) + VERIFY_Z * se
        return {"reference": reference, "accuracy": float(a.mean()), "reference_accuracy": float(b.mean()),
                "difference": float(d.mean()), "standard_error": se, "n_test": int(d.size),
                "passed": bool(d.mean() <= margin + 1e-12)}


def _verify(ranking: list[dict], decide: Any, check: _HeldOutCheck) -> tuple[str, list[str]]:
    """Walk the decision down the cost order until a candidate passes the held-out check (or reaches every atom).

    ``decide(vetoed)`` is :func:`_decide` with everything but the vetoes fixed.
    """
    vetoed: dict[str, str] = {}
    by_name = {r["model"]: r for r in ranking}
    while True:
        chosen, reasons = decide(vetoed)
        entry = by_name[chosen]
        ref = _reference_model(ranking)
        if len(entry["reach"]) == len(ATOMS) or ref is None:
            return chosen, reasons
        v = check.compare(chosen, ref["model"])
        entry["verification"] = v
        acc = (f"{100 * v['accuracy']:.1f}% vs {100 * v['reference_accuracy']:.1f}% for {v['reference']} on "
               f"{v['n_test']} held-out samples (difference {100 * v['difference']:.1f} ± "
               f"{100 * v['standard_error']:.1f} points)")
        if v["passed"]:
            return chosen, [*reasons, f"checked on held-out samples: {chosen} {acc}, within the tolerance plus "
                                      f"{VERIFY_Z:g} standard errors."]
        vetoed[chosen] = (f"checked on held-out samples it scored {acc}, more than the tolerance plus "
                          f"{VERIFY_Z:g} standard errors below — information the estimate misses (synergy?)")


def select_models(
    x1: Any,
    x2: Any = None,
    y: Any = None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    catalog: Catalog | str | None = None,
    reference: str = "auto",
    distance: str = "profile",
    neighbors: int = 3,
    prior_weight: float = 1.0,
    candidates: Any = None,
    estimator: str = "cvx",
    ci: float | None = 0.95,
    verify: Any = "auto",
    random_state: Any = None,
    **estimate_options: Any,
) -> ModelSelection:
    """Decide which modalities and which kind of fusion a dataset needs, from its PID.

    Parameters
    ----------
    x1, x2, y : array-like
        The dataset (its PID is computed with :func:`pidkit.estimate`); or pass as ``x1`` alone a
        :class:`~pidkit.PIDResult` (a decomposition you have; its confidence intervals, if any,
        give each candidate's ``expected_range``), or a :class:`~pidkit.bounds.SynergyBounds`
        (the semi-supervised setting: labeled unimodal data and unlabeled pairs — exact R, U1,
        U2 and S within bounds — which decides whether collecting paired labels for a joint
        model can pay).
    tolerance : float in [0, 1), default 0.01
        How much relative accuracy (a fraction of the best candidate's) you would give up for a
        cheaper model. The recommendation is the cheapest candidate expected within it.
    catalog : Catalog, path or None
        The reference catalog (default: the one shipped with pidkit, :func:`load_catalog`). It is
        used mirrored (X1 and X2 swapped in every reference, :meth:`Catalog.mirrored`).
    reference : {"auto", "feature", "exact", "cvx"}
        Which PID of each reference dataset to compare with: the exact PID of its features
        (``"feature"``, what a model of the features can reach; ``"auto"``), of its latent factors
        (``"exact"``), or as ``pid.estimate(..., estimator="cvx")`` found it on the reference's
        test split (``"cvx"``; its codes can miss synergy that no single modality shows, so it is
        no longer the default).
    distance : {"profile", "profile+info", "profile+info+size"}
        ``"profile"``: the thesis's ``s(D, D') = Σ_I |Î_D − Î_D'|``; the others also compare total
        information and sample size (see :data:`DISTANCES`).
    neighbors : int, default 3
        Nearest reference datasets the expected accuracies are averaged over.
    prior_weight : float >= 0, default 1.0
        Weight λ of each model's catalog-wide mean (reach-corrected) against the neighbours'.
    candidates : list of str, optional
        Restrict the decision to these catalog models (default: all the catalog holds).
    estimator : str, default "cvx"
        Estimator of the dataset's PID when it is computed here; ``ci``, ``random_state`` and
        ``**estimate_options`` go to :func:`pidkit.estimate`.
    ci : float or None, default 0.95
        Confidence level of the atoms' intervals when the PID is computed here (a bootstrap:
        about 2 s on 2,000 samples). The information a candidate cannot reach is then taken
        bias-corrected (small atoms are biased upwards in a plug-in estimate, which would make a
        one-modality model look worse than it is), and its interval gives ``expected_range``.
        ``None``: plug-in atoms, no ranges.
    verify : {"auto", True, False}, default "auto"
        Check a recommendation that cannot reach every atom (one modality, or a sum or product of
        unimodal models) on held-out samples before making it: the candidate and the cheapest
        joint candidate within tolerance (usually ``early``) are fitted on a stratified 80% of the
        samples (:data:`VERIFY_SIZE`) and scored on the rest; when the joint model is more accurate
        by more than the tolerance plus 2 standard errors of the paired difference
        (:data:`VERIFY_Z`), the candidate is ruled out and the next one in cost order is taken
        (and checked in turn). Two or three fits instead of one per candidate; it catches
        synergy that neither the codes nor the held-out classifiers find (many classes, few
        samples per class). ``"auto"``: on when the data are given (and numeric), off from a
        PIDResult or SynergyBounds (no samples to fit on).

    The decision: the cheapest candidate (fewest modalities at prediction, then no paired
    training, then fit seconds) whose expected accuracy is within ``tolerance`` of the best
    candidate's. A candidate that cannot reach some atoms gets the benefit of the doubt of the
    PID's intervals (its lost information at the lower end of its interval); where held-out
    classifiers find more information than the codes keep, the atoms are first moved into the
    ranges those informations allow (a one-modality model loses at least I(X1,X2;Y) − I(Xi;Y),
    whatever the codes kept). When the evidence cannot be checked — the dataset lies outside the
    catalog's coverage, or held-out classifiers confirm less than half of the information the
    estimate reports (often: too few samples for the label's classes) — only candidates that
    reach every atom are recommended, and the reasons say so. Finally (``verify``), a
    recommendation that cannot reach every atom is checked on held-out samples against a joint
    model and replaced by the next candidate in cost order if the joint model wins clearly.

    Returns
    -------
    ModelSelection
        ``recommended``, ``ranking`` (with ``inputs``, ``paired_training``,
        ``expected_relative_accuracy``, ``cost``, …), ``reasons``, ``pareto``; printing shows the
        table, ``.plot()`` the accuracy-cost front.

    Raises
    ------
    InputError
        Fewer than ``MIN_SAMPLES`` (100) samples.
    CatalogError
        The catalog is missing, unreadable or of another schema version.
    ParameterError
        Bad ``tolerance``, ``reference``, ``distance``, ``candidates``, or data given together
        with a PIDResult / SynergyBounds.

    Warns
    -----
    OutsideCatalogWarning
        The profile is farther than ``COVERAGE_PROFILE`` (0.5) from every reference profile, the
        total information beyond twice the references' range, or the label has more classes than
        any reference: the ranking extrapolates.

    Examples
    --------
    >>> import pidkit as pid
    >>> from pidkit.synthetic import suite_data
    >>> x1, x2, y = suite_data("U1", n=2000, dim=8, random_state=0)   # X2 carries nothing
    >>> pid.select_models(x1, x2, y, random_state=0).recommended
    'x1-only'
    """
    check_option("reference", reference, ("auto", "cvx", "feature", "exact"))
    if not (isinstance(verify, bool) or verify == "auto"):
        raise ParameterError(f"verify must be 'auto', True or False; got {verify!r}.")
    check_option("distance", distance, DISTANCES)
    neighbors = check_positive_int("neighbors", neighbors)
    prior_weight = check_non_negative("prior_weight", prior_weight)
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float, np.floating)) \
            or not 0 <= tolerance < 1:
        raise ParameterError(f"tolerance must be a fraction in [0, 1) of the best accuracy (0.01 = 1%); got "
                             f"{tolerance!r}.")
    if not (catalog is None or isinstance(catalog, (Catalog, str, os.PathLike))):
        raise ParameterError(f"catalog must be a Catalog, a path to a catalog file or None (the shipped one); got "
                             f"{type(catalog).__name__}.")
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    cat = cat.mirrored()
    if candidates is not None:
        wanted = [candidates] if isinstance(candidates, str) else list(candidates)
        unknown = [m for m in wanted if m not in cat.models]
        if unknown or not wanted:
            raise ParameterError(f"candidates must be a non-empty list of catalog models {cat.models}; got {wanted}.")
        cat = Catalog({**cat.raw, "models": wanted}, cat.costs)
    bounds = None
    if isinstance(x1, (PIDResult, SynergyBounds)):
        if x2 is not None or y is not None or estimate_options:
            raise ParameterError(f"pass either a {type(x1).__name__} alone or the data (x1, x2, y), not both.")
        values = ([x1.R, x1.U1, x1.U2, x1.S_lower, x1.S_upper] if isinstance(x1, SynergyBounds)
                  else [*x1.atoms.values(), x1.total, x1.I1, x1.I2])
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
            raise InputError(f"the {type(x1).__name__} has values that are not finite numbers ({values}); nothing can "
                             "be decided from it. Recompute it (a tampered or damaged file?).")
        if verify is True:
            raise ParameterError("verify=True fits candidates on the samples: pass the data (x1, x2, y), not a "
                                 f"{type(x1).__name__}.")
        if isinstance(x1, SynergyBounds):
            bounds, data_pid = x1, None
        else:
            data_pid = x1
    else:
        if x2 is None or y is None:
            raise ParameterError("select_models needs x1, x2 and y (or a PIDResult or SynergyBounds alone).")
        data_pid = estimate(x1, x2, y, estimator=estimator, ci=ci, random_state=random_state, **estimate_options)
    notes = []
    unconfirmed = ""
    if bounds is not None:
        scale = 1.0 if bounds.units == "bits" else 1.0 / math.log(2.0)
        s_lo, s_hi = bounds.S_lower * scale, bounds.S_upper * scale
        atoms = {"R": bounds.R * scale, "U1": bounds.U1 * scale, "U2": bounds.U2 * scale, "S": s_hi}
        ranges = {"R": (atoms["R"],) * 2, "U1": (atoms["U1"],) * 2, "U2": (atoms["U2"],) * 2, "S": (s_lo, s_hi)}
        total, n, k_data, units = sum(max(v, 0.0) for v in atoms.values()), None, None, "bits"
        if reference == "auto":
            reference = "feature"
        notes.append(f"from synergy bounds: S in [{s_lo:.3f}, {s_hi:.3f}] bits; expectations use S at its upper "
                     "bound (the case least favourable to the candidates that need no paired labels), and each "
                     "range runs to the lower bound")
    else:
        if reference == "auto":
            reference = "feature"
        n = data_pid.n_samples
        if n is not None and n < MIN_SAMPLES:
            raise InputError(
                f"the dataset has {n} samples; a PID from fewer than {MIN_SAMPLES} is too noisy to select models "
                "with. Collect more samples, or compare candidate models directly with pidkit.fusion.compare."
            )
        bits = data_pid.with_units("bits")
        atoms = dict(bits.atoms)
        total, k_data, units = bits.total, int(data_pid.shape[2]), "bits"
        ranges = None
        unc = bits.uncertainty
        if unc is not None and all(a in unc.intervals for a in ATOMS):
            ranges = {a: tuple(unc.intervals[a]) for a in ATOMS}
            fixed = (unc.corrected or {}).get("bootstrap")
            if fixed and all(a in fixed for a in ATOMS):
                atoms = {a: max(float(fixed[a]), 0.0) for a in ATOMS}
                notes.append("the information each candidate cannot reach uses the bootstrap bias-corrected atoms "
                             "(plug-in atoms are biased upwards)")
        check = bits.info_check
        if check is not None and check.classifier:
            kept = check.kept.get("total", float("nan"))
            if not math.isfinite(kept) or kept > UNCONFIRMED:
                unconfirmed = (f"held-out classifiers confirm {check.classifier.get('total', 0.0):.3f} of the "
                               f"{check.estimate.get('total', 0.0):.3f} bits of I(X1,X2;Y) the estimate reports, so "
                               "its split between the atoms cannot be checked (too few samples for the label's "
                               "classes?)")
        if check is not None and check.reference:
            ref = {k: float(v) for k, v in check.reference.items()}  # in the result's units: bits here
            fixed = _consistent_atoms(atoms, ref)
            moved = {a: fixed[a] - atoms[a] for a in ATOMS if abs(fixed[a] - atoms[a]) > 1e-3}
            if moved:
                notes.append(
                    "held-out classifiers find more information than the codes keep (I(X1;Y) "
                    f"{ref['I1']:.3f}, I(X2;Y) {ref['I2']:.3f}, I(X1,X2;Y) {ref['total']:.3f} bits): the atoms were "
                    "moved into the ranges those informations allow before deciding ("
                    + ", ".join(f"{a} {atoms[a]:.3f} -> {fixed[a]:.3f}" for a in moved) + ")")
                if ranges is not None:  # the intervals move with the atoms
                    ranges = {a: (max(ranges[a][0] + fixed[a] - atoms[a], 0.0), ranges[a][1] + fixed[a] - atoms[a])
                              for a in ATOMS}
                atoms = fixed
            total = sum(max(v, 0.0) for v in atoms.values())
        if ranges is not None:  # bias-corrected or moved atoms: each interval holds its point
            ranges = {a: (min(ranges[a][0], max(atoms[a], 0.0)), max(ranges[a][1], atoms[a])) for a in ATOMS}
        if bits.total <= 0:
            notes.append("the dataset carries no information about its label; every model is as good as chance")
    profile = profile_of(atoms)
    if distance == "profile+info+size" and n is None:
        notes.append("the sample size is unknown: the size term of the distance is 0")
    outside = []
    gap = float(np.abs(cat.profiles(reference) - np.array([profile[a] for a in ATOMS])[None, :]).sum(axis=1).min())
    if gap > COVERAGE_PROFILE:
        outside.append(f"its interaction profile is {gap:.2f} (L1) from the nearest reference profile, more than "
                       f"{COVERAGE_PROFILE}")
    lo, hi = float(cat.totals(reference).min()), float(cat.totals(reference).max())
    if total > 0 and not lo / 2 <= total <= 2 * hi:
        outside.append(f"its I(X1,X2;Y) = {total:.3g} bits is beyond twice the references' range "
                       f"({lo:.2g}-{hi:.2g} bits)")
    k_max = int(cat.n_classes.max())
    if k_data is not None and k_data > k_max:
        outside.append(f"its label has {k_data} classes, the references {int(cat.n_classes.min())} to {k_max}")
    if outside:
        warnings.warn(
            "the dataset lies outside the catalog's coverage: " + "; ".join(outside) + ". The ranking extrapolates "
            "from the nearest references; check it on your data with pidkit.fusion.compare.",
            OutsideCatalogWarning, stacklevel=2,
        )
        notes += [f"outside the catalog: {o}" for o in outside]
    # a data PID's intervals give reach-limited candidates the benefit of the doubt; synergy bounds are bounds
    ranking, near, _ = rank_models(cat, profile, total, n, reference=reference, distance=distance,
                                   neighbors=neighbors, prior_weight=prior_weight, atoms=atoms, atom_ranges=ranges,
                                   tolerance=float(tolerance), benefit_of_doubt=bounds is None and ranges is not None)
    guard = ("the dataset lies outside the catalog's coverage, so a loss the estimate misses could not be caught"
             if outside else unconfirmed)
    for r in ranking:
        r["verification"] = None
    check = None
    if verify is not False and bounds is None and not isinstance(x1, PIDResult):
        import importlib.util

        if importlib.util.find_spec("torch") is None:
            notes.append("the recommendation was not checked on held-out samples: the zoo's networks need torch")
        elif _HeldOutCheck.usable(x1, x2):
            from .._validation import seed_from

            check = _HeldOutCheck(x1, x2, y, float(tolerance), seed_from(random_state))
        else:
            notes.append("the recommendation was not checked on held-out samples: the zoo's models need numeric "
                         "modalities")
    if check is None:
        recommended, reasons = _decide(ranking, atoms, ranges, units, float(tolerance), guard)
    else:
        recommended, reasons = _verify(
            ranking, lambda vetoed: _decide(ranking, atoms, ranges, units, float(tolerance), guard, vetoed), check)
        if check.seconds:
            notes.append(f"held-out check: {len(check._correct)} models fitted on {check.train.size} samples, "
                         f"scored on {check.test.size} ({check.seconds:.1f} s)")
    if bounds is not None:
        reasons += _paired_label_reasons(ranking, bounds, s_lo, s_hi, float(tolerance))
    n_lo, n_hi = int(cat.n_train.min()), int(cat.n_train.max())
    if n is not None and not n_lo / 2 <= n <= 4 * n_hi:
        notes.append(f"{n} samples; the references were trained on {n_lo}-{n_hi}, so the ranking assumes models "
                     "rank alike at this size")
    if not cat.costs:
        notes.append("no measured fit times come with this catalog: candidates of the same kind are ordered by "
                     "expected accuracy")
    return ModelSelection(ranking, near, profile, data_pid, distance, reference, not outside, tuple(notes),
                          recommended, float(tolerance), tuple(reasons), bounds)


def _paired_label_reasons(ranking: list[dict], bounds: Any, s_lo: float, s_hi: float, tolerance: float) -> list[str]:
    """Semi-supervised: can collecting paired labels for a joint model pay?"""
    no_pairs = [r for r in ranking if not r["paired_training"]]
    joint = [r for r in ranking if r["paired_training"] and len(r["reach"]) == len(ATOMS)]
    if not no_pairs or not joint:
        return []
    best_free = max(no_pairs, key=lambda r: r["expected_relative_accuracy"])
    best_joint = max(joint, key=lambda r: r["expected_relative_accuracy"])
    gain_hi = best_joint["expected_relative_accuracy"] - best_free["expected_relative_accuracy"]
    gain_lo = best_joint["expected_relative_accuracy"] - best_free["expected_range"][1]
    acc = bounds.accuracy
    txt = (f"paired labels for a joint model ({best_joint['model']}) can gain at most {100 * max(gain_hi, 0):.1f}% "
           f"over {best_free['model']}, which needs none (S <= {s_hi:.3f} bits), and at least "
           f"{100 * max(gain_lo, 0):.1f}% (S >= {s_lo:.3f}); the Bayes accuracy lies in [{acc.lower:.3f}, "
           f"{acc.upper:.3f}]")
    if gain_hi <= tolerance:
        return [txt + " — collecting paired labels cannot pay."]
    if gain_lo > tolerance:
        return [txt + " — collecting paired labels pays."]
    return [txt + " — it may pay: the bounds leave the synergy open; a small paired labeled sample would tell."]
