"""Shared discretization front end: raw modalities and labels to integer codes.

Every pidkit estimator works on a finite joint table p(x1, x2, y). :class:`Discretizer` turns raw
inputs into that table's coordinates, scikit-learn style (``fit`` / ``transform``), so that a model's
predictions or another data split can later be coded with exactly the same bins, categories and
cluster centres. :func:`joint_counts` turns the codes into the count table.

The Discretizer chooses one per-variable coder of :mod:`pidkit.coders` for each of x1, x2 and y:

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

from ._training import user_stacklevel
from ._validation import (
    check_bool,
    check_keys,
    check_option,
    check_positive_int,
    check_same_length,
    is_label_dtype,
    seed_from,
)
from .coders import (
    BIN_RULES,
    MINIBATCH_THRESHOLD,
    STRATEGIES,
    BinnedCoder,
    CategoricalCoder,
    ClusteredCoder,
    Coder,
    SupervisedCoder,
    as_variable,
    check_n_bins,
    check_n_clusters,
    check_pca,
    check_strategy,
    is_pandas_categorical,
    n_distinct,
    non_numeric,
)
from .exceptions import (
    ContinuousLabelError,
    InputError,
    NotFittedError,
    ParameterError,
    PlugInBiasWarning,
    ShapeError,
    TableTooLargeError,
)
from .granularity import FreeModality, choose_codes
from .heldout import CrossFit

__all__ = [
    "BIN_RULES",
    "KINDS",
    "MAX_TABLE_CELLS",
    "MINIBATCH_THRESHOLD",
    "STRATEGIES",
    "VARIABLES",
    "DiscretizationSummary",
    "Discretizer",
    "joint_counts",
]

MODALITIES = ("x1", "x2")
#: The three variables of the joint table, in its axis order.
VARIABLES = ("x1", "x2", "y")
KINDS = ("auto", "categorical", "binned", "clustered", "supervised")
#: What ``kind={"y": ...}`` may say of the label (binning it is ``y_bins``).
LABEL_KINDS = ("auto", "categorical")

#: Largest joint table (cells) :func:`joint_counts` will allocate: 2**28 int64 cells = 2 GiB.
MAX_TABLE_CELLS = 2**28

_DEFAULTS = {
    "kind": "auto",
    "n_bins": "auto",
    "strategy": "uniform",
    "n_clusters": "auto",
    "pca_components": None,
    "standardize": True,
    "max_categories": 32,
}


#: Largest number of states ``n_bins="auto"`` / ``n_clusters="auto"`` chooses.
MAX_AUTO_CLUSTERS = 32
#: The automatic coding tries at most as many states as fill the joint table with this many
#: samples per cell (held-out information then picks among them).
SEARCH_MIN_SAMPLES_PER_CELL = 1.0
#: Numbers with at most this many distinct values are categorical under ``kind="auto"`` however few
#: samples per cell the joint table has (binning three values into two gains nothing).
MIN_CATEGORICAL = 4


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
# Discretizer
# --------------------------------------------------------------------------------------------


class Discretizer:
    """Code two modalities and a label as small integers, reusable on new data.

    Parameters
    ----------
    kind : {"auto", "categorical", "binned", "clustered", "supervised"} or dict, default "auto"
        Coding per modality. ``"auto"`` decides from the values, never from the dtype (the same
        numbers as int64, float64, from a CSV or a Parquet file are coded alike):

        * strings, bools, objects and pandas categoricals → categorical (one state per value, or
          per distinct row of a 2-D array);
        * numbers (1-D values or 2-D rows) with at most ``min(max_categories, max(cap, 4))``
          distinct values → categorical: lossless, each value its own state. ``cap`` is the
          number of states per modality that the joint (x1, x2, y) table can fill with one sample
          per cell, ``floor(sqrt(n / |Y|))`` (at most 32);
        * more distinct numbers, 1-D → binned (equal-width or equal-count bins, whichever keeps
          more held-out information); 2-D → clustered or supervised, whichever keeps more (below).

        ``"supervised"`` codes a numeric modality by its cross-fitted class posterior p̂(y | x)
        (:class:`~pidkit.coders.SupervisedCoder`): a sufficient statistic for y, so R, U1 and U2
        need few states, but synergy that no single modality's posterior shows is lost.
        The label takes ``kind={"y": "categorical"}`` to declare numbers with many values
        class codes (otherwise such a label is refused, see ``y_bins``).
    n_bins : int >= 1, {"auto", "rice", "sturges", "sqrt"} or dict, default "auto"
        Bins of a binned modality; rules use the number of fit samples n: Rice
        ``ceil(2 n^(1/3))``, Sturges ``ceil(log2 n) + 1``, square root ``ceil(sqrt n)``.
        ``"auto"`` (default): chosen with the other modality's states by held-out information
        (:mod:`pidkit.granularity`): among 2 .. ``cap`` states, the fewest whose held-out
        I(C1;Y) + I(C2;Y) + I(C1,C2;Y) is within one standard error (or 1%) of the best — coarse
        enough that cells hold samples, fine enough to keep what the samples can show. Without a label
        (:meth:`fit_one`) ``"auto"`` is the joint-table budget
        ``floor(n / min_samples_per_cell)`` of that variable alone, capped at Rice's rule.
    strategy : {"uniform", "quantile"} or dict, default "uniform"
        ``"uniform"``: equal-width bins over the fit range [min, max]; ``"quantile"``: edges at
        quantiles of the fit data, duplicate edges dropped (noted). With ``n_bins="auto"`` both are
        tried and the one that keeps more held-out information is used. Either way the first and last
        bins are open (extend to -inf / +inf), so new data outside the fit range lands in them.
        Bins are closed on the left: a value equal to an edge goes to the bin above it.
    n_clusters : int >= 2, "auto" or dict, default "auto"
        States of a clustered or supervised modality (``kind="clustered"`` also accepts 1-D
        numbers). ``"auto"``: chosen by held-out information like ``n_bins="auto"``, up to 32
        (``MAX_AUTO_CLUSTERS``); without a label, the joint-table budget. An integer with
        ``kind="auto"`` asks for k-means clusters. Always capped at the number of distinct rows
        (noted). k-means is scikit-learn ``KMeans(n_init=4)`` up to ``MINIBATCH_THRESHOLD`` =
        10 000 samples, ``MiniBatchKMeans(n_init=3, batch_size=2048)`` above.
    pca_components : None, int >= 1, float in (0, 1) or dict, default None
        If set, a clustered modality is first projected by PCA onto this many components (int) or
        onto enough components to keep this fraction of the variance (float).
    standardize : bool or dict, default True
        Scale every column of a clustered modality to mean 0 and standard deviation 1 before PCA
        and k-means (:class:`~pidkit.coders.ClusteredCoder`), so that the unit of a feature does
        not decide the clusters. The supervised coding always standardizes; bins are unaffected
        by scale.
    max_categories : int >= 1 or dict, default 32
        Most distinct values (or rows) a numeric modality may have to be coded as categorical by
        ``kind="auto"`` (see ``kind``). For the label, the larger of the per-modality values is
        the most distinct values of a numeric label (more are refused, see ``y_bins``).
    y_bins : int >= 2 or None, default None
        Bin a numeric label into this many uniform-width bins (open outer bins). Without it, a
        numeric label with more than ``max_categories`` distinct values — integers or not — raises
        :class:`~pidkit.exceptions.ContinuousLabelError`: a label is never binned silently, and
        a regression target is not taken for hundreds of classes. Class codes with many values:
        ``kind={"y": "categorical"}``.
    min_samples_per_cell : float >= 0, default 5.0
        :meth:`summarize` warns (:class:`~pidkit.exceptions.PlugInBiasWarning`) when there are
        fewer samples per occupied cell of the joint table. The plug-in mutual information is
        biased upward by roughly ``cells / (2 n ln 2)`` bits (Miller–Madow), i.e. about
        ``0.72 / min_samples_per_cell`` bits at the threshold: 5 keeps it near 0.14 bits at worst,
        and much less in practice, since only part of that bias survives in each PID atom.
        0 disables the warning. Also the budget of ``"auto"`` without a label (:meth:`fit_one`).
    random_state : None, int or numpy Generator, default None
        Seeds PCA, k-means, the folds and the classifiers' subsample of the automatic coding
        (via :func:`pidkit._validation.seed_from`): same seed, same codes.

    Every modality-level parameter takes one value for both modalities or a dict
    ``{"x1": v, "x2": v}``; missing keys take the default (``kind`` also takes ``"y"``).

    Attributes
    ----------
    coders_ : dict
        The fitted per-variable coder (:mod:`pidkit.coders`) of ``"x1"``, ``"x2"`` and ``"y"``; the
        attributes below are read from them.
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
    selection_ : pidkit.granularity.Selection or None
        What the automatic coding tried and chose (None when nothing was chosen automatically).
    crossfit_ : pidkit.heldout.CrossFit or None
        The label's folds and the cross-fitted posteriors computed while fitting (reused by the
        information check of :func:`pidkit.estimate`); None after :meth:`fit_one`.
    notes_ : list of str
        What was decided and why (kinds, states, merged bins, capped clusters, binned label).
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
    >>> disc.n_states_["x2"]                       # the n_clusters asked for
    4
    >>> disc.n_states_["x1"], disc.coders_["x1"].strategy   # chosen by held-out information
    (4, 'quantile')
    >>> _, _, cy_hat = disc.transform(y=np.ones(10, dtype=int))   # code predictions alike
    >>> counts = joint_counts(c1, c2, cy, (4, 4, 2))
    """

    def __init__(
        self,
        *,
        kind: Any = "auto",
        n_bins: Any = "auto",
        strategy: Any = "uniform",
        n_clusters: Any = "auto",
        pca_components: Any = None,
        standardize: Any = True,
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
        self.standardize = standardize
        self.max_categories = max_categories
        self.y_bins = y_bins
        self.min_samples_per_cell = min_samples_per_cell
        self.random_state = random_state

    _PARAMS = (
        "kind", "n_bins", "strategy", "n_clusters", "pca_components", "standardize", "max_categories",
        "y_bins", "min_samples_per_cell", "random_state",
    )

    def get_params(self, deep: bool = True) -> dict:
        """The constructor parameters as a dict (scikit-learn's convention; ``deep`` changes nothing:
        no parameter is itself an estimator)."""
        return {p: getattr(self, p) for p in self._PARAMS}

    def set_params(self, **params: Any) -> Discretizer:
        """Set constructor parameters (scikit-learn's convention, e.g. for ``GridSearchCV`` / ``clone``).

        An unknown name raises :class:`~pidkit.exceptions.ParameterError` naming the valid ones. The
        fitted state is kept until the next :meth:`fit`; values are validated there, like the
        constructor's.
        """
        check_keys("Discretizer", params, self._PARAMS, noun="parameter")
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {**_DEFAULTS, "y_bins": None, "min_samples_per_cell": 5.0, "random_state": None}
        args = [f"{k}={v!r}" for k, v in self.get_params().items() if not _same(v, defaults[k])]
        return f"Discretizer({', '.join(args)})"

    # ---- parameter validation ----------------------------------------------------------------

    def _validated_params(self) -> dict:
        """Return {param: {"x1": v, "x2": v}} for modality-level params, plus label params."""
        checks = {
            "kind": _check_kind,
            "n_bins": check_n_bins,
            "strategy": check_strategy,
            "n_clusters": check_n_clusters,
            "pca_components": check_pca,
            "standardize": check_bool,
            "max_categories": lambda name, v: check_positive_int(name, v),
        }
        out = {}
        y_kind = "auto"
        for pname, check in checks.items():
            value = getattr(self, pname)
            if pname == "kind" and isinstance(value, dict) and "y" in value:
                y_kind = check_option('kind for y', value["y"], LABEL_KINDS)
                value = {k: v for k, v in value.items() if k != "y"}
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
        out["y_kind"] = y_kind
        if self.y_bins is not None:
            check_positive_int("y_bins", self.y_bins, minimum=2)
            if y_kind == "categorical":
                raise ParameterError(
                    f"kind={{'y': 'categorical'}} keeps every label value, y_bins={self.y_bins} bins them; pass one "
                    "of the two."
                )
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
        self._fit(self._fit_all, x1, x2, y)
        return self

    def fit_transform(self, x1: Any, x2: Any, y: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fit, then return the int64 codes ``(c1, c2, cy)`` of the fit data.

        Also stores ``summary_`` (and warns if the joint table is too sparse).
        """
        return self._fit(self._fit_all, x1, x2, y)

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
        arr = as_variable(y, "y")
        fitted = self.is_fitted(("y",))
        disc = self if fitted else type(self)(**self.get_params())
        codes = disc._code("y", arr) if fitted else disc._fit_slot("y", y)
        return codes, np.asarray(disc.categories_.get("y", np.arange(disc.n_states_["y"])))

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
        self._fitted_coders("before transform")
        raw = {"x1": x1, "x2": x2, "y": y}
        arrays = {k: None if v is None else as_variable(v, k) for k, v in raw.items()}
        given = {k: v for k, v in arrays.items() if v is not None}
        if given:
            check_same_length(**given)
        return tuple(None if arrays[k] is None else self._code(k, arrays[k]) for k in raw)

    def fit_one(self, slot: str, values: Any) -> Discretizer:
        """Learn the coding of one variable alone, e.g. a modality seen without labels.

        The variable is coded as it would be in ``slot`` of :meth:`fit` (same ``kind`` rules and
        parameters for that slot; a ``"auto"`` number of bins or clusters is the joint-table budget
        of that variable alone). The previous fit, if any, is dropped: afterwards only ``slot`` can
        be coded (:meth:`transform_one`, or :meth:`transform` with that variable), and there is no
        ``summary_`` since there is no joint table.

        Parameters
        ----------
        slot : {"x1", "x2", "y"}
            Which variable ``values`` are; selects the per-modality parameters, or the label rules.
        values : array-like, shape (n,) or (n, d)

        Returns
        -------
        self : Discretizer
        """
        self._fit(self._fit_slot, check_option("slot", slot, VARIABLES), values)
        return self

    def transform_one(self, slot: str, values: Any) -> np.ndarray:
        """Code one variable with its fitted coding: ``transform(**{slot: values})`` for that slot alone.

        Returns
        -------
        codes : ndarray of int64, shape (n,)
        """
        self._fitted_coders("before transform")
        check_option("slot", slot, VARIABLES)
        return self._code(slot, as_variable(values, slot))

    def summarize(self, c1: Any, c2: Any, cy: Any) -> DiscretizationSummary:
        """Describe the joint table of codes ``(c1, c2, cy)`` from this Discretizer.

        Warns with :class:`~pidkit.exceptions.PlugInBiasWarning` when the samples per occupied
        cell fall below ``min_samples_per_cell``.

        Returns
        -------
        summary : DiscretizationSummary
        """
        return self._summarize(c1, c2, cy)

    def summarize_counts(self, counts: Any) -> DiscretizationSummary:
        """Describe a joint count table of this Discretizer's codes (e.g. summed over partitions).

        The same summary (and :class:`~pidkit.exceptions.PlugInBiasWarning`) as
        :meth:`summarize` of the samples behind ``counts``.
        """
        self._fitted_coders("first", VARIABLES)
        ns = self.n_states_
        table = np.asarray(counts)
        shape = (ns["x1"], ns["x2"], ns["y"])
        if table.shape != shape:
            raise ShapeError(f"counts has shape {table.shape}; this Discretizer codes tables of shape {shape}.")
        return self._summary(int(round(float(table.sum()))), int(np.count_nonzero(table)))

    def _summarize(self, c1: Any, c2: Any, cy: Any) -> DiscretizationSummary:
        self._fitted_coders("first", VARIABLES)
        ns = self.n_states_
        a = _check_codes(c1, "c1", ns["x1"])
        b = _check_codes(c2, "c2", ns["x2"])
        c = _check_codes(cy, "cy", ns["y"])
        n = check_same_length(c1=a, c2=b, cy=c)
        occupied = int(np.unique((a * ns["x2"] + b) * ns["y"] + c).size)
        return self._summary(n, occupied)

    def _summary(self, n: int, occupied: int) -> DiscretizationSummary:
        ns = self.n_states_
        total = ns["x1"] * ns["x2"] * ns["y"]
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
                stacklevel=user_stacklevel(),  # the first frame outside pidkit, however deep the call
            )
        return summary

    # ---- internals ---------------------------------------------------------------------------

    # fitted state: the coders (x1, x2, y) and what is derived from them
    # and what is derived from them
    _FITTED = ("coders_", "notes_", "n_samples_fit_", "summary_", "fingerprint_", "selection_", "crossfit_")

    def _per_coder(self, attr: str, cls: type = Coder) -> dict:
        """``{variable: coder.<attr>}`` over the fitted coders of class ``cls`` (x1, x2, y order)."""
        return {name: getattr(c, attr) for name, c in self.coders_.items() if isinstance(c, cls)}

    kinds_ = property(lambda self: self._per_coder("kind"))
    n_states_ = property(lambda self: self._per_coder("n_states_"))
    categories_ = property(lambda self: self._per_coder("categories_", CategoricalCoder))
    bin_edges_ = property(lambda self: self._per_coder("bin_edges_", BinnedCoder))
    kmeans_ = property(lambda self: self._per_coder("kmeans_", ClusteredCoder))
    pca_ = property(lambda self: self._per_coder("pca_", ClusteredCoder))

    def _fit(self, fit_all: Any, *args: Any, **kwargs: Any):
        for attr in self._FITTED:  # a failed (re)fit must not leave a half-fitted object
            self.__dict__.pop(attr, None)
        try:
            return fit_all(*args, **kwargs)
        except BaseException:
            for attr in self._FITTED:
                self.__dict__.pop(attr, None)
            raise

    def _fit_all(self, x1: Any, x2: Any, y: Any):
        params = self._validated_params()
        raw = {"x1": x1, "x2": x2, "y": y}
        arrays = {k: as_variable(v, k) for k, v in raw.items()}
        n = check_same_length(**arrays)
        seed = seed_from(self.random_state)

        self.notes_, self.coders_, self.selection_ = [], {}, None
        codes = {"y": self._fit_label(arrays["y"], params, is_pandas_categorical(y))}
        n_y = self.coders_["y"].n_states_
        self.crossfit_ = CrossFit(codes["y"], random_state=seed)
        cap_free = _auto_states(n, n_y, len(MODALITIES), SEARCH_MIN_SAMPLES_PER_CELL, MAX_AUTO_CLUSTERS)
        kinds = {m: self._resolve_kind(m, arrays[m], params, raw[m], cap_free) for m in MODALITIES}
        fixed = n_y
        for m in MODALITIES:  # categorical first: their state counts bound the others
            if kinds[m] == "categorical":
                codes[m] = self._fit_modality(m, arrays[m], kinds[m], params, seed)
                fixed *= self.coders_[m].n_states_
        free = [m for m in MODALITIES if kinds[m] != "categorical"]
        cap = _auto_states(n, fixed, len(free), SEARCH_MIN_SAMPLES_PER_CELL, MAX_AUTO_CLUSTERS)
        searched = [m for m in free if self._states_param(kinds[m], params)[m] == "auto"]
        for m in free:
            if m not in searched:  # a number of states (or a rule) the user chose
                codes[m] = self._fit_modality(m, arrays[m], kinds[m], params, seed, (fixed, len(free)),
                                              y=codes["y"])
        if searched:
            specs = [self._free_modality(m, arrays[m], kinds[m], params, seed, cap) for m in searched]
            fixed_codes = {m: c for m, c in codes.items() if m != "y"}
            coders, found, self.selection_ = choose_codes(specs, fixed_codes, codes["y"], crossfit=self.crossfit_,
                                                          seed=seed)
            for m in searched:
                self.coders_[m] = coders[m]
                self.notes_ += coders[m].notes_
                codes[m] = found[m]
            self.notes_.append(self.selection_.note())
        self.coders_ = {m: self.coders_[m] for m in VARIABLES}
        self.n_samples_fit_ = int(n)
        self.fingerprint_ = self._fingerprint()
        self.summary_ = self._summarize(codes["x1"], codes["x2"], codes["y"])
        return codes["x1"], codes["x2"], codes["y"]

    def _fit_slot(self, slot: str, values: Any) -> np.ndarray:
        params = self._validated_params()
        arr = as_variable(values, slot)
        self.notes_, self.coders_, self.selection_, self.crossfit_ = [], {}, None, None
        if slot == "y":
            codes = self._fit_label(arr, params, is_pandas_categorical(values))
        else:  # as in fit with a one-state label (the other modality free): the same kind of coding
            cap = _auto_states(arr.shape[0], 1, len(MODALITIES), SEARCH_MIN_SAMPLES_PER_CELL, MAX_AUTO_CLUSTERS)
            kind = self._resolve_kind(slot, arr, params, values, cap)
            if kind == "supervised":
                raise ParameterError(
                    f"kind='supervised' codes {slot} by its posterior p(y | {slot}), which needs the label; fit_one "
                    f"sees {slot} alone. Use kind='clustered' (or 'auto') here, or fit(x1, x2, y)."
                )
            if kind == "continuous":
                kind = "clustered"
            codes = self._fit_modality(slot, arr, kind, params, seed_from(self.random_state), (1, 1))
        self.n_samples_fit_ = int(len(arr))
        self.fingerprint_ = self._fingerprint()
        return codes

    def _fingerprint(self) -> str:
        """A short digest of the fitted coding (kinds, states, categories, bin edges, centres, PCA)."""
        h = hashlib.sha256()
        for name in VARIABLES:
            if name not in self.coders_:
                continue
            for tag, value in self.coders_[name].fingerprint_items():
                h.update(f"{name}:{tag}".encode())
                if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
                    h.update(str(value.shape).encode() + np.ascontiguousarray(value, dtype=np.float64).tobytes())
                else:
                    h.update(repr(value.tolist() if isinstance(value, np.ndarray) else value).encode())
        return h.hexdigest()[:16]

    def _auto_kind(self, name: str, arr: np.ndarray, params: dict, raw: Any, cap: int) -> str:
        """The coding of ``kind="auto"``: from the values (distinct values or rows), never from the dtype."""
        if is_pandas_categorical(raw) or (is_label_dtype(arr) and (arr.ndim == 1 or non_numeric(arr))):
            return "categorical"  # 1-D labels and 2-D strings/objects; 2-D bools go on below
        limit = min(params["max_categories"][name], max(cap, MIN_CATEGORICAL))
        distinct = n_distinct(arr)
        what = "values" if arr.ndim == 1 else f"rows of {arr.shape[1]} columns"
        if distinct <= limit:
            if distinct > 2:
                self.notes_.append(f"{name}: {distinct} distinct numeric {what}, at most {limit}: one state each")
            return "categorical"
        why = (f"{name}: {distinct} distinct numeric {what}, more than {limit} (the fewer of max_categories="
               f"{params['max_categories'][name]} and the {cap} states per modality a joint table of "
               f"{arr.shape[0]} samples can fill)")
        if arr.ndim == 1:
            self.notes_.append(f"{why}: binned")
            return "binned"
        if params["n_clusters"][name] != "auto":
            self.notes_.append(f"{why}: clustered into n_clusters={params['n_clusters'][name]}")
            return "clustered"
        scaled = "standardized columns" if params["standardize"][name] else "raw columns (standardize=False)"
        self.notes_.append(f"{why}: coded by clusters of {scaled} or by the cross-fitted posterior p(y | {name}), "
                           "whichever keeps more held-out information")
        return "continuous"

    def _resolve_kind(self, name: str, arr: np.ndarray, params: dict, raw: Any, cap: int) -> str:
        kind = params["kind"][name]
        if kind == "auto":
            kind = self._auto_kind(name, arr, params, raw, cap)
        elif kind in ("binned", "clustered", "supervised") and non_numeric(arr):
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

    @staticmethod
    def _states_param(kind: str, params: dict) -> dict:
        """The per-modality parameter that sets the states of ``kind``: ``n_bins`` or ``n_clusters``."""
        return params["n_bins"] if kind == "binned" else params["n_clusters"]

    def _make_coder(self, name: str, family: str, k: Any, params: dict, seed: int | None) -> Coder:
        """An unfitted coder of ``family`` with ``k`` states for modality ``name``."""
        if family in ("binned", "quantile"):
            strategy = "quantile" if family == "quantile" else params["strategy"][name]
            return BinnedCoder(n_bins=k, strategy=strategy, name=name)
        if family == "supervised":
            return SupervisedCoder(n_states=k, random_state=seed, name=name)
        return ClusteredCoder(n_clusters=k, name=name, pca_components=params["pca_components"][name],
                              standardize=params["standardize"][name], random_state=seed)

    def _free_modality(self, name: str, arr: np.ndarray, kind: str, params: dict, seed: int | None,
                       cap: int) -> FreeModality:
        """The search's view of a modality whose states are ``"auto"``."""
        families = {"continuous": ("clustered", "supervised"), "binned": ("binned", "quantile")}.get(kind, (kind,))
        return FreeModality(name=name, values=arr, families=families, cap=max(min(cap, n_distinct(arr)), 2),
                            make=lambda family, k: self._make_coder(name, family, k, params, seed))

    def _fit_modality(self, name: str, arr: np.ndarray, kind: str, params: dict, seed: int | None,
                      budget: tuple[int, int] = (1, 0), y: np.ndarray | None = None) -> np.ndarray:
        """Fit the coder of modality ``name`` with the user's states, or the budget without a label.

        ``budget`` = (fixed cells, binned/clustered modalities) of the joint-table budget of ``"auto"``.
        """
        if kind == "categorical":
            return self._add_coder(name, CategoricalCoder(name=name), arr)
        k = self._states_param(kind, params)[name]
        if k == "auto":  # no label (fit_one): the joint-table budget
            cap = MAX_AUTO_CLUSTERS if kind == "clustered" else BIN_RULES["rice"](len(arr))
            k = _auto_states(len(arr), budget[0], budget[1], self.min_samples_per_cell, cap)
        return self._add_coder(name, self._make_coder(name, kind, k, params, seed), arr, y=y)

    def _add_coder(self, name: str, coder: Coder, arr: np.ndarray, note: str | None = None,
                   y: np.ndarray | None = None) -> np.ndarray:
        codes = coder._fit_checked(arr, y, crossfit=getattr(self, "crossfit_", None))
        if note is not None:
            coder.notes_.insert(0, note)
        self.coders_[name] = coder
        self.notes_ += coder.notes_
        return codes

    def _fit_label(self, y: np.ndarray, params: dict, pandas_cat: bool) -> np.ndarray:
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
            note = f"y: binned into {self.y_bins} uniform-width bins (y_bins={self.y_bins})."
            return self._add_coder("y", BinnedCoder(n_bins=int(self.y_bins), strategy="uniform", name="y"), y, note)
        if numeric and params["y_kind"] == "auto":
            max_categories = max(params["max_categories"].values())
            distinct = int(np.unique(y).size)
            if distinct > max_categories:
                integers = bool(np.all(y == np.round(y)))
                raise ContinuousLabelError(
                    f"y looks continuous: a numeric label with {distinct} distinct values"
                    f"{' (all integers)' if integers else ''}, more than max_categories={max_categories}; "
                    "a discretized PID needs a discrete label (a regression target is not hundreds of classes). "
                    "Bin it with y_bins=<int> (Discretizer(y_bins=5), --y-bins 5 on the command line); or keep it "
                    "continuous with estimator='copula' or 'gaussian' (the exact Gaussian PID of the data's normal "
                    "scores or raw covariance; --estimator copula); or, if the numbers are class codes, say so with "
                    "Discretizer(kind={'y': 'categorical'}) (--y-categorical)."
                )
        return self._add_coder("y", CategoricalCoder(name="y"), y)

    def is_fitted(self, variables: tuple[str, ...] = VARIABLES) -> bool:
        """True when this Discretizer can code every one of ``variables`` (default all three).

        The one "is it fitted?" test of pidkit: ``fit`` fits all three variables, ``fit_one`` one
        of them; ``is_fitted(())`` asks whether anything was fitted at all.
        """
        coders = getattr(self, "coders_", None)
        return coders is not None and all(v in coders for v in variables)

    def _fitted_coders(self, when: str, needed: tuple[str, ...] = ()) -> dict[str, Coder]:
        """The fitted coders; raise NotFittedError unless fitted (on every variable in ``needed``)."""
        coders = getattr(self, "coders_", None)
        if coders is None:
            how = "fit(x1, x2, y) (or fit_transform)" if when == "before transform" else "fit(x1, x2, y)"
            raise NotFittedError(f"This Discretizer is not fitted yet; call {how} {when}.")
        missing = [name for name in needed if name not in coders]
        if missing:
            raise NotFittedError(
                f"This Discretizer was fitted on {' and '.join(coders)} alone (fit_one), so it cannot code "
                f"{' and '.join(missing)}; call fit(x1, x2, y), or use a Discretizer fitted on each variable."
            )
        return coders

    def _code(self, name: str, arr: np.ndarray) -> np.ndarray:
        return self._fitted_coders("before transform", (name,))[name]._transform(arr)


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
