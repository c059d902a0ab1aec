r"""Differentiable Sinkhorn projection of exponentiated logits onto couplings (BATCH estimator).

For every label :math:`y` the BATCH estimator turns encoder logits :math:`L_y \in \mathbb{R}^{m\times n}`
into the coupling

.. math::

    q_y = \exp\!\big(L_y + \alpha_y \mathbf 1^\top + \mathbf 1 \beta_y^\top\big),\qquad
    q_y \mathbf 1 = r_y,\quad q_y^\top \mathbf 1 = c_y,

the I-projection (KL projection) of :math:`A_y = e^{L_y}` onto the couplings with row sums
:math:`r_y > 0` and column sums :math:`c_y > 0` (with :math:`\sum_i r_{yi} = \sum_j c_{yj}`).
:func:`sinkhorn_projection` returns :math:`\log q` and is differentiable with respect to :math:`L`.

Forward
    Stabilized scaling Sinkhorn (Schmitzer 2019). Potentials :math:`\alpha, \beta` (float64
    vectors; start: :math:`\alpha = \log r - \max_j L_{\cdot j}`, :math:`\beta = 0`) define a kernel
    :math:`K = e^{L + \alpha 1^\top + 1 \beta^\top}`, formed once; the iterations only update
    scaling vectors, :math:`a \leftarrow r / (K b)`, :math:`b \leftarrow c / (K^\top a)` (two
    matrix-vector products, no ``exp``), so :math:`q = \operatorname{diag}(a) K \operatorname{diag}(b)`.
    When a scaling leaves :math:`[e^{-\tau}, e^{\tau}]` it is absorbed into the potentials and
    :math:`K` is rebuilt; when a product under- or overflows, the last good scalings are absorbed
    and an exact log-domain (logsumexp) row and column update rebuilds the potentials; targets
    below ~``finfo.tiny * e^18`` run plain log-domain iterations throughout. So logits of any size
    (:math:`|L| \sim 10^3`) and tiny targets are safe. The iterations stop right after a row update
    (rows exact); ``marginal_error`` is the L1 column error measured there. The returned
    :math:`\log q = L + \alpha' 1^\top + 1 \beta'^\top` comes from the final potentials, never from
    ``log`` of a product. Everything runs under ``torch.no_grad()``: no autograd graph, memory
    independent of the iteration count. On CPU a compiled kernel (``pidkit.kernels._sinkhorn``)
    runs the scaling iterations with one pass over :math:`K` per iteration instead of two, and
    forms :math:`K` (sum and vectorized ``exp`` in one pass) and :math:`\log q` in one pass each;
    in the backward it computes both sums of :math:`G`, each conjugate-gradient product
    :math:`\hat K^\top(\cdot\,\hat K x)` and the final gradient in one pass each (2-4 torch
    passes and a temporary each otherwise).

Backward (implicit differentiation at the fixed point)
    Perturb :math:`L` by :math:`dL`; the potentials move so that the marginals stay fixed:
    :math:`d\log q = dL + d\alpha\,\mathbf 1^\top + \mathbf 1\, d\beta^\top` and

    .. math::

        \begin{pmatrix}\operatorname{diag}(r) & Q\\ Q^\top & \operatorname{diag}(c)\end{pmatrix}
        \begin{pmatrix} d\alpha \\ d\beta\end{pmatrix}
        = -\begin{pmatrix} (Q\odot dL)\mathbf 1 \\ (Q\odot dL)^\top \mathbf 1\end{pmatrix}.

    The matrix :math:`M` is symmetric positive semi-definite
    (:math:`[x;z]^\top M [x;z] = \sum_{ij} q_{ij}(x_i+z_j)^2`) with null space :math:`(\mathbf 1, -\mathbf 1)`.
    With :math:`G = \partial\ell/\partial\log q` and :math:`[u; v] = M^{+}[G\mathbf 1; G^\top\mathbf 1]`
    (the right-hand side is orthogonal to the null space because both blocks sum to
    :math:`\sum G`), :math:`d\ell = \langle G, dL\rangle - \sum_{ij} q_{ij}(u_i+v_j)\,dL_{ij}`, so

    .. math::

        \frac{\partial \ell}{\partial L} = G - q \odot (u\mathbf 1^\top + \mathbf 1 v^\top).

    The gradient does not change along the null space (:math:`u + t`, :math:`v - t`), so the
    gauge is free. Eliminating :math:`u = (G\mathbf 1 - Qv)/r` leaves the PSD Schur complement

    .. math::

        S v = \big(\operatorname{diag}(c) - Q^\top \operatorname{diag}(1/r)\, Q\big) v
            = G^\top \mathbf 1 - Q^\top (G\mathbf 1 / r), \qquad S\mathbf 1 = 0,

    solved in the scaled variables :math:`w = \sqrt{c}\odot v`, where it reads
    :math:`(I - \hat K^\top \hat K) w = f` with :math:`\hat K = \operatorname{diag}(r)^{-1/2} Q
    \operatorname{diag}(c)^{-1/2}` (spectrum in [0, 1], null vector :math:`\sqrt c`, well scaled
    however widely the targets spread): by conjugate gradients batched over :math:`y` on the
    smaller side (stopped on an estimate of the energy-norm error, which bounds the gradient's
    error entrywise by :math:`\sqrt{q_{ij}}` times it), or, for sides up to 64, by a float64
    Cholesky factorization of :math:`I - \hat K^\top \hat K + \hat n \hat n^\top`. :math:`c` is the
    actual column sum of :math:`q` (rows are exact), so the system is consistent even when the
    forward stopped at a tolerance. :math:`q` itself is never formed: products go through
    :math:`K, a, b`, the only tensors kept for backward.

The torch path is device-agnostic (CPU and CUDA, float32 and float64). Pick the implementation
with ``backend`` (``"auto"``, ``"torch"``, ``"native"``) or the environment variable
``PIDKIT_KERNEL`` (``python`` forces the torch path under ``backend="auto"``).

Layout: this module (public API, options, backend choice; it does not import torch),
:mod:`pidkit.kernels._sinkhorn_torch` (autograd function, forward and backward in torch;
the one module that imports torch, loaded on the first call),
:mod:`pidkit.kernels._sinkhorn_native` (thin dispatch to the compiled kernel) and
:mod:`pidkit.kernels._sinkhorn_tuning` (tuned constants and :class:`SinkhornInfo`, shared by both). The measurements
behind the design: ``docs/dev-notes.md#sinkhorn``.
"""

