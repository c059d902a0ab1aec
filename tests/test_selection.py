"""Model selection: the catalog (build, format, loading), select_models, and fusion.compare."""

from __future__ import annotations

import copy
import json
import warnings

import numpy as np
import pytest

import pidkit as pid
from pidkit.exceptions import CatalogError, InputError, OutsideCatalogWarning, ParameterError
from pidkit.selection import SCHEMA_VERSION, Catalog, build_catalog, default_grid, load_catalog, save_catalog
from pidkit.synthetic import SUITE_PRESETS, suite_data

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

ATOMS = ("R", "U1", "U2", "S")
TINY_GRID = [
    {"name": "red", "weights": {"R": 1.0}, "information": 0.6, "seed": 1, "n_train": 600, "n_test": 400, "noise": 0.15},
    {"name": "syn", "weights": {"S": 1.0}, "information": 0.6, "seed": 2, "n_train": 600, "n_test": 400, "noise": 0.15},
]
TINY_PARAMS = {"epochs": 30, "hidden": (16,), "embed_dim": 8}


@pytest.fixture(scope="module")
def tiny_catalog():
    return build_catalog(TINY_GRID, models=["additive", "tensor"], seeds=(0, 1), model_params=TINY_PARAMS,
                         command="test")


def make_result(R, U1, U2, S, n=1000, classes=2):
    diag = pid.Diagnostics(solver="test", status="optimal")
    return pid.PIDResult(R, U1, U2, S, R + U1 + U2 + S, R + U1, R + U2, "bits", "cvx", n, (4, 4, classes), diag)


# ------------------------------------------------------------------------------------- catalog
def test_tiny_catalog_builds_with_the_documented_format(tiny_catalog, tmp_path):
    cat = Catalog(tiny_catalog)
    assert cat.names == ["red", "syn"] and cat.models == ["additive", "tensor"] and len(cat) == 2
    assert tiny_catalog["schema_version"] == SCHEMA_VERSION and tiny_catalog["seeds"] == [0, 1]
    built = tiny_catalog["built_with"]
    assert set(built) == {"pidkit", "torch", "numpy", "python", "command"} and built["command"] == "test"
    e = tiny_catalog["datasets"][0]
    assert e["generator"]["n_train"] == 600 and e["generator"]["seed"] == 1 and e["n_classes"] == 2
    assert e["pid"]["exact"]["R"] == pytest.approx(0.6, abs=1e-5) and e["profile"]["exact"]["R"] == pytest.approx(1.0)
    rec = e["models"]["tensor"]
    assert len(rec["accuracy"]) == 2 and rec["accuracy_mean"] == pytest.approx(np.mean(rec["accuracy"]), abs=1e-6)
    assert set(rec["model_pid"]) == set(ATOMS) and "alpha" in rec
    # the synergy dataset separates the models: additive fusion cannot represent an XOR
    syn = cat.relative_accuracy[1]
    assert syn[cat.models.index("tensor")] == 1.0 and syn[cat.models.index("additive")] < 0.8
    path = save_catalog(tiny_catalog, tmp_path / "c.json")
    again = load_catalog(path)
    assert again.raw == json.loads(json.dumps(tiny_catalog)) and np.array_equal(again.accuracy, cat.accuracy)


def test_catalog_build_is_deterministic(tiny_catalog):
    again = build_catalog(TINY_GRID[:1], models=["additive", "tensor"], seeds=(0, 1), model_params=TINY_PARAMS,
                          command="test")
    assert again["datasets"][0] == tiny_catalog["datasets"][0]


def test_default_grid_covers_presets_and_simplex():
    grid = default_grid()
    names = [g["name"] for g in grid]
    assert len(grid) >= 40 and len(set(names)) == len(names) and len({g["seed"] for g in grid}) == len(grid)
    for preset in SUITE_PRESETS:
        assert f"{preset}-easy" in names and f"{preset}-hard" in names
    sweep = [g for g in grid if g["name"] not in {f"{p}-{lv}" for p in SUITE_PRESETS for lv in ("easy", "hard")}]
    assert len(sweep) >= 30
    shares = {tuple(round(g["weights"][a], 3) for a in ATOMS) for g in sweep}
    assert (1.0, 0.0, 0.0, 0.0) in shares and (0.0, 0.0, 0.0, 1.0) in shares and (0.0, 0.5, 0.5, 0.0) in shares


