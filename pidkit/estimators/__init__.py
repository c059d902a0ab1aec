"""Estimators of the partial information decomposition.

``"cvx"`` (:class:`~pidkit.estimators.exact.ExactEstimator`) decomposes the discretized joint
table exactly; ``"batch"`` (:class:`~pidkit.estimators.batch.BatchEstimator`) estimates it from
continuous features with classifiers and learned minibatch couplings. New estimators register themselves with
:func:`~pidkit.estimators.registry.register_estimator` and become available to
:func:`pidkit.estimate` by name.
"""

from . import batch as _batch  # noqa: F401  (registers "batch"; torch is imported only when it runs)
from .exact import ExactEstimator, decompose
from .gaussian import decompose_gaussian
from .many import PIDResultStack, decompose_many
from .registry import available_estimators, get_estimator, register_estimator

__all__ = [
    "ExactEstimator",
    "decompose",
    "decompose_gaussian",
    "decompose_many",
    "PIDResultStack",
    "available_estimators",
    "get_estimator",
    "register_estimator",
]
