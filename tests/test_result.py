import json

import numpy as np
import pytest

import pidkit as pid
from pidkit.result import PIDResult
from pidkit.synthetic import gate_pmf


@pytest.fixture(scope="module")
def res():
    return pid.decompose(gate_pmf("and"))


def test_attributes(res):
    assert res.units == "bits"
    assert res.estimator == "cvx"
    assert res.n_samples is None
    assert res.shape == (2, 2, 2)
    assert res.total == pytest.approx(res.R + res.U1 + res.U2 + res.S, abs=1e-12)
    assert res.co_information == pytest.approx(res.R - res.S)
    assert res.consistency_error() < 1e-12
    assert set(res.atoms) == {"R", "U1", "U2", "S"}
    d = res.diagnostics
    assert d.solver.startswith("native/ipm")
    assert d.iterations > 0 and d.time_s > 0
    assert 0 <= d.duality_gap < 1e-6


def test_normalized_sums_to_one(res):
    n = res.normalized()
    assert sum(n.values()) == pytest.approx(1.0)
    assert n["S"] == pytest.approx(0.5 / res.total, abs=1e-6)


def test_normalized_of_zero_total():
    p = np.full((2, 2, 2), 1 / 8)
    assert pid.decompose(p).normalized() == {"R": 0.0, "U1": 0.0, "U2": 0.0, "S": 0.0}


def test_json_round_trip(res):
    s = res.to_json()
    assert json.loads(s)["diagnostics"]["solver"].startswith("native/ipm")
    back = PIDResult.from_json(s)
    assert back == res
    assert back.shape == (2, 2, 2)
    assert isinstance(back.diagnostics.notes, tuple)


def test_to_dict_is_plain(res):
    d = res.to_dict()
    json.dumps(d)  # raises if anything is not JSON-serializable
    assert d["R"] == res.R and d["diagnostics"]["duality_gap"] == res.diagnostics.duality_gap


def test_with_units(res):
    nats = res.with_units("nats")
    assert nats.units == "nats"
    assert nats.S == pytest.approx(res.S * np.log(2))
    assert nats.with_units("bits").isclose(res, atol=1e-15)
    assert res.isclose(nats, atol=1e-12)


def test_table_text(res):
    text = str(res)
    for token in ("R ", "U1", "U2", "S ", "I(X1,X2;Y)", "bits", "native/ipm", "gap"):
        assert token in text
    assert repr(res) == text
    assert "0.311278" in text


def test_describe():
    assert "synergistic" in pid.decompose(gate_pmf("xor")).describe()
    assert "redundant" in pid.decompose(gate_pmf("rdn")).describe()
    assert "Neither modality" in pid.decompose(np.full((2, 2, 2), 1 / 8)).describe()
