"""Tests of pidkit.discretize: the shared discretization front end."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.cluster import KMeans, MiniBatchKMeans
from threadpoolctl import threadpool_limits

from pidkit.coders import BinnedCoder, CategoricalCoder, ClusteredCoder
from pidkit.discretize import (
    MINIBATCH_THRESHOLD,
    DiscretizationSummary,
    Discretizer,
    joint_counts,
)
from pidkit.exceptions import (
    ContinuousLabelError,
    EmptyInputError,
    InputError,
    LengthMismatchError,
    NonFiniteInputError,
    NotFittedError,
    ParameterError,
    PlugInBiasWarning,
    ShapeError,
    UnknownCategoryError,
)

N = 300


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """k-means on these tiny arrays is fastest single-threaded; OpenMP spinning on a busy
    machine otherwise turns milliseconds into seconds."""
    with threadpool_limits(1):
        yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def fit_quiet(disc, x1, x2, y):
    """fit_transform without the plug-in bias warning (tested separately)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlugInBiasWarning)
        return disc.fit_transform(x1, x2, y)


def labels(n=N):
    return np.arange(n) % 2


# ---------------------------------------------------------------- auto kind detection


def _one_hot(n):
    return np.eye(4)[np.arange(n) % 4]


AUTO_CASES = {
    "ints": (lambda r: r.integers(0, 5, N), "categorical", 5),
    "strings": (lambda r: r.choice(["a", "b", "c"], N), "categorical", 3),
    "bools": (lambda r: r.random(N) > 0.5, "categorical", 2),
    "list": (lambda r: [1, 2] * (N // 2), "categorical", 2),
    "float_few": (lambda r: r.choice([0.5, 1.5, 2.25], N), "categorical", 3),
    # many distinct numbers, unrelated to the label: binned, with the fewest states (nothing more to keep)
    "float_many": (lambda r: r.normal(size=N), "binned", 2),
    "int_many": (lambda r: np.arange(N), "binned", 2),
    "one_hot_2d": (lambda r: _one_hot(N), "categorical", 4),
    "string_2d": (lambda r: np.array([["a", "b"], ["a", "c"]] * (N // 2)), "categorical", 2),
    "continuous_2d": (lambda r: r.normal(size=(N, 3)), "clustered", 5),
}


@pytest.mark.parametrize("case", sorted(AUTO_CASES))
def test_auto_kind_per_dtype(case, rng):
    make, kind, n_states = AUTO_CASES[case]
    disc = Discretizer(n_clusters=5, random_state=0)
    c1, _, _ = fit_quiet(disc, make(rng), labels(), labels())
    assert disc.kinds_["x1"] == kind
    assert disc.n_states_["x1"] == n_states
    assert c1.dtype == np.int64 and c1.shape == (N,)
    assert set(np.unique(c1)) <= set(range(n_states))


def test_pandas_categorical_stays_categorical_despite_many_values(rng):
    values = np.round(rng.normal(size=N), 3)  # ~300 distinct floats, more than max_categories
    x1 = pd.Series(pd.Categorical(values))
    disc = Discretizer()
    fit_quiet(disc, x1, labels(), labels())
    assert disc.kinds_["x1"] == "categorical"
    assert disc.n_states_["x1"] == np.unique(values).size


def test_integer_many_values_is_binned_with_note():
    disc = Discretizer(max_categories=10)
    fit_quiet(disc, np.arange(N), labels(), labels())
    assert disc.kinds_["x1"] == "binned"
    assert any("x1" in n and "max_categories=10" in n for n in disc.notes_)


def test_one_hot_rows_code_like_their_argmax():
    x = _one_hot(N)
    c1, _, _ = fit_quiet(Discretizer(), x, labels(), labels())
    # categories are the sorted distinct rows: [0,0,0,1] < [0,0,1,0] < ... so code = 3 - argmax
    np.testing.assert_array_equal(c1, 3 - x.argmax(axis=1))


# ---------------------------------------------------------------- parameters


def test_per_modality_dict_settings(rng):
    x = rng.normal(size=N)
    disc = Discretizer(kind={"x1": "binned"}, n_bins={"x1": 3, "x2": 7}, strategy={"x2": "quantile"})
    fit_quiet(disc, x, x, labels())
    assert disc.kinds_ == {"x1": "binned", "x2": "binned", "y": "categorical"}
    assert disc.n_states_["x1"] == 3 and disc.n_states_["x2"] == 7
    # x1 uniform: equally spaced edges; x2 quantile: about N/7 samples per bin
    assert np.allclose(np.diff(disc.bin_edges_["x1"]), (x.max() - x.min()) / 3)
    counts = np.bincount(disc.transform(x2=x)[1])
    assert counts.min() >= N // 7 - 1


def test_dict_missing_key_takes_default(rng):
    disc = Discretizer(kind={"x2": "categorical"})
    fit_quiet(disc, rng.normal(size=N), rng.normal(size=N), labels())
    assert disc.kinds_["x1"] == "binned" and disc.kinds_["x2"] == "categorical"


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"kind": "bins"}, r"kind must be one of \['auto', 'categorical', 'binned', 'clustered', 'supervised'\]"),
        ({"kind": {"x3": "binned"}}, r"keys must be among \['x1', 'x2'\].*'x3'"),
        ({"n_bins": 0}, r"n_bins must be an integer >= 1 or one of \['auto', 'rice', 'sturges', 'sqrt'\]"),
        ({"n_bins": "scott"}, r"n_bins must be one of \['auto', 'rice', 'sturges', 'sqrt'\]"),
        ({"strategy": {"x1": "kmeans"}}, r"strategy for x1 must be one of \['uniform', 'quantile'\]"),
        ({"n_clusters": 1}, r"n_clusters must be an integer >= 2 or 'auto'"),
        ({"pca_components": 1.5}, r"pca_components must be None, an integer >= 1.*float in \(0, 1\)"),
        ({"max_categories": 0}, r"max_categories must be an integer >= 1"),
        ({"y_bins": 1}, r"y_bins must be an integer >= 2"),
        ({"min_samples_per_cell": -1}, r"min_samples_per_cell must be a finite number >= 0"),
        ({"random_state": "seed"}, r"random_state must be None, an int or a numpy Generator"),
    ],
)
def test_bad_parameters_raise_in_fit(params, match):
    disc = Discretizer(**params)  # __init__ only stores
    with pytest.raises(ParameterError, match=match):
        disc.fit(np.arange(10) % 2, np.arange(10) % 3, np.arange(10) % 2)
    assert not hasattr(disc, "kinds_")


def test_init_is_keyword_only_and_repr():
    with pytest.raises(TypeError):
        Discretizer("binned")
    assert repr(Discretizer(n_bins=4, random_state=1)) == "Discretizer(n_bins=4, random_state=1)"


# ---------------------------------------------------------------- bins


def test_uniform_bins_and_open_outer_bins():
    x = np.linspace(0.0, 10.0, 101)
    disc = Discretizer(kind="binned", n_bins=5)
    c1, _, _ = fit_quiet(disc, x, labels(101), labels(101))
    np.testing.assert_allclose(disc.bin_edges_["x1"], [2.0, 4.0, 6.0, 8.0])
    assert disc.n_states_["x1"] == 5
    np.testing.assert_array_equal(np.bincount(c1), [20, 20, 20, 20, 21])  # left-closed bins
    c_new, _, _ = disc.transform(x1=[-1e9, -0.1, 0.0, 3.9, 4.0, 10.0, 10.1, 1e9])
    np.testing.assert_array_equal(c_new, [0, 0, 0, 1, 2, 4, 4, 4])


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(2, 60), elements=st.floats(-1e6, 1e6)),
    st.integers(1, 12),
    st.sampled_from(["uniform", "quantile"]),
)
def test_bins_are_monotone_and_in_range(x, n_bins, strategy):
    disc = Discretizer(kind="binned", n_bins=n_bins, strategy=strategy, min_samples_per_cell=0)
    c1, _, _ = disc.fit_transform(x, np.zeros(len(x), int), np.zeros(len(x), int))
    k = disc.n_states_["x1"]
    assert 1 <= k <= n_bins
    assert c1.min() >= 0 and c1.max() < k
    order = np.argsort(x, kind="stable")
    assert np.all(np.diff(c1[order]) >= 0)  # larger value, same or higher bin
    # outside the fit range lands in the outer bins
    lo, hi = disc.transform(x1=[x.min() - 1.0, x.max() + 1.0])[0]
    assert lo == 0 and hi == k - 1


