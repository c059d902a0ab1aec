"""Bad inputs get pidkit errors that say what to do; results serialize to valid JSON and compare by content."""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import warnings

import numpy as np
import pytest

import pidkit as pid
import pidkit.exceptions as exc_mod
from pidkit.exceptions import (
    InputError,
    NotFittedError,
    ParameterError,
    PIDKitError,
    ResultFormatError,
    ShapeError,
)
from pidkit.result import PIDResult
from pidkit.synthetic import gate_pmf


def _reject_nan(token):
    raise AssertionError(f"invalid JSON token {token}")


@pytest.fixture(scope="module")
def res():
    return pid.decompose(gate_pmf("and"))


# ------------------------------------------------------------------------ 4h: the exception hierarchy


def test_every_error_is_a_pidkit_error_and_a_value_or_runtime_error():
    classes = [c for _, c in inspect.getmembers(exc_mod, inspect.isclass) if c.__module__ == exc_mod.__name__]
    errors = [c for c in classes if issubclass(c, BaseException) and not issubclass(c, Warning)]
    assert len(errors) >= 15
    for cls in errors:
        assert issubclass(cls, PIDKitError), cls
        if cls is not PIDKitError:
            assert issubclass(cls, (ValueError, RuntimeError)), cls
    # the builtin classes callers already catch stay caught
    assert issubclass(NotFittedError, AttributeError)
    assert issubclass(exc_mod.MissingDependencyError, ImportError)
    for cls in errors:  # instantiable with a message (no layout conflict between the bases)
        assert str(cls("msg")) == "msg"


def test_exported_names_are_complete():
    defined = {n for n, c in inspect.getmembers(exc_mod, inspect.isclass) if c.__module__ == exc_mod.__name__}
    assert defined == set(exc_mod.__all__)


# ------------------------------------------------------------------------------- 4a: ragged input


@pytest.mark.parametrize("ragged", [[[1, 2], [3]], [[1.0], [2.0, 3.0], [4.0]]])
def test_ragged_nested_list_is_a_shape_error(ragged):
    n = len(ragged)
    with pytest.raises(ShapeError, match=r"x1 is a ragged sequence.*row lengths.*same number of"):
        pid.estimate(ragged, list(range(n)), [0, 1] * (n // 2) + [0] * (n % 2))


def test_ragged_input_to_discretizer_is_a_shape_error():
    with pytest.raises(ShapeError, match="ragged"):
        pid.Discretizer().fit([0, 1], [[1, 2], [3]], [0, 1])


# ------------------------------------------------------------------------------- 4b: discretizer


@pytest.mark.parametrize("bad", ["abc", 3, object])
def test_discretizer_of_wrong_type_is_a_parameter_error(bad):
    with pytest.raises(ParameterError, match=r"discretizer must be None or a pidkit.Discretizer.*got"):
        pid.estimate([0, 1, 0, 1], [0, 1, 1, 0], [0, 1, 1, 0], discretizer=bad)


# ---------------------------------------------------------------------- 4c: deserialization errors


@pytest.mark.parametrize("text", ["abc", "", "[1, 2", "{'R': 1}"])
def test_from_json_of_non_json_is_a_result_format_error(text):
    with pytest.raises(ResultFormatError, match=r"from_json expects a JSON string written by PIDResult.to_json"):
        PIDResult.from_json(text)


def test_from_json_of_empty_object_names_the_missing_fields():
    with pytest.raises(ResultFormatError, match=r"lacks field\(s\) \['R', 'U1', 'U2', 'S', 'total'"):
        PIDResult.from_json("{}")
    assert issubclass(ResultFormatError, ValueError)


def test_from_json_of_a_list_is_a_result_format_error():
    with pytest.raises(ResultFormatError, match="expects a dict.*got list"):
        PIDResult.from_json("[1, 2]")


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("R", "x", r"field 'R' must be a real number; got 'x'"),
        ("S", True, r"field 'S' must be a real number; got True"),
        ("units", "furlongs", r"field 'units' must be 'bits' or 'nats'; got 'furlongs'"),
        ("shape", [2, 2], r"field 'shape' must be 3 positive integers"),
        ("n_samples", -3, r"field 'n_samples' must be None or an integer >= 0"),
        ("diagnostics", "x", r"field 'diagnostics' must be a dict"),
        ("estimator", 5, r"field 'estimator' must be a string"),
    ],
)
def test_from_dict_names_the_invalid_field(res, field, value, match):
    d = res.to_dict()
    d[field] = value
    with pytest.raises(ResultFormatError, match=match):
        PIDResult.from_dict(d)


