"""Registry of fusion networks reachable as ``FusionClassifier(fusion=NAME)`` (torch-free).

Each entry names a torch module class (imported only when a model is built), the
fusion-specific options it takes with their defaults, and one line that says what it does.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import ParameterError

__all__ = ["FusionInfo", "FUSION_OPTIONS", "register_fusion", "available_models", "get_fusion"]

#: Fusion-specific options a network may take; each is a parameter of ``FusionClassifier``.
FUSION_OPTIONS = ("reg_weight", "temperature", "rank", "n_tokens", "n_heads")


@dataclass(frozen=True)
class FusionInfo:
    """One registered fusion network.

    Attributes
    ----------
    name : str
    network : str or type
        The ``torch.nn.Module`` class, or ``"module:Class"`` to import it lazily. It is built as
        ``network(d1, d2, n_classes, hidden=..., embed_dim=..., stats1=..., stats2=..., **options)``
        and called as ``logits, aux = net(x1, x2)`` (see :mod:`pidkit.fusion._heads`).
    options : dict
        Fusion-specific options (names from :data:`FUSION_OPTIONS`) and their defaults.
    description : str
    """

    name: str
    network: Any
    options: dict = field(default_factory=dict)
    description: str = ""

    def load(self) -> type:
        if isinstance(self.network, str):
            module, _, attr = self.network.partition(":")
            return getattr(importlib.import_module(module), attr)
        return self.network


_REGISTRY: dict[str, FusionInfo] = {}


def register_fusion(name: str, network: Any, *, options: dict | None = None, description: str = "") -> FusionInfo:
    """Make ``network`` available as ``FusionClassifier(fusion=name)``.

    ``options`` maps option names (from :data:`FUSION_OPTIONS`) to defaults; a user's value for an
    option the network does not declare is refused when the model is fitted.
    """
    opts = dict(options or {})
    unknown = sorted(set(opts) - set(FUSION_OPTIONS))
    if unknown:
        raise ParameterError(f"options {unknown} are not fusion options; expected a subset of {list(FUSION_OPTIONS)}.")
    if name in _REGISTRY and _REGISTRY[name].network != network:
        raise ParameterError(f"a fusion model named {name!r} is already registered ({_REGISTRY[name].network}).")
    info = FusionInfo(name, network, opts, description)
    _REGISTRY[name] = info
    return info


def available_models() -> list[str]:
    """Names accepted by ``FusionClassifier(fusion=...)``, in registration order."""
    return list(_REGISTRY)


def get_fusion(name: str) -> FusionInfo:
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ParameterError(f"fusion must be one of {available_models()}; got {name!r}.") from None


_HEADS = "pidkit.fusion._heads"
for _name, _cls, _opts, _desc in (
    ("early", "EarlyFusion", {}, "early fusion: one MLP on the concatenated features"),
    ("additive", "AdditiveFusion", {}, "additive late fusion: sum of two unimodal classifiers' logits"),
    ("agreement", "AgreementFusion", {"reg_weight": 0.5},
     "additive fusion + symmetric-KL agreement between the unimodal predictions"),
    ("alignment", "AlignmentFusion", {"reg_weight": 0.1, "temperature": 0.1},
     "contrastive (InfoNCE) alignment of the unimodal embeddings + a classifier on both"),
    ("elementwise", "ElementwiseFusion", {}, "element-wise (Hadamard) product of the embeddings"),
    ("tensor", "TensorFusion", {}, "tensor fusion: outer product of [e1, 1] and [e2, 1]"),
    ("lowrank", "LowRankTensorFusion", {"rank": 4}, "low-rank tensor fusion (rank-r factors)"),
    ("mi", "MultiplicativeInteractions", {}, "multiplicative interactions: bilinear + linear terms"),
    ("transformer", "CrossAttentionFusion", {"n_tokens": 4, "n_heads": 4},
     "cross-modal transformer: cross-attention between per-modality tokens"),
    ("reconstruction", "ReconstructionFusion", {"reg_weight": 1.0},
     "joint representation with auxiliary decoders reconstructing both inputs"),
    ("lower", "LowerOrderFusion", {}, "tensor fusion + explicit unimodal (lower-order) terms"),
):
    register_fusion(_name, f"{_HEADS}:{_cls}", options=_opts, description=_desc)
