"""Tests of pidkit.bounds: validity on random pmfs, Table 6.2 examples, reconciliation, errors, samples."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from conftest import random_pmf

import pidkit as pid
from pidkit.bounds import (
    InconsistentMarginalsError,
    accuracy_bounds,
    estimate_synergy_bounds,
    greedy_coupling,
    majorization_meet,
    maxent_pairwise,
    meet_entropy,
    synergy_bounds,
    synergy_bounds_many,
)
from pidkit.exceptions import ConvergenceWarning, InputError, InvalidPMFError, ParameterError, ShapeError

TOL = 1e-7  # bits


def tables(p):
    return p.sum(axis=1), p.sum(axis=0), p.sum(axis=2)


def gate(fn):
    p = np.zeros((2, 2, 2))
    for a in (0, 1):
        for b in (0, 1):
            p[a, b, fn(a, b)] += 0.25
    return p


def disagreement_xor():
    """Thesis Table 6.2a (its probabilities sum to 0.99; normalized here)."""
    p = np.zeros((2, 2, 2))
    for cell, v in {(0, 0, 1): .05, (0, 1, 0): .03, (0, 1, 1): .28, (1, 0, 0): .53,
                    (1, 0, 1): .03, (1, 1, 0): .01, (1, 1, 1): .06}.items():
        p[cell] = v
    return p / p.sum()


# ----------------------------------------------------------------------------- Table 6.2 examples


def test_agreement_xor_S_R_is_zero_and_upper_is_tight():
    # all three pairwise marginals are uniform, so the uniform pmf is feasible: S_R = 0 (not 1)
    p = gate(lambda a, b: a ^ b)
    res = synergy_bounds(*tables(p))
    assert abs(res.S_R) < 1e-9 and abs(res.S_U) < 1e-9
    assert res.S_lower == pytest.approx(0.0, abs=1e-9)
    assert res.S_upper == pytest.approx(1.0, abs=1e-9)  # H(X1X2)+H(Y)-H_min = 2+1-2, R=U=0
    assert res.contains(pid.decompose(p).S)


def test_rdn_y_equals_x1_equals_x2():
    p = np.zeros((2, 2, 2))
    p[0, 0, 0] = p[1, 1, 1] = 0.5
    res = synergy_bounds(*tables(p))
    assert res.R == pytest.approx(1.0, abs=1e-7)
    assert res.S_R == pytest.approx(0.0, abs=1e-7)  # R - I(X1;X2) + 0 = 1 - 1
    assert res.S_upper == pytest.approx(0.0, abs=1e-7)  # 1 + 1 - 1 - R


def test_unique_y_equals_x1():
    p = gate(lambda a, b: a)
    res = synergy_bounds(*tables(p))
    assert res.U1 == pytest.approx(1.0, abs=1e-7)
    # D_B(delta, uniform) = -log2 sqrt(1/2) = 0.5 bit everywhere: S_U = 0.5 - (1 + 0)/2 = 0
    assert res.disagreement == pytest.approx(0.5, abs=1e-9)
    assert res.S_U == pytest.approx(0.0, abs=1e-7)
    assert res.S_R == pytest.approx(0.0, abs=1e-7)
    assert res.S_upper == pytest.approx(0.0, abs=1e-7)  # 2 + 1 - 2 - 1
    assert res.contains(pid.decompose(p).S)


def test_disagreement_xor_bounds_contain_S():
    p = disagreement_xor()
    full = pid.decompose(p)
    res = synergy_bounds(*tables(p))
    assert full.S == pytest.approx(0.1601, abs=1e-4)  # thesis: 0.16
    assert res.S_R <= full.S + TOL and res.S_U <= full.S + TOL and full.S <= res.S_upper + TOL
    # disagreement recomputed independently from the pmf
    a = p.sum(1) / p.sum(axis=(1, 2))[:, None]
    b = p.sum(0) / p.sum(axis=(0, 2))[:, None]
    w = p.sum(2)
    alpha = sum(w[i, j] * -math.log2(np.sqrt(a[i] * b[j]).sum()) for i in range(2) for j in range(2))
    assert res.disagreement == pytest.approx(alpha, abs=1e-12)
    assert res.S_U == pytest.approx(alpha - (full.U1 + full.U2) / 2, abs=1e-7)
    # S_R and S_upper recomputed from their definitions (module docstring of pidkit.bounds.synergy)
    # without IPF or pidkit.bounds.coupling: on 2x2x2 the tables fix every cell up to p + t*e, with e
    # the parity pattern, so min_r I_r(X1;X2|Y) is a one-dimensional convex minimisation over t; and
    # the meet of two pmfs has the pointwise minimum of their sorted cumulative sums as its own.
    assert res.S_R == pytest.approx(_S_R_2x2x2(p, full.R), abs=1e-6)
    assert res.S_upper == pytest.approx(_S_upper_from_meets(p, full), abs=1e-9)
    # the values those computations give, rounded (regression guard)
    assert (res.S_R, res.S_U, res.S_upper) == pytest.approx((0.0871, 0.0652, 0.5009), abs=1e-4)


def _entropy_bits(q):
    q = np.asarray(q, dtype=float).ravel()
    q = q[q > 0]
    return float(-(q * np.log2(q)).sum())


def _cmi_x1x2_given_y(r):
    return _entropy_bits(r.sum(1)) + _entropy_bits(r.sum(0)) - _entropy_bits(r) - _entropy_bits(r.sum((0, 1)))


def _S_R_2x2x2(p, R):
    """R - I(X1;X2) + min over r with p's three pairwise marginals of I_r(X1;X2|Y), by golden section."""
    from scipy.optimize import minimize_scalar

    e = np.fromfunction(lambda a, b, c: (-1.0) ** (a + b + c), (2, 2, 2))
    lo, hi = -p[e > 0].min(), p[e < 0].min()  # the range of t that keeps p + t*e >= 0
    opt = minimize_scalar(lambda t: _cmi_x1x2_given_y(np.clip(p + t * e, 0, None)), bounds=(lo, hi),
                          method="bounded", options={"xatol": 1e-12})
    p12 = p.sum(2)
    i12 = _entropy_bits(p12.sum(1)) + _entropy_bits(p12.sum(0)) - _entropy_bits(p12)
    return R - i12 + min(opt.fun, _cmi_x1x2_given_y(p + lo * e), _cmi_x1x2_given_y(p + hi * e))


