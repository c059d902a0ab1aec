"""Williams and Beer's I_min: for each label value, the least *specific* information any collection
of the node carries about it, averaged over the label,

``I∩(A1, …, Ak → Y) = Σ_y p(y) min_i I(X_Ai; Y = y)``, with
``I(X_A; Y = y) = Σ_a p(a | y) log p(y | a) / p(y)``.

The original redundancy of the lattice (Williams & Beer 2010). Known for over-crediting
redundancy: two independent bits copied into Y share 1 bit under I_min although they carry
different bits ("same amount, not same information").
"""

from __future__ import annotations

import numpy as np

from ._information import informations
from .lattice import Lattice

__all__ = ["redundancy"]

NAME = "imin"
TITLE = "Williams–Beer I_min"


def redundancy(p: np.ndarray, lat: Lattice) -> tuple[np.ndarray, dict]:
    """Redundancy of every node of ``lat`` for each table of ``p`` (B, |X1|, …, |Xn|, |Y|): (B, n_nodes), nats."""
    _, spec = informations(p, lat.n)
    py = p.reshape(p.shape[0], -1, p.shape[-1]).sum(axis=1)  # (B, |Y|)
    out = np.empty((p.shape[0], lat.size))
    # nodes in blocks so the (B, nodes, collections, |Y|) minimum stays small (n = 5: 7,579 nodes x 31)
    block = max(1, 4_000_000 // max(1, p.shape[0] * spec.shape[1] * spec.shape[2]))
    for start in range(0, lat.size, block):
        mask = lat.membership[start:start + block]
        least = np.where(mask[None, :, :, None], spec[:, None], np.inf).min(axis=2)  # (B, nodes, |Y|)
        out[:, start:start + block] = np.einsum("bny,by->bn", least, py)
    return out, {"solver": "closed-form"}
