"""Registry of estimators reachable through ``pidkit.estimate(..., estimator=NAME)``.

An estimator is a class whose ``__init__`` takes keyword-only options and which satisfies
:class:`Estimator`; one that decomposes the discretized joint count table also satisfies
:class:`TableEstimator` (what :func:`pidkit.estimate` resamples for intervals and what
:mod:`pidkit.scale.estimate` runs on dask collections).

pidkit's registries (this one and the model zoo's, :mod:`pidkit.fusion.registry`) follow one
convention: ``register_<kind>(name, obj)`` registers ``obj`` under ``name`` and returns it (without
``obj`` it is a class decorator); registering another object under a taken name raises
:class:`~pidkit.exceptions.ParameterError`; ``available_<kind>s()`` lists the names in
registration order; ``get_<kind>(name)`` returns the entry or raises
:class:`~pidkit.exceptions.ParameterError` listing the valid names; ``make_<kind>(name,
**options)`` builds one, refusing options it does not take (:func:`pidkit._validation.check_keys`).
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .._validation import check_keys
from ..exceptions import ParameterError

if TYPE_CHECKING:
    import numpy as np

    from ..result import PIDResult

__all__ = [
    "Estimator",
    "TableEstimator",
    "register_estimator",
    "get_estimator",
    "available_estimators",
    "estimator_options",
    "make_estimator",
]


@runtime_checkable
class Estimator(Protocol):
    """What ``estimate(..., estimator=NAME)`` needs of a registered estimator (set by registering: ``name``)."""

    name: str

    def estimate(self, x1: Any, x2: Any, y: Any, *, discretizer: Any, units: str,
                 random_state: Any = None) -> PIDResult:
        """The decomposition of validated samples (``discretizer``: the shared front end; the labels at least)."""
        ...


@runtime_checkable
class TableEstimator(Estimator, Protocol):
    """An estimator of the discretized joint count table (``"cvx"``).

    :func:`pidkit.estimate` keeps its count table and codes for intervals, tests and bias
    corrections; :func:`pidkit.scale.estimate.estimate_dask` checks the options and the table size
    before any pass over the data, then decomposes the counts summed over partitions.
    """

    def estimate_table(self, x1: Any, x2: Any, y: Any, *, discretizer: Any, units: str,
                       random_state: Any = None) -> tuple[PIDResult, np.ndarray, tuple]:
        """``(result, counts, codes)``: the decomposition, the joint count table and the codes of the samples."""
        ...

    def check_options(self, units: str) -> None:
        """Validate every option for ``units`` (before the data are looked at)."""
        ...

    def check_size(self, shape: tuple[int, int, int]) -> None:
        """Refuse a joint table of ``shape`` too large to decompose (before it is built)."""
        ...

    def decompose_table(self, pmf: np.ndarray, *, units: str, n_samples: int | None = None,
                        discretization: dict | None = None) -> PIDResult:
        """The decomposition of a joint pmf of codes (``n_samples`` and ``discretization`` recorded)."""
        ...


_REGISTRY: dict[str, type] = {}


def register_estimator(name: str, cls: type | None = None) -> Any:
    """Make ``cls`` available as ``estimator=name`` and return it; without ``cls``, a class decorator."""

    def add(cls: type) -> type:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ParameterError(f"an estimator named {name!r} is already registered ({_REGISTRY[name].__name__}).")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return add if cls is None else add(cls)


def available_estimators() -> list[str]:
    """Names accepted by ``estimate(..., estimator=...)`` (besides ``"auto"``), in registration order."""
    return list(_REGISTRY)


def get_estimator(name: str) -> type:
    """The estimator class registered as ``name``."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ParameterError(
            f"estimator must be 'auto' or one of {available_estimators()}; got {name!r}."
        ) from None


def estimator_options(name: str) -> list[str]:
    """The options (keyword-only ``__init__`` parameters) of estimator ``name``."""
    params = inspect.signature(get_estimator(name).__init__).parameters
    return [k for k, v in params.items() if v.kind is inspect.Parameter.KEYWORD_ONLY]


def make_estimator(name: str, **options: Any) -> Estimator:
    """Instantiate estimator ``name`` with ``options``, naming any option it does not take."""
    check_keys(f"estimator {name!r}", options, estimator_options(name), noun="option")
    return get_estimator(name)(**options)

