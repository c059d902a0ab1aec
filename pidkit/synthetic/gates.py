"""Bitwise gates with exact BROJA atoms, as pmfs and as samples.

Every gate has uniform, independent binary inputs ``x1, x2`` and a label that is a function of
them. :data:`GATE_ATOMS` holds the exact BROJA atoms in bits.

==========  ================  ==============================================
name        label             exact atoms (bits)
==========  ================  ==============================================
``xor``     x1 XOR x2         S = 1
``and``     x1 AND x2         R = 0.311278, S = 0.5
``or``      x1 OR x2          R = 0.311278, S = 0.5
``copy``    (x1, x2)          U1 = U2 = 1
``rdn``     x1 (and x2 = x1)  R = 1
``unq``     x1                U1 = 1
``sum``     x1 + x2           R = 0.5, S = 1
==========  ================  ==============================================
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .._validation import check_option, check_positive_int, seed_from
from ..estimators._problem import check_pmf

__all__ = [
    "GATES",
    "GATE_ATOMS",
    "gate_pmf",
    "sample_gate",
    "sample_pmf",
]

_AND_R = 1.5 - 0.75 * math.log2(3.0)  # I(X1;Y) for AND: 0.311278 bits

#: The bitwise gates by name: the label y as a function of the two input bits.
GATES: dict[str, Callable[[int, int], int]] = {
    "xor": lambda a, b: a ^ b,
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "copy": lambda a, b: 2 * a + b,
    "rdn": lambda a, b: a,
    "unq": lambda a, b: a,
    "sum": lambda a, b: a + b,
}

#: Exact BROJA atoms (bits) of each gate of :data:`GATES` with uniform, independent input bits.
GATE_ATOMS: dict[str, dict[str, float]] = {
    "xor": {"R": 0.0, "U1": 0.0, "U2": 0.0, "S": 1.0},
    "and": {"R": _AND_R, "U1": 0.0, "U2": 0.0, "S": 0.5},
    "or": {"R": _AND_R, "U1": 0.0, "U2": 0.0, "S": 0.5},
    "copy": {"R": 0.0, "U1": 1.0, "U2": 1.0, "S": 0.0},
    "rdn": {"R": 1.0, "U1": 0.0, "U2": 0.0, "S": 0.0},
    "unq": {"R": 0.0, "U1": 1.0, "U2": 0.0, "S": 0.0},
    "sum": {"R": 0.5, "U1": 0.0, "U2": 0.0, "S": 1.0},
}


def gate_pmf(name: str) -> np.ndarray:
    """Exact joint pmf of a gate, shape (2, 2, |Y|).

    For ``"rdn"`` the inputs are copies (x2 = x1), so only the diagonal has mass.
    """
    check_option("name", name, GATES)
    f = GATES[name]
    ny = 1 + max(f(a, b) for a in (0, 1) for b in (0, 1))
    p = np.zeros((2, 2, ny))
    if name == "rdn":
        p[0, 0, 0] = p[1, 1, 1] = 0.5
        return p
    for a in (0, 1):
        for b in (0, 1):
            p[a, b, f(a, b)] += 0.25
    return p


def sample_pmf(p: np.ndarray, n: int, *, random_state=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``n`` samples ``(x1, x2, y)`` (int arrays) from a joint pmf of shape (|X1|, |X2|, |Y|)."""
    n = check_positive_int("n", n)
    p = check_pmf(p, normalize=True)
    rng = np.random.default_rng(seed_from(random_state))
    flat = rng.choice(p.size, size=n, p=p.ravel())
    x1, x2, y = np.unravel_index(flat, p.shape)
    return x1.astype(np.int64), x2.astype(np.int64), y.astype(np.int64)


def sample_gate(name: str, n: int, *, random_state=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``n`` samples of a gate (see :data:`GATES`)."""
    return sample_pmf(gate_pmf(name), n, random_state=random_state)
