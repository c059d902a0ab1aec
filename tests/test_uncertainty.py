"""Confidence intervals, bias corrections and significance tests (pidkit.uncertainty)."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

import pidkit as pid
from pidkit.exceptions import InputError, NegativeAtomWarning, ParameterError
from pidkit.synthetic import GATE_ATOMS, gate_pmf, sample_pmf
from pidkit.uncertainty.intervals import bca_interval, extrapolate, miller_madow, percentile_interval
from pidkit.uncertainty.permutation import _shuffle_within, optimal_coupling
from pidkit.uncertainty.resampling import jackknife_tables, split_tables

ATOMS = ("R", "U1", "U2", "S")
QUANTITIES = (*ATOMS, "total", "I1", "I2")


def gate_data(name, n, seed=0):
    return sample_pmf(gate_pmf(name), n, random_state=seed)


def counts_of(p, n, seed):
    return np.random.default_rng(seed).multinomial(n, p.ravel()).reshape(p.shape)


# -------------------------------------------------------------------------------- intervals
@pytest.mark.parametrize("method", ["bca", "percentile", "bayes"])
def test_intervals_cover_the_and_gate(method):
    x1, x2, y = gate_data("and", 4000)
    res = pid.estimate(x1, x2, y, ci=0.95, ci_method=method, random_state=1)
    unc = res.uncertainty
    assert unc.method == method and unc.level == 0.95 and unc.n_boot == 1000
    assert set(unc.intervals) == set(QUANTITIES) and set(unc.std) == set(QUANTITIES)
    for a in ("R", "S"):
        lo, hi = res.ci(a)
        assert lo < GATE_ATOMS["and"][a] < hi and lo < getattr(res, a) < hi, (a, lo, hi)
        assert 0.005 < unc.std[a] < 0.05
    for a in ("U1", "U2"):  # truly 0: the interval starts at 0 and the notes say what that means
        lo, hi = res.ci(a)
        assert lo == pytest.approx(0.0, abs=1e-6) and 0 < hi < 0.06
    assert any("may be truly 0" in n for n in unc.notes)
    assert any("given the bins / clusters" in n for n in unc.notes)
    assert f"95% CI ({method})" in str(res)


def test_intervals_are_reproducible_and_scale_with_units():
    x1, x2, y = gate_data("xor", 1500)
    a = pid.estimate(x1, x2, y, ci=0.9, random_state=3)
    b = pid.estimate(x1, x2, y, ci=0.9, random_state=3)
    assert a.uncertainty == b.uncertainty
    nats = a.with_units("nats")
    lo, hi = a.ci("S")
    assert nats.ci("S") == pytest.approx((lo * math.log(2), hi * math.log(2)))
    assert nats.uncertainty.corrected["extrapolation"]["S"] == pytest.approx(
        a.uncertainty.corrected["extrapolation"]["S"] * math.log(2))
    again = pid.PIDResult.from_json(a.to_json())
    assert again == a and again.ci("S") == (lo, hi)
    json.loads(a.to_json())  # valid JSON, no NaN


def test_bootstrap_of_a_count_table_matches_the_samples():
    x1, x2, y = gate_data("and", 3000, seed=4)
    counts = pid.discretize.joint_counts(x1, x2, y, (2, 2, 2))
    from_table = pid.bootstrap(counts, random_state=5)
    from_samples = pid.bootstrap(x1, x2, y, estimator="cvx", random_state=5)
    assert from_table.n_samples == 3000 and from_table.S == pytest.approx(from_samples.S, abs=1e-9)
    for q in QUANTITIES:
        assert from_table.ci(q) == pytest.approx(from_samples.ci(q), abs=1e-9)


def test_every_entry_point_attaches_the_same_uncertainty():
    """One place attaches intervals and bias corrections: a count table and its samples agree at any ci."""
    x1, x2, y = gate_data("and", 3000, seed=4)
    counts = pid.discretize.joint_counts(x1, x2, y, (2, 2, 2))
    for ci in (None, 0.9):
        from_table = pid.bootstrap(counts, ci=ci, n_boot=200, random_state=5)
        from_samples = pid.bootstrap(x1, x2, y, ci=ci, n_boot=200, estimator="cvx", random_state=5)
        assert (from_table.uncertainty is None) == (from_samples.uncertainty is None) == (ci is None)
        if ci is not None:
            assert from_table.uncertainty.corrected.keys() == from_samples.uncertainty.corrected.keys()
            assert from_table.ci("S") == pytest.approx(from_samples.ci("S"), abs=1e-9)
    # bias corrections alone, asked for explicitly, at both entry points
    alone = [pid.bootstrap(counts, ci=None, bias=True, random_state=5),
             pid.bootstrap(x1, x2, y, ci=None, bias=True, estimator="cvx", random_state=5)]
    assert all(r.uncertainty is not None and r.uncertainty.corrected for r in alone)


def test_percentile_and_bca_formulas():
    rng = np.random.default_rng(0)
    reps = rng.normal(1.0, 0.1, 4000)
    assert percentile_interval(reps, 0.95) == pytest.approx((0.804, 1.196), abs=0.01)
    jack = rng.normal(1.0, 0.01, 50)
    (lo, hi), used = bca_interval(reps, 1.0, jack, np.ones(50), 0.95)
    assert used == "bca" and lo == pytest.approx(0.804, abs=0.015) and hi == pytest.approx(1.196, abs=0.015)
    (lo2, hi2), _ = bca_interval(reps + 0.05, 1.0, jack, np.ones(50), 0.95)  # bootstrap biased upward
    assert lo2 < lo + 0.05 and hi2 < hi + 0.05  # BCa moves the interval back
    above = 1.2 + np.abs(rng.normal(0, 0.05, 1000))
    (b_lo, b_hi), used = bca_interval(above, 1.0, jack, np.ones(50), 0.95)
    assert used == "basic" and b_hi < 1.0  # every replicate above: bias removed by the basic interval
    _, used0 = bca_interval(np.abs(rng.normal(0, 0.01, 1000)), 0.0, jack, np.ones(50), 0.95, at_zero=True)
    assert used0 == "percentile"


def test_sparse_table_falls_back_to_basic_intervals_and_truncates_at_zero():
    p = np.random.default_rng(1).dirichlet(np.ones(400)).reshape(10, 10, 4)
    res = pid.bootstrap(counts_of(p, 300, 2), random_state=0, n_boot=300)
    assert any("basic intervals" in n for n in res.uncertainty.notes)
    assert all(res.ci(q)[0] >= 0 for q in QUANTITIES)


# ---------------------------------------------------------------------------- bias corrections
def test_bias_corrections_move_towards_the_truth_on_sparse_tables():
    p = np.random.default_rng(7).dirichlet(np.full(48, 0.7)).reshape(4, 4, 3)
    truth = pid.decompose(p)
    err = {"raw": [], "bootstrap": [], "extrapolation": []}
    for seed in range(12):
        res = pid.bootstrap(counts_of(p, 300, seed), random_state=seed, n_boot=200, ci_method="percentile")
        err["raw"].append(abs(res.S - truth.S))
        for m in ("bootstrap", "extrapolation"):
            err[m].append(abs(res.uncertainty.corrected[m]["S"] - truth.S))
    assert np.mean(err["bootstrap"]) < np.mean(err["raw"]) and np.mean(err["extrapolation"]) < np.mean(err["raw"])


def test_miller_madow_and_extrapolation_formulas():
    counts = np.array([[[30, 10], [5, 15]], [[10, 30], [20, 0]]], dtype=float)
    n = counts.sum()
    p = counts / n
    mm = miller_madow(counts, math.log(2))
    mi = float(pid.info.mutual_information(p, (0, 1), 2))
    occ = (np.count_nonzero(counts.sum(2)) - 1) + (2 - 1) - (np.count_nonzero(counts) - 1)
    assert mm["total"] == pytest.approx(mi + occ / (2 * n * math.log(2)))
    assert extrapolate({100: 1.0 + 2 / 100 + 3 / 100**2, 50: 1.0 + 2 / 50 + 3 / 50**2,
                        25: 1.0 + 2 / 25 + 3 / 25**2}) == pytest.approx(1.0)


def test_resampling_helpers_keep_the_samples():
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 6, size=(3, 4, 2))
    parts = split_tables(counts, 4, rng)
    assert np.array_equal(parts.sum(0), counts) and np.ptp(parts.sum(axis=(1, 2, 3))) <= 1
    make, k, w = jackknife_tables(counts, rng)
    tables = make(0, k)
    assert k == np.count_nonzero(counts) and np.array_equal(w, counts[counts > 0])
    assert np.all(tables.sum(axis=(1, 2, 3)) == counts.sum() - 1)


# ------------------------------------------------------------------------------------ tests
def test_permutation_tests_reject_what_is_there_and_not_what_is_not():
    x1, x2, y = gate_data("xor", 1000, seed=1)
    xor = pid.estimate(x1, x2, y, n_perm=200, random_state=0)
    assert set(xor.p_values) == {"total", "x1", "x2", "synergy"} and xor.uncertainty.level is None
    assert all(p <= 1 / 201 + 1e-12 for p in xor.p_values.values())
    x1, x2, y = gate_data("unq", 1000, seed=2)  # y = x1: nothing unique to x2, no synergy
    unq = pid.estimate(x1, x2, y, n_perm=200, random_state=0, tests=("x1", "x2", "synergy"))
    assert unq.p_values["x1"] < 0.01 and unq.p_values["x2"] > 0.05 and unq.p_values["synergy"] > 0.05
    assert "U2 + S = 0" in unq.uncertainty.tests["x2"] and "test x2" in str(unq)


def test_within_group_shuffle_keeps_each_group():
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 4, 500)
    values = rng.integers(0, 10, 500)
    out = _shuffle_within(values, groups, rng)
    assert not np.array_equal(out, values)
    for g in range(4):
        assert sorted(out[groups == g]) == sorted(values[groups == g])


def test_optimal_coupling_has_no_synergy_and_the_same_pairwise_marginals():
    p = np.random.default_rng(3).dirichlet(np.ones(18)).reshape(3, 3, 2)
    q = optimal_coupling(p)
    assert np.allclose(q.sum(1), p.sum(1), atol=1e-9) and np.allclose(q.sum(0), p.sum(0), atol=1e-9)
    assert pid.decompose(q).S == pytest.approx(0.0, abs=1e-6)


# ------------------------------------------------------------------------------------ options
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"ci": 1.5}, ParameterError, "ci must be a confidence level"),
        ({"ci": True}, ParameterError, "ci must be a confidence level"),
        ({"ci": 0.9, "ci_method": "retrain"}, ParameterError, "ci_method for estimator='cvx'"),
        ({"ci": 0.9, "n_boot": 1}, ParameterError, "n_boot must be an integer >= 2"),
        ({"tests": ["total"]}, ParameterError, "n_perm=0"),
        ({"n_perm": 10, "tests": ["nope"]}, ParameterError, "tests must be among"),
        ({"n_perm": -1}, ParameterError, "n_perm must be"),
        ({"bias": "yes"}, ParameterError, "bias must be True or False"),
    ],
)
def test_bad_options(kwargs, error, match):
    x1, x2, y = gate_data("and", 200)
    with pytest.raises(error, match=match):
        pid.estimate(x1, x2, y, estimator="cvx", **kwargs)


def test_bad_tables_and_batch_only_options():
    with pytest.raises(InputError, match="integer counts"):
        pid.bootstrap(gate_pmf("and"))
    with pytest.raises(InputError, match="integer counts"):
        pid.bootstrap(np.ones((2, 2, 2)))  # 8 samples, fewer than 10
    with pytest.raises(ParameterError, match="only part"):
        pid.bootstrap(np.ones((2, 2, 2)), np.ones(3))
    x = np.random.default_rng(0).normal(size=(100, 3))
    y = np.arange(100) % 2
    with pytest.raises(ParameterError, match="permutation tests run on the discretized table"):
        pid.estimate(x, x, y, estimator="batch", n_perm=10)
    with pytest.raises(ParameterError, match="ci_method for estimator='batch'"):
        pid.estimate(x, x, y, estimator="batch", ci=0.9, ci_method="bca")
    with pytest.raises(ParameterError, match="bias corrections need the count table"):
        pid.estimate(x, x, y, estimator="batch", bias=True)
    with pytest.raises(ParameterError, match="no confidence intervals"):
        pid.estimate(*gate_data("and", 100)).ci("S")
    with pytest.raises(ParameterError, match="quantity must be one of"):
        pid.estimate(*gate_data("and", 100)).ci("Q")


# ------------------------------------------------------------------------------------- BATCH
FAST = dict(batch_size=128, epochs=6, patience=3, classifier_epochs=30, classifier_patience=5, hidden=(32,),
            embed_dim=8, readout_batches=4)


def test_batch_readout_and_retrain_intervals():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    x1, x2, y = gate_data("xor", 3000)
    x1, x2 = np.eye(2)[x1], np.eye(2)[x2]
    ro = pid.estimate(x1, x2, y, estimator="batch", ci=0.95, random_state=0, **FAST)
    assert ro.uncertainty.method == "readout" and any("do not cover the training" in n for n in ro.uncertainty.notes)
    lo, hi = ro.ci("S")
    assert lo < ro.S < hi and hi - lo < 0.2
    rt = pid.estimate(x1, x2, y, estimator="batch", ci=0.9, ci_method="retrain", n_boot=3, random_state=0, **FAST)
    assert rt.uncertainty.method == "retrain" and rt.uncertainty.n_boot == 3
    assert rt.ci("S")[0] <= rt.S <= rt.ci("S")[1] and "half-samples" in rt.uncertainty.notes[0]


def test_stacked_joint_classifier_is_never_weaker_than_the_unimodal_ones():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    from pidkit.datasets import load_digits_halves

    x1, x2, y = load_digits_halves()
    res = pid.estimate(x1, x2, y, estimator="batch", random_state=0, **FAST)
    c = res.diagnostics.details["classifiers"]
    assert c["joint"]["stacked_on"] in ("x1", "x2", "product")
    assert c["joint"]["val_nll_nats"] <= min(c["x1"]["val_nll_nats"], c["x2"]["val_nll_nats"]) + 1e-9
    with warnings.catch_warnings():  # the unstacked joint classifier can leave S negative: the point
        warnings.simplefilter("ignore", NegativeAtomWarning)
        plain = pid.estimate(x1, x2, y, estimator="batch", random_state=0, stack_unimodal=False, **FAST)
    assert plain.diagnostics.details["classifiers"]["joint"]["stacked_on"] == ""
    assert res.S > plain.S
    with pytest.raises(ParameterError, match="stack_unimodal must be True or False"):
        pid.estimate(x1, x2, y, estimator="batch", stack_unimodal="yes")
