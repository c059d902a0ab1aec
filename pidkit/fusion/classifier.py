"""``FusionClassifier``: every fusion network of the zoo behind one scikit-learn-style estimator.

One training loop serves all networks: a stratified validation split, Adam on minibatches of
``cross_entropy + Σ auxiliary losses``, the validation cross-entropy checked after every epoch,
the best weights kept, and training stopped after ``patience`` epochs without improvement.
"""

from __future__ import annotations

import copy
import math
import time
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .._training import (
    check_fraction,
    check_layer_widths,
    check_non_negative,
    numeric_features,
    progress_bar,
    require_torch,
    resolve_device,
    stratified_split,
)
from .._validation import as_samples, check_positive_float, check_positive_int, check_same_length, seed_from
from ..discretize import Discretizer
from ..exceptions import InputError, NotFittedError, ParameterError, SolverError
from .registry import FUSION_OPTIONS, get_fusion

__all__ = ["FusionClassifier", "TwoModalityPredictions"]

#: Samples per forward pass when predicting (bounds peak memory).
PREDICT_CHUNK = 8192


def _check_option(name: str, value: Any) -> Any:
    if name in ("reg_weight",):
        return check_non_negative(name, value)
    if name == "temperature":
        return check_positive_float(name, value)
    return check_positive_int(name, value)


class TwoModalityPredictions:
    """``predict`` and ``score`` of every zoo model, from its ``predict_proba(x1, x2)`` and ``classes_``."""

    def predict(self, x1: Any, x2: Any) -> np.ndarray:
        """The most probable class of each sample (values from ``classes_``)."""
        proba = self.predict_proba(x1, x2)  # first: it says when the model is not fitted
        return self.classes_[proba.argmax(1)]

    def score(self, x1: Any, x2: Any, y: Any) -> float:
        """Accuracy of :meth:`predict` against ``y``."""
        pred = self.predict(x1, x2)
        ay = as_samples(y, "y")
        check_same_length(x1=pred, y=ay)
        return float(np.mean(pred == ay))


