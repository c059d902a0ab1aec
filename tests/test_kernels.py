"""The exact solver's kernels: NumPy twin vs compiled kernel vs cvxpy, certificates, selection."""

import warnings

import numpy as np
import pytest
from conftest import random_pmf

import pidkit as pid
import pidkit.kernels as kernels
from pidkit.estimators._problem import BROJAProblem, check_pmf
from pidkit.estimators.native_backend import pair_major
from pidkit.exceptions import ParameterError, PIDKitWarning
from pidkit.synthetic import GATE_ATOMS, gate_pmf

TOL_BITS = 1e-8
needs_native = pytest.mark.skipif(not kernels.native_available(), reason="compiled kernel not built")


def stress_tables(n=200, seed=2024):
    """Dense, sparse, zero rows/columns, |Y| 2..8, unbalanced shapes."""
    rng = np.random.default_rng(seed)
    tables = []
    for i in range(n):
        kind = i % 5
        if kind == 0:
            shape = (int(rng.integers(2, 7)), int(rng.integers(2, 7)), int(rng.integers(2, 9)))
            p = random_pmf(rng, shape)
        elif kind == 1:
            shape = (int(rng.integers(2, 9)), int(rng.integers(2, 9)), int(rng.integers(2, 5)))
            p = random_pmf(rng, shape, sparsity=float(rng.choice([0.5, 0.8])))
        elif kind == 2:  # zero rows and columns
            p = random_pmf(rng, (6, 5, 3))
            p[int(rng.integers(6))] = 0
            p[:, int(rng.integers(5))] = 0
            p /= p.sum()
        elif kind == 3:  # empirical tables of few samples
            q = random_pmf(rng, (5, 5, 3), alpha=0.5)
            counts = np.bincount(rng.choice(q.size, 60, p=q.ravel()), minlength=q.size).reshape(q.shape)
            p = counts / counts.sum()
        else:  # unbalanced
            p = random_pmf(rng, (1, 50, 3)) if i % 10 == 4 else random_pmf(rng, (9, 2, int(rng.integers(2, 9))))
        tables.append(p)
    return tables


def solve_with(kernel, p, monkeypatch):
    monkeypatch.setenv(kernels.KERNEL_ENV, kernel)
    return pid.decompose(p, solver="native", tol=TOL_BITS)


def test_twin_random_tables_match_clarabel(monkeypatch):
    for p in stress_tables():
        twin = solve_with("python", p, monkeypatch)
        assert twin.diagnostics.duality_gap <= TOL_BITS
        assert twin.diagnostics.status == "optimal"
        ref = pid.decompose(p, solver="clarabel")
        for atom in ("R", "U1", "U2", "S"):
            assert getattr(twin, atom) == pytest.approx(getattr(ref, atom), abs=1e-6)


@needs_native
def test_native_matches_twin_on_random_tables(monkeypatch):
    for p in stress_tables():
        nat = solve_with("native", p, monkeypatch)
        twin = solve_with("python", p, monkeypatch)
        assert nat.diagnostics.solver in ("native/ipm (C++)", "closed-form")
        assert nat.diagnostics.duality_gap <= TOL_BITS
        for atom in ("R", "U1", "U2", "S"):
            assert getattr(nat, atom) == pytest.approx(getattr(twin, atom), abs=1e-7)


@pytest.mark.parametrize("kernel", ["python", pytest.param("native", marks=needs_native)])
@pytest.mark.parametrize("name", sorted(GATE_ATOMS))
def test_certificate_bounds_true_error_on_gates(kernel, name, monkeypatch):
    res = solve_with(kernel, gate_pmf(name), monkeypatch)
    err = max(abs(getattr(res, a) - v) for a, v in GATE_ATOMS[name].items())
    assert res.diagnostics.duality_gap >= 0
    assert err <= res.diagnostics.duality_gap + 1e-13
    assert res.diagnostics.duality_gap <= TOL_BITS


def noisy_and(eps):
    p = gate_pmf("and")
    return (1 - eps) * p + eps * np.full(p.shape, 1 / p.size)


@pytest.mark.parametrize("kernel", ["python", pytest.param("native", marks=needs_native)])
@pytest.mark.parametrize(
    "p",
    [
        gate_pmf("and"),
        noisy_and(0.01),
        noisy_and(1e-4),
        random_pmf(np.random.default_rng(5), (12, 12, 4), sparsity=0.8),
    ],
    ids=["and", "noisy-and-1e-2", "noisy-and-1e-4", "sparse-12x12x4"],
)
def test_boundary_optima_reach_target_gap(kernel, p, monkeypatch):
    res = solve_with(kernel, p, monkeypatch)
    assert res.diagnostics.status == "optimal"
    assert res.diagnostics.duality_gap <= TOL_BITS
    assert res.diagnostics.max_marginal_violation <= 1e-12