from __future__ import annotations

import os
import warnings
from types import ModuleType
from typing import Any

from .._validation import check_option, check_positive_float, check_positive_int
from ..exceptions import ConvergenceWarning, MissingDependencyError, ParameterError
from . import _sinkhorn_native
from ._sinkhorn_tuning import SinkhornInfo

__all__ = ["SinkhornInfo", "sinkhorn_projection", "native_sinkhorn_available", "DEFAULT_TOL"]

BACKENDS = ("auto", "torch", "native")

#: Default ``tol`` (L1 column violation, rows exact, total mass ~1) per dtype. float64: 1e-9,
#: far above the rounding floor (~1e-15) and tight enough that entropies computed from ``q``
#: are accurate to ~1e-8 nats. float32: 1e-5, ten times above the rounding floor of float32
#: column sums over m ~ 10^3 rows (1e-7 to 1e-6 measured), cheap enough for training.
DEFAULT_TOL = {"float64": 1e-9, "float32": 1e-5}

# auto uses the compiled kernel on CPU only where it measured faster than the torch path.
# tuned on benchmarks/bench_batch.py (part a), see docs/dev-notes.md#sinkhorn
_NATIVE_IS_FASTER = True


def native_sinkhorn_available() -> bool:
    """True when the compiled Sinkhorn kernel ``pidkit.kernels._sinkhorn`` imported."""
    return _sinkhorn_native.available()


