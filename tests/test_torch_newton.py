"""solver="torch": the twin's interior-point loop with Newton systems factored by torch (Schur complement).

Runs on CPU torch; the same code runs on CUDA (``device="cuda"``) where there is a GPU.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
from conftest import GATE_NAMES, random_pmf

import pidkit as pid
from pidkit import kernels
from pidkit.estimators import exact
from pidkit.exceptions import MissingDependencyError, ParameterError
from pidkit.kernels import ipm
from pidkit.kernels.support import pair_major_support
from pidkit.synthetic import gate_pmf

torch = pytest.importorskip("torch")
from pidkit.kernels.torch_newton import TorchSchurNewton, b_side  # noqa: E402

needs_native = pytest.mark.skipif(not kernels.native_available(), reason="compiled kernel not built")
ATOMS = ("R", "U1", "U2", "S")


@pytest.fixture(autouse=True)
def _one_native_thread(monkeypatch):
    """The tables here are small: one kernel thread avoids oversubscription next to torch's threads."""
    monkeypatch.setenv("PIDKIT_NUM_THREADS", "1")


def _random_tables():
    rng = np.random.default_rng(2024)
    shapes = [(2, 2, 2), (3, 3, 2), (4, 5, 3), (6, 6, 4), (8, 7, 3), (10, 10, 5), (12, 9, 6), (20, 20, 8)]
    tables = [random_pmf(rng, s, alpha=0.5) for s in shapes]
    tables += [random_pmf(rng, (9, 8, 4), sparsity=0.6), random_pmf(rng, (12, 12, 5), sparsity=0.8, alpha=0.3)]
    zero_states = random_pmf(rng, (7, 6, 5), sparsity=0.3)
    zero_states[2] = 0.0  # a state of x1 without mass
    zero_states[:, :, 4] = 0.0  # a label without mass
    tables.append(zero_states / zero_states.sum())
    return tables


def _assert_matches_native(p):
    torch_res = pid.decompose(p, solver="torch", device="cpu")
    native_res = pid.decompose(p, solver="native")
    assert torch_res.diagnostics.solver == "native/ipm (torch Schur, cpu)"
    assert torch_res.diagnostics.duality_gap <= 1e-8
    for atom in ATOMS:
        assert abs(getattr(torch_res, atom) - getattr(native_res, atom)) <= 1e-8, atom


@needs_native
@pytest.mark.parametrize("gate", GATE_NAMES)
def test_gates_match_native(gate):
    _assert_matches_native(gate_pmf(gate))


@needs_native
@pytest.mark.parametrize("idx", range(len(_random_tables())))
def test_random_tables_match_native(idx):
    _assert_matches_native(_random_tables()[idx])


@needs_native
def test_more_x2_states_than_x1_keeps_x1_in_the_schur_complement():
    p = random_pmf(np.random.default_rng(5), (4, 11, 3), alpha=0.5)
    assert b_side(4, 11) == 1 and b_side(11, 4) == 2 and b_side(5, 5) == 2
    _assert_matches_native(p)
    _assert_matches_native(p.transpose(1, 0, 2))


@needs_native
def test_count_table():
    counts = np.random.default_rng(9).integers(0, 6, size=(6, 5, 4))
    _assert_matches_native(counts)
    res = pid.decompose(counts, solver="torch", device="cpu")
    assert res.diagnostics.duality_gap <= 1e-8


@pytest.mark.parametrize(("shape", "sparsity", "prox"), [((7, 5, 4), 0.0, 0.0), ((5, 8, 3), 0.5, 0.0),
                                                          ((9, 9, 5), 0.6, 1e-6), ((4, 4, 6), 0.3, 1e-8)])
def test_schur_solve_matches_dense_solve(shape, sparsity, prox):
    rng = np.random.default_rng(sum(shape))
    p = random_pmf(rng, shape, sparsity=sparsity)
    args = pair_major_support(p)
    n1, n2, ny = shape
    pr = ipm._Pairs(*args)
    supp = pr.supp()
    assert not supp.all() or sparsity == 0.0  # the sparse cases have off-support unknowns
    keep = pr.gauge_keep(side=b_side(n1, n2))
    x = rng.normal(size=pr.nv)
    _, P = pr.lse(x)
    s, z = rng.uniform(0.1, 2.0, pr.m), rng.uniform(0.05, 3.0, pr.m)
    H = pr.dense_H(s, s / z - s, P)[np.ix_(keep, keep)]
    H = H + prox * np.trace(H) / len(H) * np.eye(len(H)) if prox > 0 else H
    rhs = np.where(supp, rng.normal(size=pr.nv), 0.0)
    expected = np.zeros(pr.nv)
    expected[keep] = np.linalg.solve(H, rhs[keep])
    newton = TorchSchurNewton(n1, n2, ny, pr.i1, pr.i2, supp, keep, device="cpu")
    newton.set_point(s, z, P)
    assert newton.factor(prox)
    got = newton.solve(rhs)
    assert np.linalg.norm(got - expected) <= 1e-10 * np.linalg.norm(expected)
    assert np.all(got[~keep] == 0.0)


