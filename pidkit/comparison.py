"""``pid.compare_estimators``: the applicable estimators and codings side by side, and which to believe.

Estimators disagree on real data for two reasons: they keep different amounts of the information
(coarse codes lose some, and then split only what is left), and the informations leave the split
partly open (R can be anywhere in [max(0, I1 + I2 − I12), min(I1, I2)]). :func:`compare_estimators`
runs the exact estimator on the automatic codes and on coarser, finer and other-family codes, and
BATCH where it applies, and shows for each the atoms with intervals, the share of the held-out
classifiers' informations it keeps and whether its atoms sit in the ranges those informations
allow (:mod:`pidkit.trust`). Its verdict names the estimate to believe and why.
"""

from __future__ import annotations

import importlib.util
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validation import as_samples, check_keys, check_same_length, check_units
from .api import DEFAULT_SEED, _check_info_check, estimate
from .discretize import Discretizer
from .estimators.batch import min_class_size
from .exceptions import ParameterError, PIDKitError, PIDKitWarning
from .result import ATOMS, INFORMATIONS, PIDResult, TextReport, fmt
from .trust import information_ranges

__all__ = ["compare_estimators", "EstimatorComparison", "MIN_BATCH_SAMPLES"]

#: BATCH joins the comparison from this many samples (it trains three classifiers and two encoders).
MIN_BATCH_SAMPLES = 100


@dataclass(frozen=True, repr=False)
class EstimatorComparison(TextReport):
    """Several estimates of one dataset's PID, their checks, and which to believe.

    Attributes
    ----------
    results : dict
        ``{label: PIDResult}`` in the order they ran; each carries its ``info_check``.
    skipped : dict
        ``{label: reason}`` for estimators that did not run here.
    best : str
        The label of the estimate to believe (:attr:`verdict` says why).
    verdict : str
        Which estimate to believe and why, in words.
    units : str
    seconds : dict
        Wall time of each estimate (coding, solve or training, checks, intervals).
    warnings : dict
        The pidkit warnings each estimate raised (names), caught here and summarized.
    time_s : float
    """

    results: dict
    skipped: dict
    best: str
    verdict: str
    units: str
    seconds: dict = field(default_factory=dict)
    warnings: dict = field(default_factory=dict)
    time_s: float = 0.0

    def to_pandas(self):
        """One row per estimate: atoms, informations, shares kept, out-of-range atoms, seconds (needs pandas)."""
        import pandas as pd

        rows = []
        for label, r in self.results.items():
            c = r.info_check
            row = {"estimate": label, **r.atoms, "I1": r.I1, "I2": r.I2, "total": r.total}
            if c is not None:
                row.update({f"kept_{q}": c.kept.get(q, math.nan) for q in INFORMATIONS})
                row["outside"] = ",".join(c.outside)
            row["seconds"] = self.seconds.get(label, math.nan)
            rows.append(row)
        return pd.DataFrame(rows).set_index("estimate")

    def plot(self, ax: Any = None, **kwargs: Any):
        """The estimates side by side (:func:`pidkit.plot.plot_compare`; returns the Axes)."""
        from .plot import plot_compare

        return plot_compare(self.results, ax, **{"title": f"believe: {self.best}", **kwargs})

    def __str__(self) -> str:
        u = self.units
        first = next(iter(self.results.values()))
        check = next((r.info_check for r in self.results.values()
                      if r.info_check is not None and r.info_check.classifier), None)
        lines = [f"PID estimates compared ({u}); n = {first.n_samples}"]
        if check is not None:
            clf = check.classifier
            lines.append(f"held-out classifiers ({check.method}): I(X1;Y) {clf['I1']:.3f}, I(X2;Y) {clf['I2']:.3f}, "
                         f"I(X1,X2;Y) {clf['total']:.3f}")
            allowed = information_ranges(clf["I1"], clf["I2"], clf["total"])
            shown = ", ".join(f"{a} [{lo:.3f}, {hi:.3f}]" for a, (lo, hi) in allowed.items())
            lines.append(f"ranges they allow: {shown} (each estimate is checked against the larger of its own and "
                         "these informations)")
        width = max(len(k) for k in self.results) + 2
        short = {"I1": "I1", "I2": "I2", "total": "I12"}

        def failed(c) -> str:
            if c is None:
                return "-"
            parts = [f"{short[q]} low" for q in c.low] + [f"{short[q]} high" for q in c.high] + list(c.outside)
            return ",".join(parts) or "-"

        fails = {label: failed(r.info_check) for label, r in self.results.items()}
        fw = max(6, *(len(f) for f in fails.values()))
        head = (f"{'estimate':<{width}}" + "".join(f"{a:>17}" for a in ATOMS) + "   kept I1/I2/I12   "
                + f"{'failed':<{fw}}   seconds")
        lines += ["-" * len(head), head, "-" * len(head)]
        for label, r in self.results.items():
            cis = r.uncertainty.intervals if r.uncertainty is not None else {}
            cells = []
            for a in ATOMS:
                v = getattr(r, a)
                if a in cis:
                    lo, hi = cis[a]
                    cells.append(f"{fmt(v, '7.3f')} [{fmt(lo, '.2f').strip()},{fmt(hi, '.2f').strip()}]".rjust(17))
                else:
                    cells.append(fmt(v, "7.3f").rjust(17))
            c = r.info_check
            kept = "/".join("  - " if c is None or math.isnan(c.kept.get(q, math.nan)) else f"{c.kept[q]:4.0%}"
                            for q in INFORMATIONS)
            out = fails[label]
            mark = " <" if label == self.best else ""
            seconds = self.seconds.get(label, math.nan)
            lines.append(f"{label:<{width}}" + "".join(cells) + f"   {kept:>14}   {out:<{fw}}   {seconds:7.2f}" + mark)
        lines.append("-" * len(head))
        for label, why in self.skipped.items():
            lines.append(f"not run: {label} ({why})")
        for label, names in self.warnings.items():
            if names:
                lines.append(f"warnings of {label}: {', '.join(names)}")
        lines.append(f"believe: {self.verdict}")
        return "\n".join(lines)


