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


def test_from_dict_restores_uncertainty_and_diagnostics():
    x1, x2, y = pid.synthetic.sample_gate("and", 400, random_state=0)
    res = pid.estimate(x1, x2, y, ci=0.9, n_boot=50, random_state=0)
    back = PIDResult.from_dict(res.to_dict())
    assert back == res
    assert back.uncertainty.intervals == res.uncertainty.intervals
    assert isinstance(back.uncertainty.intervals["S"], tuple)
    assert back.ci("S") == res.ci("S")
    assert back.diagnostics.discretization == res.diagnostics.discretization
    assert back.n_samples == 400


def test_to_pandas(res):
    pd = pytest.importorskip("pandas")
    df = res.to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns[:9]) == ["R", "U1", "U2", "S", "total", "I1", "I2", "units", "estimator"]
    assert len(df) == 1
    assert df.loc[0, "S"] == res.S and df.loc[0, "units"] == "bits" and df.loc[0, "I1"] == res.I1
    assert df.loc[0, "duality_gap"] == res.diagnostics.duality_gap and df.loc[0, "n_y"] == res.shape[2]
    if res.uncertainty is not None:  # intervals as columns
        lo, hi = res.ci("S")
        assert (df.loc[0, "S_low"], df.loc[0, "S_high"]) == (lo, hi)


def test_every_result_type_has_a_data_frame():
    import numpy as np

    from pidkit.bounds import synergy_bounds, synergy_bounds_many
    from pidkit.synthetic import gate_pmf

    pd = pytest.importorskip("pandas")
    with_ci = pid.estimate(*pid.synthetic.sample_gate("and", 800, random_state=0), ci=0.9, n_boot=50, random_state=0)
    df = with_ci.to_pandas()
    assert {"R_low", "R_high", "S_std", "ci_level"} <= set(df.columns) and df.loc[0, "ci_level"] == 0.9
    agreement = pid.agreement(pid.decompose(gate_pmf("and")), pid.decompose(gate_pmf("xor")))
    frame = agreement.to_pandas()
    assert list(frame.columns) == ["alpha", "data_share", "model_share", "model_value"]
    assert frame.attrs["similarity"] == agreement.similarity and set(frame.index) == set(agreement.alpha)
    p = np.random.default_rng(0).dirichlet(np.ones(12)).reshape(2, 3, 2)  # positive: IPF converges fast
    bounds = synergy_bounds(p.sum(axis=1), p.sum(axis=0), p.sum(axis=2))
    row = bounds.to_pandas()
    assert row.loc[0, "S_upper"] == bounds.S_upper and row.loc[0, "accuracy_upper"] == bounds.accuracy.upper
    many = synergy_bounds_many(np.stack([p.sum(axis=1)] * 2), np.stack([p.sum(axis=0)] * 2),
                               np.stack([p.sum(axis=2)] * 2))
    assert len(many.to_pandas()) == 2 and isinstance(many.to_pandas(), pd.DataFrame)
    from pidkit.fusion.compare import Comparison

    row = {"model": "early", "accuracy": 0.9, "accuracy_std": 0.01, "fold_accuracies": [0.9, 0.9],
           "model_pid": {"R": 0.1, "U1": 0.2, "U2": 0.0, "S": 0.3}, "alpha": 0.8, "similarity": 0.9, "fit_s": 1.0}
    cmp = Comparison(rows=[row], data_pid=pid.decompose(gate_pmf("and")), cv=2).to_pandas()
    assert cmp.loc["early", "S"] == 0.3 and cmp.attrs["cv"] == 2 and "alpha" in cmp.columns
    lattice = pid.decompose(np.full((2, 2, 2, 2), 1 / 16), measure="imin").to_pandas()
    assert len(lattice) == 18 and {"order", "meaning"} <= set(lattice.columns)
    assert pid.compare_measures(gate_pmf("and")).to_pandas().shape[0] == 4


def test_stack_result_to_dict_and_to_pandas():
    tables = np.stack([gate_pmf(g) for g in ("xor", "and", "rdn")])
    batch = pid.decompose_many(tables)
    d = batch.to_dict()
    json.dumps(d)  # plain Python
    assert d["units"] == "bits" and isinstance(d["solver"], str) and d["time_s"] >= 0
    for k in ("R", "U1", "U2", "S", "total"):
        assert d[k] == pytest.approx(getattr(batch, k).tolist())
        assert len(d[k]) == 3
    assert d["S"][0] == pytest.approx(1.0, abs=1e-6) and d["R"][2] == pytest.approx(1.0, abs=1e-6)
    assert d["converged"] == [True, True, True]
    pd = pytest.importorskip("pandas")
    df = batch.to_pandas()
    assert isinstance(df, pd.DataFrame) and len(df) == 3
    assert df["S"].tolist() == pytest.approx(d["S"])
    assert {"R", "U1", "U2", "S", "total"} <= set(df.columns)
