"""pidkit.plot: what each figure draws (bars, heights, colours, error bars, labels), rendered with Agg."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

import pidkit as pid  # noqa: E402
from pidkit.exceptions import ParameterError  # noqa: E402
from pidkit.plot import ATOM_COLORS, plot_bounds, plot_compare, plot_pid  # noqa: E402
from pidkit.synthetic import sample_gate  # noqa: E402

ATOMS = ("R", "U1", "U2", "S")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def and_result():
    return pid.estimate(*sample_gate("and", 2000, random_state=0), ci=0.95, random_state=0)


def bars(ax):
    return [p for p in ax.patches if isinstance(p, matplotlib.patches.Rectangle)]


def bar_container(ax):
    return next(c for c in ax.containers if isinstance(c, matplotlib.container.BarContainer))


def texts(ax):
    return [t.get_text() for t in ax.texts]


def atom_bars(ax):
    """The four atom bars (the range strips beside them are narrower)."""
    return [r for r in bars(ax) if r.get_width() > 0.3]


def interval_segments(ax):
    """(x, low, high) of every vertical segment drawn (the intervals, as computed)."""
    out = []
    for coll in ax.collections:
        for seg in coll.get_segments():
            if len(seg) == 2 and seg[0][0] == seg[1][0]:
                out.append((seg[0][0], min(seg[0][1], seg[1][1]), max(seg[0][1], seg[1][1])))
    return sorted(out)


def test_pid_bars_heights_colours_intervals_labels(and_result):
    ax = and_result.plot()
    rects = atom_bars(ax)
    assert [r.get_height() for r in rects] == pytest.approx([getattr(and_result, a) for a in ATOMS])
    assert [to_hex(r.get_facecolor()) for r in rects] == [ATOM_COLORS[a].lower() for a in ATOMS]
    segs = interval_segments(ax)  # one vertical line per bar: exactly the interval, low to high
    assert len(segs) == 4
    for (_, lo, hi), a in zip(segs, ATOMS, strict=True):
        assert (lo, hi) == pytest.approx(and_result.ci(a))
    assert ax.get_ylabel() == "information (bits)"
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "R\nredundancy", "U1\nonly X1", "U2\nonly X2", "S\nsynergy"]
    assert "0.821 bits" in ax.get_title() and "95% CI" in ax.get_title()
    assert f"{and_result.S:.3f}" in texts(ax)
    # the ranges the result's informations allow, as a strip right of each bar (lossless codes: no classifier)
    strips = [r for r in bars(ax) if r.get_width() < 0.1]
    assert len(strips) == 4
    lo, hi = and_result.info_check.ranges["S"]
    assert strips[3].get_y() == pytest.approx(lo) and strips[3].get_height() == pytest.approx(hi - lo)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["range its informations allow"]
    assert not any("excludes" in t for t in texts(ax))
    assert len(atom_bars(plot_pid(and_result, ranges=False))) == len(bars(plot_pid(and_result, ranges=False)))


def test_pid_shares_nats_and_stacked(and_result):
    ax = plot_pid(and_result, shares=True, intervals=False)
    assert sum(r.get_height() for r in atom_bars(ax)) == pytest.approx(1.0)
    assert ax.get_ylabel() == "share of the information" and interval_segments(ax) == []
    ax = plot_pid(and_result, units="nats", intervals=False)
    assert atom_bars(ax)[3].get_height() == pytest.approx(and_result.S * np.log(2))
    assert ax.get_ylabel() == "information (nats)"
    ax = plot_pid(and_result, kind="stacked")
    rects = bars(ax)
    assert [r.get_y() for r in rects] == pytest.approx(np.cumsum([0] + [getattr(and_result, a) for a in ATOMS[:3]]))
    assert [t.get_text() for t in ax.get_legend().get_texts()][3] == "synergy S"
    with pytest.raises(ParameterError, match="kind must be one of"):
        plot_pid(and_result, kind="pie")


def test_compare_groups_results_and_writes_alpha(and_result):
    xor = pid.estimate(*sample_gate("xor", 2000, random_state=1))
    ax = plot_compare({"and": and_result, "xor": xor, "model": {"R": 0.1, "U1": 0.0, "U2": 0.0, "S": 0.3}},
                      agreement={"model": 0.25})
    rects = bars(ax)
    assert len(rects) == 12
    assert [r.get_height() for r in rects[4:8]] == pytest.approx([getattr(xor, a) for a in ATOMS])
    assert [to_hex(r.get_facecolor()) for r in rects[8:]] == [ATOM_COLORS[a].lower() for a in ATOMS]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["and", "xor", "model"]
    assert "α = 0.250" in texts(ax)
    ax = plot_compare([and_result, xor], labels=["a", "b"], kind="stacked", shares=True)
    tops = [sum(r.get_height() for r in bars(ax)[i * 4:(i + 1) * 4]) for i in range(2)]
    assert tops == pytest.approx([1.0, 1.0]) and ax.get_ylabel() == "share of the information"
    with pytest.raises(ParameterError, match="results is empty"):
        plot_compare({})
    with pytest.raises(ParameterError, match="one label each"):
        plot_compare([xor], labels=["a", "b"])
    with pytest.raises(ParameterError, match="PIDResult or a dict of atoms"):
        plot_compare({"x": 3})


def test_bounds_two_panels():
    from pidkit.bounds import synergy_bounds

    p = np.random.default_rng(0).dirichlet(np.ones(18)).reshape(3, 3, 2)
    b = synergy_bounds(p.sum(1), p.sum(0), p.sum(2))
    left, right = b.plot()
    rects = bars(left)
    assert [r.get_height() for r in rects[:3]] == pytest.approx([b.R, b.U1, b.U2])
    s_bar = rects[3]
    assert s_bar.get_y() == pytest.approx(b.S_lower) and s_bar.get_height() == pytest.approx(b.S_upper - b.S_lower)
    assert left.get_ylabel() == "information (bits)" and right.get_ylabel() == "accuracy (fraction correct)"
    acc = bars(right)[0]
    assert acc.get_y() == pytest.approx(b.accuracy.lower)
    assert acc.get_y() + acc.get_height() == pytest.approx(b.accuracy.upper)
    legend = [t.get_text() for t in left.get_legend().get_texts()]
    assert any("S_R" in t for t in legend) and any("S_U" in t for t in legend)
    fig, single = plt.subplots()
    assert plot_bounds(b, single) is single and "Bayes accuracy in" in single.get_title()


def test_selection_two_panels():
    from pidkit.selection import load_catalog

    res = pid.PIDResult(0.2, 0.0, 0.0, 0.3, 0.5, 0.2, 0.2, "bits", "cvx", 2000, (4, 4, 2),
                        pid.Diagnostics(solver="test", status="optimal"))
    sel = pid.select_models(res, catalog=load_catalog())
    left, right = sel.plot(k=2)
    # one marker (with its expected range) per candidate, at (fit seconds, expected relative accuracy)
    points = [c for c in left.containers if hasattr(c, "lines")]
    assert len(points) == len(sel.ranking)
    for r, c in zip(sel.ranking, points, strict=True):
        x, yv = c.lines[0].get_data()
        assert x[0] == pytest.approx(r["cost"]["fit_seconds"])
        assert yv[0] == pytest.approx(r["expected_relative_accuracy"])
    colors = [to_hex(c.lines[0].get_color()) for c in points]
    rec = [r["model"] for r in sel.ranking].index(sel.recommended)
    assert colors[rec] == "#d55e00" and colors.count("#d55e00") == 1
    front = next(c for c in left.collections if c.get_label().startswith("Pareto front"))
    assert len(front.get_offsets()) == len(sel.pareto)
    assert left.get_xscale() == "log" and left.get_ylabel().startswith("expected accuracy")
    assert sel.recommended in left.get_title() and sel.recommended in texts(left)
    assert f"d = {sel.neighbors[0]['distance']:.2f}" in texts(right)
    stacked = bars(right)
    assert sum(r.get_width() for r in stacked[:4]) == pytest.approx(1.0, abs=1e-5)
    # references named by their profile in words, not by catalog ids; a cut axis says where it starts
    names = [t.get_text() for t in right.get_yticklabels()]
    assert "this dataset" in names and all("%" in n and "classes" in n for n in names if n != "this dataset")
    bottom = left.get_ylim()[0]
    assert bottom == 0 or f"axis starts at {bottom:.2f}" in texts(left)


def test_agreement_and_comparison_plots(and_result):
    model = pid.PIDResult(0.3, 0.0, 0.0, 0.2, 0.5, 0.3, 0.3, "bits", "cvx", 2000, (2, 2, 2),
                          pid.Diagnostics(solver="test", status="optimal"))
    ag = pid.agreement(and_result, model)
    ax = ag.plot()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["dataset", "model"]
    assert f"α = {ag.total:.3f}" in texts(ax) and "similarity" in ax.get_title()


def test_compare_legend_stays_inside_the_axes(and_result):
    xor = pid.estimate(*sample_gate("xor", 2000, random_state=1))
    ax = plot_compare([and_result, xor])
    fig = ax.figure
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    frame = ax.get_window_extent()
    assert legend.x0 >= frame.x0 - 1 and legend.x1 <= frame.x1 + 1 and legend.y1 <= frame.y1 + 1


def test_bounds_markers_near_zero_are_apart_and_unclipped():
    from pidkit.bounds import synergy_bounds

    p = np.full((2, 2, 2), 1 / 8)  # S_R = S_U = -1.6e-16 (zero up to rounding)
    left, _ = synergy_bounds(p.sum(1), p.sum(0), p.sum(2)).plot()
    markers = [line for line in left.get_lines() if line.get_marker() in (">", "<")]
    assert len(markers) == 2 and markers[0].get_xdata()[0] != markers[1].get_xdata()[0]
    assert not any(m.get_clip_on() for m in markers)
    shown = texts(left) + [t.get_text() for t in left.get_legend().get_texts()]
    assert not any("-0.000" in t for t in shown)
