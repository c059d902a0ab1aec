"""Minimum mutual information (MMI): the redundancy of a node is the least any of its collections
carries, ``I∩(A1, …, Ak → Y) = min_i I(X_Ai; Y)``.

Barrett (2015) showed it is the BROJA redundancy of jointly Gaussian sources with a scalar
target; on discrete data it credits as shared whatever the weaker collection carries, even when
the two carry different things.
"""

from __future__ import annotations

import numpy as np

from ._information import informations
from .lattice import Lattice

__all__ = ["redundancy"]

NAME = "mmi"
TITLE = "minimum mutual information"


def redundancy(p: np.ndarray, lat: Lattice) -> tuple[np.ndarray, dict]:
    """Redundancy of every node of ``lat`` for each table of ``p`` (B, |X1|, …, |Xn|, |Y|): (B, n_nodes), nats."""
    mi, _ = informations(p, lat.n)
    red = np.where(lat.membership[None], mi[:, None, :], np.inf).min(axis=2)
    return red, {"solver": "closed-form"}
