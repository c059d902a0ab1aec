"""Separated clusters: high-dimensional two-modality data with one known interaction each.

Every dataset is built from one-dimensional Gaussian *latents* seen through seeded injective
maps into ``dim`` features, so that the PID of the features equals that of the latents (the
BROJA decomposition is unchanged by an injective map of either source) and is known in closed
form. The label is binary; ``separation`` is the distance between the two class means of a
latent in units of its noise standard deviation σ (σ = 1): a latent is ``Z = μ_A + ε`` with
``μ_0 = -separation/2``, ``μ_1 = +separation/2``, ``ε ~ N(0, 1)`` and ``A`` a uniform bit.

==============  =============================================  ==========================================
kind            construction                                   exact atoms (bits)
==============  =============================================  ==========================================
``"R"``         ``y = A``; one latent ``Z`` (one noise draw)   ``R = I(Z;Y)``; ``U1 = U2 = S = 0``
                seen by both: ``x1 = g1(Z)``, ``x2 = g2(Z)``
``"U1"``        ``y = A``; ``x1 = g1(Z)``; ``x2 = g2(W)`` with  ``U1 = I(Z;Y)``; ``R = U2 = S = 0``
                ``W ~ N(0, 1)`` independent of everything
``"S"``         ``y = A1 XOR A2`` (independent uniform bits);  ``S = I(Z1,Z2;Y)``; ``R = U1 = U2 = 0``
                ``x1 = g1(Z1)``, ``x2 = g2(Z2)``, independent
                noises
``"views"``     ``y = A``; two *independently* noisy views:    ``R = I(Z;Y)``, ``U1 = U2 = 0``,
                ``x1 = g1(Z1)``, ``x2 = g2(Z2)``,               ``S = I(Z1,Z2;Y) - I(Z;Y) > 0``
                ``Zk = μ_A + εk`` (X1 ⟂ X2 | Y)
==============  =============================================  ==========================================

Why the zeros are exact (they hold for any PID with BROJA's consistency equations and
non-negative atoms, not only up to estimation): in ``"R"`` each modality determines ``Z`` and
so the other modality, hence ``I(X1;Y) = I(X2;Y) = I(X1,X2;Y)``, which forces
``U1 = U2 = S = 0``. In ``"U1"``, ``X2`` is independent of ``(X1, Y)``: ``I(X2;Y) = 0`` gives
``R = U2 = 0`` and ``I(X1,X2;Y) = I(X1;Y)`` gives ``S = 0``. In ``"S"``, ``A2`` is a uniform bit
independent of ``(A1, Z1)``, so ``Y`` is independent of ``X1`` (and likewise of ``X2``): ``I(X1;Y)
= I(X2;Y) = 0`` gives ``R = U1 = U2 = 0``.

``"views"`` is the case that looks like pure redundancy but is not: two views of the label with
*independent* noise carry synergy under BROJA. Both views have the same channel ``p(z|y)``, so
the coupling that copies ``Z1`` into ``Z2`` lies in BROJA's feasible set and makes
``I_q(X1;Y|X2) = 0``: ``U1 = U2 = 0`` and ``R = I(X1;Y) = I(Z;Y)``. The pair together knows more
than either view (the sufficient statistic ``Z1 + Z2 ~ N(±separation, 2)`` is a single latent of
separation ``√2·separation``), so ``S = I(Z1,Z2;Y) - I(Z;Y) > 0``: about 0.26 bits at 2σ and 0.07
at 4σ, vanishing only as the clusters separate completely.

The values are one- and two-dimensional integrals (:func:`binary_latent_information`,
:func:`xor_latent_information`), evaluated by Gauss–Legendre quadrature to ~1e-10 bits.

Examples
--------
>>> from pidkit.synthetic import separated_clusters
>>> data = separated_clusters(2000, "R", separation=4.0, random_state=0)
>>> x1, x2, y = data                       # (2000, 16), (2000, 16), (2000,)
>>> {a: round(v, 3) for a, v in data.atoms.items()}
{'R': 0.953, 'U1': 0.0, 'U2': 0.0, 'S': 0.0}
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_option, check_positive_float, check_positive_int, seed_from

__all__ = [
    "SEPARATED_KINDS",
    "SeparatedData",
    "separated_clusters",
    "separated_atoms",
    "binary_latent_information",
    "xor_latent_information",
]

#: The kinds of :func:`separated_clusters` and the atoms that are exactly 0 in each.
SEPARATED_KINDS: dict[str, tuple[str, ...]] = {
    "R": ("U1", "U2", "S"),
    "U1": ("R", "U2", "S"),
    "S": ("R", "U1", "U2"),
    "views": ("U1", "U2"),
}

_NODES = 400  # Gauss-Legendre nodes per axis
_HALF_WIDTH = 12.0  # integrate a latent over its mean ± this many σ (the rest has mass < 1e-32)


def _h2(p: np.ndarray) -> np.ndarray:
    """Binary entropy in bits, with 0 log 0 = 0."""
    p = np.clip(p, 0.0, 1.0)
    out = np.zeros_like(p)
    for q in (p, 1.0 - p):
        ok = q > 0
        out[ok] -= q[ok] * np.log2(q[ok])
    return out


def _gauss_grid(center: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of ∫ φ(z - center) f(z) dz (Gauss-Legendre on center ± _HALF_WIDTH)."""
    x, w = np.polynomial.legendre.leggauss(_NODES)
    z = center + _HALF_WIDTH * x
    dens = np.exp(-0.5 * (z - center) ** 2) / math.sqrt(2.0 * math.pi)
    return z, _HALF_WIDTH * w * dens


