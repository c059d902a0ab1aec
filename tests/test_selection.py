"""Model selection: the catalog (build, format, loading), select_models, and fusion.compare."""

from __future__ import annotations

import copy
import json
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import pidkit as pid
from pidkit.exceptions import CatalogError, InputError, OutsideCatalogWarning, ParameterError
from pidkit.selection import SCHEMA_VERSION, Catalog, load_catalog
from pidkit.synthetic import SUITE_PRESETS, suite_data

# the catalog is built and written by a benchmark script, not by the package (which only reads it)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from build_catalog import build_catalog, default_grid, save_catalog, save_costs  # noqa: E402

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

ATOMS = ("R", "U1", "U2", "S")
TINY_GRID = [
    {"name": "red", "weights": {"R": 1.0}, "information": 0.6, "seed": 1, "n_train": 600, "n_test": 400, "noise": 0.15},
    {"name": "syn", "weights": {"S": 1.0}, "information": 0.6, "seed": 2, "n_train": 600, "n_test": 400, "noise": 0.15},
    {"name": "uni", "weights": {"U1": 1.0}, "information": 0.6, "seed": 3, "n_train": 600, "n_test": 400,
     "noise": 0.15},
    {"name": "both", "weights": {"U1": 1.0, "U2": 1.0}, "information": 0.6, "seed": 4, "n_train": 600, "n_test": 400,
     "noise": 0.15},
]
TINY_MODELS = ["additive", "tensor", "x1-only", "x2-only", "late"]
TINY_PARAMS = {"epochs": 30, "hidden": (16,), "embed_dim": 8}


@pytest.fixture(scope="module")
def tiny_catalog():
    return build_catalog(TINY_GRID, models=TINY_MODELS, seeds=(0, 1), model_params=TINY_PARAMS, command="test")


def make_result(R, U1, U2, S, n=1000, classes=2):
    diag = pid.Diagnostics(solver="test", status="optimal")
    return pid.PIDResult(R, U1, U2, S, R + U1 + U2 + S, R + U1, R + U2, "bits", "cvx", n, (4, 4, classes), diag)


# ------------------------------------------------------------------------------------- catalog
def test_tiny_catalog_builds_with_the_documented_format(tiny_catalog, tmp_path):
    cat = Catalog(tiny_catalog)
    assert cat.names == ["red", "syn", "uni", "both"] and cat.models == TINY_MODELS and len(cat) == 4
    assert tiny_catalog["schema_version"] == SCHEMA_VERSION and tiny_catalog["seeds"] == [0, 1]
    built = tiny_catalog["built_with"]
    assert set(built) == {"pidkit", "torch", "numpy", "python", "command"} and built["command"] == "test"
    e = tiny_catalog["datasets"][0]
    assert e["generator"]["n_train"] == 600 and e["generator"]["seed"] == 1 and e["n_classes"] == 2
    assert e["pid"]["exact"]["R"] == pytest.approx(0.6, abs=1e-5) and e["profile"]["exact"]["R"] == pytest.approx(1.0)
    rec = e["models"]["tensor"]
    assert len(rec["accuracy"]) == 2 and rec["accuracy_mean"] == pytest.approx(np.mean(rec["accuracy"]), abs=1e-6)
    assert set(rec["model_pid"]) == set(ATOMS) and "alpha" in rec and rec["n_parameters"] > 1000
    assert e["pid"]["feature"]["R"] == pytest.approx(0.6, abs=0.01)  # noise 0.15 keeps the features' PID
    # the synergy dataset separates the models: additive fusion cannot represent an XOR
    syn = cat.relative_accuracy[1]
    assert syn[cat.models.index("tensor")] == 1.0 and syn[cat.models.index("additive")] < 0.8
    path = save_catalog(tiny_catalog, tmp_path / "c.json")
    again = load_catalog(path)
    assert again.raw == json.loads(json.dumps(tiny_catalog)) and np.array_equal(again.accuracy, cat.accuracy)


def test_catalog_build_is_deterministic(tiny_catalog):
    timings = {}
    again = build_catalog(TINY_GRID[:1], models=TINY_MODELS, seeds=(0, 1), model_params=TINY_PARAMS,
                          command="test", timings=timings)
    assert again["datasets"][0] == tiny_catalog["datasets"][0]
    assert set(timings) == {"red"} and all(len(v) == 2 and min(v) > 0 for v in timings["red"].values())