def _badness(res: PIDResult) -> tuple[int, float]:
    return (0, 0.0) if res.info_check is None else res.info_check.badness


def _describe(res: PIDResult) -> str:
    """What the checks found, e.g. "keeps I(X1;Y) 90%, ... and has R = 0.750 outside [1.245, 1.346]"."""
    c = res.info_check
    if c is None:
        return "was not checked"
    return f"keeps {c.kept_words()}" + (f" and has {c.outside_words(res)}" if c.outside else "")


def _verdict(results: dict[str, PIDResult], sparse: set[str], units: str) -> tuple[str, str]:
    """The estimate to believe, and why.

    Trustworthy: no failed check and a table that is not too sparse for plug-in estimates
    (``sparse``: the runs that raised a PlugInBiasWarning — a sparse table's informations, even
    Miller–Madow corrected, look better than they are). Among the trustworthy ones, the one whose
    smallest share kept is largest (to the percent; shares above 100% count as 100%) is believed,
    ties going to run order; the automatic coding (run first) stands for the exact estimator when it
    is trustworthy, since held-out information chose it among the codings (finer codes' plug-in
    informations look better than they are). Without any trustworthy one, the one with the fewest
    failed checks (a sparse table counting as one), the default among equals.
    """
    order = list(results)
    good = [k for k in order if _badness(results[k])[0] == 0 and k not in sparse]
    # among the codings of the exact estimator the automatic one was chosen by held-out information, which
    # sees plug-in bias; the others are there to show the sensitivity. So it competes with the other
    # estimators only; without it, every trustworthy estimate competes
    contenders = [k for k in good if not k.startswith("cvx (") or k == order[0]] if order[0] in good else good
    if contenders:  # the one that keeps the most (shares above 100% only say the classifiers are weaker)
        best = min(contenders, key=lambda k: (round(_badness(results[k])[1], 2), order.index(k)))
    else:  # the fewest failed checks (a sparse table counts as one), the default first among equals
        best = min(order, key=lambda k: (_badness(results[k])[0] + (k in sparse), k != order[0],
                                         _badness(results[k])[1], order.index(k)))
    b = results[best]
    text = f"'{best}': it {_describe(b)}"
    if good:
        if b.info_check is not None and b.info_check.classifier:
            text += ", and its atoms lie in the ranges the held-out classifiers' informations allow"
    else:
        text += "; no estimate passes every check, so read its split with care"
    parts = [text]
    worse = [k for k in order if k not in good and k != best]
    if worse:
        parts.append("set aside: " + "; ".join(
            f"'{k}' {_describe(results[k])}" + (" (a sparse table: PlugInBiasWarning)" if k in sparse else "")
            for k in worse))
    if len(good) > 1:
        spread = {a: max(getattr(results[k], a) for k in good) - min(getattr(results[k], a) for k in good)
                  for a in ATOMS}
        a = max(spread, key=spread.get)
        parts.append(f"the {len(good)} trustworthy estimates ({', '.join(repr(k) for k in good)}) agree within "
                     f"{spread[a]:.3f} {units} on every atom (widest: {a})")
    return best, ". ".join(parts) + "."


