"""Per-variable coders: one variable's raw values to integer codes ``0 .. n_states_ - 1``.

One class per coding, all with the same small interface, scikit-learn style:

* ``fit(values, y=None)`` → ``self``; ``fit_transform(values, y=None)`` and ``transform(values)`` → int64
  codes, shape (n,) (only the supervised coder uses the labels ``y``);
* ``kind`` (``"categorical"``, ``"binned"``, ``"clustered"``, ``"supervised"``), ``n_states_``, ``notes_`` (remarks
  recorded while fitting), ``summary()`` (a plain dict) and ``fingerprint_items()`` (what
  :attr:`pidkit.Discretizer.fingerprint_` hashes for this variable).

:class:`CategoricalCoder` label-encodes sorted distinct values (1-D) or rows (2-D);
:class:`BinnedCoder` cuts 1-D numbers into uniform-width or quantile bins with open outer bins (a
binned label is a ``BinnedCoder`` too); :class:`ClusteredCoder` assigns standardized rows to
k-means centres, optionally after PCA; :class:`SupervisedCoder` codes rows by their cross-fitted
class posterior (it needs the label: ``fit(values, y)``). :class:`~pidkit.Discretizer` picks one
coder per variable of (x1, x2, y) and holds them in ``coders_``; a coder can also be used alone::

    >>> import numpy as np
    >>> coder = BinnedCoder(n_bins=4, name="x1").fit(np.arange(10.0))
    >>> coder.transform([-1.0, 4.0, 20.0]).tolist(), coder.n_states_
    ([0, 1, 3], 4)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._validation import as_samples, check_bool, check_option, seed_from
from .exceptions import NotFittedError, ParameterError, ShapeError, UnknownCategoryError
from .heldout import CrossFit, single_blas_thread

__all__ = [
    "BIN_RULES",
    "MINIBATCH_THRESHOLD",
    "STRATEGIES",
    "BinnedCoder",
    "CategoricalCoder",
    "ClusteredCoder",
    "Coder",
    "SupervisedCoder",
]

STRATEGIES = ("uniform", "quantile")

#: Sample-size rules for the number of bins of a 1-D continuous modality (n = fit samples).
BIN_RULES = {
    "rice": lambda n: math.ceil(2.0 * n ** (1.0 / 3.0)),
    "sturges": lambda n: math.ceil(math.log2(n)) + 1,
    "sqrt": lambda n: math.ceil(math.sqrt(n)),
}

#: Above this many samples, k-means runs as MiniBatchKMeans (full KMeans cost grows as n * k * iters).
MINIBATCH_THRESHOLD = 10_000


# --------------------------------------------------------------------------------------------
# Helpers shared with pidkit.discretize
# --------------------------------------------------------------------------------------------


def is_pandas_categorical(x: Any) -> bool:
    return type(x).__module__.startswith("pandas") and str(getattr(x, "dtype", "")) == "category"


def as_variable(x: Any, name: str) -> np.ndarray:
    """:func:`~pidkit._validation.as_samples`, keeping pandas categoricals categorical whatever the values."""
    arr = as_samples(x, name)
    if is_pandas_categorical(x) and arr.dtype.kind != "O":
        arr = arr.astype(object)
    return arr


def non_numeric(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "OUSV"


def row_keys(a: np.ndarray) -> np.ndarray:
    """One opaque sortable key per row of a numeric 2-D array (compares rows by value)."""
    a = np.ascontiguousarray(a, dtype=np.float64) + 0.0  # -0.0 -> 0.0 so equal rows share bytes
    return a.view(np.dtype((np.void, a.dtype.itemsize * a.shape[1]))).ravel()


def n_distinct(arr: np.ndarray) -> int:
    """Distinct values (1-D) or rows (2-D numeric)."""
    if arr.ndim == 1:
        return int(np.unique(arr).size)
    return int(np.unique(row_keys(arr)).size)


def _sorted_values(values: list) -> list:
    try:
        return sorted(values)
    except TypeError:  # mixed types (e.g. ints and strings): group by type, then by text
        return sorted(values, key=lambda v: (type(v).__name__, repr(v)))


def fit_kmeans(x: np.ndarray, k: int, seed: int | None):
    """k-means of the rows of ``x``: ``KMeans(n_init=4)`` up to :data:`MINIBATCH_THRESHOLD` rows,
    ``MiniBatchKMeans(n_init=3, batch_size=2048)`` above; OpenMP and BLAS on one thread (see
    :func:`pidkit.heldout.single_blas_thread`)."""
    from sklearn.cluster import KMeans, MiniBatchKMeans


    if x.shape[0] <= MINIBATCH_THRESHOLD:
        km = KMeans(n_clusters=k, n_init=4, random_state=seed)
    else:
        km = MiniBatchKMeans(n_clusters=k, n_init=3, batch_size=2048, random_state=seed)
    with single_blas_thread():
        km.fit(x)
    return km


# ---- parameter checks (one message style for every bad value; the Discretizer uses them too) ----


def check_strategy(name: str, v: Any) -> str:
    return check_option(name, v, STRATEGIES)


#: Most states one variable may be given explicitly (n_bins / n_clusters): a table axis beyond this
#: cannot be estimated from any sample that fits in memory, and its edges alone would take GBs.
MAX_EXPLICIT_STATES = 1_000_000


def _check_explicit_states(name: str, v: int) -> int:
    if v > MAX_EXPLICIT_STATES:
        raise ParameterError(f"{name}={v:,} is more than {MAX_EXPLICIT_STATES:,} states; a joint table needs several "
                             f"samples per cell, so use far fewer (or 'auto').")
    return int(v)


def check_n_bins(name: str, v: Any) -> Any:
    if isinstance(v, str):
        return check_option(name, v, ["auto", *BIN_RULES])
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ParameterError(
            f"{name} must be an integer >= 1 or one of {['auto', *BIN_RULES]}; got {v!r}."
        )
    return _check_explicit_states(name, v)


def check_n_clusters(name: str, v: Any) -> Any:
    if isinstance(v, str):
        return check_option(name, v, ["auto"])
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 2:
        raise ParameterError(f"{name} must be an integer >= 2 or 'auto'; got {v!r}.")
    return _check_explicit_states(name, v)


def check_pca(name: str, v: Any) -> Any:
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


# --------------------------------------------------------------------------------------------
# Coders
# --------------------------------------------------------------------------------------------


class Coder:
    """Base of the per-variable coders: ``fit`` / ``transform`` one variable to codes ``0..n_states_-1``.

    Subclasses set :attr:`kind` and implement ``_fit(arr) -> codes``, ``_transform(arr) -> codes``
    and ``_fingerprint_extra()``; ``arr`` is already validated by :func:`as_variable`.

    Parameters
    ----------
    name : str, default "x"
        The variable's name in messages and notes (``"x1"``, ``"x2"``, ``"y"``).
    """

    kind = ""

    def __init__(self, *, name: str = "x"):
        self.name = name

    def fit(self, values: Any, y: Any = None) -> Coder:
        """Learn the coding of ``values`` (shape (n,) or (n, d)); returns ``self``.

        ``y`` (the label of every sample) is used by :class:`SupervisedCoder` only.
        """
        self.fit_transform(values, y)
        return self

    def fit_transform(self, values: Any, y: Any = None) -> np.ndarray:
        """Fit, then return the int64 codes of ``values``, shape (n,)."""
        arr = as_variable(values, self.name)
        if y is not None:
            y = np.unique(as_variable(y, "y"), return_inverse=True)[1].reshape(-1).astype(np.int64)
            if y.size != arr.shape[0]:
                raise ShapeError(f"y has {y.size} labels for {arr.shape[0]} samples of {self.name}; pass one each.")
        return self._fit_checked(arr, y)

    def transform(self, values: Any) -> np.ndarray:
        """Code new values with the fitted coding: int64 codes, shape (n,)."""
        if not hasattr(self, "n_states_"):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet; call fit(values) (or fit_transform) before "
                "transform."
            )
        return self._transform(as_variable(values, self.name))

    def summary(self) -> dict:
        """The fitted coding as plain Python: name, kind, number of states and notes."""
        return {"name": self.name, "kind": self.kind, "n_states": int(self.n_states_), "notes": list(self.notes_)}

    def fingerprint_items(self) -> list[tuple[str, Any]]:
        """``(tag, value)`` pairs that identify the fitted coding (kind, states, then its parameters)."""
        return [("kind", self.kind), ("states", self.n_states_), *self._fingerprint_extra()]

    def __repr__(self) -> str:
        fitted = f", n_states_={self.n_states_}" if hasattr(self, "n_states_") else ""
        return f"{type(self).__name__}(name={self.name!r}{fitted})"

    def _fit_checked(self, arr: np.ndarray, y: np.ndarray | None = None, **context: Any) -> np.ndarray:
        """Fit on validated values ``arr`` and label codes ``y``; ``context`` holds shared work
        (a :class:`~pidkit.heldout.CrossFit` under ``crossfit``) that a coder may reuse."""
        for attr in [a for a in vars(self) if a.endswith("_")]:  # a failed refit leaves no stale state
            delattr(self, attr)
        self.notes_ = []
        try:
            return self._fit(arr, y, **context)
        except BaseException:
            for attr in [a for a in vars(self) if a.endswith("_")]:
                delattr(self, attr)
            raise

    def _fit(self, arr: np.ndarray, y: np.ndarray | None = None, **context: Any) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _transform(self, arr: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fingerprint_extra(self) -> list[tuple[str, Any]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _wrong_shape(self, fitted_as: str, arr: np.ndarray, with_dtype: bool = True) -> ShapeError:
        got = f"shape {arr.shape} and dtype {arr.dtype}" if with_dtype else f"shape {arr.shape}"
        return ShapeError(
            f"{self.name} was fitted as {fitted_as}; got {got}. Pass data shaped like the data given to fit."
        )


class CategoricalCoder(Coder):
    """Label encoding: codes are positions in the sorted distinct values (1-D) or rows (2-D).

    Attributes
    ----------
    categories_ : ndarray
        Sorted distinct values, or distinct rows of 2-D data.
    n_states_ : int
        ``len(categories_)``.

    Unseen values raise :class:`~pidkit.exceptions.UnknownCategoryError` in ``transform``.
    """

    kind = "categorical"

    def _fit(self, arr: np.ndarray, y: np.ndarray | None = None, **context: Any) -> np.ndarray:
        self._ndim = arr.ndim
        self._numeric = arr.dtype.kind in "biuf"
        self._map = None
        if arr.ndim == 1 and arr.dtype.kind in "US":  # NumPy strings sort natively
            self.categories_, codes = np.unique(arr, return_inverse=True)
        elif self._numeric:
            if arr.dtype.kind == "f":
                arr = arr + 0.0  # -0.0 and 0.0 are one category
            if arr.ndim == 1:
                self.categories_, codes = np.unique(arr, return_inverse=True)
            else:
                self.categories_, codes = np.unique(arr, axis=0, return_inverse=True)
                keys = row_keys(self.categories_)
                self._order = np.argsort(keys)
                self._keys = keys[self._order]
        else:
            items = arr.tolist() if arr.ndim == 1 else [tuple(r) for r in arr.tolist()]
            cats = _sorted_values(list(set(items)))
            self._map = {v: i for i, v in enumerate(cats)}
            codes = np.fromiter((self._map[v] for v in items), np.int64, len(items))
            if arr.ndim == 1:
                self.categories_ = np.array(cats, dtype=arr.dtype if arr.dtype.kind in "US" else object)
            else:
                self.categories_ = np.array(cats, dtype=arr.dtype)
        self.n_states_ = len(self.categories_)
        return codes.reshape(-1).astype(np.int64)

    def _transform(self, arr: np.ndarray) -> np.ndarray:
        cats = self.categories_
        if arr.ndim != self._ndim or (arr.ndim == 2 and arr.shape[1] != cats.shape[1]):
            want = "(n,)" if self._ndim == 1 else f"(n, {cats.shape[1]})"
            raise self._wrong_shape(f"categorical with samples of shape {want}", arr, with_dtype=False)
        kinds = cats.dtype.kind + arr.dtype.kind
        if self._ndim == 1 and kinds in ("UU", "SS"):
            return self._lookup(cats, arr, arr)
        if self._numeric and arr.dtype.kind in "biuf":
            if self._ndim == 2:
                keys = row_keys(arr)
                pos = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
                self._check_known(self._keys[pos] == keys, arr)
                return self._order[pos].astype(np.int64)
            dtype = np.int64 if kinds[0] in "biu" and kinds[1] in "biu" else np.float64
            return self._lookup(cats.astype(dtype), arr.astype(dtype), arr)
        if self._map is None:
            self._map = {tuple(v) if self._ndim == 2 else v: i for i, v in enumerate(cats.tolist())}
        items = arr.tolist() if arr.ndim == 1 else [tuple(r) for r in arr.tolist()]
        out = np.empty(len(items), dtype=np.int64)
        for i, v in enumerate(items):
            code = self._map.get(v)
            if code is None:
                self._unknown(arr[i])
            out[i] = code
        return out

    def _lookup(self, cats: np.ndarray, vals: np.ndarray, arr: np.ndarray) -> np.ndarray:
        pos = np.minimum(np.searchsorted(cats, vals), len(cats) - 1)
        self._check_known(cats[pos] == vals, arr)
        return pos.astype(np.int64)

    def _check_known(self, ok: np.ndarray, arr: np.ndarray) -> None:
        if not ok.all():
            self._unknown(arr[np.argmin(ok)])

    def _unknown(self, value: Any) -> None:
        shown = value.tolist() if isinstance(value, (np.ndarray, np.generic)) else value
        first = self.categories_[:5].tolist()
        more = ", ..." if self.n_states_ > 5 else ""
        raise UnknownCategoryError(
            f"{self.name} contains {shown!r}, a category not seen in fit; expected one of the "
            f"{self.n_states_} fitted categories ({str(first)[1:-1]}{more}). Refit the Discretizer "
            f"on data that contains {shown!r} (e.g. the union of all splits and predictions)."
        )

    def _fingerprint_extra(self) -> list[tuple[str, Any]]:
        return [("categories", self.categories_)]


class BinnedCoder(Coder):
    """1-D numbers cut into intervals; the first and last bins are open, bins are closed on the left.

    Parameters
    ----------
    n_bins : int >= 1 or {"rice", "sturges", "sqrt"}, default "rice"
        Number of bins, or a rule of the number of fit samples n (see :data:`BIN_RULES`).
    strategy : {"uniform", "quantile"}, default "uniform"
        Equal-width bins over the fit range, or edges at quantiles of the fit data. Duplicate edges
        (ties, a tiny range) are dropped and noted in ``notes_``.
    name : str, default "x"

    Attributes
    ----------
    bin_edges_ : ndarray
        The ``n_states_ - 1`` internal edges.
    """

    kind = "binned"

    def __init__(self, *, n_bins: Any = "rice", strategy: str = "uniform", name: str = "x"):
        super().__init__(name=name)
        self.n_bins = n_bins
        self.strategy = strategy

    def _fit(self, arr: np.ndarray, y: np.ndarray | None = None, **context: Any) -> np.ndarray:
        n_bins = check_n_bins("n_bins", self.n_bins)
        strategy = check_strategy("strategy", self.strategy)
        if n_bins == "auto":
            raise ParameterError(
                "n_bins='auto' is the Discretizer's joint-table budget; a BinnedCoder alone needs an integer "
                f"or one of {list(BIN_RULES)}."
            )
        self._check_input(arr)
        x = arr.astype(np.float64)
        k = BIN_RULES[n_bins](x.size) if isinstance(n_bins, str) else n_bins
        lo, hi = float(x.min()), float(x.max())
        if lo == hi:
            if k > 1:
                self.notes_.append(f"{self.name}: constant (all values {lo:g}); coded as 1 bin.")
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
                    f"{self.name}: {strategy} binning asked for {k} bins but duplicate edges "
                    f"(repeated values or a tiny range) left {inner.size + 1}."
                )
        self.bin_edges_ = inner
        self.n_states_ = int(inner.size + 1)
        return np.searchsorted(inner, x, side="right").astype(np.int64)

    def _check_input(self, arr: np.ndarray) -> None:
        if arr.ndim != 1 or non_numeric(arr):
            raise ShapeError(
                f"{self.name} must be 1-D numbers to be binned; got shape {arr.shape} and dtype {arr.dtype}. "
                "Use a ClusteredCoder for multi-column data and a CategoricalCoder for labels."
            )

    def _transform(self, arr: np.ndarray) -> np.ndarray:
        if arr.ndim != 1 or non_numeric(arr):
            raise self._wrong_shape("binned (1-D numbers)", arr)
        return np.searchsorted(self.bin_edges_, arr.astype(np.float64), side="right").astype(np.int64)

    def _fingerprint_extra(self) -> list[tuple[str, Any]]:
        return [("edges", self.bin_edges_)]


class ClusteredCoder(Coder):
    """Rows (or 1-D numbers) assigned to k-means centres, optionally after PCA.

    Parameters
    ----------
    n_clusters : int >= 2, default 8
        k of k-means, capped at the number of distinct rows (noted). ``KMeans(n_init=4)`` up to
        :data:`MINIBATCH_THRESHOLD` samples, ``MiniBatchKMeans(n_init=3, batch_size=2048)`` above.
    pca_components : None, int >= 1 or float in (0, 1), default None
        Project onto this many principal components, or enough to keep this variance fraction, first.
    standardize : bool, default True
        Scale every column to mean 0 and standard deviation 1 (constant columns are only centred)
        before PCA and k-means, so that a change of units of one feature (grams to kilograms, a
        column 1000 times larger than the others) does not change the clusters. ``False`` clusters
        the raw values, for features that share one scale on purpose (e.g. pixels, embeddings).
    random_state : None, int or numpy Generator
        Seeds PCA and k-means.
    name : str, default "x"

    Attributes
    ----------
    kmeans_ : sklearn KMeans or MiniBatchKMeans
    pca_ : sklearn PCA or None
    mean_, scale_ : ndarray of shape (n_features_in_,)
        The standardization (zeros and ones with ``standardize=False``).
    n_features_in_ : int
        Columns of the fit data (1 for 1-D data).
    """

    kind = "clustered"

    def __init__(self, *, n_clusters: int = 8, pca_components: Any = None, standardize: bool = True,
                 random_state: Any = None, name: str = "x"):
        super().__init__(name=name)
        self.n_clusters = n_clusters
        self.pca_components = pca_components
        self.standardize = standardize
        self.random_state = random_state

    def _fit(self, arr: np.ndarray, y: np.ndarray | None = None, **context: Any) -> np.ndarray:
        from sklearn.decomposition import PCA

        k = check_n_clusters("n_clusters", self.n_clusters)
        if k == "auto":
            raise ParameterError(
                "n_clusters='auto' is the Discretizer's joint-table budget; a ClusteredCoder alone needs an "
                "integer >= 2."
            )
        pca_components = check_pca("pca_components", self.pca_components)
        seed = seed_from(self.random_state)
        if non_numeric(arr):
            raise ShapeError(
                f"{self.name} has non-numeric dtype {arr.dtype} and cannot be clustered; expected numbers. "
                "Use a CategoricalCoder for labels."
            )
        x = np.asarray(arr, dtype=np.float64)
        if x.ndim == 1:
            x = x.reshape(-1, 1)
        n, d = x.shape
        if check_bool("standardize", self.standardize):
            std = x.std(axis=0)
            self.mean_, self.scale_ = x.mean(axis=0), np.where(std > 0, std, 1.0)
        else:
            self.mean_, self.scale_ = np.zeros(d), np.ones(d)
        x = (x - self.mean_) / self.scale_
        pca = None
        if pca_components is not None:
            if isinstance(pca_components, int) and pca_components > min(n, d):
                raise ParameterError(
                    f"pca_components for {self.name} must be <= min(n_samples, n_features) = "
                    f"{min(n, d)}; got {pca_components}. Lower it, or pass a variance fraction "
                    "in (0, 1)."
                )
            solver = "full" if isinstance(pca_components, float) else "auto"
            pca = PCA(n_components=pca_components, svd_solver=solver, random_state=seed)
            x = pca.fit_transform(x)
        distinct = n_distinct(x)
        if distinct < k:
            self.notes_.append(f"{self.name}: n_clusters={k} capped at the {distinct} distinct rows of the data.")
            k = distinct
        km = fit_kmeans(x, k, seed)
        self.pca_, self.kmeans_, self.n_features_in_, self.n_states_ = pca, km, d, int(k)
        return km.predict(x).astype(np.int64)

    def _transform(self, arr: np.ndarray) -> np.ndarray:
        x = arr.reshape(-1, 1) if arr.ndim == 1 else arr
        if non_numeric(arr) or x.shape[1] != self.n_features_in_:
            raise self._wrong_shape(f"clustered with {self.n_features_in_} numeric feature(s)", arr)
        x = (np.asarray(x, dtype=np.float64) - self.mean_) / self.scale_
        if self.pca_ is not None:
            x = self.pca_.transform(x)
        return self.kmeans_.predict(x).astype(np.int64)

    def _fingerprint_extra(self) -> list[tuple[str, Any]]:
        items = [("centres", self.kmeans_.cluster_centers_), ("scaling", np.concatenate([self.mean_, self.scale_]))]
        if self.pca_ is not None:
            items.append(("pca", np.concatenate([self.pca_.mean_, self.pca_.components_.ravel()])))
        return items


class SupervisedCoder(Coder):
    r"""Rows (or 1-D numbers) coded by their class posterior :math:`\hat p(y \mid x)`, quantized into cells.

    Why: the posterior :math:`p(y \mid x)` is a sufficient statistic of :math:`x` for :math:`y`, and the
    BROJA atoms R, U1 and U2 depend on a modality only through its joint distribution with the label,
    which a sufficient statistic keeps — so coding a modality by its posterior changes R, U1 and U2
    by no more than the quantization loses, however many dimensions the modality has. Synergy needs
    more than each modality's posterior (in an XOR the posteriors are flat): codes that lose it show
    a low I(X1,X2;Y) of the codes, which the automatic coding
    (:class:`~pidkit.Discretizer`) compares with unsupervised clusters.

    How: a multinomial logistic regression on the standardized columns is cross-fitted
    (:class:`~pidkit.heldout.CrossFit`: every fit sample gets the posterior of a model that never saw
    it, so the codes do not overfit the labels), and the posteriors' square roots (Hellinger
    geometry, close to the information lost by merging them) are clustered by k-means into
    ``n_states`` cells. New data are coded with the model fitted on all fit samples, so — like
    scikit-learn's ``TargetEncoder`` — ``fit_transform(x, y)`` and ``fit(x, y).transform(x)`` may
    differ on a few samples; use the codes ``fit_transform`` returns for the fit data.

    Parameters
    ----------
    n_states : int >= 2, default 8
        Cells of the posterior simplex (capped at the distinct posteriors; noted).
    random_state : None, int or numpy Generator
        Seeds the folds and k-means.
    name : str, default "x"

    Attributes
    ----------
    posterior_ : pidkit.heldout.Posterior
        The fitted p̂(y | x) that codes new data.
    kmeans_ : sklearn KMeans or MiniBatchKMeans
        The cells, on square-root posteriors.
    n_classes_ : int
        Label classes of the fit data.
    n_features_in_ : int
    """

    kind = "supervised"

    def __init__(self, *, n_states: int = 8, random_state: Any = None, name: str = "x"):
        super().__init__(name=name)
        self.n_states = n_states
        self.random_state = random_state

    def _fit(self, arr: np.ndarray, y: np.ndarray | None = None, **context: Any) -> np.ndarray:
        k = check_n_clusters("n_states", self.n_states)
        if k == "auto":
            raise ParameterError(
                "n_states='auto' is the Discretizer's automatic coding; a SupervisedCoder alone needs an integer >= 2."
            )
        if y is None:
            raise ParameterError(
                f"a supervised coding of {self.name} learns p(y | {self.name}): call fit({self.name}, y) with the "
                "label of every sample, or use kind='clustered' for data without labels."
            )
        if non_numeric(arr):
            raise ShapeError(
                f"{self.name} has non-numeric dtype {arr.dtype} and cannot be coded by a classifier's posterior; "
                "expected numbers. Use a CategoricalCoder for labels."
            )
        crossfit = context.get("crossfit") or CrossFit(y, random_state=self.random_state)
        proba, self.posterior_ = crossfit.posterior(self.name, arr)
        z = np.sqrt(proba)
        distinct = n_distinct(np.round(z, 12))
        if distinct < k:
            self.notes_.append(f"{self.name}: n_states={k} capped at the {distinct} distinct posteriors.")
            k = max(distinct, 1)
        self.n_classes_ = int(proba.shape[1])
        self.n_features_in_ = 1 if arr.ndim == 1 else int(arr.shape[1])
        if k == 1:
            self.kmeans_, self.n_states_ = None, 1
            return np.zeros(arr.shape[0], dtype=np.int64)
        self.kmeans_ = fit_kmeans(z, k, seed_from(self.random_state))
        self.n_states_ = int(k)
        return self.kmeans_.predict(z).astype(np.int64)

    def _transform(self, arr: np.ndarray) -> np.ndarray:
        x = arr.reshape(-1, 1) if arr.ndim == 1 else arr
        if non_numeric(arr) or x.shape[1] != self.n_features_in_:
            raise self._wrong_shape(f"supervised with {self.n_features_in_} numeric feature(s)", arr)
        if self.kmeans_ is None:
            return np.zeros(x.shape[0], dtype=np.int64)
        return self.kmeans_.predict(np.sqrt(self.posterior_(x))).astype(np.int64)

    def _fingerprint_extra(self) -> list[tuple[str, Any]]:
        centres = np.zeros(1) if self.kmeans_ is None else self.kmeans_.cluster_centers_
        return [("posterior", self.posterior_.fingerprint()), ("cells", centres)]