def test_quantile_bins_drop_duplicate_edges():
    x = np.r_[np.zeros(70), np.arange(1.0, 31.0)]  # 70% ties at 0
    disc = Discretizer(kind="binned", n_bins=10, strategy="quantile")
    c1, _, _ = fit_quiet(disc, x, labels(100), labels(100))
    edges = disc.bin_edges_["x1"]
    assert np.all(np.diff(edges) > 0)
    assert disc.n_states_["x1"] == edges.size + 1 < 10
    assert np.all(np.bincount(c1, minlength=disc.n_states_["x1"]) > 0)  # no empty bin
    assert np.all(c1[:70] == 0)
    assert any("quantile" in n and "duplicate" in n for n in disc.notes_)


@pytest.mark.parametrize(
    ("rule", "n", "expected"),
    [
        ("rice", 1000, 20),
        ("rice", 30, 7),
        ("sturges", 1000, 11),
        ("sturges", 64, 7),
        ("sqrt", 1000, 32),
        ("sqrt", 50, 8),
        (9, 50, 9),
    ],
)
def test_bin_count_rules(rule, n, expected):
    x = np.linspace(0.0, 1.0, n) ** 2
    disc = Discretizer(kind="binned", n_bins=rule)
    fit_quiet(disc, x, labels(n), labels(n))
    assert disc.n_states_["x1"] == expected
    assert disc.bin_edges_["x1"].size == expected - 1