def _meet_entropy(a, b):
    n = max(a.size, b.size)
    ca = np.cumsum(np.sort(np.pad(a.ravel(), (0, n - a.size)))[::-1])
    cb = np.cumsum(np.sort(np.pad(b.ravel(), (0, n - b.size)))[::-1])
    return _entropy_bits(np.diff(np.minimum(ca, cb), prepend=0.0))


def _S_upper_from_meets(p, full):
    """H(X1,X2) + H(Y) - max of the three meet entropies - R - U1 - U2."""
    h_min = max(_meet_entropy(p.sum(2), p.sum((0, 1))),   # p(x1,x2) with p(y)
                _meet_entropy(p.sum(1), p.sum((0, 2))),   # p(x1,y) with p(x2)
                _meet_entropy(p.sum(0), p.sum((1, 2))))   # p(x2,y) with p(x1)
    return _entropy_bits(p.sum(2)) + _entropy_bits(p.sum((0, 1))) - h_min - full.R - full.U1 - full.U2


def test_per_modality_form_equals_S_R(rng):
    # min_r I_r(X1;Y|X2) - U1 over r with the three marginals is the same number as S_R
    p = random_pmf(rng, (3, 3, 2))
    res = synergy_bounds(*tables(p), ipf_tol=1e-12)
    me = maxent_pairwise(p.sum(2)[None], p.sum(1)[None], p.sum(0)[None], tol=1e-12)
    r = me.r[0]
    form1 = float(pid.info.conditional_mutual_information(r, 0, 2, 1)) - res.U1
    form2 = float(pid.info.conditional_mutual_information(r, 1, 2, 0)) - res.U2
    assert form1 == pytest.approx(res.S_R, abs=1e-6)
    assert form2 == pytest.approx(res.S_R, abs=1e-6)


# ------------------------------------------------------------------------------------- validity