@pytest.mark.parametrize("kernel", ["python", pytest.param("native", marks=needs_native)])
def test_kernel_contract(kernel):
    """Direct call: exact feasibility, strictly feasible dual, gap = primal - dual >= 0."""
    p = random_pmf(np.random.default_rng(9), (7, 6, 4), sparsity=0.3)
    prob = BROJAProblem.from_pmf(check_pmf(p))
    args, order = pair_major(prob)
    r = kernels.get_kernel(kernel).ipm_solve(*args, 1e-9, 100, 1)
    q = np.empty(prob.n_cells)
    q[order] = r["q"]
    assert (q >= 0).all()
    assert prob.marginal_violation(q) <= 1e-13
    assert prob.objective(q) == pytest.approx(r["primal"], abs=1e-12)
    lam1 = np.asarray(r["lam1"]).reshape(prob.a.shape)
    lam2 = np.asarray(r["lam2"]).reshape(prob.b.shape)
    z = lam1[prob.i1, prob.iy] + lam2[prob.i2, prob.iy]
    lse = np.log(np.bincount(prob.pair, weights=np.exp(z)))
    assert lse.max() <= 0.0
    assert float(np.sum(lam1 * prob.a) + np.sum(lam2 * prob.b)) == pytest.approx(r["dual"], abs=1e-12)
    assert r["converged"] and 0 <= r["gap"] <= 1e-9
    assert r["gap"] == pytest.approx(r["primal"] - r["dual"], abs=1e-15)


# ------------------------------------------------------------------------------ selection
def test_env_selects_twin(monkeypatch):
    monkeypatch.setenv(kernels.KERNEL_ENV, "python")
    assert pid.decompose(gate_pmf("and")).diagnostics.solver == "native/ipm (NumPy twin)"


def test_bad_env_value(monkeypatch):
    monkeypatch.setenv(kernels.KERNEL_ENV, "fortran")
    with pytest.raises(ParameterError, match="PIDKIT_KERNEL must be one of"):
        pid.decompose(gate_pmf("and"))


def test_missing_extension_falls_back_once_with_warning(monkeypatch):
    monkeypatch.setattr(kernels, "_native", None)
    monkeypatch.setattr(kernels, "_native_error", "simulated: no module named _native")
    monkeypatch.setattr(kernels, "_warned", False)
    monkeypatch.setenv(kernels.KERNEL_ENV, "auto")
    with pytest.warns(PIDKitWarning, match="compiled kernel is not available.*simulated"):
        assert kernels.kernel_name() == "python"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert kernels.kernel_name() == "python"  # warned only once
    monkeypatch.setenv(kernels.KERNEL_ENV, "native")
    with pytest.raises(ImportError, match="PIDKIT_KERNEL=native but the compiled extension"):
        kernels.kernel_name()


@needs_native
@pytest.mark.parametrize(
    "shape, sparsity", [((60, 60, 10), 0.0), ((80, 70, 8), 0.5)], ids=["dense-60x60x10", "sparse-80x70x8"]
)
def test_native_mixed_precision_matches_twin(shape, sparsity):
    """Schur complements this large are first factored in single precision (refined by PCG): the
    certificate and the optimum must not change."""
    p = random_pmf(np.random.default_rng(11), shape, sparsity=sparsity)
    prob = BROJAProblem.from_pmf(check_pmf(p))
    args, order = pair_major(prob)
    nat = kernels.get_kernel("native").ipm_solve(*args, 1e-9, 200, 2)
    twin = kernels.get_kernel("python").ipm_solve(*args, 1e-9, 200, 1)
    assert nat["single_precision_factorizations"] > 0
    assert nat["converged"] and 0 <= nat["gap"] <= 1e-9
    q = np.empty(prob.n_cells)
    q[order] = nat["q"]
    assert (q >= 0).all() and prob.marginal_violation(q) <= 1e-13
    assert prob.objective(q) == pytest.approx(nat["primal"], abs=1e-12)
    assert nat["primal"] == pytest.approx(twin["primal"], abs=2e-9)


@needs_native
def test_native_large_schur_path_certifies():
    """Schur complements of >= 2000 unknowns give S and the cell-sized scratch back between uses
    (peak memory of 1000x1000x10 tables); the certificate, recomputed here, must be unaffected.

    Label y lives on 21 consecutive states of each modality (shifted per label, wrapping around), so
    the 100 labels give 2,000 kept unknowns while the table stays small (44,100 cells)."""
    rng = np.random.default_rng(5)
    n, ny, w = 210, 100, 21
    p = np.zeros((n, n, ny))
    for y in range(ny):
        r = (7 * y + np.arange(w)) % n
        c = (11 * y + np.arange(w)) % n
        p[np.ix_(r, c, [y])] = rng.dirichlet(np.ones(w * w)).reshape(w, w, 1) * rng.uniform(0.5, 1.5)
    p /= p.sum()
    prob = BROJAProblem.from_pmf(check_pmf(p))
    # the kernel keeps the lam2 side (n1 >= n2) minus one pinned variable per label: the large path
    assert prob.shape == (n, n, ny) and np.count_nonzero(prob.b) - ny >= 2000
    args, order = pair_major(prob)
    tol = 1e-9
    nat = kernels.get_kernel("native").ipm_solve(*args, tol, 200, 2)
    assert nat["converged"] and 0 <= nat["gap"] <= tol
    q = np.empty(prob.n_cells)
    q[order] = nat["q"]
    assert (q >= 0).all() and prob.marginal_violation(q) <= 1e-13
    lam1 = np.asarray(nat["lam1"]).reshape(prob.a.shape)
    lam2 = np.asarray(nat["lam2"]).reshape(prob.b.shape)
    gap = prob.objective(q) - prob.dual_value(lam1, lam2)  # independent of the kernel's arithmetic
    assert -1e-12 <= gap <= tol + 1e-12
