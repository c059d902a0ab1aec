"""Exact BROJA decomposition of joint tables: known values, identities, properties, errors."""

import warnings

import numpy as np
import pytest
from conftest import GATE_NAMES, pmfs, random_pmf
from hypothesis import HealthCheck, given, settings

import pidkit as pid
from pidkit import info
from pidkit.exceptions import ConvergenceWarning, InvalidPMFError, ParameterError
from pidkit.synthetic import GATE_ATOMS, gate_pmf

ATOMS = ("R", "U1", "U2", "S")


def check_identities(res, p, *, tol=1e-6):
    """The four PID identities (docs/getting-started.md, "What the numbers mean"), against information
    measures of p itself."""
    i1 = info.mutual_information(p, 0, 2)
    i2 = info.mutual_information(p, 1, 2)
    total = info.mutual_information(p, (0, 1), 2)
    assert res.R + res.U1 == pytest.approx(i1, abs=tol)
    assert res.R + res.U2 == pytest.approx(i2, abs=tol)
    assert res.R + res.U1 + res.U2 + res.S == pytest.approx(total, abs=tol)
    assert res.R - res.S == pytest.approx(info.co_information(p), abs=tol)
    for a in ATOMS:
        assert getattr(res, a) >= -1e-7, (a, getattr(res, a))


@pytest.mark.parametrize("solver", ["native", "clarabel", "ecos", "scs"])
@pytest.mark.parametrize("name", GATE_NAMES)
def test_gates_exact_values(name, solver):
    p = gate_pmf(name)
    res = pid.decompose(p, solver=solver)
    for atom, value in GATE_ATOMS[name].items():
        assert getattr(res, atom) == pytest.approx(value, abs=1e-6), (name, atom)
    check_identities(res, p)
    # the certificate bounds the true error
    err = max(abs(getattr(res, a) - v) for a, v in GATE_ATOMS[name].items())
    assert res.diagnostics.duality_gap >= 0
    assert err <= res.diagnostics.duality_gap + 1e-12
    assert res.diagnostics.status == "optimal"


def test_and_reference_value():
    res = pid.decompose(gate_pmf("and"))
    assert res.R == pytest.approx(0.311278, abs=1e-6)
    assert res.S == pytest.approx(0.5, abs=1e-6)


def test_units_nats():
    bits = pid.decompose(gate_pmf("sum"))
    nats = pid.decompose(gate_pmf("sum"), units="nats")
    assert nats.units == "nats"
    assert nats.S == pytest.approx(bits.S * np.log(2), abs=1e-9)
    assert nats.diagnostics.duality_gap == pytest.approx(bits.diagnostics.duality_gap * np.log(2), rel=1e-9, abs=1e-15)


