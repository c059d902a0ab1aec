"""The reference catalog behind model selection: suite datasets, their PIDs and how every zoo model did.

A catalog is plain JSON (``pidkit/data/catalog.json`` ships with the package; rebuild it with
``python benchmarks/build_catalog.py``). For each reference dataset it holds the generator
parameters (an :class:`~pidkit.synthetic.InteractionSpec`, its seed and split sizes), the
dataset's PID in bits — exact for the latent table (``"exact"``) and for the noisy features
(``"feature"``, what a model of the features can reach), and as ``pid.estimate(...,
estimator="cvx")`` finds it on the test split (``"cvx"``) — its normalized profile, its Bayes
accuracy, and per zoo model the test accuracy of every seed, their mean and spread, the model
PID, the agreement α and the model's size (``n_parameters``). Floats are rounded to 6 decimals,
and nothing in the file depends on the clock, so the same command and seeds rewrite the same
bytes on the CPU. Fit times depend on the machine and its load, so they go to a separate file
(``pidkit/data/costs.json``, :func:`load_costs`) that names the machine.
"""

from __future__ import annotations

import json
import math
import platform
import sys
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_positive_int
from ..exceptions import CatalogError
from ..result import ATOMS

__all__ = [
    "SCHEMA_VERSION",
    "DEFAULT_CATALOG",
    "Catalog",
    "load_catalog",
    "default_grid",
    "build_catalog",
    "save_catalog",
    "profile_of",
    "load_costs",
    "save_costs",
    "DEFAULT_COSTS",
    "costs_path",
    "REFERENCES",
]

#: Version of the file layout; :func:`load_catalog` refuses any other.
SCHEMA_VERSION = 2
#: The catalog shipped in the wheel.
DEFAULT_CATALOG = Path(__file__).resolve().parent.parent / "data" / "catalog.json"
#: Fit times measured while the shipped catalog was built (machine-dependent, not byte-reproducible).
DEFAULT_COSTS = DEFAULT_CATALOG.with_name("costs.json")
#: The PIDs recorded for every reference dataset.
REFERENCES = ("exact", "feature", "cvx")
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


