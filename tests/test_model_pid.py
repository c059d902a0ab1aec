"""Model PID (soft tables on the dataset's Discretizer, BATCH with soft labels) and PID agreement."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

import pidkit as pid
from pidkit.exceptions import (
    DiscretizationMismatchWarning,
    InvalidPMFError,
    LengthMismatchError,
    NonFiniteInputError,
    ParameterError,
    ShapeError,
    UnknownCategoryError,
)
from pidkit.synthetic import GATE_ATOMS, gate_pmf, sample_pmf, suite_data

ATOMS = ("R", "U1", "U2", "S")


def gate_inputs(name: str, reps: int = 50):
    """Inputs whose empirical p(x1, x2) is exactly the gate's, and the gate's p(y | x1, x2)."""
    p = gate_pmf(name)
    pair = p.sum(2)
    cells = [(a, b) for a in range(2) for b in range(2) for _ in range(int(round(pair[a, b] * 4 * reps)))]
    x1 = np.array([c[0] for c in cells])
    x2 = np.array([c[1] for c in cells])
    cond = p / np.where(pair > 0, pair, 1.0)[:, :, None]
    return x1, x2, lambda a, b: cond[np.asarray(a), np.asarray(b)]


def fitted_disc(x1, x2, y, **kw):
    disc = pid.Discretizer(**kw)
    disc.fit(x1, x2, y)
    return disc


# ------------------------------------------------------------------------------------ oracles
@pytest.mark.parametrize("gate", sorted(GATE_ATOMS))
def test_exact_gate_model_gives_the_gate_pid(gate):
    x1, x2, model = gate_inputs(gate)
    k = gate_pmf(gate).shape[2]
    disc = fitted_disc(x1, x2, np.arange(x1.size) % k)
    res = pid.model_pid(model, x1, x2, discretizer=disc)
    for a, v in GATE_ATOMS[gate].items():
        assert getattr(res, a) == pytest.approx(v, abs=1e-7), a
    assert res.diagnostics.duality_gap <= 1e-7 and res.estimator == "cvx" and res.n_samples == x1.size
    assert res.diagnostics.details["model"]["labels"] == "soft"


def test_model_ignoring_x2_has_no_unique_x2_or_synergy():
    rng = np.random.default_rng(0)
    x1, x2 = rng.integers(0, 4, 3000), rng.integers(0, 3, 3000)
    table = rng.dirichlet(np.ones(3), size=4)  # p(ŷ | x1), arbitrary

    def model(a, b):
        return table[a]

    disc = fitted_disc(x1, x2, rng.integers(0, 3, 3000))
    res = pid.model_pid(model, x1, x2, discretizer=disc)
    assert abs(res.U2) < 1e-7 and abs(res.S) < 1e-7
    soft = np.zeros((4, 3, 3))
    np.add.at(soft, (x1, x2), table[x1])
    from pidkit.info import mutual_information

    assert res.R + res.U1 == pytest.approx(float(mutual_information(soft / soft.sum(), 0, 2)), abs=1e-7)


def test_zoo_model_and_its_probability_array_give_identical_pids():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    from pidkit.fusion import make_model

    data = suite_data("mix1", n=1500, dim=10)
    x1, x2, y = data
    model = make_model("lower", epochs=4, hidden=(16,), embed_dim=8, random_state=0).fit(x1[:1000], x2[:1000],
                                                                                           y[:1000])
    disc = pid.Discretizer(n_clusters=6, random_state=0)
    data_pid = pid.estimate(x1[1000:], x2[1000:], y[1000:], estimator="cvx", discretizer=disc)
    via_model = pid.model_pid(model, x1[1000:], x2[1000:], discretizer=disc)
    via_array = pid.model_pid(model.predict_proba(x1[1000:], x2[1000:]), x1[1000:], x2[1000:], discretizer=disc)
    assert via_model.atoms == via_array.atoms and via_model.total == via_array.total
    assert via_model.diagnostics.discretization["fingerprint"] == data_pid.diagnostics.discretization["fingerprint"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DiscretizationMismatchWarning)
        pid.agreement(data_pid, via_model)


def test_bayes_classifier_of_the_suite_recovers_the_latent_pid():
    """The generating model's posterior is a model whose PID, on a Discretizer that recovers the
    latent states, is the latent PID up to the feature noise (no label sampling noise at all)."""
    data = suite_data("mix4", n=4000, noise=0.05)
    disc = pid.Discretizer(n_clusters=8, random_state=0)
    disc.fit(data.x1, data.x2, data.y)
    res = pid.model_pid(data.bayes_proba(), data.x1, data.x2, discretizer=disc)
    for a in ATOMS:
        assert getattr(res, a) == pytest.approx(data.atoms[a], abs=0.02), a


def test_soft_table_equals_expected_counts_and_hard_is_argmax():
    rng = np.random.default_rng(1)
    x1, x2 = rng.integers(0, 3, 500), rng.integers(0, 2, 500)
    p = rng.dirichlet(np.ones(4), size=500)
    disc = fitted_disc(x1, x2, rng.integers(0, 4, 500))
    res = pid.model_pid(p, x1, x2, discretizer=disc)
    table = np.zeros((3, 2, 4))
    np.add.at(table, (x1, x2), p)
    ref = pid.decompose(table / 500)
    assert res.atoms == pytest.approx(ref.atoms, abs=1e-9)
    hard = pid.model_pid(p, x1, x2, discretizer=disc, hard=True)
    ref_hard = pid.estimate(x1, x2, p.argmax(1), discretizer=disc)
    assert hard.atoms == pytest.approx(ref_hard.atoms, abs=1e-9)
    assert hard.diagnostics.details["model"]["labels"] == "hard"
    summ = res.diagnostics.discretization
    assert summ["occupied_pairs"] == 6 and summ["n_states"] == {"x1": 3, "x2": 2, "y": 4}
    assert json.loads(res.to_json())["diagnostics"]["details"]["model"]["n_classes"] == 4


def test_classes_are_matched_to_the_discretizers_label_codes():
    class Model:
        classes_ = np.array(["dog", "cat"])  # not sorted: column 0 is "dog"

        def predict_proba(self, a, b):
            return np.column_stack([a == 1, a == 0]).astype(float)

    x1 = np.array([0, 1] * 50)
    x2 = np.zeros(100, dtype=int)
    disc = fitted_disc(x1, x2, np.where(x1 == 1, "dog", "cat"))
    res = pid.model_pid(Model(), x1, x2, discretizer=disc)
    assert res.U1 == pytest.approx(1.0, abs=1e-7)

    class Stranger(Model):
        classes_ = np.array(["dog", "cow"])

    with pytest.raises(UnknownCategoryError, match="cow"):
        pid.model_pid(Stranger(), x1, x2, discretizer=disc)


def test_without_a_discretizer_one_is_fitted_and_noted():
    x1, x2, y = sample_pmf(gate_pmf("and"), 2000, random_state=0)
    p = np.eye(2)[y]
    res = pid.model_pid(p, x1, x2, random_state=0)
    assert any("fitted here" in n for n in res.diagnostics.notes)
    assert res.S == pytest.approx(pid.estimate(x1, x2, y).S, abs=1e-9)


# ------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("proba", "error", "match"),
    [
        (np.full((100, 2), 0.5)[:, :1] - 0.6, InvalidPMFError, "negative"),
        (np.full((100, 2), 0.6), InvalidPMFError, "summing to 1"),
        (np.full((100, 3), 1 / 3), ShapeError, "2 classes"),
        (np.full((99, 2), 0.5), LengthMismatchError, "99 rows for 100 samples"),
        (np.full(100, 0.5), ShapeError, "expected \\(n, n_classes\\)"),
        (np.where(np.arange(200).reshape(100, 2) == 7, np.nan, 0.5), NonFiniteInputError, "row 3"),
        ([[0.5, "x"]] * 100, ShapeError, "could not be read"),
    ],
)
def test_bad_probabilities(proba, error, match):
    x1 = np.arange(100) % 2
    x2 = np.arange(100) % 3
    disc = fitted_disc(x1, x2, x1)
    with pytest.raises(error, match=match):
        pid.model_pid(proba, x1, x2, discretizer=disc)


def test_bad_models_and_options():
    x1 = x2 = np.arange(40) % 2
    disc = fitted_disc(x1, x2, x1)
    with pytest.raises(ParameterError, match="predict_proba"):
        pid.model_pid(object(), x1, x2, discretizer=disc)
    with pytest.raises(NonFiniteInputError, match="NaN"):
        pid.model_pid(lambda a, b: np.full((len(a), 2), np.nan), x1, x2, discretizer=disc)
    with pytest.raises(ParameterError, match="estimator must be one of"):
        pid.model_pid(np.full((40, 2), 0.5), x1, x2, estimator="auto")
    with pytest.raises(ParameterError, match="does not take option"):
        pid.model_pid(np.full((40, 2), 0.5), x1, x2, discretizer=disc, batch_size=3)
    with pytest.raises(ParameterError, match="hard must be"):
        pid.model_pid(np.full((40, 2), 0.5), x1, x2, discretizer=disc, hard="yes")
    with pytest.raises(LengthMismatchError):
        pid.model_pid(np.full((40, 2), 0.5), x1, x2[:20], discretizer=disc)

    class WrongWidth:
        classes_ = np.array([0, 1, 2])

        def predict_proba(self, a, b):
            return np.full((len(a), 2), 0.5)

    with pytest.raises(ShapeError, match="3 classes"):
        pid.model_pid(WrongWidth(), x1, x2, discretizer=disc)


def test_torch_tensor_output_is_accepted():
    torch = pytest.importorskip("torch")
    x1 = x2 = np.arange(40) % 2
    disc = fitted_disc(x1, x2, x1)
    res = pid.model_pid(lambda a, b: torch.tensor(np.eye(2)[np.asarray(a)]), x1, x2, discretizer=disc)
    assert res.R == pytest.approx(1.0, abs=1e-7)


# ------------------------------------------------------------------------------ BATCH estimator
FAST = dict(batch_size=128, epochs=6, patience=3, classifier_epochs=30, classifier_patience=5, hidden=(32,),
            embed_dim=8, readout_batches=4)


def test_batch_model_pid_of_a_model_that_ignores_x2():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    n = 3000
    x1, x2 = rng.normal(size=(n, 3)), rng.normal(size=(n, 3))
    logits = np.column_stack([2 * x1[:, 0], -2 * x1[:, 0], x1[:, 1]])
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    res = pid.model_pid(p, x1, x2, estimator="batch", random_state=0, **FAST)
    assert res.estimator == "batch" and res.shape == (3, 3, 3)
    assert abs(res.U2) <= 0.01 and abs(res.S) <= 0.01
    assert res.R + res.U1 == pytest.approx(res.I1, abs=1e-9)
    cls = res.diagnostics.details["classifiers"]
    assert cls["joint"]["source"] == "model" and cls["x1"]["source"] == "trained"
    assert any("soft labels" in n for n in res.diagnostics.notes)
    # the unimodal classifier of x1 learned the model's probabilities: I(X1; Ŷ) is that of the model itself
    assert res.I1 == pytest.approx(res.total, abs=0.02)
    with pytest.raises(ParameterError, match="classifiers\\['joint'\\] cannot be given"):
        pid.model_pid(p, x1, x2, estimator="batch", classifiers={"joint": lambda a, b: p}, **FAST)


# ----------------------------------------------------------------------------------- agreement
def make_result(R, U1, U2, S, *, units="bits", fingerprint=None, estimator="cvx"):
    disc = None if fingerprint is None else {"fingerprint": fingerprint}
    diag = pid.Diagnostics(solver="test", status="optimal", discretization=disc)
    tot = R + U1 + U2 + S
    return pid.PIDResult(R, U1, U2, S, tot, R + U1, R + U2, units, estimator, 100, (2, 2, 2), diag)


def test_agreement_formula():
    data = make_result(0.2, 0.0, 0.1, 0.2)  # shares 0.4, 0, 0.2, 0.4
    model = make_result(0.3, 0.1, 0.1, 0.1)
    ag = pid.agreement(data, model)
    assert ag.data_shares == pytest.approx({"R": 0.4, "U1": 0.0, "U2": 0.2, "S": 0.4})
    assert ag.alpha == pytest.approx({"R": 0.12, "U1": 0.0, "U2": 0.02, "S": 0.04})
    assert ag.total == pytest.approx(0.18)
    assert ag.model_shares == pytest.approx({"R": 0.5, "U1": 1 / 6, "U2": 1 / 6, "S": 1 / 6})
    assert ag.similarity == pytest.approx(1 - 0.5 * (0.1 + 1 / 6 + 1 / 30 + 0.4 - 1 / 6))
    assert pid.agreement(data, data).similarity == pytest.approx(1.0)
    d = json.loads(json.dumps(ag.to_dict()))
    assert d["units"] == "bits" and d["alpha"]["R"] == pytest.approx(0.12)
    text = repr(ag)
    assert "total alpha 0.1800 bits" in text and "profile similarity" in text


def test_agreement_units_negative_atoms_and_empty_profiles():
    data = make_result(0.2, 0.0, 0.0, 0.2)
    model_nats = make_result(0.2 * math.log(2), 0.0, 0.0, 0.2 * math.log(2), units="nats")
    ag = pid.agreement(data, model_nats)
    assert ag.units == "bits" and ag.total == pytest.approx(0.2) and ag.model_atoms["R"] == pytest.approx(0.2)
    batchy = make_result(0.3, 0.01, 0.0, -0.02, estimator="batch")
    ag = pid.agreement(data, batchy)
    assert ag.model_shares["S"] == 0.0 and any("negative atom" in n for n in ag.notes)
    assert ag.alpha["S"] == pytest.approx(0.5 * -0.02)  # α uses the model's atom as reported
    assert any("estimated with 'cvx', model with 'batch'" in n for n in ag.notes)
    empty = make_result(0.0, 0.0, 0.0, 0.0)
    assert pid.agreement(empty, empty).similarity == 1.0 and pid.agreement(data, empty).similarity == 0.0
    assert pid.agreement(empty, data).total == 0.0


def test_agreement_warns_when_codes_differ_and_checks_types():
    with pytest.warns(DiscretizationMismatchWarning, match="different Discretizers"):
        pid.agreement(make_result(0.1, 0, 0, 0.1, fingerprint="a"), make_result(0.1, 0, 0, 0.1, fingerprint="b"))
    with pytest.raises(ParameterError, match="model_pid must be a PIDResult"):
        pid.agreement(make_result(0.1, 0, 0, 0.1), {"R": 0.1})
