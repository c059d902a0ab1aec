"""The BATCH estimator: oracles (fast versions here, full ones marked slow), identities, errors."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest

import pidkit as pid
from pidkit.exceptions import (
    ContinuousLabelError,
    InputError,
    LengthMismatchError,
    NegativeAtomWarning,
    NonFiniteInputError,
    ParameterError,
    ShapeError,
    SolverError,
)
from pidkit.synthetic import gate_pmf, gaussian_mixture, gaussian_mixture_pmf, sample_pmf

torch = pytest.importorskip("torch")
# one torch thread per test worker: `make test` runs two workers on two cores, and torch's own
# thread pool on top of that oversubscribes the cores (parallel regions then wait for a core)
torch.set_num_threads(1)

# small networks and budgets: seconds per fit on 2 cores
FAST = dict(
    batch_size=128, epochs=8, patience=3, classifier_epochs=40, classifier_patience=5, hidden=(32,),
    embed_dim=8, readout_batches=4,
)


def one_hot(v: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[v]


def gate_samples(name: str, n: int, seed: int = 0):
    p = gate_pmf(name)
    x1, x2, y = sample_pmf(p, n, random_state=seed)
    return one_hot(x1, p.shape[0]), one_hot(x2, p.shape[1]), y


def batch(x1, x2, y, **kw):
    opts = {**FAST, **kw}
    return pid.estimate(x1, x2, y, estimator="batch", random_state=opts.pop("random_state", 0), **opts)


def check_identities(res, tol=1e-9):
    assert res.R + res.U1 + res.U2 + res.S == pytest.approx(res.total, abs=tol)
    assert res.R + res.U1 == pytest.approx(res.I1, abs=tol)
    assert res.R + res.U2 == pytest.approx(res.I2, abs=tol)


# ----------------------------------------------------------------------------------- basics
def test_registered_and_torch_is_lazy():
    assert "batch" in pid.available_estimators()
    code = "import sys, pidkit; assert 'torch' not in sys.modules, 'import pidkit imported torch'"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(("gate", "atom", "value"), [("xor", "S", 1.0), ("rdn", "R", 1.0)])
def test_fast_gate_oracle(gate, atom, value):
    x1, x2, y = gate_samples(gate, 3000)
    res = batch(x1, x2, y)
    check_identities(res)
    assert res.estimator == "batch" and res.units == "bits" and res.shape == (2, 2, 2)
    assert getattr(res, atom) == pytest.approx(value, abs=0.05)
    for other in {"R", "U1", "U2", "S"} - {atom}:
        assert abs(getattr(res, other)) < 0.05
    d = res.diagnostics
    assert d.duality_gap is None and d.max_marginal_violation < 1e-4
    assert set(d.atom_std) == {"R", "U1", "U2", "S", "total", "I1", "I2"}
    assert d.details["classifiers"]["joint"]["source"] == "trained"
    assert d.details["n_train"] + d.details["n_validation"] + d.details["n_test"] == 3000


def test_uniqueness_atoms_are_nonnegative_up_to_projection_tolerance():
    x1, x2, y = gate_samples("copy", 3000)
    res = batch(x1, x2, y)
    check_identities(res)
    assert res.U1 > -1e-4 and res.U2 > -1e-4
    assert res.U1 == pytest.approx(1.0, abs=0.1) and res.U2 == pytest.approx(1.0, abs=0.1)


def test_same_seed_same_numbers_and_units():
    x1, x2, y = gate_samples("and", 1500)
    a = batch(x1, x2, y, random_state=3)
    b = batch(x1, x2, y, random_state=3)
    assert a.atoms == b.atoms
    n = pid.estimate(x1, x2, y, estimator="batch", random_state=3, units="nats", **FAST)
    for k in ("R", "U1", "U2", "S"):
        assert getattr(n, k) == pytest.approx(getattr(a, k) * math.log(2), abs=1e-9)
    assert n.diagnostics.atom_std["S"] == pytest.approx(a.diagnostics.atom_std["S"] * math.log(2), abs=1e-9)


def test_torch_tensors_and_float64_accepted():
    x1, x2, y = gate_samples("xor", 1500)
    res = batch(torch.as_tensor(x1), torch.as_tensor(x2), torch.as_tensor(y), dtype="float64", device="cpu")
    check_identities(res)
    assert res.diagnostics.details["dtype"] == "float64"
    assert res.diagnostics.solver == "batch/torch-cpu"


def test_small_test_set_smaller_than_a_batch():
    x1, x2, y = gate_samples("rdn", 60)
    res = batch(x1, x2, y, batch_size=512)
    check_identities(res)
    d = res.diagnostics.details
    assert d["readout_batch_size"] == d["n_test"] == 12 and d["readout_batches"] == 1
    assert all(math.isnan(v) for v in res.diagnostics.atom_std.values())  # 12 < 2 x 8: no spread
    assert any("too small to cut into two read-out batches" in n for n in res.diagnostics.notes)


def test_held_out_split_of_one_batch_gets_its_spread_from_sub_batches():
    """n_test = 60 < batch_size: the estimate from one batch of all 60, the spread from sub-batches of 15."""
    x1, x2, y = gate_samples("and", 300)
    res = batch(x1, x2, y, batch_size=512)
    check_identities(res)
    d = res.diagnostics.details
    assert d["readout_batch_size"] == d["n_test"] == 60 and d["readout_batches"] == 1
    assert d["readout_spread_batch_size"] == 15 and d["readout_spread_batches"] == 4 * 1  # readout_batches=4 (FAST)
    assert all(math.isfinite(v) and v >= 0 for v in res.diagnostics.atom_std.values())
    assert res.diagnostics.atom_std["I1"] > 0
    assert any("sub-batches" in n for n in res.diagnostics.notes)


def test_constant_label_is_all_zero_with_note():
    x1, x2, _ = gate_samples("xor", 200)
    res = batch(x1, x2, np.zeros(200, dtype=int))
    assert res.atoms == {"R": 0.0, "U1": 0.0, "U2": 0.0, "S": 0.0}
    assert any("single value" in n for n in res.diagnostics.notes)


def test_result_roundtrips_through_json():
    x1, x2, y = gate_samples("xor", 800)
    res = batch(x1, x2, y)
    back = pid.PIDResult.from_json(res.to_json())
    assert back == res
    assert "± std" in str(res)


def test_progress_bars_use_tqdm_not_print(capsys):
    pytest.importorskip("tqdm")
    x1, x2, y = gate_samples("xor", 400)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NegativeAtomWarning)  # two epochs: a half-trained joint classifier
        batch(x1, x2, y, progress=True, epochs=2, classifier_epochs=2)
    assert capsys.readouterr().out == ""


def test_newton_polish_finishes_a_stalled_projection():
    from pidkit.estimators._batch_models import newton_polish
    from pidkit.kernels.sinkhorn import sinkhorn_projection

    m = 96
    g1, g2 = (torch.arange(m) < 60), (torch.arange(m) < 40)  # blocks of different sizes
    logits = torch.where(g1[:, None] == g2[None, :], 12.0, -12.0).expand(2, m, m).clone().double()
    log_r = torch.full((2, m), -math.log(2 * m), dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rough, info = sinkhorn_projection(logits, log_r, log_r, max_iter=3)
        exact, _ = sinkhorn_projection(logits, log_r, log_r, max_iter=100_000, tol=1e-12)
    assert not info.converged
    log_q, err, steps = newton_polish(logits, rough, log_r, log_r, tol=1e-11)
    assert err <= 1e-11 and 1 <= steps < 30
    q = torch.exp(log_q)
    assert torch.allclose(q.sum(2), torch.exp(log_r), atol=1e-14)
    assert torch.allclose(q.sum(1), torch.exp(log_r), atol=1e-11)
    assert (log_q - exact).abs().max().item() < 1e-6


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_coupling_information_is_the_mutual_information(dtype):
    """I_q(X1,X2;Y) from log-masses equals the textbook sum, also with entries that underflow
    (mass 0 in the dtype): finite value, finite gradient, no 0 * log 0."""
    from pidkit.estimators._batch_models import coupling_information

    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 6, 5, generator=gen, dtype=torch.float64) * 3
    logits[0, 0, :] = -1000.0  # underflows in both dtypes
    logits[:, 1, 2] = -1000.0  # a pair (i, j) with no mass at all
    log_q = (logits - torch.logsumexp(logits.flatten(), 0)).to(dtype).requires_grad_(True)
    value = coupling_information(log_q)
    q = torch.exp(log_q.detach().double())
    pair, label = q.sum(0), q.sum((1, 2))
    mask = q > 0
    ratio = q[mask] / (pair.expand_as(q)[mask] * label[:, None, None].expand_as(q)[mask])
    expected = float((q[mask] * torch.log(ratio)).sum())
    assert value.item() == pytest.approx(expected, abs=1e-6 if dtype == torch.float32 else 1e-12)
    (grad,) = torch.autograd.grad(value, log_q)
    assert torch.isfinite(grad).all() and grad[0, 0].abs().max().item() == 0.0


# ------------------------------------------------------------------------- user classifiers
def _xor_truth(k_out=2):
    def p1(x):  # p(y | x1) = 1/2 for XOR
        return torch.full((x.shape[0], k_out), 1.0 / k_out)

    def p12(a, b):
        y = (a.argmax(1) ^ b.argmax(1)).long()
        return torch.nn.functional.one_hot(y, 2).to(a.dtype)

    return p1, p12


def test_user_classifiers_contract_and_zero_floor_note():
    x1, x2, y = gate_samples("xor", 1500)
    p1, p12 = _xor_truth()
    res = batch(x1, x2, y, classifiers={"x1": p1, "x2": p1, "joint": p12})
    check_identities(res)
    assert res.S == pytest.approx(1.0, abs=1e-3)  # exact classifiers: exact total
    assert res.I1 == pytest.approx(0.0, abs=1e-9)
    assert any("exact zero probabilities" in n for n in res.diagnostics.notes)
    assert res.diagnostics.details["classifiers"]["joint"]["source"] == "user"


def test_partial_classifier_dict_trains_the_rest():
    x1, x2, y = gate_samples("xor", 1000)
    p1, _ = _xor_truth()
    res = batch(x1, x2, y, classifiers={"x2": p1})
    srcs = {k: v["source"] for k, v in res.diagnostics.details["classifiers"].items()}
    assert srcs == {"x1": "trained", "x2": "user", "joint": "trained"}


def test_torch_module_as_classifier():
    x1, x2, y = gate_samples("xor", 1000)
    module = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Softmax(dim=1)).double()
    res = batch(x1, x2, y, classifiers=(module, module, None), dtype="float64")
    check_identities(res)


@pytest.mark.parametrize(
    ("fn", "match"),
    [
        (lambda x: torch.ones(x.shape[0], 3) / 3, "expected"),  # wrong number of classes
        (lambda x: torch.randn(x.shape[0], 2), "outside"),  # logits, not probabilities
        (lambda x: torch.full((x.shape[0], 2), 0.3), "summing"),
    ],
)
def test_bad_user_classifier_output_is_refused(fn, match):
    x1, x2, y = gate_samples("xor", 300)
    with pytest.raises(InputError, match=match):
        batch(x1, x2, y, classifiers={"x1": fn})


def test_negative_synergy_is_reported_and_warned_not_clipped():
    x1, x2, y = gate_samples("rdn", 1500)
    uniform = lambda a, b: torch.full((a.shape[0], 2), 0.5)  # noqa: E731 - a useless joint classifier
    with pytest.warns(NegativeAtomWarning, match="S is negative"):
        res = batch(x1, x2, y, classifiers={"joint": uniform})
    assert res.S < -0.5  # I(X1,X2;Y) read as 0 while the coupling carries ~1 bit
    check_identities(res)


# ------------------------------------------------------------------------------ bad inputs
@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"batch_size": 1}, "batch_size"),
        ({"epochs": 0}, "epochs"),
        ({"dtype": "float16"}, "dtype"),
        ({"hidden": (0,)}, "hidden"),
        ({"validation_size": 0.6, "test_size": 0.5}, "test_size"),
        ({"test_size": 1.5}, "test_size"),
        ({"classifiers": "mlp"}, "classifiers"),
        ({"classifiers": {"x3": len}}, r"does not take key\(s\) \['x3'\]"),
        ({"classifiers": {"x1": 3}}, "callable"),
        ({"progress": "yes"}, "progress"),
        ({"weight_decay": -1.0}, "weight_decay"),
        ({"nonsense": 1}, "does not take"),
    ],
)
def test_bad_options(kw, match):
    x1, x2, y = gate_samples("xor", 100)
    with pytest.raises(ParameterError, match=match):
        pid.estimate(x1, x2, y, estimator="batch", **kw)


def test_cuda_requested_without_cuda():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    x1, x2, y = gate_samples("xor", 100)
    with pytest.raises(ParameterError, match="CUDA"):
        batch(x1, x2, y, device="cuda")


def test_bad_data():
    x1, x2, y = gate_samples("xor", 100)
    with pytest.raises(ShapeError, match="One-hot"):
        batch(np.array(["a", "b"] * 50), x2, y)
    with pytest.raises(InputError, match="at least 20"):
        batch(x1[:10], x2[:10], y[:10])
    with pytest.raises(ContinuousLabelError):
        batch(x1, x2, np.random.default_rng(0).random(100))
    bad = x1.copy()
    bad[3, 0] = np.nan
    with pytest.raises(NonFiniteInputError):
        batch(bad, x2, y)
    with pytest.raises(LengthMismatchError):
        batch(x1, x2[:-1], y)


def test_features_too_large_for_float32_fail_clearly():
    from pidkit.exceptions import NonFiniteInputError

    x1, x2, y = gate_samples("xor", 200)
    with pytest.raises(SolverError, match="diverged"):  # finite in float64, beyond float32
        batch(x1 * 1e100, x2, y)
    with pytest.raises(NonFiniteInputError, match="overflow float64"):  # refused before any training
        batch(x1 * 1e300, x2, y)


def test_missing_torch_gives_install_hint():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import numpy as np, pidkit as pid\n"
        "from pidkit.exceptions import MissingDependencyError\n"
        "x = np.random.default_rng(0).random((50, 3))\n"
        "try:\n"
        "    pid.estimate(x, x, np.arange(50) % 2, estimator='batch')\n"
        "except MissingDependencyError as e:\n"
        "    assert 'pidkit[torch]' in str(e)\n"
        "else:\n"
        "    raise SystemExit('no error')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -------------------------------------------------------------------------------- auto rule
def test_auto_says_when_it_cannot_fall_back_to_batch(monkeypatch):
    from pidkit import api

    rng = np.random.default_rng(0)
    wide, y = rng.normal(size=(1200, 20)), rng.integers(0, 3, 1200)
    unc = {"n_perm": 0, "level": None, "method": "bca"}

    def why(a1=wide, a2=wide, codes=y, unc=unc, ci_method=None, bias=False, options=None):
        return api._batch_unavailable(a1, a2, codes, unc, ci_method, bias, options or {})

    assert why() is None
    assert "not numeric" in why(a2=np.array(["a", "b"] * 600))
    assert "under 1000" in why(a1=wide[:500], a2=wide[:500], codes=y[:500])
    assert "count table" in why(unc={**unc, "n_perm": 100}) and "count table" in why(bias=True)
    assert "ci_method='percentile'" in why(ci_method="percentile")
    assert "fewer than the 3 samples" in why(codes=np.r_[y[:-1], 7])
    monkeypatch.setattr(api.importlib.util, "find_spec", lambda name: None)
    assert "not installed" in why()


def test_auto_keeps_cvx_when_batch_does_no_better(monkeypatch):
    from pidkit import api, trust

    monkeypatch.setattr(api, "AUTO_BATCH_MIN_SAMPLES", 100)
    monkeypatch.setattr(trust, "KEPT_THRESHOLD", 1.5)  # no estimate can keep 150%: the codes fail the check
    judged = iter([(3, 0.9), (1, 0.0)])  # BATCH's check worse than the codes' (the order auto compares them in)
    monkeypatch.setattr(api, "_badness", lambda check: next(judged))
    x1, x2, y = gate_samples("xor", 600)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pid.exceptions.PIDKitWarning)
        res = pid.estimate(x1.astype(float) + 0.01 * np.arange(600)[:, None], x2, y, random_state=0, **FAST)
    assert res.estimator == "cvx"
    assert "'batch' did no better" in res.diagnostics.notes[0]


# ------------------------------------------------------------------------ slow: full oracles
def exact_atoms(p):
    return pid.decompose(p).atoms


@pytest.mark.slow
@pytest.mark.parametrize("gate", ["xor", "and", "copy", "rdn"])
def test_gate_oracles_full(gate):
    """Issue 4: one-hot gates, n = 20,000: every atom within 0.05 bits of the exact value."""
    x1, x2, y = gate_samples(gate, 20_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NegativeAtomWarning)
        res = pid.estimate(x1, x2, y, estimator="batch", random_state=0)
    exact = exact_atoms(gate_pmf(gate))
    for a, v in exact.items():
        assert getattr(res, a) == pytest.approx(v, abs=0.05), (a, res.atoms, exact)


@pytest.mark.slow
def test_random_discrete_oracle_full():
    """Issue 4: random 8x8x3 distribution, one-hot, n = 50,000: atoms within 0.05 bits."""
    p = np.random.default_rng(1).dirichlet(np.ones(8 * 8 * 3)).reshape(8, 8, 3)
    x1, x2, y = sample_pmf(p, 50_000, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NegativeAtomWarning)
        res = pid.estimate(one_hot(x1, 8), one_hot(x2, 8), y, estimator="batch", random_state=0)
    exact = exact_atoms(p)
    for a, v in exact.items():
        assert getattr(res, a) == pytest.approx(v, abs=0.05), (a, res.atoms, exact)


@pytest.mark.slow
@pytest.mark.parametrize("angle", [0.0, math.pi / 8, math.pi / 4])
def test_gaussian_mixture_oracle_full(angle):
    """Issue 4: GMM ‖μ‖ = 2: within 0.1 bits of the exact solver on a 200x200 grid of the density."""
    p, _ = gaussian_mixture_pmf(norm=2.0, angle=angle, bins=200, half_width=6.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exact = pid.decompose(p, tol=1e-5).atoms
    x1, x2, y = gaussian_mixture(20_000, norm=2.0, angle=angle, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NegativeAtomWarning)
        res = pid.estimate(x1.reshape(-1, 1), x2.reshape(-1, 1), y, estimator="batch", random_state=0)
    for a, v in exact.items():
        assert getattr(res, a) == pytest.approx(v, abs=0.1), (a, res.atoms, exact)


def test_warnings_point_at_the_callers_line():
    x1, x2, y = gate_samples("rdn", 2000)

    def uniform(a, b):  # a joint classifier with no information: S comes out negative
        return torch.full((a.shape[0], 2), 0.5)

    with pytest.warns(NegativeAtomWarning) as rec:
        batch(x1, x2, y, classifiers={"joint": uniform})
    assert {w.filename for w in rec if issubclass(w.category, NegativeAtomWarning)} == {__file__}
    with pytest.warns(NegativeAtomWarning) as rec:
        pid.model_pid(np.full((2000, 2), 0.5), x1, x2, estimator="batch", random_state=0,
                      classifiers={"x1": lambda a: torch.as_tensor(np.eye(2))[a.argmax(1)]}, **FAST)
    assert {w.filename for w in rec if issubclass(w.category, NegativeAtomWarning)} == {__file__}
