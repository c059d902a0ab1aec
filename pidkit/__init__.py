"""pidkit: partial information decomposition of what two modalities tell about a task.

>>> import pidkit as pid
>>> res = pid.estimate(x1, x2, y)          # doctest: +SKIP
>>> res.R, res.U1, res.U2, res.S           # doctest: +SKIP

Main entry points: :func:`estimate` (samples), :func:`decompose` (a joint table),
:class:`Discretizer` (the shared front end), :class:`PIDResult` (the result), :func:`model_pid`
(the PID of a trained model's predictions), :func:`agreement` (how a model's PID matches its
dataset's), :func:`select_models` (which modalities and kind of fusion a dataset needs, and why),
:func:`compare_estimators` (estimators and codings side by side, and which to believe),
:mod:`pidkit.trust` (information kept and the ranges the informations allow),
:func:`pairwise` (many feature pairs against one label), :mod:`pidkit.scale` (Dask: data out of
core, decompositions on a cluster), :mod:`pidkit.info` (information measures),
:mod:`pidkit.synthetic` (data with known answers, including the interaction suite),
:mod:`pidkit.fusion` (the fusion-model zoo; torch).
"""

from importlib.metadata import PackageNotFoundError, version

from . import bounds, exceptions, info, measures, scale, selection, synthetic, trust, uncertainty
from .agreement import Agreement, agreement
from .api import bootstrap, estimate
from .comparison import EstimatorComparison, compare_estimators
from .discretize import DiscretizationSummary, Discretizer
from .estimators import (
    PIDResultStack,
    available_estimators,
    decompose,
    decompose_gaussian,
    decompose_many,
    register_estimator,
)
from .measures import LatticePIDResult
from .measures.compare import MeasureComparison, compare_measures
from .model_pid import model_pid
from .pairwise import PairwiseResult, pairwise
from .result import Diagnostics, InformationCheck, PIDResult, Uncertainty
from .selection import ModelSelection, select_models


def __getattr__(name: str):
    # pidkit.fusion imports scikit-learn's estimator machinery (~1 s) and pidkit.plot is there for
    # matplotlib users: both are loaded on first use only
    if name in ("fusion", "plot"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'pidkit' has no attribute {name!r}")


try:
    __version__ = version("pidkit")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = [
    "estimate",
    "bootstrap",
    "compare_estimators",
    "EstimatorComparison",
    "decompose",
    "decompose_many",
    "decompose_gaussian",
    "compare_measures",
    "MeasureComparison",
    "LatticePIDResult",
    "measures",
    "PIDResultStack",
    "pairwise",
    "PairwiseResult",
    "Discretizer",
    "DiscretizationSummary",
    "PIDResult",
    "Diagnostics",
    "Uncertainty",
    "InformationCheck",
    "model_pid",
    "agreement",
    "Agreement",
    "select_models",
    "ModelSelection",
    "available_estimators",
    "register_estimator",
    "info",
    "bounds",
    "synthetic",
    "selection",
    "uncertainty",
    "trust",
    "scale",
    "fusion",
    "plot",
    "exceptions",
    "__version__",
]
