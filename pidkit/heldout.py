r"""Held-out information: what a classifier or a coding tells about the label on samples it never saw.

Two uses inside pidkit, one estimator behind both:

* **How much information is there?** For a probabilistic classifier :math:`\hat p(y \mid x)` fitted
  without sample :math:`i` (cross-fitting: each sample is predicted by the model of the fold it was
  held out from), the held-out cross-entropy :math:`CE = -\frac1n \sum_i \log \hat p(y_i \mid x_i)` bounds
  the information from below,

  .. math::

      I(X; Y) = H(Y) - H(Y \mid X) \ge H(Y) - CE,

  because a cross-entropy is never below the conditional entropy it estimates (up to the sampling
  error of the held-out average). :func:`classifier_information` returns this bound for I(X1;Y),
  I(X2;Y) and I(X1,X2;Y) — the reference that :mod:`pidkit.trust` compares a discretization with.
* **Which coding keeps it?** :func:`codes_information` is the same bound for a classifier that sees
  only the codes (a count table, smoothed towards the label frequencies): fine codes whose cells
  hold a few samples each predict held-out samples badly, so the bound peaks at the granularity
  that keeps the most information the samples can support (:mod:`pidkit.granularity`).

Everything is in bits. Folds are stratified by label and seeded (:func:`stratified_folds`); the
classifiers are scikit-learn's, seeded, and cheap by default (:data:`MODELS`).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validation import check_option, seed_from

__all__ = [
    "MODELS",
    "DEFAULT_FOLDS",
    "MAX_CLASSIFIER_SAMPLES",
    "CrossFit",
    "Posterior",
    "ClassifierInformation",
    "stratified_folds",
    "label_entropy_bits",
    "proba_information",
    "codes_information",
    "classifier_information",
]

#: Folds of every cross-fit.
DEFAULT_FOLDS = 5
#: The classifiers behind :func:`classifier_information`. ``"logistic"`` (multinomial logistic
#: regression on standardized features) and ``"knn"`` (k nearest neighbours on standardized
#: features, which sees interactions such as XOR that a linear model cannot) are the cheap default;
#: ``"boosting"`` (scikit-learn's HistGradientBoostingClassifier) is slower and is added by
#: ``models="thorough"``.
MODELS = ("logistic", "knn", "boosting")
MODEL_SETS = {"fast": ("logistic", "knn"), "thorough": ("logistic", "knn", "boosting")}
#: The classifiers are fitted on at most this many samples (a stratified, seeded subsample): the
#: bound needs a few thousand samples, not all of them, and stays cheap on large data.
MAX_CLASSIFIER_SAMPLES = 10_000
#: Pseudo-counts (per class, times the class frequency) that smooth a count table into a classifier.
CODES_PRIOR_WEIGHT = 0.5
#: Weights of the label frequencies mixed into nearest neighbours' vote fractions (see ``CrossFit._smooth``).
KNN_SMOOTHING = (0.003, 0.01, 0.03, 0.1, 0.3)
#: L-BFGS iterations of the logistic regression. Its held-out log-loss is a valid bound whether or not
#: the fit converged; at this budget it matched Newton-Cholesky's to 0.001 nats or better on the suite's
#: mix4, digits, breast cancer and wine, 5x faster on 128 columns.
LOGISTIC_MAX_ITER = 100


def _class_order(y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Samples sorted by label, in random order within each label, and each one's rank within its label."""
    perm = rng.permutation(y.size)
    order = perm[np.argsort(y[perm], kind="stable")]
    ys = y[order]
    starts = np.flatnonzero(np.r_[True, ys[1:] != ys[:-1]])
    sizes = np.diff(np.r_[starts, y.size])
    rank = np.arange(y.size) - np.repeat(starts, sizes)
    return order, rank


def stratified_folds(y: np.ndarray, folds: int, seed: int | None) -> np.ndarray:
    """Fold of every sample (0 .. folds-1), each label's samples spread evenly over the folds.

    Works for any class size (a class with fewer samples than folds is simply absent from some)
    and any number of classes (one sort, no loop over them).
    """
    rng = np.random.default_rng(seed)
    order, _ = _class_order(y, rng)
    out = np.empty(y.size, dtype=np.int64)
    out[order] = (int(rng.integers(folds)) + np.arange(y.size)) % folds
    return out


