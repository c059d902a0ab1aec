"""pidkit: partial information decomposition of what two modalities tell about a task.

>>> import pidkit as pid
>>> res = pid.estimate(x1, x2, y)          # doctest: +SKIP
>>> res.R, res.U1, res.U2, res.S           # doctest: +SKIP

Main entry points: :func:`estimate` (samples), :func:`decompose` (a joint table),
:class:`Discretizer` (the shared front end), :class:`PIDResult` (the result), :mod:`pidkit.info`
(information measures), :mod:`pidkit.synthetic` (data with known answers).
"""

from importlib.metadata import PackageNotFoundError, version

from . import bounds, exceptions, info, synthetic
from .api import estimate
from .discretize import DiscretizationSummary, Discretizer
from .estimators import PIDBatchResult, available_estimators, decompose, decompose_many, register_estimator
from .result import Diagnostics, PIDResult

try:
    __version__ = version("pidkit")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = [
    "estimate",
    "decompose",
    "decompose_many",
    "PIDBatchResult",
    "Discretizer",
    "DiscretizationSummary",
    "PIDResult",
    "Diagnostics",
    "available_estimators",
    "register_estimator",
    "info",
    "bounds",
    "synthetic",
    "exceptions",
    "__version__",
]
