"""``BoostingFusion``: a strong non-neural joint baseline — gradient boosting on ``[x1, x2]``.

scikit-learn's :class:`~sklearn.ensemble.HistGradientBoostingClassifier` on the concatenated
features, behind the zoo's two-modality interface. Trees split on one feature at a time, so
they represent interactions between modalities (synergy) only through depth; on tabular
features with little data they are often the model to beat.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .._training import numeric_features
from .._validation import as_samples, check_positive_float, check_positive_int, check_same_length, seed_from
from ..exceptions import InputError, NotFittedError
from .classifier import TwoModalityPredictions

__all__ = ["BoostingFusion"]


class BoostingFusion(TwoModalityPredictions, ClassifierMixin, BaseEstimator):
    """Histogram gradient boosting on the concatenated modalities, scikit-learn style.

    Parameters
    ----------
    max_iter : int, default 200
        Boosting rounds at most (early stopping on a 10% validation split stops sooner).
    learning_rate : float, default 0.1
    max_leaf_nodes : int, default 31
    threads : int, default 1
        OpenMP threads while fitting and predicting (1: reproducible timings, and no
        oversubscription when several fits run in parallel processes).
    random_state : int, numpy Generator or None

    Attributes
    ----------
    estimator_ : HistGradientBoostingClassifier
    classes_ : ndarray
    n_features_in_ : tuple of int
    fit_time_s_ : float
    n_parameters_ : int
        Tree nodes over all boosting rounds and classes (split thresholds and leaf values).
    """

    def __init__(self, *, max_iter: int = 200, learning_rate: float = 0.1, max_leaf_nodes: int = 31,
                 threads: int = 1, random_state: Any = None):
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.threads = threads
        self.random_state = random_state

    def _features(self, x1: Any, x2: Any) -> tuple[np.ndarray, tuple[int, int]]:
        if x1 is None or x2 is None:
            raise InputError(f"gradient boosting on [x1, x2] needs both modalities; got "
                             f"{'x1' if x1 is None else 'x2'}=None.")
        a1, a2 = as_samples(x1, "x1"), as_samples(x2, "x2")
        check_same_length(x1=a1, x2=a2)
        f = [numeric_features(a, m, who="gradient boosting", instead="") for a, m in ((a1, "x1"), (a2, "x2"))]
        return np.hstack(f), (f[0].shape[1], f[1].shape[1])

    def fit(self, x1: Any, x2: Any, y: Any) -> BoostingFusion:
        """Fit on paired samples; returns ``self``."""
        from sklearn.ensemble import HistGradientBoostingClassifier
        from threadpoolctl import threadpool_limits

        threads = check_positive_int("threads", self.threads)
        x, widths = self._features(x1, x2)
        ay = as_samples(y, "y")
        check_same_length(x1=x, y=ay)
        if np.unique(ay).size < 2:
            raise InputError(f"y has a single class in all {ay.size} samples; a classifier needs at least two classes.")
        est = HistGradientBoostingClassifier(
            max_iter=check_positive_int("max_iter", self.max_iter),
            learning_rate=check_positive_float("learning_rate", self.learning_rate),
            max_leaf_nodes=check_positive_int("max_leaf_nodes", self.max_leaf_nodes, minimum=2),
            early_stopping=True, random_state=seed_from(self.random_state) % (2**32),
        )
        t0 = time.perf_counter()
        with threadpool_limits(threads):
            est.fit(x, ay)
        self.fit_time_s_ = time.perf_counter() - t0
        self.estimator_ = est
        self.classes_ = est.classes_
        self.n_features_in_ = widths
        predictors = getattr(est, "_predictors", None)  # private; fall back to the upper bound
        if predictors is not None:
            self.n_parameters_ = int(sum(p.nodes.shape[0] for rnd in predictors for p in rnd))
        else:
            self.n_parameters_ = int(est.n_iter_ * est.n_trees_per_iteration_ * (2 * self.max_leaf_nodes - 1))
        return self

    def predict_proba(self, x1: Any, x2: Any) -> np.ndarray:
        """Class probabilities, shape (n, len(classes_)), columns in ``classes_`` order."""
        from threadpoolctl import threadpool_limits

        if not hasattr(self, "estimator_"):
            raise NotFittedError("This BoostingFusion is not fitted yet; call fit(x1, x2, y) first.")
        x, widths = self._features(x1, x2)
        if widths != tuple(self.n_features_in_):
            raise InputError(f"the model was fitted on {self.n_features_in_[0]} + {self.n_features_in_[1]} features; "
                             f"got {widths[0]} + {widths[1]}. Pass features shaped like those given to fit.")
        with threadpool_limits(self.threads):
            return self.estimator_.predict_proba(x)