def test_constant_column_is_one_bin():
    disc = Discretizer(kind="binned")
    c1, _, _ = fit_quiet(disc, np.full(50, 3.5), labels(50), labels(50))
    assert disc.n_states_["x1"] == 1 and disc.bin_edges_["x1"].size == 0
    assert np.all(c1 == 0)
    assert np.all(disc.transform(x1=[-10.0, 3.5, 99.0])[0] == 0)
    assert any("constant" in n for n in disc.notes_)


def test_binning_2d_points_to_clustered(rng):
    with pytest.raises(ShapeError, match=r"kind='binned' needs a 1-D array.*kind='clustered'"):
        Discretizer(kind="binned").fit(rng.normal(size=(20, 2)), labels(20), labels(20))


def test_binning_strings_is_an_error():
    with pytest.raises(ShapeError, match=r"cannot be binned.*kind='categorical'"):
        Discretizer(kind="binned").fit(np.array(["a", "b"] * 10), labels(20), labels(20))


# ---------------------------------------------------------------- clusters


def test_clustering_is_deterministic_and_dtype_independent(rng):
    x = rng.normal(size=(N, 4))
    fits = []
    for data in (x, x.astype(np.float32), pd.DataFrame(x), x.tolist()):
        disc = Discretizer(n_clusters=6, random_state=7)
        fits.append(fit_quiet(disc, data, labels(), labels())[0])
        assert disc.kinds_["x1"] == "clustered" and isinstance(disc.kmeans_["x1"], KMeans)
    again = fit_quiet(Discretizer(n_clusters=6, random_state=7), x, labels(), labels())[0]
    np.testing.assert_array_equal(fits[0], again)
    np.testing.assert_array_equal(fits[0], fits[2])  # DataFrame
    np.testing.assert_array_equal(fits[0], fits[3])  # nested list
    # float32 rounding may move a borderline point, nothing more
    assert np.mean(fits[0] == fits[1]) > 0.99
    assert np.unique(fits[0]).size == 6


def test_generator_random_state_is_reproducible(rng):
    x = rng.normal(size=(N, 3))
    a = fit_quiet(Discretizer(random_state=np.random.default_rng(3)), x, x, labels())
    b = fit_quiet(Discretizer(random_state=np.random.default_rng(3)), x, x, labels())
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_auto_clusters_rule_and_distinct_row_cap(rng):
    disc = Discretizer(random_state=0)
    x_many = rng.normal(size=(N, 2))
    x_few = np.tile(rng.normal(size=(40, 2)), (8, 1))[:N]  # 40 distinct rows > max_categories
    fit_quiet(disc, x_many, x_few, labels())
    # states chosen by held-out information: a label unrelated to the modalities keeps nothing, so the fewest
    assert disc.n_states_["x1"] == disc.n_states_["x2"] == 2
    assert disc.selection_ is not None and disc.selection_.chosen.k == 2
    assert any("held-out information" in n for n in disc.notes_)
    # ... and a modality that tells the label apart gets the states that resolve it
    y = (x_many[:, 0] > 0).astype(int) + 2 * (x_many[:, 1] > 0)
    informed = Discretizer(kind="clustered", random_state=0)
    fit_quiet(informed, x_many, x_few, y)
    assert informed.n_states_["x1"] >= 3 and informed.selection_.chosen.I1 > 1.0  # of H(Y) = 2 bits
    disc = Discretizer(n_clusters=10, kind={"x2": "clustered"}, random_state=0)
    fit_quiet(disc, x_many, np.repeat([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], 100, axis=0), labels())
    assert disc.n_states_["x2"] == 3
    assert any("n_clusters=10 capped" in n for n in disc.notes_)