def label_entropy_bits(y: np.ndarray, n_classes: int | None = None) -> float:
    """Plug-in entropy of the label codes ``y`` (bits)."""
    p = np.bincount(y, minlength=n_classes or 0) / y.size
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def proba_information(proba: np.ndarray, y: np.ndarray, *, per_sample: bool = False):
    """H(Y) − held-out cross-entropy (bits) of out-of-fold class probabilities ``proba`` (n, K).

    ``per_sample=True`` returns the n terms ``H(Y) + log2 p(y_i | x_i)`` whose mean that is.
    """
    p = np.clip(proba[np.arange(y.size), y], 1e-300, 1.0)
    terms = label_entropy_bits(y, proba.shape[1]) + np.log2(p)
    return terms if per_sample else float(terms.mean())


def codes_information(codes: np.ndarray, y: np.ndarray, folds: np.ndarray, *, per_sample: bool = False):
    """Held-out information (bits) of integer ``codes`` about label codes ``y``.

    For each fold, p(y | code) is the count table of the other folds smoothed towards the label
    frequencies, ``(n(c, y) + a K π_y) / (n(c) + a K)`` with ``a = CODES_PRIOR_WEIGHT``; the result is
    ``H(Y) + mean_i log2 p(y_i | code_i)`` over the held-out samples. A code never seen in training
    predicts the label frequencies. ``per_sample=True`` returns the n terms of that mean instead
    (their spread gives the estimate's standard error).
    """
    k = int(y.max()) + 1
    n_codes = int(codes.max()) + 1
    pi = np.bincount(y, minlength=k) / y.size
    prior = CODES_PRIOR_WEIGHT * k
    terms = np.empty(y.size)
    for f in np.unique(folds):
        tr = folds != f
        te = ~tr
        table = np.bincount(codes[tr] * k + y[tr], minlength=n_codes * k).reshape(n_codes, k).astype(np.float64)
        p = (table[codes[te], y[te]] + prior * pi[y[te]]) / (table[codes[te]].sum(axis=1) + prior)
        terms[te] = np.log2(p)
    terms += label_entropy_bits(y, k)
    return terms if per_sample else float(terms.mean())


def single_blas_thread():
    """A context in which BLAS and OpenMP run on one thread.

    The classifiers here multiply small matrices, where threads gain nothing; on a busy machine
    OpenBLAS threads that spin-wait for a core lose a lot instead (a 1,797 x 64 logistic regression:
    0.35 s on one thread, 18 s on two while another process kept one core busy).
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _standardize(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Columns of ``x`` (as (n, d) float64) to mean 0 and standard deviation 1 (constant columns: scale 1)."""
    x = _as_2d(x)
    mean, std = x.mean(axis=0), x.std(axis=0)
    scale = np.where(std > 0, std, 1.0)
    return (x - mean) / scale, mean, scale


def _make_model(name: str, n_train: int, d: int, k: int, seed: int | None):
    if name == "logistic":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=1.0, solver="lbfgs", max_iter=LOGISTIC_MAX_ITER)
    if name == "knn":
        from sklearn.neighbors import KNeighborsClassifier

        return KNeighborsClassifier(n_neighbors=min(_knn_neighbours(n_train), n_train), weights="distance")
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=100, early_stopping=True, random_state=seed)


def _knn_neighbours(n_train: int) -> int:
    """k of the nearest-neighbour classifier: about sqrt(n)/2, between 5 and 50."""
    return int(min(50, max(5, round(math.sqrt(n_train) / 2))))


def _smoothed(proba: np.ndarray, pi: np.ndarray, weight: float) -> np.ndarray:
    """Mix class probabilities with the label frequencies (``weight`` pseudo-samples): no exact zeros."""
    return (proba + weight * pi) / (1.0 + weight)