def sinkhorn_projection(
    logits: Any,
    log_row: Any,
    log_col: Any,
    *,
    tol: float | None = None,
    max_iter: int = 2000,
    backend: str = "auto",
) -> tuple[Any, SinkhornInfo]:
    r"""Project :math:`e^{L_y}` onto the couplings with row sums :math:`r_y` and column sums :math:`c_y`.

    Solves, for every label :math:`y`,
    :math:`\min_{q_y \ge 0} \mathrm{KL}(q_y \,\|\, e^{L_y})` s.t. :math:`q_y\mathbf 1 = r_y`,
    :math:`q_y^\top\mathbf 1 = c_y`, whose solution is
    :math:`q_y = \exp(L_y + \alpha_y\mathbf 1^\top + \mathbf 1\beta_y^\top)`. See the module
    docstring for the algorithm and the implicit-differentiation backward.

    Parameters
    ----------
    logits : torch.Tensor, shape (Y, m, n)
        :math:`L`, float32 or float64, CPU or CUDA; may require grad.
    log_row : torch.Tensor, shape (Y, m)
        :math:`\log r` (finite: every target > 0); same dtype and device; treated as a constant.
    log_col : torch.Tensor, shape (Y, n)
        :math:`\log c`; per label :math:`\sum_i r_{yi} = \sum_j c_{yj}` within ``tol / 2`` (summed
        over labels, plus the dtype's rounding); same dtype and device; a constant.
    tol : float, optional
        Target for ``marginal_error``, the L1 column violation with exact rows (default
        :data:`DEFAULT_TOL`: 1e-9 for float64, 1e-5 for float32).
    max_iter : int, default 2000
        Iteration cap; reaching it warns with :class:`~pidkit.exceptions.ConvergenceWarning`.
    backend : {"auto", "torch", "native"}, default "auto"
        ``"native"``: the compiled CPU kernel for the iterations (error if it is missing or the
        tensors are on CUDA). ``"torch"``: pure torch ops, any device. ``"auto"``: native on CPU
        when it is built (faster per iteration than torch: ``benchmarks/bench_batch.py``,
        ``docs/dev-notes.md#sinkhorn``) unless ``PIDKIT_KERNEL=python``; torch otherwise. The
        native kernel uses up to ``torch.get_num_threads()`` threads.

    Returns
    -------
    log_q : torch.Tensor, shape (Y, m, n)
        :math:`\log q`, differentiable with respect to ``logits`` (implicit differentiation, first
        order; the autograd graph keeps one (Y, m, n) tensor and three vectors, whatever the
        number of iterations).
    info : SinkhornInfo
        Iterations, marginal error, convergence flag, backend used.

    Raises
    ------
    ShapeError
        Wrong types, ranks, shapes or dtypes.
    NonFiniteInputError
        NaN or infinite logits, NaN or ``+inf`` log-targets.
    InvalidPMFError
        A target is 0 (``log = -inf``) or the row and column totals disagree.
    ParameterError
        Invalid ``tol``, ``max_iter`` or ``backend``.

    Warns
    -----
    ConvergenceWarning
        ``max_iter`` ran out (``info.converged`` is False), or the backward's conjugate gradients
        did not reach their tolerance.

    Notes
    -----
    Sinkhorn needs more iterations as the logits sharpen (roughly with their spread): encoder-like
    logits of unit scale converge in ~5 iterations, scale 3 in ~15, logits spread over 10^3 in
    thousands. Targets so small that float32 cannot scale them (below ~1e-30) are handled by
    log-domain iterations in the forward (slower: a logsumexp per iteration). The backward divides
    by the row and column sums; rows and columns whose target is below ``finfo.tiny · e^(2τ)``
    (float32: 2.8e-21, float64: 1.2e-134) are treated as carrying no mass there (their constraint is
    dropped, which changes the solve by less than rounding), so a subnormal or zero float32 target
    gives finite gradients instead of ``1/r = inf`` and NaN.
    """
    impl = _implementation()
    check_option("backend", backend, BACKENDS)
    max_iter = check_positive_int("max_iter", max_iter)
    impl.check_inputs(logits, log_row, log_col)
    dtype_name = str(logits.dtype).removeprefix("torch.")
    tol = DEFAULT_TOL[dtype_name] if tol is None else check_positive_float("tol", tol)
    r, c = impl.targets(log_row, log_col, tol)
    used = _resolve_backend(backend, logits.device.type)
    log_q, info = impl.project(logits, log_row, log_col, r, c, tol=tol, max_iter=max_iter, backend=used)
    if not info.converged:
        warnings.warn(
            f"Sinkhorn projection did not converge: marginal error {info.marginal_error:.3g} > tol={tol:g} "
            f"after {info.iterations} iterations (max_iter={max_iter}). Raise max_iter, loosen tol, or "
            "use float64 if the error is at the float32 rounding floor.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return log_q, info


def _implementation() -> ModuleType:
    """:mod:`pidkit.kernels._sinkhorn_torch`, imported on first use (it imports torch)."""
    try:
        from . import _sinkhorn_torch
    except ImportError as exc:
        if (exc.name or "").startswith("pidkit"):  # a bug of ours, not a missing dependency
            raise
        raise MissingDependencyError(
            "sinkhorn_projection needs PyTorch, which is not installed. Install it with "
            "`pip install pidkit[torch]` (or `pip install torch`)."
        ) from exc
    return _sinkhorn_torch


def _resolve_backend(backend: str, device: str) -> str:
    if backend == "torch":
        return "torch"
    if backend == "native":
        if device != "cpu":
            raise ParameterError(
                f"backend='native' runs on CPU only; the tensors are on {device}. Use backend='torch' or 'auto'."
            )
        if not _sinkhorn_native.available():
            raise MissingDependencyError(
                "backend='native' but the compiled kernel pidkit.kernels._sinkhorn is not available. Reinstall "
                "pidkit with a C++17 compiler and CMake (pip install -e .), or use backend='torch'."
            )
        return "native"
    env = (os.environ.get("PIDKIT_KERNEL") or "auto").strip().lower()
    if env == "python" or device != "cpu" or not _sinkhorn_native.available() or not _NATIVE_IS_FASTER:
        return "torch"
    return "native"

