"""pid.estimate on samples: recovery of known values, input types, errors."""

import numpy as np
import pandas as pd
import pytest

import pidkit as pid
from pidkit.exceptions import (
    ContinuousLabelError,
    EmptyInputError,
    LengthMismatchError,
    NonFiniteInputError,
    ParameterError,
    ShapeError,
    TableTooLargeError,
)
from pidkit.synthetic import GATE_ATOMS, sample_gate

ATOMS = ("R", "U1", "U2", "S")


@pytest.mark.parametrize("name", ["xor", "and"])
def test_gate_samples_recover_exact_values(name):
    x1, x2, y = sample_gate(name, 100_000, random_state=1)
    res = pid.estimate(x1, x2, y)
    for atom, value in GATE_ATOMS[name].items():
        assert getattr(res, atom) == pytest.approx(value, abs=0.01), atom
    assert res.n_samples == 100_000
    assert res.estimator == "cvx"
    assert res.diagnostics.discretization["n_states"] == {"x1": 2, "x2": 2, "y": 2}


def test_string_labels_and_pandas_give_same_numbers():
    x1, x2, y = sample_gate("and", 100_000, random_state=2)
    ref = pid.estimate(x1, x2, y)
    names = np.array(["no", "yes"])
    res_str = pid.estimate(names[x1], names[x2], names[y])
    df = pd.DataFrame({"a": x1, "b": pd.Categorical(names[x2]), "y": pd.Series(names[y], dtype="category")})
    res_pd = pid.estimate(df["a"], df["b"], df["y"])
    res_list = pid.estimate(list(x1), [bool(v) for v in x2], list(names[y]))
    for other in (res_str, res_pd, res_list):
        for a in ATOMS:
            assert getattr(other, a) == pytest.approx(getattr(ref, a), abs=1e-9)


def test_two_dimensional_onehot_modalities():
    x1, x2, y = sample_gate("xor", 20_000, random_state=3)
    eye = np.eye(2)
    res = pid.estimate(eye[x1], eye[x2], y)
    assert res.S == pytest.approx(1.0, abs=0.01)


def test_continuous_modalities_are_binned(rng):
    n = 20_000
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    y = (x1 > 0).astype(int)
    res = pid.estimate(x1, x2, y, random_state=0)
    # the bin that straddles 0 mixes both labels, so I(X1;Y) of the binned data is a bit below 1
    assert 0.9 < res.U1 <= 1.0
    assert res.R < 0.05 and res.U2 < 0.05 and res.S < 0.05
    assert res.diagnostics.discretization["kinds"]["x1"] == "binned"


def test_embeddings_are_clustered_deterministically(rng):
    n = 3000
    z = rng.integers(0, 3, n)
    x1 = rng.normal(size=(n, 5)) + 4 * z[:, None]
    x2 = rng.normal(size=(n, 5))
    a = pid.estimate(x1, x2, z, random_state=7)
    b = pid.estimate(x1, x2, z, random_state=7)
    assert a.atoms == b.atoms
    assert a.diagnostics.discretization["kinds"]["x1"] in ("clustered", "supervised")
    assert a.U1 > 1.4  # the cluster structure of x1 reveals z (log2 3 = 1.585 bits)


def test_fitted_discretizer_codes_predictions_consistently():
    x1, x2, y = sample_gate("and", 20_000, random_state=4)
    disc = pid.Discretizer(random_state=0)
    data = pid.estimate(x1, x2, y, discretizer=disc)
    fitted_states = dict(disc.n_states_)
    y_pred = x1 & x2  # a perfect model
    model = pid.estimate(x1, x2, y_pred, discretizer=disc)
    assert disc.n_states_ == fitted_states
    assert model.S == pytest.approx(0.5, abs=0.02)
    assert data.total == pytest.approx(model.total, abs=1e-12)


def test_units_and_options_are_forwarded():
    x1, x2, y = sample_gate("xor", 5000, random_state=5)
    res = pid.estimate(x1, x2, y, units="nats", solver="ecos")
    assert res.units == "nats"
    assert res.S == pytest.approx(np.log(2), abs=0.01)
    assert res.diagnostics.solver == "cvxpy/ECOS"


def test_constant_label_gives_zeros_with_note():
    x1, x2, _ = sample_gate("xor", 1000, random_state=6)
    res = pid.estimate(x1, x2, np.zeros(1000, dtype=int))
    assert all(getattr(res, a) == 0.0 for a in ATOMS)
    assert any("single value" in n for n in res.diagnostics.notes)


def test_inputs_not_modified(rng):
    x1 = rng.normal(size=(500, 3))
    x2 = rng.normal(size=500)
    y = rng.integers(0, 2, 500)
    copies = [x1.copy(), x2.copy(), y.copy()]
    pid.estimate(x1, x2, y, random_state=0)
    for a, b in zip((x1, x2, y), copies, strict=False):
        assert np.array_equal(a, b)


