"""The fusion zoo on the ten suite presets: accuracy, model PID, agreement α and its correlation with accuracy.

For every preset of ``pidkit.synthetic.SUITE_PRESETS`` (drawn with its fixed seed) the first
``--n-train`` samples train every zoo model (each holds out 20% of them for early stopping) and the
next ``--n-test`` samples evaluate it. On the test split:

* the dataset's PID: ``estimator="cvx"`` with a Discretizer fitted there (what a user would run),
  next to the exact latent PID the preset states;
* each model's accuracy, against the population Bayes accuracy (exact, from the latents) and the
  Bayes rule's accuracy on the same test samples (``InteractionData.bayes_proba``);
* the model's PID on the **same** Discretizer (soft table) and its agreement α with the dataset's
  PID (``pid.agreement``), and α against the exact latent PID as a second reading.

Then the Pearson and Spearman correlations between α and accuracy over all (dataset, model)
pairs — the thesis reports ρ = 0.81 — overall, per atom, and against relative accuracy
(accuracy / Bayes accuracy), which removes the differences in difficulty between datasets.

    python benchmarks/bench_models.py                    # full run: 10 presets x 11 models
    python benchmarks/bench_models.py --quick            # 3 presets x 3 models, small sizes
    python benchmarks/bench_models.py --json benchmarks/results/bench_models.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings

import numpy as np
import torch
from scipy.stats import pearsonr, spearmanr

import pidkit as pid
from pidkit.fusion import available_models, make_model
from pidkit.synthetic import SUITE_PRESETS, suite_data

ATOMS = ("R", "U1", "U2", "S")


def run_preset(name: str, models: list[str], args) -> dict:
    data = suite_data(name, n=args.n_train + args.n_test)
    x1, x2, y = data
    tr, te = slice(0, args.n_train), slice(args.n_train, None)
    bayes_rule = float(np.mean(data.bayes_proba()[te].argmax(1) == y[te]))
    disc = pid.Discretizer(random_state=args.seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data_pid = pid.estimate(x1[te], x2[te], y[te], estimator="cvx", discretizer=disc)
    out = {
        "preset": name, "atoms_true": data.spec.atoms, "atoms_cvx": data_pid.atoms,
        "bayes_accuracy": data.bayes_accuracy, "feature_bayes_accuracy": data.spec.feature_bayes_accuracy(),
        "bayes_rule_test_accuracy": bayes_rule, "n_classes": data.spec.n_classes,
        "discretization": {k: data_pid.diagnostics.discretization[k]
                           for k in ("n_states", "samples_per_occupied_cell")},
        "warnings": sorted({w.category.__name__ for w in caught}), "models": [],
    }
    for m in models:
        runs = []
        for seed in range(args.seed, args.seed + args.seeds):
            t0 = time.perf_counter()
            model = make_model(m, random_state=seed, epochs=args.epochs).fit(x1[tr], x2[tr], y[tr])
            fit_s = time.perf_counter() - t0
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                mpid = pid.model_pid(model, x1[te], x2[te], discretizer=disc)
                ag = pid.agreement(data_pid, mpid)
                ag_true = pid.agreement(data.pid, mpid)
            runs.append({
                "seed": seed, "accuracy": model.score(x1[te], x2[te], y[te]), "epochs": model.n_epochs_,
                "fit_s": fit_s, "model_pid": mpid.atoms, "model_total": mpid.total, "alpha": ag.total,
                "alpha_atoms": ag.alpha, "similarity": ag.similarity, "alpha_true": ag_true.total,
                "warnings": sorted({w.category.__name__ for w in caught}),
            })
        acc = np.array([r["accuracy"] for r in runs])
        out["models"].append({
            "model": m, "accuracy": float(acc.mean()), "accuracy_std": float(acc.std()),
            "relative_to_bayes": float(acc.mean()) / data.bayes_accuracy,
            "relative_to_bayes_rule": float(acc.mean()) / bayes_rule,
            "epochs": float(np.mean([r["epochs"] for r in runs])), "fit_s": float(np.mean([r["fit_s"] for r in runs])),
            "model_pid": {a: float(np.mean([r["model_pid"][a] for r in runs])) for a in ATOMS},
            "model_total": float(np.mean([r["model_total"] for r in runs])),
            "alpha": float(np.mean([r["alpha"] for r in runs])),
            "alpha_atoms": {a: float(np.mean([r["alpha_atoms"][a] for r in runs])) for a in ATOMS},
            "similarity": float(np.mean([r["similarity"] for r in runs])),
            "alpha_true": float(np.mean([r["alpha_true"] for r in runs])), "runs": runs,
        })
    return out


def correlations(xs: np.ndarray, ys: np.ndarray) -> tuple[float, float]:
    if np.ptp(xs) < 1e-9 or np.ptp(ys) < 1e-9:  # constant (e.g. every model at the Bayes accuracy)
        return float("nan"), float("nan")
    return float(pearsonr(xs, ys)[0]), float(spearmanr(xs, ys)[0])


def report(results: list[dict], models: list[str]) -> dict:
    print(f"\n{'preset':<7}{'model':<15}{'acc':>7}{'±':>6}{'/Bayes':>8}{'/rule':>7}"
          + "".join(f"{'f ' + a:>8}" for a in ATOMS) + f"{'alpha':>8}{'sim':>6}{'alpha*':>8}{'ep':>4}{'fit s':>7}")
    for r in results:
        t = r["atoms_true"]
        c = r["atoms_cvx"]
        print(f"{r['preset']:<7}{'(truth)':<15}{r['bayes_accuracy']:7.3f}{'':>6}{'':>8}{'':>7}"
              + "".join(f"{t[a]:8.3f}" for a in ATOMS))
        print(f"{'':<7}{'(data, cvx)':<15}{r['bayes_rule_test_accuracy']:7.3f}{'':>6}{'':>8}{'':>7}"
              + "".join(f"{c[a]:8.3f}" for a in ATOMS))
        for m in r["models"]:
            f = m["model_pid"]
            print(f"{'':<7}{m['model']:<15}{m['accuracy']:7.3f}{m['accuracy_std']:6.3f}{m['relative_to_bayes']:8.3f}"
                  f"{m['relative_to_bayes_rule']:7.3f}" + "".join(f"{f[a]:8.3f}" for a in ATOMS)
                  + f"{m['alpha']:8.3f}{m['similarity']:6.2f}{m['alpha_true']:8.3f}{m['epochs']:4.0f}{m['fit_s']:7.1f}")
    print("\nacc ±: mean and standard deviation over the model seeds; /Bayes: over the population Bayes accuracy")
    print("(latents); /rule: over the Bayes rule's accuracy on the same test samples; f R..S: model PID (bits, soft")
    print("table on the dataset's Discretizer);")
    print("alpha: agreement with the dataset's cvx PID; sim: profile similarity; alpha*: agreement with the exact PID.")

    print(f"\n{'preset':<7}{'best model':<15}{'acc':>7}{'/Bayes':>8}{'>= 97%':>8}   runner-up")
    best_rows = []
    for r in results:
        ranked = sorted(r["models"], key=lambda m: -m["accuracy"])
        b = ranked[0]
        ok = b["relative_to_bayes"] >= 0.97
        best_rows.append({"preset": r["preset"], "model": b["model"], "relative_to_bayes": b["relative_to_bayes"],
                          "meets_97": ok})
        second = f"{ranked[1]['model']} {ranked[1]['accuracy']:.3f}" if len(ranked) > 1 else ""
        print(f"{r['preset']:<7}{b['model']:<15}{b['accuracy']:7.3f}{b['relative_to_bayes']:8.3f}{str(ok):>8}"
              f"   {second}")

    pairs = [(r, m) for r in results for m in r["models"]]
    acc = np.array([m["accuracy"] for _, m in pairs])
    rel = np.array([m["relative_to_bayes"] for _, m in pairs])
    corr = {}
    print(f"\nCorrelation over {len(pairs)} (dataset, model) pairs (thesis: rho = 0.81 for alpha vs accuracy)")
    print(f"{'score':<22}{'vs acc: Pearson':>16}{'Spearman':>10}{'vs acc/Bayes: Pearson':>23}{'Spearman':>10}")
    rows = [("alpha (cvx data PID)", "alpha", None), ("alpha (exact PID)", "alpha_true", None)]
    rows += [(f"alpha_{a} (cvx)", "alpha_atoms", a) for a in ATOMS]
    rows += [("model total I(X;Y^)", "model_total", None), ("profile similarity", "similarity", None)]
    for label, key, atom in rows:
        xs = np.array([m[key] if atom is None else m[key][atom] for _, m in pairs])
        pa, sa = correlations(xs, acc)
        pr, sr = correlations(xs, rel)
        corr[label] = {"accuracy": [pa, sa], "relative_accuracy": [pr, sr]}
        print(f"{label:<22}{pa:16.3f}{sa:10.3f}{pr:23.3f}{sr:10.3f}")

    within = []
    for r in results:
        xs = np.array([m["alpha"] for m in r["models"]])
        ys = np.array([m["accuracy"] for m in r["models"]])
        within.append(correlations(xs, ys))
    within = np.array(within)
    corr["alpha within a dataset"] = {"per_preset": within.tolist(),
                                      "mean": [float(np.nanmean(within[:, 0])), float(np.nanmean(within[:, 1]))]}
    print("\nalpha vs accuracy across the models of one dataset (Pearson, Spearman):")
    print("  " + ", ".join(f"{r['preset']} {p:.2f}/{q:.2f}" for r, (p, q) in zip(results, within, strict=True)))
    print(f"  mean over presets: Pearson {np.nanmean(within[:, 0]):.3f}, Spearman {np.nanmean(within[:, 1]):.3f}")

    print(f"\n{'model':<15}{'mean acc/Bayes':>15}{'min':>7}")
    for m in models:
        vals = [x["relative_to_bayes"] for r in results for x in r["models"] if x["model"] == m]
        print(f"{m:<15}{np.mean(vals):15.3f}{np.min(vals):7.3f}")
    return {"best": best_rows, "correlations": corr}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--presets", default=",".join(SUITE_PRESETS), help="comma-separated preset names")
    ap.add_argument("--models", default=",".join(available_models()), help="comma-separated zoo names")
    ap.add_argument("--n-train", type=int, default=8000)
    ap.add_argument("--n-test", type=int, default=10000)
    ap.add_argument("--epochs", type=int, default=100, help="maximum epochs (early stopping decides)")
    ap.add_argument("--seed", type=int, default=0, help="random_state of the Discretizer and the first model seed")
    ap.add_argument("--seeds", type=int, default=3, help="model seeds per (dataset, model); means are reported")
    ap.add_argument("--quick", action="store_true", help="3 presets x 3 models, 2000 + 2000 samples")
    ap.add_argument("--json", help="write all numbers to this file")
    args = ap.parse_args()
    presets, models = args.presets.split(","), args.models.split(",")
    if args.quick:
        presets, models = ["R", "S", "mix4"], ["early", "additive", "tensor"]
        args.n_train, args.n_test, args.seeds = 2000, 2000, 1
    t0 = time.perf_counter()
    print(f"pidkit {pid.__version__}, torch {torch.__version__} ({torch.get_num_threads()} threads), numpy "
          f"{np.__version__}; {len(presets)} presets x {len(models)} models; n_train {args.n_train}, n_test "
          f"{args.n_test}, seeds {args.seed}..{args.seed + args.seeds - 1}")
    print("command: python " + " ".join(sys.argv))
    results = []
    for name in presets:
        t = time.perf_counter()
        results.append(run_preset(name, models, args))
        print(f"  {name}: {time.perf_counter() - t:.0f} s", flush=True)
    summary = report(results, models)
    elapsed = time.perf_counter() - t0
    print(f"\ntotal {elapsed:.0f} s ({elapsed / 60:.1f} min)")
    if args.json:
        meta = {"command": "python " + " ".join(sys.argv), "pidkit": pid.__version__, "torch": torch.__version__,
                "numpy": np.__version__, "python": platform.python_version(), "seconds": elapsed,
                "n_train": args.n_train, "n_test": args.n_test, "seed": args.seed, "seeds": args.seeds}
        with open(args.json, "w") as fh:
            json.dump({"meta": meta, "summary": summary, "presets": results}, fh, indent=1)


if __name__ == "__main__":
    main()
