"""Does PID-guided selection make good decisions? Regret and cost against the defaults people use.

For every evaluation dataset all candidates of the catalog are trained and scored, so the regret
of any policy — best candidate's test accuracy minus the chosen one's, in accuracy points — is
known, and so are its costs: modalities needed at prediction, paired labeled samples needed for
training, and fit seconds (measured here). Policies:

* ``pid-guided``: ``pid.select_models(x1, x2, y)`` on the training split (its ``recommended``);
* ``always-early``, ``always-hgb``, ``always-late``: one fixed model everywhere;
* ``best-on-average``: the candidate with the best mean relative accuracy over the catalog;
* ``pick-on-validation``: train everything, keep the best on a validation split (its fit cost is
  the sum of all fits);
* ``random``: a candidate drawn uniformly (expected regret and cost over the candidates).

(a) the catalog, leave-mix-out: every reference dataset is a query for the catalog without its
    mix (and the mix's mirror), with its features' exact PID — the decision rule alone, free of
    estimation error; no training. This is the part the selection's settings were chosen on.
(b) fresh held-out suite datasets from a seed family not used for tuning (70,000 + ...), drawn by
    decision class: one modality suffices (R and U1 only, or mirrored), both unique without
    synergy, synergy-dominated, the four pure kinds (R, U1, S, U1+U2), and random mixtures;
    500-4,000 training samples, noise 0.1-0.35, 5,000 test samples. The classes of the floors
    are decided by the features' exact PID (``InteractionSpec.feature_pid``).
(c) real data shipped with scikit-learn (digits halves, breast cancer, wine), candidates scored by
    5-fold cross-validation (``pidkit.fusion.compare``).

    python benchmarks/bench_selection.py                       # all parts (about 15 min on 2 cores)
    python benchmarks/bench_selection.py --parts a             # catalog only (seconds)
    python benchmarks/bench_selection.py --parts b --per-class 2 --family 60000   # a development run
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

import numpy as np
import torch

import pidkit as pid
from pidkit.exceptions import PIDKitWarning
from pidkit.fusion import compare, get_model, make_model
from pidkit.selection import load_catalog
from pidkit.selection.recommend import _decide, rank_models
from pidkit.synthetic import InteractionSpec

FIXED = {"always-early": "early", "always-hgb": "hgb", "always-late": "late"}
POLICIES = ["pid-guided", *FIXED, "best-on-average", "pick-on-validation", "random"]
CLASSES = ("x1 suffices", "x2 suffices", "no synergy, both unique", "synergy-dominated", "pure R", "pure U1",
           "pure S", "U1+U2", "random mix")


def _silent():
    w = warnings.catch_warnings()
    w.__enter__()
    warnings.simplefilter("ignore", PIDKitWarning)
    return w


def model_cost(m: str, n_paired: int, fit_s: float) -> dict:
    info = get_model(m)
    return {"modalities": 1 if info.inputs in ("x1", "x2") else 2,
            "paired": n_paired if info.paired_training else 0, "fit_s": fit_s}


def policies(models, acc_test, acc_val, fit_s, chosen, avg_best, n_paired) -> dict[str, dict]:
    """Regret (points) and cost of every policy on one dataset."""
    best = float(acc_test.max())
    idx = {m: i for i, m in enumerate(models)}

    def row(m: str) -> dict:
        i = idx[m]
        return {"model": m, "regret": 100 * (best - acc_test[i]), **model_cost(m, n_paired, float(fit_s[i]))}

    out = {"pid-guided": row(chosen)}
    for name, m in FIXED.items():
        out[name] = row(m)
    out["best-on-average"] = row(avg_best)
    pv = row(models[int(np.argmax(acc_val))])
    pv["fit_s"] = float(np.sum(fit_s))  # everything was trained, on paired samples
    pv["paired"] = n_paired
    out["pick-on-validation"] = pv
    rows = [row(m) for m in models]
    out["random"] = {"model": "-", **{k: float(np.mean([r[k] for r in rows])) for k in ("regret", "modalities",
                                                                                         "paired", "fit_s")}}
    return out


def table(title: str, results: list[dict]) -> dict:
    print(f"\n{title} — {len(results)} datasets")
    print(f"  {'policy':<20}{'mean regret':>12}{'max':>7}{'modalities':>11}{'paired':>9}{'fit s':>8}")
    out = {}
    for p in POLICIES:
        rs = [r["policies"][p] for r in results]
        s = {k: float(np.mean([r[k] for r in rs])) for k in ("regret", "modalities", "paired", "fit_s")}
        s["max_regret"] = float(np.max([r["regret"] for r in rs]))
        out[p] = s
        print(f"  {p:<20}{s['regret']:12.2f}{s['max_regret']:7.1f}{s['modalities']:11.2f}{s['paired']:9.0f}"
              f"{s['fit_s']:8.2f}")
    return out


# ------------------------------------------------------------------------------------ part (a)
def part_a(cat) -> dict:
    full = cat.mirrored()
    mixes = [n.rstrip("~").rsplit("-", 1)[0] for n in full.names]
    costs = {m: c["fit_seconds"] for m, c in cat.costs.get("models", {}).items()}
    results = []
    for j, e in enumerate(cat.datasets):
        keep = [i for i in range(len(full)) if mixes[i] != mixes[j]]
        sub = full.subset(keep)  # already mirrored: rank_models does not mirror again
        atoms = e["pid"]["feature"]  # the decision rule alone, from exact PIDs (no estimation error)
        ranking, _, _ = rank_models(sub, e["profile"]["feature"], e["total"]["feature"], e["generator"]["n_train"],
                                    reference="feature", atoms=atoms)
        chosen, _ = _decide(ranking, atoms, None, "bits", 0.01)
        acc = cat.accuracy[j]
        fit = np.array([costs.get(m) or 0.0 for m in cat.models])
        avg_best = cat.models[int(np.argmax(sub.relative_accuracy.mean(axis=0)))]
        results.append({"name": e["name"], "policies": policies(cat.models, acc, acc, fit, chosen, avg_best,
                                                                e["generator"]["n_train"])})
    return {"summary": table("(a) catalog, leave-mix-out (validation = test: pick-on-validation is an oracle here)",
                             results), "datasets": results}


# ------------------------------------------------------------------------------------ part (b)
def held_out_specs(per_class: int, family: int) -> list[dict]:
    rng = np.random.default_rng(family)
    specs = []
    for c in CLASSES:
        for _ in range(per_class):
            d = rng.dirichlet(np.ones(4))
            w = {
                "x1 suffices": {"R": d[0], "U1": d[1] + 0.2},
                "x2 suffices": {"R": d[0], "U2": d[1] + 0.2},
                "no synergy, both unique": {"R": d[0] * rng.integers(0, 2), "U1": d[1] + 0.2, "U2": d[2] + 0.2},
                "synergy-dominated": {"R": d[0] * 0.5, "U1": d[1] * 0.5, "U2": d[2] * 0.5, "S": 1.0 + d[3]},
                "pure R": {"R": 1.0}, "pure U1": {"U1": 1.0}, "pure S": {"S": 1.0},
                "U1+U2": {"U1": 1.0, "U2": 1.0},
                "random mix": dict(zip(("R", "U1", "U2", "S"), np.where(rng.random(4) < 0.7, d, 0.0) + 1e-9,
                                       strict=True)),
            }[c]
            specs.append({"class": c, "weights": {k: float(v) for k, v in w.items() if v > 1e-6},
                          "information": float(rng.uniform(0.3, 1.0)), "noise": float(rng.uniform(0.1, 0.35)),
                          "n_train": int(rng.choice([500, 1000, 2000, 4000])),
                          "seed": family + len(specs)})
    return specs


def checks_text(sel) -> str:
    """The held-out checks the selection made (``verify``), for the log."""
    out = ""
    for e in sel.ranking:
        v = e.get("verification")
        if v:
            out += (f"; checked {e['model']}: {100 * v['accuracy']:.1f}% vs {v['reference']} "
                    f"{100 * v['reference_accuracy']:.1f}%" + ("" if v["passed"] else " (ruled out)"))
    return out


def fit_all(models, x1, x2, y, tr, va, te, seed):
    acc_t, acc_v, secs = [], [], []
    for m in models:
        t0 = time.perf_counter()
        model = make_model(m, random_state=seed).fit(x1[tr], x2[tr], y[tr])
        secs.append(time.perf_counter() - t0)
        acc_t.append(model.score(x1[te], x2[te], y[te]))
        acc_v.append(model.score(x1[va], x2[va], y[va]))
    return np.array(acc_t), np.array(acc_v), np.array(secs)


def part_b(cat, per_class: int, family: int) -> dict:
    avg_best = cat.models[int(np.argmax(cat.mirrored().relative_accuracy.mean(axis=0)))]
    results = []
    for s in held_out_specs(per_class, family):
        t0 = time.perf_counter()
        spec = InteractionSpec(s["weights"], information=s["information"], noise=s["noise"])
        n_tr, n_va = s["n_train"], max(s["n_train"] // 4, 100)
        data = spec.sample(n_tr + n_va + 5000, random_state=s["seed"])
        x1, x2, y = data
        tr, va, te = slice(0, n_tr), slice(n_tr, n_tr + n_va), slice(n_tr + n_va, None)
        feat = spec.feature_pid().atoms
        w = _silent()
        t_s = time.perf_counter()
        sel = pid.select_models(x1[tr], x2[tr], y[tr], catalog=cat, random_state=0)
        t_sel = time.perf_counter() - t_s  # the PID with its intervals, and the held-out check's fits
        w.__exit__(None, None, None)
        acc_t, acc_v, secs = fit_all(cat.models, x1, x2, y, tr, va, te, seed=0)
        pol = policies(cat.models, acc_t, acc_v, secs, sel.recommended, avg_best, n_tr)
        i12 = sum(max(v, 0.0) for v in feat.values())
        results.append({**s, "feature_pid": feat, "estimate": sel.data_pid.atoms, "recommended": sel.recommended,
                        "reasons": list(sel.reasons), "accuracy": dict(zip(cat.models, acc_t.tolist(), strict=True)),
                        "best": cat.models[int(acc_t.argmax())], "policies": pol, "select_s": t_sel,
                        "u2_s": feat["U2"] + feat["S"], "u1_s": feat["U1"] + feat["S"], "s_share": feat["S"] / i12,
                        "seconds": time.perf_counter() - t0})
        r = results[-1]
        print(f"  [{s['class']}] n {n_tr}, noise {s['noise']:.2f}, I {s['information']:.2f}; "
              f"features R {feat['R']:.3f} U1 {feat['U1']:.3f} U2 {feat['U2']:.3f} S {feat['S']:.3f}; "
              f"best {r['best']} {acc_t.max():.3f}; "
              f"chose {sel.recommended} (regret {pol['pid-guided']['regret']:.2f}); early regret "
              f"{pol['always-early']['regret']:.2f} (selection {t_sel:.1f} s, all {r['seconds']:.0f} s)"
              + checks_text(sel), flush=True)
    summary = {"all": table("(b) held-out suite datasets", results)}
    for c in CLASSES:
        sub = [r for r in results if r["class"] == c]
        if sub:
            summary[c] = table(f"(b) class: {c}", sub)
    summary["floors"] = floors(results)
    return {"summary": summary, "datasets": results}


def floors(results: list[dict]) -> dict:
    """The floors the recommendation is held to (the rates and losses below), on the classes decided by
    the features' exact PID."""
    out = {}

    def kind(m: str) -> tuple:
        info = get_model(m)
        return info.inputs, info.paired_training, tuple(info.reach)

    x1 = [r for r in results if r["u2_s"] <= 0.02]
    x2 = [r for r in results if r["u1_s"] <= 0.02 and r["u2_s"] > 0.02]
    one = [(r, "x1") for r in x1] + [(r, "x2") for r in x2]
    if one:
        # a hit: the recommendation needs one modality, and that modality suffices. Where both do (U1+S and
        # U2+S <= 0.02: redundancy only), either one is a hit — the floor and its mirror both apply.
        # ``strict_rate`` is the count of the first run of this benchmark, which wanted x1-only there.
        suffices = {"x1": lambda r: r["u2_s"] <= 0.02, "x2": lambda r: r["u1_s"] <= 0.02}
        hits = [kind(r["recommended"])[0] in suffices and suffices[kind(r["recommended"])[0]](r) for r, _ in one]
        strict = np.mean([kind(r["recommended"])[0] == m for r, m in one])
        loss = np.mean([r["policies"]["pid-guided"]["regret"] for r, _ in one])
        out["one modality suffices (U2+S or U1+S <= 0.02 bits)"] = {
            "n": len(one), "unimodal_rate": float(np.mean(hits)), "strict_rate": float(strict),
            "mean_loss": float(loss), "misses": [[r["seed"], r["recommended"]] for (r, _), h in zip(one, hits,
                                                                                                  strict=True)
                                                 if not h],
            "met": bool(np.mean(hits) >= 0.8 and loss <= 1.0)}
    late = [r for r in results if r["feature_pid"]["S"] <= 0.02 and r["feature_pid"]["U1"] > 0.02
            and r["feature_pid"]["U2"] > 0.02]
    if late:
        hit = np.mean([kind(r["recommended"])[:2] == ("x1+x2", False) for r in late])
        loss = np.mean([r["policies"]["pid-guided"]["regret"] for r in late])
        out["no synergy, both unique (S <= 0.02, U1, U2 > 0.02)"] = {"n": len(late), "late_rate": float(hit),
                                                                      "mean_loss": float(loss),
                                                                      "met": bool(hit >= 0.8 and loss <= 1.0)}
    syn = [r for r in results if r["s_share"] >= 0.25]
    if syn:
        bad = [r["recommended"] for r in syn if "S" not in kind(r["recommended"])[2]]
        out["synergy >= 25% of I(X1,X2;Y)"] = {"n": len(syn), "unimodal_or_late": bad, "met": not bad}
    pg = np.mean([r["policies"]["pid-guided"]["regret"] for r in results])
    ea = np.mean([r["policies"]["always-early"]["regret"] for r in results])
    cost_pg = [np.mean([r["policies"]["pid-guided"][k] for r in results]) for k in ("modalities", "paired")]
    cost_ea = [np.mean([r["policies"]["always-early"][k] for r in results]) for k in ("modalities", "paired")]
    out["overall vs always-early"] = {"regret": float(pg), "early_regret": float(ea),
                                      "select_s": float(np.mean([r["select_s"] for r in results])),
                                      "modalities": float(cost_pg[0]), "early_modalities": float(cost_ea[0]),
                                      "paired": float(cost_pg[1]), "early_paired": float(cost_ea[1]),
                                      "met": bool(pg <= ea + 0.5 and cost_pg[0] < cost_ea[0]
                                                  and cost_pg[1] < cost_ea[1])}
    pure = {c: sorted({r["recommended"] for r in results if r["class"] == c})
            for c in ("pure R", "pure U1", "pure S", "U1+U2")}
    kinds = {c: sorted({kind(m)[:2] for m in ms}) for c, ms in pure.items()}
    distinct = all(kinds[a] != kinds[b] for a in kinds for b in kinds if a < b)
    out["recommendations differ between pure kinds"] = {"recommended": pure, "met": bool(distinct)}
    print("\nfloors")
    for k, v in out.items():
        print(f"  {k}: {json.dumps(v)}")
    return out


