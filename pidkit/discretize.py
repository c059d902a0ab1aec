"""Shared discretization front end: raw modalities and labels to integer codes.

Every pidkit estimator works on a finite joint table p(x1, x2, y). :class:`Discretizer` turns raw
inputs into that table's coordinates, scikit-learn style (``fit`` / ``transform``), so that a model's
predictions or another data split can later be coded with exactly the same bins, categories and
cluster centres. :func:`joint_counts` turns the codes into the count table.

Per modality, one of three codings is used:

* ``"categorical"`` — label encoding of the sorted distinct values (1-D) or distinct rows (2-D).
* ``"binned"`` — 1-D numbers cut into intervals (uniform width or quantiles), outer bins open.
* ``"clustered"`` — 2-D numbers assigned to k-means centres (optionally after PCA).

The label ``y`` is only ever categorical, unless ``y_bins`` explicitly asks for binning.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validation import (
    as_samples,
    check_option,
    check_positive_int,
    check_same_length,
    is_label_dtype,
    seed_from,
)
from .exceptions import (
    ContinuousLabelError,
    InputError,
    NotFittedError,
    ParameterError,
    PlugInBiasWarning,
    ShapeError,
    TableTooLargeError,
    UnknownCategoryError,
)

__all__ = [
    "BIN_RULES",
    "KINDS",
    "MAX_TABLE_CELLS",
    "MINIBATCH_THRESHOLD",
    "STRATEGIES",
    "DiscretizationSummary",
    "Discretizer",
    "joint_counts",
]

MODALITIES = ("x1", "x2")
KINDS = ("auto", "categorical", "binned", "clustered")
STRATEGIES = ("uniform", "quantile")

#: Sample-size rules for the number of bins of a 1-D continuous modality (n = fit samples).
BIN_RULES = {
    "rice": lambda n: math.ceil(2.0 * n ** (1.0 / 3.0)),
    "sturges": lambda n: math.ceil(math.log2(n)) + 1,
    "sqrt": lambda n: math.ceil(math.sqrt(n)),
}

#: Above this many samples, k-means runs as MiniBatchKMeans (full KMeans cost grows as n * k * iters).
MINIBATCH_THRESHOLD = 10_000

#: Largest joint table (cells) :func:`joint_counts` will allocate: 2**28 int64 cells = 2 GiB.
MAX_TABLE_CELLS = 2**28

_DEFAULTS = {
    "kind": "auto",
    "n_bins": "auto",
    "strategy": "uniform",
    "n_clusters": "auto",
    "pca_components": None,
    "max_categories": 32,
}


#: Largest number of k-means clusters ``n_clusters="auto"`` chooses.
MAX_AUTO_CLUSTERS = 32


def _auto_states(n: int, fixed_cells: int, n_free: int, min_samples_per_cell: float, cap: int) -> int:
    """States for each of ``n_free`` binned/clustered modalities under the joint-table budget.

    The joint table may have at most ``n / min_samples_per_cell`` cells; the label and the
    categorical modalities use ``fixed_cells`` of the product, and the ``n_free`` modalities share
    the rest equally: ``k = floor((n / (min_samples_per_cell * fixed_cells)) ** (1 / n_free))``,
    clipped to ``[2, cap]``.
    """
    if min_samples_per_cell <= 0:
        return max(cap, 2)
    budget = n / (min_samples_per_cell * max(fixed_cells, 1))
    k = math.floor(budget ** (1.0 / max(n_free, 1)) + 1e-9)
    return int(min(max(k, 2), max(cap, 2)))


# --------------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiscretizationSummary:
    """What the discretization produced, for judging plug-in bias.

    Attributes
    ----------
    kinds : dict
        Coding used per variable (``"x1"``, ``"x2"``, ``"y"``).
    n_states : dict
        Number of states (alphabet size) per variable.
    n_samples : int
        Number of coded samples.
    total_cells : int
        Cells of the joint (x1, x2, y) table, the product of ``n_states``.
    occupied_cells : int
        Cells holding at least one sample.
    samples_per_occupied_cell : float
        ``n_samples / occupied_cells``.
    empty_fraction : float
        ``1 - occupied_cells / total_cells``.
    notes : tuple of str
        Remarks recorded while fitting (merged bins, capped clusters, binned label, ...).
    fingerprint : str
        :attr:`Discretizer.fingerprint_` of the Discretizer that coded the samples: two results
        whose fingerprints are equal were coded with the same bins, categories and clusters.
    """

    kinds: dict
    n_states: dict
    n_samples: int
    total_cells: int
    occupied_cells: int
    samples_per_occupied_cell: float
    empty_fraction: float
    notes: tuple = field(default_factory=tuple)
    fingerprint: str = ""

    def to_dict(self) -> dict:
        """Return the summary as plain JSON-serializable Python types."""
        return {
            "kinds": {str(k): str(v) for k, v in self.kinds.items()},
            "n_states": {str(k): int(v) for k, v in self.n_states.items()},
            "n_samples": int(self.n_samples),
            "total_cells": int(self.total_cells),
            "occupied_cells": int(self.occupied_cells),
            "samples_per_occupied_cell": float(self.samples_per_occupied_cell),
            "empty_fraction": float(self.empty_fraction),
            "notes": [str(s) for s in self.notes],
            "fingerprint": str(self.fingerprint),
        }

    def __str__(self) -> str:
        parts = ", ".join(f"{k}: {self.kinds[k]} ({self.n_states[k]})" for k in self.kinds)
        cells = f"{self.occupied_cells} occupied of {self.total_cells}"
        lines = [
            "Discretization summary",
            f"  states         {parts}",
            f"  samples        {self.n_samples}",
            f"  cells          {cells} ({100.0 * self.empty_fraction:.1f}% empty)",
            f"  samples/cell   {self.samples_per_occupied_cell:.2f} (occupied cells)",
        ]
        lines += [f"  note: {s}" for s in self.notes]
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Joint counts
# --------------------------------------------------------------------------------------------


def _check_codes(c: Any, name: str, n_states: int) -> np.ndarray:
    arr = np.asarray(c)
    if arr.ndim != 1:
        raise ShapeError(f"{name} codes must be a 1-D integer array; got shape {arr.shape}.")
    if arr.dtype.kind not in "iu":
        raise ShapeError(
            f"{name} codes must be integers; got dtype {arr.dtype}. "
            "Pass the codes returned by Discretizer.transform."
        )
    if arr.size and (arr.min() < 0 or arr.max() >= n_states):
        raise InputError(
            f"{name} codes must lie in [0, {n_states}); got values in [{arr.min()}, {arr.max()}]. "
            "Pass the shape of the Discretizer that produced the codes (its n_states_)."
        )
    return arr.astype(np.int64, copy=False)


def joint_counts(c1: Any, c2: Any, cy: Any, shape: tuple[int, int, int]) -> np.ndarray:
    """Count samples in each cell of the joint (x1, x2, y) table.

    Parameters
    ----------
    c1, c2, cy : array-like of int, shape (n,)
        Codes of x1, x2 and y, e.g. from :meth:`Discretizer.transform`.
    shape : tuple of 3 int
        ``(n1, n2, ny)``, the number of states of each variable.

    Returns
    -------
    counts : ndarray of int64, shape (n1, n2, ny)
        ``counts[a, b, c]`` = number of samples with ``c1 == a``, ``c2 == b``, ``cy == c``.

    Examples
    --------
    >>> int(joint_counts([0, 1, 1], [0, 0, 1], [1, 0, 0], (2, 2, 2))[1, 0, 0])
    1
    """
    if len(shape) != 3:
        raise ShapeError(f"shape must be (n1, n2, ny); got {shape!r}.")
    n1, n2, ny = (check_positive_int(f"shape[{i}]", s) for i, s in enumerate(shape))
    total = n1 * n2 * ny
    if total > MAX_TABLE_CELLS:
        raise TableTooLargeError(
            f"The joint table would have {n1} x {n2} x {ny} = {total} cells (limit {MAX_TABLE_CELLS}). "
            "Use fewer bins or clusters (n_bins=, n_clusters=) or fewer label classes."
        )
    a = _check_codes(c1, "c1", n1)
    b = _check_codes(c2, "c2", n2)
    c = _check_codes(cy, "cy", ny)
    check_same_length(c1=a, c2=b, cy=c)
    flat = (a * n2 + b) * ny + c
    return np.bincount(flat, minlength=total).astype(np.int64, copy=False).reshape(n1, n2, ny)


# --------------------------------------------------------------------------------------------
# Category coding
# --------------------------------------------------------------------------------------------


def _sorted_values(values: list) -> list:
    try:
        return sorted(values)
    except TypeError:  # mixed types (e.g. ints and strings): group by type, then by text
        return sorted(values, key=lambda v: (type(v).__name__, repr(v)))


def _row_keys(a: np.ndarray) -> np.ndarray:
    """One opaque sortable key per row of a numeric 2-D array (compares rows by value)."""
    a = np.ascontiguousarray(a, dtype=np.float64) + 0.0  # -0.0 -> 0.0 so equal rows share bytes
    return a.view(np.dtype((np.void, a.dtype.itemsize * a.shape[1]))).ravel()


class _Categories:
    """Label encoder for 1-D values or 2-D rows; codes are positions in the sorted categories."""

    def __init__(self, arr: np.ndarray):
        self.ndim = arr.ndim
        self.numeric = arr.dtype.kind in "biuf"
        if arr.ndim == 1 and arr.dtype.kind in "US":  # NumPy strings sort natively
            self.categories, codes = np.unique(arr, return_inverse=True)
            self.codes = codes.reshape(-1).astype(np.int64)
        elif self.numeric:
            if arr.dtype.kind == "f":
                arr = arr + 0.0  # -0.0 and 0.0 are one category
            if arr.ndim == 1:
                self.categories, codes = np.unique(arr, return_inverse=True)
            else:
                self.categories, codes = np.unique(arr, axis=0, return_inverse=True)
                keys = _row_keys(self.categories)
                self._order = np.argsort(keys)
                self._keys = keys[self._order]
            self.codes = codes.reshape(-1).astype(np.int64)
        else:
            items = arr.tolist() if arr.ndim == 1 else [tuple(r) for r in arr.tolist()]
            cats = _sorted_values(list(set(items)))
            self._map = {v: i for i, v in enumerate(cats)}
            self.codes = np.fromiter((self._map[v] for v in items), np.int64, len(items))
            if arr.ndim == 1:
                self.categories = np.array(cats, dtype=arr.dtype if arr.dtype.kind in "US" else object)
            else:
                self.categories = np.array(cats, dtype=arr.dtype)
        self.n_states = len(self.categories)

    def encode(self, arr: np.ndarray, name: str) -> np.ndarray:
        if arr.ndim != self.ndim or (arr.ndim == 2 and arr.shape[1] != self.categories.shape[1]):
            want = "(n,)" if self.ndim == 1 else f"(n, {self.categories.shape[1]})"
            raise ShapeError(
                f"{name} was fitted as categorical with samples of shape {want}; got shape "
                f"{arr.shape}. Pass data shaped like the data given to fit."
            )
        kinds = self.categories.dtype.kind + arr.dtype.kind
        if self.ndim == 1 and kinds in ("UU", "SS"):
            cats, vals = self.categories, arr
            pos = np.minimum(np.searchsorted(cats, vals), len(cats) - 1)
            ok = cats[pos] == vals
            if not ok.all():
                self._unknown(arr[np.argmin(ok)], name)
            return pos.astype(np.int64)
        if self.numeric and arr.dtype.kind in "biuf":
            if self.ndim == 1:
                if kinds[0] in "biu" and kinds[1] in "biu":
                    cats, vals = self.categories.astype(np.int64), arr.astype(np.int64)
                else:
                    cats, vals = self.categories.astype(np.float64), arr.astype(np.float64)
                pos = np.minimum(np.searchsorted(cats, vals), len(cats) - 1)
                ok = cats[pos] == vals
                codes = pos
            else:
                keys = _row_keys(arr)
                pos = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
                ok = self._keys[pos] == keys
                codes = self._order[pos]
            if not ok.all():
                self._unknown(arr[np.argmin(ok)], name)
            return codes.astype(np.int64)
        if not hasattr(self, "_map"):
            items = self.categories.tolist()
            self._map = {tuple(v) if self.ndim == 2 else v: i for i, v in enumerate(items)}
        items = arr.tolist() if arr.ndim == 1 else [tuple(r) for r in arr.tolist()]
        out = np.empty(len(items), dtype=np.int64)
        for i, v in enumerate(items):
            code = self._map.get(v)
            if code is None:
                self._unknown(arr[i], name)
            out[i] = code
        return out

    def _unknown(self, value: Any, name: str) -> None:
        shown = value.tolist() if isinstance(value, (np.ndarray, np.generic)) else value
        first = self.categories[:5].tolist()
        more = ", ..." if self.n_states > 5 else ""
        raise UnknownCategoryError(
            f"{name} contains {shown!r}, a category not seen in fit; expected one of the "
            f"{self.n_states} fitted categories ({str(first)[1:-1]}{more}). Refit the Discretizer "
            f"on data that contains {shown!r} (e.g. the union of all splits and predictions)."
        )


# --------------------------------------------------------------------------------------------
# Discretizer
# --------------------------------------------------------------------------------------------


def _is_pandas_categorical(x: Any) -> bool:
    return type(x).__module__.startswith("pandas") and str(getattr(x, "dtype", "")) == "category"


def _non_numeric(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "OUSV"


def _n_distinct(arr: np.ndarray) -> int:
    """Distinct values (1-D) or rows (2-D numeric)."""
    if arr.ndim == 1:
        return int(np.unique(arr).size)
    return int(np.unique(_row_keys(arr)).size)


class Discretizer:
    """Code two modalities and a label as small integers, reusable on new data.

    Parameters
    ----------
    kind : {"auto", "categorical", "binned", "clustered"} or dict, default "auto"
        Coding per modality. ``"auto"`` picks one from the data at ``fit``:

        * 1-D bool / string / object / pandas-categorical → categorical;
        * 1-D integer → categorical, or binned (with a note) if it has more than
          ``max_categories`` distinct values;
        * 1-D float with at most ``max_categories`` distinct values → categorical, else binned;
        * 2-D string / object → categorical by row;
        * 2-D numeric whose rows take at most ``max_categories`` distinct values (e.g. one-hot
          codes) → categorical by row, else clustered.
    n_bins : int >= 1, {"auto", "rice", "sturges", "sqrt"} or dict, default "auto"
        Bins of a binned modality; rules use the number of fit samples n: Rice
        ``ceil(2 n^(1/3))``, Sturges ``ceil(log2 n) + 1``, square root ``ceil(sqrt n)``.
        ``"auto"`` (default) is Rice's rule capped by the *joint-table budget*: the table
        (x1, x2, y) may have at most ``n / min_samples_per_cell`` cells; the label and any
        categorical modality take their share, and the binned/clustered modalities split the
        rest equally, ``k = floor((n / (min_samples_per_cell * |Y| * prod(categorical states)))
        ** (1 / #free))``, at least 2. So the default never produces a table too sparse for
        plug-in estimation (e.g. n = 20 000, |Y| = 2, two continuous modalities: 44 bins each).
    strategy : {"uniform", "quantile"} or dict, default "uniform"
        ``"uniform"``: equal-width bins over the fit range [min, max]; ``"quantile"``: edges at
        quantiles of the fit data, duplicate edges dropped (noted). Either way the first and last
        bins are open (extend to -inf / +inf), so new data outside the fit range lands in them.
        Bins are closed on the left: a value equal to an edge goes to the bin above it.
    n_clusters : int >= 2, "auto" or dict, default "auto"
        k of k-means for a clustered modality (``kind="clustered"`` also accepts 1-D numbers).
        ``"auto"`` = the joint-table budget of ``n_bins="auto"``, capped at 32 clusters
        (``MAX_AUTO_CLUSTERS``). Always capped at the number of distinct rows (noted). k-means is
        scikit-learn ``KMeans(n_init=4)`` up to ``MINIBATCH_THRESHOLD`` = 10 000 samples,
        ``MiniBatchKMeans(n_init=3, batch_size=2048)`` above.
    pca_components : None, int >= 1, float in (0, 1) or dict, default None
        If set, a clustered modality is first projected by PCA onto this many components (int) or
        onto enough components to keep this fraction of the variance (float).
    max_categories : int >= 1 or dict, default 32
        Threshold of the ``"auto"`` rule above. For the label, the larger of the per-modality
        values is used.
    y_bins : int >= 2 or None, default None
        Bin a numeric label into this many uniform-width bins (open outer bins). Without it, a
        label that looks continuous raises :class:`~pidkit.exceptions.ContinuousLabelError`;
        a label is never binned silently.
    min_samples_per_cell : float >= 0, default 5.0
        :meth:`summarize` warns (:class:`~pidkit.exceptions.PlugInBiasWarning`) when there are
        fewer samples per occupied cell of the joint table. The plug-in mutual information is
        biased upward by roughly ``cells / (2 n ln 2)`` bits (Miller–Madow), i.e. about
        ``0.72 / min_samples_per_cell`` bits at the threshold: 5 keeps it near 0.14 bits at worst,
        and much less in practice, since only part of that bias survives in each PID atom.
        0 disables the warning.
    random_state : None, int or numpy Generator, default None
        Seeds PCA and k-means (via :func:`pidkit._validation.seed_from`): same seed, same codes.

    Every modality-level parameter takes one value for both modalities or a dict
    ``{"x1": v, "x2": v}``; missing keys take the default.

    Attributes
    ----------
    kinds_ : dict
        Coding chosen per variable, keys ``"x1"``, ``"x2"``, ``"y"``.
    n_states_ : dict
        Number of states per variable (the shape of the joint table).
    categories_ : dict
        Sorted distinct values (1-D) or rows (2-D) of each categorical variable.
    bin_edges_ : dict
        Internal bin edges of each binned variable (``n_states - 1`` of them).
    kmeans_, pca_ : dict
        Fitted scikit-learn k-means / PCA (or None) of each clustered modality.
    notes_ : list of str
        Remarks about what was done (merged bins, capped clusters, binned integer or label).
    n_samples_fit_ : int
        Number of samples seen in ``fit``.
    summary_ : DiscretizationSummary
        Summary of the fit data's joint table.
    fingerprint_ : str
        16 hex digits identifying the fitted coding; recorded in every summary this Discretizer
        produces, so :func:`pidkit.agreement` can tell whether two results share their codes.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x1 = rng.normal(size=500)                  # 1-D continuous -> binned
    >>> x2 = rng.normal(size=(500, 3))             # 2-D continuous -> clustered
    >>> y = (x1 > 0).astype(int)                   # discrete label -> categorical
    >>> disc = Discretizer(n_clusters=4, random_state=0)
    >>> c1, c2, cy = disc.fit_transform(x1, x2, y)
    >>> disc.kinds_ == {'x1': 'binned', 'x2': 'clustered', 'y': 'categorical'}
    True
    >>> disc.n_states_ == {'x1': 7, 'x2': 4, 'y': 2}   # 7 bins: the joint-table budget of 500 samples
    True
    >>> _, _, cy_hat = disc.transform(y=np.ones(10, dtype=int))   # code predictions alike
    >>> counts = joint_counts(c1, c2, cy, (7, 4, 2))
    """

    def __init__(
        self,
        *,
        kind: Any = "auto",
        n_bins: Any = "auto",
        strategy: Any = "uniform",
        n_clusters: Any = "auto",
        pca_components: Any = None,
        max_categories: Any = 32,
        y_bins: int | None = None,
        min_samples_per_cell: float = 5.0,
        random_state: Any = None,
    ):
        self.kind = kind
        self.n_bins = n_bins
        self.strategy = strategy
        self.n_clusters = n_clusters
        self.pca_components = pca_components
        self.max_categories = max_categories
        self.y_bins = y_bins
        self.min_samples_per_cell = min_samples_per_cell
        self.random_state = random_state

    _PARAMS = (
        "kind", "n_bins", "strategy", "n_clusters", "pca_components", "max_categories",
        "y_bins", "min_samples_per_cell", "random_state",
    )

    def get_params(self) -> dict:
        """Return the constructor parameters as a dict."""
        return {p: getattr(self, p) for p in self._PARAMS}

    def __repr__(self) -> str:
        defaults = {**_DEFAULTS, "y_bins": None, "min_samples_per_cell": 5.0, "random_state": None}
        args = [f"{k}={v!r}" for k, v in self.get_params().items() if not _same(v, defaults[k])]
        return f"Discretizer({', '.join(args)})"

    # ---- parameter validation ----------------------------------------------------------------

    def _validated_params(self) -> dict:
        """Return {param: {"x1": v, "x2": v}} for modality-level params, plus label params."""
        checks = {
            "kind": _check_kind,
            "n_bins": _check_n_bins,
            "strategy": _check_strategy,
            "n_clusters": _check_n_clusters,
            "pca_components": _check_pca,
            "max_categories": lambda name, v: check_positive_int(name, v),
        }
        out = {}
        for pname, check in checks.items():
            value = getattr(self, pname)
            if isinstance(value, dict):
                bad = [k for k in value if k not in MODALITIES]
                if bad:
                    raise ParameterError(
                        f"{pname} dict keys must be among {list(MODALITIES)}; got {bad!r}. "
                        f'Use e.g. {pname}={{"x1": ..., "x2": ...}}; missing keys take the default.'
                    )
                per = {m: value.get(m, _DEFAULTS[pname]) for m in MODALITIES}
            else:
                per = {m: value for m in MODALITIES}
            out[pname] = {m: check(f"{pname} for {m}" if isinstance(value, dict) else pname, v)
                          for m, v in per.items()}
        if self.y_bins is not None:
            check_positive_int("y_bins", self.y_bins, minimum=2)
        msc = self.min_samples_per_cell
        if isinstance(msc, bool) or not isinstance(msc, (int, float, np.integer, np.floating)) \
                or not math.isfinite(msc) or msc < 0:
            raise ParameterError(
                f"min_samples_per_cell must be a finite number >= 0 (0 disables the warning); "
                f"got {msc!r}."
            )
        return out

    # ---- fit / transform ---------------------------------------------------------------------

    def fit(self, x1: Any, x2: Any, y: Any) -> Discretizer:
        """Learn the coding of x1, x2 and y.

        Parameters
        ----------
        x1, x2 : array-like, shape (n,) or (n, d)
            The two modalities (NumPy arrays, lists, pandas Series / DataFrames / categoricals).
        y : array-like, shape (n,)
            The discrete task label.

        Returns
        -------
        self : Discretizer
        """
        self._fit(x1, x2, y, stacklevel=3)
        return self

    def fit_transform(self, x1: Any, x2: Any, y: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fit, then return the int64 codes ``(c1, c2, cy)`` of the fit data.

        Also stores ``summary_`` (and warns if the joint table is too sparse).
        """
        return self._fit(x1, x2, y, stacklevel=3)

    def encode_labels(self, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Code the label alone, for estimators that keep the modalities continuous (``"batch"``).

        A fitted Discretizer codes ``y`` with its fitted label coding; an unfitted one is left
        untouched and a copy learns the label coding only. Either way the label rules
        (continuous-label detection, ``y_bins``, category order) are those of every estimator.

        Returns
        -------
        codes : ndarray of int64, shape (n,)
            Label codes ``0..k-1``.
        categories : ndarray
            The label value of each code (bin indices when ``y_bins`` is set).
        """
        arr = self._as_array(y, "y")
        if hasattr(self, "kinds_"):
            return self._code("y", arr), np.asarray(self.categories_.get("y", np.arange(self.n_states_["y"])))
        clone = type(self)(**self.get_params())
        params = clone._validated_params()
        clone.notes_, clone.kinds_, clone.n_states_, clone.categories_, clone.bin_edges_ = [], {}, {}, {}, {}
        clone._codecs = {}
        codes = clone._fit_label(arr, max(params["max_categories"].values()), _is_pandas_categorical(y))
        cats = clone.categories_.get("y", np.arange(clone.n_states_["y"]))
        return codes, np.asarray(cats)

    def transform(
        self, x1: Any = None, x2: Any = None, y: Any = None
    ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
        """Code new data with the fitted coding.

        Parameters
        ----------
        x1, x2, y : array-like or None
            Any subset of the variables; e.g. ``transform(y=y_hat)`` codes a model's predictions,
            ``transform(x1, x2, y)`` another split.

        Returns
        -------
        c1, c2, cy : ndarray of int64, shape (n,), or None
            Codes (None where the input was None).
        """
        if not hasattr(self, "kinds_"):
            raise NotFittedError(
                "This Discretizer is not fitted yet; call fit(x1, x2, y) (or fit_transform) "
                "before transform."
            )
        raw = {"x1": x1, "x2": x2, "y": y}
        arrays = {k: None if v is None else self._as_array(v, k) for k, v in raw.items()}
        given = {k: v for k, v in arrays.items() if v is not None}
        if given:
            check_same_length(**given)
        return tuple(None if arrays[k] is None else self._code(k, arrays[k]) for k in raw)

    def summarize(self, c1: Any, c2: Any, cy: Any) -> DiscretizationSummary:
        """Describe the joint table of codes ``(c1, c2, cy)`` from this Discretizer.

        Warns with :class:`~pidkit.exceptions.PlugInBiasWarning` when the samples per occupied
        cell fall below ``min_samples_per_cell``.

        Returns
        -------
        summary : DiscretizationSummary
        """
        return self._summarize(c1, c2, cy, stacklevel=3)

    def _summarize(self, c1: Any, c2: Any, cy: Any, *, stacklevel: int) -> DiscretizationSummary:
        if not hasattr(self, "kinds_"):
            raise NotFittedError("This Discretizer is not fitted yet; call fit(x1, x2, y) first.")
        ns = self.n_states_
        a = _check_codes(c1, "c1", ns["x1"])
        b = _check_codes(c2, "c2", ns["x2"])
        c = _check_codes(cy, "cy", ns["y"])
        n = check_same_length(c1=a, c2=b, cy=c)
        total = ns["x1"] * ns["x2"] * ns["y"]
        occupied = int(np.unique((a * ns["x2"] + b) * ns["y"] + c).size)
        per_cell = n / occupied if occupied else 0.0
        summary = DiscretizationSummary(
            kinds=dict(self.kinds_),
            n_states=dict(ns),
            n_samples=int(n),
            total_cells=int(total),
            occupied_cells=occupied,
            samples_per_occupied_cell=float(per_cell),
            empty_fraction=float(1.0 - occupied / total),
            notes=tuple(self.notes_),
            fingerprint=self.fingerprint_,
        )
        if occupied and per_cell < self.min_samples_per_cell:
            bias = occupied / (2.0 * n * math.log(2.0))
            warnings.warn(
                f"Only {per_cell:.2f} samples per occupied cell of the joint (x1, x2, y) table "
                f"({n} samples in {occupied} occupied of {total} cells; threshold "
                f"min_samples_per_cell={self.min_samples_per_cell}). Plug-in information is biased "
                f"upward by roughly cells/(2 n ln 2) = {bias:.3f} bits. Use fewer bins or clusters "
                "(n_bins=, n_clusters=) or more samples.",
                PlugInBiasWarning,
                stacklevel=stacklevel,
            )
        return summary

    # ---- internals ---------------------------------------------------------------------------

    def _as_array(self, x: Any, name: str) -> np.ndarray:
        arr = as_samples(x, name)
        if _is_pandas_categorical(x) and arr.dtype.kind != "O":
            arr = arr.astype(object)  # keeps pandas categoricals categorical whatever the values
        return arr

    _FITTED = ("kinds_", "n_states_", "categories_", "bin_edges_", "kmeans_", "pca_", "notes_",
               "n_samples_fit_", "summary_", "_codecs", "fingerprint_")

    def _fit(self, x1: Any, x2: Any, y: Any, *, stacklevel: int):
        for attr in self._FITTED:  # a failed (re)fit must not leave a half-fitted object
            self.__dict__.pop(attr, None)
        try:
            return self._fit_all(x1, x2, y, stacklevel=stacklevel + 1)
        except BaseException:
            for attr in self._FITTED:
                self.__dict__.pop(attr, None)
            raise

    def _fit_all(self, x1: Any, x2: Any, y: Any, *, stacklevel: int):
        params = self._validated_params()
        arrays = {"x1": self._as_array(x1, "x1"), "x2": self._as_array(x2, "x2"),
                  "y": self._as_array(y, "y")}
        n = check_same_length(**arrays)
        seed = seed_from(self.random_state)

        self.notes_ = []
        self.kinds_, self.n_states_ = {}, {}
        self.categories_, self.bin_edges_, self.kmeans_, self.pca_ = {}, {}, {}, {}
        self._codecs = {}
        codes = {}
        max_cat = max(params["max_categories"].values())
        codes["y"] = self._fit_label(arrays["y"], max_cat, _is_pandas_categorical(y))
        kinds = {}
        for m in MODALITIES:
            raw = x1 if m == "x1" else x2
            kinds[m] = self._resolve_kind(m, arrays[m], params["kind"][m], params["max_categories"][m], raw)
        fixed = self.n_states_["y"]
        for m in MODALITIES:  # categorical first: their state counts set the budget of the others
            if kinds[m] == "categorical":
                codes[m] = self._fit_modality(m, arrays[m], kinds[m], {}, seed, 0)
                fixed *= self.n_states_[m]
        free = [m for m in MODALITIES if kinds[m] != "categorical"]
        for m in free:
            cap = MAX_AUTO_CLUSTERS if kinds[m] == "clustered" else BIN_RULES["rice"](n)
            auto_k = _auto_states(n, fixed, len(free), self.min_samples_per_cell, cap)
            p = {k: v[m] for k, v in params.items()}
            codes[m] = self._fit_modality(m, arrays[m], kinds[m], p, seed, auto_k)
        self.n_samples_fit_ = int(n)
        self.fingerprint_ = self._fingerprint()
        self.summary_ = self._summarize(codes["x1"], codes["x2"], codes["y"], stacklevel=stacklevel + 1)
        return codes["x1"], codes["x2"], codes["y"]

    def _fingerprint(self) -> str:
        """A short digest of the fitted coding (kinds, states, categories, bin edges, centres, PCA)."""
        h = hashlib.sha256()

        def add(tag: str, value: Any) -> None:
            h.update(tag.encode())
            if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
                h.update(str(value.shape).encode() + np.ascontiguousarray(value, dtype=np.float64).tobytes())
            else:
                h.update(repr(value.tolist() if isinstance(value, np.ndarray) else value).encode())

        for name in ("x1", "x2", "y"):
            add(f"{name}:kind", self.kinds_[name])
            add(f"{name}:states", self.n_states_[name])
            if name in self.categories_:
                add(f"{name}:categories", self.categories_[name])
            if name in self.bin_edges_:
                add(f"{name}:edges", self.bin_edges_[name])
            if name in self.kmeans_:
                add(f"{name}:centres", self.kmeans_[name].cluster_centers_)
                pca = self.pca_[name]
                if pca is not None:
                    add(f"{name}:pca", np.concatenate([pca.mean_, pca.components_.ravel()]))
        return h.hexdigest()[:16]

    def _auto_kind(self, name: str, arr: np.ndarray, max_categories: int, raw: Any) -> str:
        if _is_pandas_categorical(raw) or (is_label_dtype(arr) and (arr.ndim == 1 or _non_numeric(arr))):
            return "categorical"  # 1-D labels and 2-D strings/objects; 2-D bools go on below
        n_distinct = _n_distinct(arr)
        if n_distinct <= max_categories:
            return "categorical"
        if arr.ndim == 2:
            return "clustered"
        if arr.dtype.kind in "iu":
            self.notes_.append(
                f"{name}: integer array with {n_distinct} distinct values > max_categories="
                f"{max_categories}, so it was binned; pass kind='categorical' (or a larger "
                "max_categories) to keep every value."
            )
        return "binned"

    def _resolve_kind(self, name: str, arr: np.ndarray, kind: str, max_categories: int, raw: Any) -> str:
        if kind == "auto":
            kind = self._auto_kind(name, arr, max_categories, raw)
        elif kind in ("binned", "clustered") and _non_numeric(arr):
            raise ShapeError(
                f"{name} has non-numeric dtype {arr.dtype} and cannot be {kind}; "
                "expected numbers. Use kind='categorical' (or 'auto') for labels."
            )
        if kind == "binned" and arr.ndim == 2:
            raise ShapeError(
                f"{name} has shape {arr.shape}; kind='binned' needs a 1-D array (one number per "
                f"sample). Use kind='clustered' for multi-column data, or pass one column."
            )
        return kind

    def _fit_modality(self, name: str, arr: np.ndarray, kind: str, p: dict, seed: int | None, auto_k: int):
        self.kinds_[name] = kind
        if kind == "categorical":
            return self._fit_categorical(name, arr)
        if kind == "binned":
            return self._fit_binned(name, arr, p["n_bins"], p["strategy"], auto_k)
        return self._fit_clustered(name, arr, p["n_clusters"], p["pca_components"], seed, auto_k)

    def _fit_categorical(self, name: str, arr: np.ndarray) -> np.ndarray:
        codec = _Categories(arr)
        self._codecs[name] = codec
        self.categories_[name] = codec.categories
        self.n_states_[name] = codec.n_states
        return codec.codes

    def _fit_binned(self, name: str, arr: np.ndarray, n_bins: Any, strategy: str, auto_k: int) -> np.ndarray:
        x = arr.astype(np.float64)
        n = x.size
        if n_bins == "auto":
            k = auto_k
        else:
            k = BIN_RULES[n_bins](n) if isinstance(n_bins, str) else int(n_bins)
        lo, hi = float(x.min()), float(x.max())
        if lo == hi:
            if k > 1:
                self.notes_.append(f"{name}: constant (all values {lo:g}); coded as 1 bin.")
            inner = np.empty(0)
        else:
            if strategy == "uniform":
                inner = np.linspace(lo, hi, k + 1)[1:-1]
            else:
                inner = np.quantile(x, np.linspace(0.0, 1.0, k + 1)[1:-1])
            # duplicate edges (ties, or a range too narrow for k floats) would make empty bins,
            # and an edge at the minimum would leave the first bin empty
            inner = np.unique(inner)
            inner = inner[inner > lo]
            if inner.size + 1 < k:
                self.notes_.append(
                    f"{name}: {strategy} binning asked for {k} bins but duplicate edges "
                    f"(repeated values or a tiny range) left {inner.size + 1}."
                )
        self.bin_edges_[name] = inner
        self.n_states_[name] = int(inner.size + 1)
        return np.searchsorted(inner, x, side="right").astype(np.int64)

    def _fit_clustered(self, name, arr, n_clusters, pca_components, seed, auto_k) -> np.ndarray:
        from sklearn.cluster import KMeans, MiniBatchKMeans
        from sklearn.decomposition import PCA

        x = np.asarray(arr, dtype=np.float64)
        if x.ndim == 1:
            x = x.reshape(-1, 1)
        n, d = x.shape
        pca = None
        if pca_components is not None:
            if isinstance(pca_components, int) and pca_components > min(n, d):
                raise ParameterError(
                    f"pca_components for {name} must be <= min(n_samples, n_features) = "
                    f"{min(n, d)}; got {pca_components}. Lower it, or pass a variance fraction "
                    "in (0, 1)."
                )
            solver = "full" if isinstance(pca_components, float) else "auto"
            pca = PCA(n_components=pca_components, svd_solver=solver, random_state=seed)
            x = pca.fit_transform(x)
        k = auto_k if n_clusters == "auto" else int(n_clusters)
        n_distinct = _n_distinct(x)
        if n_distinct < k:
            self.notes_.append(
                f"{name}: n_clusters={k} capped at the {n_distinct} distinct rows of the data."
            )
            k = n_distinct
        if n <= MINIBATCH_THRESHOLD:
            km = KMeans(n_clusters=k, n_init=4, random_state=seed)
        else:
            km = MiniBatchKMeans(n_clusters=k, n_init=3, batch_size=2048, random_state=seed)
        km.fit(x)
        self.pca_[name] = pca
        self.kmeans_[name] = km
        self._codecs[name] = d  # number of features
        self.n_states_[name] = int(k)
        return km.predict(x).astype(np.int64)

    def _fit_label(self, y: np.ndarray, max_categories: int, pandas_cat: bool) -> np.ndarray:
        if y.ndim != 1:
            raise ShapeError(
                f"y must be 1-D (one discrete label per sample); got shape {y.shape}. "
                "Encode multi-output labels as one label per sample, e.g. a tuple or string."
            )
        numeric = y.dtype.kind in "iuf" and not pandas_cat
        if self.y_bins is not None:
            if not numeric:
                raise ParameterError(
                    f"y_bins={self.y_bins} bins numeric labels, but y has dtype {y.dtype} "
                    f"{'(pandas categorical)' if pandas_cat else ''}; leave y_bins=None for "
                    "categorical labels."
                )
            self.kinds_["y"] = "binned"
            self.notes_.append(f"y: binned into {self.y_bins} uniform-width bins (y_bins={self.y_bins}).")
            return self._fit_binned("y", y, int(self.y_bins), "uniform", 0)
        if y.dtype.kind == "f":
            n_distinct = int(np.unique(y).size)
            if n_distinct > max_categories and not np.all(y == np.round(y)):
                raise ContinuousLabelError(
                    f"y looks continuous: {n_distinct} distinct values, not all integers (more than "
                    f"max_categories={max_categories}); expected a discrete label. PID needs a "
                    "discrete label: pass class labels, or bin y explicitly with y_bins=<int>."
                )
        self.kinds_["y"] = "categorical"
        return self._fit_categorical("y", y)

    def _code(self, name: str, arr: np.ndarray) -> np.ndarray:
        kind = self.kinds_[name]
        if kind == "categorical":
            return self._codecs[name].encode(arr, name)
        if kind == "binned":
            if arr.ndim != 1 or _non_numeric(arr):
                raise ShapeError(
                    f"{name} was fitted as binned (1-D numbers); got shape {arr.shape} and dtype "
                    f"{arr.dtype}. Pass data shaped like the data given to fit."
                )
            codes = np.searchsorted(self.bin_edges_[name], arr.astype(np.float64), side="right")
            return codes.astype(np.int64)
        d = self._codecs[name]
        x = arr.reshape(-1, 1) if arr.ndim == 1 else arr
        if _non_numeric(arr) or x.shape[1] != d:
            raise ShapeError(
                f"{name} was fitted as clustered with {d} numeric feature(s); got shape {arr.shape} "
                f"and dtype {arr.dtype}. Pass data shaped like the data given to fit."
            )
        x = np.asarray(x, dtype=np.float64)
        if self.pca_[name] is not None:
            x = self.pca_[name].transform(x)
        return self.kmeans_[name].predict(x).astype(np.int64)


# --------------------------------------------------------------------------------------------
# Parameter checks (one message style for every bad value)
# --------------------------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):
        return False


def _check_kind(name: str, v: Any) -> str:
    return check_option(name, v, KINDS)


def _check_strategy(name: str, v: Any) -> str:
    return check_option(name, v, STRATEGIES)


def _check_n_bins(name: str, v: Any) -> Any:
    if isinstance(v, str):
        return check_option(name, v, ["auto", *BIN_RULES])
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ParameterError(
            f"{name} must be an integer >= 1 or one of {['auto', *BIN_RULES]}; got {v!r}."
        )
    return int(v)


def _check_n_clusters(name: str, v: Any) -> Any:
    if isinstance(v, str):
        return check_option(name, v, ["auto"])
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 2:
        raise ParameterError(f"{name} must be an integer >= 2 or 'auto'; got {v!r}.")
    return int(v)


def _check_pca(name: str, v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1:
        return int(v)
    if isinstance(v, (float, np.floating)) and 0.0 < v < 1.0:
        return float(v)
    raise ParameterError(
        f"{name} must be None, an integer >= 1 (components) or a float in (0, 1) (variance "
        f"fraction to keep); got {v!r}."
    )