def test_shipped_catalog_loads_and_matches_the_zoo():
    from pidkit.fusion import available_models

    cat = load_catalog()
    assert cat.models == available_models() and len(cat) == len(default_grid())
    assert cat.names == [g["name"] for g in default_grid()]
    assert cat.raw["seeds"] == [0, 1, 2] and cat.raw["built_with"]["command"] == "python benchmarks/build_catalog.py"
    assert np.all(cat.relative_accuracy <= 1.0) and np.allclose(cat.relative_accuracy.max(axis=1), 1.0)
    for e in cat.datasets:
        assert sum(e["profile"]["exact"].values()) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda c: c.update(schema_version=99), "schema version 99"),
        (lambda c: c.pop("models"), "lacks the key 'models'"),
        (lambda c: c["datasets"][0].pop("profile"), "lacks \\['profile'\\]"),
        (lambda c: c["datasets"][0]["models"].pop("tensor"), "no complete record for model 'tensor'"),
        (lambda c: c["datasets"][0]["models"]["tensor"].update(accuracy=[0.5]), "one accuracy per seed"),
        (lambda c: c.update(datasets=[]), "no datasets"),
    ],
)
def test_bad_catalogs_are_refused(tiny_catalog, tmp_path, mutate, match):
    bad = copy.deepcopy(tiny_catalog)
    mutate(bad)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(CatalogError, match=match):
        load_catalog(path)
    with pytest.raises(CatalogError, match=match):
        save_catalog(bad, tmp_path / "never.json")


def test_unreadable_catalog_files(tmp_path):
    with pytest.raises(CatalogError, match="no catalog at"):
        load_catalog(tmp_path / "missing.json")
    (tmp_path / "junk.json").write_text("{not json")
    with pytest.raises(CatalogError, match="not valid JSON"):
        load_catalog(tmp_path / "junk.json")
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(CatalogError, match="not a pidkit catalog"):
        load_catalog(tmp_path / "list.json")


# ------------------------------------------------------------------------------ select_models
def test_select_models_ranks_from_the_nearest_references(tiny_catalog):
    cat = Catalog(tiny_catalog)
    sel = pid.select_models(make_result(0.0, 0.0, 0.0, 0.5), catalog=cat, neighbors=1, reference="exact",
                            prior_weight=0.0)
    assert sel.neighbors[0]["name"] == "syn" and sel.neighbors[0]["distance"] == pytest.approx(0.0, abs=1e-6)
    assert sel.top(1) == ["tensor"] and sel.top(5) == ["tensor", "additive"]
    exp = [r["expected_relative_accuracy"] for r in sel.ranking]
    assert exp == sorted(exp, reverse=True) and exp[0] == pytest.approx(1.0)
    assert sel.profile == pytest.approx({"R": 0.0, "U1": 0.0, "U2": 0.0, "S": 1.0}) and sel.in_coverage
    assert sel.reference == "exact" and sel.ranking[0]["nearest_references"] == pytest.approx(1.0)
    with pytest.warns(OutsideCatalogWarning):  # a 2-dataset catalog covers little of the simplex
        both = pid.select_models(make_result(0.2, 0.0, 0.0, 0.3), catalog=cat, neighbors=2)
    assert [n["name"] for n in both.neighbors] == ["syn", "red"]
    assert sum(n["weight"] for n in both.neighbors) == pytest.approx(1.0)
    d = json.loads(json.dumps(both.to_dict()))
    assert d["ranking"][0]["model"] == both.top(1)[0] and d["distance"] == "profile"
    text = repr(both)
    assert "nearest reference datasets" in text and "expected accuracy / best" in text and "tensor" in text
    assert both.reference == "cvx"  # "auto" for a cvx estimate: the references' cvx profiles


def test_prior_weight_shrinks_towards_the_catalog_average(tiny_catalog):
    cat = Catalog(tiny_catalog)
    avg = cat.relative_accuracy.mean(axis=0)
    for lam in (0.0, 1.0, 4.0):
        sel = pid.select_models(make_result(0.0, 0.0, 0.0, 0.5), catalog=cat, neighbors=1, reference="exact",
                                prior_weight=lam)
        for r in sel.ranking:
            m = cat.models.index(r["model"])
            assert r["catalog_average"] == pytest.approx(avg[m])
            want = (r["nearest_references"] + lam * avg[m]) / (1 + lam)
            assert r["expected_relative_accuracy"] == pytest.approx(want)
    with pytest.raises(ParameterError, match="prior_weight"):
        pid.select_models(make_result(0.0, 0.0, 0.0, 0.5), catalog=cat, prior_weight=-1)


def test_select_models_computes_the_pid_from_data(tiny_catalog):
    data = suite_data("S", n=600, dim=8)
    sel = pid.select_models(*data, catalog=Catalog(tiny_catalog), estimator="cvx", random_state=0)
    assert sel.data_pid.estimator == "cvx" and sel.data_pid.n_samples == 600
    assert sel.neighbors[0]["name"] == "syn" and sel.top(1) == ["tensor"]


