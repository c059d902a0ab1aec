"""Build the model-selection catalog that ships with pidkit (``pidkit/data/catalog.json``).

Trains every fusion-zoo model, with three seeds, on each reference dataset of
``default_grid()`` (below) — the ten thesis presets, a sweep over the R / U / S
simplex and the decision mixes at two total informations, each at two difficulty levels (2,000
training samples with noise 0.15; 500 with noise 0.35), six mixes with 6,000 training samples,
5,000 test samples each — and records per dataset its PID (exact, of the features, and
cvx-estimated), Bayes accuracy, and per model the test accuracies, model PID, α and size. The
fit times go to ``costs.json`` beside the catalog (they depend on the machine).

    python benchmarks/build_catalog.py                     # the shipped catalog (2 processes)
    python benchmarks/build_catalog.py --out /tmp/c.json   # elsewhere, e.g. to compare with the shipped one
    python benchmarks/build_catalog.py --datasets R-easy,S-hard --models early,tensor --out /tmp/small.json

Every fit runs on one torch thread per process, so the same command writes the same file on the
CPU (the file holds no timestamps; the build time is printed).

The code that builds and writes a catalog lives here, not in the package: pidkit only reads
catalogs (:mod:`pidkit.selection.catalog`, which validates them; so does :func:`save_catalog`
before writing).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

import pidkit as pid
from pidkit._validation import check_positive_int
from pidkit.fusion import available_models, make_model
from pidkit.result import ATOMS
from pidkit.selection.catalog import DEFAULT_CATALOG, SCHEMA_VERSION, Catalog, costs_path, profile_of
from pidkit.synthetic import SUITE_PRESETS, InteractionSpec

#: Decimals kept for every float written (platform noise below this never changes the file).
DECIMALS = 6
#: The two difficulty levels every reference interaction mix is trained at: training samples and
#: the noise on the factor coordinates (unit spacing). With thousands of samples at noise 0.15
#: every zoo model that can represent the interactions reaches the Bayes accuracy
#: (benchmarks/bench_models.py); with a few hundred at noise 0.25-0.4 their sample efficiency
#: and inductive biases start to separate them (measured while designing the catalog: at 400
#: samples and noise 0.25, 0.64-0.86 of the best on mix2 instead of 0.97-0.99).
DIFFICULTY = {"easy": {"n_train": 2000, "noise": 0.15}, "hard": {"n_train": 500, "noise": 0.35}}
#: A third level for the decision mixes only: many samples and moderate noise, where every model
#: that can reach the information has learned it and the differences are those of reach.
LARGE = {"n_train": 6000, "noise": 0.25}
#: Mixes that span the decisions a user makes (one modality suffices; both carry unique
#: information but no synergy; synergy with one modality's unique information), beyond the
#: presets and the even R / U / S sweep. Mirrored versions (U1 <-> U2) need no entries: the
#: selection mirrors the catalog.
DECISION_MIXES = (
    ("R2U1-x1", {"R": 2, "U1": 1}), ("R1U2-x1", {"R": 1, "U1": 2}),
    ("U1x2U2", {"U1": 2, "U2": 1}), ("R1U1x2U2", {"R": 1, "U1": 2, "U2": 1}),
    ("U1S2", {"U1": 1, "S": 2}), ("R1U1S1-x1", {"R": 1, "U1": 1, "S": 1}),
)
#: The mixes trained at the ``LARGE`` level (0.6 bits each).
LARGE_MIXES = ("R", "U1", "S", "U1U2", "R2U1-x1", "U1S2")
#: Test samples of every reference dataset (accuracies known to about ±0.007).
N_TEST = 5000


def _entropy_bits(labels: np.ndarray) -> float:
    p = np.bincount(labels) / labels.size
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, DECIMALS) if math.isfinite(obj) else None
    if isinstance(obj, (np.floating, np.integer)):
        return _round(obj.item())
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_round(v) for v in obj]
    return obj


# ------------------------------------------------------------------------------------ the grid
def default_grid() -> list[dict[str, Any]]:
    """The reference datasets: the thesis presets, a sweep over the R / U / S simplex, decision mixes.

    Sweep: shares of redundancy, uniqueness and synergy on the lattice of thirds (10 points;
    uniqueness split evenly between U1 and U2), at total information 0.4 and 0.8 bits. Decision
    mixes (:data:`DECISION_MIXES`: X1 suffices, unequal uniqueness without synergy, synergy with
    unique information) at 0.4 and 0.8 bits. Every mix is trained at both :data:`DIFFICULTY`
    levels (2 x 42 = 84 datasets), and six at the :data:`LARGE` level (6,000 training samples) —
    90 datasets, each with its own seed.
    """
    mixes = []
    for name, preset in SUITE_PRESETS.items():
        mixes.append((name, dict(preset["atoms"]), sum(preset["atoms"].values())))
    thirds = [(r, u, 3 - r - u) for r in range(4) for u in range(4 - r)]
    for info in (0.4, 0.8):
        for r, u, s in thirds:
            weights = {"R": r / 3, "U1": u / 6, "U2": u / 6, "S": s / 3}
            mixes.append((f"R{r}U{u}S{s}-I{info}", weights, info))
    for info in (0.4, 0.8):
        for name, weights in DECISION_MIXES:
            mixes.append((f"{name}-I{info}", dict(weights), info))
    grid = []
    for level, diff in DIFFICULTY.items():
        for i, (name, weights, info) in enumerate(mixes):
            seed = 20_000 + 100 * (level == "hard") + i
            grid.append({"name": f"{name}-{level}", "weights": weights, "information": info, "seed": seed,
                         "n_train": diff["n_train"], "n_test": N_TEST, "noise": diff["noise"]})
    large = {"R": {"R": 1}, "U1": {"U1": 1}, "S": {"S": 1}, "U1U2": {"U1": 1, "U2": 1},
             **{name: dict(w) for name, w in DECISION_MIXES}}
    for i, name in enumerate(LARGE_MIXES):
        grid.append({"name": f"{name}-large", "weights": large[name], "information": 0.6, "seed": 20_200 + i,
                     "n_train": LARGE["n_train"], "n_test": N_TEST, "noise": LARGE["noise"]})
    return grid


# ----------------------------------------------------------------------------------- building
def _build_entry(entry: dict[str, Any], models: list[str], seeds: list[int],
                 model_params: dict) -> tuple[dict[str, Any], dict[str, list[float]]]:
    """Train every model on one reference dataset: its PIDs, accuracies, model PIDs, α and sizes,
    and (apart) the fit times."""
    import torch

    torch.set_num_threads(1)  # reproducible sums, and one core per worker
    spec = InteractionSpec(entry["weights"], information=entry["information"], noise=entry["noise"])
    data = spec.sample(entry["n_train"] + entry["n_test"], random_state=entry["seed"])
    x1, x2, y = data
    tr, te = slice(0, entry["n_train"]), slice(entry["n_train"], None)
    disc = pid.Discretizer(random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # plug-in bias on the small splits is expected and recorded
        data_pid = pid.estimate(x1[te], x2[te], y[te], estimator="cvx", discretizer=disc, info_check=False)
        exact = data.pid
        feature = spec.feature_pid()
        out_models, times = {}, {}
        for m in models:
            accs, mpids, alphas, sizes, secs = [], [], [], [], []
            for seed in seeds:
                t0 = time.perf_counter()
                model = make_model(m, random_state=seed, **model_params).fit(x1[tr], x2[tr], y[tr])
                secs.append(time.perf_counter() - t0)
                sizes.append(model.n_parameters_)
                accs.append(model.score(x1[te], x2[te], y[te]))
                mpid = pid.model_pid(model, x1[te], x2[te], discretizer=disc)
                mpids.append(mpid.atoms)
                alphas.append(pid.agreement(exact, mpid).total)
            out_models[m] = {
                "accuracy": accs, "accuracy_mean": float(np.mean(accs)), "accuracy_std": float(np.std(accs)),
                "model_pid": {a: float(np.mean([p[a] for p in mpids])) for a in ATOMS},
                "alpha": float(np.mean(alphas)), "n_parameters": float(np.mean(sizes)),
            }
            times[m] = secs
    return {
        "name": entry["name"],
        "generator": {**spec.to_dict(), "seed": entry["seed"], "n_train": entry["n_train"],
                      "n_test": entry["n_test"]},
        "n_classes": spec.n_classes,
        "pid": {"exact": exact.atoms, "feature": feature.atoms, "cvx": data_pid.atoms},
        "total": {"exact": exact.total, "feature": feature.total, "cvx": data_pid.total},
        "profile": {"exact": profile_of(exact.atoms), "feature": profile_of(feature.atoms),
                    "cvx": profile_of(data_pid.atoms)},
        "label_entropy": _entropy_bits(y[te]),
        "bayes_accuracy": spec.bayes_accuracy,
        "feature_bayes_accuracy": spec.feature_bayes_accuracy(),
        "models": out_models,
    }, times


def build_catalog(
    grid: list[dict[str, Any]] | None = None,
    *,
    models: list[str] | None = None,
    seeds: tuple[int, ...] = (0, 1, 2),
    model_params: dict | None = None,
    n_jobs: int = 1,
    command: str | None = None,
    progress: bool = False,
    timings: dict | None = None,
) -> dict[str, Any]:
    """Train the zoo on every reference dataset of ``grid`` (default :func:`default_grid`).

    Parameters
    ----------
    grid : list of dict
        Entries with ``name``, ``weights``, ``information``, ``seed``, ``n_train``, ``n_test``,
        ``noise`` (as :func:`default_grid` makes them).
    models : list of str
        Zoo names (default: all of :func:`pidkit.fusion.available_models`).
    seeds : tuple of int
        ``random_state`` of each model's fits; accuracies are reported per seed, mean and spread.
    model_params : dict
        Extra ``FusionClassifier`` parameters for every model (default: none, the defaults).
    n_jobs : int
        Datasets built in parallel processes (joblib), each with one torch thread.
    command : str
        The command line recorded in the catalog (default: this process's).
    timings : dict, optional
        Filled with ``{dataset name: {model: [fit seconds per seed]}}`` — kept out of the catalog,
        whose bytes must not depend on the clock (:func:`save_costs` writes them).

    Returns
    -------
    dict
        The catalog, ready for :func:`save_catalog`; :class:`Catalog` wraps it.
    """
    import torch
    from joblib import Parallel, delayed

    grid = default_grid() if grid is None else grid
    models = list(available_models()) if models is None else list(models)
    seeds = [int(s) for s in seeds]
    params = dict(model_params or {})
    n_jobs = check_positive_int("n_jobs", n_jobs)
    verbose = 10 if progress else 0
    built = Parallel(n_jobs=n_jobs, verbose=verbose)(
        delayed(_build_entry)(e, models, seeds, params) for e in grid
    )
    entries = [b[0] for b in built]
    if timings is not None:
        timings.update({e["name"]: t for e, (_, t) in zip(grid, built, strict=True)})
    catalog = {
        "schema_version": SCHEMA_VERSION,
        "built_with": {"pidkit": pid.__version__, "torch": torch.__version__.split("+")[0],
                       "numpy": np.__version__, "python": platform.python_version(),
                       "command": command if command is not None else " ".join(["python", *sys.argv])},
        "models": models,
        "seeds": seeds,
        "model_params": params,
        "datasets": entries,
    }
    return _round(catalog)


def save_catalog(catalog: dict[str, Any], path: str | Path) -> Path:
    """Write a catalog as indented JSON (validated first)."""
    Catalog(catalog)  # refuse to write something load_catalog would refuse
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(catalog, indent=1, sort_keys=True) + "\n")
    return path


def save_costs(timings: dict[str, dict[str, list[float]]], catalog: dict[str, Any], path: str | Path,
               machine: str | None = None) -> Path:
    """Write the fit-time costs of a catalog build: per model, the mean fit seconds over datasets
    and seeds, the mean parameter count, and the machine they were measured on."""
    cat = Catalog(catalog)
    machine = machine or f"{platform.machine()}, {_cpu_count()} CPU(s) visible, one thread per fit"
    models = {}
    for j, m in enumerate(cat.models):
        secs = [s for t in timings.values() for s in t.get(m, [])]
        models[m] = {"fit_seconds": round(float(np.mean(secs)), 4) if secs else None,
                     "n_parameters": round(float(cat.n_parameters[:, j].mean()), 1)}
    out = {"machine": machine, "note": "mean over the catalog's reference datasets and seeds; times depend on the "
           "machine and its load", "models": models}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    return path


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# ---------------------------------------------------------------------------------- the command
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(DEFAULT_CATALOG), help=f"output file (default {DEFAULT_CATALOG})")
    ap.add_argument("--datasets", help="comma-separated names from the default grid (default: all)")
    ap.add_argument("--models", help="comma-separated zoo names (default: all)")
    ap.add_argument("--seeds", default="0,1,2", help="model seeds (default 0,1,2)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel processes (default 2)")
    ap.add_argument("--machine", help="how to name this machine in the costs file (default: from the platform)")
    args = ap.parse_args()
    grid = default_grid()
    if args.datasets:
        wanted = args.datasets.split(",")
        unknown = sorted(set(wanted) - {e["name"] for e in grid})
        if unknown:
            sys.exit(f"unknown dataset(s) {unknown}; the grid has {[e['name'] for e in grid]}")
        grid = [e for e in grid if e["name"] in wanted]
    models = args.models.split(",") if args.models else None
    seeds = tuple(int(s) for s in args.seeds.split(","))
    # the command recorded in the catalog names what decides its content (not --out, --jobs or --machine), so
    # the same content is written as the same bytes
    chosen = [f"--{k} {getattr(args, k)}" for k in ("datasets", "models") if getattr(args, k)]
    if args.seeds != "0,1,2":
        chosen.append(f"--seeds {args.seeds}")
    command = " ".join(["python benchmarks/build_catalog.py", *chosen])
    t0 = time.perf_counter()
    timings: dict = {}
    catalog = build_catalog(grid, models=models, seeds=seeds, n_jobs=args.jobs, command=command,
                            progress=True, timings=timings)
    path = save_catalog(catalog, args.out)
    costs = save_costs(timings, catalog, costs_path(args.out), machine=args.machine)
    elapsed = time.perf_counter() - t0
    print(f"wrote {path}: {len(catalog['datasets'])} datasets x {len(catalog['models'])} models x {len(seeds)} seeds "
          f"in {elapsed:.0f} s ({elapsed / 60:.1f} min); fit times in {costs}")


if __name__ == "__main__":
    main()