def compare_estimators(
    x1: Any,
    x2: Any,
    y: Any,
    *,
    estimators: Any = ("cvx", "batch"),
    ci: float | None = 0.95,
    units: str = "bits",
    random_state: Any = None,
    info_check: Any = True,
    batch_options: dict | None = None,
    discretizer_options: dict | None = None,
    **options: Any,
) -> EstimatorComparison:
    """Decompose one dataset with the applicable estimators and codings, check each, and say which to believe.

    Runs, on the same samples and seed:

    * ``"cvx (auto)"`` — :func:`pidkit.estimate`'s exact estimator with the automatic codes;
    * for continuous modalities, the same with fewer and with more states of the same family
      (half and double), and with the other family's best codes (clusters vs class posteriors),
      so the sensitivity to the coding is visible;
    * ``"batch"`` — the BATCH estimator, where it applies (numeric modalities, PyTorch installed,
      at least ``MIN_BATCH_SAMPLES`` samples, every class large enough for its splits).

    Each result carries its intervals (``ci``), its information check — the share of the held-out
    classifiers' I(X1;Y), I(X2;Y), I(X1,X2;Y) it keeps and whether its atoms sit in the ranges
    those informations allow (:mod:`pidkit.trust`) — and its time. The estimate to believe is the
    one with the fewest failed checks (shares under 85%, atoms out of range), then the smallest
    shortfall, then the default's order; the verdict says why and how far the trustworthy ones agree.

    Parameters
    ----------
    x1, x2, y : array-like
        As for :func:`pidkit.estimate` (in memory).
    estimators : sequence of {"cvx", "batch"}
    ci : float or None, default 0.95
        Confidence level of every estimate's intervals (None: none).
    units : {"bits", "nats"}
    random_state : int, Generator or None
        One seed for every run (None: 0, as in :func:`pidkit.estimate`).
    info_check : bool or {"fast", "thorough"}
    batch_options : dict, optional
        Options of the BATCH estimator (e.g. ``{"epochs": 20}``).
    discretizer_options : dict, optional
        Options of every :class:`~pidkit.Discretizer` here, e.g. ``{"y_bins": 5}`` for a numeric
        label or ``{"kind": {"y": "categorical"}}`` (the codings compared set the modalities' kinds
        and states themselves).
    **options
        Options of the exact estimator (``solver``, ``tol`` ...).

    Returns
    -------
    EstimatorComparison
        Prints a table; ``.results``, ``.best``, ``.verdict``, ``.to_pandas()``, ``.plot()``.

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> import pidkit as pid
    >>> X, y = load_wine(return_X_y=True)
    >>> cmp = pid.compare_estimators(X[:, :7], X[:, 7:], y, estimators=("cvx",), ci=None)
    >>> cmp.best
    'cvx (auto)'
    """
    t0 = time.perf_counter()
    check_units(units)
    _check_info_check(info_check)
    names = (estimators,) if isinstance(estimators, str) else tuple(estimators)
    bad = [e for e in names if e not in ("cvx", "batch")]
    if bad or not names:
        raise ParameterError(f"estimators must be a non-empty sequence of 'cvx' and 'batch'; got {estimators!r}.")
    for name, value in (("batch_options", batch_options), ("discretizer_options", discretizer_options)):
        if value is not None and not isinstance(value, dict):
            raise ParameterError(f"{name} must be a dict of options; got {type(value).__name__}.")
    base = dict(discretizer_options or {})
    clash = sorted(set(base) & {"n_bins", "n_clusters", "random_state"})
    if clash:
        raise ParameterError(f"discretizer_options may not set {clash}: the codings compared choose them.")
    label_kind = base.pop("kind", {})
    if not isinstance(label_kind, dict):
        raise ParameterError("discretizer_options may set kind only for the label, as {'kind': {'y': 'categorical'}}.")
    check_keys("discretizer_options['kind']", label_kind, ("y",),
               hint="It sets the kind of the label only, as {'kind': {'y': 'categorical'}}.")
    seed = DEFAULT_SEED if random_state is None else random_state
    a1, a2, ay = as_samples(x1, "x1"), as_samples(x2, "x2"), as_samples(y, "y")
    n = check_same_length(x1=a1, x2=a2, y=ay)
    results: dict[str, PIDResult] = {}
    skipped: dict[str, str] = {}
    caught: dict[str, tuple[str, ...]] = {}
    seconds: dict[str, float] = {}

    def run(label: str, **kw: Any) -> None:
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always", PIDKitWarning)
            results[label] = estimate(a1, a2, ay, units=units, random_state=seed, ci=ci, info_check=info_check, **kw)
        seconds[label] = time.perf_counter() - start
        caught[label] = tuple(sorted({w.category.__name__ for w in got if issubclass(w.category, PIDKitWarning)}))

    if "cvx" in names:
        disc = Discretizer(kind=dict(label_kind), random_state=seed, **base)
        run("cvx (auto)", estimator="cvx", discretizer=disc, **options)
        for label, kind, states in _alternatives(disc):
            run(label, estimator="cvx", discretizer=Discretizer(kind={**kind, **label_kind}, n_clusters=states,
                                                               n_bins=states, random_state=seed, **base), **options)
    if "batch" in names:
        labels = Discretizer(kind=dict(label_kind), **base)
        why = _batch_skip(a1, a2, ay, n, labels)
        if why is None:
            try:
                run("batch", estimator="batch", discretizer=labels, **(batch_options or {}))
            except PIDKitError as err:
                skipped["batch"] = f"failed: {err}"
        else:
            skipped["batch"] = why
    if not results:
        raise ParameterError(f"no estimator could run on these data: {skipped}.")
    sparse = {k for k, w in caught.items() if "PlugInBiasWarning" in w}
    best, verdict = _verdict(results, sparse, units)
    return EstimatorComparison(results=results, skipped=skipped, best=best, verdict=verdict, units=units,
                               seconds=seconds, warnings=caught, time_s=time.perf_counter() - t0)


