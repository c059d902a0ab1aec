"""The model zoo: classifiers that use X1, X2 or both, fused in different ways (torch extra).

Every model is scikit-learn style (``fit(x1, x2, y)``, ``predict_proba(x1, x2)``, ``predict``,
``score``, ``get_params`` / ``set_params``, ``clone``). The fusion networks are
:class:`FusionClassifier` s with a network chosen by name; one training loop (early stopping on a
validation split, CPU or CUDA, optional progress bar) serves them all. :func:`available_models`
lists the names, :func:`make_model` builds one, :func:`describe_models` says what each does,
needs (``inputs``, ``paired_training``), can represent (``reach``) and costs, and
:func:`compare` cross-validates candidates on your data with their model PIDs side by side.

==================  =========================================================================
name                fusion
==================  =========================================================================
``early``           one MLP on the concatenated features
``additive``        sum of two unimodal classifiers' logits (late fusion)
``agreement``       additive + symmetric-KL agreement regulariser between the unimodal predictions
``alignment``       contrastive (InfoNCE) alignment of the embeddings + a classifier on both
``elementwise``     Hadamard product of the embeddings
``tensor``          outer product of ``[e1, 1]`` and ``[e2, 1]``
``lowrank``         low-rank tensor fusion
``mi``              multiplicative interactions (bilinear + linear terms)
``transformer``     cross-attention between per-modality tokens
``reconstruction``  joint representation with auxiliary decoders for both inputs
``lower``           tensor fusion + explicit unimodal terms
``x1-only``         X1 alone (no X2 at prediction, no paired training): reaches R + U1
``x2-only``         X2 alone: reaches R + U2
``late``            product of an X1-only and an X2-only network's posteriors over p(y), fitted
                    separately (:class:`LateFusion`; unpaired labeled data suffice); no synergy
``late-stacked``    the same two networks combined by a logistic stacker fitted on a paired split
``hgb``             gradient boosting on ``[x1, x2]`` (:class:`BoostingFusion`, scikit-learn)
==================  =========================================================================

Importing this package does not import torch; fitting a model does (``pip install 'pidkit[torch]'``).
"""

from __future__ import annotations

from typing import Any

from .classifier import FusionClassifier
from .compare import Comparison, compare
from .registry import (
    FUSION_OPTIONS,
    INPUTS,
    FusionInfo,
    available_models,
    get_fusion,
    get_model,
    register_estimator,
    register_fusion,
)

__all__ = [
    "FusionClassifier",
    "Comparison",
    "compare",
    "FusionInfo",
    "FUSION_OPTIONS",
    "INPUTS",
    "BoostingFusion",
    "LateFusion",
    "available_models",
    "describe_models",
    "get_fusion",
    "get_model",
    "make_model",
    "register_estimator",
    "register_fusion",
]


def __getattr__(name: str) -> Any:  # the estimator classes import scikit-learn only when asked for
    if name == "LateFusion":
        from .late import LateFusion

        return LateFusion
    if name == "BoostingFusion":
        from .boosting import BoostingFusion

        return BoostingFusion
    raise AttributeError(f"module 'pidkit.fusion' has no attribute {name!r}")


def make_model(name: str, **params: Any) -> Any:
    """Build the zoo model ``name`` (unfitted) with ``params``.

    A fusion network gives ``FusionClassifier(fusion=name, **params)``; ``"late"`` and
    ``"late-stacked"`` a :class:`~pidkit.fusion.late.LateFusion`; ``"hgb"`` a
    :class:`~pidkit.fusion.boosting.BoostingFusion`. All fit with ``fit(x1, x2, y)`` and predict
    with ``predict_proba(x1, x2)``.
    """
    info = get_model(name)
    if info.kind == "network":
        return FusionClassifier(fusion=name, **params)
    return info.load()(**{**info.defaults, **params})


def describe_models() -> dict[str, dict[str, Any]]:
    """What every registered model is and costs: ``{name: {...}}``.

    Each entry has ``description`` (with the network's options and defaults), ``inputs``
    (``"x1"``, ``"x2"`` or ``"x1+x2"``: modalities needed at prediction), ``paired_training``
    (whether fitting needs labeled samples with both modalities), ``reach`` (the PID atoms it
    can represent), ``kind``, and the costs measured when the shipped catalog was built —
    ``fit_seconds`` (mean fit time per reference dataset, one CPU thread, on the machine named in
    ``cost_machine``) and ``n_parameters`` (mean over the reference datasets) — or ``None`` for a
    model the catalog does not hold.
    """
    from ..selection.catalog import load_costs

    costs = load_costs()
    out = {}
    for name in available_models():
        info = get_model(name)
        opts = ", ".join(f"{k}={v!r}" for k, v in info.options.items())
        c = costs.get("models", {}).get(name, {})
        out[name] = {
            "description": info.description + (f" [{opts}]" if opts else ""),
            "inputs": info.inputs, "paired_training": info.paired_training, "reach": list(info.reach),
            "kind": info.kind, "fit_seconds": c.get("fit_seconds"), "n_parameters": c.get("n_parameters"),
            "cost_machine": costs.get("machine"),
        }
    return out