def test_pca_option(rng):
    x = rng.normal(size=(N, 6))
    disc = Discretizer(pca_components={"x1": 2, "x2": 0.9}, n_clusters=4, random_state=0)
    c1, c2, _ = fit_quiet(disc, x, x, labels())
    assert disc.pca_["x1"].n_components_ == 2
    assert 2 < disc.pca_["x2"].n_components_ <= 6
    assert disc.kmeans_["x1"].cluster_centers_.shape == (4, 2)
    t1, t2, _ = disc.transform(x1=x, x2=x)
    np.testing.assert_array_equal(t1, c1)
    np.testing.assert_array_equal(t2, c2)
    with pytest.raises(ParameterError, match=r"pca_components for x1 must be <= .* = 6; got 9"):
        Discretizer(pca_components={"x1": 9}).fit(x, x, labels())


def test_minibatch_kmeans_above_threshold(rng):
    n = MINIBATCH_THRESHOLD + 1
    x = rng.normal(size=(n, 2))
    disc = Discretizer(n_clusters=3, random_state=0)
    c1, _, _ = fit_quiet(disc, x, labels(n), labels(n))
    assert isinstance(disc.kmeans_["x1"], MiniBatchKMeans)
    assert disc.n_states_["x1"] == 3 and np.unique(c1).size == 3
    np.testing.assert_array_equal(disc.transform(x1=x[:500])[0], c1[:500])


# ---------------------------------------------------------------- transform


def test_transform_predictions_with_fit_codes(rng):
    x1, x2 = rng.normal(size=N), rng.normal(size=(N, 3))
    y = rng.choice(["cat", "dog", "eel"], N)
    disc = Discretizer(kind={"x2": "clustered"}, random_state=0)  # a supervised x2: see test_trust
    c1, c2, cy = fit_quiet(disc, x1, x2, y)
    idx = rng.permutation(N)[:50]
    none1, none2, cy_hat = disc.transform(y=y[idx])  # a model's predictions
    assert none1 is None and none2 is None
    np.testing.assert_array_equal(cy_hat, cy[idx])
    t1, t2, ty = disc.transform(x1[idx], x2[idx], y[idx])  # another split
    np.testing.assert_array_equal(t1, c1[idx])
    np.testing.assert_array_equal(t2, c2[idx])
    np.testing.assert_array_equal(ty, cy[idx])


def test_transform_numeric_predictions_across_dtypes():
    y = np.array([0.0, 1.0, 2.0] * 10)  # integral floats -> categorical
    disc = Discretizer()
    _, _, cy = fit_quiet(disc, labels(30), labels(30), y)
    assert disc.kinds_["y"] == "categorical"
    np.testing.assert_array_equal(disc.transform(y=np.array([2, 0, 1]))[2], [2, 0, 1])
    np.testing.assert_array_equal(cy[:3], [0, 1, 2])


def test_pandas_categorical_label_and_predictions():
    y = pd.Series(pd.Categorical(["lo", "hi", "mid"] * 10))
    disc = Discretizer()
    _, _, cy = fit_quiet(disc, labels(30), labels(30), y)
    assert disc.kinds_["y"] == "categorical"
    assert list(disc.categories_["y"]) == ["hi", "lo", "mid"]
    np.testing.assert_array_equal(disc.transform(y=["mid", "lo"])[2], [2, 1])
    np.testing.assert_array_equal(cy[:3], [1, 0, 2])


def test_unknown_category_error():
    disc = Discretizer()
    fit_quiet(disc, labels(20), ["a", "b"] * 10, labels(20))
    match = r"x2 contains 'zebra'.*Refit the Discretizer on data that contains 'zebra'"
    with pytest.raises(UnknownCategoryError, match=match):
        disc.transform(x2=["a", "zebra"])
    with pytest.raises(UnknownCategoryError, match=r"y contains 7, a category not seen in fit"):
        disc.transform(y=[0, 1, 7])
    with pytest.raises(UnknownCategoryError, match=r"x1 contains 0.5"):
        disc.transform(x1=[0.5])


def test_unknown_row_category_error():
    disc = Discretizer()
    fit_quiet(disc, _one_hot(40), labels(40), labels(40))
    with pytest.raises(UnknownCategoryError, match=r"x1 contains \[1, 1, 0, 0\], a category not seen"):
        disc.transform(x1=[[0, 1, 0, 0], [1, 1, 0, 0]])
    with pytest.raises(ShapeError, match=r"shape \(n, 4\)"):
        disc.transform(x1=np.ones((3, 5)))


