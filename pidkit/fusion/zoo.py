"""Building and describing the models of the zoo: :func:`make_model` and :func:`describe_models`."""

from __future__ import annotations

import inspect
from typing import Any

from .._validation import check_keys
from ..selection.catalog import load_costs
from .classifier import FusionClassifier
from .registry import available_models, get_model

__all__ = ["make_model", "describe_models"]


def make_model(name: str, **params: Any) -> Any:
    """Build the zoo model ``name`` (unfitted) with ``params``.

    A fusion network gives ``FusionClassifier(fusion=name, **params)``; ``"late"`` and
    ``"late-stacked"`` a :class:`~pidkit.fusion.late.LateFusion`; ``"hgb"`` a
    :class:`~pidkit.fusion.boosting.BoostingFusion`. All fit with ``fit(x1, x2, y)`` and predict
    with ``predict_proba(x1, x2)``. A parameter the model does not take is refused, naming those it takes.
    """
    info = get_model(name)
    cls = FusionClassifier if info.kind == "network" else info.load()
    taken = [k for k, p in inspect.signature(cls.__init__).parameters.items()
             if k != "self" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if not any(p.kind is p.VAR_KEYWORD for p in inspect.signature(cls.__init__).parameters.values()):
        check_keys(f"model {name!r}", params, [k for k in taken if k != "fusion"], noun="parameter")
    if info.kind == "network":
        return FusionClassifier(fusion=name, **params)
    return cls(**{**info.defaults, **params})


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
