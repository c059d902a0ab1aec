"""The fusion-model zoo: registry, scikit-learn contract, determinism, regularisers, learning, errors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from pidkit.exceptions import (
    ContinuousLabelError,
    InputError,
    LengthMismatchError,
    NonFiniteInputError,
    NotFittedError,
    ParameterError,
    ShapeError,
    SolverError,
)
from pidkit.fusion import (
    FusionClassifier,
    available_models,
    describe_models,
    get_fusion,
    make_model,
    register_fusion,
    register_model,
)
from pidkit.synthetic import suite_data

torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # two test workers on two cores

ZOO = [
    "early", "additive", "agreement", "alignment", "elementwise", "tensor", "lowrank", "mi", "transformer",
    "reconstruction", "lower",
]
#: the candidates beyond the fusion networks (one modality, late fusion, gradient boosting)
CANDIDATES = ["x1-only", "x2-only", "late", "late-stacked", "hgb"]
#: networks with a regulariser, and the name of its auxiliary loss
REGULARISED = {"agreement": "agreement", "alignment": "alignment", "reconstruction": "reconstruction"}
TINY = dict(epochs=3, patience=2, batch_size=64, hidden=(16,), embed_dim=8)


@pytest.fixture(scope="module")
def small():
    """400 samples of the mix4 preset (redundant + synergistic, 4 classes), 12 features per modality."""
    data = suite_data("mix4", n=400, dim=12, random_state=5)
    return data.x1, data.x2, data.y


def tiny(name, **kw):
    opts = {**TINY, "random_state": 0, **kw}
    if name == "transformer":
        opts.setdefault("n_heads", 2)
    return make_model(name, **opts)


# ------------------------------------------------------------------------------------ registry
def test_registry_lists_the_zoo():
    assert available_models("network")[: len(ZOO)] == ZOO
    assert available_models() == [*ZOO, *CANDIDATES]
    desc = describe_models()
    assert set(desc) == set(ZOO) | set(CANDIDATES)
    assert "reg_weight=0.5" in desc["agreement"]["description"] and "rank=4" in desc["lowrank"]["description"]
    want = {"x1-only": ("x1", False, ["R", "U1"]), "x2-only": ("x2", False, ["R", "U2"]),
            "late": ("x1+x2", False, ["R", "U1", "U2"]), "late-stacked": ("x1+x2", True, ["R", "U1", "U2"]),
            "hgb": ("x1+x2", True, ["R", "U1", "U2", "S"]), "additive": ("x1+x2", True, ["R", "U1", "U2"]),
            "tensor": ("x1+x2", True, ["R", "U1", "U2", "S"])}
    for name, (inputs, paired, reach) in want.items():
        assert (desc[name]["inputs"], desc[name]["paired_training"], desc[name]["reach"]) == (inputs, paired, reach)
    # costs measured when the shipped catalog was built
    assert all(desc[m]["fit_seconds"] > 0 and desc[m]["n_parameters"] > 0 for m in desc)
    assert "cores" in desc["early"]["cost_machine"]
    assert get_fusion("tensor").load().__name__ == "TensorFusion"
    with pytest.raises(ParameterError, match="model must be one of"):
        make_model("attention")
    with pytest.raises(ParameterError, match="'late' is not a network: build it with"):
        FusionClassifier(fusion="late").fit(np.zeros((4, 1)), np.zeros((4, 1)), [0, 1, 0, 1])
    with pytest.raises(ParameterError, match="inputs must be one of"):
        register_fusion("mine", object, inputs="x3")
    with pytest.raises(ParameterError, match="reach must be"):
        register_fusion("mine", object, reach=("R", "Q"))
    with pytest.raises(ParameterError, match=r"does not take option\(s\)"):
        register_fusion("mine", object, options={"dropout": 0.1})
    with pytest.raises(ParameterError, match="already registered"):
        register_fusion("tensor", object)
    with pytest.raises(ParameterError, match=r"model 'hgb' does not take parameter\(s\) \['epochs'\]"):
        make_model("hgb", epochs=3)


def test_registries_share_one_convention():
    from pidkit.fusion import registry

    try:
        @register_model("mine-model", defaults={"combine": "stacked"}, paired_training=False)
        class Mine:  # the decorator form returns the class, like pidkit.register_estimator's
            def __init__(self, *, combine="product", random_state=None):
                self.combine, self.random_state = combine, random_state

        assert Mine.__name__ == "Mine" and available_models()[-1] == "mine-model"
        assert make_model("mine-model", random_state=1).combine == "stacked"
        assert register_fusion("mine-net", "pidkit.fusion._heads:EarlyFusion") == "pidkit.fusion._heads:EarlyFusion"
        assert available_models("network")[-1] == "mine-net"
    finally:
        registry._REGISTRY.pop("mine-model", None)
        registry._REGISTRY.pop("mine-net", None)


# ------------------------------------------------------------------------ per-model contract
@pytest.mark.parametrize("name", ZOO)
def test_fit_predict_contract(name, small):
    x1, x2, y = small
    labels = np.array(["b", "a", "c", "d"])[y]  # string labels: classes_ sorted, columns follow
    model = tiny(name)
    assert model.fit(x1, x2, labels) is model
    proba = model.predict_proba(x1, x2)
    assert proba.shape == (400, 4) and proba.dtype == np.float64
    assert np.allclose(proba.sum(1), 1.0) and (proba >= 0).all()
    assert list(model.classes_) == ["a", "b", "c", "d"] and model.n_features_in_ == (12, 12)
    assert np.array_equal(model.predict(x1, x2), model.classes_[proba.argmax(1)])
    assert model.score(x1, x2, labels) == pytest.approx(np.mean(model.predict(x1, x2) == labels))
    assert 1 <= model.best_epoch_ <= model.n_epochs_ <= 3 and len(model.history_) == model.n_epochs_
    assert {"train_loss", "val_loss", "val_accuracy", "cross_entropy"} <= set(model.history_[0])
    if name in REGULARISED:
        assert REGULARISED[name] in model.history_[0]
    assert model.device_ == "cpu" and model.fit_time_s_ > 0


@pytest.mark.parametrize("name", ZOO)
def test_clone_and_same_seed_same_probabilities(name, small):
    from sklearn.base import clone

    x1, x2, y = small
    model = tiny(name, random_state=3)
    twin = clone(model)
    assert twin.get_params() == model.get_params() and not hasattr(twin, "network_")
    p1 = model.fit(x1, x2, y).predict_proba(x1, x2)
    p2 = twin.fit(x1, x2, y).predict_proba(x1, x2)
    assert np.array_equal(p1, p2)
    p3 = clone(model).set_params(random_state=4).fit(x1, x2, y).predict_proba(x1, x2)
    assert not np.array_equal(p1, p3)
    again = pickle.loads(pickle.dumps(model))
    assert np.array_equal(again.predict_proba(x1, x2), p1)


@pytest.mark.parametrize("name", sorted(REGULARISED))
def test_regulariser_carries_gradient_to_both_encoders(name, small):
    """Fails if the regulariser were computed from detached tensors (it would then train nothing)."""
    x1, x2, y = small
    model = tiny(name).fit(x1, x2, y)
    net = model.network_.train()
    a = torch.as_tensor(x1[:64], dtype=torch.float32)
    b = torch.as_tensor(x2[:64], dtype=torch.float32)
    _, aux = net(a, b)
    term = aux[REGULARISED[name]]
    assert term.requires_grad and term.item() > 0
    net.zero_grad()
    term.backward()
    for enc in (net.enc1, net.enc2):
        grads = [p.grad for p in enc.parameters()]
        assert all(g is not None for g in grads)
        assert sum(float(g.abs().sum()) for g in grads) > 0


@pytest.mark.parametrize("name", sorted(REGULARISED))
def test_regulariser_weight_changes_training(name, small):
    x1, x2, y = small
    default = get_fusion(name).options["reg_weight"]
    with_reg = tiny(name, reg_weight=default).fit(x1, x2, y).predict_proba(x1, x2)
    without = tiny(name, reg_weight=0.0).fit(x1, x2, y).predict_proba(x1, x2)
    assert not np.allclose(with_reg, without, atol=1e-4)


def test_agreement_regulariser_pulls_unimodal_predictions_together(small):
    x1, x2, y = small
    a = torch.as_tensor(x1, dtype=torch.float32)
    b = torch.as_tensor(x2, dtype=torch.float32)

    def disagreement(model):
        with torch.no_grad():
            l1, l2 = model.network_.unimodal_logits(a, b)
            return float((l1.softmax(1) - l2.softmax(1)).abs().sum(1).mean())

    loose = tiny("agreement", reg_weight=0.0, epochs=15, patience=15).fit(x1, x2, y)
    tight = tiny("agreement", reg_weight=5.0, epochs=15, patience=15).fit(x1, x2, y)
    assert disagreement(tight) < 0.5 * disagreement(loose)


def test_alignment_regulariser_aligns_pairs(small):
    x1, x2, y = small
    a = torch.as_tensor(x1, dtype=torch.float32)
    b = torch.as_tensor(x2, dtype=torch.float32)

    def nce(model):
        net = model.network_.eval()
        with torch.no_grad():
            return net(a, b)[1]["alignment"].item() / (model.reg_weight or 1.0)

    assert nce(tiny("alignment", reg_weight=1.0, epochs=15, patience=15).fit(x1, x2, y)) < \
        nce(tiny("alignment", reg_weight=1e-9, epochs=15, patience=15).fit(x1, x2, y))


def test_tensor_fusion_keeps_unimodal_terms_through_the_constant():
    from pidkit.fusion._heads import _with_one

    e = torch.arange(6.0).view(2, 3)
    assert torch.equal(_with_one(e)[:, -1], torch.ones(2))


# ---------------------------------------------------------------------------------- learning
def test_synergy_needs_a_multiplicative_model():
    """On the pure-synergy preset (an XOR of one factor per modality), additive late fusion stays at
    chance while tensor fusion reaches near the Bayes accuracy."""
    data = suite_data("S", n=4000, dim=12)
    x1, x2, y = data
    tr, te = slice(0, 3000), slice(3000, None)
    acc = {
        name: make_model(name, random_state=0, epochs=40, patience=8).fit(x1[tr], x2[tr], y[tr]).score(
            x1[te], x2[te], y[te]
        )
        for name in ("additive", "tensor")
    }
    assert acc["additive"] < 0.6
    assert acc["tensor"] > 0.95 * data.bayes_accuracy


# ------------------------------------------------------------------------------------ errors
def test_bad_inputs(small):
    x1, x2, y = small
    model = tiny("early")
    with pytest.raises(NotFittedError, match="not fitted"):
        model.predict_proba(x1, x2)
    with pytest.raises(LengthMismatchError):
        model.fit(x1[:10], x2, y)
    with pytest.raises(LengthMismatchError):
        model.fit(x1, x2, y[:5])
    bad = x1.copy()
    bad[3, 2] = np.nan
    with pytest.raises(NonFiniteInputError):
        model.fit(bad, x2, y)
    with pytest.raises(ShapeError, match="numeric features"):
        model.fit(np.array(["a"] * 400), x2, y)
    with pytest.raises(InputError, match="single class"):
        model.fit(x1, x2, np.zeros(400, dtype=int))
    with pytest.raises(ContinuousLabelError):
        model.fit(x1, x2, np.linspace(0, 1, 400) + 0.001)
    model.fit(x1, x2, y)
    with pytest.raises(InputError, match="fitted on 12 \\+ 12 features"):
        model.predict_proba(x1[:, :5], x2)
    with pytest.raises(LengthMismatchError):
        model.predict_proba(x1, x2[:7])
    with pytest.raises(LengthMismatchError):
        model.score(x1, x2, y[:3])


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"fusion": "tensor", "rank": 3}, "does not apply to fusion='tensor'"),
        ({"fusion": "lowrank", "rank": 0}, "rank must be an integer >= 1"),
        ({"fusion": "agreement", "reg_weight": -1.0}, "reg_weight must be a finite number >= 0"),
        ({"fusion": "alignment", "temperature": 0}, "temperature must be a finite number > 0"),
        ({"fusion": "transformer", "n_heads": 3}, "must divide embed_dim"),
        ({"hidden": (0,)}, "hidden must be a tuple of positive ints"),
        ({"hidden": "64"}, "hidden must be a tuple"),
        ({"validation_size": 1.0}, "validation_size must be a fraction"),
        ({"lr": -1}, "lr must be a finite number > 0"),
        ({"epochs": 0}, "epochs must be an integer >= 1"),
        ({"progress": "yes"}, "progress must be True or False"),
        ({"device": "tpu"}, "device must be"),
        ({"device": "cuda"}, "CUDA"),
    ],
)
def test_bad_parameters(params, match, small):
    if params.get("device") == "cuda" and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    x1, x2, y = small
    with pytest.raises(ParameterError, match=match):
        FusionClassifier(**{**TINY, **params}).fit(x1, x2, y)


def test_diverging_training_raises(small):
    x1, x2, y = small
    with pytest.raises(SolverError, match="diverged|non-finite"):
        FusionClassifier(**{**TINY, "lr": 1e30}, random_state=0).fit(x1 * 1e30, x2, y)


def test_non_finite_outputs_raise(small):
    x1, x2, y = small
    model = tiny("early").fit(x1, x2, y)
    with torch.no_grad():
        next(model.network_.parameters()).fill_(float("nan"))
    with pytest.raises(SolverError, match="non-finite probabilities"):
        model.predict_proba(x1, x2)
