"""The interaction suite: exact atoms, Bayes accuracy, sampler, features' PID, presets, errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pidkit as pid
from pidkit.discretize import joint_counts
from pidkit.exceptions import ParameterError, TableTooLargeError
from pidkit.synthetic import SUITE_PRESETS, InteractionSpec, interaction_data, suite_data
from pidkit.synthetic.suite import PRESET_SAMPLES, _component_bits, _solve_noise

ATOMS = ("R", "U1", "U2", "S")

# the thesis's Table 3.2 ground truth, in bits (the presets' exact atoms)
THESIS = {
    "R": {"R": 0.58}, "U1": {"U1": 0.56}, "U2": {"U2": 0.54}, "S": {"S": 0.56},
    "mix1": {"R": 0.13, "S": 0.27}, "mix2": {"U1": 0.25, "S": 0.25}, "mix3": {"R": 0.18, "S": 0.36},
    "mix4": {"R": 0.22, "S": 0.22}, "mix5": {"R": 0.21, "U2": 0.21}, "mix6": {"R": 0.34, "U2": 0.17},
}


def atoms_of(res) -> dict[str, float]:
    return {a: getattr(res, a) for a in ATOMS}


# ------------------------------------------------------------------------------- exact answers
@pytest.mark.parametrize("name", list(SUITE_PRESETS))
def test_preset_atoms_are_the_thesis_truth_and_decompose_agrees(name):
    data = suite_data(name, n=50)
    want = {a: THESIS[name].get(a, 0.0) for a in ATOMS}
    assert data.spec.atoms == pytest.approx(want, abs=1e-12)
    res = data.pid  # decompose of the latent table, certified
    assert res.diagnostics.duality_gap <= 1e-7
    for a in ATOMS:
        assert getattr(res, a) == pytest.approx(want[a], abs=1e-6), a
    assert res.total == pytest.approx(sum(want.values()), abs=1e-6)
    assert res.shape == data.spec.latent_shape


@given(
    comps=st.sets(st.sampled_from(ATOMS), min_size=1, max_size=4),
    raw=st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.0]), min_size=4, max_size=4),
    k=st.sampled_from([2, 3]),
    frac=st.floats(0.05, 1.0),
    nuisance=st.integers(0, 1),
)
@settings(max_examples=25, deadline=None)
def test_any_mixture_is_exact(comps, raw, k, frac, nuisance):
    """Additivity of the BROJA PID over the independent components: decompose(latent) = shares x information."""
    if k == 3:  # keeps the latent table small (it grows as k^(factors + components))
        comps = set(sorted(comps)[:2])
    weights = {a: raw[i] for i, a in enumerate(ATOMS) if a in comps}
    info = frac * math.log2(k) * sum(weights.values()) / max(weights.values())  # each component within capacity
    spec = InteractionSpec(weights, information=info, n_values=k, n_nuisance=nuisance)
    res = spec.latent_pid()
    for a in ATOMS:
        assert getattr(res, a) == pytest.approx(spec.atoms[a], abs=2e-6), (a, spec)
    assert res.total == pytest.approx(info, abs=2e-6)
    p = spec.latent_pmf()
    assert p.sum() == pytest.approx(1.0) and spec.bayes_accuracy == pytest.approx(p.max(axis=2).sum(), abs=1e-12)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_label_noise_solves_the_component_information(k):
    for bits in (1e-3, 0.2, 0.7 * math.log2(k), math.log2(k)):
        eps = _solve_noise(k, bits)
        assert 0.0 <= eps <= 1.0
        assert _component_bits(k, eps) == pytest.approx(bits, abs=1e-10)
    assert _solve_noise(k, math.log2(k)) == 0.0


def test_spec_structure_and_to_dict():
    spec = InteractionSpec({"R": 1, "U2": 1, "S": 2}, information=1.0, n_values=2, n_nuisance=2)
    assert spec.active == ("R", "U2", "S")
    assert spec.shares == {"R": 0.25, "U1": 0.0, "U2": 0.25, "S": 0.5}
    assert spec.factors("x1") == ["R", "S1", "N1.0", "N1.1"]
    assert spec.factors("x2") == ["R", "U2", "S2", "N2.0", "N2.1"]
    assert spec.latent_shape == (16, 32, 8) and spec.n_classes == 8
    d = spec.to_dict()
    assert d["atoms"] == spec.atoms and d["weights"] == spec.shares and d["n_classes"] == 8
    assert InteractionSpec([1, 0, 0, 1]).shares == InteractionSpec({"R": 5, "S": 5}).shares


# ------------------------------------------------------------------------------------ samples
def test_sampler_matches_the_latent_table():
    data = interaction_data(60_000, weights={"R": 1, "U1": 1, "S": 1}, information=0.9, random_state=3)
    p = data.spec.latent_pmf()
    emp = joint_counts(data.latent1, data.latent2, data.y, p.shape) / len(data)
    assert np.abs(emp - p).max() < 0.006  # each cell within a few standard errors (cells ~1/64)
    # the label digits are the components' labels, most significant first
    k = data.spec.n_values
    parts = data.label_parts
    assert np.array_equal(data.y, (parts[:, 0] * k + parts[:, 1]) * k + parts[:, 2])


def test_samples_shapes_determinism_and_unpacking():
    a = suite_data("mix2", n=500)
    b = suite_data("mix2", n=500)
    x1, x2, y = a
    assert x1.shape == (500, 32) and x2.shape == (500, 32) and y.dtype == np.int64 and len(a) == 500
    for field in ("x1", "x2", "y", "latent1", "latent2", "z1", "z2"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    c = suite_data("mix2", n=500, random_state=7)
    assert not np.array_equal(a.x1, c.x1) and c.seed == 7 and a.seed == SUITE_PRESETS["mix2"]["seed"]
    assert "mix2" not in repr(a) and "atoms: U1=0.25, S=0.25 bits" in repr(a)
    assert set(np.unique(y)) <= set(range(4))


def test_feature_map_is_injective_on_latent_states():
    data = interaction_data(2000, weights={"R": 1, "S": 1}, information=1.0, noise=0.0, dim=8, random_state=0)
    for x, lat in ((data.x1, data.latent1), (data.x2, data.latent2)):
        rows = np.unique(np.round(x, 12), axis=0).shape[0]
        assert rows == np.unique(lat).size  # distinct latent states, distinct feature vectors, nothing else


def test_bayes_proba_is_the_posterior():
    spec = InteractionSpec({"R": 1, "U1": 1, "S": 1}, information=1.2, noise=0.4)
    data = spec.sample(20_000, random_state=1)
    post = data.bayes_proba()
    assert post.shape == (20_000, spec.n_classes) and np.allclose(post.sum(1), 1.0)
    acc = float(np.mean(post.argmax(1) == data.y))
    want = spec.feature_bayes_accuracy(grid=128)
    assert abs(acc - want) < 4 * math.sqrt(want * (1 - want) / 20_000)
    assert want < spec.bayes_accuracy  # noise 0.4 misreads factors
    # calibrated: mean log-likelihood of the labels matches -H(Y|X1,X2) of the features
    ll = float(np.mean(np.log2(post[np.arange(post.shape[0]), data.y])))
    h_y = math.log2(spec.n_classes)  # the label is uniform
    assert -ll == pytest.approx(h_y - spec.feature_pid(grid=128).total, abs=0.03)
    exact = spec.__class__(spec.weights, information=spec.information, noise=0.0).sample(2000, random_state=1)
    assert np.mean(exact.bayes_proba().argmax(1) == exact.y) == pytest.approx(spec.bayes_accuracy, abs=0.03)


# ------------------------------------------------------------------------ noise: features' PID
def test_feature_pid_equals_latent_without_noise_and_drops_with_noise():
    base = dict(weights={"R": 1, "U1": 1, "U2": 1, "S": 1}, information=1.6, n_nuisance=0)
    clean = InteractionSpec(**base, noise=0.0).feature_pid()
    for a in ATOMS:
        assert getattr(clean, a) == pytest.approx(0.4, abs=1e-6)
    totals = []
    for noise in (0.15, 0.3, 0.5, 0.8):
        spec = InteractionSpec(**base, noise=noise)
        res = spec.feature_pid(grid=96)
        assert res.consistency_error() < 1e-6
        assert res.total <= spec.information + 1e-9
        for a in ("U1", "U2"):  # unique components cannot gain from noise
            assert getattr(res, a) <= 0.4 + 1e-6
        assert spec.feature_bayes_accuracy(grid=96) <= spec.bayes_accuracy + 1e-12
        totals.append(res.total)
    assert all(b < a for a, b in itertools.pairwise(totals))
    assert totals[0] > 1.6 - 0.01 and totals[-1] < 1.0  # presets' noise costs little; heavy noise a lot


def test_feature_pid_grid_is_a_lower_bound_that_rises():
    spec = InteractionSpec({"R": 1, "S": 1}, information=1.0, noise=0.4)
    coarse, fine = spec.feature_pid(grid=16), spec.feature_pid(grid=128)
    assert coarse.total < fine.total and coarse.I1 <= fine.I1 + 1e-9
    assert fine.units == "bits" and spec.feature_pid(grid=16, units="nats").total == pytest.approx(
        coarse.total * math.log(2), rel=1e-6
    )


@pytest.mark.parametrize("name", list(SUITE_PRESETS))
def test_presets_features_carry_nearly_the_latent_information(name):
    spec = suite_data(name, n=10).spec
    res = spec.feature_pid(grid=128)
    for a in ATOMS:
        assert abs(getattr(res, a) - spec.atoms[a]) < 0.005, a


# -------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": {"X": 1}}, r"does not take key\(s\) \['X'\]"),
        ({"weights": {"R": -1}}, "finite number >= 0"),
        ({"weights": {"R": 0}}, "positive entry"),
        ({"weights": [1, 2]}, "sequence of 4"),
        ({"weights": "R"}, "sequence of 4"),
        ({"weights": {"R": True}}, "finite number"),
        ({"weights": {"R": 1}, "information": 0}, "information must be"),
        ({"weights": {"R": 1}, "information": float("nan")}, "information must be"),
        ({"weights": {"R": 1}, "information": 1.5}, "at most log2"),
        ({"weights": {"R": 1}, "n_values": 1}, "n_values must be an integer >= 2"),
        ({"weights": {"R": 1}, "noise": -0.1}, "noise must be"),
        ({"weights": {"R": 1, "S": 1}, "dim": 1}, "dim must be an integer >= 3"),
        ({"weights": {"R": 1}, "n_nuisance": -1}, "n_nuisance"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        InteractionSpec(**kwargs)


def test_bad_preset_and_sample_arguments():
    with pytest.raises(ParameterError, match="name must be one of"):
        suite_data("mix7")
    with pytest.raises(ParameterError, match="does not take"):
        suite_data("R", weights={"S": 1})
    with pytest.raises(ParameterError, match="n must be"):
        suite_data("R", n=0)
    with pytest.raises(TableTooLargeError, match="latent table"):
        InteractionSpec([1, 1, 1, 1], information=4.0, n_values=8, n_nuisance=2).latent_pmf()
    assert suite_data("R", n=10, noise=0.3, dim=8).x1.shape == (10, 8)


# --------------------------------------------------------------- estimators on the ten presets
def test_cvx_on_a_preset_fast():
    data = suite_data("mix5")
    res = pid.estimate(*data, estimator="cvx", random_state=0)
    assert len(data) == PRESET_SAMPLES
    for a in ATOMS:
        assert abs(getattr(res, a) - data.atoms[a]) < 0.1, a


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SUITE_PRESETS))
def test_presets_default_estimate_within_005_and_cvx_within_01(name):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)  # two test workers on two cores
    data = suite_data(name)
    res = pid.estimate(*data, random_state=0)
    assert res.estimator == "batch" and "chose 'batch'" in res.diagnostics.notes[0]
    for a in ATOMS:
        assert abs(getattr(res, a) - data.atoms[a]) < 0.05, (a, atoms_of(res))
    cvx = pid.estimate(*data, estimator="cvx", random_state=0)
    for a in ATOMS:
        assert abs(getattr(cvx, a) - data.atoms[a]) < 0.1, (a, atoms_of(cvx))