def test_not_fitted_error():
    disc = Discretizer()
    with pytest.raises(NotFittedError, match=r"not fitted yet; call fit\(x1, x2, y\)"):
        disc.transform(y=[0, 1])
    with pytest.raises(NotFittedError, match="not fitted"):
        disc.summarize([0], [0], [0])
    with pytest.raises(AttributeError):  # NotFittedError is also an AttributeError
        disc.transform(x1=[0])


# ---------------------------------------------------------------- labels


def test_continuous_label_error_names_y_bins(rng):
    y = rng.normal(size=N)
    with pytest.raises(ContinuousLabelError, match=rf"{N} distinct values.*y_bins="):
        Discretizer().fit(labels(), labels(), y)


def test_auto_states_follow_the_information_not_the_budget(rng):
    n = 20_000
    x = rng.normal(size=n)
    noise = Discretizer()
    fit_quiet(noise, x, rng.integers(0, 4, n), rng.integers(0, 2, n))
    assert noise.n_states_["x1"] == 2  # unrelated to the label: nothing to keep
    steps = np.digitize(x, [-1.0, 0.0, 1.0])  # the label is x's quartile-ish step, with some noise
    y = np.where(rng.random(n) < 0.9, steps, rng.integers(0, 4, n))
    disc = Discretizer()
    fit_quiet(disc, x, rng.integers(0, 4, n), y)
    assert 4 <= disc.n_states_["x1"] <= 32  # enough bins to resolve the three steps
    assert disc.selection_.chosen.I1 > 0.8 * max(c.I1 for c in disc.selection_.candidates)
    disc = Discretizer(n_bins="rice")
    fit_quiet(disc, rng.normal(size=n), rng.normal(size=n), rng.integers(0, 2, n))
    assert disc.n_states_["x1"] == math.ceil(2 * n ** (1 / 3)) == 55


def test_y_bins_bins_the_label(rng):
    y = rng.normal(size=N)
    disc = Discretizer(y_bins=4)
    _, _, cy = fit_quiet(disc, labels(), labels(), y)
    assert disc.kinds_["y"] == "binned" and disc.n_states_["y"] == 4
    np.testing.assert_allclose(np.diff(disc.bin_edges_["y"]), (y.max() - y.min()) / 4)
    assert set(cy) == {0, 1, 2, 3}
    assert any("y_bins=4" in n for n in disc.summary_.notes)


def test_y_bins_rejects_string_labels():
    with pytest.raises(ParameterError, match="leave y_bins=None"):
        Discretizer(y_bins=3).fit(labels(10), labels(10), ["a", "b"] * 5)


def test_label_rules():
    disc = Discretizer()
    fit_quiet(disc, labels(100), labels(100), np.tile([0.1, 0.2, 0.7], 34)[:100])  # few floats
    assert disc.n_states_["y"] == 3
    fit_quiet(disc, labels(100), labels(100), np.arange(100) % 20 * 1.0)  # integral floats, few values
    assert disc.kinds_["y"] == "categorical" and disc.n_states_["y"] == 20
    for many in (np.arange(100), np.arange(100) * 1.0):  # many numbers, integers or not: continuous
        with pytest.raises(ContinuousLabelError, match="100 distinct values .all integers."):
            Discretizer().fit(labels(100), labels(100), many)
    declared = Discretizer(kind={"y": "categorical"})
    fit_quiet(declared, labels(100), labels(100), np.arange(100))  # unless declared class codes
    assert declared.kinds_["y"] == "categorical" and declared.n_states_["y"] == 100
    with pytest.raises(ShapeError, match=r"y must be 1-D"):
        Discretizer().fit(labels(10), labels(10), np.zeros((10, 2)))


# ---------------------------------------------------------------- input errors


def test_input_errors(rng):
    d = Discretizer()
    with pytest.raises(ShapeError, match=r"3-D shape \(10, 2, 2\)"):
        d.fit(rng.normal(size=(10, 2, 2)), labels(10), labels(10))
    x = rng.normal(size=10)
    x[3] = np.nan
    with pytest.raises(NonFiniteInputError, match=r"x1 contains 1 NaN"):
        d.fit(x, labels(10), labels(10))
    with pytest.raises(LengthMismatchError, match=r"x1 has 10, x2 has 9, y has 10"):
        d.fit(labels(10), labels(9), labels(10))
    with pytest.raises(EmptyInputError, match=r"x2 is empty"):
        d.fit(labels(10), [], labels(10))
    fit_quiet(d, labels(10), labels(10), labels(10))
    with pytest.raises(LengthMismatchError):
        d.transform(x1=labels(4), y=labels(5))


