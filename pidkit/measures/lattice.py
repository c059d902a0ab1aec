"""The Williams–Beer redundancy lattice of n sources and Möbius inversion on it.

A node (an *antichain*) is a set of source collections none of which contains another, e.g.
``{1}{23}``: the information available from X1 alone and from (X2, X3) together. Nodes are ordered
by ``α ≤ β`` iff every collection of β contains a collection of α; the bottom ``{1}{2}…{n}`` is what
every source carries, the top ``{12…n}`` is all the sources together. A redundancy function
assigns every node a value ``I∩(α)``; the partial information atoms ``π`` are its Möbius inverse,
``I∩(α) = Σ_{β ≤ α} π(β)``. There are 4, 18, 166 and 7,579 nodes for n = 2, 3, 4, 5.

Collections are bit masks of sources (bit i-1 for source i), so containment is ``a & b == a``.
Order tests are vectorized with *up-sets*: ``up(α)`` is the bit set of every source collection
that contains a member of α, and ``α ≤ β`` iff ``up(β) ⊆ up(α)``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

__all__ = ["Lattice", "lattice", "node_name", "LATTICE_SIZES"]

#: Nodes of the lattice for 1–5 sources.
LATTICE_SIZES = {1: 1, 2: 4, 3: 18, 4: 166, 5: 7579}
#: Up to this many sources the Möbius inverse is kept as a dense integer matrix (166 x 166);
#: above, atoms are peeled off node by node in a topological order (7,579 nodes, 57 MB of order).
_DENSE_MOBIUS_SOURCES = 4


def _members(mask: int) -> tuple[int, ...]:
    """1-based sources of a collection bit mask."""
    return tuple(i + 1 for i in range(mask.bit_length()) if mask >> i & 1)


def _collection_key(mask: int) -> tuple[int, tuple[int, ...]]:
    members = _members(mask)
    return len(members), members


def node_name(node: tuple[int, ...]) -> str:
    """``"{1}{23}"``: collections in braces, sources increasing inside, collections by size then
    lexicographically (sources are written as digits, so n <= 9)."""
    return "".join("{" + "".join(map(str, _members(c))) + "}" for c in sorted(node, key=_collection_key))


def _antichains(n: int) -> list[tuple[int, ...]]:
    """Every non-empty antichain of non-empty subsets of n sources (backtracking over bit masks)."""
    masks = list(range(1, 1 << n))
    out: list[tuple[int, ...]] = []

    def extend(start: int, chosen: tuple[int, ...]) -> None:
        for k in range(start, len(masks)):
            m = masks[k]
            if all(m & c != c and m & c != m for c in chosen):
                node = (*chosen, m)
                out.append(node)
                extend(k + 1, node)

    extend(0, ())
    return out


@dataclass(frozen=True, eq=False)
class Lattice:
    """The redundancy lattice of ``n`` sources (built once per n; see :func:`lattice`).

    Attributes
    ----------
    n : int
        Number of sources.
    nodes : tuple of tuple of int
        Each node's collections as bit masks, in a topological order (every node after all the
        nodes below it), bottom first and top last.
    names : tuple of str
        ``"{1}{2}{3}"``-style names, in the same order.
    order : ndarray of int
        Each node's *order* (degree): the size of its smallest collection, i.e. how many sources
        must be seen together, at least, to get that information.
    membership : ndarray of bool, shape (n_nodes, 2**n - 1)
        ``membership[i, m - 1]``: collection ``m`` belongs to node i.
    below : ndarray of bool, shape (n_nodes, n_nodes)
        ``below[i, j]``: node j ≤ node i (reflexive).
    """

    n: int
    nodes: tuple[tuple[int, ...], ...]
    names: tuple[str, ...]
    order: np.ndarray
    membership: np.ndarray
    below: np.ndarray

    @property
    def size(self) -> int:
        return len(self.nodes)

    def index(self, name: str) -> int:
        """Position of the node called ``name`` (e.g. ``"{1}{23}"``)."""
        try:
            return self._positions[name]
        except KeyError:
            from ..exceptions import ParameterError

            raise ParameterError(
                f"{name!r} is not a node of the {self.n}-source lattice; nodes are written like "
                f"{self.names[0]!r} (bottom), {self.names[-1]!r} (top), with sources 1..{self.n}."
            ) from None

    @functools.cached_property
    def _positions(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.names)}

    @functools.cached_property
    def mobius(self) -> np.ndarray | None:
        """Dense Möbius matrix ``M`` with ``atoms = M @ redundancies`` (n <= 4; None above)."""
        if self.n > _DENSE_MOBIUS_SOURCES:
            return None
        from scipy.linalg import solve_triangular

        zeta = self.below.astype(np.float64)  # unit lower triangular in the topological order
        inv = solve_triangular(zeta, np.eye(self.size), lower=True, unit_diagonal=True)
        return np.rint(inv)  # integer Möbius values; rint removes the solve's rounding

    def invert(self, red: np.ndarray) -> np.ndarray:
        """Atoms from redundancies: ``red`` of shape (..., n_nodes) → the Möbius inverse, same shape."""
        red = np.asarray(red, dtype=np.float64)
        m = self.mobius
        if m is not None:
            return red @ m.T
        atoms = np.empty_like(red)
        for i in range(self.size):  # topological order: every strict lower node is already done
            strict = self.below[i].copy()
            strict[i] = False
            atoms[..., i] = red[..., i] - atoms[..., strict].sum(axis=-1)
        return atoms


@functools.cache
def lattice(n: int) -> Lattice:
    """The redundancy lattice of ``n`` sources (1 <= n <= 5), cached."""
    nodes = _antichains(n)
    full = (1 << n) - 1
    # up-set of every node over the 2**n - 1 collections, as a boolean matrix then as integers
    coll = np.arange(1, full + 1)
    member = np.zeros((len(nodes), full), dtype=bool)
    up = np.zeros((len(nodes), full), dtype=bool)
    for i, node in enumerate(nodes):
        for c in node:
            member[i, c - 1] = True
            up[i] |= (coll & c) == c
    weights = (1 << np.arange(full, dtype=np.int64)).astype(np.int64)
    up_bits = up.astype(np.int64) @ weights  # 31 bits at most
    # below[i, j]: node j <= node i  <=>  up(i) ⊆ up(j); in row chunks to bound memory at n = 5
    below = np.empty((len(nodes), len(nodes)), dtype=bool)
    for start in range(0, len(nodes), 512):
        rows = up_bits[start:start + 512, None]
        below[start:start + 512] = (rows & ~up_bits[None, :]) == 0
    rank = below.sum(axis=1)  # a strictly lower node has a strictly smaller down-set
    names = [node_name(node) for node in nodes]
    perm = np.lexsort((np.array(names), rank))
    nodes_sorted = tuple(tuple(sorted(nodes[k], key=_collection_key)) for k in perm)
    order = np.array([min(bin(c).count("1") for c in node) for node in nodes_sorted])
    return Lattice(
        n=n,
        nodes=nodes_sorted,
        names=tuple(names[k] for k in perm),
        order=order,
        membership=member[perm],
        below=below[np.ix_(perm, perm)],
    )
