"""Registry of the model zoo (torch-free): fusion networks and the other candidate models.

Two kinds of entry share one namespace. A *network* is a torch module class reachable as
``FusionClassifier(fusion=NAME)`` (imported only when a model is built), with the fusion-specific
options it takes and their defaults. An *estimator* is a scikit-learn-style class with
``fit(x1, x2, y)`` / ``predict_proba(x1, x2)`` built as ``Class(**defaults, **params)`` by
:func:`pidkit.fusion.make_model` (late fusion of unimodal models, gradient boosting). Every entry
says which modalities it needs at prediction (``inputs``) and whether it trains on paired labeled
samples (``paired_training``): what a model costs in kind, not only in seconds.

The registry follows the convention of every pidkit registry (see
:mod:`pidkit.estimators.registry`): :func:`register_fusion` / :func:`register_model` register an
object under a name and return it (without it, they are class decorators); another object under a
taken name is refused; :func:`available_models` lists the names in registration order;
:func:`get_model` returns the entry or names the valid ones; :func:`pidkit.fusion.make_model`
builds one, refusing parameters it does not take.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from .._validation import check_keys
from ..exceptions import ParameterError

#: The four PID atoms (what a joint model can represent).
ALL_ATOMS = ("R", "U1", "U2", "S")
#: What a sum or product of unimodal predictions can represent (no synergy).
NO_SYNERGY = ("R", "U1", "U2")

__all__ = [
    "FusionInfo", "FUSION_OPTIONS", "INPUTS", "register_fusion", "register_model", "available_models",
    "get_fusion", "get_model",
]

#: Fusion-specific options a network may take; each is a parameter of ``FusionClassifier``.
FUSION_OPTIONS = ("reg_weight", "temperature", "rank", "n_tokens", "n_heads")
#: What a model needs at prediction time: one modality or both.
INPUTS = ("x1", "x2", "x1+x2")


@dataclass(frozen=True)
class FusionInfo:
    """One registered model.

    Attributes
    ----------
    name : str
    network : str or type
        For ``kind="network"``: the ``torch.nn.Module`` class, or ``"module:Class"`` to import it
        lazily. It is built as ``network(d1, d2, n_classes, hidden=..., embed_dim=..., stats1=...,
        stats2=..., **options)`` and called as ``logits, aux = net(x1, x2)`` (see
        :mod:`pidkit.fusion._heads`). For ``kind="estimator"``: the estimator class (or
        ``"module:Class"``), built as ``network(**defaults, **params)``.
    options : dict
        Fusion-specific options (names from :data:`FUSION_OPTIONS`) and their defaults (networks).
    description : str
    inputs : {"x1", "x2", "x1+x2"}
        Modalities needed at prediction time.
    paired_training : bool
        Whether fitting needs labeled samples with both modalities observed together.
    kind : {"network", "estimator"}
    defaults : dict
        Constructor arguments of an estimator entry (e.g. ``{"combine": "stacked"}``).
    reach : tuple of str
        The PID atoms the model can represent: a unimodal model reaches R and its own uniqueness
        (at most I(Xi;Y)); a sum or product of unimodal predictions reaches R, U1 and U2 but no
        synergy; a joint model reaches all four.
    """

    name: str
    network: Any
    options: dict = field(default_factory=dict)
    description: str = ""
    inputs: str = "x1+x2"
    paired_training: bool = True
    kind: str = "network"
    defaults: dict = field(default_factory=dict)
    reach: tuple = ALL_ATOMS

    def load(self) -> type:
        if isinstance(self.network, str):
            module, _, attr = self.network.partition(":")
            return getattr(importlib.import_module(module), attr)
        return self.network


_REGISTRY: dict[str, FusionInfo] = {}


def _check_kind(inputs: str, paired_training: Any, reach: Any = ALL_ATOMS) -> tuple:
    reach = tuple(reach)
    if not reach or set(reach) - set(ALL_ATOMS):
        raise ParameterError(f"reach must be a non-empty subset of {list(ALL_ATOMS)}; got {list(reach)}.")
    if inputs not in INPUTS:
        raise ParameterError(f"inputs must be one of {list(INPUTS)}; got {inputs!r}.")
    if not isinstance(paired_training, bool):
        raise ParameterError(f"paired_training must be True or False; got {paired_training!r}.")
    return tuple(a for a in ALL_ATOMS if a in reach)


def _add(info: FusionInfo) -> FusionInfo:
    old = _REGISTRY.get(info.name)
    if old is not None and (old.network, old.defaults) != (info.network, info.defaults):
        raise ParameterError(f"a model named {info.name!r} is already registered ({old.network}).")
    _REGISTRY[info.name] = info
    return info


def register_fusion(
    name: str, network: Any = None, *, options: dict | None = None, description: str = "", inputs: str = "x1+x2",
    paired_training: bool = True, reach: Any = ALL_ATOMS,
) -> Any:
    """Make ``network`` available as ``FusionClassifier(fusion=name)`` and return it; without it, a class decorator.

    ``options`` maps option names (from :data:`FUSION_OPTIONS`) to defaults; a user's value for an
    option the network does not declare is refused when the model is fitted. A network that
    reads one modality only declares ``inputs="x1"`` (or ``"x2"``); its classifier then accepts
    ``None`` for the other modality.
    """
    opts = dict(options or {})
    check_keys(f"fusion network {name!r}", opts, FUSION_OPTIONS, noun="option",
               hint="Each option is a parameter of FusionClassifier.")
    reach = _check_kind(inputs, paired_training, reach)

    def add(network: Any) -> Any:
        _add(FusionInfo(name, network, opts, description, inputs, paired_training, reach=reach))
        return network

    return add if network is None else add(network)


def register_model(
    name: str, estimator: Any = None, *, defaults: dict | None = None, description: str = "",
    inputs: str = "x1+x2", paired_training: bool = True, reach: Any = ALL_ATOMS,
) -> Any:
    """Make a scikit-learn-style two-modality classifier class available as ``make_model(name)`` and
    return it; without it, a class decorator.

    The class takes keyword parameters (``random_state`` among them) and has ``fit(x1, x2, y)``,
    ``predict_proba(x1, x2)``, ``predict``, ``score`` and ``get_params``; ``defaults`` are
    constructor arguments fixed by this entry (the user's parameters override them). Its entry has
    ``kind="estimator"`` (a scikit-learn estimator, not a network of ``FusionClassifier``).
    """
    reach = _check_kind(inputs, paired_training, reach)

    def add(estimator: Any) -> Any:
        _add(FusionInfo(name, estimator, {}, description, inputs, paired_training, "estimator",
                        dict(defaults or {}), reach))
        return estimator

    return add if estimator is None else add(estimator)


def available_models(kind: str | None = None) -> list[str]:
    """Names accepted by :func:`pidkit.fusion.make_model`, in registration order.

    ``kind="network"`` lists only the fusion networks (``FusionClassifier(fusion=...)``),
    ``kind="estimator"`` only the other estimators; ``None`` lists both.
    """
    if kind not in (None, "network", "estimator"):
        raise ParameterError(f"kind must be None, 'network' or 'estimator'; got {kind!r}.")
    return [n for n, info in _REGISTRY.items() if kind is None or info.kind == kind]


def get_model(name: str) -> FusionInfo:
    """The registry entry of any model (network or estimator)."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ParameterError(f"model must be one of {available_models()}; got {name!r}.") from None


def get_fusion(name: str) -> FusionInfo:
    """The registry entry of a fusion *network* (what ``FusionClassifier(fusion=...)`` accepts)."""
    info = _REGISTRY.get(name) if isinstance(name, str) else None
    if info is None or info.kind != "network":
        extra = (f" {name!r} is not a network: build it with pidkit.fusion.make_model({name!r})."
                 if info is not None else "")
        raise ParameterError(f"fusion must be one of {available_models('network')}; got {name!r}.{extra}")
    return info


_HEADS = "pidkit.fusion._heads"
for _name, _cls, _opts, _desc, _reach in (
    ("early", "EarlyFusion", {}, "early fusion: one MLP on the concatenated features", ALL_ATOMS),
    ("additive", "AdditiveFusion", {}, "additive late fusion: sum of two unimodal classifiers' logits", NO_SYNERGY),
    ("agreement", "AgreementFusion", {"reg_weight": 0.5},
     "additive fusion + symmetric-KL agreement between the unimodal predictions", NO_SYNERGY),
    ("alignment", "AlignmentFusion", {"reg_weight": 0.1, "temperature": 0.1},
     "contrastive (InfoNCE) alignment of the unimodal embeddings + a classifier on both", ALL_ATOMS),
    ("elementwise", "ElementwiseFusion", {}, "element-wise (Hadamard) product of the embeddings", ALL_ATOMS),
    ("tensor", "TensorFusion", {}, "tensor fusion: outer product of [e1, 1] and [e2, 1]", ALL_ATOMS),
    ("lowrank", "LowRankTensorFusion", {"rank": 4}, "low-rank tensor fusion (rank-r factors)", ALL_ATOMS),
    ("mi", "MultiplicativeInteractions", {}, "multiplicative interactions: bilinear + linear terms", ALL_ATOMS),
    ("transformer", "CrossAttentionFusion", {"n_tokens": 4, "n_heads": 4},
     "cross-modal transformer: cross-attention between per-modality tokens", ALL_ATOMS),
    ("reconstruction", "ReconstructionFusion", {"reg_weight": 1.0},
     "joint representation with auxiliary decoders reconstructing both inputs", ALL_ATOMS),
    ("lower", "LowerOrderFusion", {}, "tensor fusion + explicit unimodal (lower-order) terms", ALL_ATOMS),
):
    register_fusion(_name, f"{_HEADS}:{_cls}", options=_opts, description=_desc, reach=_reach)
register_fusion("x1-only", f"{_HEADS}:X1Only", inputs="x1", paired_training=False, reach=("R", "U1"),
                description="X1 alone: one MLP on X1's features (reaches at most R + U1)")
register_fusion("x2-only", f"{_HEADS}:X2Only", inputs="x2", paired_training=False, reach=("R", "U2"),
                description="X2 alone: one MLP on X2's features (reaches at most R + U2)")
register_model("late", "pidkit.fusion.late:LateFusion", defaults={"combine": "product"}, paired_training=False,
                   reach=NO_SYNERGY,
                   description="late fusion: X1-only and X2-only networks fitted separately (unpaired data "
                               "suffice), combined as p(y|x1) p(y|x2) / p(y); cannot represent synergy")
register_model("late-stacked", "pidkit.fusion.late:LateFusion", defaults={"combine": "stacked"}, reach=NO_SYNERGY,
                   description="late fusion with a logistic stacker on both unimodal log-probabilities, fitted on "
                               "a paired split (stack_size); cannot represent synergy")
register_model("hgb", "pidkit.fusion.boosting:BoostingFusion",
                   description="gradient boosting (scikit-learn HistGradientBoostingClassifier) on [x1, x2]")