def _validity(rng, families):
    for shape, n, sparsity in families:
        P = np.stack([random_pmf(rng, shape, sparsity=sparsity) for _ in range(n)])
        full = pid.decompose_many(P)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # S_R is certified at any IPF tolerance
            b = synergy_bounds_many(P.sum(axis=2), P.sum(axis=1), P.sum(axis=3), atoms=full)
        S = full.S
        assert np.all(b.S_R <= S + TOL), (shape, np.max(b.S_R - S))
        assert np.all(b.S_U <= S + TOL), (shape, np.max(b.S_U - S))
        assert np.all(S <= b.S_upper + TOL), (shape, np.max(S - b.S_upper))
        assert np.all(b.S_lower >= 0) and np.all(b.S_lower <= b.S_upper + TOL)
        bayes = P.max(axis=3).sum(axis=(1, 2))
        assert np.all(b.accuracy_lower <= bayes + 1e-9) and np.all(bayes <= b.accuracy_upper + 1e-9)
        assert np.all((b.accuracy_lower >= 0) & (b.accuracy_upper <= 1) & (b.accuracy_lower <= b.accuracy_upper))


def test_validity_on_random_pmfs():
    _validity(np.random.default_rng(2024), [((2, 2, 2), 1500, 0.0), ((3, 3, 3), 400, 0.0), ((5, 5, 3), 250, 0.5)])


@pytest.mark.slow
def test_validity_on_random_pmfs_full_size():
    # the sizes: 10,000 2x2x2 Dirichlet(1), 2,000 3x3x3 and 1,000 sparse 5x5x3
    _validity(np.random.default_rng(5), [((2, 2, 2), 10_000, 0.0), ((3, 3, 3), 2_000, 0.0), ((5, 5, 3), 1_000, 0.5)])


def test_stack_matches_single(rng):
    P = np.stack([random_pmf(rng, (3, 2, 3)) for _ in range(5)])
    b = synergy_bounds_many(P.sum(2), P.sum(1), P.sum(3))
    for i in range(5):
        s = synergy_bounds(*tables(P[i]))
        assert (s.S_R, s.S_U, s.S_upper) == pytest.approx((b.S_R[i], b.S_U[i], b.S_upper[i]), abs=1e-7)
        assert (s.accuracy.lower, s.accuracy.upper) == pytest.approx((b.accuracy_lower[i], b.accuracy_upper[i]))


def test_units_nats_scale_bits(rng):
    p = random_pmf(rng, (3, 3, 2))
    bits = synergy_bounds(*tables(p))
    nats = synergy_bounds(*tables(p), units="nats")
    for k in ("R", "U1", "U2", "S_R", "S_U", "S_lower", "S_upper", "disagreement", "info_upper"):
        assert getattr(nats, k) == pytest.approx(getattr(bits, k) * math.log(2), abs=1e-9)
    assert nats.accuracy.lower == pytest.approx(bits.accuracy.lower)
    assert nats.units == "nats" and nats.accuracy.units == "nats"


def test_exact_S_R_dominates_S_U(rng):
    # proven in pidkit.bounds.synergy: the Bhattacharyya argument applies to the max-entropy r*
    P = np.stack([random_pmf(rng, (3, 3, 3)) for _ in range(200)])
    b = synergy_bounds_many(P.sum(2), P.sum(1), P.sum(3), ipf_tol=1e-10)
    assert np.all(b.S_U <= b.S_R + 1e-7)


def test_pinsker_form_is_weaker_but_valid(rng):
    for _ in range(20):
        p = random_pmf(rng, (3, 3, 3))
        res = synergy_bounds(*tables(p))
        assert res.diagnostics.S_U_pinsker <= res.S_U + 1e-12
        assert res.diagnostics.S_U_pinsker <= pid.decompose(p).S + TOL


# ------------------------------------------------------------------------------ coupling / maxent