def test_failed_refit_leaves_no_fitted_state():
    disc = Discretizer()
    fit_quiet(disc, labels(40), labels(40), labels(40))
    with pytest.raises(ContinuousLabelError, match="40 distinct values"):
        disc.fit(labels(40), labels(40), np.linspace(0.05, 0.95, 40))
    with pytest.raises(NotFittedError):
        disc.transform(y=[0])


def test_inputs_not_modified(rng):
    x1 = rng.normal(size=N) * -0.0 + rng.normal(size=N)
    x2 = rng.normal(size=(N, 3))
    y = rng.integers(0, 3, N).astype(float)
    df = pd.DataFrame(x2)
    copies = [x1.copy(), x2.copy(), y.copy(), df.copy()]
    disc = Discretizer(pca_components=2, random_state=0)
    fit_quiet(disc, x1, df, y)
    disc.transform(x1, df, y)
    fit_quiet(Discretizer(kind="binned", strategy="quantile"), x1, x1, y)
    np.testing.assert_array_equal(x1, copies[0])
    np.testing.assert_array_equal(x2, copies[1])
    np.testing.assert_array_equal(y, copies[2])
    pd.testing.assert_frame_equal(df, copies[3])


# ---------------------------------------------------------------- summary & warning


def test_summary_numbers_hand_built():
    x1 = [0, 0, 1, 1, 0, 0]
    x2 = [0, 1, 0, 1, 0, 1]
    y = [0, 1, 1, 0, 0, 1]  # cells (0,0,0) x2, (0,1,1) x2, (1,0,1), (1,1,0)
    disc = Discretizer(min_samples_per_cell=0)
    codes = disc.fit_transform(x1, x2, y)
    s = disc.summary_
    assert isinstance(s, DiscretizationSummary)
    assert s.n_states == {"x1": 2, "x2": 2, "y": 2} and s.n_samples == 6
    assert (s.total_cells, s.occupied_cells) == (8, 4)
    assert s.samples_per_occupied_cell == pytest.approx(1.5)
    assert s.empty_fraction == pytest.approx(0.5)
    assert disc.summarize(*codes) == s
    d = json.loads(json.dumps(s.to_dict()))
    assert d["occupied_cells"] == 4 and d["kinds"]["y"] == "categorical" and d["notes"] == []
    text = str(s)
    assert "4 occupied of 8" in text and "1.50" in text
    with pytest.raises(Exception, match="frozen|assign"):
        s.n_samples = 1


def test_plug_in_bias_warning(rng):
    x1, x2 = rng.normal(size=60), rng.normal(size=60)
    disc = Discretizer(kind="binned", n_bins=10, min_samples_per_cell=5.0)
    with pytest.warns(PlugInBiasWarning, match=r"Only \d+\.\d\d samples per occupied cell.*"
                      r"min_samples_per_cell=5\.0.*fewer bins or clusters.*more samples"):
        disc.fit_transform(x1, x2, labels(60))
    assert disc.summary_.samples_per_occupied_cell < 5.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlugInBiasWarning)
        Discretizer(kind="binned", n_bins=2).fit_transform(x1, x2, labels(60))  # 60/8 >= 5


# ---------------------------------------------------------------- joint counts


def _loop_counts(c1, c2, cy, shape):
    out = np.zeros(shape, dtype=np.int64)
    for a, b, c in zip(c1, c2, cy, strict=True):
        out[a, b, c] += 1
    return out


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 4), st.integers(0, 80), st.integers(0, 2**31))
def test_joint_counts_matches_loop(n1, n2, ny, n, seed):
    r = np.random.default_rng(seed)
    c1, c2, cy = r.integers(0, n1, n), r.integers(0, n2, n), r.integers(0, ny, n)
    counts = joint_counts(c1, c2, cy, (n1, n2, ny))
    assert counts.dtype == np.int64 and counts.shape == (n1, n2, ny)
    np.testing.assert_array_equal(counts, _loop_counts(c1, c2, cy, (n1, n2, ny)))
    assert counts.sum() == n


def test_joint_counts_after_fit_transform(rng):
    x1, x2, y = rng.normal(size=N), rng.integers(0, 3, N), rng.integers(0, 2, N)
    disc = Discretizer(n_bins=4)
    c1, c2, cy = fit_quiet(disc, x1, x2, y)
    shape = (disc.n_states_["x1"], disc.n_states_["x2"], disc.n_states_["y"])
    counts = joint_counts(c1, c2, cy, shape)
    assert counts.shape == (4, 3, 2)
    np.testing.assert_array_equal(counts.sum(axis=(0, 1)), np.bincount(y))
    assert np.count_nonzero(counts) == disc.summary_.occupied_cells