def test_select_models_warns_outside_coverage(tiny_catalog):
    cat = Catalog(tiny_catalog)
    with pytest.warns(OutsideCatalogWarning, match="profile is 2.00 \\(L1\\) from the nearest"):
        sel = pid.select_models(make_result(0.0, 0.6, 0.0, 0.0), catalog=cat, reference="exact")
    assert not sel.in_coverage and "outside the catalog's coverage" in repr(sel)
    with pytest.warns(OutsideCatalogWarning, match="10 classes"):
        pid.select_models(make_result(0.6, 0.0, 0.0, 0.0, classes=10), catalog=cat, reference="exact")
    with pytest.warns(OutsideCatalogWarning, match="beyond twice the references' range"):
        pid.select_models(make_result(3.0, 0.0, 0.0, 0.0), catalog=cat, reference="exact")
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutsideCatalogWarning)
        sel = pid.select_models(make_result(0.6, 0.0, 0.0, 0.0, n=100_000), catalog=cat, reference="exact")
    assert sel.in_coverage and any("100000 samples" in n for n in sel.notes)


def test_select_models_bad_input(tiny_catalog, tmp_path):
    cat = Catalog(tiny_catalog)
    with pytest.raises(InputError, match="99 samples"):
        pid.select_models(make_result(0.3, 0.0, 0.0, 0.3, n=99), catalog=cat)
    x1, x2, y = suite_data("R", n=60, dim=4)
    with pytest.raises(InputError, match="60 samples"):
        pid.select_models(x1, x2, y, catalog=cat, estimator="cvx")
    with pytest.raises(ParameterError, match="either a PIDResult alone"):
        pid.select_models(make_result(0.3, 0, 0, 0.3), x2, catalog=cat)
    with pytest.raises(ParameterError, match="needs x1, x2 and y"):
        pid.select_models(x1, x2, catalog=cat)
    with pytest.raises(ParameterError, match="reference must be"):
        pid.select_models(make_result(0.3, 0, 0, 0.3), catalog=cat, reference="batch")
    with pytest.raises(ParameterError, match="neighbors must be"):
        pid.select_models(make_result(0.3, 0, 0, 0.3), catalog=cat, neighbors=0)
    with pytest.raises(ParameterError, match="distance must be"):
        pid.select_models(make_result(0.3, 0, 0, 0.3), catalog=cat, distance="euclid")
    bad = dict(tiny_catalog, schema_version=0)
    (tmp_path / "old.json").write_text(json.dumps(bad))
    with pytest.raises(CatalogError, match="schema version 0"):
        pid.select_models(make_result(0.3, 0, 0, 0.3), catalog=str(tmp_path / "old.json"))
    with pytest.raises(ParameterError, match="k must be"):
        pid.select_models(make_result(0.6, 0, 0, 0), catalog=cat, reference="exact").top(0)


def test_shipped_catalog_recommends_against_additive_fusion_for_synergy():
    sel = pid.select_models(make_result(0.0, 0.0, 0.0, 0.6))
    assert "additive" not in sel.top(3) and "agreement" not in sel.top(3)
    assert [r["model"] for r in sel.ranking[-2:]] in (["additive", "agreement"], ["agreement", "additive"])


# ------------------------------------------------------------------------------------ compare
def test_compare_cross_validates_and_decomposes(tiny_catalog):
    from pidkit.fusion import FusionClassifier, compare

    x1, x2, y = suite_data("mix4", n=1500, dim=8)
    params = {"epochs": 60, "hidden": (32,), "embed_dim": 16}
    comp = compare(["additive", FusionClassifier("tensor", **params)], x1, x2, y, cv=3, random_state=0,
                   model_params=params)
    assert [r["model"] for r in comp.rows] == ["tensor", "additive"] and comp.best == "tensor"
    for r in comp.rows:
        assert len(r["fold_accuracies"]) == 3 and r["accuracy"] == pytest.approx(np.mean(r["fold_accuracies"]))
        assert set(r["model_pid"]) == set(ATOMS)
    tensor, additive = comp.rows
    assert tensor["model_pid"]["S"] > additive["model_pid"]["S"] + 0.05
    assert comp.data_pid.estimator == "cvx" and comp.cv == 3
    assert "3-fold comparison" in repr(comp) and json.loads(json.dumps(comp.to_dict()))["cv"] == 3
    sel = pid.select_models(make_result(0.0, 0.0, 0.0, 0.5), catalog=Catalog(tiny_catalog))
    assert {r["model"] for r in compare(sel, x1, x2, y, cv=2, model_params=TINY_PARAMS).rows} == set(sel.top(3))


def test_compare_bad_input():
    from pidkit.fusion import compare

    x1, x2, y = suite_data("R", n=200, dim=4)
    y = y.copy()
    y[:2] = 7  # a class with two samples
    with pytest.raises(InputError, match="class 7 has 2 sample"):
        compare(["early"], x1, x2, y, cv=3)
    with pytest.raises(ParameterError, match="repeated"):
        compare(["early", "early"], x1, x2, y, cv=2)
    with pytest.raises(ParameterError, match="zoo names"):
        compare([object()], x1, x2, y, cv=2)
    with pytest.raises(ParameterError, match="fusion must be one of"):
        compare(["nope"], x1, x2, y, cv=2)
    with pytest.raises(ParameterError, match="cv must be"):
        compare(["early"], x1, x2, y, cv=1)