def test_meet_entropy_below_greedy_coupling_and_true_joint(rng):
    for _ in range(200):
        a = rng.dirichlet(np.ones(rng.integers(2, 7)) * rng.choice([0.3, 1.0]))
        b = rng.dirichlet(np.ones(rng.integers(2, 7)) * rng.choice([0.3, 1.0]))
        g = greedy_coupling(a, b)
        assert np.allclose(g.sum(1), a) and np.allclose(g.sum(0), b)
        h_greedy = -(g[g > 0] * np.log(g[g > 0])).sum()
        h_meet = meet_entropy(a, b)
        assert h_meet <= h_greedy + 1e-12
        assert h_meet >= max(-(a * np.log(a)).sum(), -(b * np.log(b)).sum()) - 1e-12
        m = majorization_meet(a, b)
        assert m.sum() == pytest.approx(1.0) and np.all(np.diff(m) <= 1e-12)
        pa = np.cumsum(np.sort(a)[::-1])
        assert np.all(np.cumsum(m)[: len(pa)] <= pa + 1e-12)  # meet is majorized by a
    p = random_pmf(rng, (3, 3, 4))
    h_joint = float(pid.info.entropy(p, units="nats"))
    assert meet_entropy(p.sum(2), p.sum((0, 1))) <= h_joint + 1e-12


def test_maxent_matches_marginals_and_dominates_truth(rng):
    p = random_pmf(rng, (3, 4, 2))
    me = maxent_pairwise(p.sum(2)[None], p.sum(1)[None], p.sum(0)[None], tol=1e-12)
    assert me.converged[0] and me.marginal_error[0] <= 1e-12
    r = me.r[0]
    assert np.allclose(r.sum(2), p.sum(2)) and np.allclose(r.sum(1), p.sum(1)) and np.allclose(r.sum(0), p.sum(0))
    h_p = float(pid.info.entropy(p, units="nats"))
    assert me.entropy_upper[0] >= h_p - 1e-12
    assert me.entropy_upper[0] == pytest.approx(me.entropy[0], abs=1e-9)


def test_ipf_nonconvergence_warns_and_stays_valid(rng):
    p = random_pmf(rng, (4, 4, 3), sparsity=0.5)
    with pytest.warns(ConvergenceWarning, match="raise ipf_max_iter"):
        res = synergy_bounds(*tables(p), ipf_max_iter=1, ipf_tol=1e-14)
    assert not res.diagnostics.ipf_converged
    assert res.S_R <= pid.decompose(p).S + TOL


# ----------------------------------------------------------------------------- accuracy bounds


def test_accuracy_bounds_values():
    lo, hi = accuracy_bounds(0.0, 0.0, [0.5, 0.5])
    assert (lo, hi) == pytest.approx((0.5, 0.5), abs=1e-9)
    acc = accuracy_bounds(0.5, 1.0, [0.25, 0.25, 0.5])
    assert acc.lower == pytest.approx(max(2 ** -(1.5 - 0.5), 0.5))
    assert 0 <= acc.lower <= acc.upper <= 1
    # Fano, |Y| = 3: H(Y|X) >= 0.5 bit means the error e solves h(e) + e = 0.5 bit
    e = 1 - acc.upper
    assert (-e * math.log2(e) - (1 - e) * math.log2(1 - e) + e) == pytest.approx(0.5, abs=1e-9)
    nats = accuracy_bounds(0.5 * math.log(2), 1.0 * math.log(2), [0.25, 0.25, 0.5], units="nats")
    assert (nats.lower, nats.upper) == pytest.approx((acc.lower, acc.upper))


def test_accuracy_upper_never_exceeds_one():
    # the uniform-Y simplification (I + 1) / log|Y| would give 2.0 here
    acc = accuracy_bounds(0.0, 1.0, [0.5, 0.5])
    assert acc.upper == pytest.approx(1.0) and acc.upper <= 1.0


def test_accuracy_bounds_errors():
    with pytest.raises(InputError, match=r"0 <= info_lower <= info_upper <= H\(Y\)"):
        accuracy_bounds(0.0, 2.0, [0.5, 0.5])
    with pytest.raises(InputError, match="info_lower must be a finite number"):
        accuracy_bounds(float("nan"), 0.5, [0.5, 0.5])
    with pytest.raises(InvalidPMFError, match="non-empty 1-D"):
        accuracy_bounds(0.1, 0.2, [[0.5, 0.5]])
    with pytest.raises(InvalidPMFError, match="non-negative"):
        accuracy_bounds(0.1, 0.2, [-0.5, 1.5])
    with pytest.raises(ParameterError, match="units must be one of"):
        accuracy_bounds(0.1, 0.2, [0.5, 0.5], units="dits")


