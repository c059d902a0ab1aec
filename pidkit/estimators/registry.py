"""Registry of estimators reachable through ``pidkit.estimate(..., estimator=NAME)``.

An estimator is a class whose ``__init__`` takes keyword-only options and whose
``estimate(x1, x2, y, *, discretizer, units, random_state)`` returns a
:class:`~pidkit.result.PIDResult`. Registering makes it available by name; unknown names and
unknown options get errors that list the valid ones.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .._validation import check_keys
from ..exceptions import ParameterError

__all__ = ["register_estimator", "get_estimator", "available_estimators", "make_estimator"]

_REGISTRY: dict[str, type] = {}


def register_estimator(name: str) -> Callable[[type], type]:
    """Class decorator: make an estimator available as ``estimator=name``."""

    def deco(cls: type) -> type:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ParameterError(f"an estimator named {name!r} is already registered ({_REGISTRY[name].__name__}).")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return deco


def available_estimators() -> list[str]:
    """Names accepted by ``estimate(..., estimator=...)`` (besides ``"auto"``)."""
    return sorted(_REGISTRY)


def get_estimator(name: str) -> type:
    """The estimator class registered as ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ParameterError(
            f"estimator must be 'auto' or one of {available_estimators()}; got {name!r}."
        ) from None


def make_estimator(name: str, options: dict[str, Any]) -> Any:
    """Instantiate estimator ``name`` with ``options``, naming any option it does not take."""
    cls = get_estimator(name)
    params = inspect.signature(cls.__init__).parameters
    valid = [k for k, v in params.items() if v.kind is inspect.Parameter.KEYWORD_ONLY]
    check_keys(f"estimator {name!r}", options, valid, noun="option")
    return cls(**options)
