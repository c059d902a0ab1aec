"""Exception and warning classes raised by pidkit.

Every error pidkit raises is an instance of :class:`PIDKitError` and of the builtin class that
fits (``ValueError`` for bad input, ``RuntimeError`` for a failed computation or a missing
dependency), so callers can catch either. :class:`NotFittedError` is also an ``AttributeError``
and :class:`MissingDependencyError` also an ``ImportError``. Messages follow one pattern: what
was expected, what was received, what to do.
"""

from __future__ import annotations

__all__ = [
    "PIDKitError",
    "InputError",
    "NonFiniteInputError",
    "EmptyInputError",
    "LengthMismatchError",
    "ShapeError",
    "InvalidPMFError",
    "InvalidCovarianceError",
    "ContinuousLabelError",
    "UnknownCategoryError",
    "NotFittedError",
    "TableTooLargeError",
    "ParameterError",
    "SolverError",
    "PIDKitWarning",
    "ConvergenceWarning",
    "PlugInBiasWarning",
    "NegativeAtomWarning",
    "DiscretizationMismatchWarning",
    "InformationLossWarning",
    "OutOfRangeWarning",
    "OverconfidenceWarning",
    "CatalogError",
    "OutsideCatalogWarning",
    "MissingDependencyError",
    "ResultFormatError",
]


class PIDKitError(Exception):
    """Base class of every exception raised by pidkit."""


class InputError(PIDKitError, ValueError):
    """The data passed in cannot be used as given."""


class NonFiniteInputError(InputError):
    """An input array holds NaN or infinite values."""


class EmptyInputError(InputError):
    """An input array has no samples (or no features)."""


class LengthMismatchError(InputError):
    """Arrays that describe the same samples have different lengths."""


class ShapeError(InputError):
    """An array has the wrong number of dimensions or an unusable dtype."""


class InvalidPMFError(InputError):
    """A joint probability table is negative, non-finite, of the wrong rank or not normalized."""


class InvalidCovarianceError(InputError):
    """A covariance matrix that is not symmetric, not finite, or singular where it must be positive definite."""


class ContinuousLabelError(InputError):
    """The task label looks continuous; PID needs a discrete label."""


class UnknownCategoryError(InputError):
    """``transform`` met a category that ``fit`` never saw."""


class NotFittedError(PIDKitError, ValueError, AttributeError):
    """A fitted attribute was used before ``fit``.

    A ``ValueError`` (the object passed is not usable yet) and, like scikit-learn's, an
    ``AttributeError`` (the fitted attribute does not exist yet, so ``hasattr`` is False).
    """


class ResultFormatError(InputError):
    """A serialized result (``PIDResult.from_dict`` / ``from_json``) is not JSON, lacks fields or holds bad values."""


class TableTooLargeError(InputError):
    """The discretized joint table would not fit in memory (or in the solver)."""


class ParameterError(PIDKitError, ValueError):
    """A keyword argument has an invalid value."""


class SolverError(PIDKitError, RuntimeError):
    """A numerical solver failed or returned a non-optimal status."""


class MissingDependencyError(PIDKitError, ImportError, RuntimeError):
    """An optional dependency a feature needs is not installed (e.g. torch for ``"batch"``).

    A ``RuntimeError`` (the environment, not the input, is at fault) and an ``ImportError``.
    """


class PIDKitWarning(UserWarning):
    """Base class of pidkit's warnings."""


class ConvergenceWarning(PIDKitWarning):
    """A solver stopped before reaching the requested accuracy."""


class PlugInBiasWarning(PIDKitWarning):
    """Too few samples per occupied cell for a trustworthy plug-in estimate."""


class NegativeAtomWarning(PIDKitWarning):
    """A sampling estimator returned a negative atom; it is reported as is, not clipped."""


class DiscretizationMismatchWarning(PIDKitWarning):
    """Two results compared with each other were coded by different Discretizers."""


class InformationLossWarning(PIDKitWarning):
    """An estimate keeps too little of the information that held-out classifiers find (see :mod:`pidkit.trust`)."""


class OutOfRangeWarning(PIDKitWarning):
    """An atom lies outside the range the mutual informations alone allow it (see :mod:`pidkit.trust`)."""


class OverconfidenceWarning(PIDKitWarning):
    """A model-based estimate (BATCH) finds much more information than held-out classifiers (:mod:`pidkit.trust`)."""


class CatalogError(InputError):
    """A model-selection catalog file is missing, unreadable, incomplete or of another schema version."""


class OutsideCatalogWarning(PIDKitWarning):
    """A dataset lies outside what the model-selection catalog covers; the recommendation extrapolates."""
