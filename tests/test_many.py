import numpy as np
import pytest
from conftest import random_pmf

import pidkit as pid
from pidkit.exceptions import InvalidPMFError, ParameterError


def test_matches_decompose_per_table():
    rng = np.random.default_rng(0)
    ps = np.stack([random_pmf(rng, (3, 3, 2), sparsity=0.3 * (i % 3)) for i in range(40)])
    batch = pid.decompose_many(ps)
    assert len(batch) == 40 and batch.converged.all()
    assert (batch.duality_gap >= 0).all() and (batch.duality_gap <= 1e-8).all()
    for i, p in enumerate(ps):
        one = pid.decompose(p)
        for atom in ("R", "U1", "U2", "S", "total", "I1", "I2"):
            assert getattr(batch, atom)[i] == pytest.approx(getattr(one, atom), abs=1e-7)


def test_identities_hold_elementwise():
    ps = np.random.default_rng(1).dirichlet(np.ones(8), size=500).reshape(500, 2, 2, 2)
    b = pid.decompose_many(ps)
    np.testing.assert_allclose(b.R + b.U1, b.I1, atol=1e-12)
    np.testing.assert_allclose(b.R + b.U2, b.I2, atol=1e-12)
    np.testing.assert_allclose(b.R + b.U1 + b.U2 + b.S, b.total, atol=1e-12)
    assert (np.stack([b.R, b.U1, b.U2, b.S]) >= -1e-7).all()


def test_gates_and_degenerate_tables():
    from pidkit.synthetic import GATE_ATOMS, gate_pmf

    names = ["xor", "and", "or", "rdn", "unq"]
    ps = np.stack([gate_pmf(n) for n in names])
    const = np.zeros((1, 2, 2, 2))
    const[0, :, :, 0] = 0.25  # a single label
    b = pid.decompose_many(np.concatenate([ps, const]))
    for i, n in enumerate(names):
        for atom, v in GATE_ATOMS[n].items():
            assert getattr(b, atom)[i] == pytest.approx(v, abs=1e-7)
    assert all(abs(getattr(b, a)[-1]) < 1e-12 for a in ("R", "U1", "U2", "S"))


def test_counts_units_and_errors():
    ps = np.random.default_rng(2).dirichlet(np.ones(8), size=5).reshape(5, 2, 2, 2)
    counts = np.round(ps * 1000)
    b_counts = pid.decompose_many(counts)
    assert b_counts.converged.all()
    nats = pid.decompose_many(ps, units="nats")
    bits = pid.decompose_many(ps)
    np.testing.assert_allclose(nats.S, bits.S * np.log(2), atol=1e-9)
    with pytest.raises(InvalidPMFError, match="shape \\(B, \\|X1\\|, \\|X2\\|, \\|Y\\|\\)"):
        pid.decompose_many(ps[0])
    with pytest.raises(InvalidPMFError, match="table 1 sums to"):
        pid.decompose_many(np.stack([ps[0], ps[1] * 0.5]))
    assert pid.decompose_many(np.stack([ps[0], ps[1] * 0.5]), normalize=True).converged.all()
    bad = ps.copy()
    bad[3, 0, 0, 0] = np.nan
    with pytest.raises(InvalidPMFError, match="tables \\[3\\] contain NaN"):
        pid.decompose_many(bad)
    with pytest.raises(ParameterError, match="tol must be"):
        pid.decompose_many(ps, tol=0)


def test_batch_validation_matches_single_table_checks():
    """decompose_many and decompose share one validator: same error classes, same tolerance."""
    ps = np.random.default_rng(4).dirichlet(np.ones(8), size=3).reshape(3, 2, 2, 2)
    bad = ps.copy()
    bad[1, 0, 0, 0] = -0.1
    with pytest.raises(InvalidPMFError, match=r"p: tables \[1\] have negative entries"):
        pid.decompose_many(bad)
    with pytest.raises(InvalidPMFError, match=r"tables \[0, 1, 2\] sum to 0.0; expected a positive total"):
        pid.decompose_many(np.zeros((3, 2, 2, 2)))
    with pytest.raises(InvalidPMFError, match=r"p is empty"):
        pid.decompose_many(np.zeros((0, 2, 2, 2)))
    with pytest.raises(InvalidPMFError, match=r"table 2 sums to .*tolerance 1e-09.*\(1 of 3 tables are off"):
        pid.decompose_many(np.stack([ps[0], ps[1], ps[2] * (1 + 1e-7)]))
    # within 1e-9 of 1: accepted by both
    near = ps * (1 + 1e-10)
    res = pid.decompose_many(near)
    assert res.S[0] == pytest.approx(pid.decompose(near[0]).S, abs=1e-9)


def test_a_batched_solve_that_stalls_is_solved_again_alone():
    # table 2732 of this batch cycles in the batched solver (200 iterations, gap 4e-4 bits);
    # decompose_many solves it once more by itself and keeps the certified result
    p = np.random.default_rng(6).dirichlet(np.ones(36), size=3000).reshape(3000, 3, 3, 4)[2730:2735]
    res = pid.decompose_many(p)
    assert res.converged.all() and res.duality_gap.max() <= 1e-8
    alone = pid.decompose(p[2])
    assert res.S[2] == pytest.approx(alone.S, abs=2e-8) and res.iterations[2] > 200


def test_near_degenerate_tables_reach_tol_through_the_single_table_path():
    # Dirichlet(0.2) 2x2x2 tables put ~1e-10 next to ~1: the batched kernel stops above tol on a few
    # (gaps 1e-8..1e-5 bits on these five); decompose_many re-solves them alone (with decompose's
    # Clarabel second opinion) and reports certified gaps within tol
    p = np.random.default_rng(7).dirichlet(np.full(8, 0.2), size=5000).reshape(5000, 2, 2, 2)
    res = pid.decompose_many(p[[293, 317, 1533, 2606, 3301]])
    assert res.converged.all() and res.duality_gap.max() <= 1e-8
