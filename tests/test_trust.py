"""Numbers that can be trusted on real data (issue 20): content-based coding rules, information kept,
estimator-free ranges, the automatic choice, intervals shown as computed, compare_estimators."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris, load_wine

import pidkit as pid
from pidkit.coders import ClusteredCoder, SupervisedCoder
from pidkit.exceptions import (
    ContinuousLabelError,
    InformationLossWarning,
    OutOfRangeWarning,
    ParameterError,
    PlugInBiasWarning,
)
from pidkit.heldout import CrossFit, classifier_information, codes_information, stratified_folds
from pidkit.result import InformationCheck, Uncertainty
from pidkit.trust import information_ranges


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    return X[:, :7], X[:, 7:], y


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlugInBiasWarning)
        return fn(*args, **kwargs)


# ------------------------------------------------------------------------------------ the same data, the same answer
def test_int64_float64_pandas_and_lists_give_identical_results(wine):
    x1, x2, y = wine
    rng = np.random.default_rng(0)
    # integer-valued features (like pixels read from a CSV): the same numbers as int64 and float64
    i1 = np.round(x1 * 10).astype(np.int64)
    i2 = rng.integers(0, 40, size=(y.size, 3))
    base = pid.estimate(i1, i2, y)
    assert base == pid.estimate(i1.astype(np.float64), i2.astype(np.float64), y.astype(np.float64))
    pd = pytest.importorskip("pandas")
    assert base == pid.estimate(pd.DataFrame(i1), pd.DataFrame(i2.astype(float)), pd.Series(y))
    assert base == pid.estimate(i1.tolist(), i2.tolist(), y.tolist())


def test_units_do_not_change_the_answer(wine):
    """Raw vs z-scored vs one feature in other units: the same codes, so the same atoms."""
    x1, x2, y = wine
    raw = pid.estimate(x1, x2, y)
    z = pid.estimate((x1 - x1.mean(0)) / x1.std(0), (x2 - x2.mean(0)) / x2.std(0), y)
    scaled = x1.copy()
    scaled[:, 0] *= 1000.0  # one column in milli-units
    milli = pid.estimate(scaled, x2, y)
    for other in (z, milli):
        assert max(abs(getattr(raw, a) - getattr(other, a)) for a in ("R", "U1", "U2", "S")) < 1e-6


def test_clustered_codes_are_scale_free_and_standardize_can_be_turned_off(wine):
    x1 = wine[0]
    a = ClusteredCoder(n_clusters=4, random_state=0).fit_transform(x1)
    b = ClusteredCoder(n_clusters=4, random_state=0).fit_transform(x1 * [1, 1000, 1, 1, 0.01, 1, 1])
    assert np.array_equal(a, b)
    raw = ClusteredCoder(n_clusters=4, standardize=False, random_state=0)
    raw.fit(x1)
    assert np.all(raw.mean_ == 0) and np.all(raw.scale_ == 1)
    with pytest.raises(ParameterError, match="standardize"):
        ClusteredCoder(standardize="yes").fit(x1)


def test_one_rule_for_one_dimensional_numbers():
    """iris: 35 and 22 distinct floats are coded alike (binned), and an integer copy is coded like the floats."""
    X, y = load_iris(return_X_y=True)
    disc = pid.Discretizer(random_state=0)
    disc.fit(X[:, 0], X[:, 3], y)
    assert disc.kinds_["x1"] == disc.kinds_["x2"] == "binned"
    ints = pid.Discretizer(random_state=0)
    ints.fit(np.round(X[:, 0] * 10).astype(int), np.round(X[:, 3] * 10).astype(int), y)
    assert ints.kinds_ == disc.kinds_ and ints.n_states_ == disc.n_states_
    # few distinct numbers are categories (lossless), whatever the dtype
    few = pid.Discretizer().fit(np.arange(150) % 3, (np.arange(150) % 4).astype(float), y)
    assert few.kinds_["x1"] == few.kinds_["x2"] == "categorical"


# ------------------------------------------------------------------------------------ the label
def test_many_valued_integer_label_is_refused_and_can_be_declared():
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=300), rng.integers(0, 3, 300)
    y = rng.integers(25, 346, 300)  # like a regression target (diabetes: 214 integer values)
    with pytest.raises(ContinuousLabelError, match=r"y_bins=.*kind=\{'y': 'categorical'\}"):
        pid.estimate(x1, x2, y)
    res = _quiet(pid.estimate, x1, x2, y, discretizer=pid.Discretizer(y_bins=4))
    assert res.shape[2] == 4
    declared = _quiet(pid.estimate, x1, x2, y, discretizer=pid.Discretizer(kind={"y": "categorical"}),
                      info_check=False)
    assert declared.shape[2] == np.unique(y).size
    with pytest.raises(ParameterError, match="pass one of the two"):
        pid.Discretizer(kind={"y": "categorical"}, y_bins=3).fit(x1, x2, y)
    with pytest.raises(ParameterError, match="kind for y"):
        pid.Discretizer(kind={"y": "binned"}).fit(x1, x2, y)
    # a label with few numeric values is still categorical
    assert pid.Discretizer().fit(x1, x2, y % 5).kinds_["y"] == "categorical"


# ------------------------------------------------------------------------------------ the supervised coding
def test_supervised_coder_keeps_the_label_information(wine):
    x1, _, y = wine
    coder = SupervisedCoder(n_states=3, random_state=0, name="x1")
    codes = coder.fit_transform(x1, y)
    assert coder.n_states_ == 3 and codes.shape == y.shape
    table = pid.discretize.joint_counts(codes, np.zeros_like(codes), y, (3, 1, 3))
    info = pid.info.mutual_information(table / table.sum(), 0, 2)
    bound = classifier_information(x1, x1, y, random_state=0).I1
    assert info > 0.9 * bound > 1.2  # of H(Y) = 1.567 bits: three posterior cells keep most of what a classifier finds
    # new data are coded with the model fitted on every fit sample (cross-fitted codes may differ on a few)
    assert np.mean(coder.transform(x1) == codes) > 0.9
    with pytest.raises(ParameterError, match=r"call fit\(x1, y\)"):
        SupervisedCoder(name="x1").fit(x1)
    with pytest.raises(ParameterError, match="needs the label"):
        pid.Discretizer(kind="supervised").fit_one("x1", x1)


def test_posterior_codes_keep_what_clusters_lose(wine):
    """Wine: the automatic codes are posterior cells that keep >= 85% of every information."""
    x1, x2, y = wine
    res = pid.estimate(x1, x2, y)
    assert res.estimator == "cvx"
    assert res.diagnostics.discretization["kinds"] == {"x1": "supervised", "x2": "supervised", "y": "categorical"}
    assert min(res.info_check.kept.values()) >= 0.85
    assert not res.info_check.outside
    assert any(n.startswith("codes: x1") for n in res.diagnostics.notes)
    assert res.diagnostics.notes[0].startswith("estimator='auto' chose 'cvx'")


def test_synergy_needs_clusters_not_posteriors():
    """An XOR of two clustered factors: posteriors of each modality are flat, so the clusters win."""
    rng = np.random.default_rng(0)
    n = 2000
    a1, a2 = rng.integers(0, 2, n), rng.integers(0, 2, n)
    x1 = np.c_[a1 * 4.0, np.zeros(n)] + rng.normal(size=(n, 2))
    x2 = np.c_[a2 * 4.0, np.zeros(n)] + rng.normal(size=(n, 2))
    disc = pid.Discretizer(random_state=0)
    c1, c2, cy = disc.fit_transform(x1, x2, a1 ^ a2)
    assert disc.kinds_["x1"] == "clustered" and disc.selection_.chosen.family == "clustered"
    supervised = disc.selection_.best_of("supervised")
    assert disc.selection_.chosen.total > supervised.total + 0.5
    # the codes read each factor as a bit, misread with probability Phi(-2) = 0.0228 (the XOR with 0.0445), so
    # they keep S = 1 - h(0.0445) = 0.737 bits; the features say more, with their confidence:
    # I(X1,X2;Y) = 1 - E h(p(y | x1, x2)) = 0.835 bits (Monte Carlo of the model, 4e6 draws)
    with pytest.warns(OutOfRangeWarning, match="S = 0.7"):
        coded = pid.estimate(x1, x2, a1 ^ a2, estimator="cvx")
    assert coded.S == pytest.approx(0.737, abs=0.02) and max(coded.R, coded.U1, coded.U2) < 0.02
    assert coded.info_check.classifier["total"] > coded.S + 0.03  # nearest neighbours find more
    pytest.importorskip("torch")
    res = pid.estimate(x1, x2, a1 ^ a2)  # so 'auto' falls back to BATCH, which keeps the features continuous
    assert res.estimator == "batch" and "'batch' keeps I(X1,X2;Y)" in res.diagnostics.notes[0]
    assert res.S == pytest.approx(0.835, abs=0.03) and max(res.R, res.U1, res.U2) < 0.02


# ------------------------------------------------------------------------------------ held-out information
def test_held_out_information_of_codes():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 4, 4000)
    folds = stratified_folds(y, 5, 0)
    assert np.bincount(folds).min() >= 790  # balanced folds
    assert codes_information(y, y, folds) == pytest.approx(2.0, abs=0.02)  # a perfect code: H(Y)
    noise = rng.integers(0, 50, y.size)
    assert codes_information(noise, y, folds) < 0.0 < codes_information(y // 2, y, folds)


def test_classifier_information_sees_interactions():
    rng = np.random.default_rng(2)
    n = 3000
    a1, a2 = rng.integers(0, 2, n), rng.integers(0, 2, n)
    x1, x2 = a1 + 0.2 * rng.normal(size=n), a2 + 0.2 * rng.normal(size=n)
    found = classifier_information(x1, x2, a1 ^ a2, random_state=0)
    assert abs(found.I1) < 0.03 and abs(found.I2) < 0.03  # each alone says nothing about an XOR
    assert found.total > 0.8 and found.models["best"]["total"] == "knn"
    cf = CrossFit(a1 ^ a2, random_state=0, max_samples=1000)
    assert cf.subsampled and cf.index.size == pytest.approx(1000, abs=2)


def test_information_ranges():
    assert information_ranges(1.0, 1.0, 1.0) == {"R": (1.0, 1.0), "U1": (0.0, 0.0), "U2": (0.0, 0.0), "S": (0.0, 0.0)}
    r = information_ranges(0.5, 0.3, 0.6)
    assert r["R"] == pytest.approx((0.2, 0.3)) and r["S"] == pytest.approx((0.0, 0.1))
    assert r["U1"] == pytest.approx((0.2, 0.3)) and r["U2"] == pytest.approx((0.0, 0.1))


def test_every_table_estimate_lies_in_its_own_ranges(wine):
    for p in (pid.synthetic.gate_pmf("and"), np.random.default_rng(3).dirichlet(np.ones(18)).reshape(3, 3, 2)):
        r = pid.decompose(p)
        for a, (lo, hi) in information_ranges(r.I1, r.I2, r.total).items():
            assert lo - 1e-7 <= getattr(r, a) <= hi + 1e-7


# ------------------------------------------------------------------------------------ information kept
def test_coarse_codes_warn_and_say_what_to_do(wine):
    x1, x2, y = wine
    with pytest.warns(InformationLossWarning, match=r"keeps only .*compare_estimators") as rec:
        res = pid.estimate(x1, x2, y, discretizer=pid.Discretizer(kind="clustered", n_clusters=2))
    assert any(issubclass(w.category, OutOfRangeWarning) for w in rec)
    check = res.info_check
    assert check.low and all(check.kept[q] < 0.85 for q in check.low)
    assert "R" in check.outside
    lo, hi = check.reference_ranges["R"]
    assert not lo - check.margin <= res.R <= hi + check.margin
    assert "information kept" in str(res) and "outside its range" in str(res)
    # a passed Discretizer asks for codes: 'auto' stays with them and says why
    assert "a Discretizer was passed" in res.diagnostics.notes[0]


def test_lossless_codes_need_no_classifier():
    x1, x2, y = pid.synthetic.sample_gate("and", 3000, random_state=0)
    res = pid.estimate(x1, x2, y)
    assert res.info_check.lossless and res.info_check.kept == {"I1": 1.0, "I2": 1.0, "total": 1.0}
    assert res.info_check.classifier == {} and "losslessly" in str(res)
    assert pid.estimate(x1, x2, y, info_check=False).info_check is None
    with pytest.raises(ParameterError, match="info_check"):
        pid.estimate(x1, x2, y, info_check="always")


def test_low_information_without_batch_keeps_cvx_and_says_why(monkeypatch, wine):
    """Codes judged short of information on too few samples for BATCH: 'auto' keeps cvx, says why, warns."""
    from pidkit import trust

    monkeypatch.setattr(trust, "KEPT_THRESHOLD", 1.5)  # no estimate can keep 150%: every check fails
    with pytest.warns(InformationLossWarning):
        res = pid.estimate(*wine)
    assert res.estimator == "cvx"
    note = res.diagnostics.notes[0]
    assert note.startswith("estimator='auto' kept 'cvx' although its codes keep only")
    assert "178 samples are under 1000" in note


def test_json_round_trip_keeps_the_check(wine):
    res = pid.estimate(*wine)
    back = pid.PIDResult.from_json(res.to_json())
    assert back == res and isinstance(back.info_check, InformationCheck)
    assert back.info_check.ranges == res.info_check.ranges
    nats = res.with_units("nats")
    assert nats.info_check.classifier["I1"] == pytest.approx(res.info_check.classifier["I1"] * math.log(2))
    assert nats.info_check.kept == res.info_check.kept
    json.loads(res.to_json())


# ------------------------------------------------------------------------------------ intervals as computed
def _with_interval(res, lo, hi):
    intervals = {q: (getattr(res, q) - 0.01, getattr(res, q) + 0.01) for q in ("R", "U1", "U2", "S", "total", "I1",
                                                                               "I2")}
    intervals["S"] = (lo, hi)
    unc = Uncertainty(level=0.95, method="bca", n_boot=10, intervals=intervals)
    import dataclasses

    return dataclasses.replace(res, uncertainty=unc)


def test_an_interval_excluding_its_estimate_is_printed_and_drawn_as_computed():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = pid.decompose(pid.synthetic.gate_pmf("and"))
    shown = _with_interval(res, 0.42, 0.47)  # S = 0.5 lies above its (bias-corrected) interval
    assert shown.intervals_excluding_estimate() == ("S",)
    text = str(shown)
    assert "[  0.42000,   0.47000] *" in text and "excludes the estimate" in text
    ax = pid.plot.plot_pid(shown)
    segments = [seg for coll in ax.collections for seg in coll.get_segments()]
    vertical = [s for s in segments if s[0][0] == s[1][0]]
    s_line = [s for s in vertical if abs(s[0][0] - 3) < 1e-9]
    assert len(s_line) == 1 and sorted((s_line[0][0][1], s_line[0][1][1])) == pytest.approx([0.42, 0.47])
    assert any("excludes the estimate" in t.get_text() for t in ax.texts)
    plt.close("all")


def test_plot_pid_draws_the_ranges(wine):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = pid.estimate(*wine)
    ax = pid.plot.plot_pid(res)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["range its informations allow", "range the best informations found allow"]
    lo, hi = res.info_check.reference_ranges["R"]
    strips = [p for p in ax.patches if abs(p.get_x() + p.get_width() / 2 - 0.44) < 1e-9]
    assert strips and strips[0].get_y() == pytest.approx(lo) and strips[0].get_height() == pytest.approx(hi - lo)
    plt.close("all")


# ------------------------------------------------------------------------------------ compare_estimators
def test_compare_estimators_on_wine(wine):
    cmp = pid.compare_estimators(*wine, estimators=("cvx",), ci=None)
    assert list(cmp.results)[0] == "cvx (auto)" and cmp.best == "cvx (auto)"
    assert any(k.startswith("cvx (fewer") for k in cmp.results)
    assert any("clustered" in k for k in cmp.results)
    fewer = next(r for k, r in cmp.results.items() if k.startswith("cvx (fewer"))
    assert fewer.info_check.low  # two cells per modality lose information, and the verdict says so
    assert "set aside" in cmp.verdict and "believe: 'cvx (auto)'" in str(cmp)
    frame = cmp.to_pandas()
    assert frame.loc["cvx (auto)", "kept_I1"] >= 0.85
    with pytest.raises(ParameterError, match="estimators"):
        pid.compare_estimators(*wine, estimators=("exact",))
    with pytest.raises(ParameterError, match="discretizer_options may not set"):
        pid.compare_estimators(*wine, discretizer_options={"n_clusters": 3})


def test_compare_estimators_skips_batch_with_a_reason():
    x1, x2, y = pid.synthetic.sample_gate("xor", 400, random_state=0)
    cmp = pid.compare_estimators(np.asarray(x1).astype(str), x2, y, ci=None)
    assert "batch" in cmp.skipped and "not numeric" in cmp.skipped["batch"]
    assert list(cmp.results) == ["cvx (auto)"]


def test_the_verdict_believes_the_automatic_coding_unless_it_fails():
    import dataclasses

    from pidkit.comparison import _verdict

    base = pid.decompose(pid.synthetic.gate_pmf("and"))

    def made(kept, outside=()):
        check = InformationCheck(estimate={}, classifier={}, kept=dict(zip(("I1", "I2", "total"), kept, strict=True)),
                                 ranges=information_ranges(base.I1, base.I2, base.total), outside=outside)
        return dataclasses.replace(base, info_check=check)

    results = {"cvx (auto)": made((0.96, 1.01, 1.0)), "cvx (more: x1 8, x2 8)": made((1.0, 1.02, 1.03)),
               "batch": made((1.11, 1.1, 1.09), outside=("R",))}
    best, text = _verdict(results, set(), "bits")
    assert best == "cvx (auto)" and "set aside: 'batch'" in text  # finer codes do not outrank held-out choice
    results["cvx (auto)"] = made((0.89, 0.91, 0.97), outside=("R",))  # the digits: the codes lose too much
    results["cvx (more: x1 8, x2 8)"] = made((0.93, 0.95, 1.01))
    results["batch"] = made((1.05, 1.05, 1.01))
    best, text = _verdict(results, set(), "bits")
    assert best == "batch" and "agree within" in text
    results["batch"] = made((0.5, 0.5, 0.5))
    best, _ = _verdict(results, {"cvx (more: x1 8, x2 8)"}, "bits")  # the only clean one is too sparse
    assert best == "cvx (auto)"  # the fewest failed checks


def test_a_model_based_estimate_that_finds_too_much_warns():
    import dataclasses

    from pidkit.exceptions import OverconfidenceWarning
    from pidkit.trust import OVERSHOOT, warn_about

    base = pid.decompose(pid.synthetic.gate_pmf("and"))
    check = InformationCheck(estimate={"I1": 0.36, "I2": 0.31, "total": 0.81},
                             classifier={"I1": 0.30, "I2": 0.31, "total": 0.80},
                             kept={"I1": 1.2, "I2": 1.0, "total": 1.01}, ranges={}, overshoot=OVERSHOOT)
    assert check.high == ("I1",) and check.badness[0] == 1 and "> 110%" in "\n".join(check.lines("bits"))
    with pytest.warns(OverconfidenceWarning, match=r"120% of I\(X1;Y\)"):
        warn_about(check, dataclasses.replace(base, estimator="batch"))
    assert dataclasses.replace(check, overshoot=None).high == ()  # tables are not checked for it


def test_one_dimensional_numbers_try_equal_count_bins():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=5000), rng.normal(size=5000)
    disc = pid.Discretizer(random_state=0)
    disc.fit(a, b, ((a > 0) ^ (b > 0)).astype(int))  # an XOR of signs: one edge at the median says it all
    assert disc.selection_.chosen.family == "quantile" and disc.n_states_["x1"] == 2
    assert disc.coders_["x1"].strategy == "quantile" and abs(disc.bin_edges_["x1"][0]) < 0.05
    assert disc.selection_.chosen.score > disc.selection_.best_of("binned").score + 0.1
