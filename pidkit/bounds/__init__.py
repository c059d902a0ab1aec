"""Semi-supervised synergy bounds and accuracy bounds (thesis chapter 6).

With labeled unimodal data D1 = {(x1, y)}, D2 = {(x2, y)} and unlabeled paired data
DM = {(x1, x2)}, the redundancy and uniquenesses are exact while synergy is bounded:

>>> import pidkit.bounds as pb
>>> res = pb.synergy_bounds(p_x1y, p_x2y, p_x1x2)                          # doctest: +SKIP
>>> res = pb.estimate_synergy_bounds(x1, y1, x2, y2, x1_paired, x2_paired)  # doctest: +SKIP
>>> res.S_lower, res.S_upper, res.accuracy                                  # doctest: +SKIP

Modules: :mod:`~pidkit.bounds.synergy` (the bounds and their derivations),
:mod:`~pidkit.bounds.maxent` (IPF), :mod:`~pidkit.bounds.coupling` (majorization meet),
:mod:`~pidkit.bounds.accuracy` (Feder–Merhav / Fano), :mod:`~pidkit.bounds.tables`
(inconsistent marginals), :mod:`~pidkit.bounds.samples` (from samples).
"""

from .accuracy import AccuracyBounds, accuracy_bounds
from .coupling import greedy_coupling, majorization_meet, meet_entropy
from .maxent import MaxEntResult, maxent_pairwise
from .result import BoundsDiagnostics, SynergyBounds, SynergyBoundsStack
from .samples import estimate_synergy_bounds
from .synergy import synergy_bounds, synergy_bounds_many
from .tables import InconsistentMarginalsError

__all__ = [
    "synergy_bounds",
    "synergy_bounds_many",
    "estimate_synergy_bounds",
    "accuracy_bounds",
    "SynergyBounds",
    "SynergyBoundsStack",
    "BoundsDiagnostics",
    "AccuracyBounds",
    "InconsistentMarginalsError",
    "majorization_meet",
    "meet_entropy",
    "greedy_coupling",
    "maxent_pairwise",
    "MaxEntResult",
]