def test_from_dict_names_unknown_and_missing_diagnostics_fields(res):
    d = res.to_dict()
    d["colour"] = "blue"
    with pytest.raises(ResultFormatError, match=r"does not take field\(s\) \['colour'\]"):
        PIDResult.from_dict(d)
    d = res.to_dict()
    del d["diagnostics"]["solver"]
    d["diagnostics"]["speed"] = 1
    with pytest.raises(ResultFormatError,
                       match=r"diagnostics' lacks field\(s\) \['solver'\] and does not take field\(s\) \['speed'\]"):
        PIDResult.from_dict(d)


def test_from_dict_round_trip_keeps_every_field(res):
    back = PIDResult.from_dict(res.to_dict())
    assert back == res
    for f in dataclasses.fields(PIDResult):
        if f.name not in ("diagnostics", "uncertainty"):
            assert getattr(back, f.name) == getattr(res, f.name), f.name
    assert back.diagnostics == res.diagnostics
    assert isinstance(back.shape, tuple) and isinstance(back.diagnostics.notes, tuple)
    assert PIDResult.from_dict(res.to_dict()) is not res


# -------------------------------------------------------------------------- 4d: non-finite values


def _with_nan(res):
    diag = dataclasses.replace(
        res.diagnostics,
        atom_std={"R": math.nan, "U1": 0.1, "U2": math.inf, "S": -math.inf},
        details={"validation_I_q": [0.5, math.nan], "nested": {"v": (1.0, math.nan)}},
    )
    return dataclasses.replace(res, diagnostics=diag, estimator="batch")


def test_to_json_writes_valid_json_for_non_finite_values(res):
    r = _with_nan(res)
    s = r.to_json()
    d = json.loads(s, parse_constant=_reject_nan)  # strict JSON: no bare NaN / Infinity
    assert d["diagnostics"]["atom_std"]["R"] == "NaN"
    assert d["diagnostics"]["atom_std"]["U2"] == "Infinity"
    back = PIDResult.from_json(s)
    assert math.isnan(back.diagnostics.atom_std["R"])
    assert back.diagnostics.atom_std["S"] == -math.inf
    assert math.isnan(back.diagnostics.details["validation_I_q"][1])
    assert back == r


def test_from_json_reads_null_atoms_as_nan(res):
    d = json.loads(res.to_json())
    d["S"] = None
    assert math.isnan(PIDResult.from_dict(d).S)


def test_batch_result_json_round_trip():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=(120, 3)), rng.normal(size=(120, 3))
    y = (x1[:, 0] + x2[:, 0] > 0).astype(int)
    with warnings.catch_warnings():  # a 2-epoch fit may leave S a little below 0 (kept unclipped, warned)
        warnings.simplefilter("ignore", pid.exceptions.NegativeAtomWarning)
        r = pid.estimate(x1, x2, y, estimator="batch", random_state=0, epochs=2, classifier_epochs=3, hidden=(8,),
                         embed_dim=4, batch_size=16, readout_batches=1)
    s = r.to_json()
    json.loads(s, parse_constant=_reject_nan)
    back = PIDResult.from_json(s)
    assert back == r
    assert back.diagnostics.atom_std.keys() == r.diagnostics.atom_std.keys()


# ------------------------------------------------------------------------------- 4e: equality


def test_equal_results_of_two_runs_compare_equal():
    p = gate_pmf("and")
    a, b = pid.decompose(p), pid.decompose(p)
    assert a == b
    slow = dataclasses.replace(a, diagnostics=dataclasses.replace(a.diagnostics, time_s=123.0))
    assert slow == a
    # what matters still counts
    assert dataclasses.replace(a, S=a.S + 1e-9) != a
    assert dataclasses.replace(a, diagnostics=dataclasses.replace(a.diagnostics, solver="other")) != a
    assert dataclasses.replace(a, diagnostics=dataclasses.replace(a.diagnostics, notes=("x",))) != a
    assert a != a.with_units("nats")
    assert (a == "a") is False
    assert hash(a) == hash(b) == hash(PIDResult.from_json(a.to_json()))


# --------------------------------------------------------------------------- 4f: option types


@pytest.mark.parametrize("bad", ["no", "yes", 1, 0, None])
def test_normalize_must_be_a_bool(bad):
    p = np.full((2, 2, 2), 1 / 8)
    with pytest.raises(ParameterError, match=r"normalize must be True or False; got"):
        pid.decompose(p, normalize=bad)


