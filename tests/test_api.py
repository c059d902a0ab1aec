"""Public entry points not covered elsewhere: the estimator registry through pid.estimate, latent_modalities."""

from __future__ import annotations

import numpy as np
import pytest

import pidkit as pid
from pidkit.estimators import registry
from pidkit.exceptions import ParameterError
from pidkit.result import Diagnostics, PIDResult

# ------------------------------------------------------------------------------ register_estimator


@pytest.fixture
def registered():
    """Register a toy estimator as "toy" for one test and remove it afterwards."""
    calls = []

    @pid.register_estimator("toy")
    class Toy:
        def __init__(self, *, share: float = 0.5):
            self.share = share

        def estimate(self, x1, x2, y, *, discretizer, units, random_state=None):
            calls.append({"x1": x1, "y": y, "discretizer": discretizer, "units": units,
                          "random_state": random_state})
            total = float(np.unique(y).size - 1)
            r = self.share * total
            diag = Diagnostics(solver="toy", status="optimal")
            return PIDResult(r, 0.0, 0.0, total - r, total, r, r, units, self.name, len(y), (2, 2, 2), diag)

    try:
        yield Toy, calls
    finally:
        registry._REGISTRY.pop("toy", None)


def test_registered_estimator_is_reachable_by_name(registered):
    toy, calls = registered
    assert "toy" in pid.available_estimators()
    disc = pid.Discretizer()
    res = pid.estimate([0, 1, 1, 0], [1, 1, 0, 0], ["a", "b", "b", "a"], estimator="toy", share=0.25,
                       units="nats", discretizer=disc, random_state=3)
    assert isinstance(res, PIDResult)
    assert (res.R, res.S, res.total) == (0.25, 0.75, 1.0)
    assert res.estimator == "toy" and res.units == "nats" and res.n_samples == 4
    (call,) = calls
    assert call["discretizer"] is disc and call["units"] == "nats" and call["random_state"] == 3
    assert call["x1"].tolist() == [0, 1, 1, 0] and call["y"].tolist() == ["a", "b", "b", "a"]  # validated arrays
    assert pid.estimate([0, 1], [1, 0], [0, 1], estimator="toy").R == 0.5  # default option


def test_registered_estimator_options_are_checked(registered):
    with pytest.raises(ParameterError, match=r"estimator 'toy' does not take option\(s\) \['tol'\]; its options are "
                                             r"\['share'\]"):
        pid.estimate([0, 1], [1, 0], [0, 1], estimator="toy", tol=1e-3)


def test_registering_another_class_under_a_taken_name_fails(registered):
    toy, _ = registered
    assert pid.register_estimator("toy")(toy) is toy  # the same class again is fine
    with pytest.raises(ParameterError, match="an estimator named 'toy' is already registered"):
        pid.register_estimator("toy")(type("Other", (), {}))
    with pytest.raises(ParameterError, match="an estimator named 'cvx' is already registered"):
        pid.register_estimator("cvx")(type("Other", (), {}))


def test_estimators_follow_the_registry_convention_and_protocols(registered):
    from pidkit.estimators.registry import Estimator, TableEstimator, make_estimator

    toy, _ = registered
    assert pid.available_estimators()[-1] == "toy"  # registration order, like the model zoo's
    assert pid.register_estimator("toy", toy) is toy  # the call form returns the class, as the decorator does
    assert isinstance(make_estimator("toy", share=0.1), Estimator)
    assert not isinstance(make_estimator("toy"), TableEstimator)
    assert isinstance(make_estimator("cvx"), TableEstimator)
    assert all(isinstance(make_estimator(name), Estimator) for name in pid.available_estimators())


def test_unknown_estimator_lists_the_registered_ones(registered):
    with pytest.raises(ParameterError, match=r"estimator must be 'auto' or one of \[.*'toy'.*\]; got 'nope'"):
        pid.estimate([0, 1], [1, 0], [0, 1], estimator="nope")


# ------------------------------------------------------------------------------- latent_modalities


def test_latent_modalities_shapes_and_determinism():
    x1, x2, y = pid.synthetic.latent_modalities(500, label="mixed", dim=12, random_state=0)
    assert x1.shape == x2.shape == (500, 12) and y.shape == (500,)
    assert x1.dtype == x2.dtype == np.float64 and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1, 2, 3}
    again = pid.synthetic.latent_modalities(500, label="mixed", dim=12, random_state=0)
    assert all(np.array_equal(a, b) for a, b in zip((x1, x2, y), again, strict=True))
    other = pid.synthetic.latent_modalities(500, label="mixed", dim=12, random_state=1)
    assert not np.array_equal(x1, other[0])


def test_latent_modalities_mixed_label_is_the_redundant_and_synergistic_bits():
    # every random draw comes before the label is chosen, so one seed gives the same features and latents
    x1, x2, mixed = pid.synthetic.latent_modalities(400, label="mixed", dim=6, random_state=5)
    r1, r2, red = pid.synthetic.latent_modalities(400, label="redundancy", dim=6, random_state=5)
    _, _, syn = pid.synthetic.latent_modalities(400, label="synergy", dim=6, random_state=5)
    assert np.array_equal(x1, r1) and np.array_equal(x2, r2)
    assert np.array_equal(mixed, 2 * red + syn)
    for label in ("redundancy", "unique1", "unique2", "synergy"):
        assert set(np.unique(pid.synthetic.latent_modalities(400, label=label, random_state=5)[2])) == {0, 1}


@pytest.mark.parametrize(
    ("label", "x1_informative", "x2_informative", "joint_informative"),
    [("unique1", True, False, True), ("unique2", False, True, True), ("redundancy", True, True, True),
     ("synergy", False, False, True)],
)
def test_latent_modalities_label_depends_on_the_stated_latents(label, x1_informative, x2_informative,
                                                               joint_informative):
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    x1, x2, y = pid.synthetic.latent_modalities(3000, label=label, dim=8, random_state=0)

    def accuracy(x):  # balanced binary labels: chance is 0.5, sd of a 3000-sample accuracy ~0.01
        return cross_val_score(KNeighborsClassifier(15), x, y, cv=3).mean()

    for x, informative in ((x1, x1_informative), (x2, x2_informative), (np.hstack([x1, x2]), joint_informative)):
        acc = accuracy(x)
        assert (acc > 0.58) if informative else (acc < 0.56), (label, acc)


@pytest.mark.parametrize(("kwargs", "match"), [({"label": "xor"}, "label must be one of"),
                                               ({"noise": -1.0}, "noise must be a finite number >= 0"),
                                               ({"dim": 0}, "dim must be an integer >= 1")])
def test_latent_modalities_rejects_bad_options(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        pid.synthetic.latent_modalities(10, **kwargs)