# ------------------------------------------------------------------------ inconsistent marginals


def test_small_inconsistency_is_reconciled_and_reported(rng):
    p = random_pmf(rng, (3, 3, 2))
    p1, p2, p12 = tables(p)
    q = random_pmf(rng, (3, 3, 2))
    p12 = 0.98 * p12 + 0.02 * q.sum(2)
    res = synergy_bounds(p1, p2, p12)
    d = res.diagnostics
    assert d.reconciled and d.reconciliation["tv_change"]["p_x1x2"] > 0
    assert 0 < d.inconsistency["tv_x1"] <= 0.02 and d.inconsistency["tv_y"] < 1e-12
    assert any("reconciled" in n for n in d.notes)
    assert "reconciled: yes" in str(res)


def test_large_inconsistency_raises_naming_the_option(rng):
    p = random_pmf(rng, (3, 3, 2))
    p1, p2, p12 = tables(p)
    p1 = p1.copy()
    p1[0] *= 5
    p1 /= p1.sum()
    with pytest.raises(InconsistentMarginalsError, match="max_inconsistency=0.05"):
        synergy_bounds(p1, p2, p12)
    res = synergy_bounds(p1, p2, p12, max_inconsistency=0.9)
    assert res.diagnostics.max_inconsistency == 0.9 and res.diagnostics.reconciled


def test_pairwise_consistent_but_jointly_incompatible():
    # x1 = y, x2 = y, but x1 != x2 in the paired data: every one-variable marginal agrees
    p1 = np.eye(2) / 2
    p2 = np.eye(2) / 2
    p12 = np.array([[0, 0.5], [0.5, 0]])
    with pytest.raises(InconsistentMarginalsError, match="No joint distribution is close"):
        synergy_bounds(p1, p2, p12)


def test_counts_accepted_and_inputs_not_modified(rng):
    counts = rng.integers(0, 20, size=(3, 3, 2))
    c1, c2, c12 = counts.sum(1), counts.sum(0), counts.sum(2)
    before = [c.copy() for c in (c1, c2, c12)]
    res = synergy_bounds(c1, c2, c12)
    assert all(np.array_equal(a, b) for a, b in zip(before, (c1, c2, c12), strict=True))
    assert res.contains(pid.decompose(counts).S)


# ---------------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    ("args", "exc", "match"),
    [
        ((np.ones((2, 2, 2)), np.ones((2, 2)), np.ones((2, 2))), ShapeError, r"p_x1y must be a 2-D table"),
        ((np.ones((3, 2)), np.ones((2, 2)), np.ones((2, 2))), ShapeError, r"p_x1y has 3 states of x1"),
        ((np.ones((2, 2)), np.ones((3, 2)), np.ones((2, 2))), ShapeError, r"p_x2y has 3 states of x2"),
        ((np.ones((2, 3)), np.ones((2, 2)), np.ones((2, 2))), ShapeError, r"p_x1y has 3 labels"),
        ((-np.ones((2, 2)), np.ones((2, 2)), np.ones((2, 2))), InvalidPMFError, r"negative entries"),
        ((np.full((2, 2), np.nan), np.ones((2, 2)), np.ones((2, 2))), InvalidPMFError, r"NaN or infinite"),
        ((np.full((2, 2), 0.3), np.ones((2, 2)), np.ones((2, 2))), InvalidPMFError, r"sums to 1.2"),
        ((np.zeros((2, 2)), np.ones((2, 2)), np.ones((2, 2))), InvalidPMFError, r"positive total"),
        ((np.array([["a", "b"]]), np.ones((2, 2)), np.ones((2, 2))), InvalidPMFError, r"numeric table"),
    ],
)
def test_bad_tables(args, exc, match):
    with pytest.raises(exc, match=match):
        synergy_bounds(*args)


def test_bad_options():
    p = gate(lambda a, b: a & b)
    with pytest.raises(ParameterError, match="units must be one of"):
        synergy_bounds(*tables(p), units="dits")
    with pytest.raises(ParameterError, match="max_inconsistency must be"):
        synergy_bounds(*tables(p), max_inconsistency=-1)
    with pytest.raises(ParameterError, match="ipf_max_iter must be"):
        synergy_bounds(*tables(p), ipf_max_iter=0)