def test_costs_file_and_mirrored_catalog(tiny_catalog, tmp_path):
    from pidkit.selection import load_costs

    cat = Catalog(tiny_catalog)
    timings = {e["name"]: {m: [0.5, 1.5] for m in TINY_MODELS} for e in tiny_catalog["datasets"]}
    path = save_costs(timings, tiny_catalog, tmp_path / "costs.json", machine="test machine")
    costs = load_costs(path)
    assert costs["machine"] == "test machine" and costs["models"]["late"]["fit_seconds"] == pytest.approx(1.0)
    assert load_costs(tmp_path / "absent.json") == {}
    mir = cat.mirrored()
    assert len(mir) == 8 and mir.names[4:] == ["red~", "syn~", "uni~", "both~"]
    j, k = cat.names.index("uni"), mir.names.index("uni~")
    assert mir.datasets[k]["pid"]["exact"]["U2"] == pytest.approx(cat.datasets[j]["pid"]["exact"]["U1"])
    i1, i2 = cat.models.index("x1-only"), cat.models.index("x2-only")
    assert mir.accuracy[k, i2] == cat.accuracy[j, i1] and mir.accuracy[k, i1] == cat.accuracy[j, i2]
    assert len(mir.mirrored()) == 8  # not mirrored twice


def test_default_grid_covers_presets_simplex_and_decisions():
    grid = default_grid()
    names = [g["name"] for g in grid]
    assert len(grid) >= 40 and len(set(names)) == len(names) and len({g["seed"] for g in grid}) == len(grid)
    for preset in SUITE_PRESETS:
        assert f"{preset}-easy" in names and f"{preset}-hard" in names
    # decision mixes: X1 suffices, unequal uniqueness without synergy, synergy with uniqueness; and many samples
    assert {"R2U1-x1-I0.4-easy", "U1x2U2-I0.8-hard", "U1S2-I0.4-easy", "S-large"} <= set(names)
    assert {g["n_train"] for g in grid} == {500, 2000, 6000}
    sweep = [g for g in grid if re.match(r"R\dU\dS\d-I", g["name"])]
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
    # where X1 carries everything, the X1-only network is as good as the best joint model
    j = cat.names.index("U1-easy")
    assert cat.relative_accuracy[j, cat.models.index("x1-only")] > 0.98
    assert cat.relative_accuracy[j, cat.models.index("x2-only")] < 0.8


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda c: c.update(schema_version=99), "schema version 99"),
        (lambda c: c.pop("models"), "lacks the key 'models'"),
        (lambda c: c["datasets"][0].pop("profile"), "lacks \\['profile'\\]"),
        (lambda c: c["datasets"][0]["models"].pop("tensor"), "no complete record for model 'tensor'"),
        (lambda c: c["datasets"][0]["models"]["tensor"].update(accuracy=[0.5]), "one accuracy per seed"),
        (lambda c: c.update(datasets=[]), "no datasets"),
        (lambda c: c.update(datasets="x"), "must be lists"),
        (lambda c: c["datasets"].__setitem__(0, 7), "dataset 0 is a int"),
        (lambda c: c["datasets"][0]["models"]["tensor"]["accuracy"].__setitem__(0, -1.0), "numbers in \\[0, 1\\]"),
        (lambda c: c["datasets"][0]["models"]["tensor"]["accuracy"].__setitem__(0, "high"), "numbers in"),
        (lambda c: c["datasets"][0]["pid"]["exact"].__setitem__("S", None), "not finite"),
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
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(CatalogError, match="nested too deeply"):
        load_catalog(tmp_path / "deep.json")
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(CatalogError, match="not a pidkit catalog"):
        load_catalog(tmp_path / "list.json")


