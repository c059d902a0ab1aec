"""Is PID-based model selection any good? Validation on data the catalog never saw (issue 12).

For each evaluation dataset the whole zoo is trained and scored, so the relative accuracy
(accuracy / best zoo accuracy on that dataset) of any recommendation is known. Reported per part:
the recommended top-1 model, the best of the recommended top-3, and two baselines computed from
the same catalog — the model best on average over the catalog (and the best of the three best on
average, the fair counterpart of a top-3) — and a random model (the mean over the zoo).

(a) leave-one-dataset-out over the catalog: each reference dataset is a query for the catalog
    without it (its profile from the catalog, its accuracies known); also leave-mix-out, where the
    same interaction mix at the other difficulty level is removed too.
(b) held-out suite datasets: mixtures drawn at random (Dirichlet shares over R, U1, U2, S, total
    information 0.3-1.0 bits), training sizes 500-2,000, noise 0.1-0.4, seeds not in the catalog;
    the PID is estimated on the training split with ``pid.estimate`` (default and ``"cvx"``).
(c) real data shipped with scikit-learn: digits (top / bottom image halves), breast cancer (nucleus
    size and texture features vs shape features) and wine (phenolic / colour measurements vs the
    rest); the zoo is scored by 5-fold cross-validation (``pidkit.fusion.compare``).

Every selection variant (distance, reference PID, neighbours) is evaluated on the same scores.

    python benchmarks/bench_selection.py                     # all parts (~N min on 2 cores)
    python benchmarks/bench_selection.py --parts a           # catalog only (seconds)
    python benchmarks/bench_selection.py --held-out 4 --parts ab
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
from pidkit.fusion import compare, make_model
from pidkit.selection import load_catalog
from pidkit.selection.catalog import profile_of
from pidkit.selection.recommend import rank_models
from pidkit.synthetic import InteractionSpec

VARIANTS = [  # (label, reference, distance, neighbors, prior_weight)
    ("thesis: profile, 1 neighbour", "exact", "profile", 1, 0.0),
    ("profile, 3 neighbours", "exact", "profile", 3, 0.0),
    ("profile, 10 neighbours", "exact", "profile", 10, 0.0),
    ("profile+info+size, 10", "exact", "profile+info+size", 10, 0.0),
    ("cvx reference, profile, 3", "cvx", "profile", 3, 0.0),
    ("profile, 3, prior 1", "exact", "profile", 3, 1.0),
    ("cvx reference, profile, 3, prior 1 (default)", "cvx", "profile", 3, 1.0),
    ("cvx reference, profile+info+size, 3, prior 1", "cvx", "profile+info+size", 3, 1.0),
]
DEFAULT = "cvx reference, profile, 3, prior 1 (default)"


def scores(rel: np.ndarray, ranking: list[dict], models: list[str]) -> tuple[float, float]:
    top = [models.index(r["model"]) for r in ranking[:3]]
    return float(rel[top[0]]), float(rel[top].max())


def baselines(cat, rel: np.ndarray) -> dict[str, float]:
    avg = cat.relative_accuracy.mean(axis=0)
    order = np.argsort(-avg, kind="stable")
    return {"best on average": float(rel[order[0]]), "best of top-3 on average": float(rel[order[:3]].max()),
            "random": float(rel.mean())}


def evaluate(cat, query: dict, rel: np.ndarray) -> dict[str, dict]:
    """Top-1 / best-of-top-3 of every variant for one query (profile per reference kind) + baselines."""
    out = {}
    for label, reference, distance, k, prior in VARIANTS:
        prof, total = query[reference]
        ranking, _, _ = rank_models(cat, prof, total, query["n"], reference=reference, distance=distance, neighbors=k,
                                    prior_weight=prior)
        out[label] = scores(rel, ranking, cat.models)
    out["baselines"] = baselines(cat, rel)
    return out


def summarize(title: str, rows: list[dict]) -> dict:
    print(f"\n{title} — {len(rows)} datasets; mean (min) relative accuracy")
    print(f"  {'selection':<48}{'top-1':>14}{'best of top-3':>16}")
    summary = {}
    for label, *_ in VARIANTS:
        t1 = np.array([r[label][0] for r in rows])
        t3 = np.array([r[label][1] for r in rows])
        summary[label] = {"top1": [float(t1.mean()), float(t1.min())], "top3": [float(t3.mean()), float(t3.min())]}
        print(f"  {label:<48}{t1.mean():8.4f} ({t1.min():.3f}){t3.mean():9.4f} ({t3.min():.3f})")
    for b in ("best on average", "best of top-3 on average", "random"):
        v = np.array([r["baselines"][b] for r in rows])
        summary[b] = [float(v.mean()), float(v.min())]
        col = f"{v.mean():8.4f} ({v.min():.3f})"
        print(f"  {'baseline: ' + b:<48}" + (f"{'':>14}{col:>16}" if "top-3" in b else f"{col:>14}"))
    return summary


# ------------------------------------------------------------------------------------ part (a)
def part_a(cat) -> dict:
    rel_all = cat.relative_accuracy
    mixes = [n.rsplit("-", 1)[0] for n in cat.names]
    out = {}
    for mode in ("leave-one-dataset-out", "leave-mix-out"):
        rows = []
        for j in range(len(cat)):
            keep = [i for i in range(len(cat)) if i != j and (mode == "leave-one-dataset-out" or mixes[i] != mixes[j])]
            sub = cat.subset(keep)
            e = cat.datasets[j]
            query = {ref: (e["profile"][ref], e["total"][ref]) for ref in ("exact", "cvx")}
            query["n"] = e["generator"]["n_train"]
            rows.append(evaluate(sub, query, rel_all[j]))
        out[mode] = summarize(f"(a) catalog, {mode}", rows)
    return out


# ------------------------------------------------------------------------------------ part (b)
def held_out_specs(n: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    specs = []
    for i in range(n):
        active = rng.random(4) < 0.6
        if not active.any():
            active[rng.integers(4)] = True
        w = np.where(active, rng.dirichlet(np.ones(4)), 0.0)
        specs.append({"weights": dict(zip(("R", "U1", "U2", "S"), w.tolist(), strict=True)),
                      "information": float(rng.uniform(0.3, 1.0)), "noise": float(rng.uniform(0.1, 0.4)),
                      "n_train": int(rng.choice([500, 1000, 2000])), "seed": 90_000 + seed * 100 + i})
    return specs


def zoo_scores(models, x1, x2, y, tr, te, seed) -> np.ndarray:
    return np.array([make_model(m, random_state=seed).fit(x1[tr], x2[tr], y[tr]).score(x1[te], x2[te], y[te])
                     for m in models])


def part_b(cat, n_sets: int, seed: int) -> dict:
    rows, details = [], []
    for s in held_out_specs(n_sets, seed):
        t0 = time.perf_counter()
        spec = InteractionSpec(s["weights"], information=s["information"], noise=s["noise"])
        data = spec.sample(s["n_train"] + 5000, random_state=s["seed"])
        x1, x2, y = data
        tr, te = slice(0, s["n_train"]), slice(s["n_train"], None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PIDKitWarning)
            auto = pid.estimate(x1[tr], x2[tr], y[tr], random_state=0)
            cvx = pid.estimate(x1[tr], x2[tr], y[tr], estimator="cvx", random_state=0)
        acc = zoo_scores(cat.models, x1, x2, y, tr, te, seed=0)
        rel = acc / acc.max()
        query = {"exact": (profile_of(auto.atoms), auto.total), "cvx": (profile_of(cvx.atoms), cvx.total),
                 "n": s["n_train"]}
        rows.append(evaluate(cat, query, rel))
        details.append({**s, "estimator": auto.estimator, "pid_auto": auto.atoms, "pid_cvx": cvx.atoms,
                        "atoms_true": spec.atoms, "accuracy": dict(zip(cat.models, acc.tolist(), strict=True)),
                        "seconds": time.perf_counter() - t0})
        print(f"  held-out {len(rows)}: n_train {s['n_train']}, noise {s['noise']:.2f}, I {s['information']:.2f}, "
              f"{spec.n_classes} classes, best {cat.models[int(acc.argmax())]} {acc.max():.3f}; top-1 "
              f"{rows[-1][DEFAULT][0]:.3f}, best-on-average "
              f"{rows[-1]['baselines']['best on average']:.3f} ({time.perf_counter() - t0:.0f} s)", flush=True)
    return {"summary": summarize("(b) held-out suite datasets", rows), "datasets": details}


# ------------------------------------------------------------------------------------ part (c)
def real_datasets():
    from sklearn.datasets import load_breast_cancer, load_wine

    from pidkit.datasets import load_digits_halves

    yield "digits (top / bottom halves)", *load_digits_halves()
    bc = load_breast_cancer()
    names = list(bc.feature_names)
    size_texture = [i for i, f in enumerate(names) if any(k in f for k in ("radius", "texture", "perimeter", "area",
                                                                            "smoothness"))]
    shape = [i for i in range(len(names)) if i not in size_texture]
    yield "breast cancer (size+texture / shape)", bc.data[:, size_texture], bc.data[:, shape], bc.target
    wine = load_wine()
    wn = list(wine.feature_names)
    phenolic = [wn.index(f) for f in ("total_phenols", "flavanoids", "nonflavanoid_phenols", "proanthocyanins",
                                      "color_intensity", "hue", "od280/od315_of_diluted_wines")]
    rest = [i for i in range(len(wn)) if i not in phenolic]
    yield "wine (phenolics+colour / rest)", wine.data[:, phenolic], wine.data[:, rest], wine.target


def part_c(cat, seed: int) -> dict:
    rows, details = [], []
    for name, x1, x2, y in real_datasets():
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PIDKitWarning)
            auto = pid.estimate(x1, x2, y, random_state=seed)
            cvx = pid.estimate(x1, x2, y, estimator="cvx", random_state=seed)
            comp = compare(cat.models, x1, x2, y, cv=5, random_state=seed)
        acc = np.array([next(r["accuracy"] for r in comp.rows if r["model"] == m) for m in cat.models])
        rel = acc / acc.max()
        query = {"exact": (profile_of(auto.atoms), auto.total), "cvx": (profile_of(cvx.atoms), cvx.total),
                 "n": len(y)}
        res = evaluate(cat, query, rel)
        rows.append(res)
        label, reference, distance, k, prior = next(v for v in VARIANTS if v[0] == DEFAULT)
        default = rank_models(cat, *query[reference], len(y), reference=reference, distance=distance, neighbors=k,
                              prior_weight=prior)[0]
        details.append({"dataset": name, "n": int(len(y)), "classes": int(np.unique(y).size),
                        "estimator": auto.estimator, "pid_auto": auto.atoms, "pid_cvx": cvx.atoms,
                        "accuracy": dict(zip(cat.models, acc.tolist(), strict=True)),
                        "recommended": [r["model"] for r in default[:3]], "seconds": time.perf_counter() - t0})
        print(f"\n(c) {name}: n = {len(y)}, {np.unique(y).size} classes, PID ({auto.estimator}) "
              + ", ".join(f"{a} {v:.3f}" for a, v in auto.atoms.items()) + f" bits ({time.perf_counter() - t0:.0f} s)")
        print("    accuracy (5-fold): " + ", ".join(f"{m} {a:.3f}" for m, a in zip(cat.models, acc, strict=True)))
        print(f"    recommended {details[-1]['recommended']}: top-1 {res[DEFAULT][0]:.3f}, "
              f"best of top-3 {res[DEFAULT][1]:.3f}; best on average "
              f"{res['baselines']['best on average']:.3f}, random {res['baselines']['random']:.3f}")
    return {"summary": summarize("(c) real datasets", rows), "datasets": details}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default="abc")
    ap.add_argument("--held-out", type=int, default=16, help="held-out suite datasets in part (b)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--catalog", help="catalog file (default: the shipped one)")
    ap.add_argument("--json", help="write all numbers to this file")
    args = ap.parse_args()
    torch.set_num_threads(2)
    cat = load_catalog(args.catalog)
    t0 = time.perf_counter()
    print(f"pidkit {pid.__version__}; {cat!r}")
    print("command: python " + " ".join(sys.argv))
    avg = cat.relative_accuracy.mean(axis=0)
    print("catalog mean relative accuracy per model: "
          + ", ".join(f"{m} {a:.3f}" for m, a in sorted(zip(cat.models, avg, strict=True), key=lambda t: -t[1])))
    out = {}
    if "a" in args.parts:
        out["a"] = part_a(cat)
    if "b" in args.parts:
        out["b"] = part_b(cat, args.held_out, args.seed)
    if "c" in args.parts:
        out["c"] = part_c(cat, args.seed)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