def test_stack_refuses_inconsistent(rng):
    P = np.stack([random_pmf(rng, (2, 2, 2)) for _ in range(3)])
    p12 = P.sum(3).copy()
    p12[1] = np.full((2, 2), 0.25)
    with pytest.raises(InconsistentMarginalsError, match="Use synergy_bounds on each triple"):
        synergy_bounds_many(P.sum(2), P.sum(1), p12)


# ------------------------------------------------------------------------------------ results


def test_result_serialization_and_repr():
    res = synergy_bounds(*tables(disagreement_xor()))
    d = json.loads(json.dumps(res.to_dict()))
    assert d["units"] == "bits" and set(d["diagnostics"]["inconsistency"]) == {"tv_x1", "tv_x2", "tv_y"}
    assert d["accuracy"]["lower"] == pytest.approx(res.accuracy.lower)
    text = repr(res)
    for key in ("S_R", "S_U", "S_upper", "Bayes accuracy", "inconsistency TV", "IPF"):
        assert key in text
    with pytest.raises(AttributeError):
        res.S_R = 0.0  # frozen
    lo, hi = res.accuracy
    assert lo <= hi


# ------------------------------------------------------------------------------ from samples


@pytest.fixture(scope="module")
def digits_split():
    from pidkit.datasets import load_digits_halves

    x1, x2, y = load_digits_halves()
    idx = np.random.default_rng(0).permutation(len(y))
    d1, d2, dm = np.array_split(idx, 3)
    assert not (set(d1) & set(d2) or set(d1) & set(dm) or set(d2) & set(dm))
    return x1, x2, y, d1, d2, dm


def test_digits_end_to_end(digits_split):
    x1, x2, y, d1, d2, dm = digits_split
    res = estimate_synergy_bounds(x1[d1], y[d1], x2[d2], y[d2], x1[dm], x2[dm], random_state=0)
    d = res.diagnostics
    assert d.n_samples == {"D1": 599, "D2": 599, "DM": 599}
    assert d.discretization["n_states"] == {"x1": 10, "x2": 10, "y": 10}
    assert 0 <= res.S_lower <= res.S_upper
    assert 0 <= res.accuracy.lower <= res.accuracy.upper <= 1
    # S with labels on all data, coded by the same discretizers
    c1, c2, cy = res.transform(x1, x2, y)
    joint = pid.discretize.joint_counts(c1, c2, cy, d.shape)
    S_all = pid.decompose(joint).S
    # bounds from the labeled table's own marginals must contain its S (validity) ...
    own = synergy_bounds(joint.sum(1), joint.sum(0), joint.sum(2), ipf_tol=1e-4)
    assert own.contains(S_all)
    # ... while the split estimate differs from it only by sampling noise (600 samples per dataset)
    assert abs(S_all - min(max(S_all, res.S_lower), res.S_upper)) < 0.1
    again = estimate_synergy_bounds(x1[d1], y[d1], x2[d2], y[d2], x1[dm], x2[dm], random_state=0)
    # deterministic: everything but the wall time is identical
    assert _without_time(again.to_dict()) == _without_time(res.to_dict())
    assert again.diagnostics.time_s > 0


def _without_time(d):
    if isinstance(d, dict):
        return {k: _without_time(v) for k, v in d.items() if k != "time_s"}
    return d


def test_samples_with_classifiers(digits_split):
    from sklearn.naive_bayes import GaussianNB

    x1, x2, y, d1, d2, dm = digits_split
    res = estimate_synergy_bounds(x1[d1], y[d1], x2[d2], y[d2], x1[dm], x2[dm], random_state=0,
                                  classifiers=(GaussianNB(var_smoothing=0.1), GaussianNB(var_smoothing=0.1)))
    assert "GaussianNB" in res.diagnostics.disagreement_source
    assert any("classifier" in n for n in res.diagnostics.notes)
    assert res.disagreement > 0