def test_joint_counts_errors():
    with pytest.raises(InputError, match=r"c2 codes must lie in \[0, 2\)"):
        joint_counts([0, 1], [0, 2], [0, 0], (2, 2, 1))
    with pytest.raises(ShapeError, match="must be integers"):
        joint_counts([0.0], [0], [0], (1, 1, 1))
    with pytest.raises(LengthMismatchError):
        joint_counts([0, 0], [0], [0], (1, 1, 1))


def test_encode_labels_alone():
    d = Discretizer()
    codes, cats = d.encode_labels(np.array(["b", "a", "b"]))
    assert codes.tolist() == [1, 0, 1] and cats.tolist() == ["a", "b"]
    assert not hasattr(d, "kinds_")  # an unfitted Discretizer stays unfitted
    d.fit(np.zeros(20, dtype=int), np.zeros(20, dtype=int), np.array(["x", "y"] * 10))
    assert d.encode_labels(np.array(["y", "x"]))[0].tolist() == [1, 0]
    with pytest.raises(UnknownCategoryError):
        d.encode_labels(np.array(["z"]))
    with pytest.raises(ContinuousLabelError):
        Discretizer().encode_labels(np.random.default_rng(0).random(100))


# ---- per-variable coders (pidkit.coders) and fitting one variable alone ---------------------------


def _coder_cases(rng):
    strs = np.array(["b", "a", "c"])[rng.integers(0, 3, N)]
    return [
        (CategoricalCoder(name="x1"), strs, np.array(["c", "a"])),
        (CategoricalCoder(name="x1"), np.eye(3)[rng.integers(0, 3, N)], np.eye(3)[[2, 0]]),
        (BinnedCoder(n_bins=5, strategy="quantile", name="x2"), rng.normal(size=N), np.array([-9.0, 0.0, 9.0])),
        (BinnedCoder(n_bins="sturges", name="x2"), rng.normal(size=N), np.array([0.5])),
        (ClusteredCoder(n_clusters=4, pca_components=2, random_state=0, name="x1"), rng.normal(size=(N, 3)),
         rng.normal(size=(7, 3))),
    ]


def test_coders_share_one_interface(rng):
    for coder, x, new in _coder_cases(rng):
        before = x.copy()
        codes = coder.fit_transform(x)
        np.testing.assert_array_equal(x, before)  # input left unchanged
        assert codes.dtype == np.int64 and codes.shape == (N,)
        assert 0 <= codes.min() and codes.max() < coder.n_states_
        np.testing.assert_array_equal(coder.transform(x), codes)
        assert coder.transform(new).shape == (len(new),) and coder.transform(new).max() < coder.n_states_
        assert coder.summary() == {"name": coder.name, "kind": coder.kind, "n_states": coder.n_states_,
                                   "notes": coder.notes_}
        assert coder.fingerprint_items()[:2] == [("kind", coder.kind), ("states", coder.n_states_)]
        assert f"n_states_={coder.n_states_}" in repr(coder)


def test_coders_fitted_alone_match_the_discretizer(rng):
    x1, x2, y = rng.normal(size=N), rng.normal(size=(N, 3)), rng.integers(0, 3, N)
    disc = Discretizer(n_bins=6, n_clusters=5, random_state=0)
    c1, c2, cy = fit_quiet(disc, x1, x2, y)
    assert [type(disc.coders_[k]) for k in ("x1", "x2", "y")] == [BinnedCoder, ClusteredCoder, CategoricalCoder]
    assert disc.kinds_ == {k: c.kind for k, c in disc.coders_.items()}
    np.testing.assert_array_equal(BinnedCoder(n_bins=6).fit_transform(x1), c1)
    np.testing.assert_array_equal(ClusteredCoder(n_clusters=5, random_state=0).fit_transform(x2), c2)
    np.testing.assert_array_equal(CategoricalCoder().fit_transform(y), cy)
    assert disc.bin_edges_["x1"] is disc.coders_["x1"].bin_edges_


