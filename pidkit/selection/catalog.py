"""The reference catalog behind model selection: suite datasets, their PIDs and how every zoo model did.

A catalog is plain JSON (``pidkit/data/catalog.json`` ships with the package; rebuild it with
``python benchmarks/build_catalog.py``, which holds the code that builds and writes it: the
package only reads catalogs). For each reference dataset it holds the generator
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
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import CatalogError
from ..result import ATOMS

__all__ = [
    "SCHEMA_VERSION",
    "DEFAULT_CATALOG",
    "Catalog",
    "load_catalog",
    "profile_of",
    "load_costs",
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


def profile_of(atoms: dict[str, float]) -> dict[str, float]:
    """Normalized PID profile: atoms (negatives as 0) divided by their sum; all 0 without information."""
    vals = {a: max(float(atoms[a]), 0.0) for a in ATOMS}
    total = sum(vals.values())
    return {a: (v / total if total > 0 else 0.0) for a, v in vals.items()}


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
