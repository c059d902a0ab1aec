import numpy as np
import pytest
from conftest import random_pmf

import pidkit as pid
import pidkit.kernels as kernels
from pidkit.exceptions import InvalidPMFError, ParameterError

needs_native = pytest.mark.skipif(not kernels.native_available(), reason="compiled kernel not built")


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


def test_stack_validation_matches_single_table_checks():
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
    # Dirichlet(0.2) 2x2x2 tables put ~1e-10 next to ~1. The batched kernel stopped above tol on the
    # first five (gaps 1e-8..1e-5 bits) until the mass-scaled regularization (docs/dev-notes.md,
    # "Mass-scaled regularization") and now solves them; it still stops above tol on 4534 (1 of these
    # 5000), which decompose_many re-solves alone (with decompose's Clarabel second opinion)
    p = np.random.default_rng(7).dirichlet(np.full(8, 0.2), size=5000).reshape(5000, 2, 2, 2)
    res = pid.decompose_many(p[[293, 317, 1533, 2606, 3301, 4534]])
    assert res.converged.all() and res.duality_gap.max() <= 1e-8
    assert (res.iterations[:5] <= 40).all() and res.iterations[5] > 200


# Dirichlet(0.05) tables (entries from ~1e-30 to ~1) on which the batched kernel stalled for all 200
# iterations before the mass-scaled regularization and the trust region of a step (docs/dev-notes.md,
# "Mass-scaled regularization"): table 719 of the 2x2x2 and of the 3x3x2 batch of the issue, 591 and
# 7233 of the 2x2x2 one, 5054 of the 3x3x2 one
STALLED = [
    [
        2.9281955023991566e-08,
        0.4252480530838909,
        6.191525884202498e-10,
        8.000717952997755e-05,
        1.4482536476104468e-11,
        2.4504351824538654e-07,
        9.620006409266593e-12,
        0.5746716647678507,
    ],
    [
        2.399349845833677e-12,
        0.8975432841768836,
        4.370102131166131e-14,
        0.043545100421102836,
        1.7919858610900082e-12,
        0.0011136878225456188,
        1.1120592750262735e-10,
        6.131149067619417e-06,
        0.00015973519964491815,
        4.2864826105187416e-10,
        0.023522980138548314,
        1.989885605011903e-10,
        5.240825526524114e-08,
        9.018827539553188e-25,
        0.034087528335164936,
        1.7638574579342082e-05,
        1.5864555263770646e-08,
        3.845166574558527e-06,
    ],
    [
        8.74231633644901e-06,
        3.571802706612949e-17,
        8.42171177192704e-20,
        4.884260995482396e-08,
        3.654428566367038e-08,
        0.9999907547030904,
        4.175936192304515e-07,
        5.836586397410967e-14,
    ],
    [
        4.278130787517082e-07,
        0.997883712153917,
        0.001500596890400315,
        4.460169156786497e-05,
        6.303501267497184e-06,
        7.792894175794968e-16,
        0.000564357945692854,
        4.0749744446477635e-12,
    ],
    [
        1.2937542645263171e-05,
        1.2168932486005685e-10,
        4.1213376370348485e-06,
        3.549745222854038e-17,
        2.5504658443201694e-19,
        2.60315982149308e-18,
        0.8751126688084544,
        1.4783695661026843e-14,
        0.01039512463138848,
        5.830782956176263e-07,
        1.4535792247137438e-08,
        5.763931373287415e-14,
        0.1144744798045705,
        3.056421249922667e-21,
        1.2601978406984975e-14,
        3.1772269051404614e-12,
        3.525266536793171e-35,
        7.013626483666564e-08,
    ],
]


@pytest.mark.parametrize("kernel", ["python", pytest.param("native", marks=needs_native)])
@pytest.mark.parametrize("table", range(len(STALLED)))
def test_batched_kernel_does_not_stall_on_tiny_masses(kernel, table):
    # before: 200 iterations, certified gaps 3e-8..1e-2 nats; now 6..20 iterations with both kernels
    t = np.array(STALLED[table])
    p = t.reshape((1, 2, 2, 2) if t.size == 8 else (1, 3, 3, 2))
    out = kernels.get_kernel(kernel).ipm_solve_many(p, 1e-8 * np.log(2), 200, 1)
    assert bool(out["converged"][0]) and out["gap"][0] <= 1e-8 * np.log(2)
    assert out["iterations"][0] <= 40


@needs_native
@pytest.mark.parametrize("shape", [(2, 2, 2), (3, 3, 2)])
def test_dirichlet_005_batch_converges_in_the_batched_kernel(shape):
    # Before: ~17% (2x2x2) and ~12% (3x3x2) of such tables ran into max_iter in the batched kernel
    # and were re-solved alone (20 s for 10,000). Now ~0.06% still do (a 4-cycle of Mehrotra steps
    # on an infeasible dual, or an inactive pair that has to become active with mu at its floor).
    n = 2000
    p = np.random.default_rng(0).dirichlet(np.full(int(np.prod(shape)), 0.05), size=n).reshape(n, *shape)
    res = pid.decompose_many(p)
    assert res.converged.all() and res.duality_gap.max() <= 1e-8
    assert (res.iterations > 200).sum() <= 4
    assert np.percentile(res.iterations, 99) <= 60
