"""Uncertainty of every number: confidence intervals, bias corrections and significance tests.

Ask for them through :func:`pidkit.estimate` (``ci=0.95``, ``n_boot``, ``ci_method``, ``n_perm``,
``tests``, ``bias``) or :func:`pidkit.bootstrap` (which also takes a count table); the result's
``uncertainty`` (:class:`~pidkit.result.Uncertainty`) holds them, ``result.ci("S")`` and
``result.p_values`` read them. See :mod:`pidkit.uncertainty.core` for what each interval covers,
:mod:`pidkit.uncertainty.intervals` for the interval and bias formulas and
:mod:`pidkit.uncertainty.permutation` for the tests and their nulls.
"""

from .core import BATCH_METHODS, DEFAULT_N_BOOT, TABLE_METHODS, batch_uncertainty, table_uncertainty
from .permutation import TESTS, optimal_coupling

__all__ = [
    "TABLE_METHODS",
    "BATCH_METHODS",
    "DEFAULT_N_BOOT",
    "TESTS",
    "table_uncertainty",
    "batch_uncertainty",
    "optimal_coupling",
]
