"""The reference catalog behind model selection: suite datasets, their PIDs and how every zoo model did.

A catalog is plain JSON (``pidkit/data/catalog.json`` ships with the package; rebuild it with
``python benchmarks/build_catalog.py``). For each reference dataset it holds the generator
parameters (an :class:`~pidkit.synthetic.InteractionSpec`, its seed and split sizes), the
dataset's PID in bits — exact (the latent table) and as ``pid.estimate(..., estimator="cvx")``
finds it on the test split — its normalized profile, its Bayes accuracy, and per zoo model the
test accuracy of every seed, their mean and spread, the model PID and the agreement α. Floats are
rounded to 6 decimals, and nothing in the file depends on the clock, so the same command and
seeds rewrite the same bytes on the CPU.
"""

from __future__ import annotations

import json
import math
import platform
import sys
from dataclasses import dataclass
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
]

#: Version of the file layout; :func:`load_catalog` refuses any other.
SCHEMA_VERSION = 1
#: The catalog shipped in the wheel.
DEFAULT_CATALOG = Path(__file__).resolve().parent.parent / "data" / "catalog.json"
#: Decimals kept for every float written (platform noise below this never changes the file).
DECIMALS = 6

#: The two difficulty levels every reference interaction mix is trained at: training samples and
#: the noise on the factor coordinates (unit spacing). With thousands of samples at noise 0.15
#: every zoo model that can represent the interactions reaches the Bayes accuracy
#: (benchmarks/bench_models.py); with a few hundred at noise 0.25-0.4 their sample efficiency
#: and inductive biases start to separate them (measured while designing the catalog: at 400
#: samples and noise 0.25, 0.64-0.86 of the best on mix2 instead of 0.97-0.99).
DIFFICULTY = {"easy": {"n_train": 2000, "noise": 0.15}, "hard": {"n_train": 500, "noise": 0.35}}
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
    """The reference datasets: the ten thesis presets and a sweep over the R / U / S simplex.

    Sweep: shares of redundancy, uniqueness and synergy on the lattice of thirds (10 points;
    uniqueness split evenly between U1 and U2), at total information 0.4 and 0.8 bits. Every mix
    is trained at both :data:`DIFFICULTY` levels: 2 x (10 + 20) = 60 datasets, each with its own
    seed.
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
    grid = []
    for level, diff in DIFFICULTY.items():
        for i, (name, weights, info) in enumerate(mixes):
            seed = 20_000 + 100 * (level == "hard") + i
            grid.append({"name": f"{name}-{level}", "weights": weights, "information": info, "seed": seed,
                         "n_train": diff["n_train"], "n_test": N_TEST, "noise": diff["noise"]})
    return grid


# ----------------------------------------------------------------------------------- building
def _build_entry(entry: dict[str, Any], models: list[str], seeds: list[int], model_params: dict) -> dict[str, Any]:
    """Train every model on one reference dataset; its PIDs, accuracies, model PIDs and α."""
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
        data_pid = pid.estimate(x1[te], x2[te], y[te], estimator="cvx", discretizer=disc)
        exact = data.pid
        out_models = {}
        for m in models:
            accs, mpids, alphas = [], [], []
            for seed in seeds:
                model = make_model(m, random_state=seed, **model_params).fit(x1[tr], x2[tr], y[tr])
                accs.append(model.score(x1[te], x2[te], y[te]))
                mpid = pid.model_pid(model, x1[te], x2[te], discretizer=disc)
                mpids.append(mpid.atoms)
                alphas.append(pid.agreement(exact, mpid).total)
            out_models[m] = {
                "accuracy": accs, "accuracy_mean": float(np.mean(accs)), "accuracy_std": float(np.std(accs)),
                "model_pid": {a: float(np.mean([p[a] for p in mpids])) for a in ATOMS},
                "alpha": float(np.mean(alphas)),
            }
    return {
        "name": entry["name"],
        "generator": {**spec.to_dict(), "seed": entry["seed"], "n_train": entry["n_train"],
                      "n_test": entry["n_test"]},
        "n_classes": spec.n_classes,
        "pid": {"exact": exact.atoms, "cvx": data_pid.atoms},
        "total": {"exact": exact.total, "cvx": data_pid.total},
        "profile": {"exact": profile_of(exact.atoms), "cvx": profile_of(data_pid.atoms)},
        "label_entropy": _entropy_bits(y[te]),
        "bayes_accuracy": spec.bayes_accuracy,
        "feature_bayes_accuracy": spec.feature_bayes_accuracy(),
        "models": out_models,
    }


def build_catalog(
    grid: list[dict[str, Any]] | None = None,
    *,
    models: list[str] | None = None,
    seeds: tuple[int, ...] = (0, 1, 2),
    model_params: dict | None = None,
    n_jobs: int = 1,
    command: str | None = None,
    progress: bool = False,
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
    entries = Parallel(n_jobs=n_jobs, verbose=verbose)(
        delayed(_build_entry)(e, models, seeds, params) for e in grid
    )
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
_MODEL_KEYS = ("accuracy", "accuracy_mean", "accuracy_std", "model_pid", "alpha")


@dataclass(frozen=True)
class Catalog:
    """A validated reference catalog (see the module docstring for its contents).

    Attributes
    ----------
    raw : dict
        The JSON content.
    """

    raw: dict

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
        if not d["datasets"] or not d["models"]:
            raise CatalogError("the catalog has no datasets or no models; rebuild it with benchmarks/build_catalog.py.")
        for i, e in enumerate(d["datasets"]):
            missing = [k for k in _ENTRY_KEYS if k not in e]
            if missing:
                raise CatalogError(f"catalog dataset {i} ({e.get('name', '?')}) lacks {missing}.")
            for m in d["models"]:
                rec = e["models"].get(m)
                if rec is None or any(k not in rec for k in _MODEL_KEYS):
                    raise CatalogError(f"catalog dataset {e['name']!r} has no complete record for model {m!r}.")
                if len(rec["accuracy"]) != len(d["seeds"]):
                    raise CatalogError(f"catalog dataset {e['name']!r}, model {m!r}: one accuracy per seed expected.")
            for kind in ("exact", "cvx"):
                prof = e["profile"].get(kind)
                if prof is None or set(prof) != set(ATOMS):
                    raise CatalogError(f"catalog dataset {e['name']!r} lacks its {kind!r} profile over {ATOMS}.")

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
        """(datasets, 4) normalized profiles (R, U1, U2, S) of the ``"exact"`` or ``"cvx"`` PIDs."""
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

    def subset(self, keep: list[int] | np.ndarray) -> Catalog:
        """A catalog of the datasets at positions ``keep`` (e.g. leave-one-out)."""
        return Catalog({**self.raw, "datasets": [self.datasets[int(i)] for i in keep]})

    def __repr__(self) -> str:
        b = self.raw["built_with"]
        return (f"Catalog({len(self)} datasets x {len(self.models)} models, seeds {self.raw['seeds']}, "
                f"pidkit {b['pidkit']}, torch {b['torch']})")


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
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{p} is not valid JSON ({exc}); expected a catalog written by build_catalog.py.") from None
    return Catalog(raw)