def test_samples_bad_inputs(digits_split):
    x1, x2, y, d1, d2, dm = digits_split
    with pytest.raises(InputError, match="x1_paired"):
        estimate_synergy_bounds(x1[d1], y[d1], x2[d2], y[d2], x1[dm], x2[dm][:-1])
    with pytest.raises(InputError, match="same features"):
        estimate_synergy_bounds(x1[d1], y[d1], x2[d2], y[d2], x1[dm][:, :5], x2[dm])
    with pytest.raises(ParameterError, match="classifiers must be"):
        estimate_synergy_bounds(x1[d1], y[d1], x2[d2], y[d2], x1[dm], x2[dm], classifiers=42)
    with pytest.raises(ParameterError, match="discretizer must be"):
        estimate_synergy_bounds(x1[d1], y[d1], x2[d2], y[d2], x1[dm], x2[dm], discretizer=3)


def test_one_name_per_option_and_no_aliases(digits_split):
    # issue 16: one name per idea across pidkit (discretizer, tol, info_lower / info_upper); the
    # former names were never released, so they are gone rather than deprecated
    x1, x2, y, d1, d2, dm = digits_split
    with pytest.raises(TypeError, match="discretizers"):
        estimate_synergy_bounds(x1[d1], y[d1], x2[d2], y[d2], x1[dm], x2[dm], discretizers=3)
    p = np.random.default_rng(0).dirichlet(np.ones(12)).reshape(2, 3, 2)
    args = (p.sum(axis=1), p.sum(axis=0), p.sum(axis=2))
    new = synergy_bounds(*args, tol=1e-9)
    with pytest.raises(TypeError, match="pid_tol"):
        synergy_bounds(*args, pid_tol=1e-9)
    acc = new.accuracy
    assert (acc.info_lower, acc.info_upper) == (new.info_lower, new.info_upper)
    assert not hasattr(acc, "info_low") and not hasattr(acc, "info_high")


def test_samples_shift_between_datasets_is_refused():
    rng = np.random.default_rng(1)
    y1 = rng.integers(0, 2, 400)
    x1 = y1 + rng.integers(0, 2, 400)
    y2 = rng.integers(0, 2, 400)
    x2 = y2.copy()
    x1p = np.zeros(400, dtype=int)  # the paired data only ever shows state 0 of x1: a real shift
    x2p = rng.integers(0, 2, 400)
    with pytest.raises(InconsistentMarginalsError, match="max_inconsistency"):
        estimate_synergy_bounds(x1, y1, x2, y2, x1p, x2p)


def test_transform_needs_discretizers():
    res = synergy_bounds(*tables(gate(lambda a, b: a)))
    with pytest.raises(pid.exceptions.NotFittedError, match="estimate_synergy_bounds"):
        res.transform(x1=[0, 1])


def test_stack_table_checks(rng):
    """synergy_bounds_many: pmfs only (tolerance 1e-6, no counts); shape problems are ShapeError."""
    P = np.stack([random_pmf(rng, (2, 3, 2)) for _ in range(2)])
    p1, p2, p12 = P.sum(2), P.sum(1), P.sum(3)
    with pytest.raises(ShapeError, match=r"p_x1y must have shape \(B, \|X1\|, \|Y\|\).*synergy_bounds"):
        synergy_bounds_many(p1[0], p2, p12)
    with pytest.raises(ShapeError, match="p_x2y is empty"):
        synergy_bounds_many(p1, np.zeros((0, 3, 2)), p12)
    bad = p12.copy()
    bad[1, 0, 0] = np.nan
    with pytest.raises(InvalidPMFError, match=r"p_x1x2: tables \[1\] contain NaN"):
        synergy_bounds_many(p1, p2, bad)
    with pytest.raises(InvalidPMFError, match=r"p_x1y: table 0 sums to 10\d\d.*tolerance 1e-06.*expected a pmf"):
        synergy_bounds_many(np.round(p1 * 1000), p2, p12)
    ok = synergy_bounds_many(p1 * (1 + 1e-7), p2, p12)  # within the bounds' 1e-6
    assert np.all(ok.S_lower <= ok.S_upper + 1e-9)
    with pytest.raises(InvalidPMFError, match="p_y has 1 negative entries.*non-negative"):
        accuracy_bounds(0.1, 0.2, [1.5, -0.5])
    with pytest.raises(InvalidPMFError, match="p_y contains 1 NaN"):
        accuracy_bounds(0.1, 0.2, [0.5, np.nan])
