"""BATCH: PID of continuous, high-dimensional modalities from minibatch couplings (thesis §3.2.2).

The exact estimator needs a discrete joint table; clustering an embedding into a few dozen
states throws information away. BATCH instead works on the samples:

1. Three classifiers estimate p(y|x1), p(y|x2) and p(y|x1,x2) (small MLPs trained with early
   stopping and temperature-calibrated on a validation split, or supplied by the user).
2. On a minibatch of m samples, the minibatch itself is the empirical distribution of each
   modality, so p(x1_i, y) ≈ p̂(y|x1_i)/m and p(x2_j, y) ≈ p̂(y|x2_j)/m. These two tables are
   first made to share one label marginal (:func:`~._batch_models.consistent_targets`).
3. Per label y, encoders give logits ``f1(x1_i)[y]·f2(x2_j)[y]``; a differentiable log-domain
   Sinkhorn projection (:func:`pidkit.kernels.sinkhorn.sinkhorn_projection`) turns them into a
   coupling q on (i, j, y) with exactly those pairwise marginals — a point of the minibatch's
   Δ_p. The encoders are trained to minimise I_q(X1,X2;Y) over minibatches (the BROJA program,
   amortized over batches).
4. On held-out minibatches the atoms are read off the learned q:
   ``R = I(X1;Y) + I(X2;Y) − I_q``, ``U1 = I_q − I(X2;Y)``, ``U2 = I_q − I(X1;Y)``,
   ``S = I(X1,X2;Y) − I_q``, with I(Xk;Y) from the (consistent) classifier tables and
   I(X1,X2;Y) from the multimodal classifier, so ``R + U1 + U2 + S = I(X1,X2;Y)`` holds by
   construction. Their spread across batches is reported in ``diagnostics.atom_std``.

Small data and well-separated classes (the choices that keep them working):

* Classifier probabilities are floored at ``PROBA_FLOOR`` (1e-12). On separable validation data the
  fitted temperature sharpens the logits up to e^3-fold, so probabilities like e^-340 occur; their
  minibatch targets p/m are subnormal or 0 in float32, and the projection's backward divided by
  them (``1/r = inf``): NaN gradients, NaN encoder weights and, one step later, "logits contains
  NaN". The floor changes no information measurably (< 1e-10 bits); the projection's backward
  itself now also treats such rows as massless (:mod:`pidkit.kernels.sinkhorn`). A non-finite loss
  or gradient would stop training with a :class:`~pidkit.exceptions.SolverError` naming the step.
* An epoch is at least ``MIN_STEPS_PER_EPOCH`` optimizer steps: on a training split of one or two
  batches the classifiers use smaller minibatches (at least ``MIN_CLASSIFIER_BATCH``) and the
  coupling, whose minibatch size sets its bias, makes several passes.
* The read-out batches are as large as ``batch_size`` allows; a held-out split no larger than a
  batch is one batch for the estimate, and its spread (for ``ci=``) comes from disjoint
  sub-batches (:func:`readout_plan`; :meth:`BatchEstimator.check_intervals` checks before training
  that intervals can be formed).
* torch's threads never exceed the cores that other processes leave idle (``threads="auto"``).

torch is imported only when the estimator runs (``pip install 'pidkit[torch]'``).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
import warnings
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np

from .._threads import check_threads
from .._training import (
    TORCH_AUTO_THREADS,
    ThreadBudget,
    check_fraction,
    check_layer_widths,
    check_non_negative,
    numeric_features,
    progress_bar,
    require_torch,
    resolve_device,
    resolve_progress,
    stratified_split,
    user_stacklevel,
)
from .._validation import check_keys, check_option, check_positive_float, check_positive_int, check_units, seed_from
from ..exceptions import (
    ConvergenceWarning,
    InputError,
    NegativeAtomWarning,
    ParameterError,
    SolverError,
)
from ..result import ATOMS, Diagnostics, PIDResult
from .registry import register_estimator

__all__ = ["BatchEstimator", "MIN_SAMPLES"]

log = logging.getLogger("pidkit.batch")

#: Fewer samples than this cannot be split into train / validation / held-out batches.
MIN_SAMPLES = 20
_CLASSIFIER_KEYS = ("x1", "x2", "joint")
#: Atoms below minus this many bits get a NegativeAtomWarning (smaller ones are numerical zeros).
NEGATIVE_ATOM_TOL = 1e-3
#: Fewest optimizer steps in one epoch (classifiers and coupling). On a training split of a few
#: batches an epoch would otherwise be one or two Adam steps, and early stopping would end
#: training after a few dozen: the classifiers shrink their minibatch (never below
#: MIN_CLASSIFIER_BATCH), the coupling, whose minibatch size sets its bias, makes several passes.
MIN_STEPS_PER_EPOCH = 8
MIN_CLASSIFIER_BATCH = 32
#: Read-out: the held-out split smaller than batch_size is one batch for the estimate, and is cut into
#: at most MAX_SPREAD_SPLIT disjoint sub-batches of at least MIN_READOUT_BATCH samples for the spread.
MIN_READOUT_BATCH = 8
MAX_SPREAD_SPLIT = 4


def _split_sizes(n_c: int, val_frac: float, test_frac: float) -> tuple[int, int, int]:
    """(train, validation, test) sizes of a class of ``n_c`` samples, as :func:`stratified_split` cuts it."""
    n_te, n_va = int(round(n_c * test_frac)), int(round(n_c * val_frac))
    while n_te + n_va >= n_c and (n_te or n_va):
        if n_te >= n_va:
            n_te -= 1
        else:
            n_va -= 1
    return n_c - n_te - n_va, n_va, n_te


def min_class_size(validation_size: float, test_size: float) -> int:
    """Fewest samples a class needs for the stratified split to put one in each of its three parts."""
    n = 3
    while min(_split_sizes(n, validation_size, test_size)) < 1:
        n += 1
    return n


def _batches(idx: np.ndarray, size: int) -> list[np.ndarray]:
    """``idx`` cut into ceil(len/size) nearly equal minibatches (none smaller than size/2)."""
    k = max(1, math.ceil(idx.size / size))
    return [b for b in np.array_split(idx, k) if b.size]


def classifier_batch_size(batch_size: int, n_train: int) -> int:
    """The classifiers' minibatch: ``batch_size``, shrunk so that an epoch has MIN_STEPS_PER_EPOCH steps."""
    return max(1, min(batch_size, n_train, max(MIN_CLASSIFIER_BATCH, n_train // MIN_STEPS_PER_EPOCH)))


def _class_counts(labels: Any, n: int) -> np.ndarray | None:
    """Sample counts of the label values present (None when ``labels`` is None or cannot be counted)."""
    if labels is None:
        return None
    a = np.asarray(labels)
    if a.shape[:1] != (n,):
        raise InputError(f"labels must hold one label per sample: expected {n}; got shape {a.shape}.")
    a = a.reshape(n, -1)
    try:
        _, counts = np.unique(a[:, 0] if a.shape[1] == 1 else a, axis=None if a.shape[1] == 1 else 0,
                              return_counts=True)
    except TypeError:  # mixed object labels that do not sort: fall back to the test_size estimate
        return None
    return counts


def readout_plan(n_test: int, batch_size: int, readout_batches: int) -> dict[str, int]:
    """How the held-out split of ``n_test`` samples is read out (see ``BatchEstimator._read_out``).

    Returns ``batch_size`` (of the read-out batches that give the estimate), ``batches`` (how
    many), ``spread_split`` (disjoint sub-batches per re-shuffle that give the spread when the split
    is a single batch; 0 when the batches themselves give it, or when the split is too small for
    two sub-batches of MIN_READOUT_BATCH) and ``spread`` (1 if a spread can be reported, else 0).
    """
    m = max(1, min(batch_size, n_test))
    if n_test > m:  # several batches of m: they give both the estimate and its spread
        per_pass = len(_batches(np.arange(n_test), m))
        return {"batch_size": m, "batches": per_pass * math.ceil(readout_batches / per_pass), "spread_split": 0,
                "spread": 1}
    k = min(MAX_SPREAD_SPLIT, n_test // MIN_READOUT_BATCH)
    return {"batch_size": m, "batches": 1, "spread_split": k if k >= 2 else 0, "spread": int(k >= 2)}


def _epoch_batches(idx: np.ndarray, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One coupling epoch: reshuffled passes over ``idx`` until there are MIN_STEPS_PER_EPOCH minibatches."""
    out: list[np.ndarray] = []
    while len(out) < MIN_STEPS_PER_EPOCH:
        out += _batches(rng.permutation(idx), size)
    return out


@dataclass
class _RunState:
    """What the three phases of one BATCH fit share: data on the device, splits, classifier outputs."""

    torch: Any
    bm: Any
    device: Any
    dtype: Any
    rng: np.random.Generator
    k: int
    shape: tuple[int, int, int]
    X1: Any
    X2: Any
    Y: Any  # classifier targets: label codes (long), or a model's class probabilities (soft labels)
    tr: np.ndarray
    va: np.ndarray
    te: np.ndarray
    log_pi: Any
    threads: Any = None  # the ThreadBudget of this fit
    logp: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def targets(self, idx, *, joint: bool):
        """The consistent minibatch tables of samples ``idx`` (x1, x2 and, if ``joint``, the pair)."""
        keys = ("x1", "x2", "joint") if joint else ("x1", "x2")
        return self.bm.consistent_targets([self.logp[key][idx] for key in keys], self.log_pi)


#: the constructor's options (validated into ``BatchEstimator._opts`` at estimate time)
_OPTIONS = ("device", "dtype", "batch_size", "epochs", "patience", "classifiers", "classifier_epochs",
            "classifier_patience", "hidden", "embed_dim", "max_logit", "lr", "weight_decay", "validation_size",
            "test_size", "readout_batches", "sinkhorn_tol", "sinkhorn_max_iter", "progress", "stack_unimodal",
            "threads")


@register_estimator("batch")
class BatchEstimator:
    """PID of continuous, high-dimensional modalities by minibatch couplings (``estimator="batch"``).

    Parameters
    ----------
    device : {"auto", "cpu", "cuda", "cuda:<i>"} or torch.device
        ``"auto"`` runs on CUDA when available, else on the CPU (same code, same numbers up to
        floating point).
    dtype : {"float32", "float64"}
        Precision of the networks and the Sinkhorn projection (targets and read-out are float64).
    batch_size : int, default 512
        Minibatch size m. The coupling of a batch has m·m·|Y| entries (memory O(m²|Y|)); larger
        m approximates the population coupling better and lowers the spread across batches.
    epochs : int, default 40
        Maximum passes over the training split for the coupling encoders.
    patience : int, default 5
        Early stopping: epochs without improvement of the validation objective.
    classifiers : dict, tuple or None
        User-supplied p̂(y|x1), p̂(y|x2), p̂(y|x1,x2): a dict with any of the keys ``"x1"``,
        ``"x2"``, ``"joint"`` (missing ones are trained) or a 3-tuple in that order. Each is a
        callable or torch module called under ``torch.no_grad()`` with torch tensors of raw
        features on ``device`` in ``dtype`` — ``f(x1)``, ``f(x2)``, ``f(x1, x2)`` — returning class
        probabilities of shape (b, |Y|) (tensor or array), columns in the order of the label codes
        (sorted label values, see ``Discretizer.encode_labels``). Rows must sum to 1 within 1e-3;
        exact zeros are raised to 1e-12 and counted in the notes. (The same role as
        ``classifiers`` of :func:`~pidkit.bounds.estimate_synergy_bounds`, where they are
        scikit-learn estimators.)
    classifier_epochs : int, default 100
        Maximum epochs of each trained classifier (early stopping on validation NLL).
    classifier_patience : int, default 8
    hidden : tuple of int, default (128, 128)
        Hidden layer widths of every MLP (classifiers and encoders).
    embed_dim : int, default 32
        Per-label embedding size of the coupling encoders (rank of the log-interactions).
    max_logit : float, default 8.0
        Soft bound B on the coupling logits (``B·tanh(·/B)``): cells can be pushed to relative
        mass ~e^(-2B) (a zero for information purposes, < 1e-6 bits) but not to exactly 0, which
        keeps every Sinkhorn projection fast and well conditioned.
    lr : float, default 1e-3
        Adam learning rate (classifiers and encoders).
    weight_decay : float, default 0.0
    validation_size, test_size : float, default 0.2 each
        Fractions of the samples held out (stratified by label) for early stopping /
        calibration, and for reading out the atoms.
    readout_batches : int, default 16
        Minimum number of held-out minibatches the atoms are averaged over (the held-out split
        is re-shuffled until there are this many). A held-out split no larger than ``batch_size``
        is one batch for the estimate (smaller batches would raise the coupling's minibatch
        bias), and its spread comes from at least this many disjoint sub-batches (2 to 4 per
        re-shuffle, at least 8 samples each), so ``ci=`` works from 16 held-out samples on
        (:meth:`check_intervals`).
    sinkhorn_tol : float, optional
        Marginal tolerance of the projection (L1 violation); default by dtype, see
        :func:`pidkit.kernels.sinkhorn.sinkhorn_projection`.
    sinkhorn_max_iter : int, default 2000
    progress : bool or "auto", default "auto"
        tqdm progress bars (``tqdm.auto``: text on a terminal, a widget in Jupyter) for the
        classifiers and the coupling. ``"auto"``: shown when stderr is a terminal or the code runs
        in a Jupyter kernel and tqdm is installed; never on a pipe or a file. ``True`` always
        (requires tqdm), ``False`` never. Progress also goes to the ``"pidkit.batch"`` logger at
        INFO / DEBUG level.
    stack_unimodal : bool, default True
        Stack the trained multimodal classifier on the unimodal ones: its logits are a fixed
        base — the best on the validation split of log p̂(y|x1), log p̂(y|x2) and their product
        of experts log p̂(y|x1) + log p̂(y|x2) − log p(y) — plus an MLP of (x1, x2) whose last layer
        starts at zero; early stopping keeps the best validation state including the start. So
        the multimodal classifier is never weaker than the unimodal ones (nor their product) on
        the validation NLL, and S is not pushed negative by a weak joint fit. ``False``: a plain
        MLP on (x1, x2), as before.
    threads : int or "auto", default "auto"
        torch's intra-op threads during the fit (restored afterwards). ``"auto"``: torch's current
        setting (``torch.get_num_threads()``) as a ceiling, lowered to the cores that other
        processes leave idle, re-measured before every classifier and coupling epoch
        (:class:`pidkit._training.ThreadBudget`; Linux ``/proc/stat``). On 2 cores with one kept
        busy by another process, 2 threads made fits 10-15x slower than 1: every short parallel
        region waits for a descheduled thread. The threads used are in ``details["threads"]``.

    Notes
    -----
    Results carry ``diagnostics.atom_std`` (spread of every atom across held-out batches) and
    ``diagnostics.details`` (device, split sizes, classifier validation NLL / accuracy /
    temperature, training steps and epochs, final validation objective, Sinkhorn iterations).
    ``result.shape`` is ``(d1, d2, |Y|)``: feature dimensions and number of classes.
    """

    name = "batch"

    def __init__(
        self,
        *,
        device: Any = "auto",
        dtype: str = "float32",
        batch_size: int = 512,
        epochs: int = 40,
        patience: int = 5,
        classifiers: Any = None,
        classifier_epochs: int = 100,
        classifier_patience: int = 8,
        hidden: tuple[int, ...] = (128, 128),
        embed_dim: int = 32,
        max_logit: float = 8.0,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        validation_size: float = 0.2,
        test_size: float = 0.2,
        readout_batches: int = 16,
        sinkhorn_tol: float | None = None,
        sinkhorn_max_iter: int = 2000,
        progress: bool | str = "auto",
        stack_unimodal: bool = True,
        threads: int | str = "auto",
    ):
        self.device = device
        self.dtype = dtype
        self.batch_size = batch_size
        self.epochs = epochs
        self.patience = patience
        self.classifiers = classifiers
        self.classifier_epochs = classifier_epochs
        self.classifier_patience = classifier_patience
        self.hidden = hidden
        self.embed_dim = embed_dim
        self.max_logit = max_logit
        self.lr = lr
        self.weight_decay = weight_decay
        self.validation_size = validation_size
        self.test_size = test_size
        self.readout_batches = readout_batches
        self.sinkhorn_tol = sinkhorn_tol
        self.sinkhorn_max_iter = sinkhorn_max_iter
        self.progress = progress
        self.stack_unimodal = stack_unimodal
        self.threads = threads

    # ------------------------------------------------------------------------ validation
    def _check_params(self) -> None:
        """Validate the options into ``self._opts`` (at estimate time, like every pidkit estimator).

        ``__init__`` only stores the options and estimating never changes them (scikit-learn's
        rule): the validated values (ints, floats, a tuple of widths) live in ``self._opts``,
        which the estimate reads.
        """
        check_option("dtype", self.dtype, ("float32", "float64"))
        o = {name: getattr(self, name) for name in _OPTIONS}
        o["batch_size"] = check_positive_int("batch_size", self.batch_size, minimum=2)
        for name in ("epochs", "patience", "classifier_epochs", "classifier_patience", "embed_dim",
                     "readout_batches", "sinkhorn_max_iter"):
            o[name] = check_positive_int(name, getattr(self, name))
        o["hidden"] = check_layer_widths("hidden", self.hidden)
        o["lr"] = check_positive_float("lr", self.lr)
        o["max_logit"] = check_positive_float("max_logit", self.max_logit)
        o["weight_decay"] = check_non_negative("weight_decay", self.weight_decay)
        for name in ("validation_size", "test_size"):
            o[name] = check_fraction(name, getattr(self, name))
        if o["validation_size"] + o["test_size"] >= 0.9:
            raise ParameterError(
                f"validation_size + test_size = {o['validation_size'] + o['test_size']:.2f} leaves under 10% "
                "of the samples for training; use smaller fractions (defaults 0.2 and 0.2)."
            )
        if self.sinkhorn_tol is not None:
            o["sinkhorn_tol"] = check_positive_float("sinkhorn_tol", self.sinkhorn_tol)
        if not isinstance(self.stack_unimodal, (bool, np.bool_)):
            raise ParameterError(f"stack_unimodal must be True or False; got {self.stack_unimodal!r}.")
        o["threads"] = check_threads(self.threads, auto=TORCH_AUTO_THREADS)
        self._show_progress = resolve_progress(self.progress)
        self._classifier_map()
        self._opts = SimpleNamespace(**o)

    def _classifier_map(self) -> dict[str, Any]:
        c = self.classifiers
        if c is None:
            return {}
        if isinstance(c, dict):
            check_keys("classifiers", c, _CLASSIFIER_KEYS, hint="(p(y|x1), p(y|x2), p(y|x1,x2))")
            out = {k: v for k, v in c.items() if v is not None}
        elif isinstance(c, (tuple, list)) and len(c) == 3:
            out = {k: v for k, v in zip(_CLASSIFIER_KEYS, c, strict=True) if v is not None}
        else:
            raise ParameterError(
                "classifiers must be None, a dict with keys 'x1', 'x2', 'joint', or a 3-tuple "
                f"(p(y|x1), p(y|x2), p(y|x1,x2)); got {type(c).__name__}."
            )
        for k, v in out.items():
            if not callable(v):
                raise ParameterError(
                    f"classifiers[{k!r}] must be callable (function or torch module); got {type(v).__name__}."
                )
        return out

    # -------------------------------------------------------------------------- estimate
    def estimate(self, x1, x2, y, *, discretizer, units: str, random_state=None) -> PIDResult:
        self._check_params()
        codes, categories = discretizer.encode_labels(y)
        self._check_class_sizes(codes, categories)
        return self._estimate(x1, x2, codes, int(categories.size), None, units, random_state)

    def _check_class_sizes(self, codes: np.ndarray, categories: np.ndarray) -> None:
        """Every class present must reach the training, validation and test splits (before any training).

        A class with fewer samples never reaches the validation split that calibrates and stops the
        classifiers, nor the held-out batches the atoms are read from. A constant label is fine (all
        atoms 0), and so are categories of a fitted Discretizer that these samples do not contain.
        """
        counts = np.bincount(codes, minlength=categories.size)
        if np.count_nonzero(counts) < 2:
            return
        need = min_class_size(self._opts.validation_size, self._opts.test_size)
        rare = [(str(categories[c]), int(counts[c])) for c in np.flatnonzero((counts > 0) & (counts < need))]
        if not rare:
            return
        rare.sort()
        listed = ", ".join(f"{name!r} ({n} sample{'s' if n != 1 else ''})" for name, n in rare[:10])
        more = f" and {len(rare) - 10} more" if len(rare) > 10 else ""
        raise InputError(
            f"the 'batch' estimator splits the samples by label into training, validation "
            f"({self._opts.validation_size:g}) and test ({self._opts.test_size:g}) parts, so every class needs at "
            f"least {need} samples; got class(es) {listed}{more}. Drop or merge the rare classes (e.g. into an "
            "'other' class), or use estimator='cvx', which needs no split."
        )

    def estimate_proba(self, x1, x2, proba, *, units: str, random_state=None) -> PIDResult:
        """PID of ``(X1, X2, Ŷ)`` with ``Ŷ ~ proba``: a model's predictive distribution (model PID).

        ``proba`` (n, K), the model's class probabilities on these samples (checked by
        :func:`pidkit.model_pid`), *is* the multimodal classifier: it is not trained. The
        unimodal classifiers are trained on it as soft labels (cross-entropy against the
        probabilities, so they estimate ``E[p_f(y|x1,x2) | x1]`` and ``| x2``), the splits are
        stratified by the argmax, and every minibatch table is moved to the model's mean
        prediction as label marginal.
        """
        self._check_params()
        p = np.asarray(proba, dtype=np.float64)
        return self._estimate(x1, x2, p.argmax(1), p.shape[1], p, units, random_state)

    def check_intervals(self, n_samples: int, level: float | None, method: str = "readout", *,
                        labels: Any = None) -> dict[str, Any]:
        """Check, before any training, that intervals at ``level`` by ``method`` can be formed.

        :func:`pidkit.estimate` calls it with ``ci`` and ``ci_method`` before :meth:`estimate`, so
        that a run that cannot deliver the intervals fails in seconds, not after training.

        Parameters
        ----------
        n_samples : int
            Samples the estimator will get.
        level : float or None
            The confidence level (``ci``); None: nothing to check.
        method : {"readout", "retrain"}
            ``"readout"`` needs at least two read-out batches: a held-out split of at least
            ``2 · MIN_READOUT_BATCH`` (16) samples. ``"retrain"`` refits on half-samples, each of
            which must be trainable: ``n_samples // 2 >= MIN_SAMPLES`` and every class at least twice
            the per-class minimum of the split.
        labels : array-like, optional
            The labels (raw values): the held-out size is then computed exactly, class by class,
            as the stratified split will cut it; without them it is ``round(n_samples · test_size)``.

        Returns
        -------
        dict
            The read-out plan: ``n_test``, ``readout_batch_size``, ``readout_batches``,
            ``spread_batch_size`` and ``spread_batches``.

        Raises
        ------
        ParameterError
            An invalid option (the options are validated here too) or ``method``.
        InputError
            The intervals cannot be formed with these samples; the message says what would work.
        """
        self._check_params()
        n = check_positive_int("n_samples", n_samples)
        check_option("method", method, ("readout", "retrain"))
        counts = _class_counts(labels, n)
        if counts is None:
            n_test = int(round(n * self._opts.test_size))
        else:
            n_test = int(sum(_split_sizes(int(c), self._opts.validation_size, self._opts.test_size)[2] for c in counts))
        plan = readout_plan(max(n_test, 1), self._opts.batch_size, self._opts.readout_batches)
        out = {"n_test": n_test, "readout_batch_size": plan["batch_size"], "readout_batches": plan["batches"],
               "spread_batch_size": (n_test // plan["spread_split"]) if plan["spread_split"] else plan["batch_size"],
               "spread_batches": (plan["spread_split"] * math.ceil(self._opts.readout_batches / plan["spread_split"])
                                  if plan["spread_split"] else plan["batches"])}
        if level is None or (counts is not None and np.count_nonzero(counts) < 2):
            return out  # no intervals asked, or a constant label (every atom exactly 0, intervals [0, 0])
        if method == "readout" and not plan["spread"]:
            need = 2 * MIN_READOUT_BATCH
            frac = min(0.5, need / n) if n else 0.5
            raise InputError(
                f"ci={level:g} with ci_method='readout' needs the spread across at least two held-out read-out batches "
                f"of {MIN_READOUT_BATCH} samples, so at least {need} held-out samples; "
                f"test_size={self._opts.test_size:g} of {n} samples holds out {n_test}. Pass more samples, a larger "
                f"test_size (about {frac:.2f}), or ci_method='retrain' (refits on half-samples)."
            )
        if method == "retrain":
            half = n // 2
            need_class = min_class_size(self._opts.validation_size, self._opts.test_size)
            small = [] if counts is None else [int(c) for c in counts if 0 < c < 2 * need_class]
            if half < MIN_SAMPLES or small:
                got = (f"half-samples of {half}" if half < MIN_SAMPLES else
                       f"a smallest class of {min(small)} (a half-sample may keep fewer than {need_class} of it)")
                raise InputError(
                    f"ci={level:g} with ci_method='retrain' refits BATCH on random half-samples, each needing at least "
                    f"{MIN_SAMPLES} samples and {need_class} per class; got {got}. Pass more samples or use "
                    "ci_method='readout'."
                )
        return out

    def _estimate(self, x1, x2, codes, k, soft, units, random_state) -> PIDResult:
        to_units = check_units(units)
        torch = require_torch()
        t0 = time.perf_counter()
        f1, f2 = (numeric_features(a, m, who="the 'batch' estimator", instead=", or use estimator='cvx', which "
                                   "encodes categories itself") for a, m in ((x1, "x1"), (x2, "x2")))
        n = codes.size
        if n < MIN_SAMPLES:
            raise InputError(
                f"the 'batch' estimator got {n} samples; it needs at least {MIN_SAMPLES} to train classifiers "
                "and hold out batches. Use estimator='cvx' for small discrete data."
            )
        shape = (f1.shape[1], f2.shape[1], k)
        if k < 2:
            return self._constant_label(shape, n, units, time.perf_counter() - t0)
        device = resolve_device(torch, self._opts.device)
        dtype = getattr(torch, self._opts.dtype)
        seed = seed_from(random_state)
        rng = np.random.default_rng(seed)
        fork = [device.index or 0] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=fork), ThreadBudget(torch, self._opts.threads) as threads:
            torch.manual_seed(int(rng.integers(2**31 - 1)))
            return self._run(torch, f1, f2, codes, k, soft, shape, device, dtype, rng, to_units, units, t0, threads)

    def _constant_label(self, shape, n, units, elapsed) -> PIDResult:
        diag = Diagnostics(
            solver="batch", status="optimal", iterations=0, time_s=elapsed,
            notes=("the label takes a single value: I(X1,X2;Y) = 0, so every atom is 0",),
            atom_std=dict.fromkeys((*ATOMS, "total", "I1", "I2"), 0.0),  # exact zeros: intervals [0, 0]
        )
        return PIDResult(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, units, self.name, n, shape, diag)

    def _run(self, torch, f1, f2, codes, k, soft, shape, device, dtype, rng, to_units, units, t0,
             threads) -> PIDResult:
        from . import _batch_models as bm

        tr, va, te = stratified_split(codes, self._opts.validation_size, self._opts.test_size, rng)
        if te.size < 2 or tr.size < 2:
            raise InputError(
                f"splitting {codes.size} samples left {tr.size} for training and {te.size} held out; "
                "need at least 2 each. Pass more samples or a larger test_size."
            )
        # the label marginal every minibatch table is moved to (prior shift): the label frequencies, or the
        # model's mean prediction (floored like a user classifier's zeros, so that its log is finite)
        pi = np.bincount(codes, minlength=k) / codes.size if soft is None else \
            np.maximum(soft, bm.PROBA_FLOOR).mean(0)
        run = _RunState(
            torch=torch, bm=bm, device=device, dtype=dtype, rng=rng, k=k, shape=shape,
            X1=torch.as_tensor(f1, dtype=dtype, device=device), X2=torch.as_tensor(f2, dtype=dtype, device=device),
            Y=torch.as_tensor(codes, dtype=torch.long, device=device) if soft is None else
            torch.as_tensor(soft, dtype=dtype, device=device),
            tr=tr, va=va, te=te, log_pi=torch.log(torch.as_tensor(pi / pi.sum(), dtype=torch.float64, device=device)),
            threads=threads,
        )
        missing = sorted(set(range(k)) - set(np.unique(codes[tr]).tolist()))
        if soft is not None:
            run.notes.append("model PID: the model's probabilities are the multimodal classifier; the unimodal "
                             "classifiers were trained on them as soft labels")
        elif missing:
            run.notes.append(f"label code(s) {missing} have no training sample; their classifier probabilities "
                             "come from the other classes' fits only")
        reports = self._fit_classifiers(run, soft)
        t_classifiers = time.perf_counter() - t0
        model, train = self._train_coupling(run, to_units, units)
        t_coupling = time.perf_counter() - t0 - t_classifiers
        est, atom_std, readout = self._read_out(run, model, to_units)
        self._warn_negative(est, atom_std, units, to_units)

        details = {
            "time_s": {"classifiers": t_classifiers, "coupling": t_coupling,
                       "readout": time.perf_counter() - t0 - t_classifiers - t_coupling},
            "device": str(device),
            "dtype": self._opts.dtype,
            "threads": list(threads.history) or [torch.get_num_threads()],
            "n_train": int(tr.size), "n_validation": int(va.size), "n_test": int(te.size),
            "batch_size": train["batch_size"], "readout_batch_size": readout["batch_size"],
            "readout_batches": readout["batches"], "readout_spread_batch_size": readout["spread_batch_size"],
            "readout_spread_batches": readout["spread_batches"],
            "classifiers": {key: r.to_dict() for key, r in reports.items()},
            "coupling_epochs": train["epochs"], "coupling_steps": train["steps"],
            "stopped_early": train["stopped_early"],
            "validation_I_q": train["history"],
            "sinkhorn_iterations_train_mean": train["sinkhorn_iterations_mean"],
            "sinkhorn_iterations_readout_mean": readout["sinkhorn_iterations_mean"],
            "readout_newton_polished": readout["polished"],
            "readout_max_abs_logit": readout["max_abs_logit"],
        }
        diag = Diagnostics(
            solver=f"batch/torch-{device.type}",
            status="early_stopped" if train["stopped_early"] else "max_epochs",
            iterations=train["steps"],
            max_marginal_violation=readout["marginal_error"],
            duality_gap=None,
            time_s=time.perf_counter() - t0,
            discretization=None,
            notes=tuple(run.notes),
            atom_std=atom_std,
            details=details,
        )
        return PIDResult(
            est["R"], est["U1"], est["U2"], est["S"], est["total"], est["I1"], est["I2"],
            units, self.name, int(codes.size), shape, diag,
        )

    # ------------------------------------------------------------------------------ phases
    def _fit_classifiers(self, run: _RunState, soft: np.ndarray | None) -> dict[str, Any]:
        """Phase 1: p̂(y|x1), p̂(y|x2), p̂(y|x1,x2) — trained or the user's; log-probabilities of all samples.

        With a model's probabilities ``soft`` (model PID) the multimodal classifier is a lookup into them.
        """
        torch, bm, k, Y = run.torch, run.bm, run.k, run.Y
        it = {name: torch.as_tensor(ix, device=run.device) for name, ix in (("tr", run.tr), ("va", run.va))}
        user = self._classifier_map()
        inputs = {"x1": (run.X1,), "x2": (run.X2,), "joint": (run.X1, run.X2)}
        if soft is not None:
            if "joint" in user:
                raise ParameterError(
                    "classifiers['joint'] cannot be given for a model PID: the model's probabilities are the "
                    "multimodal classifier. Pass only 'x1' / 'x2' classifiers, or none."
                )
            table = torch.as_tensor(soft, dtype=torch.float64, device=run.device)
            user = {**user, "joint": lambda i: table[i]}
            inputs["joint"] = (torch.arange(soft.shape[0], device=run.device),)
        reports, floored = {}, {}
        for key in _CLASSIFIER_KEYS:
            run.threads.update()
            sel_va = tuple(x[it["va"]] for x in inputs[key])
            if key in user:
                fn, reports[key] = bm.wrap_user_classifier(user[key], key, k, sel_va, Y[it["va"]])
                if soft is not None and key == "joint":
                    reports[key] = dataclasses.replace(reports[key], source="model")
                run.logp[key] = fn(*inputs[key])
                if fn.floored[0]:
                    run.notes.append(f"classifiers[{key!r}] returned {fn.floored[0]} exact zero probabilities; they "
                                     f"were raised to {bm.PROBA_FLOOR:g} so that every log is finite")
            else:
                base, base_name = (None, "")
                if key == "joint" and self._opts.stack_unimodal:
                    base, base_name = self._stack_base(run, it["va"])
                bar = progress_bar(self._show_progress, self._opts.classifier_epochs, f"classifier {key}")
                fn, reports[key] = bm.fit_classifier(
                    tuple(x[it["tr"]] for x in inputs[key]), Y[it["tr"]], sel_va, Y[it["va"]], k,
                    hidden=self._opts.hidden, epochs=self._opts.classifier_epochs,
                    batch_size=classifier_batch_size(self._opts.batch_size, run.tr.size), lr=self._opts.lr,
                    weight_decay=self._opts.weight_decay, patience=self._opts.classifier_patience, rng=run.rng,
                    on_epoch=None if bar is None else bar.update,
                    offset=None if base is None else (base[it["tr"]], base[it["va"]]),
                )
                if bar is not None:
                    bar.close()
                run.logp[key] = fn(*inputs[key], offset=base).to(torch.float64)
                if base is not None:
                    reports[key] = dataclasses.replace(reports[key], stacked_on=base_name)
            run.logp[key], low = bm.floor_log_proba(run.logp[key])
            if low:
                floored[key] = low
            log.info("classifier %s: %s", key, reports[key])
        if floored:
            listed = ", ".join(f"{n} of p̂(y|{'x1,x2' if key == 'joint' else key})" for key, n in floored.items())
            run.notes.append(f"classifier probabilities below {bm.PROBA_FLOOR:g} were raised to it ({listed}; an "
                             "information change below 1e-10 bits) so that the minibatch targets stay representable "
                             f"in {self._opts.dtype}")
        return reports

    @staticmethod
    def _stack_base(run: _RunState, iva) -> tuple[Any, str]:
        """The multimodal classifier's fixed base logits: the best of x1, x2 and their product on validation."""
        torch = run.torch
        lp1, lp2 = run.logp["x1"], run.logp["x2"]
        candidates = {"x1": lp1, "x2": lp2, "product": lp1 + lp2 - run.log_pi[None, :]}
        if iva.numel() == 0:
            name = "product"
        else:
            F = torch.nn.functional
            y = run.Y[iva]
            name = min(candidates, key=lambda c: F.cross_entropy(candidates[c][iva], y.to(torch.long)).item())
        return candidates[name].to(run.dtype), name

    def _project(self, run: _RunState, logits, log_r, log_c):
        from ..kernels.sinkhorn import sinkhorn_projection

        return run.bm.quiet_sinkhorn(
            sinkhorn_projection, logits, log_r.to(run.dtype), log_c.to(run.dtype),
            tol=self._opts.sinkhorn_tol, max_iter=self._opts.sinkhorn_max_iter,
        )

    def _train_coupling(self, run: _RunState, to_units: float, units: str):
        """Phase 2: train the encoders to minimise I_q(X1,X2;Y) over minibatches; early stopping."""
        torch, bm, device, X1, X2, tr, va, rng = run.torch, run.bm, run.device, run.X1, run.X2, run.tr, run.va, run.rng
        model = bm.CouplingModel(
            run.shape[0], run.shape[1], run.k, self._opts.embed_dim, self._opts.hidden,
            bm.feature_stats(X1[torch.as_tensor(tr, device=device)]),
            bm.feature_stats(X2[torch.as_tensor(tr, device=device)]), self._opts.max_logit,
        ).to(device=device, dtype=run.dtype)
        opt = torch.optim.Adam(model.parameters(), lr=self._opts.lr, weight_decay=self._opts.weight_decay)
        m = min(self._opts.batch_size, tr.size)
        val_batches = _batches(va, m) if va.size >= 2 else _batches(tr, m)[:4]
        val_targets = [(torch.as_tensor(b, device=device), run.targets(torch.as_tensor(b, device=device), joint=False))
                       for b in val_batches]

        def val_objective() -> float:
            model.eval()
            with torch.no_grad():
                vals = []
                for b, (t1, t2) in val_targets:
                    log_q, _ = self._project(run, model.logits(X1[b], X2[b]), t1.T, t2.T)
                    vals.append(bm.coupling_information(log_q.to(torch.float64)).item())
            model.train()
            return float(np.mean(vals))

        best, best_state, bad, epochs_run = math.inf, None, 0, 0
        steps, unconverged, train_iters, inexact_grads = 0, 0, 0, 0
        history: list[float] = []
        bar = progress_bar(self._show_progress, self._opts.epochs, "coupling")
        for _ in range(self._opts.epochs):
            epochs_run += 1
            run.threads.update()
            for b in _epoch_batches(tr, m, rng):
                idx = torch.as_tensor(b, device=device)
                t1, t2 = run.targets(idx, joint=False)
                log_q, info = self._project(run, model.logits(X1[idx], X2[idx]), t1.T, t2.T)
                unconverged += not info.converged
                train_iters += info.iterations
                loss = bm.coupling_information(log_q)
                opt.zero_grad(set_to_none=True)
                with warnings.catch_warnings(record=True) as caught:  # an inexact gradient is counted, not fatal
                    warnings.simplefilter("always", ConvergenceWarning)
                    loss.backward()
                inexact_grads += any(issubclass(w.category, ConvergenceWarning) for w in caught)
                self._check_finite_step(torch, model, loss, steps, t1, t2)
                opt.step()
                steps += 1
            val = val_objective()
            history.append(val)
            log.debug("coupling epoch %d: validation I_q = %.6f nats", epochs_run, val)
            if bar is not None:
                bar.update()
                bar.set_postfix(I_q=f"{val / to_units:.4f} {units}")
            if best_state is None or val < best - 1e-4 * max(1e-3, abs(best)):
                best, bad = val, 0
                best_state = {kk: v.detach().clone() for kk, v in model.state_dict().items()}
            else:
                bad += 1
                if bad >= self._opts.patience:
                    break
        if bar is not None:
            bar.close()
        model.load_state_dict(best_state)
        model.eval()
        if unconverged or inexact_grads:
            run.notes.append(f"training: {unconverged} of {steps} projections stopped at sinkhorn_max_iter before "
                             f"sinkhorn_tol and {inexact_grads} backward solves stopped early (those gradients are "
                             "approximate; the read-out is checked separately)")
        stats = {
            "batch_size": int(m), "epochs": epochs_run, "steps": steps,
            "stopped_early": bool(bad >= self._opts.patience),
            "history": [v / to_units for v in history], "sinkhorn_iterations_mean": train_iters / max(steps, 1),
        }
        return model, stats

    def _check_finite_step(self, torch, model, loss, step: int, t1, t2) -> None:
        """Refuse a non-finite loss or gradient before the optimizer spreads it into every weight.

        Not expected (targets are floored, the projection's backward drops massless rows): if it
        happens anyway, stopping here names the step and the targets' range instead of failing one
        step later on NaN logits that look like bad features.
        """
        grads = [p.grad.sum() for p in model.parameters() if p.grad is not None]
        total = loss.detach() + (torch.stack(grads).sum() if grads else 0.0)
        if bool(torch.isfinite(total)):
            return
        lo = min(float(t1.min()), float(t2.min()))
        raise SolverError(
            f"BATCH coupling training produced a non-finite loss or gradient at step {step + 1} (loss "
            f"{float(loss.detach()):.6g}; smallest log-target {lo:.1f}); expected finite values. The weights were "
            f"not updated. Rerun with dtype='float64', a smaller lr (now {self._opts.lr:g}) or max_logit (now "
            f"{self._opts.max_logit:g}), and please report it with the data's shape."
        )

    def _read_out(self, run: _RunState, model, to_units: float):
        """Phase 3: the atoms on held-out minibatches, their mean and spread across batches.

        The estimate comes from read-out batches as large as ``batch_size`` allows (the coupling's
        minibatch optimum sits above the population one by a bias that falls with the batch size, so
        smaller batches would bias the atoms): batches of ``batch_size`` re-shuffled until there are
        ``readout_batches`` of them, or — when the held-out split is no larger than a batch — the
        whole split as one batch. The spread comes from the same batches in the first case; in the
        second from disjoint sub-batches of the split (:func:`readout_plan`), used for the spread
        only, so that the estimate keeps the bias of the largest batch.
        """
        torch, bm, te, rng, notes = run.torch, run.bm, run.te, run.rng, run.notes
        plan = readout_plan(te.size, self._opts.batch_size, self._opts.readout_batches)
        m_out, k_sub = plan["batch_size"], plan["spread_split"]
        out_batches: list[np.ndarray] = []
        while len(out_batches) < plan["batches"]:
            out_batches += _batches(rng.permutation(te), m_out)
        spread_batches: list[np.ndarray] = []
        if k_sub:
            while len(spread_batches) < self._opts.readout_batches:
                spread_batches += np.array_split(rng.permutation(te), k_sub)
        from ..kernels.sinkhorn import DEFAULT_TOL

        readout_tol = self._opts.sinkhorn_tol if self._opts.sinkhorn_tol is not None else DEFAULT_TOL[self._opts.dtype]
        acc = {"marg": 0.0, "iters": [], "unconverged": 0, "max_logit": 0.0, "polished": 0}

        def atoms_of(b: np.ndarray) -> tuple[float, ...]:
            idx = torch.as_tensor(b, device=run.device)
            t1, t2, t12 = run.targets(idx, joint=True)
            logits = model.logits(run.X1[idx], run.X2[idx])
            acc["max_logit"] = max(acc["max_logit"], logits.abs().max().item())
            log_q, info = self._project(run, logits, t1.T, t2.T)
            err = float(info.marginal_error)
            if not info.converged:  # near the boundary Sinkhorn crawls: finish with Newton steps
                acc["polished"] += 1
                log_q, err, _ = bm.newton_polish(logits, log_q, t1.T, t2.T, tol=readout_tol)
                acc["unconverged"] += err > readout_tol
            acc["marg"] = max(acc["marg"], err)
            acc["iters"].append(int(info.iterations))
            i1, i2 = bm.table_information(t1).item(), bm.table_information(t2).item()
            iq = bm.coupling_information(log_q.to(torch.float64)).item()
            ip = bm.table_information(t12).item()
            return (i1 + i2 - iq, iq - i2, iq - i1, ip - iq, ip, i1, i2)

        def weighted(batches: list[np.ndarray], rows: list[tuple[float, ...]]) -> tuple[np.ndarray, np.ndarray]:
            vals = np.asarray(rows) / to_units
            w = np.asarray([b.size for b in batches], dtype=np.float64)
            w /= w.sum()
            mean = w @ vals
            return mean, np.sqrt(np.maximum(w @ (vals - mean) ** 2, 0.0))

        with torch.no_grad():
            mean, std = weighted(out_batches, [atoms_of(b) for b in out_batches])
            if spread_batches:
                _, std = weighted(spread_batches, [atoms_of(b) for b in spread_batches])
        keys = (*ATOMS, "total", "I1", "I2")
        est = dict(zip(keys, (float(v) for v in mean), strict=True))
        atom_std = dict(zip(keys, (float(v) for v in std), strict=True))
        n_proj = len(out_batches) + len(spread_batches)
        if spread_batches:
            notes.append(f"the held-out split ({te.size} samples) fits in one read-out batch, which gives the "
                         f"estimate; atom_std is the spread across {len(spread_batches)} disjoint sub-batches of "
                         f"~{te.size // k_sub} samples ({k_sub} per re-shuffle), used for the spread only")
        elif len(out_batches) == 1:
            atom_std = dict.fromkeys(keys, math.nan)
            notes.append(f"the held-out split ({te.size} samples) is too small to cut into two read-out batches of "
                         f"{MIN_READOUT_BATCH}, so there is no spread across batches to report (atom_std is NaN); "
                         "pass more samples or a larger test_size")
        if acc["polished"]:
            notes.append(f"{acc['polished']} of {n_proj} read-out projections reached sinkhorn_max_iter and were "
                         "finished by Newton steps on the dual")
        if acc["unconverged"]:
            warnings.warn(
                f"{acc['unconverged']} of {n_proj} read-out projections missed sinkhorn_tol={readout_tol:g} even "
                f"after Newton polishing (marginal error up to {acc['marg']:.2e}); the atoms are approximate. Use "
                "dtype='float64', a looser sinkhorn_tol, or a smaller max_logit.",
                ConvergenceWarning, stacklevel=user_stacklevel(),
            )
        spread_size = (te.size // k_sub) if spread_batches else int(m_out)
        stats = {
            "batch_size": int(m_out), "batches": len(out_batches), "marginal_error": acc["marg"],
            "spread_batch_size": int(spread_size), "spread_batches": len(spread_batches) or len(out_batches),
            "sinkhorn_iterations_mean": float(np.mean(acc["iters"])), "polished": acc["polished"],
            "max_abs_logit": acc["max_logit"],
        }
        return est, atom_std, stats

    @staticmethod
    def _warn_negative(est: dict[str, float], std: dict[str, float], units: str, to_units: float) -> None:
        why = {
            "R": "the learned coupling has I_q(X1,X2;Y) above I(X1;Y) + I(X2;Y), so it is not yet the minimiser "
                 "(train longer: epochs, patience, lr)",
            "U1": "the learned coupling has I_q(X1,X2;Y) below I(X2;Y), a Sinkhorn marginal error "
                  "(tighten sinkhorn_tol)",
            "U2": "the learned coupling has I_q(X1,X2;Y) below I(X1;Y), a Sinkhorn marginal error "
                  "(tighten sinkhorn_tol)",
            "S": "the multimodal classifier found less information than the learned coupling holds — a joint fit "
                 "weaker than the unimodal ones combined (check stack_unimodal, more data or epochs), or the "
                 "coupling's minibatch optimum sitting above the population one (a larger batch_size); read it "
                 "against ci=0.95",
        }
        for a in ATOMS:
            if est[a] < -NEGATIVE_ATOM_TOL * math.log(2.0) / to_units:
                warnings.warn(
                    f"BATCH estimate of {a} is negative: {est[a]:.4f} {units} (spread across held-out batches "
                    f"± {std[a]:.4f}). The value is reported as is, not clipped: {why[a]}.",
                    NegativeAtomWarning, stacklevel=user_stacklevel(),
                )