def binary_latent_information(separation: float) -> float:
    """I(Z;A) in bits for a uniform bit ``A`` and ``Z | A ~ N(±separation/2, 1)``.

    ``p(A=1 | z) = sigmoid(separation·z)``; by symmetry ``I = 1 - E[h2(p(A=1|Z)) | A=1]``.
    """
    s = float(separation)
    if s == 0.0:
        return 0.0
    z, w = _gauss_grid(s / 2.0)
    post = 0.5 * (1.0 + np.tanh(0.5 * s * z))  # sigmoid(s z) without overflow
    return float(1.0 - w @ _h2(post))


def xor_latent_information(separation: float) -> float:
    """I(Z1,Z2; A1 XOR A2) in bits for independent uniform bits and ``Zk | Ak ~ N(±separation/2, 1)``.

    With ``tk = tanh(separation·zk/2) = 1 - 2 p(Ak=1|zk)``, ``p(Y=1 | z1, z2) = (1 - t1·t2)/2``;
    every class of ``(A1, A2)`` gives the same conditional entropy by symmetry, so
    ``I = 1 - E[h2((1 - t1 t2)/2) | A1 = A2 = 1]`` (a product Gauss–Legendre rule).
    """
    s = float(separation)
    if s == 0.0:
        return 0.0
    z, w = _gauss_grid(s / 2.0)
    t = np.tanh(0.5 * s * z)
    post = 0.5 * (1.0 - np.outer(t, t))
    return float(1.0 - w @ _h2(post) @ w)


def separated_atoms(kind: str, separation: float) -> dict[str, float]:
    """The exact atoms (bits) of :func:`separated_clusters` data of this kind and separation."""
    check_option("kind", kind, SEPARATED_KINDS)
    s = check_positive_float("separation", separation)
    atoms = dict.fromkeys(("R", "U1", "U2", "S"), 0.0)
    if kind == "R":
        atoms["R"] = binary_latent_information(s)
    elif kind == "U1":
        atoms["U1"] = binary_latent_information(s)
    elif kind == "S":
        atoms["S"] = xor_latent_information(s)
    else:  # two independent views: their pair is one view of separation sqrt(2)·s
        one = binary_latent_information(s)
        atoms["R"] = one
        atoms["S"] = max(binary_latent_information(math.sqrt(2.0) * s) - one, 0.0)
    return atoms