def test_coder_errors(rng):
    with pytest.raises(NotFittedError, match="BinnedCoder is not fitted"):
        BinnedCoder().transform([1.0])
    with pytest.raises(ShapeError, match="must be 1-D numbers to be binned"):
        BinnedCoder(name="x1").fit(rng.normal(size=(10, 2)))
    with pytest.raises(ParameterError, match="n_bins='auto' is the Discretizer's joint-table budget"):
        BinnedCoder(n_bins="auto").fit(rng.normal(size=10))
    with pytest.raises(ParameterError, match="n_clusters must be an integer >= 2"):
        ClusteredCoder(n_clusters=1).fit(rng.normal(size=(10, 2)))
    with pytest.raises(ShapeError, match="cannot be clustered"):
        ClusteredCoder().fit(np.array(["a"] * 10))
    coder = ClusteredCoder(n_clusters=2, random_state=0, name="x2").fit(rng.normal(size=(20, 3)))
    with pytest.raises(ShapeError, match="x2 was fitted as clustered with 3 numeric feature"):
        coder.transform(rng.normal(size=(5, 2)))
    with pytest.raises(UnknownCategoryError, match="x1 contains 'z'"):
        CategoricalCoder(name="x1").fit(["a", "b"]).transform(["z"])
    bad = BinnedCoder(n_bins=3).fit(np.arange(10.0))
    with pytest.raises(ShapeError):
        bad.fit(np.zeros((4, 2)))
    assert not hasattr(bad, "n_states_")  # a failed refit leaves the coder unfitted


def test_fit_one_codes_a_variable_as_fit_does_in_its_slot(rng):
    x, y = rng.normal(size=(N, 4)), np.array(["u", "v"])[rng.integers(0, 2, N)]
    zeros = np.zeros(N, dtype=int)
    for slot, values, args in (("x1", x, (x, zeros, zeros)), ("x2", x[:, 0], (zeros, x[:, 0], zeros)),
                               ("y", y, (zeros, zeros, y))):
        # the same states asked for: without a label, fit_one cannot choose them by held-out information
        full = Discretizer(n_clusters=6, n_bins=6, random_state=0)
        codes = fit_quiet(full, *args)[("x1", "x2", "y").index(slot)]
        one = Discretizer(n_clusters=6, n_bins=6, random_state=0).fit_one(slot, values)
        assert list(one.coders_) == [slot] and one.kinds_[slot] == full.kinds_[slot]
        assert one.n_states_[slot] == full.n_states_[slot] and one.notes_ == full.notes_
        np.testing.assert_array_equal(one.transform_one(slot, values), codes)
        np.testing.assert_array_equal(one.transform(**{slot: values})[("x1", "x2", "y").index(slot)], codes)
        assert not hasattr(one, "summary_")
    with pytest.raises(NotFittedError, match="fitted on y alone .fit_one., so it cannot code x1"):
        one.transform(x1=x)
    with pytest.raises(NotFittedError, match="fitted on y alone"):
        one.summarize(zeros, zeros, zeros)
    with pytest.raises(ParameterError, match=r"slot must be one of \['x1', 'x2', 'y'\]; got 'x3'"):
        Discretizer().fit_one("x3", x)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        Discretizer().transform_one("x1", x)
    with pytest.raises(ContinuousLabelError):
        one.fit_one("y", rng.random(100))
    assert not hasattr(one, "coders_")  # a failed refit leaves no half-fitted object


def test_scikit_learn_parameter_protocol():
    """get_params(deep) / set_params / clone as scikit-learn expects; fit leaves the parameters as given."""
    import numpy as np
    from sklearn.base import clone

    import pidkit as pid
    from pidkit.exceptions import ParameterError

    disc = pid.Discretizer(n_bins={"x1": 4, "x2": 6}, kind="auto", random_state=0)
    twin = clone(disc)
    assert twin is not disc and twin.get_params(deep=True) == disc.get_params(deep=False)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2))
    before = disc.get_params()
    disc.fit(x[:, 0], x[:, 1], (x[:, 0] > 0).astype(int))
    assert disc.get_params() == before  # fit validates into its own attributes, never into the parameters
    assert clone(disc).is_fitted() is False  # a clone is unfitted
    assert disc.set_params(n_bins=3, strategy="quantile") is disc and disc.n_bins == 3
    with pytest.raises(ParameterError, match=r"does not take parameter\(s\) \['bogus'\]"):
        disc.set_params(bogus=1)


def test_bias_warning_points_at_the_callers_line():
    import warnings

    import numpy as np

    import pidkit as pid
    from pidkit.exceptions import PlugInBiasWarning

    rng = np.random.default_rng(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pid.estimate(rng.normal(size=(200, 5)), rng.normal(size=(200, 5)), rng.integers(0, 3, 200),
                     discretizer=pid.Discretizer(n_clusters=40), info_check=False)
    bias = [w for w in caught if issubclass(w.category, PlugInBiasWarning)]
    assert bias and all(w.filename == __file__ for w in bias)  # this test's line, not pidkit's internals
