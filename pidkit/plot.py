"""Pictures of decompositions, comparisons, semi-supervised bounds and model selections (matplotlib).

Every function takes ``ax=None`` (a new figure is made) and returns the Axes it drew on (an
array of two for the two-panel figures). Each atom has one colour in every figure
(:data:`ATOM_COLORS`, from the Okabe–Ito palette, distinguishable with colour-vision
deficiencies), and every axis names its units. matplotlib is imported when a function runs.

================================  ==========================================================
function                          draws
================================  ==========================================================
:func:`plot_pid`                  one decomposition: bars per atom or one stacked bar, bits or
                                  shares, error bars from ``result.uncertainty``
:func:`plot_compare`              several decompositions side by side (datasets, estimators,
                                  a dataset and its models), with agreement α if given
:func:`plot_bounds`               semi-supervised bounds: exact R, U1, U2, the interval of S,
                                  and the interval of the Bayes accuracy
:func:`plot_selection`            a model selection: expected accuracies with their spread,
                                  and the nearest reference datasets with their distances
================================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .exceptions import ParameterError
from .result import ATOMS, PIDResult, fmt

__all__ = ["ATOM_COLORS", "ORDER_COLORS", "plot_pid", "plot_compare", "plot_bounds", "plot_selection", "plot_lattice",
           "plot_lattice_measures"]

#: One colour per atom in every figure (Okabe–Ito: blue, bluish green, orange, reddish purple).
ATOM_COLORS = {"R": "#0072B2", "U1": "#009E73", "U2": "#E69F00", "S": "#CC79A7"}
ATOM_LABELS = {"R": "redundancy R", "U1": "unique U1", "U2": "unique U2", "S": "synergy S"}
#: Two-line tick labels for a bar per atom (narrow panels stay legible).
TICK_LABELS = {"R": "R\nredundancy", "U1": "U1\nonly X1", "U2": "U2\nonly X2", "S": "S\nsynergy"}


def _axes(ax: Any, ncols: int = 1, width: float = 5.0, ratios: Sequence[float] | None = None):
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax
    fig, axes = plt.subplots(1, ncols, figsize=(width, 3.6), width_ratios=ratios, layout="constrained")
    return axes


def _check_choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ParameterError(f"{name} must be one of {list(allowed)}; got {value!r}.")
    return value


def _values(res: Any, shares: bool, units: str | None) -> tuple[dict, dict | None, str]:
    """Atoms (and intervals) of a PIDResult or an atom dict, as bits/nats or shares of their sum."""
    if isinstance(res, PIDResult):
        if units is not None:
            res = res.with_units(units)
        vals = res.atoms
        cis = {a: res.uncertainty.intervals[a] for a in ATOMS} if res.uncertainty and res.uncertainty.intervals \
            else None
        unit = res.units
    elif isinstance(res, Mapping) and all(a in res for a in ATOMS):
        vals, cis, unit = {a: float(res[a]) for a in ATOMS}, None, units or "bits"
    else:
        raise ParameterError(f"expected a PIDResult or a dict of atoms {list(ATOMS)}; got {type(res).__name__}.")
    if shares:
        total = sum(max(v, 0.0) for v in vals.values())
        scale = 1.0 / total if total > 0 else 0.0
        vals = {a: v * scale for a, v in vals.items()}
        cis = None if cis is None else {a: (lo * scale, hi * scale) for a, (lo, hi) in cis.items()}
    return vals, cis, unit


def _draw_interval(ax: Any, x: float, interval: tuple[float, float], estimate: float, *, cap: float) -> bool:
    """An interval as computed: a vertical line from low to high, with caps. True if it excludes ``estimate``."""
    lo, hi = interval
    ax.vlines(x, lo, hi, color="#333333", linewidth=1.2, zorder=3)
    ax.hlines([lo, hi], x - cap, x + cap, color="#333333", linewidth=1.2, zorder=3)
    return not lo - 1e-12 <= estimate <= hi + 1e-12


def _draw_ranges(ax: Any, x: float, check: Any, atom: str) -> tuple[float, float]:
    """Strips right of bar ``x``: the atom's range from the result's informations and from the classifiers."""
    tops = []
    for dx, rng, style, label in ((0.36, check.ranges, {"color": "#BBBBBB"}, "range its informations allow"),
                                  (0.44, check.reference_ranges, {"color": "#333333", "fill": False},
                                   "range the best informations found allow")):
        if atom not in rng:
            continue
        lo, hi = rng[atom]
        height = max(hi - lo, 0.0)
        rect = ax.bar([x + dx], [height], bottom=lo, width=0.06, linewidth=0.8, edgecolor="#333333",
                      label=label if atom == "R" else None, **style)
        if height <= 1e-9:  # a point: a tick
            rect[0].set_height(0.0)
            ax.hlines([lo], x + dx - 0.05, x + dx + 0.05, color=style["color"] if "fill" not in style else "#333333",
                      linewidth=1.5)
        tops.append(hi)
    return tuple(tops) or (0.0,)


def _ylabel(shares: bool, unit: str) -> str:
    return "share of the information" if shares else f"information ({unit})"


def plot_pid(
    result: PIDResult,
    ax: Any = None,
    *,
    kind: str = "bars",
    shares: bool = False,
    intervals: bool = True,
    ranges: bool = True,
    units: str | None = None,
    title: str | None = None,
):
    """One decomposition: a bar per atom (``kind="bars"``) or one stacked bar (``"stacked"``).

    Heights are in the result's units (or ``units``), or shares of the atoms' sum with
    ``shares=True``. With ``intervals`` and a result carrying confidence intervals, each bar gets
    its interval exactly as computed — also when a bias-corrected interval excludes the estimate
    (then marked ``*``). With ``ranges`` and a result carrying an information check
    (``result.info_check``), two strips right of each bar show where the atom must lie given the
    result's own informations (grey) and given the best informations found — for each, the larger
    of the estimate's and held-out classifiers' (outlined). The title gives I(X1,X2;Y) and the
    estimator.
    """
    _check_choice("kind", kind, ("bars", "stacked"))
    ax = _axes(ax, width=4.6 if kind == "bars" else 3.8)
    vals, cis, unit = _values(result, shares, units)
    if kind == "bars":
        x = np.arange(len(ATOMS))
        heights = [vals[a] for a in ATOMS]
        ax.bar(x, heights, color=[ATOM_COLORS[a] for a in ATOMS], width=0.6, label=None)
        tops = list(heights)  # the top of each bar and its interval: where its value is written
        excluded = []
        if intervals and cis is not None:
            for xi, a in zip(x, ATOMS, strict=True):
                if _draw_interval(ax, xi, cis[a], vals[a], cap=0.12):
                    excluded.append(a)
                tops[xi] = max(tops[xi], cis[a][1])
        highest = max(tops)
        check = getattr(result, "info_check", None) if isinstance(result, PIDResult) and ranges and not shares else None
        if check is not None:
            scaled = result.with_units(unit).info_check
            highest = max(highest, *(max(_draw_ranges(ax, xi, scaled, a)) for xi, a in zip(x, ATOMS, strict=True)))
        ax.set_xticks(x, [TICK_LABELS[a] for a in ATOMS], rotation=0, fontsize=8)
        for xi, a, h in zip(x, ATOMS, heights, strict=True):  # the value above its bar and interval
            lift = 6 if intervals and cis is not None else 3  # clear of the interval's cap
            ax.annotate(fmt(h, ".3f").strip() + (" *" if a in excluded else ""), (xi, max(tops[xi], 0.0)),
                        xytext=(0, lift), textcoords="offset points", ha="center", fontsize=7)
        if excluded:
            ax.annotate("* interval drawn as computed: it excludes the estimate (bias-corrected)", (0.0, -0.2),
                        xycoords="axes fraction", va="top", fontsize=6.5, color="#333333")
        if check is not None:
            ax.legend(fontsize=6.5, frameon=False, loc="best")
        lowest = min(0.0, *(cis[a][0] for a in ATOMS)) if intervals and cis is not None else min(0.0, *heights)
        ax.set_ylim(bottom=lowest * 1.1 if lowest < 0 else None, top=(highest * 1.25) or 1.0)
    else:
        bottom = 0.0
        for a in ATOMS:
            v = max(vals[a], 0.0)
            ax.bar([0], [v], bottom=bottom, color=ATOM_COLORS[a], width=0.6, label=ATOM_LABELS[a])
            bottom += v
        ax.set_xticks([0], ["I(X1,X2;Y)"])
        ax.set_xlim(-0.6, 0.6)
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    ax.set_ylabel(_ylabel(shares, unit))
    ax.axhline(0.0, color="#555555", linewidth=0.6)
    if title is None and isinstance(result, PIDResult):
        total = result.with_units(unit).total
        extra = f", {result.uncertainty.level:.0%} CI" if intervals and cis is not None and kind == "bars" else ""
        title = f"I(X1,X2;Y) = {total:.3f} {unit}" + ("\n" if kind == "stacked" else " ") + \
            f"({result.estimator}{extra})"
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def plot_compare(
    results: Mapping[str, Any] | Sequence[Any],
    ax: Any = None,
    *,
    labels: Sequence[str] | None = None,
    kind: str = "grouped",
    shares: bool = False,
    intervals: bool = True,
    units: str | None = None,
    agreement: Mapping[str, Any] | None = None,
    title: str | None = None,
):
    """Several decompositions side by side: datasets, estimators, or a dataset and its models.

    ``results`` maps labels to :class:`~pidkit.PIDResult` s (or dicts of atoms), or is a sequence
    with ``labels``. ``kind="grouped"``: for each result four bars, one per atom (intervals as
    computed when the result has them, ``*`` where one excludes its estimate); ``"stacked"``: one
    stacked bar per result. ``agreement`` maps labels to :class:`~pidkit.Agreement` s (or numbers)
    whose total α is written above those results.
    """
    _check_choice("kind", kind, ("grouped", "stacked"))
    if isinstance(results, Mapping):
        items = list(results.items())
    else:
        seq = list(results)
        names = list(labels) if labels is not None else [f"#{i + 1}" for i in range(len(seq))]
        if len(names) != len(seq):
            raise ParameterError(f"labels has {len(names)} entries for {len(seq)} results; pass one label each.")
        items = list(zip(names, seq, strict=True))
    if not items:
        raise ParameterError("results is empty; pass at least one decomposition.")
    ax = _axes(ax, width=max(4.0, 1.3 * len(items) + 1.5))
    unit = units
    tops = []
    excluded = False
    width = 0.8 / len(ATOMS)
    for i, (_, res) in enumerate(items):
        vals, cis, unit = _values(res, shares, unit)
        if kind == "grouped":
            for j, a in enumerate(ATOMS):
                xj = i - 0.4 + width * (j + 0.5)
                ax.bar(xj, vals[a], width=width, color=ATOM_COLORS[a], label=ATOM_LABELS[a] if i == 0 else None)
                if intervals and cis is not None and _draw_interval(ax, xj, cis[a], vals[a], cap=width / 4):
                    ax.annotate("*", (xj, cis[a][1]), xytext=(0, 1), textcoords="offset points", ha="center",
                                fontsize=7)
                    excluded = True
            tops.append(max(max(vals.values()), max((hi for _, hi in cis.values()), default=0) if cis and intervals
                            else 0))
        else:
            bottom = 0.0
            for a in ATOMS:
                v = max(vals[a], 0.0)
                ax.bar(i, v, bottom=bottom, width=0.6, color=ATOM_COLORS[a], label=ATOM_LABELS[a] if i == 0 else None)
                bottom += v
            tops.append(bottom)
    ax.set_xticks(np.arange(len(items)), [name for name, _ in items], fontsize=8)
    ax.set_ylabel(_ylabel(shares, unit or "bits"))
    ax.axhline(0.0, color="#555555", linewidth=0.6)
    if agreement:
        for i, (name, _) in enumerate(items):
            if name in agreement:
                ag = agreement[name]
                alpha = getattr(ag, "total", ag)
                ax.annotate(f"α = {float(alpha):.3f}", (i, tops[i]), xytext=(0, 6), textcoords="offset points",
                            ha="center", fontsize=8)
    # a narrow axes (few results) takes the legend in two rows, with the headroom for them
    rows = 1 if len(items) >= 4 else 2
    ax.set_ylim(top=max(tops) * (1.18 if rows == 1 else 1.35) if max(tops) > 0 else 1.0)
    ax.legend(fontsize=7, ncols=len(ATOMS) // rows, loc="upper left", frameon=False)
    if excluded:
        ax.annotate("* interval drawn as computed: it excludes the estimate", (0.99, 0.01), xycoords="axes fraction",
                    ha="right", va="bottom", fontsize=6.5, color="#333333")
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def plot_bounds(bounds: Any, ax: Any = None, *, title: str | None = None):
    """Semi-supervised bounds (:class:`~pidkit.bounds.SynergyBounds`) in two panels.

    Left: the exact R, U1, U2 as bars and synergy as its interval [S_lower, S_upper] (a bar
    spanning it, with S_R and S_U marked). Right: the interval of the Bayes-optimal accuracy, with
    chance (always the most likely label). Pass ``ax`` as two Axes, or one Axes for the left panel
    alone (the accuracy interval then goes into its title).
    """
    two = ax is None or (isinstance(ax, (Sequence, np.ndarray)) and len(ax) == 2)
    axes = _axes(ax, ncols=2, width=6.0, ratios=(3, 1)) if two else ax
    left = axes[0] if two else axes
    u = bounds.units
    x = np.arange(len(ATOMS))
    for i, a in enumerate(("R", "U1", "U2")):
        left.bar(i, getattr(bounds, a), color=ATOM_COLORS[a], width=0.6)
        left.annotate(fmt(getattr(bounds, a), ".3f").strip(), (i, getattr(bounds, a)), xytext=(0, 3),
                      textcoords="offset points", ha="center", fontsize=7)
    lo, hi = bounds.S_lower, bounds.S_upper
    left.bar(3, hi - lo, bottom=lo, color=ATOM_COLORS["S"], alpha=0.45, width=0.6, hatch="//",
             edgecolor=ATOM_COLORS["S"], label="S in [S_lower, S_upper]")
    left.hlines([lo, hi], 2.7, 3.3, color=ATOM_COLORS["S"], linewidth=2)
    # side by side when they nearly coincide (otherwise one hides the other), never clipped at the axis
    close = abs(bounds.S_R - bounds.S_U) < 0.03 * max(hi, 1e-12)
    for name, val, marker, xm in (("S_R", bounds.S_R, ">", 3.38), ("S_U", bounds.S_U, "<", 3.52 if close else 3.38)):
        left.plot([xm], [val], marker=marker, color="#333333", linestyle="none", clip_on=False, zorder=5,
                  label=f"lower bound {name} = {fmt(val, '.3f').strip()}")
    interval = f"[{fmt(lo, '.3f').strip()}, {fmt(hi, '.3f').strip()}]"
    left.annotate(interval, (3, hi), xytext=(0, 3), textcoords="offset points", ha="center", fontsize=7)
    left.set_xticks(x, [TICK_LABELS[a] for a in ATOMS], fontsize=8)
    left.set_xlim(-0.6, 3.75)
    left.set_ylabel(f"information ({u})")
    left.axhline(0.0, color="#555555", linewidth=0.6)
    peak = max(bounds.R, bounds.U1, bounds.U2, hi)
    left.set_ylim(min(0.0, bounds.S_R, bounds.S_U) * 1.1, peak * 1.45 if peak > 0 else 1.0)
    left.legend(fontsize=7, frameon=False, loc="upper right")
    acc = bounds.accuracy
    if two:
        right = axes[1]
        right.bar([0], [acc.upper - acc.lower], bottom=acc.lower, color="#777777", alpha=0.5, width=0.5)
        right.hlines([acc.lower, acc.upper], -0.25, 0.25, color="#333333", linewidth=2)
        right.axhline(acc.chance, color="#333333", linestyle=":", linewidth=1)
        right.annotate("chance", (0.3, acc.chance), fontsize=7, va="bottom")
        right.set_ylim(0.0, 1.12)
        right.set_xlim(-0.6, 0.9)
        right.set_xticks([0], ["Bayes accuracy"], fontsize=8)
        right.set_ylabel("accuracy (fraction correct)")
        right.annotate(f"[{acc.lower:.2f}, {acc.upper:.2f}]", (0, acc.upper), xytext=(0, 3),
                       textcoords="offset points", ha="center", fontsize=7)
    left.set_title(title or ("synergy bounded from unpaired labels + unlabeled pairs" if two else
                             f"Bayes accuracy in [{acc.lower:.2f}, {acc.upper:.2f}]"), fontsize=9)
    return axes


def _reference_words(ref: Mapping[str, Any]) -> str:
    """A catalog reference named by what it is — its profile, classes and samples — not by its id."""
    prof = ref.get("profile", {})
    parts = [f"{a} {prof[a]:.0%}" for a in sorted(prof, key=lambda a: -prof[a]) if prof[a] >= 0.05]
    about = [f"{ref['n_classes']} classes" if ref.get("n_classes") else "",
             f"{ref['n_train']:,} samples" if ref.get("n_train") else ""]
    return " · ".join(parts) + ("\n" + ", ".join(a for a in about if a) if any(about) else "")


def plot_selection(selection: Any, ax: Any = None, *, k: int = 3, title: str | None = None):
    """A model selection (:class:`~pidkit.ModelSelection`) in two panels.

    Left: the decision — every candidate's expected accuracy relative to the best against its fit
    time on the reference machine (log scale), with its expected range as an error bar; markers say
    what it needs (square: one modality; triangle: both, no paired training; circle: a joint model
    trained on paired samples); the Pareto front (cost ordered by modalities, then paired training,
    then fit time) is ringed with a dashed circle, the band below the best is the tolerance, and the
    recommended candidate is ringed in orange. Right: the dataset's normalized profile and
    those of the nearest reference datasets as stacked bars, each labelled with its distance.
    ``k`` names the ``k`` best candidates besides the recommended one.
    """
    two = ax is None or (isinstance(ax, (Sequence, np.ndarray)) and len(ax) == 2)
    axes = _axes(ax, ncols=2, width=9.0, ratios=(1.2, 1)) if two else ax
    left = axes[0] if two else axes
    ranking = selection.ranking
    fits = [r["cost"]["fit_seconds"] for r in ranking]
    known = [f for f in fits if f is not None]
    fallback = min(known) / 2 if known else 1.0
    xs = np.array([f if f is not None else fallback for f in fits], dtype=float)
    ys = np.array([r["expected_relative_accuracy"] for r in ranking])
    lo = np.array([r["expected_range"][0] for r in ranking])
    hi = np.array([r["expected_range"][1] for r in ranking])
    best = float(ys.max())
    left.axhspan(best - selection.tolerance, best, color="#E0E0E0", zorder=0,
                 label=f"within tolerance ({100 * selection.tolerance:.3g}%)")
    markers = {(1, False): ("s", "one modality"), (2, False): ("^", "both, no paired training"),
               (2, True): ("o", "joint (paired training)"), (1, True): ("s", "one modality")}
    shown = set()
    for r, x, yv, a, b in zip(ranking, xs, ys, lo, hi, strict=True):
        key = (r["cost"]["modalities"], bool(r["cost"]["paired_training"]))
        mk, lab = markers[key]
        color = "#D55E00" if r["model"] == selection.recommended else "#0072B2"
        left.errorbar([x], [yv], yerr=[[yv - a], [b - yv]], fmt=mk, color=color, ms=6, capsize=2, elinewidth=0.8,
                      label=None if lab in shown else lab, zorder=3)
        shown.add(lab)
    # name the recommended candidate, the best and the front; the others stay unlabelled (they crowd the top band)
    named = [m for m in dict.fromkeys([selection.recommended, *selection.top(min(k, 1)), *selection.pareto])]
    for j, m in enumerate(named):
        i = next(i for i, r in enumerate(ranking) if r["model"] == m)
        left.annotate(m, (xs[i], ys[i]), xytext=(5, 4 if j % 2 == 0 else -10), textcoords="offset points",
                      fontsize=7)
    # the front is ordered by cost in kind (modalities, paired training) before fit time, so it is marked, not
    # drawn as a line along the fit-time axis
    front = [next(i for i, r in enumerate(ranking) if r["model"] == m) for m in selection.pareto]
    left.scatter(xs[front], ys[front], s=90, facecolors="none", edgecolors="#333333", linewidths=0.9,
                 linestyle="--", zorder=2, label="Pareto front (cost: modalities, paired training, fit time)")
    i_rec = next(i for i, r in enumerate(ranking) if r["model"] == selection.recommended)
    left.scatter([xs[i_rec]], [ys[i_rec]], s=160, facecolors="none", edgecolors="#D55E00", linewidths=1.5, zorder=4)
    left.set_xscale("log")
    from matplotlib.ticker import NullFormatter

    left.xaxis.set_minor_formatter(NullFormatter())  # minor labels of a short log axis overlap
    lo_x, hi_x = float(xs.min()) / 1.3, float(xs.max()) * 1.3
    ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100) if lo_x <= t <= hi_x]
    left.set_xlim(lo_x, hi_x)
    left.set_xticks(ticks, [f"{t:g}" for t in ticks])
    bottom = max(0.0, float(lo.min()) - 0.03)
    left.set_ylim(bottom, min(1.1, float(hi.max()) + 0.03))
    if bottom > 0:  # a broken axis, said so: the differences are not to scale from zero
        for dy in (0.0, 0.02):
            left.plot([-0.015, 0.015], [dy - 0.01, dy + 0.01], transform=left.transAxes, color="#333333",
                      linewidth=0.9, clip_on=False)
        left.annotate(f"axis starts at {bottom:.2f}", (0.02, 0.035), xycoords="axes fraction", fontsize=6,
                      color="#333333")
    left.set_xlabel("fit time on the reference machine (s, log scale)")
    left.set_ylabel("expected accuracy / best candidate's")
    left.set_title(title or f"recommended: {selection.recommended}", fontsize=9)
    left.legend(fontsize=6, loc="lower right", frameon=False)
    if two:
        right = axes[1]
        rows = [("this dataset", selection.profile, None)] + [
            (_reference_words(n), n["profile"], n["distance"]) for n in selection.neighbors
        ]
        for i, (_, prof, dist) in enumerate(rows[::-1]):
            left_edge = 0.0
            for a in ATOMS:
                right.barh(i, prof[a], left=left_edge, color=ATOM_COLORS[a], height=0.6,
                           label=ATOM_LABELS[a] if i == 0 else None)
                left_edge += prof[a]
            right.annotate("" if dist is None else f"d = {dist:.2f}", (1.01, i), fontsize=7, va="center")
        right.set_yticks(np.arange(len(rows)), [r[0] for r in rows[::-1]], fontsize=7)
        right.set_xlim(0.0, 1.18)
        right.set_xlabel("share of the information (normalized PID)")
        right.set_title(f"nearest references ({selection.distance} distance)", fontsize=9)
        right.legend(fontsize=6, ncols=2, loc="lower right", frameon=False, bbox_to_anchor=(1.0, 1.08))
    return axes


#: Colors of lattice atoms by order (1: from single sources, 2: pairs together, ...).
ORDER_COLORS = ("#0072B2", "#E69F00", "#CC79A7", "#009E73", "#555555")


def plot_lattice(result: Any, ax: Any = None, *, kind: str = "atoms", units: str | None = None,
                 title: str | None = None):
    """A lattice decomposition of three or more sources (:class:`~pidkit.measures.LatticePIDResult`).

    ``kind="atoms"``: one bar per atom, colored by order (the fewest sources that must be seen
    together); atoms below ``1e-9`` of the total are left out of 4-source charts. ``"order"``: the sum
    of each order. ``"lattice"``: the Hasse diagram (3 sources) with each node's atom written in it,
    shaded by its share.
    """
    from .measures import lattice as _lattice

    _check_choice("kind", kind, ("atoms", "order", "lattice"))
    res = result if units is None else result.with_units(units)
    if kind == "order":
        orders = res.by_order()
        ax = _axes(ax, width=max(3.5, 0.9 * len(orders) + 1.5))
        ax.bar(list(orders), list(orders.values()), color=[ORDER_COLORS[k - 1] for k in orders], width=0.6)
        ax.set_xticks(list(orders), [f"order {k}" for k in orders])
        ax.set_ylabel(f"information ({res.units})")
    elif kind == "atoms":
        items = list(res.atoms.items())
        if res.n_sources > 3:
            keep = max(abs(res.total), 1e-300) * 1e-9
            items = [(k, v) for k, v in items if abs(v) > keep]
        ax = _axes(ax, width=min(16.0, max(5.0, 0.32 * len(items) + 1.5)))
        xs = np.arange(len(items))
        ax.bar(xs, [v for _, v in items], color=[ORDER_COLORS[res.order_of(k) - 1] for k, _ in items], width=0.7)
        ax.set_xticks(xs, [k for k, _ in items], rotation=90, fontsize=7)
        ax.set_ylabel(f"information ({res.units})")
        if len(items) < len(res.atoms):
            ax.set_xlabel(f"{len(items)} of {len(res.atoms)} atoms shown (the others are 0 within 1e-9 of the total)",
                          fontsize=8)
        from matplotlib.patches import Patch

        ax.legend(handles=[Patch(color=ORDER_COLORS[k - 1], label=f"order {k}") for k in range(1, res.n_sources + 1)],
                  fontsize=7, frameon=False)
    else:
        if res.n_sources != 3:
            raise ParameterError(f"kind='lattice' draws the 3-source lattice (18 nodes); this result has "
                                 f"{res.n_sources} sources. Use kind='atoms' or 'order'.")
        lat = _lattice(3)
        rank = lat.below.sum(axis=1)
        levels: dict[int, list[int]] = {}
        # layer = length of the longest chain below the node
        depth = np.zeros(lat.size, dtype=int)
        for i in range(lat.size):
            lower = np.flatnonzero(lat.below[i])
            lower = lower[lower != i]
            depth[i] = 1 + depth[lower].max() if lower.size else 0
        for i in np.argsort(rank, kind="stable"):
            levels.setdefault(int(depth[i]), []).append(int(i))
        strict = lat.below & ~np.eye(lat.size, dtype=bool)
        # covers[i]: the nodes directly below i (nothing in between)
        covers = {i: [int(j) for j in np.flatnonzero(strict[i]) if not (strict[i] & strict[:, j]).any()]
                  for i in range(lat.size)}
        pos: dict[int, tuple[float, float]] = {}
        for d in sorted(levels):  # bottom up, each layer ordered by where the nodes it covers sit (fewer crossings)
            nodes = sorted(levels[d], key=lambda i: (np.mean([pos[j][0] for j in covers[i]]) if covers[i] else 0.0, i))
            for j, i in enumerate(nodes):
                pos[i] = (j - (len(nodes) - 1) / 2, 1.3 * d)
        if ax is None:
            import matplotlib.pyplot as plt

            ax = plt.subplots(figsize=(7.5, 5.2), layout="constrained")[1]
        for i, below in covers.items():
            for j in below:
                ax.plot(*zip(pos[i], pos[j], strict=True), color="#BBBBBB", linewidth=0.8, zorder=1)
        vmax = max(abs(v) for v in res.atoms.values()) or 1.0
        for i, name in enumerate(lat.names):
            v = res.atoms[name]
            color = ORDER_COLORS[0] if v >= 0 else "#D55E00"
            ax.scatter(*pos[i], s=1100, color=color, alpha=0.15 + 0.85 * abs(v) / vmax, zorder=2, edgecolors="#333333")
            ax.annotate(f"{name}\n{v:.3f}".replace("-0.000", "0.000"), pos[i], ha="center", va="center", fontsize=6.5,
                        zorder=3, color="white" if abs(v) / vmax > 0.6 else "black")
        ax.set_axis_off()
        ax.margins(0.08)
    if kind != "lattice":
        ax.axhline(0.0, color="#555555", linewidth=0.6)
    ax.set_title(title or f"{res.measure} PID of {res.n_sources} sources (total {res.total:.3f} {res.units})",
                 fontsize=9)
    return ax


def plot_lattice_measures(comparison: Any, ax: Any = None, *, title: str | None = None):
    """Lattice measures side by side (:meth:`pidkit.measures.compare.MeasureComparison.plot` of 3+ sources):
    the atoms on which they differ by more than 1e-9 of the total, one bar per measure."""
    results = comparison.results
    first = next(iter(results.values()))
    spread = comparison.spread()
    keep = [a for a in first.atoms if spread[a] > 1e-9 * max(abs(first.total), 1e-300)] or list(first.atoms)[-1:]
    ax = _axes(ax, width=min(16.0, max(5.0, 0.5 * len(keep) * len(results) / 2 + 2)))
    width = 0.8 / len(results)
    palette = ("#0072B2", "#E69F00", "#CC79A7", "#009E73")
    for j, (m, r) in enumerate(results.items()):
        xs = np.arange(len(keep)) - 0.4 + width * (j + 0.5)
        ax.bar(xs, [r.atoms[a] for a in keep], width=width, color=palette[j % len(palette)], label=m)
    ax.set_xticks(np.arange(len(keep)), keep, rotation=90, fontsize=7)
    ax.axhline(0.0, color="#555555", linewidth=0.6)
    ax.set_ylabel(f"information ({first.units})")
    ax.legend(fontsize=7, frameon=False)
    shown = f"{len(keep)} of {len(first.atoms)} atoms, those the measures split differently"
    ax.set_title(title or f"{first.n_sources}-source PID by measure ({shown})", fontsize=9)
    return ax