# ------------------------------------------------------------------------------ select_models
def test_select_models_decides_from_reach_and_references(tiny_catalog):
    cat = Catalog(tiny_catalog)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OutsideCatalogWarning)
        # a 4-dataset catalog of small networks is noisy: decide with a 5% tolerance
        picks = {name: pid.select_models(make_result(*atoms), catalog=cat, reference="exact",
                                         tolerance=0.05).recommended
                 for name, atoms in {"U1": (0, 0.6, 0, 0), "U2": (0, 0, 0.6, 0), "S": (0, 0, 0, 0.6),
                                     "U1+U2": (0, 0.3, 0.3, 0)}.items()}
    # one modality suffices -> that modality alone; synergy -> a joint model; both unique -> late fusion
    assert picks["U1"] == "x1-only" and picks["U2"] == "x2-only"  # U2 through the mirrored references
    assert picks["S"] == "tensor"
    # both unique, no synergy: late fusion reaches everything, but these small networks learn it 7% worse than
    # tensor fusion on the references - within a 10% tolerance it is the cheaper choice, within 5% it is not
    both = pid.select_models(make_result(0, 0.3, 0.3, 0), catalog=cat, reference="exact", tolerance=0.05)
    assert both.recommended == "tensor" and any("not late" in r and "learns less" in r for r in both.reasons)
    assert pid.select_models(make_result(0, 0.3, 0.3, 0), catalog=cat, reference="exact",
                             tolerance=0.1).recommended == "late"
    sel = pid.select_models(make_result(0, 0, 0, 0.6), catalog=cat, reference="exact")
    for r in sel.ranking:
        assert {"model", "inputs", "paired_training", "expected_relative_accuracy", "cost", "reach",
                "lost_bits", "expected_range", "within_tolerance"} <= set(r)
        assert set(r["cost"]) == {"modalities", "paired_training", "fit_seconds", "n_parameters"}
    late = sel.entry("late")
    assert late["lost_bits"] == pytest.approx(0.6) and late["lost_fraction"] == pytest.approx(1.0)
    assert late["expected_relative_accuracy"] < 0.8 and not late["within_tolerance"]
    assert sel.entry("x1-only")["inputs"] == "x1" and not sel.entry("x1-only")["paired_training"]
    text = "\n".join(sel.reasons)
    assert "not late" in text and "cannot reach S = 0.600 bits" in text
    exp = [r["expected_relative_accuracy"] for r in sel.ranking]
    assert exp == sorted(exp, reverse=True) and sel.top(1) == ["tensor"]
    assert sel.pareto[0] in ("x1-only", "x2-only") and sel.pareto[-1] == "tensor"
    printed = repr(sel)
    assert "recommended: tensor" in printed and "* recommended, + within tolerance" in printed
    d = json.loads(json.dumps(sel.to_dict()))
    assert d["recommended"] == "tensor" and d["ranking"][0]["model"] == "tensor" and d["pareto"] == sel.pareto
    df = sel.to_pandas()
    assert df.loc["late", "modalities"] == 2 and not df.loc["x1-only", "paired_training"]


def test_reach_correction_and_tolerance(tiny_catalog):
    from pidkit.selection import reach_slopes

    cat = Catalog(tiny_catalog).mirrored()
    slopes = reach_slopes(cat, "exact")
    assert slopes["tensor"] == 0.0 and slopes["x1-only"] > 0.2 and slopes["late"] > 0.2
    # with a generous tolerance the cheapest candidate wins; with none, the best expected
    query = make_result(0.5, 0.0, 0.0, 0.1)
    generous = pid.select_models(query, catalog=Catalog(tiny_catalog), tolerance=0.9, reference="exact")
    strict = pid.select_models(query, catalog=Catalog(tiny_catalog), tolerance=0.0, reference="exact")
    assert generous.entry(generous.recommended)["cost"]["modalities"] == 1
    # outside the catalog's coverage only candidates that reach every atom are recommended
    with pytest.warns(OutsideCatalogWarning):
        far = pid.select_models(make_result(0.3, 0.0, 0.0, 0.3), catalog=Catalog(tiny_catalog), tolerance=0.9,
                                reference="exact")
    assert far.entry(far.recommended)["reach"] == list(ATOMS)
    assert any("only candidates that reach every atom" in r for r in far.reasons)
    assert strict.recommended == strict.top(1)[0]
    # the prior shrinks the neighbours' (reach-corrected) mean towards the catalog's
    for lam in (0.0, 1.0, 4.0):
        sel = pid.select_models(make_result(0.0, 0.0, 0.0, 0.5), catalog=Catalog(tiny_catalog), neighbors=1,
                                reference="exact", prior_weight=lam)
        for r in sel.ranking:
            want = (r["nearest_references"] + lam * r["catalog_average"]) / (1 + lam)
            assert r["expected_relative_accuracy"] == pytest.approx(want)
        t = sel.entry("tensor")
        assert t["catalog_average"] == pytest.approx(cat.relative_accuracy[:, cat.models.index("tensor")].mean())
    only = pid.select_models(make_result(0, 0.6, 0, 0), catalog=Catalog(tiny_catalog), candidates=["tensor", "late"],
                             reference="exact", tolerance=0.3)
    assert {r["model"] for r in only.ranking} == {"tensor", "late"} and only.recommended == "late"