@settings(max_examples=220, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=pmfs())
def test_random_pmfs_identities_and_symmetries(p):
    original = p.copy()
    with warnings.catch_warnings():
        # hypothesis also draws pathological tables (entries ~1e-11 beside ~1); there the solver
        # may stop above its 1e-8 target and warns, but its certificate must still be <= 1e-6
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = pid.decompose(p)
        sw = pid.decompose(p.transpose(1, 0, 2).copy())
    assert np.array_equal(p, original), "input modified"
    check_identities(res, p)
    # X1 <-> X2 swaps U1 <-> U2
    assert sw.U1 == pytest.approx(res.U2, abs=1e-6)
    assert sw.U2 == pytest.approx(res.U1, abs=1e-6)
    assert sw.R == pytest.approx(res.R, abs=1e-6)
    assert sw.S == pytest.approx(res.S, abs=1e-6)
    # relabeling the states of every variable changes nothing
    rng = np.random.default_rng(int(p.size))
    perm = p[rng.permutation(p.shape[0])][:, rng.permutation(p.shape[1])][:, :, rng.permutation(p.shape[2])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        rl = pid.decompose(perm)
    for a in ATOMS:
        assert getattr(rl, a) == pytest.approx(getattr(res, a), abs=1e-6)
    assert res.diagnostics.max_marginal_violation <= 1e-12
    for r in (res, sw, rl):
        assert 0 <= r.diagnostics.duality_gap <= 1e-6


@settings(max_examples=40, deadline=None)
@given(p=pmfs(max_n1=5, max_n2=5, max_ny=3))
def test_second_solver_agrees(p):
    a = pid.decompose(p, solver="clarabel")
    b = pid.decompose(p, solver="ecos")
    for atom in ATOMS:
        assert getattr(a, atom) == pytest.approx(getattr(b, atom), abs=1e-6)


def test_counts_are_normalized():
    p = gate_pmf("and")
    counts = (p * 400).astype(np.int64)
    res_c = pid.decompose(counts)
    res_p = pid.decompose(p)
    for a in ATOMS:
        assert getattr(res_c, a) == pytest.approx(getattr(res_p, a), abs=1e-9)


def test_float_counts_are_normalized():
    res = pid.decompose(gate_pmf("xor") * 12.0)
    assert res.S == pytest.approx(1.0, abs=1e-6)


def test_constant_label_is_all_zero_with_note():
    p = np.zeros((3, 2, 1))
    p[..., 0] = 1 / 6
    res = pid.decompose(p)
    assert all(getattr(res, a) == 0.0 for a in ATOMS)
    assert res.total == 0.0
    assert any("single value" in n for n in res.diagnostics.notes)


def test_zero_probability_states_are_noted():
    p = np.zeros((3, 3, 3))
    p[:2, :2, :2] = gate_pmf("xor")
    res = pid.decompose(p)
    assert res.S == pytest.approx(1.0, abs=1e-6)
    assert res.shape == (3, 3, 3)
    assert any("zero probability" in n for n in res.diagnostics.notes)


def test_unbalanced_shape(rng):
    p = random_pmf(rng, (1, 50, 3))
    res = pid.decompose(p)
    check_identities(res, p)
    assert res.R == pytest.approx(0.0, abs=1e-9)  # x1 is constant: no information


def test_medium_table_agrees_between_solvers(rng):
    p = random_pmf(rng, (12, 9, 4), sparsity=0.5)
    a = pid.decompose(p, solver="clarabel")
    b = pid.decompose(p, solver="ecos")
    for atom in ATOMS:
        assert getattr(a, atom) == pytest.approx(getattr(b, atom), abs=1e-6)
    assert a.diagnostics.duality_gap < 1e-6


def test_tight_tol_warns_with_gap():
    with pytest.warns(ConvergenceWarning, match="certified duality gap"):
        res = pid.decompose(random_pmf(np.random.default_rng(3), (8, 8, 4)), solver="scs", tol=1e-14)
    assert res.diagnostics.status.endswith("gap_above_tol")


def test_tol_is_read_in_the_call_units_and_reported_in_them():
    # one internal unit (nats): a tol in bits and the same tol in nats stop at the same point
    p = random_pmf(np.random.default_rng(3), (8, 8, 4))
    with pytest.warns(ConvergenceWarning, match=r"gap of .* nats, above tol=1\.0e-14 nats"):
        nats = pid.decompose(p, solver="scs", tol=1e-14, units="nats")
    with pytest.warns(ConvergenceWarning, match=r"gap of .* bits, above tol=1\.4e-14 bits"):
        bits = pid.decompose(p, solver="scs", tol=1e-14 / np.log(2.0), units="bits")
    assert nats.diagnostics.duality_gap == pytest.approx(bits.diagnostics.duality_gap * np.log(2.0), rel=1e-12)


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "p, match",
    [
        (np.ones((2, 2)) / 4, "must be a 3-D table.*\\(\\|X1\\|, \\|X2\\|, \\|Y\\|\\)"),
        (np.ones((2, 2, 2, 2)) / 16, "no agreed BROJA.*decompose_many"),
        (np.full((2, 2, 2), np.nan), "NaN or infinite"),
        (np.array([[[0.5, 0.5], [0.25, -0.25]], [[0, 0], [0, 0]]]), "negative"),
        (np.full((2, 2, 2), 0.1), "sums to 0.8.*normalize=True"),
        (np.zeros((2, 2, 2)), "positive total"),
        (np.zeros((0, 2, 2)), "empty"),
        (np.array([[["a", "b"]]]), "numeric table"),
    ],
)
def test_invalid_pmf(p, match):
    with pytest.raises(InvalidPMFError, match=match):
        pid.decompose(p)


def test_normalize_flag_accepts_unnormalized_floats():
    res = pid.decompose(np.full((2, 2, 2), 0.1), normalize=True)
    assert res.total == pytest.approx(0.0, abs=1e-12)


def test_unknown_solver_and_units():
    with pytest.raises(ParameterError, match="solver must be one of \\['auto', 'native', 'clarabel'"):
        pid.decompose(gate_pmf("xor"), solver="mosek")
    with pytest.raises(ParameterError, match="units must be one of"):
        pid.decompose(gate_pmf("xor"), units="bans")
    with pytest.raises(ParameterError, match="tol must be"):
        pid.decompose(gate_pmf("xor"), tol=-1)


def test_solver_failure_is_reported(monkeypatch):
    import cvxpy as cp

    from pidkit.exceptions import SolverError

    def fake_solve(self, *args, **kwargs):
        self._status = cp.INFEASIBLE_INACCURATE
        return None

    monkeypatch.setattr(cp.Problem, "solve", fake_solve)
    monkeypatch.setattr(cp.Problem, "status", property(lambda self: cp.INFEASIBLE_INACCURATE))
    with pytest.raises(SolverError, match="returned status 'infeasible_inaccurate'.*Try solver="):
        pid.decompose(gate_pmf("and"), solver="clarabel")


def test_no_warnings_on_clean_solve():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pid.decompose(gate_pmf("copy"))


def test_looking_for_a_gpu_does_not_import_torch():
    """A 3x3x2000 table solves in ~0.1 s; importing torch to ask for a GPU took 1.9 s (solver="auto")."""
    import subprocess
    import sys

    code = ("import sys, numpy as np, pidkit as pid\n"
            "p = np.random.default_rng(0).dirichlet(np.ones(3 * 3 * 2000)).reshape(3, 3, 2000)\n"
            "pid.decompose(p)\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
