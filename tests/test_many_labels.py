"""Tables with few (x1, x2) pairs and many labels, and memory refused before it is allocated (issue 16)."""

import numpy as np
import pytest

import pidkit as pid
from pidkit.estimators._problem import BROJAProblem, check_pmf
from pidkit.estimators.native_backend import plan_native
from pidkit.exceptions import TableTooLargeError
from pidkit.kernels import native_available

native = pytest.mark.skipif(not native_available(), reason="needs the compiled kernel")


def _label_table(n1, n2, ny, n, seed):
    """Counts of a label that x1 and x2 each see through a different noisy modular map."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, ny, n)
    x1 = (y + rng.integers(0, 2, n)) % n1
    x2 = (7 * y + rng.integers(0, 3, n)) % n2
    t = np.zeros((n1, n2, ny))
    np.add.at(t, (x1, x2, y), 1)
    return t


def _check_identities(r, tol=1e-7):
    assert r.R + r.U1 == pytest.approx(r.I1, abs=tol)
    assert r.R + r.U2 == pytest.approx(r.I2, abs=tol)
    assert r.R + r.U1 + r.U2 + r.S == pytest.approx(r.total, abs=tol)
    assert min(r.atoms.values()) >= -tol


@native
@pytest.mark.parametrize("shape", [(3, 3, 40), (4, 5, 30), (2, 6, 80), (6, 2, 25)])
def test_label_elimination_matches_pair_elimination(shape):
    for seed in range(3):
        rng = np.random.default_rng(seed)
        p = rng.dirichlet(np.full(int(np.prod(shape)), 0.4)).reshape(shape)
        if seed == 2:  # a sparse table: many off-support cells
            p[p < np.quantile(p, 0.6)] = 0
            p /= p.sum()
        by_pairs = pid.decompose(p, elimination="pairs", tol=1e-10)
        by_labels = pid.decompose(p, elimination="labels", tol=1e-10)
        for a in ("R", "U1", "U2", "S"):
            assert by_labels.atoms[a] == pytest.approx(by_pairs.atoms[a], abs=2e-9)
        assert by_labels.diagnostics.duality_gap <= 1e-10
        _check_identities(by_labels)


@native
def test_auto_chooses_label_elimination_for_many_labels():
    prob = BROJAProblem.from_pmf(check_pmf(_label_table(3, 3, 2000, 20000, 0)))
    choice, plan = plan_native(prob)
    assert choice == "labels" and plan["flops_labels"] * 100 < plan["flops_pairs"]
    prob = BROJAProblem.from_pmf(check_pmf(np.random.default_rng(0).dirichlet(np.ones(8000)).reshape(20, 20, 20)))
    assert plan_native(prob)[0] == "pairs"


@native
def test_3x3x2000_and_10x10x1000_reach_the_certified_gap():
    for shape, n in (((3, 3, 2000), 20000), ((10, 10, 1000), 30000)):
        r = pid.decompose(_label_table(*shape, n, 1))
        assert r.diagnostics.status == "optimal" and r.diagnostics.duality_gap <= 1e-8
        _check_identities(r)


@native
def test_one_label_per_sample_no_native_memory_error():
    # a 3 x 3 x 100,000 table: the pair elimination's node blocks alone would need 240 GB
    # (before: MemoryError std::bad_alloc from the kernel)
    rng = np.random.default_rng(0)
    n = 100_000
    x1, x2 = rng.integers(0, 3, n), rng.integers(0, 3, n)
    with pytest.warns(pid.exceptions.PlugInBiasWarning):  # one label per sample: declared class codes
        r = pid.estimate(x1, x2, np.arange(n), discretizer=pid.Discretizer(kind={"y": "categorical"}))
    assert r.shape == (3, 3, n) and r.diagnostics.duality_gap <= 1e-8
    # each label is one sample: its (x1, x2) is known, so x1 and x2 each carry log2(3) bits
    assert r.I1 == pytest.approx(np.log2(3), abs=1e-3) and r.I2 == pytest.approx(np.log2(3), abs=1e-3)
    _check_identities(r)


@native
def test_forced_pair_elimination_is_refused_before_allocating():
    t = _label_table(3, 3, 100_000, 300_000, 0)
    with pytest.raises(TableTooLargeError, match=r"GiB of working memory \(elimination 'pairs'\).*max_solver_bytes"):
        pid.decompose(t, elimination="pairs")


def test_solver_budget_is_checked_before_solving():
    p = np.random.default_rng(0).dirichlet(np.ones(1000)).reshape(10, 10, 10)
    with pytest.raises(TableTooLargeError, match="working memory"):
        pid.decompose(p, max_solver_bytes=10_000)
    # auto falls back to the other elimination when only that one fits
    prob = BROJAProblem.from_pmf(check_pmf(_label_table(3, 3, 300, 3000, 0)))
    choice, plan = plan_native(prob)
    if native_available():
        assert choice == "labels"
        squeezed = int(plan["bytes_labels"]) + 1
        assert plan["bytes_pairs"] > squeezed
        assert plan_native(prob, max_bytes=squeezed)[0] == "labels"


def test_kernel_memory_error_becomes_table_too_large(monkeypatch):
    from pidkit.estimators import native_backend

    class Boom:
        @staticmethod
        def ipm_plan(*args):
            return {"elimination": "pairs", "bytes": 1.0, "bytes_pairs": 1.0, "bytes_labels": 1.0}

        @staticmethod
        def ipm_solve(*args, **kwargs):
            raise MemoryError("std::bad_alloc")

    monkeypatch.setattr(native_backend, "get_kernel", lambda name: Boom)
    monkeypatch.setattr(native_backend, "kernel_name", lambda kernel=None: "native")
    with pytest.raises(TableTooLargeError, match="ran out of memory"):
        pid.decompose(np.random.default_rng(0).dirichlet(np.ones(8)).reshape(2, 2, 2))


def test_huge_table_refused_before_any_copy():
    # a read-only broadcast view takes no memory; its float64 copy would take 9.3 GiB
    view = np.broadcast_to(np.float32(1.0), (5000, 5000, 50))
    with pytest.raises(TableTooLargeError, match=r"the table p has 5000 x 5000 x 50 = 1,250,000,000 cells"):
        pid.decompose(view)
    with pytest.raises(TableTooLargeError, match="the stack p"):
        pid.decompose_many(np.broadcast_to(np.float32(1.0), (2_000_000, 10, 10, 2)))
    small = np.random.default_rng(0).dirichlet(np.ones(8)).reshape(2, 2, 2)
    with pytest.raises(TableTooLargeError, match="max_table_bytes=32"):
        pid.decompose(small, max_table_bytes=32)


def test_bad_elimination_and_budget_options():
    p = np.random.default_rng(0).dirichlet(np.ones(8)).reshape(2, 2, 2)
    with pytest.raises(pid.exceptions.ParameterError, match="elimination must be one of"):
        pid.decompose(p, elimination="rows")
    with pytest.raises(pid.exceptions.ParameterError, match="max_solver_bytes"):
        pid.decompose(p, max_solver_bytes=0)


def test_decompose_many_normalize_must_be_a_bool():
    p = np.random.default_rng(0).dirichlet(np.ones(8), size=3).reshape(3, 2, 2, 2)
    with pytest.raises(pid.exceptions.ParameterError, match="normalize must be True or False"):
        pid.decompose_many(p, normalize="no")


def test_bounds_refuse_a_huge_joint_table_before_allocating():
    from pidkit.bounds import estimate_synergy_bounds, synergy_bounds, synergy_bounds_many

    p1 = np.broadcast_to(np.float32(1e-8), (20_000, 100))
    p2 = np.broadcast_to(np.float32(1e-8), (20_000, 100))
    p12 = np.broadcast_to(np.float32(1e-8), (20_000, 20_000))
    with pytest.raises(TableTooLargeError, match="the joint table of these inputs has 20000 x 20000 x 100"):
        synergy_bounds(p1, p2, p12)
    with pytest.raises(TableTooLargeError, match="the joint table of these inputs has 1000 x 200 x 200 x 10"):
        synergy_bounds_many(np.broadcast_to(np.float32(0.1), (1000, 200, 10)),
                            np.broadcast_to(np.float32(0.1), (1000, 200, 10)),
                            np.broadcast_to(np.float32(0.1), (1000, 200, 200)))
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 4, 400), rng.integers(0, 3, 400)
    with pytest.raises(TableTooLargeError, match="max_table_bytes=100"):
        estimate_synergy_bounds(x, y, x, y, x, x, max_table_bytes=100)


def test_table_shape_and_feature_dims_say_one_thing_each():
    r = pid.decompose(np.random.default_rng(0).dirichlet(np.ones(12)).reshape(2, 3, 2))
    assert r.table_shape == (2, 3, 2) and r.feature_dims is None
    b = pid.PIDResult.from_dict({**r.to_dict(), "estimator": "batch", "shape": [32, 16, 4]})
    assert b.table_shape is None and b.feature_dims == (32, 16)


def test_batch_estimator_only_stores_options_when_created():
    from pidkit.estimators.batch import BatchEstimator

    est = BatchEstimator(lr=-1.0)  # like every pidkit estimator: validated at estimate time
    assert est.lr == -1.0
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    y = rng.integers(0, 2, 200)
    with pytest.raises(pid.exceptions.ParameterError, match="lr must be"):
        pid.estimate(x, x, y, estimator="batch", lr=-1.0)