def test_select_models_from_data_uses_intervals(tiny_catalog):
    x1, x2, y = suite_data("U1", n=800, dim=8, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OutsideCatalogWarning)
        sel = pid.select_models(x1, x2, y, catalog=Catalog(tiny_catalog), random_state=0, tolerance=0.05)
    assert sel.data_pid.estimator == "cvx" and sel.data_pid.uncertainty is not None
    assert sel.recommended == "x1-only" and sel.reference == "feature"
    for r in sel.ranking:
        lo, hi = r["expected_range"]
        assert lo <= r["expected_relative_accuracy"] + 1e-12 <= hi + 2e-12
    assert any("bias-corrected" in n for n in sel.notes)
    # the one-modality recommendation was checked against a joint candidate on held-out samples, and passed
    v = sel.entry("x1-only")["verification"]
    assert v["passed"] and v["n_test"] == 160 and len(sel.entry(v["reference"])["reach"]) == 4
    assert abs(v["accuracy"] - v["reference_accuracy"]) <= 0.05 + 2 * v["standard_error"]
    assert any(r.startswith("checked on held-out samples: x1-only") for r in sel.reasons)
    assert any("held-out check: 2 models fitted on 640 samples" in n for n in sel.notes)
    assert sel.to_pandas().loc["x1-only", "checked"] == "passed"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OutsideCatalogWarning)
        off = pid.select_models(x1, x2, y, catalog=Catalog(tiny_catalog), random_state=0, tolerance=0.05,
                                verify=False)
    assert off.recommended == "x1-only" and all(r["verification"] is None for r in off.ranking)


def test_held_out_check_skips_non_numeric_modalities():
    rng = np.random.default_rng(0)
    bit = rng.integers(0, 2, 600)
    x1, x2 = np.array(["low", "high"])[bit], rng.normal(size=(600, 2))  # a text modality: no network takes it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sel = pid.select_models(x1, x2, bit, random_state=0, ci=None)
    assert all(r["verification"] is None for r in sel.ranking)
    assert any("not checked on held-out samples" in n and "numeric" in n for n in sel.notes)


def test_held_out_check_rules_out_synergy_the_pid_misses(tiny_catalog, monkeypatch):
    """A PID that misses the synergy (as codes and classifiers do on many classes and few samples) says "late";
    the held-out check fits late fusion and a joint model and must rule late fusion out."""
    import pidkit.selection.recommend

    x1, x2, y = suite_data("S", n=1000, dim=8, random_state=0)  # pure synergy: late fusion is at chance
    blind = make_result(0.0, 0.3, 0.3, 0.0, n=1000)  # what a PID blind to the synergy would say
    monkeypatch.setattr(pidkit.selection.recommend, "estimate", lambda *a, **k: blind)
    cat = Catalog(tiny_catalog)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OutsideCatalogWarning)
        trusting = pid.select_models(blind, catalog=cat, reference="exact", tolerance=0.1)
        sel = pid.select_models(x1, x2, y, catalog=cat, reference="exact", tolerance=0.1, random_state=0)
    assert trusting.recommended == "late"  # from the PID alone (no samples to check on)
    late = sel.entry("late")["verification"]
    assert not late["passed"] and late["reference_accuracy"] - late["accuracy"] > 0.2
    assert len(sel.entry(sel.recommended)["reach"]) == 4  # a joint model that reaches the synergy
    assert any(r.startswith("not late") and "checked on held-out samples it scored" in r for r in sel.reasons)
    assert sel.to_pandas().loc["late", "checked"] == "failed"