@dataclass
class CrossFit:
    """Seeded stratified folds of one labelled sample, and the classifiers cross-fitted on it.

    Parameters
    ----------
    y : ndarray of int, shape (n,)
        Label codes 0 .. K-1.
    folds : int
    random_state : int, Generator or None
    max_samples : int
        Classifiers are fitted on a stratified subsample of at most this many samples
        (:attr:`index`, all samples when there are fewer).

    :meth:`proba` gives out-of-fold probabilities of the fitted subsample (for information bounds);
    :meth:`posterior` gives every sample's held-out logistic posterior and a predictor for new data
    (for the supervised coding). Both are cached by key, so a posterior the coding computed is
    reused by the information check of the same call.
    """

    y: np.ndarray
    folds: int = DEFAULT_FOLDS
    random_state: Any = None
    max_samples: int = MAX_CLASSIFIER_SAMPLES
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.y = np.asarray(self.y, dtype=np.int64)
        self.seed = seed_from(self.random_state)
        self.n_classes = int(self.y.max()) + 1
        n = self.y.size
        if n > self.max_samples:
            # stratified subsample: the same share of every class (at least one sample of each)
            order, rank = _class_order(self.y, np.random.default_rng(self.seed))
            quota = np.maximum(1, np.round(np.bincount(self.y) * self.max_samples / n)).astype(np.int64)
            self.index = np.sort(order[rank < quota[self.y[order]]])
        else:
            self.index = np.arange(n)
        self.y_fit = self.y[self.index]
        self.fold = stratified_folds(self.y_fit, self.folds, self.seed)
        self.pi = np.bincount(self.y_fit, minlength=self.n_classes) / self.y_fit.size

    @property
    def subsampled(self) -> bool:
        return self.index.size < self.y.size

    def _fit(self, model: str, x: np.ndarray, y: np.ndarray):
        """``model`` fitted on standardized features ``x`` and labels ``y``; None for a single class."""
        if np.unique(y).size < 2:
            return None
        from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning  # scikit-learn loads on use

        est = _make_model(model, int(y.size), x.shape[1], self.n_classes, self.seed)
        with single_blas_thread(), warnings.catch_warnings():
            warnings.simplefilter("ignore", SklearnConvergenceWarning)  # the held-out bound holds all the same
            est.fit(x, y)
        return est

    def _predict(self, model: str, est, x: np.ndarray) -> np.ndarray:
        """Class probabilities of ``est`` on ``x`` (the label frequencies when there is no model); unsmoothed."""
        out = np.tile(self.pi, (x.shape[0], 1))
        if est is None:
            return out
        with single_blas_thread():
            p = np.zeros((x.shape[0], self.n_classes))
            p[:, est.classes_] = est.predict_proba(x)
        return p

    def proba(self, key: str, features: np.ndarray, model: str = "logistic") -> np.ndarray:
        """Out-of-fold class probabilities (n_fit, K) of ``model`` on ``features`` (all n samples, rows aligned
        with ``y``; standardized here) for the fitted subsample, cached under ``(key, model)``."""
        check_option("model", model, MODELS)
        hit = self._cache.get((key, model))
        if hit is not None:
            return hit
        x = _standardize(features)[0][self.index]
        out = np.tile(self.pi, (self.index.size, 1))
        for f in range(self.folds):
            te = self.fold == f
            if te.any():
                out[te] = self._predict(model, self._fit(model, x[~te], self.y_fit[~te]), x[te])
        out = self._smooth(out, model)
        self._cache[(key, model)] = out
        return out

    def _smooth(self, proba: np.ndarray, model: str) -> np.ndarray:
        """Mix held-out probabilities with the label frequencies, so that none is 0.

        The logistic model's probabilities only need a floor (weight 1e-6). Nearest neighbours' are
        vote fractions, exactly 0 or 1 where all neighbours agree; their weight is the one of
        :data:`KNN_SMOOTHING` that maximizes the held-out likelihood (one number for all folds, chosen
        among a few, so the bound stays honest to well under a hundredth of a bit): a clean label
        needs little smoothing, a noisy one more.
        """
        if model != "knn":
            return _smoothed(proba, self.pi, 1e-6)
        rows = np.arange(self.y_fit.size)
        best = max(KNN_SMOOTHING, key=lambda w: np.log(_smoothed(proba, self.pi, w)[rows, self.y_fit]).sum())
        return _smoothed(proba, self.pi, best)

    def information(self, key: str, features: np.ndarray, model: str = "logistic") -> float:
        """Held-out information (bits) of ``model`` on ``features``: H(Y) − CE."""
        return proba_information(self.proba(key, features, model), self.y_fit)

    def posterior(self, key: str, features: np.ndarray):
        """Held-out logistic posteriors of every sample, and a predictor of new samples' posteriors.

        Samples of the fitted subsample get their out-of-fold probabilities (:meth:`proba`); the
        others get those of the model fitted on the whole subsample, which never saw them. The
        predictor (``features (m, d) -> (m, K)``) is that model with the standardization of
        ``features``: the posterior of data coded later.
        """
        hit = self._cache.get((key, "posterior"))
        if hit is not None:
            return hit
        z, mean, scale = _standardize(features)
        out = np.empty((z.shape[0], self.n_classes))
        out[self.index] = self.proba(key, features, "logistic")
        full = self._fit("logistic", z[self.index], self.y_fit)
        rest = np.setdiff1d(np.arange(z.shape[0]), self.index, assume_unique=True)
        if rest.size:
            out[rest] = _smoothed(self._predict("logistic", full, z[rest]), self.pi, 1e-6)
        predictor = Posterior(full, mean, scale, self.pi)
        self._cache[(key, "posterior")] = (out, predictor)
        return out, predictor


