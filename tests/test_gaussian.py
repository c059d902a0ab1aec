"""decompose_gaussian: the exact BROJA PID of jointly Gaussian (X1, X2, Y) from a covariance matrix.

Checked against the scalar-target closed form (the MMI PID), the PID identities, invariance under
invertible linear maps of each modality, additivity over independent systems, and a second method: a
generic optimizer over the free cross-covariance Σ_X1X2 with the positive-definiteness constraint (here
only, not in the package).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.optimize import minimize

import pidkit as pid
from pidkit.exceptions import InvalidCovarianceError, ParameterError, ShapeError

TOL = 1e-7  # bits: the solver certifies 1e-8; atoms of two solves agree within twice that and rounding


def random_cov(dims, seed, extra=4):
    rng = np.random.default_rng(seed)
    n = sum(dims)
    a = rng.normal(size=(n, n + extra))
    return a @ a.T / (n + extra)


def mi_bits(cov, a, b):
    """I(A;B) of jointly Gaussian blocks (index lists), bits."""
    ld = lambda idx: np.linalg.slogdet(cov[np.ix_(idx, idx)])[1]  # noqa: E731
    return (ld(a) + ld(b) - ld(a + b)) / (2 * math.log(2))


def check_identities(res):
    assert res.R + res.U1 == pytest.approx(res.I1, abs=1e-9)
    assert res.R + res.U2 == pytest.approx(res.I2, abs=1e-9)
    assert res.R + res.U1 + res.U2 + res.S == pytest.approx(res.total, abs=1e-9)
    for a in ("R", "U1", "U2", "S"):
        assert getattr(res, a) >= -TOL


@pytest.mark.parametrize("seed", range(6))
def test_scalar_target_is_the_mmi_pid(seed):
    dims = (1 + seed % 3, 2, 1)
    cov = random_cov(dims, seed)
    res = pid.decompose_gaussian(cov, dims)
    check_identities(res)
    d1, d2 = dims[0], dims[1]
    x1, x2, y = list(range(d1)), list(range(d1, d1 + d2)), [d1 + d2]
    assert res.I1 == pytest.approx(mi_bits(cov, x1, y), abs=1e-10)
    assert res.total == pytest.approx(mi_bits(cov, x1 + x2, y), abs=1e-10)
    assert res.R == pytest.approx(min(res.I1, res.I2), abs=TOL)
    assert min(res.U1, res.U2) == pytest.approx(0.0, abs=TOL)
    assert res.diagnostics.status == "optimal" and res.diagnostics.duality_gap <= 1e-8


def test_equal_channels_put_the_optimum_on_the_boundary():
    cov = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.5, 0.5, 1.0]])  # X1, X2 identical channels of Y
    res = pid.decompose_gaussian(cov, (1, 1, 1))
    assert res.R == pytest.approx(res.I1, abs=TOL) and res.U1 == pytest.approx(0.0, abs=TOL)


def second_method(cov, dims, seeds=6):
    """min over the free cross-covariance of I(X1,X2;Y) (nats) by Nelder-Mead, positive definiteness kept."""
    d1, d2, dy = dims
    free = [(i, d1 + j) for i in range(d1) for j in range(d2)]
    x = list(range(d1 + d2))
    y = list(range(d1 + d2, d1 + d2 + dy))

    def objective(theta):
        c = cov.copy()
        for t, (i, j) in zip(theta, free, strict=True):
            c[i, j] = c[j, i] = t
        if np.linalg.eigvalsh(c).min() <= 1e-12:
            return 1e6
        return mi_bits(c, x, y) * math.log(2)

    rng = np.random.default_rng(0)
    best = math.inf
    for s in range(seeds):
        start = np.array([cov[i, j] for i, j in free]) * (0.0 if s == 0 else rng.uniform(-1, 1))
        out = minimize(objective, start, method="Nelder-Mead",
                       options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 40_000, "maxfev": 40_000})
        best = min(best, out.fun)
    return best / math.log(2)


@pytest.mark.parametrize(("dims", "seed"), [((2, 2, 2), 0), ((1, 2, 2), 1), ((2, 2, 3), 2)])
def test_agrees_with_a_generic_optimizer(dims, seed):
    cov = random_cov(dims, seed)
    res = pid.decompose_gaussian(cov, dims)
    check_identities(res)
    f_star = res.total - res.S  # min over couplings of I_q(X1,X2;Y)
    assert f_star == pytest.approx(second_method(cov, dims), abs=1e-5)
    assert f_star <= second_method(cov, dims) + TOL  # never above what a feasible coupling reaches


def test_invariant_under_invertible_maps_of_each_modality():
    dims = (3, 2, 2)
    cov = random_cov(dims, 7)
    rng = np.random.default_rng(1)
    t = np.eye(7)
    t[:3, :3] = rng.normal(size=(3, 3)) + 3 * np.eye(3)
    t[3:5, 3:5] = rng.normal(size=(2, 2)) + 3 * np.eye(2)
    base, mapped = pid.decompose_gaussian(cov, dims), pid.decompose_gaussian(t @ cov @ t.T, dims)
    for a in ("R", "U1", "U2", "S", "total"):
        assert getattr(mapped, a) == pytest.approx(getattr(base, a), abs=TOL)


def test_additive_over_independent_systems():
    da, db = (2, 1, 2), (1, 2, 1)
    ca, cb = random_cov(da, 3), random_cov(db, 4)
    ra, rb = pid.decompose_gaussian(ca, da), pid.decompose_gaussian(cb, db)
    # (X1a, X1b, X2a, X2b, Ya, Yb) from the block-diagonal joint
    ia = {"x1": [0, 1], "x2": [2], "y": [3, 4]}
    ib = {"x1": [0], "x2": [1, 2], "y": [3]}
    order = [("a", ia["x1"]), ("b", ib["x1"]), ("a", ia["x2"]), ("b", ib["x2"]), ("a", ia["y"]), ("b", ib["y"])]
    full = np.zeros((9, 9))
    full[:5, :5], full[5:, 5:] = ca, cb
    perm = [i if s == "a" else 5 + i for s, idx in order for i in idx]
    res = pid.decompose_gaussian(full[np.ix_(perm, perm)], (3, 3, 3))
    for a in ("R", "U1", "U2", "S", "total"):
        assert getattr(res, a) == pytest.approx(getattr(ra, a) + getattr(rb, a), abs=2 * TOL)


def test_large_dimensions_reduce_to_the_sufficient_statistics():
    dims = (200, 150, 6)
    res = pid.decompose_gaussian(random_cov(dims, 5, extra=20), dims)
    check_identities(res)
    assert res.diagnostics.duality_gap <= 1e-8 and "6 and 6 dimensions" in res.diagnostics.notes[0]
    assert "jointly Gaussian, dimensions 200 + 150 -> 6" in str(res)
    assert pid.PIDResult.from_json(res.to_json()) == res


def test_a_modality_independent_of_the_target():
    cov = np.eye(4)
    cov[0, 3] = cov[3, 0] = 0.5  # X1a informative, X2 independent of everything
    res = pid.decompose_gaussian(cov, (2, 1, 1))
    assert res.I2 == pytest.approx(0.0, abs=1e-12) and res.U1 == pytest.approx(res.I1) and res.R == 0.0


def test_bad_covariances_are_refused():
    cov = random_cov((1, 1, 1), 0)
    with pytest.raises(ShapeError, match="size d1 \\+ d2 \\+ dy = 4"):
        pid.decompose_gaussian(cov, (1, 2, 1))
    with pytest.raises(ParameterError, match="dims"):
        pid.decompose_gaussian(cov, (1, 1))
    bad = cov.copy()
    bad[0, 1] += 1.0
    with pytest.raises(InvalidCovarianceError, match="not symmetric"):
        pid.decompose_gaussian(bad, (1, 1, 1))
    with pytest.raises(InvalidCovarianceError, match="NaN"):
        pid.decompose_gaussian(np.full((3, 3), np.nan), (1, 1, 1))
    deterministic = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])  # X1 = Y exactly
    with pytest.raises(InvalidCovarianceError, match="given Y is singular"):
        pid.decompose_gaussian(deterministic, (1, 1, 1))


def test_nats_and_bits_agree_and_the_budget_warns():
    cov = random_cov((3, 3, 3), 9)
    bits, nats = pid.decompose_gaussian(cov, (3, 3, 3)), pid.decompose_gaussian(cov, (3, 3, 3), units="nats")
    assert nats.R == pytest.approx(bits.R * math.log(2), abs=1e-7)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        short = pid.decompose_gaussian(cov, (3, 3, 3), max_iter=2)
    assert any("certified gap" in str(w.message) for w in caught) and short.diagnostics.duality_gap > 1e-8


def gaussian_samples(n, seed=0, dims=(3, 2, 1)):
    rng = np.random.default_rng(seed)
    cov = random_cov(dims, seed)
    z = rng.multivariate_normal(np.zeros(sum(dims)), cov, size=n)
    d1, d2, _ = dims
    return cov, z[:, :d1], z[:, d1:d1 + d2], z[:, d1 + d2:]


def test_estimate_on_samples_with_a_continuous_target():
    cov, x1, x2, y = gaussian_samples(20_000, dims=(3, 2, 2))
    truth = pid.decompose_gaussian(cov, (3, 2, 2))
    res = pid.estimate(x1, x2, y, estimator="gaussian")  # a 2-D continuous target: no y_bins needed
    assert res.estimator == "gaussian" and res.n_samples == 20_000 and res.shape == (3, 2, 2)
    for a in ("R", "U1", "U2", "S"):
        assert getattr(res, a) == pytest.approx(getattr(truth, a), abs=0.02)
    one = pid.estimate(x1, x2, y[:, 0], estimator="gaussian")  # a scalar one: the MMI PID
    assert one.R == pytest.approx(min(one.I1, one.I2), abs=TOL)


def test_parametric_bootstrap_intervals_and_bias_correction():
    cov, x1, x2, y = gaussian_samples(2_000, seed=3)
    truth = pid.decompose_gaussian(cov, (3, 2, 1))
    res = pid.estimate(x1, x2, y, estimator="gaussian", ci=0.95, n_boot=60, random_state=0,
                       ci_method="parametric")
    unc = res.uncertainty
    assert unc.method == "parametric" and unc.n_boot == 60
    for q in ("R", "U1", "S", "total"):
        lo, hi = res.ci(q)
        assert lo <= getattr(res, q) + 1e-12 and getattr(res, q) <= hi + 1e-12
        assert lo - 3 * unc.std[q] <= getattr(truth, q) <= hi + 3 * unc.std[q]
    assert set(unc.corrected["bootstrap"]) >= {"R", "U1", "U2", "S"}
    again = pid.estimate(x1, x2, y, estimator="gaussian", ci=0.95, n_boot=60, random_state=0,
                         ci_method="parametric")
    assert again.ci("S") == res.ci("S")  # deterministic given random_state
    assert pid.PIDResult.from_json(res.to_json()) == res
    over_samples = pid.estimate(x1, x2, y, estimator="gaussian", ci=0.95, n_boot=60, random_state=0)
    assert over_samples.uncertainty.method == "resample"  # the default: the samples drawn with replacement
    for q in ("R", "S"):  # the two bootstraps agree on the spread of Gaussian data
        assert over_samples.uncertainty.std[q] == pytest.approx(unc.std[q], rel=0.5)


def test_gaussian_estimator_refuses_what_it_cannot_do():
    _, x1, x2, y = gaussian_samples(200)
    with pytest.raises(ParameterError,
                       match="ci_method for estimator='gaussian' must be one of \\['resample', 'parametric'\\]"):
        pid.estimate(x1, x2, y, estimator="gaussian", ci=0.9, ci_method="bca")
    with pytest.raises(ParameterError, match="permutation tests"):
        pid.estimate(x1, x2, y, estimator="gaussian", n_perm=100)
    with pytest.raises(ParameterError, match="pass ci="):
        pid.estimate(x1, x2, y, estimator="gaussian", bias=True)
    with pytest.raises(ShapeError, match="more samples than dimensions"):
        pid.estimate(x1[:6], x2[:6], y[:6], estimator="gaussian")
    with pytest.raises(ShapeError, match="needs numbers"):
        pid.estimate(np.array(["a", "b"] * 100), x2, y, estimator="gaussian")


def test_copula_is_invariant_under_increasing_maps_of_each_dimension():
    cov, x1, x2, y = gaussian_samples(5_000, seed=4)
    base = pid.estimate(x1, x2, y, estimator="copula")
    warped = pid.estimate(np.exp(x1), x2 ** 3, 1 / (1 + np.exp(-3 * y)), estimator="copula")
    for a in ("R", "U1", "U2", "S", "total"):
        assert getattr(warped, a) == pytest.approx(getattr(base, a), abs=1e-12)  # the same ranks
    truth = pid.decompose_gaussian(cov, (3, 2, 1))
    assert base.estimator == "copula" and base.R == pytest.approx(truth.R, abs=0.02)
    # the plain Gaussian estimate of the warped data is off; the copula's is not
    plain = pid.estimate(np.exp(x1), x2 ** 3, 1 / (1 + np.exp(-3 * y)), estimator="gaussian")
    assert abs(plain.total - truth.total) > abs(base.total - truth.total)
    with_ci = pid.estimate(np.exp(x1), x2, y, estimator="copula", ci=0.9, n_boot=30, random_state=0)
    assert with_ci.uncertainty.method == "resample" and "normal scores" in with_ci.diagnostics.notes[0]


def test_dask_collections_give_the_in_memory_answer():
    da = pytest.importorskip("dask.array")
    cov, x1, x2, y = gaussian_samples(6_000, seed=5)
    x1 = x1 + 1e6  # a large mean: the partitions' moments are combined without cancellation
    local = pid.estimate(x1, x2, y, estimator="gaussian")
    chunks = [da.from_array(a, chunks=(1_000, -1)) for a in (x1, x2, y)]
    dist = pid.estimate(*chunks, estimator="gaussian", ci=0.9, n_boot=30, random_state=0)
    for a in ("R", "U1", "U2", "S", "total"):
        assert getattr(dist, a) == pytest.approx(getattr(local, a), abs=1e-9)
    assert dist.n_samples == 6_000 and dist.uncertainty.method == "parametric"
    # the copula ranks against a sample drawn in a first pass; with all rows sampled it is the in-memory one
    warped = [da.from_array(a, chunks=(1_000, -1)) for a in (np.exp(x1 - 1e6), x2 ** 3, y)]
    cop = pid.estimate(*warped, estimator="copula")
    mem = pid.estimate(np.exp(x1 - 1e6), x2 ** 3, y, estimator="copula")
    assert cop.estimator == "copula" and cop.total == pytest.approx(mem.total, abs=2e-3)
    with pytest.raises(ParameterError, match="resample"):
        pid.estimate(*chunks, estimator="gaussian", ci=0.9, ci_method="resample")
