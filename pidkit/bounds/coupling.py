r"""Lower bounds on the minimum entropy of a coupling: the majorization meet.

A *coupling* of two pmfs :math:`a` (on :math:`m` states) and :math:`b` (on :math:`n` states) is a
joint pmf :math:`c(i, j)` with row sums :math:`a` and column sums :math:`b`. Finding the coupling of
least entropy is NP-hard, and the greedy algorithm only gives an *upper* bound on that minimum,
which is useless for an upper bound on synergy. Here we need a **lower** bound.

Sort both vectors in decreasing order, pad with zeros to a common length and let
:math:`A_k, B_k` be the partial sums of the :math:`k` largest entries. The *meet* (greatest lower
bound in the majorization order) :math:`a \wedge b` is the vector with partial sums
:math:`\min(A_k, B_k)` (Cicalese & Vaccaro 2002; the partial sums are concave in :math:`k`, so
the entries are non-increasing). For every coupling :math:`c` of :math:`a` and :math:`b`, the
:math:`k` largest cells of :math:`c` lie in at most :math:`k` rows and in at most :math:`k`
columns, so their mass is at most :math:`\min(A_k, B_k)`: :math:`c \prec a \wedge b`, and since
entropy is Schur-concave,

.. math::

    H(c) \ge H(a \wedge b) \ge \max(H(a), H(b)).

Functions here take pmfs as arrays (a leading stack axis is allowed) and return entropies in nats
unless stated otherwise.
"""

from __future__ import annotations

import numpy as np

from ..info import entropy_nats

__all__ = ["majorization_meet", "meet_entropy", "greedy_coupling"]


def _flat_stack(a: np.ndarray, stacked: bool) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if stacked:
        return a.reshape(a.shape[0], -1)
    return a.reshape(1, -1)


def majorization_meet(a: np.ndarray, b: np.ndarray, *, stacked: bool = False) -> np.ndarray:
    """The majorization meet :math:`a \\wedge b` of two pmfs (any shapes; they are flattened).

    Parameters
    ----------
    a, b : array
        Pmfs (non-negative, each summing to 1). With ``stacked=True`` the first axis indexes B pairs.
    stacked : bool
        Treat the leading axis as a stack of B pmfs.

    Returns
    -------
    ndarray, shape (L,) or (B, L)
        Entries of the meet in decreasing order, ``L = max(a.size, b.size)`` (per pair).

    Examples
    --------
    >>> majorization_meet([0.5, 0.5], [0.6, 0.2, 0.2]).round(3).tolist()
    [0.5, 0.3, 0.2]
    """
    fa, fb = _flat_stack(a, stacked), _flat_stack(b, stacked)
    L = max(fa.shape[1], fb.shape[1])
    fa = np.pad(fa, ((0, 0), (0, L - fa.shape[1])))
    fb = np.pad(fb, ((0, 0), (0, L - fb.shape[1])))
    ca = np.cumsum(-np.sort(-fa, axis=1), axis=1)
    cb = np.cumsum(-np.sort(-fb, axis=1), axis=1)
    meet = np.diff(np.minimum(ca, cb), axis=1, prepend=0.0)
    meet = np.maximum(meet, 0.0)  # rounding only: the exact differences are non-negative
    return meet if stacked else meet[0]


def meet_entropy(a: np.ndarray, b: np.ndarray, *, stacked: bool = False) -> np.ndarray:
    """:math:`H(a \\wedge b)` in nats: a lower bound on the entropy of every coupling of a and b."""
    m = majorization_meet(a, b, stacked=stacked)
    if not stacked:
        m = m[None]
    h = entropy_nats(m, axis=1)
    return h if stacked else float(h[0])


def greedy_coupling(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Greedy coupling of two 1-D pmfs (Kocaoglu et al. 2017): repeatedly join the largest masses.

    Its entropy is an **upper** bound on the minimum coupling entropy (within 1 bit of it), so it
    must not be used for an upper bound on synergy; pidkit uses it only to test
    :func:`meet_entropy`.

    Returns
    -------
    ndarray (a.size, b.size)
        A coupling: rows sum to ``a``, columns to ``b``.
    """
    ra = np.array(a, dtype=np.float64).ravel()
    rb = np.array(b, dtype=np.float64).ravel()
    c = np.zeros((ra.size, rb.size))
    for _ in range(ra.size + rb.size):
        i, j = int(np.argmax(ra)), int(np.argmax(rb))
        m = min(ra[i], rb[j])
        if m <= 0:
            break
        c[i, j] += m
        ra[i] -= m
        rb[j] -= m
    return c