class FusionClassifier(TwoModalityPredictions, ClassifierMixin, BaseEstimator):
    """A two-modality classifier from the fusion zoo, scikit-learn style.

    ``fit(x1, x2, y)`` / ``predict_proba(x1, x2)`` / ``predict`` / ``score``; ``get_params`` /
    ``set_params`` and :func:`sklearn.base.clone` work as for any scikit-learn estimator.

    Parameters
    ----------
    fusion : str, default "early"
        The fusion network, one of :func:`pidkit.fusion.available_models` (``"early"``,
        ``"additive"``, ``"agreement"``, ``"alignment"``, ``"elementwise"``, ``"tensor"``,
        ``"lowrank"``, ``"mi"``, ``"transformer"``, ``"reconstruction"``, ``"lower"``), or one
        modality alone (``"x1-only"``, ``"x2-only"``: the other modality may be ``None`` in
        ``fit`` / ``predict_proba``).
    hidden : tuple of int, default (64,)
        Hidden widths of each modality's encoder MLP.
    embed_dim : int, default 32
        Size h of each modality's embedding (and of the fused classifier's hidden layer).
    epochs : int, default 100
        Maximum passes over the training split.
    patience : int, default 10
        Early stopping: epochs without a lower validation cross-entropy before stopping.
    batch_size : int, default 256
    lr : float, default 1e-3
        Adam learning rate.
    weight_decay : float, default 0.0
    validation_size : float, default 0.2
        Fraction of the samples (stratified by class) held out for early stopping.
    reg_weight, temperature, rank, n_tokens, n_heads : optional
        Fusion-specific options (``None`` = the network's default): ``reg_weight`` for
        ``"agreement"`` (0.5), ``"alignment"`` (0.1) and ``"reconstruction"`` (1.0);
        ``temperature`` of the alignment's InfoNCE (0.1); ``rank`` of ``"lowrank"`` (4);
        ``n_tokens`` (4) and ``n_heads`` (4; must divide ``embed_dim``) of ``"transformer"``.
        Setting one the chosen network does not take raises :class:`~pidkit.exceptions.ParameterError`.
    device : {"auto", "cpu", "cuda", "cuda:<i>"}, default "auto"
        CUDA when available, else the CPU.
    random_state : int, numpy Generator or None
        Seeds the split, the initialization and the minibatch order: the same seed gives the
        same probabilities (on the same device).
    progress : bool, default False
        Show a tqdm progress bar over epochs.

    Attributes
    ----------
    classes_ : ndarray
        The class labels; ``predict_proba`` columns follow this order.
    n_features_in_ : tuple of int
        ``(d1, d2)`` seen in ``fit``.
    network_ : torch.nn.Module
        The trained network (on ``device_``, in eval mode).
    device_ : str
    history_ : list of dict
        Per epoch: ``train_loss`` (cross-entropy + auxiliary losses), ``val_loss`` (cross-entropy),
        ``val_accuracy``, and the auxiliary losses by name.
    best_epoch_ : int
        The epoch whose weights were kept (1-based).
    n_epochs_ : int
        Epochs run.
    fit_time_s_ : float
    n_parameters_ : int
        Trainable parameters of the network (a cost measure next to ``fit_time_s_``).

    Examples
    --------
    >>> from pidkit.fusion import FusionClassifier
    >>> from pidkit.synthetic import suite_data
    >>> x1, x2, y = suite_data("S", n=3000, dim=8)     # label: XOR of one factor per modality
    >>> model = FusionClassifier(fusion="tensor", random_state=0).fit(x1[:2000], x2[:2000], y[:2000])
    >>> model.score(x1[2000:], x2[2000:], y[2000:]) > 0.85       # the Bayes accuracy is 0.91
    True
    >>> model.predict_proba(x1[:2], x2[:2]).shape
    (2, 2)
    """

    def __init__(
        self,
        fusion: str = "early",
        *,
        hidden: tuple[int, ...] = (64,),
        embed_dim: int = 32,
        epochs: int = 100,
        patience: int = 10,
        batch_size: int = 256,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        validation_size: float = 0.2,
        reg_weight: float | None = None,
        temperature: float | None = None,
        rank: int | None = None,
        n_tokens: int | None = None,
        n_heads: int | None = None,
        device: Any = "auto",
        random_state: Any = None,
        progress: bool = False,
    ):
        self.fusion = fusion
        self.hidden = hidden
        self.embed_dim = embed_dim
        self.epochs = epochs
        self.patience = patience
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.validation_size = validation_size
        self.reg_weight = reg_weight
        self.temperature = temperature
        self.rank = rank
        self.n_tokens = n_tokens
        self.n_heads = n_heads
        self.device = device
        self.random_state = random_state
        self.progress = progress

    # ------------------------------------------------------------------------ parameters
    def _settings(self) -> dict[str, Any]:
        """Validated parameters and the network's options (defaults filled in)."""
        info = get_fusion(self.fusion)
        s = {
            "hidden": check_layer_widths("hidden", self.hidden),
            "embed_dim": check_positive_int("embed_dim", self.embed_dim),
            "epochs": check_positive_int("epochs", self.epochs),
            "patience": check_positive_int("patience", self.patience),
            "batch_size": check_positive_int("batch_size", self.batch_size),
            "lr": check_positive_float("lr", self.lr),
            "weight_decay": check_non_negative("weight_decay", self.weight_decay),
            "validation_size": check_fraction("validation_size", self.validation_size),
        }
        if not isinstance(self.progress, (bool, np.bool_)):
            raise ParameterError(f"progress must be True or False; got {self.progress!r}.")
        options = dict(info.options)
        for name in FUSION_OPTIONS:
            value = getattr(self, name)
            if value is None:
                continue
            if name not in info.options:
                takes = sorted(info.options) or "no fusion-specific options"
                raise ParameterError(
                    f"{name}={value!r} does not apply to fusion={self.fusion!r}, which takes {takes}. Leave it None, "
                    "or pick a fusion that uses it."
                )
            options[name] = _check_option(name, value)
        if "n_heads" in options and s["embed_dim"] % options["n_heads"]:
            raise ParameterError(
                f"n_heads={options['n_heads']} must divide embed_dim={s['embed_dim']} (each attention head gets "
                "embed_dim / n_heads dimensions); change one of them."
            )
        s["options"] = options
        s["info"] = info
        return s

    # ----------------------------------------------------------------------------- inputs
    def _features(self, x1: Any, x2: Any) -> tuple[np.ndarray, np.ndarray]:
        inputs = get_fusion(self.fusion).inputs
        if inputs != "x1+x2":  # a unimodal network: the other modality may be None and is never read
            used, other = ("x1", "x2") if inputs == "x1" else ("x2", "x1")
            given = {"x1": x1, "x2": x2}
            if given[used] is None:
                raise ParameterError(f"fusion={self.fusion!r} predicts from {used}; got {used}=None. Pass {used}'s "
                                     f"features ({other} may be None).")
            a = numeric_features(as_samples(given[used], used), used, who="a fusion model", instead="")
            if given[other] is not None:
                check_same_length(**{used: a, other: as_samples(given[other], other)})
            blank = np.zeros((a.shape[0], 1))  # a placeholder the network ignores
            return (a, blank) if inputs == "x1" else (blank, a)
        for name, value in (("x1", x1), ("x2", x2)):
            if value is None:
                raise ParameterError(f"fusion={self.fusion!r} reads both modalities; got {name}=None. Pass both, "
                                     "or use fusion='x1-only' / 'x2-only' for one modality.")
        a1, a2 = as_samples(x1, "x1"), as_samples(x2, "x2")
        check_same_length(x1=a1, x2=a2)
        return tuple(
            numeric_features(a, m, who="a fusion model", instead="") for a, m in ((a1, "x1"), (a2, "x2"))
        )

    def _check_fitted(self) -> None:
        if not hasattr(self, "network_"):
            raise NotFittedError(
                f"This FusionClassifier(fusion={self.fusion!r}) is not fitted yet; call fit(x1, x2, y) first."
            )

    # -------------------------------------------------------------------------------- fit
    def fit(self, x1: Any, x2: Any, y: Any) -> FusionClassifier:
        """Train on paired samples; returns ``self``.

        Parameters
        ----------
        x1, x2 : array-like, shape (n, d1) and (n, d2)
            Numeric features (1-D arrays are one feature).
        y : array-like, shape (n,)
            Discrete class labels (at least two classes).
        """
        s = self._settings()
        f1, f2 = self._features(x1, x2)
        ay = as_samples(y, "y")
        check_same_length(x1=f1, x2=f2, y=ay)
        codes, classes = Discretizer().encode_labels(ay)
        if classes.size < 2:
            raise InputError(
                f"y has a single class ({classes[0]!r}) in all {codes.size} samples; a classifier needs at least two "
                "classes. Check the labels (or the subset passed to fit)."
            )
        torch = require_torch("the fusion models (pidkit.fusion)", "use pidkit.model_pid with your own model")
        s["network"] = s["info"].load()
        device = resolve_device(torch, self.device)
        rng = np.random.default_rng(seed_from(self.random_state))
        tr, va, _ = stratified_split(codes, s["validation_size"], 0.0, rng)
        t0 = time.perf_counter()
        fork = [device.index or 0] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=fork):
            torch.manual_seed(int(rng.integers(2**31 - 1)))
            self._train(torch, s, f1, f2, codes, classes.size, tr, va, device, rng)
        self.classes_ = classes
        self.n_features_in_ = (f1.shape[1], f2.shape[1])
        self.device_ = str(device)
        self.fit_time_s_ = time.perf_counter() - t0
        self.n_parameters_ = int(sum(p.numel() for p in self.network_.parameters()))
        return self

    def _train(self, torch, s, f1, f2, codes, n_classes, tr, va, device, rng) -> None:
        from ..estimators._batch_models import feature_stats

        F = torch.nn.functional
        X1 = torch.as_tensor(f1, dtype=torch.float32, device=device)
        X2 = torch.as_tensor(f2, dtype=torch.float32, device=device)
        Y = torch.as_tensor(codes, dtype=torch.long, device=device)
        itr = torch.as_tensor(tr, device=device)
        net = s["network"](
            f1.shape[1], f2.shape[1], n_classes, hidden=s["hidden"], embed_dim=s["embed_dim"],
            stats1=feature_stats(X1[itr]), stats2=feature_stats(X2[itr]), **s["options"],
        ).to(device)
        opt = torch.optim.Adam(net.parameters(), lr=s["lr"], weight_decay=s["weight_decay"])
        bs = min(s["batch_size"], tr.size)
        iva = torch.as_tensor(va, device=device)
        history: list[dict[str, float]] = []
        best, best_state, best_epoch, bad = math.inf, copy.deepcopy(net.state_dict()), 0, 0
        bar = progress_bar(self.progress, s["epochs"], f"fit {self.fusion}")
        for epoch in range(1, s["epochs"] + 1):
            net.train()
            totals: dict[str, float] = {}
            steps = 0
            for b in np.array_split(rng.permutation(tr), max(1, math.ceil(tr.size / bs))):
                idx = torch.as_tensor(b, device=device)
                logits, aux = net(X1[idx], X2[idx])
                loss = F.cross_entropy(logits, Y[idx])
                terms = {"cross_entropy": loss.item()}
                for name, term in aux.items():
                    loss = loss + term
                    terms[name] = term.item()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                steps += 1
                for name, v in {"train_loss": loss.item(), **terms}.items():
                    totals[name] = totals.get(name, 0.0) + v
            row = {"epoch": epoch, **{k: v / steps for k, v in totals.items()}}
            if va.size:
                val_logits = self._logits(torch, net, X1[iva], X2[iva])
                row["val_loss"] = F.cross_entropy(val_logits, Y[iva]).item()
                row["val_accuracy"] = (val_logits.argmax(1) == Y[iva]).double().mean().item()
            score = row.get("val_loss", row["train_loss"])
            if not math.isfinite(score):
                raise SolverError(
                    f"training of fusion={self.fusion!r} diverged: loss {score} at epoch {epoch}. Expected finite "
                    "losses; lower lr, or check the features for huge values."
                )
            history.append(row)
            if bar is not None:
                bar.update()
                bar.set_postfix(val_loss=f"{score:.4f}")
            if score < best - 1e-4 * max(1.0, abs(best)) or best == math.inf:
                best, best_state, best_epoch, bad = score, copy.deepcopy(net.state_dict()), epoch, 0
            else:
                bad += 1
                if bad >= s["patience"]:
                    break
        if bar is not None:
            bar.close()
        net.load_state_dict(best_state)
        net.eval()
        self.network_ = net
        self.history_ = history
        self.best_epoch_ = best_epoch
        self.n_epochs_ = len(history)

    @staticmethod
    def _logits(torch, net, x1, x2):
        was_training = net.training
        net.eval()
        with torch.no_grad():
            out = torch.cat([net(x1[c : c + PREDICT_CHUNK], x2[c : c + PREDICT_CHUNK])[0]
                             for c in range(0, x1.shape[0], PREDICT_CHUNK)])
        net.train(was_training)
        return out

    # ---------------------------------------------------------------------------- predict
    def predict_proba(self, x1: Any, x2: Any) -> np.ndarray:
        """Class probabilities, shape (n, len(classes_)), columns in ``classes_`` order (float64)."""
        self._check_fitted()
        f1, f2 = self._features(x1, x2)
        got = (f1.shape[1], f2.shape[1])
        if got != tuple(self.n_features_in_):
            raise InputError(
                f"the model was fitted on {self.n_features_in_[0]} + {self.n_features_in_[1]} features; got "
                f"{got[0]} + {got[1]}. Pass features shaped like those given to fit."
            )
        import torch

        dev = torch.device(self.device_)
        logits = self._logits(torch, self.network_, torch.as_tensor(f1, dtype=torch.float32, device=dev),
                              torch.as_tensor(f2, dtype=torch.float32, device=dev))
        proba = torch.softmax(logits.double(), dim=1).cpu().numpy()
        if not np.isfinite(proba).all():
            raise SolverError(
                f"fusion={self.fusion!r} produced non-finite probabilities for "
                f"{int((~np.isfinite(proba)).any(1).sum())} "
                "samples; check the inputs for huge values (they are cast to float32) or refit with a lower lr."
            )
        return proba