def test_select_models_from_synergy_bounds(tiny_catalog):
    from pidkit.bounds import synergy_bounds

    cat = Catalog(tiny_catalog)
    # X1, X2 independent bits, Y = X1: the bounds pin S to 0 -> paired labels cannot pay
    p = np.zeros((2, 2, 2))
    for a in range(2):
        for b in range(2):
            p[a, b, a] = 0.25
    b0 = synergy_bounds(p.sum(1), p.sum(0), p.sum(2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OutsideCatalogWarning)
        sel = pid.select_models(b0, catalog=cat, reference="exact", tolerance=0.1)
    assert sel.data_pid is None and sel.bounds is b0 and not sel.entry(sel.recommended)["paired_training"]
    assert any("cannot pay" in r for r in sel.reasons) and "semi-supervised" in repr(sel)
    # Y = X1 XOR X2: the bounds allow synergy -> a joint model, and collecting paired labels can pay
    q = np.zeros((2, 2, 2))
    for a in range(2):
        for b in range(2):
            q[a, b, a ^ b] = 0.25
    bx = synergy_bounds(q.sum(1), q.sum(0), q.sum(2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OutsideCatalogWarning)
        sx = pid.select_models(bx, catalog=cat, reference="exact")
    assert sx.recommended == "tensor" and any("can gain at most" in r for r in sx.reasons)
    assert sx.entry("late")["expected_range"][1] > sx.entry("late")["expected_range"][0]


def test_select_models_warns_outside_coverage(tiny_catalog):
    cat = Catalog(tiny_catalog)
    with pytest.warns(OutsideCatalogWarning, match="10 classes"):
        pid.select_models(make_result(0.6, 0.0, 0.0, 0.0, classes=10), catalog=cat, reference="exact")
    with pytest.warns(OutsideCatalogWarning, match="beyond twice the references' range"):
        sel = pid.select_models(make_result(3.0, 0.0, 0.0, 0.0), catalog=cat, reference="exact")
    assert not sel.in_coverage and "outside the catalog's coverage" in repr(sel)
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
        pid.select_models(x1, x2, y, catalog=cat, estimator="cvx", ci=None)
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
    with pytest.raises(ParameterError, match="tolerance must be a fraction"):
        pid.select_models(make_result(0.3, 0, 0, 0.3), catalog=cat, tolerance=1.5)
    with pytest.raises(ParameterError, match="catalog must be a Catalog"):
        pid.select_models(make_result(0.3, 0, 0, 0.3), catalog=123)
    with pytest.raises(InputError, match="not finite numbers"):
        pid.select_models(make_result(float("nan"), 0, 0, 0.3), catalog=cat)
    with pytest.raises(ParameterError, match="verify must be"):
        pid.select_models(make_result(0.3, 0, 0, 0.3), catalog=cat, verify="yes")
    with pytest.raises(ParameterError, match="verify=True fits candidates on the samples"):
        pid.select_models(make_result(0.3, 0, 0, 0.3), catalog=cat, verify=True)
    with pytest.raises(ParameterError, match="candidates must be"):
        pid.select_models(make_result(0.3, 0, 0, 0.3), catalog=cat, candidates=["gpt"])
    bad = dict(tiny_catalog, schema_version=0)
    (tmp_path / "old.json").write_text(json.dumps(bad))
    with pytest.raises(CatalogError, match="schema version 0"):
        pid.select_models(make_result(0.3, 0, 0, 0.3), catalog=str(tmp_path / "old.json"))
    sel = pid.select_models(make_result(0.6, 0, 0, 0), catalog=cat, reference="exact")
    with pytest.raises(ParameterError, match="k must be"):
        sel.top(0)
    with pytest.raises(ParameterError, match="model must be one of"):
        sel.entry("gpt")


@pytest.mark.parametrize(("atoms", "want"), [((0.0, 0.6, 0.0, 0.0), "x1-only"), ((0.0, 0.0, 0.6, 0.0), "x2-only"),
                                             ((0.0, 0.3, 0.3, 0.0), "late")])
def test_shipped_catalog_decisions(atoms, want):
    sel = pid.select_models(make_result(*atoms, n=2000, classes=4))
    assert sel.recommended == want


def test_synergy_the_codes_lose_is_not_given_away():
    """Codes with 2 states per modality miss an XOR; held-out classifiers see it, and the decision must too."""
    from pidkit.synthetic import interaction_data

    data = interaction_data(2000, weights={"U1": 1, "S": 2}, information=0.8, noise=0.2, random_state=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sel = pid.select_models(data.x1, data.x2, data.y, random_state=0)
    rec = sel.entry(sel.recommended)
    assert "S" in rec["reach"] and any("moved into the ranges" in n for n in sel.notes)
    late = sel.entry("late")
    assert late["lost_bits"] > 0.3 and late["expected_range"][1] < 0.9  # the interval moved with the atom


def test_shipped_catalog_never_drops_synergy():
    sel = pid.select_models(make_result(0.0, 0.0, 0.0, 0.6))
    assert "S" in sel.entry(sel.recommended)["reach"] and sel.entry(sel.recommended)["paired_training"]
    for m in ("additive", "agreement", "late", "late-stacked", "x1-only", "x2-only"):
        assert sel.entry(m)["expected_relative_accuracy"] < 0.9


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
    sel = pid.select_models(make_result(0.0, 0.0, 0.0, 0.5), catalog=Catalog(tiny_catalog), reference="exact")
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
    with pytest.raises(ParameterError, match="model must be one of"):
        compare(["nope"], x1, x2, y, cv=2)
    with pytest.raises(ParameterError, match="cv must be"):
        compare(["early"], x1, x2, y, cv=1)