# ------------------------------------------------------------------------------------ part (c)
def real_datasets():
    from sklearn.datasets import load_breast_cancer, load_wine

    from pidkit.datasets import load_digits_halves

    yield "digits (top / bottom halves)", *load_digits_halves()
    bc = load_breast_cancer()
    yield "breast cancer (features 0-14 / 15-29)", bc.data[:, :15], bc.data[:, 15:], bc.target
    wine = load_wine()
    yield "wine (features 0-6 / 7-12)", wine.data[:, :7], wine.data[:, 7:], wine.target


def part_c(cat, seed: int) -> dict:
    avg_best = cat.models[int(np.argmax(cat.mirrored().relative_accuracy.mean(axis=0)))]
    results = []
    for name, x1, x2, y in real_datasets():
        t0 = time.perf_counter()
        w = _silent()
        sel = pid.select_models(x1, x2, y, catalog=cat, random_state=seed)
        comp = compare(cat.models, x1, x2, y, cv=5, random_state=seed)
        w.__exit__(None, None, None)
        rows = {r["model"]: r for r in comp.rows}
        acc = np.array([rows[m]["accuracy"] for m in cat.models])
        secs = np.array([rows[m]["fit_s"] / 5 for m in cat.models])
        # validation: the first fold's accuracy stands in for a held-out split
        val = np.array([rows[m]["fold_accuracies"][0] for m in cat.models])
        pol = policies(cat.models, acc, val, secs, sel.recommended, avg_best, int(0.8 * len(y)))
        results.append({"dataset": name, "n": int(len(y)), "estimate": sel.data_pid.atoms,
                        "recommended": sel.recommended, "reasons": list(sel.reasons),
                        "accuracy": dict(zip(cat.models, acc.tolist(), strict=True)), "policies": pol,
                        "seconds": time.perf_counter() - t0})
        print(f"\n(c) {name}: n = {len(y)}, PID " + ", ".join(f"{a} {v:.3f}" for a, v in sel.data_pid.atoms.items())
              + f" bits ({time.perf_counter() - t0:.0f} s)")
        print("    accuracy (5-fold): " + ", ".join(f"{m} {a:.3f}" for m, a in zip(cat.models, acc, strict=True)))
        print(f"    recommended {sel.recommended}: regret {pol['pid-guided']['regret']:.2f} points; always-early "
              f"{pol['always-early']['regret']:.2f}, always-hgb {pol['always-hgb']['regret']:.2f}")
        for reason in sel.reasons:
            print(f"      - {reason}")
    return {"summary": table("(c) real datasets", results), "datasets": results}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default="abc")
    ap.add_argument("--per-class", type=int, default=4, help="held-out datasets per decision class in part (b)")
    ap.add_argument("--family", type=int, default=70_000, help="seed family of the held-out datasets")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--catalog", help="catalog file (default: the shipped one)")
    ap.add_argument("--json", help="write all numbers to this file")
    args = ap.parse_args()
    torch.set_num_threads(1)
    cat = load_catalog(args.catalog)
    t0 = time.perf_counter()
    print(f"pidkit {pid.__version__}; {cat!r}")
    print("command: python " + " ".join(sys.argv))
    out = {}
    if "a" in args.parts:
        out["a"] = part_a(cat)
    if "b" in args.parts:
        out["b"] = part_b(cat, args.per_class, args.family)
    if "c" in args.parts:
        out["c"] = part_c(cat, args.seed)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1, default=str)


if __name__ == "__main__":
    main()