def test_normalize_bools_still_work():
    p = np.full((2, 2, 2), 1 / 4)
    assert pid.decompose(p, normalize=True).total == pytest.approx(0.0, abs=1e-9)
    assert pid.decompose(p / 2, normalize=np.bool_(False)).total == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("bad", [True, False, "0.1", np.bool_(True), None, [0.1]])
def test_float_options_reject_bools_and_strings(bad):
    p = gate_pmf("xor")
    expected = r"max_inconsistency must be a finite number > 0 \(a real number, not a bool or string\); got"
    with pytest.raises(ParameterError, match=expected):
        pid.bounds.synergy_bounds(p.sum(1), p.sum(0), p.sum(2), max_inconsistency=bad)


def test_float_options_still_take_numbers():
    p = gate_pmf("xor")
    for ok in (0.1, 1, np.float32(0.2), np.int64(1)):
        assert pid.bounds.synergy_bounds(p.sum(1), p.sum(0), p.sum(2), max_inconsistency=ok).S_upper == \
            pytest.approx(1.0)


# -------------------------------------------------------------------- 3: BATCH with a rare class


def test_batch_with_a_one_sample_class_fails_before_training():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=(60, 3)), rng.normal(size=(60, 3))
    y = np.where(x1[:, 0] > 0, "a", "b").astype("<U4")
    y[5] = "rare"
    y[7] = y[9] = "pair"
    with pytest.raises(InputError, match=r"class\(es\) 'pair' \(2 samples\), 'rare' \(1 sample\).*"
                                         r"Drop or merge.*estimator='cvx'") as info:
        pid.estimate(x1, x2, y, estimator="batch", random_state=0, epochs=1, classifier_epochs=1)
    assert "logits" not in str(info.value)
    assert "at least 3 samples" in str(info.value)


def test_batch_min_class_size_follows_the_split_fractions():
    from pidkit.estimators.batch import min_class_size

    assert min_class_size(0.2, 0.2) == 3
    assert min_class_size(0.1, 0.1) == 6  # round(5 * 0.1) = 0: five samples leave the test split empty
    assert min_class_size(0.4, 0.4) == 3


def test_second_probe_escapes_get_pidkit_errors():
    """Inputs that escaped the error classes in the second hardening probe."""
    from pidkit.exceptions import InvalidPMFError, ParameterError
    from pidkit.synthetic import sample_gate

    with pytest.raises(InvalidPMFError, match="ragged"):
        pid.decompose([[[0.5, 0.5]], [[0.2]]])
    with pytest.raises(ParameterError, match="verbose must be"):
        pid.decompose(np.ones((2, 2, 2)) / 8, verbose="loud")
    x1, x2, _ = sample_gate("and", 200, random_state=0)
    with pytest.raises(ParameterError, match="discretizer must be a pidkit.Discretizer"):
        pid.model_pid(np.full((200, 2), 0.5), x1, x2, discretizer="abc")
    res = pid.pairwise(np.c_[x1, x2, x1 ^ x2], (x1 & x2))
    assert len(res.top(None)) == len(res) == 3 and res.top(0) == []
    for bad in (-1, 1.5, "3", True):
        with pytest.raises(ParameterError, match="k must be a non-negative int"):
            res.top(bad)
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(np.c_[x1, x2, x1 ^ x2], columns=["a", "b", "a"])
    with pytest.raises(ParameterError, match="repeats the column name\\(s\\) \\['a'\\]"):
        pid.pairwise(frame, x1 & x2)


def test_replicate_counts_are_bounded():
    from pidkit.exceptions import ParameterError

    with pytest.raises(ParameterError, match="n_boot=1,000,000,000,000 is more than 100,000"):
        pid.bootstrap(np.full((2, 2, 2), 50), ci=0.95, n_boot=10**12)
    with pytest.raises(ParameterError, match="n_perm=1,000,000,000,000 is more than 100,000"):
        pid.bootstrap(np.full((2, 2, 2), 50), ci=0.95, n_perm=10**12)


def test_explicit_state_counts_are_bounded():
    from pidkit.exceptions import ParameterError

    x = np.random.default_rng(0).normal(size=200)
    with pytest.raises(ParameterError, match="n_bins=1,000,000,000 is more than 1,000,000 states"):
        pid.Discretizer(n_bins=10**9).fit(x, x, (x > 0).astype(int))
    with pytest.raises(ParameterError, match="more than 1,000,000 states"):
        pid.Discretizer(n_clusters=10**7).fit(np.c_[x, x], np.c_[x, x], (x > 0).astype(int))