def profile_of(atoms: dict[str, float]) -> dict[str, float]:
    """Normalized PID profile: atoms (negatives as 0) divided by their sum; all 0 without information."""
    vals = {a: max(float(atoms[a]), 0.0) for a in ATOMS}
    total = sum(vals.values())
    return {a: (v / total if total > 0 else 0.0) for a, v in vals.items()}


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
    from ..synthetic import SUITE_PRESETS

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
    import warnings

    import torch

    import pidkit as pid

    from ..fusion import make_model
    from ..synthetic import InteractionSpec

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

    import pidkit

    from ..fusion import available_models

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
        "built_with": {"pidkit": pidkit.__version__, "torch": torch.__version__.split("+")[0],
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


# ------------------------------------------------------------------------------------ reading
_ENTRY_KEYS = ("name", "generator", "n_classes", "pid", "total", "profile", "bayes_accuracy", "models")
_MODEL_KEYS = ("accuracy", "accuracy_mean", "accuracy_std", "model_pid", "alpha", "n_parameters")


@dataclass(frozen=True)
class Catalog:
    """A validated reference catalog (see the module docstring for its contents).

    Attributes
    ----------
    raw : dict
        The JSON content.
    costs : dict
        Measured fit times of its models (:func:`load_costs`; ``{}`` when none were saved).
    """

    raw: dict
    costs: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        d = self.raw
        if not isinstance(d, dict) or "schema_version" not in d:
            raise CatalogError("the catalog is not a pidkit catalog: expected a JSON object with 'schema_version'.")
        if d["schema_version"] != SCHEMA_VERSION:
            raise CatalogError(
                f"the catalog has schema version {d['schema_version']!r}; this pidkit reads version {SCHEMA_VERSION}. "
                "Rebuild it with python benchmarks/build_catalog.py, or use the pidkit version that wrote it."
            )
        for key in ("models", "seeds", "datasets", "built_with"):
            if key not in d:
                raise CatalogError(f"the catalog lacks the key {key!r}; rebuild it with benchmarks/build_catalog.py.")
        if not isinstance(d["datasets"], list) or not isinstance(d["models"], list) \
                or not all(isinstance(m, str) for m in d["models"]) or not isinstance(d["seeds"], list):
            raise CatalogError("the catalog's 'datasets', 'models' and 'seeds' must be lists (models: names); "
                               "rebuild it with benchmarks/build_catalog.py.")
        if not d["datasets"] or not d["models"]:
            raise CatalogError("the catalog has no datasets or no models; rebuild it with benchmarks/build_catalog.py.")
        for i, e in enumerate(d["datasets"]):
            if not isinstance(e, dict):
                raise CatalogError(f"catalog dataset {i} is a {type(e).__name__}; expected an object.")
            missing = [k for k in _ENTRY_KEYS if k not in e]
            if missing:
                raise CatalogError(f"catalog dataset {i} ({e.get('name', '?')}) lacks {missing}.")
            name = e["name"]
            if not all(isinstance(e[k], dict) for k in ("models", "pid", "total", "profile")):
                raise CatalogError(f"catalog dataset {name!r}: 'models', 'pid', 'total' and 'profile' must be objects.")
            for m in d["models"]:
                rec = e["models"].get(m)
                if not isinstance(rec, dict) or any(k not in rec for k in _MODEL_KEYS):
                    raise CatalogError(f"catalog dataset {name!r} has no complete record for model {m!r}.")
                if not isinstance(rec["accuracy"], list) or len(rec["accuracy"]) != len(d["seeds"]):
                    raise CatalogError(f"catalog dataset {name!r}, model {m!r}: one accuracy per seed expected.")
                accs = [*rec["accuracy"], rec["accuracy_mean"]]
                if not all(_finite(a) and 0.0 <= a <= 1.0 for a in accs) or not accs[-1] > 0:
                    raise CatalogError(f"catalog dataset {name!r}, model {m!r}: accuracies must be numbers in [0, 1] "
                                       f"(and a positive mean); got {accs}. The file was damaged: rebuild it.")
                if not _finite(rec["n_parameters"]) or rec["n_parameters"] < 0:
                    raise CatalogError(f"catalog dataset {name!r}, model {m!r}: n_parameters must be a number >= 0.")
            for kind in REFERENCES:
                prof = e["profile"].get(kind)
                atoms = e["pid"].get(kind)
                if not isinstance(prof, dict) or set(prof) != set(ATOMS) or not isinstance(atoms, dict) \
                        or set(atoms) != set(ATOMS):
                    raise CatalogError(f"catalog dataset {name!r} lacks its {kind!r} PID and profile over {ATOMS}.")
                if not all(_finite(v) for v in (*prof.values(), *atoms.values(), e["total"].get(kind))):
                    raise CatalogError(f"catalog dataset {name!r}: its {kind!r} PID has values that are not finite "
                                       "numbers. The file was damaged: rebuild it.")

    # ------------------------------------------------------------------------- views
    @property
    def models(self) -> list[str]:
        return list(self.raw["models"])

    @property
    def datasets(self) -> list[dict[str, Any]]:
        return self.raw["datasets"]

    @property
    def names(self) -> list[str]:
        return [e["name"] for e in self.datasets]

    def __len__(self) -> int:
        return len(self.datasets)

    def profiles(self, reference: str = "exact") -> np.ndarray:
        """(datasets, 4) normalized profiles (R, U1, U2, S) of the ``"exact"``, ``"feature"`` or ``"cvx"`` PIDs."""
        return np.array([[e["profile"][reference][a] for a in ATOMS] for e in self.datasets])

    def totals(self, reference: str = "exact") -> np.ndarray:
        """(datasets,) I(X1,X2;Y) in bits."""
        return np.array([e["total"][reference] for e in self.datasets])

    @cached_property
    def accuracy(self) -> np.ndarray:
        """(datasets, models) mean test accuracy over the seeds."""
        return np.array([[e["models"][m]["accuracy_mean"] for m in self.models] for e in self.datasets])

    @cached_property
    def accuracy_per_seed(self) -> np.ndarray:
        """(datasets, models, seeds) test accuracies."""
        return np.array([[e["models"][m]["accuracy"] for m in self.models] for e in self.datasets])

    @cached_property
    def relative_accuracy(self) -> np.ndarray:
        """(datasets, models) mean accuracy over the best model's mean accuracy on that dataset."""
        acc = self.accuracy
        return acc / acc.max(axis=1, keepdims=True)

    @property
    def n_classes(self) -> np.ndarray:
        return np.array([e["n_classes"] for e in self.datasets])

    @property
    def n_train(self) -> np.ndarray:
        return np.array([e["generator"]["n_train"] for e in self.datasets])

    def atoms(self, reference: str = "exact") -> np.ndarray:
        """(datasets, 4) atoms (R, U1, U2, S) in bits of the ``reference`` PIDs."""
        return np.array([[e["pid"][reference][a] for a in ATOMS] for e in self.datasets])

    @cached_property
    def n_parameters(self) -> np.ndarray:
        """(datasets, models) mean parameter count of each fitted model."""
        return np.array([[e["models"][m]["n_parameters"] for m in self.models] for e in self.datasets])

    def subset(self, keep: list[int] | np.ndarray) -> Catalog:
        """A catalog of the datasets at positions ``keep`` (e.g. leave-one-out)."""
        return Catalog({**self.raw, "datasets": [self.datasets[int(i)] for i in keep]}, self.costs)

    def mirrored(self) -> Catalog:
        """The catalog plus every dataset with its modalities swapped (names end in ``~``).

        The reference generator treats X1 and X2 alike, so swapping them — U1 <-> U2 in every
        PID and profile, ``x1-only`` <-> ``x2-only`` in the model records — gives datasets as
        real as the originals: a query whose information sits in X2 finds references that look
        like it. A catalog already mirrored, or that holds only one of ``x1-only`` / ``x2-only``,
        is returned as it is.
        """
        swap_model = {"x1-only": "x2-only", "x2-only": "x1-only"}
        if ("x1-only" in self.models) != ("x2-only" in self.models):
            return self  # one unimodal model without the other: a swapped dataset would lack a record
        if any(e["name"].endswith("~") for e in self.datasets):
            return self  # already mirrored

        def swap_atoms(d: dict) -> dict:
            return {**d, "U1": d["U2"], "U2": d["U1"]}

        extra = []
        for e in self.datasets:
            m = dict(e)
            m["name"] = e["name"] + "~"
            for key in ("pid", "profile"):
                m[key] = {ref: swap_atoms(v) for ref, v in e[key].items()}
            m["models"] = {swap_model.get(k, k): {**v, "model_pid": swap_atoms(v["model_pid"])}
                           for k, v in e["models"].items()}
            extra.append(m)
        return Catalog({**self.raw, "datasets": [*self.datasets, *extra]}, self.costs)

    def __repr__(self) -> str:
        b = self.raw["built_with"]
        return (f"Catalog({len(self)} datasets x {len(self.models)} models, seeds {self.raw['seeds']}, "
                f"pidkit {b['pidkit']}, torch {b['torch']})")


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
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def load_costs(path: str | Path | None = None) -> dict[str, Any]:
    """The measured costs of the zoo (default: those shipped with the catalog); ``{}`` if absent."""
    p = DEFAULT_COSTS if path is None else Path(path)
    if not p.is_file():
        return {}
    try:
        return json.loads(p.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{p} is not valid JSON ({exc}); rebuild it with benchmarks/build_catalog.py.") from None


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Read and validate a catalog (default: the one shipped with pidkit).

    Raises
    ------
    CatalogError
        The file is missing, not JSON, of another schema version, or incomplete.
    """
    p = DEFAULT_CATALOG if path is None else Path(path)
    if not p.is_file():
        raise CatalogError(
            f"no catalog at {p}; expected a JSON file written by benchmarks/build_catalog.py"
            + (" (the shipped catalog is missing: reinstall pidkit)." if path is None else ".")
        )
    try:
        raw = json.loads(p.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise CatalogError(f"{p} is not valid JSON ({why}); expected a catalog written by build_catalog.py.") from None
    return Catalog(raw, load_costs(costs_path(p)))


def costs_path(catalog_path: str | Path) -> Path:
    """Where the fit times of a catalog file live: ``costs.json`` beside ``catalog.json``, or
    ``NAME_costs.json`` beside ``NAME_catalog.json`` (``catalog`` replaced by ``costs`` in the stem)."""
    p = Path(catalog_path)
    stem = p.stem.replace("catalog", "costs") if "catalog" in p.stem else p.stem + "_costs"
    return p.with_name(stem + ".json")