def _injective_map(dim: int, scale: float, rng: np.random.Generator):
    """Seeded injective map R -> R^dim: ``Q · tanh(a z + c)``, a with no zero entry, Q orthogonal.

    ``tanh`` is strictly increasing, so any coordinate with ``a_i != 0`` recovers ``z``; ``Q``
    (orthogonal) mixes the coordinates without losing anything. ``scale`` is the latent's range,
    so that ``a z`` is O(1) and few coordinates saturate.
    """
    a = rng.standard_normal(dim)
    a = np.where(a < 0, -1.0, 1.0) * np.maximum(np.abs(a), 0.1) * (1.5 / scale)
    c = 0.5 * rng.standard_normal(dim)
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    q = q * np.sign(np.diag(r))  # a Haar-distributed orthogonal matrix

    def apply(z: np.ndarray) -> np.ndarray:
        return np.tanh(z[:, None] * a[None, :] + c[None, :]) @ q

    return apply


@dataclass(frozen=True, eq=False)
class SeparatedData:
    """Samples of :func:`separated_clusters`; unpacks as ``x1, x2, y = data``.

    Attributes
    ----------
    x1, x2 : ndarray of float64, shape (n, dim)
    y : ndarray of int64, shape (n,), values 0 and 1
    kind : str
    separation : float
        Distance between the class means of a latent, in noise standard deviations.
    atoms : dict
        The exact atoms in bits (:func:`separated_atoms`).
    zero_atoms : tuple of str
        The atoms that are exactly 0 for this kind.
    z1, z2 : ndarray of float64, shape (n,)
        The latents the modalities are injective functions of (for ``"R"`` the same array).
    seed : int or None
    """

    x1: np.ndarray
    x2: np.ndarray
    y: np.ndarray
    kind: str
    separation: float
    atoms: dict[str, float]
    zero_atoms: tuple[str, ...]
    z1: np.ndarray
    z2: np.ndarray
    seed: int | None

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.x1, self.x2, self.y))

    def __len__(self) -> int:
        return int(self.y.size)

    def __repr__(self) -> str:
        atoms = ", ".join(f"{a}={v:.4g}" for a, v in self.atoms.items())
        return (f"SeparatedData(kind={self.kind!r}, n={len(self)}, dim={self.x1.shape[1]}, "
                f"separation={self.separation:g}σ, atoms: {atoms} bits, seed={self.seed})")


def separated_clusters(
    n: int, kind: str = "R", *, separation: float = 4.0, dim: int = 16, random_state: Any = None
) -> SeparatedData:
    """Draw ``n`` samples of a separated-cluster dataset with one known interaction.

    Parameters
    ----------
    n : int
    kind : {"R", "U1", "S", "views"}
        Which interaction (module docstring): pure redundancy (one shared noisy latent), pure
        uniqueness of x1 (x2 is independent noise), pure synergy (XOR of two latents), or two
        conditionally independent noisy views of the label (redundancy *and* synergy).
    separation : float, default 4.0
        Distance between the class means of a latent in units of the noise σ (2 to 8 spans
        overlapping to cleanly separated clusters).
    dim : int, default 16
        Features per modality.
    random_state : None, int or numpy Generator
        Seeds the labels, the noise and the two feature maps.

    Returns
    -------
    SeparatedData
        ``x1, x2, y = data``; ``data.atoms`` the exact atoms in bits, ``data.zero_atoms`` the
        ones that are exactly 0.
    """
    n = check_positive_int("n", n)
    check_option("kind", kind, SEPARATED_KINDS)
    s = check_positive_float("separation", separation)
    dim = check_positive_int("dim", dim)
    seed = seed_from(random_state)
    rng = np.random.default_rng(seed)
    scale = s / 2.0 + 3.0
    g1, g2 = _injective_map(dim, scale, rng), _injective_map(dim, scale, rng)
    mu = np.array([-s / 2.0, s / 2.0])
    a1 = rng.integers(0, 2, n)
    z1 = mu[a1] + rng.standard_normal(n)
    if kind == "R":
        y, z2 = a1, z1
    elif kind == "U1":
        y, z2 = a1, rng.standard_normal(n)
    elif kind == "S":
        a2 = rng.integers(0, 2, n)
        y, z2 = a1 ^ a2, mu[a2] + rng.standard_normal(n)
    else:  # views
        y, z2 = a1, mu[a1] + rng.standard_normal(n)
    return SeparatedData(
        x1=g1(z1), x2=g2(z2), y=y.astype(np.int64), kind=kind, separation=s, atoms=separated_atoms(kind, s),
        zero_atoms=SEPARATED_KINDS[kind], z1=z1, z2=z2, seed=seed,
    )
