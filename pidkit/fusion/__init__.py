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
    register_fusion,
    register_model,
)
from .zoo import describe_models, make_model

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
    "register_model",
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