# ----------------------------------------------------------------------------- errors
def test_nan_input():
    with pytest.raises(NonFiniteInputError, match="x1 contains 1 NaN.*Drop or impute"):
        pid.estimate([0.1, np.nan, 0.3], [0, 1, 0], [0, 1, 1])


def test_inf_input():
    with pytest.raises(NonFiniteInputError, match="x2 contains"):
        pid.estimate([0, 1, 0], [0.1, np.inf, 0.3], [0, 1, 1])


def test_length_mismatch():
    with pytest.raises(LengthMismatchError, match="x1 has 3, x2 has 2, y has 3 rows"):
        pid.estimate([0, 1, 0], [0, 1], [0, 1, 1])


def test_empty_input():
    with pytest.raises(EmptyInputError, match="x1 is empty"):
        pid.estimate([], [], [])


def test_three_dimensional_input():
    with pytest.raises(ShapeError, match="got 3-D shape.*reshape"):
        pid.estimate(np.zeros((4, 2, 2)), np.zeros(4), np.zeros(4))


def test_object_array_that_is_not_labels():
    x1 = np.empty(3, dtype=object)
    x1[:] = [{"a": 1}, {"b": 2}, {"c": 3}]
    with pytest.raises(ShapeError, match="not labels"):
        pid.estimate(x1, [0, 1, 0], [0, 1, 1])


def test_missing_label():
    with pytest.raises(NonFiniteInputError, match="y"):
        pid.estimate([0, 1, 0], [0, 1, 0], np.array(["a", None, "b"], dtype=object))


def test_continuous_label(rng):
    # a float target with many non-integer values cannot be class codes: "auto" keeps it continuous (copula)
    res = pid.estimate(rng.normal(size=200), rng.normal(size=200), rng.normal(size=200))
    assert res.estimator == "copula" and res.diagnostics.notes[0].startswith("estimator='auto' chose 'copula'")
    # asked for codes, or integer values (maybe class codes): the Discretizer refuses and says what to do
    with pytest.raises(ContinuousLabelError, match="y_bins"):
        pid.estimate(rng.normal(size=200), rng.normal(size=200), rng.normal(size=200), estimator="cvx")
    with pytest.raises(ContinuousLabelError, match="y_bins.*estimator='copula'"):
        pid.estimate(rng.normal(size=200), rng.normal(size=200), rng.integers(0, 300, 200))


@pytest.mark.filterwarnings("ignore::pidkit.exceptions.PlugInBiasWarning")
def test_table_too_large():
    n = 5000
    ids = np.arange(n)
    with pytest.raises(TableTooLargeError, match="cells.*n_bins / n_clusters"):
        pid.estimate(ids, ids, ids % 7, discretizer=pid.Discretizer(kind="categorical"), max_table_bytes=10**6)


def test_unknown_estimator_and_option():
    with pytest.raises(ParameterError,
                       match="estimator must be 'auto' or one of \\['batch', 'cvx', 'gaussian', 'copula'"):
        pid.estimate([0, 1], [0, 1], [0, 1], estimator="magic")
    with pytest.raises(ParameterError, match="does not take option\\(s\\) \\['n_iter'\\]"):
        pid.estimate([0, 1], [0, 1], [0, 1], n_iter=3)
    with pytest.raises(ParameterError, match="units"):
        pid.estimate([0, 1], [0, 1], [0, 1], units="bytes")


def test_bad_solver_options_are_rejected_before_discretizing():
    x1, x2, y = sample_gate("xor", 200, random_state=0)
    with pytest.raises(ParameterError, match="max_iter must be an integer >= 1"):
        pid.estimate(x1, x2, y, max_iter=0)
    with pytest.raises(ParameterError, match="max_table_bytes must be an integer >= 1"):
        pid.estimate(x1, x2, y, max_table_bytes=-5)
    with pytest.raises(ParameterError, match="tol must be a finite number > 0"):
        pid.estimate(x1, x2, y, tol=float("nan"))


def test_one_estimate_with_intervals_codes_the_samples_once(monkeypatch):
    """Samples -> codes -> counts once: the intervals resample the same counts and codes."""
    import warnings

    import numpy as np

    import pidkit as pid
    from pidkit.discretize import Discretizer

    calls = {"transform": 0, "fit_transform": 0, "fit": 0}
    for name in calls:
        original = getattr(Discretizer, name)

        def counted(self, *args, _original=original, _name=name, **kwargs):
            calls[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Discretizer, name, counted)
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=(500, 3)), rng.normal(size=500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = pid.estimate(x1, x2, (x1[:, 0] + x2 > 0).astype(int), ci=0.9, n_boot=30, random_state=0)
    assert res.uncertainty is not None
    assert calls == {"transform": 0, "fit_transform": 1, "fit": 0}