@dataclass(frozen=True)
class Posterior:
    """A fitted logistic posterior p(y | x) for new samples (standardization included)."""

    model: Any
    mean: np.ndarray
    scale: np.ndarray
    pi: np.ndarray

    def __call__(self, features: np.ndarray) -> np.ndarray:
        x = _as_2d(features)
        out = np.tile(self.pi, (x.shape[0], 1))
        if self.model is None:
            return out
        with single_blas_thread():
            p = np.zeros_like(out)
            p[:, self.model.classes_] = self.model.predict_proba((x - self.mean) / self.scale)
        return _smoothed(p, self.pi, 1e-6)

    def fingerprint(self) -> np.ndarray:
        """The numbers that identify it (coefficients, intercepts, standardization)."""
        if self.model is None:
            return np.concatenate([self.mean, self.scale, self.pi])
        return np.concatenate([self.model.coef_.ravel(), self.model.intercept_.ravel(), self.mean, self.scale])


@dataclass(frozen=True)
class ClassifierInformation:
    """Held-out lower bounds on I(X1;Y), I(X2;Y) and I(X1,X2;Y) from cross-fitted classifiers (bits).

    Attributes
    ----------
    I1, I2, total : float
        The largest held-out bound of the classifiers tried, per quantity. ``total`` is at least
        ``max(I1, I2)``: a classifier of the pair can ignore one modality.
    models : dict
        Which classifier gave each bound, and the bound of every classifier tried.
    n_samples, folds : int
        Samples the classifiers were fitted on (a stratified subsample above
        :data:`MAX_CLASSIFIER_SAMPLES`) and folds of the cross-fit.
    time_s : float
    terms : dict
        The per-sample terms (n_samples each) of the three bounds, for standard errors.
    """

    I1: float
    I2: float
    total: float
    models: dict
    n_samples: int
    folds: int
    time_s: float
    terms: dict = field(default_factory=dict, repr=False)

    def standard_error(self, weights: dict[str, float]) -> float:
        """Standard error (bits) of ``sum_q weights[q] * bound_q`` from the paired per-sample terms."""
        d = sum(w * self.terms[q] for q, w in weights.items())
        return float(np.std(d, ddof=1) / np.sqrt(d.size)) if np.size(d) > 1 else 0.0


def classifier_information(
    f1: np.ndarray,
    f2: np.ndarray,
    y: np.ndarray,
    *,
    models: str | tuple[str, ...] = "fast",
    crossfit: CrossFit | None = None,
    random_state: Any = None,
    keys: tuple[str, str] = ("x1", "x2"),
) -> ClassifierInformation:
    """Held-out lower bounds on I(X1;Y), I(X2;Y), I(X1,X2;Y) in bits.

    Parameters
    ----------
    f1, f2 : ndarray of shape (n,) or (n, d)
        Numeric features of each modality (categorical modalities one-hot encoded by the caller).
    y : ndarray of int, shape (n,)
        Label codes.
    models : {"fast", "thorough"} or tuple of names in :data:`MODELS`
    crossfit : CrossFit, optional
        Folds (and cached probabilities) to use; made from ``y`` and ``random_state`` otherwise.
    keys : pair of str
        Cache keys of ``f1`` and ``f2`` in ``crossfit`` (the supervised coding caches each
        modality's logistic posterior under its name, ``"x1"`` / ``"x2"``).
    """
    t0 = time.perf_counter()
    names = MODEL_SETS[models] if isinstance(models, str) else tuple(models)
    cf = crossfit if crossfit is not None else CrossFit(y, random_state=random_state)
    joint = np.hstack([_as_2d(f1), _as_2d(f2)])
    best: dict[str, float] = {}
    terms: dict[str, np.ndarray] = {}
    per_model: dict[str, dict[str, float]] = {}
    which: dict[str, str] = {}
    for q, key, feats in (("I1", keys[0], f1), ("I2", keys[1], f2), ("total", "+".join(keys), joint)):
        per_model[q] = {}
        for m in names:
            t = proba_information(cf.proba(key, feats, m), cf.y_fit, per_sample=True)
            per_model[q][m] = float(t.mean())
            if q not in best or per_model[q][m] > best[q]:
                best[q], which[q], terms[q] = per_model[q][m], m, t
    if best["total"] < max(best["I1"], best["I2"]):
        one = "I1" if best["I1"] >= best["I2"] else "I2"
        best["total"], terms["total"] = best[one], terms[one]
        which["total"] = which[one] + " (one modality alone)"
    return ClassifierInformation(
        I1=best["I1"], I2=best["I2"], total=best["total"],
        models={"best": which, "bounds": per_model},
        n_samples=int(cf.index.size), folds=cf.folds, time_s=time.perf_counter() - t0, terms=terms,
    )


def _as_2d(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x.reshape(-1, 1) if x.ndim == 1 else x
