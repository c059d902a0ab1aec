"""Tuned constants of the Sinkhorn projection and its diagnostics record.

Shared by :mod:`pidkit.kernels.sinkhorn` (the API) and :mod:`pidkit.kernels._sinkhorn_torch` (the
implementation, which reads the constants from here at call time so that benchmarks and tests can
change them, e.g. ``monkeypatch.setattr(_sinkhorn_tuning, "DIRECT_MAX_SIDE", 0)``). Imports
nothing of pidkit: both modules depend on it, neither on the other at import time.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SinkhornInfo", "TAU", "DIRECT_MAX_SIDE", "PRECISE_ABOVE", "CG_RTOL", "CG_MAX_ITER", "CG_DELAY"]

# Absorb the scalings into the potentials once |log a| or |log b| exceeds tau. Entries of K that
# underflow (below finfo.tiny; the compiled kernel flushes denormals) are lost to the iterations;
# with scalings within e^{+-tau} their mass is at most m*n*tiny*e^{2 tau}: < 1e-15 for float32
# (tau=20) and < 1e-130 for float64 (tau=200). The returned log q does not lose them.
TAU = {"float64": 200.0, "float32": 20.0}

# Backward: a Cholesky solve of the n x n Schur complement when the smaller side is at most this,
# conjugate gradients otherwise.
# tuned on benchmarks/bench_batch.py (part a, backward by side length), see docs/dev-notes.md#sinkhorn
DIRECT_MAX_SIDE = 64

# float32: form L + alpha + beta through float64 when magnitudes exceed this (see _sinkhorn_torch._shifted)
PRECISE_ABOVE = 256.0
CG_RTOL = {"float64": 1e-10, "float32": 1e-5}
CG_MAX_ITER = 1000
CG_DELAY = 4  # iterations of look-ahead in the CG error estimate


@dataclass(frozen=True)
class SinkhornInfo:
    """Diagnostics of one :func:`~pidkit.kernels.sinkhorn.sinkhorn_projection` call.

    Attributes
    ----------
    iterations : int
        Sinkhorn iterations run (one row and one column update each).
    marginal_error : float
        :math:`\\sum_{y,j} |\\sum_i q_{yij} - c_{yj}|` right after the last row update (rows exact;
        an L1 violation on the total mass), measured on the iterate, which ``exp(log_q)`` equals up
        to rounding.
    converged : bool
        ``marginal_error <= tol``.
    backend : str
        ``"torch"`` or ``"native"``.
    """

    iterations: int
    marginal_error: float
    converged: bool
    backend: str

    def __repr__(self) -> str:
        state = "converged" if self.converged else "NOT converged"
        return (
            f"SinkhornInfo({state}, iterations={self.iterations}, marginal_error={self.marginal_error:.3g}, "
            f"backend={self.backend!r})"
        )
