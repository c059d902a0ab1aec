"""``LateFusion``: two unimodal networks fitted separately, combined only at prediction.

What late fusion can and cannot do, in PID terms: each unimodal model estimates p(y | x_m), so
the combination sees the redundant and both unique parts of the information but never the
synergy, which lives only in the joint p(y | x1, x2). In exchange it needs no paired labeled
samples (``combine="product"``): each modality's model may be trained on its own labeled data,
collected separately (:meth:`LateFusion.fit_unpaired`).

* ``combine="product"``: the product of experts ``p(y|x1) p(y|x2) / p(y)``, renormalized — the
  Bayes posterior when X1 and X2 are independent given Y.
* ``combine="stacked"``: a multinomial logistic regression on ``[log p(y|x1), log p(y|x2)]``,
  fitted on a paired split of ``stack_size`` (it learns how much to trust each modality and
  undoes the product's double counting of redundant evidence), so it needs paired samples.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .._training import check_fraction, stratified_split
from .._validation import as_samples, check_option, check_same_length, seed_from
from ..discretize import Discretizer
from ..exceptions import InputError, NotFittedError, ParameterError
from .classifier import FusionClassifier, TwoModalityPredictions

__all__ = ["LateFusion"]

#: Probabilities are floored here before their logarithm (a confident unimodal model must not
#: veto a class with log 0).
PROBA_FLOOR = 1e-6

_NETWORK_PARAMS = ("hidden", "embed_dim", "epochs", "patience", "batch_size", "lr", "weight_decay",
                   "validation_size", "device", "progress")


class LateFusion(TwoModalityPredictions, ClassifierMixin, BaseEstimator):
    """Late fusion of an X1-only and an X2-only network, scikit-learn style.

    Parameters
    ----------
    combine : {"product", "stacked"}, default "product"
        How the unimodal posteriors are combined (see the module docstring). ``"product"`` needs
        no paired samples; ``"stacked"`` fits its combiner on ``stack_size`` of the paired ones.
    stack_size : float in (0, 1), default 0.2
        Fraction of the (paired) samples, stratified by class, held out to fit the stacker.
    hidden, embed_dim, epochs, patience, batch_size, lr, weight_decay, validation_size, device, progress
        Passed to each unimodal :class:`~pidkit.fusion.FusionClassifier` (same defaults).
    random_state : int, numpy Generator or None
        Seeds both networks (with different streams) and the stacking split.

    Attributes
    ----------
    model1_, model2_ : FusionClassifier
        The fitted ``"x1-only"`` and ``"x2-only"`` networks.
    stacker_ : sklearn LogisticRegression or None
    classes_ : ndarray
    log_prior_ : ndarray
        log p(y) of the training labels (both modalities' labels for :meth:`fit_unpaired`).
    fit_time_s_ : float
    n_parameters_ : int
        Both networks' parameters (and the stacker's coefficients).

    Examples
    --------
    >>> from pidkit.fusion import make_model
    >>> from pidkit.synthetic import suite_data
    >>> data = suite_data("mix5", n=3000, dim=8, random_state=0)   # R + U2, no synergy
    >>> x1, x2, y = data
    >>> late = make_model("late", random_state=0).fit(x1[:2000], x2[:2000], y[:2000])
    >>> late.score(x1[2000:], x2[2000:], y[2000:]) > data.bayes_accuracy - 0.05   # Bayes accuracy 0.58
    True
    """

    def __init__(
        self,
        combine: str = "product",
        *,
        stack_size: float = 0.2,
        hidden: tuple = (64,),
        embed_dim: int = 32,
        epochs: int = 100,
        patience: int = 10,
        batch_size: int = 256,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        validation_size: float = 0.2,
        device: str = "auto",
        random_state: Any = None,
        progress: bool = False,
    ):
        self.combine = combine
        self.stack_size = stack_size
        self.hidden = hidden
        self.embed_dim = embed_dim
        self.epochs = epochs
        self.patience = patience
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.validation_size = validation_size
        self.device = device
        self.random_state = random_state
        self.progress = progress

    # ------------------------------------------------------------------------------ fitting
    def _networks(self) -> tuple[FusionClassifier, FusionClassifier]:
        check_option("combine", self.combine, ("product", "stacked"))
        seeds = np.random.SeedSequence(seed_from(self.random_state)).generate_state(2)
        params = {k: getattr(self, k) for k in _NETWORK_PARAMS}
        return (FusionClassifier(fusion="x1-only", random_state=int(seeds[0]), **params),
                FusionClassifier(fusion="x2-only", random_state=int(seeds[1]), **params))

    def fit(self, x1: Any, x2: Any, y: Any) -> LateFusion:
        """Fit on paired samples (each network sees its modality and the labels); returns ``self``."""
        t0 = time.perf_counter()
        ay = as_samples(y, "y")
        a1, a2 = as_samples(x1, "x1"), as_samples(x2, "x2")
        check_same_length(x1=a1, x2=a2, y=ay)
        m1, m2 = self._networks()
        if self.combine == "stacked":
            from sklearn.linear_model import LogisticRegression


            frac = check_fraction("stack_size", self.stack_size)
            codes, _ = Discretizer().encode_labels(ay)
            rng = np.random.default_rng(seed_from(self.random_state))
            fit_idx, stack_idx, _ = stratified_split(codes, frac, 0.0, rng)
            if stack_idx.size == 0:
                raise InputError(f"stack_size={frac} of {ay.size} samples leaves none to fit the stacker; raise "
                                 "stack_size or pass more samples (or use combine='product').")
            m1.fit(a1[fit_idx], None, ay[fit_idx])
            m2.fit(None, a2[fit_idx], ay[fit_idx])
            self._set_models(m1, m2, ay[fit_idx])
            feats = self._log_probs(a1[stack_idx], a2[stack_idx])
            self.stacker_ = LogisticRegression(max_iter=1000).fit(feats, ay[stack_idx])
        else:
            m1.fit(a1, None, ay)
            m2.fit(None, a2, ay)
            self._set_models(m1, m2, ay)
            self.stacker_ = None
        self._finish(t0)
        return self

    def fit_unpaired(self, x1: Any, y1: Any, x2: Any, y2: Any) -> LateFusion:
        """Fit each network on its own labeled data — no sample needs both modalities.

        ``(x1, y1)`` and ``(x2, y2)`` may have different lengths and come from different
        collections of the same task; both must contain every class. Only ``combine="product"``
        can be fitted this way (the stacker needs paired samples).
        """
        if self.combine != "product":
            raise ParameterError(f"fit_unpaired needs combine='product'; got combine={self.combine!r}, whose stacker "
                                 "is fitted on paired samples. Use fit(x1, x2, y), or combine='product'.")
        t0 = time.perf_counter()
        b1, b2 = as_samples(y1, "y1"), as_samples(y2, "y2")
        check_same_length(x1=as_samples(x1, "x1"), y1=b1)
        check_same_length(x2=as_samples(x2, "x2"), y2=b2)
        c1, c2 = np.unique(b1), np.unique(b2)
        if c1.size != c2.size or not np.array_equal(c1, c2):
            raise InputError(f"y1 has classes {c1.tolist()} and y2 {c2.tolist()}; late fusion multiplies the two "
                             "posteriors class by class, so both labeled sets need the same classes.")
        m1, m2 = self._networks()
        m1.fit(x1, None, b1)
        m2.fit(None, x2, b2)
        self._set_models(m1, m2, np.concatenate([b1, b2]))
        self.stacker_ = None
        self._finish(t0)
        return self

    def _set_models(self, m1: FusionClassifier, m2: FusionClassifier, labels: np.ndarray) -> None:
        if not np.array_equal(m1.classes_, m2.classes_):
            raise InputError(f"the X1 and X2 models saw different classes ({m1.classes_.tolist()} vs "
                             f"{m2.classes_.tolist()}); every class needs samples in both training sets.")
        self.model1_, self.model2_ = m1, m2
        self.classes_ = m1.classes_
        counts = np.array([np.sum(labels == c) for c in self.classes_], dtype=np.float64)
        self.log_prior_ = np.log(counts / counts.sum())

    def _finish(self, t0: float) -> None:
        stack = 0 if self.stacker_ is None else self.stacker_.coef_.size + self.stacker_.intercept_.size
        self.n_parameters_ = int(self.model1_.n_parameters_ + self.model2_.n_parameters_ + stack)
        self.fit_time_s_ = time.perf_counter() - t0

    # ----------------------------------------------------------------------------- predict
    def _check_fitted(self) -> None:
        if not hasattr(self, "model1_"):
            raise NotFittedError(f"This LateFusion(combine={self.combine!r}) is not fitted yet; call fit(x1, x2, y) "
                                 "or fit_unpaired(x1, y1, x2, y2) first.")

    def _log_probs(self, x1: Any, x2: Any) -> np.ndarray:
        if x1 is None or x2 is None:
            raise ParameterError("late fusion predicts from both modalities; got None for "
                                 f"{'x1' if x1 is None else 'x2'}. Use model1_ or model2_ for one modality.")
        p1 = self.model1_.predict_proba(x1, None)
        p2 = self.model2_.predict_proba(None, x2)
        check_same_length(x1=p1, x2=p2)
        return np.hstack([np.log(np.maximum(p1, PROBA_FLOOR)), np.log(np.maximum(p2, PROBA_FLOOR))])

    def predict_proba(self, x1: Any, x2: Any) -> np.ndarray:
        """Class probabilities, shape (n, len(classes_)), columns in ``classes_`` order."""
        self._check_fitted()
        logs = self._log_probs(x1, x2)
        if self.stacker_ is not None:
            return self.stacker_.predict_proba(logs)
        k = self.classes_.size
        z = logs[:, :k] + logs[:, k:] - self.log_prior_[None, :]
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)