def _alternatives(disc) -> list[tuple[str, dict, dict]]:
    """Other codings of the modalities the Discretizer coded automatically: coarser, finer, other family."""
    sel = disc.selection_
    if sel is None:
        return []
    chosen = sel.chosen
    mods = sel.modalities
    out = []
    kinds = {m: disc.kinds_[m] for m in mods}
    for label, factor in (("fewer", 0.5), ("more", 2.0)):
        states = {m: max(2, int(round(chosen.states[m] * factor))) for m in mods}
        if states != chosen.states:
            desc = ", ".join(f"{m} {states[m]}" for m in mods)
            out.append((f"cvx ({label}: {desc})", kinds, states))
    for family in sorted({c.family for c in sel.candidates} - {chosen.family}):
        best = sel.best_of(family)
        out.append((f"cvx ({family} {', '.join(f'{m} {s}' for m, s in best.states.items())})",
                     dict.fromkeys(mods, family), dict(best.states)))
    return out


def _batch_skip(a1: np.ndarray, a2: np.ndarray, ay: np.ndarray, n: int, labels) -> str | None:
    if any(a.dtype.kind not in "biuf" for a in (a1, a2)):
        return "a modality is not numeric"
    if importlib.util.find_spec("torch") is None:
        return "PyTorch is not installed: pip install 'pidkit[torch]'"
    if n < MIN_BATCH_SAMPLES:
        return f"{n} samples, under {MIN_BATCH_SAMPLES}"
    codes, _ = labels.encode_labels(ay)
    counts = np.bincount(codes)
    need = min_class_size(0.2, 0.2)
    if np.any((counts > 0) & (counts < need)):
        return f"a class has fewer than the {need} samples its splits need"
    return None
