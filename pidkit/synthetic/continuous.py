"""Continuous data with known answers: the Gaussian mixture of thesis §3.3.1 and latent modalities.

The Gaussian mixture (:func:`gaussian_mixture`) is the continuous oracle: its density is known, so
:func:`gaussian_mixture_pmf` integrates it exactly over a fine grid of cells and the exact solver
decomposes that table. :func:`latent_modalities` builds two high-dimensional modalities from
shared and private Gaussian latents (no exact answer; a workload for the BATCH estimator).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr

from .._validation import check_option, check_positive_float, check_positive_int, seed_from
from ..exceptions import ParameterError

__all__ = ["gaussian_mixture", "gaussian_mixture_pmf", "latent_modalities", "LATENT_LABELS"]


def _mixture_mean(norm: float, angle: float) -> np.ndarray:
    norm = check_positive_float("norm", norm)
    angle = float(angle)
    if not math.isfinite(angle):
        raise ParameterError(f"angle must be a finite number (radians); got {angle!r}.")
    return norm * np.array([math.cos(angle), math.sin(angle)])


def gaussian_mixture(
    n: int, *, norm: float = 2.0, angle: float = 0.0, coords: str = "cartesian", random_state=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Samples of the two-component Gaussian mixture of thesis §3.3.1.

    ``Y`` is uniform on {-1, +1} and ``(X1, X2) | Y ~ N(Y·μ, I₂)`` with
    ``μ = norm·(cos angle, sin angle)``. With ``coords="cartesian"`` the modalities are the two
    coordinates; with ``coords="polar"`` they are the radius ``r`` and the angle ``θ`` of the
    point (``θ`` in (-π, π]).

    Returns
    -------
    x1, x2 : ndarray of float64, shape (n,)
    y : ndarray of int64, shape (n,), values -1 and +1
    """
    n = check_positive_int("n", n)
    check_option("coords", coords, ("cartesian", "polar"))
    mu = _mixture_mean(norm, angle)
    rng = np.random.default_rng(seed_from(random_state))
    y = rng.choice(np.array([-1, 1]), size=n)
    pts = y[:, None] * mu[None, :] + rng.standard_normal((n, 2))
    if coords == "polar":
        return np.hypot(pts[:, 0], pts[:, 1]), np.arctan2(pts[:, 1], pts[:, 0]), y.astype(np.int64)
    return pts[:, 0].copy(), pts[:, 1].copy(), y.astype(np.int64)


def gaussian_mixture_pmf(
    *, norm: float = 2.0, angle: float = 0.0, bins: int = 200, half_width: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The Cartesian Gaussian mixture integrated exactly over a ``bins × bins`` grid of cells.

    The density factorizes given ``Y``, so each cell's probability is a product of two normal
    CDF differences — no sampling and no quadrature error. The grid covers
    ``[-half_width, half_width]`` per axis (default ``max|μ| + 6`` standard deviations), with the
    first and last cells open to ±∞ so no mass is lost.

    Returns
    -------
    pmf : ndarray, shape (bins, bins, 2)
        Joint pmf of (cell of x1, cell of x2, y) with label index 0 for y = -1 and 1 for y = +1.
    edges : ndarray, shape (bins + 1,)
        Cell edges shared by both axes (first and last are -inf and +inf).
    """
    bins = check_positive_int("bins", bins, minimum=2)
    mu = _mixture_mean(norm, angle)
    if half_width is None:
        half_width = float(np.abs(mu).max() + 6.0)
    edges = np.linspace(-half_width, half_width, bins + 1)
    edges[0], edges[-1] = -np.inf, np.inf
    pmf = np.empty((bins, bins, 2))
    for k, sign in enumerate((-1.0, 1.0)):
        p1 = np.diff(ndtr(edges - sign * mu[0]))
        p2 = np.diff(ndtr(edges - sign * mu[1]))
        pmf[:, :, k] = 0.5 * np.outer(p1, p2)
    return pmf / pmf.sum(), edges


#: The values of :func:`latent_modalities`' ``label``: which latents the label is made from.
LATENT_LABELS = ("redundancy", "unique1", "unique2", "synergy", "mixed")


def latent_modalities(
    n: int,
    *,
    label: str = "mixed",
    dim: int = 64,
    latent_dim: int = 4,
    noise: float = 0.1,
    random_state=None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two high-dimensional modalities built from shared and private latents (thesis §3.3.1).

    Latents ``z1, z2, zc ~ N(0, I_latent_dim)``; ``x1 = T1[z1, zc]`` and ``x2 = T2[z2, zc]`` with
    ``T_k`` fixed random two-layer maps (linear, tanh, linear) to ``dim`` features, plus Gaussian
    noise of standard deviation ``noise``. The binary label depends on

    * ``"redundancy"`` — the shared latent only: ``y = [zc·w > 0]``;
    * ``"unique1"`` / ``"unique2"`` — the private latent of x1 / x2 only;
    * ``"synergy"`` — both private latents through an XOR: ``y = [z1·w1 > 0] XOR [z2·w2 > 0]``;
    * ``"mixed"`` — four classes: the redundant bit and the synergistic bit together.

    Returns
    -------
    x1, x2 : ndarray of float64, shape (n, dim)
    y : ndarray of int64, shape (n,)
    """
    n = check_positive_int("n", n)
    dim = check_positive_int("dim", dim)
    latent_dim = check_positive_int("latent_dim", latent_dim)
    check_option("label", label, LATENT_LABELS)
    if not (isinstance(noise, (int, float)) and math.isfinite(noise) and noise >= 0):
        raise ParameterError(f"noise must be a finite number >= 0; got {noise!r}.")
    rng = np.random.default_rng(seed_from(random_state))
    z1, z2, zc = (rng.standard_normal((n, latent_dim)) for _ in range(3))
    w1, w2, wc = (rng.standard_normal(latent_dim) for _ in range(3))

    def embed(z: np.ndarray) -> np.ndarray:
        a = rng.standard_normal((z.shape[1], dim)) / math.sqrt(z.shape[1])
        b = rng.standard_normal((dim, dim)) / math.sqrt(dim)
        return np.tanh(z @ a) @ b + noise * rng.standard_normal((z.shape[0], dim))

    x1 = embed(np.hstack([z1, zc]))
    x2 = embed(np.hstack([z2, zc]))
    red = (zc @ wc > 0).astype(np.int64)
    syn = ((z1 @ w1 > 0) ^ (z2 @ w2 > 0)).astype(np.int64)
    y = {
        "redundancy": red,
        "unique1": (z1 @ w1 > 0).astype(np.int64),
        "unique2": (z2 @ w2 > 0).astype(np.int64),
        "synergy": syn,
        "mixed": 2 * red + syn,
    }[label]
    return x1, x2, y