@pytest.mark.parametrize(("field", "value", "match"), [
    ("S", -5.0, "identity R \\+ U1 \\+ U2 \\+ S = total"),
    ("total", 100.0, "identity R \\+ U1 \\+ U2 \\+ S = total"),
    ("I1", 3.0, "identity R \\+ U1 = I1"),
    ("R", "Infinity", "infinite"),
])
def test_tampered_results_are_refused(field, value, match):
    d = json.loads(pid.decompose(gate_pmf("and")).to_json())
    d[field] = value
    with pytest.raises(ResultFormatError, match=match):
        PIDResult.from_json(json.dumps(d))


def test_negative_atoms_beyond_solver_tolerance_are_refused():
    d = json.loads(pid.decompose(gate_pmf("and")).to_json())
    for atom, shift in (("R", -0.5), ("U1", 0.5), ("U2", 0.5), ("S", -0.5)):  # every identity still holds
        d[atom] += shift
    with pytest.raises(ResultFormatError, match="non-negative"):
        PIDResult.from_json(json.dumps(d))


def test_agreement_refuses_nan_atoms():
    from pidkit.exceptions import InputError

    good = pid.decompose(gate_pmf("and"))
    bad = dataclasses.replace(good, S=float("nan"))
    with pytest.raises(InputError, match="non-finite atoms \\['S'\\]"):
        pid.agreement(good, bad)


def test_third_probe_escapes_get_pidkit_errors():
    """Inputs that escaped the error classes in the third probe (benchmarks/probe_hostile.py)."""
    from pidkit.exceptions import InvalidPMFError, NonFiniteInputError, TableTooLargeError

    with pytest.raises(InvalidPMFError, match="sums to more than float64 holds"):
        pid.decompose(np.full((2, 2, 2), 1e308))
    with pytest.raises(InvalidPMFError, match="ragged"):
        pid.decompose_many([np.full((2, 2, 2), 0.125), np.full((3, 2, 2), 1 / 12)])
    rng = np.random.default_rng(0)
    huge = np.r_[-rng.uniform(1e300, 1.7e308, 100), rng.uniform(1e300, 1.7e308, 100)]
    with pytest.raises(NonFiniteInputError, match="overflow float64"):
        pid.estimate(huge, rng.normal(size=200), rng.integers(0, 2, 200))
    # integers beyond 64 bits are exact only as labels
    big = np.array([2**70 + int(v) for v in rng.integers(0, 3, 300)], dtype=object)
    assert np.isfinite(pid.estimate(big, rng.integers(0, 3, 300), rng.integers(0, 2, 300)).R)
    ids = np.array([f"s{i}" for i in range(60_000)])
    with pytest.raises(TableTooLargeError, match="one pair's joint table"):
        pid.pairwise({"u": ids, "v": ids[::-1]}, np.arange(60_000) % 2)


@pytest.fixture(scope="module")
def full_result():
    rng = np.random.default_rng(0)
    x1, x2 = rng.integers(0, 3, 500), rng.integers(0, 3, 500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pid.estimate(x1, x2, (x1 + x2 + rng.integers(0, 2, 500)) % 3, ci=0.9, n_boot=50, random_state=0)


@pytest.mark.parametrize(("section", "field", "value"), [
    ("diagnostics", "notes", 5), ("diagnostics", "iterations", "many"), ("diagnostics", "discretization", "binned"),
    ("uncertainty", "level", "high"), ("uncertainty", "std", [1, 2]), ("uncertainty", "n_boot", -3),
    ("info_check", "kept", "most"), ("info_check", "lossless", "no"), ("info_check", "ranges", {"R": [1]}),
])
def test_tampered_nested_fields_are_refused(full_result, section, field, value):
    d = json.loads(full_result.to_json())
    assert d[section] is not None
    d[section][field] = value
    with pytest.raises(ResultFormatError, match=f"field '{section}.{field}' must be"):
        PIDResult.from_dict(d)
    assert PIDResult.from_json(full_result.to_json()) == full_result  # the untampered one still reads


def test_deeply_nested_json_is_a_result_format_error(full_result):
    with pytest.raises(ResultFormatError, match="nested too deeply"):
        PIDResult.from_json("[" * 100_000 + "]" * 100_000)
    d = json.loads(full_result.to_json())
    deep: list = []
    for _ in range(50_000):
        deep = [deep]
    d["extra"] = deep
    with pytest.raises(ResultFormatError, match="nested too deeply"):
        PIDResult.from_dict(d)