def test_pins_must_be_on_the_kept_side():
    pr = ipm._Pairs(*pair_major_support(random_pmf(np.random.default_rng(1), (5, 3, 2))))
    with pytest.raises(ValueError, match="gauge pins must be unknowns of x2"):
        TorchSchurNewton(5, 3, 2, pr.i1, pr.i2, pr.supp(), pr.gauge_keep(side=1))


def test_twin_newton_option():
    args = pair_major_support(gate_pmf("and"))
    dense = ipm.ipm_solve(*args, 1e-10, 100)
    via_torch = ipm.ipm_solve(*args, 1e-10, 100, newton="torch", device="cpu")
    assert via_torch["converged"] and abs(via_torch["primal"] - dense["primal"]) <= 1e-10
    with pytest.raises(ValueError, match="newton must be 'dense' or 'torch'"):
        ipm.ipm_solve(*args, 1e-10, 100, newton="sparse")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on machines without CUDA")
def test_cuda_without_gpu_is_a_parameter_error():
    with pytest.raises(ParameterError, match="torch.cuda.is_available"):
        pid.decompose(gate_pmf("xor"), solver="torch", device="cuda")
    est = exact.ExactEstimator(solver="torch", device="cuda")
    with pytest.raises(ParameterError, match="device='cpu'"):
        est.estimate([0, 1], [1, 0], [1, 1], discretizer=pid.Discretizer(), units="bits")


def test_bad_device_and_labels_elimination():
    with pytest.raises(ParameterError, match="device must be"):
        pid.decompose(gate_pmf("xor"), device="gpu")
    with pytest.raises(ParameterError, match="eliminates by pairs"):
        pid.decompose(gate_pmf("xor"), solver="torch", device="cpu", elimination="labels")


def test_estimator_option():
    rng = np.random.default_rng(3)
    x1, x2 = rng.integers(0, 3, 400), rng.integers(0, 3, 400)
    res = pid.estimate(x1, x2, (x1 + x2) % 3, estimator="cvx", solver="torch", device="cpu")
    assert res.diagnostics.solver == "native/ipm (torch Schur, cpu)"
    assert res.diagnostics.duality_gap <= 1e-8


def test_missing_torch_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'pidkit\[torch\]'"):
        pid.decompose(gate_pmf("xor"), solver="torch")


@needs_native
def test_auto_without_cuda_stays_on_the_compiled_kernel(monkeypatch):
    big = types.SimpleNamespace(shape=(500, 400, 10))  # Schur complement of 4000 unknowns
    monkeypatch.setattr(exact, "plan_native", lambda prob, **kw: ("pairs", {}))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert exact._auto_torch_device(big, "auto") is None
    assert pid.decompose(gate_pmf("xor")).diagnostics.solver == "native/ipm (C++)"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # pretend: only the choice is checked
    assert exact._auto_torch_device(big, "auto").type == "cuda"
    assert exact._auto_torch_device(big, "cpu") is None
    small = types.SimpleNamespace(shape=(500, 399, 10))
    assert exact._auto_torch_device(small, "auto") is None
    assert pid.decompose(gate_pmf("xor")).diagnostics.solver == "native/ipm (C++)"


def test_auto_dispatches_to_torch_when_chosen(monkeypatch):
    monkeypatch.setattr(exact, "_auto_torch_device", lambda prob, device: torch.device("cpu"))
    res = pid.decompose(gate_pmf("copy"))
    assert res.diagnostics.solver == "native/ipm (torch Schur, cpu)"
    assert res.diagnostics.duality_gap <= 1e-8


@needs_native
def test_auto_keeps_few_pairs_many_labels_on_the_label_elimination(monkeypatch):
    # 3 x 3 x 2000: a Schur complement of 6000 unknowns, but the native label elimination is far cheaper
    from pidkit.estimators._problem import BROJAProblem, check_pmf

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2000, 20_000)
    t = np.zeros((3, 3, 2000))
    np.add.at(t, ((y + rng.integers(0, 2, y.size)) % 3, (7 * y + rng.integers(0, 3, y.size)) % 3, y), 1)
    prob = BROJAProblem.from_pmf(check_pmf(t))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # pretend a GPU
    assert exact._auto_torch_device(prob, "auto") is None
