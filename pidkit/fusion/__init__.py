"""The fusion-model zoo: two-modality classifiers that fuse X1 and X2 in different ways (torch extra).

Every model is a :class:`FusionClassifier` — scikit-learn style (``fit(x1, x2, y)``,
``predict_proba(x1, x2)``, ``predict``, ``score``, ``get_params`` / ``set_params``, ``clone``)
— with a fusion network chosen by name; one training loop (early stopping on a validation split,
CPU or CUDA, optional progress bar) serves them all. :func:`available_models` lists the names,
:func:`make_model` builds one, :func:`describe_models` says what each does, and :func:`compare`
cross-validates candidates on your data with their model PIDs side by side.

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
==================  =========================================================================

Importing this package does not import torch; fitting a model does (``pip install 'pidkit[torch]'``).
"""

from __future__ import annotations

from typing import Any

from .classifier import FusionClassifier
from .compare import Comparison, compare
from .registry import FUSION_OPTIONS, FusionInfo, available_models, get_fusion, register_fusion

__all__ = [
    "FusionClassifier",
    "Comparison",
    "compare",
    "FusionInfo",
    "FUSION_OPTIONS",
    "available_models",
    "describe_models",
    "get_fusion",
    "make_model",
    "register_fusion",
]


def make_model(name: str, **params: Any) -> FusionClassifier:
    """``FusionClassifier(fusion=name, **params)``, with ``name`` checked against the registry."""
    get_fusion(name)
    return FusionClassifier(fusion=name, **params)


def describe_models() -> dict[str, str]:
    """``{name: one-line description (options and defaults)}`` of every registered fusion network."""
    out = {}
    for name in available_models():
        info = get_fusion(name)
        opts = ", ".join(f"{k}={v!r}" for k, v in info.options.items())
        out[name] = info.description + (f" [{opts}]" if opts else "")
    return out
