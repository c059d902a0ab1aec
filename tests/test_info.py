import math

import numpy as np
import pytest

from pidkit import info
from pidkit.exceptions import ParameterError
from pidkit.synthetic import gate_pmf


def test_entropy_uniform_and_units():
    p = np.full((2, 4), 1 / 8)
    assert info.entropy(p) == pytest.approx(3.0)
    assert info.entropy(p, units="nats") == pytest.approx(3 * math.log(2))
    assert info.entropy(p, 0) == pytest.approx(1.0)
    assert info.entropy(p, 1) == pytest.approx(2.0)


def test_zero_cells_contribute_nothing():
    p = np.array([[0.5, 0.0], [0.0, 0.5]])
    assert info.entropy(p) == pytest.approx(1.0)
    assert info.mutual_information(p, 0, 1) == pytest.approx(1.0)
    assert np.isfinite(info.conditional_entropy(p, 1, 0))
    assert info.conditional_entropy(p, 1, 0) == pytest.approx(0.0, abs=1e-15)


def test_xor_measures():
    p = gate_pmf("xor")
    assert info.mutual_information(p, 0, 2) == pytest.approx(0.0, abs=1e-15)
    assert info.mutual_information(p, (0, 1), 2) == pytest.approx(1.0)
    assert info.conditional_mutual_information(p, 0, 2, 1) == pytest.approx(1.0)
    assert info.co_information(p) == pytest.approx(-1.0)


def test_rdn_co_information_positive():
    assert info.co_information(gate_pmf("rdn")) == pytest.approx(1.0)


def test_chain_rule_on_random_table(rng):
    p = rng.dirichlet(np.ones(60)).reshape(3, 4, 5)
    lhs = info.mutual_information(p, (0, 1), 2)
    rhs = info.mutual_information(p, 0, 2) + info.conditional_mutual_information(p, 1, 2, 0)
    assert lhs == pytest.approx(rhs, abs=1e-12)
    h = info.entropy(p)
    assert h == pytest.approx(info.entropy(p, (0, 1)) + info.conditional_entropy(p, 2, (0, 1)), abs=1e-12)


def test_stack_axes_match_loop(rng):
    ps = rng.dirichlet(np.ones(12), size=7).reshape(7, 2, 3, 2)
    batch = info.mutual_information(ps, (0, 1), 2, stack_ndim=1)
    loop = [info.mutual_information(p, (0, 1), 2) for p in ps]
    assert batch.shape == (7,)
    np.testing.assert_allclose(batch, loop, atol=1e-14)
    np.testing.assert_allclose(info.co_information(ps, stack_ndim=1), [info.co_information(p) for p in ps], atol=1e-14)


def test_bad_units():
    with pytest.raises(ParameterError, match="units must be one of"):
        info.entropy(np.ones(2) / 2, units="dits")


def test_co_information_needs_three_axes():
    with pytest.raises(ValueError, match="3 axes"):
        info.co_information(np.ones((2, 2)) / 4)


def test_entropy_nats_and_total_variation(rng):
    p = rng.dirichlet(np.ones(12)).reshape(3, 4)
    p[0, 0] = 0.0
    assert info.entropy_nats(p) == pytest.approx(-np.sum(p[p > 0] * np.log(p[p > 0])), abs=1e-15)
    np.testing.assert_allclose(info.entropy_nats(p, axis=1), [-(r[r > 0] * np.log(r[r > 0])).sum() for r in p])
    assert info.entropy(p, units="nats") == pytest.approx(info.entropy_nats(p), abs=1e-15)
    q = rng.dirichlet(np.ones(12)).reshape(3, 4)
    assert info.total_variation(p, q) == pytest.approx(0.5 * np.abs(p - q).sum(), abs=1e-15)
    assert info.total_variation(p, p) == 0.0
    np.testing.assert_array_equal(info.total_variation(p, q, axis=1), 0.5 * np.abs(p - q).sum(axis=1))
