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

torch is imported lazily: importing this module does not import torch.
"""

from __future__ import annotations

import importlib
import math
import os
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from .._validation import check_option, check_positive_float, check_positive_int
from ..exceptions import (
    ConvergenceWarning,
    InputError,
    InvalidPMFError,
    MissingDependencyError,
    NonFiniteInputError,
    ParameterError,
    ShapeError,
)

__all__ = ["SinkhornInfo", "sinkhorn_projection", "native_sinkhorn_available", "DEFAULT_TOL"]

BACKENDS = ("auto", "torch", "native")

#: Default ``tol`` (L1 column violation, rows exact, total mass ~1) per dtype. float64: 1e-9,
#: far above the rounding floor (~1e-15) and tight enough that entropies computed from ``q``
#: are accurate to ~1e-8 nats. float32: 1e-5, ten times above the rounding floor of float32
#: column sums over m ~ 10^3 rows (1e-7 to 1e-6 measured), cheap enough for training.
DEFAULT_TOL = {"float64": 1e-9, "float32": 1e-5}

# Absorb the scalings into the potentials once |log a| or |log b| exceeds tau. Entries of K that
# underflow (below finfo.tiny; the compiled kernel flushes denormals) are lost to the iterations;
# with scalings within e^{+-tau} their mass is at most m*n*tiny*e^{2 tau}: < 1e-15 for float32
# (tau=20) and < 1e-130 for float64 (tau=200). The returned log q does not lose them.
_TAU = {"float64": 200.0, "float32": 20.0}

# Backward: a Cholesky solve of the n x n Schur complement when the smaller side is at most this
# (faster than CG up to 64, slower from 128: benchmarks/bench_batch.py, part a), CG otherwise.
_DIRECT_MAX_SIDE = 64

# float32: form L + alpha + beta through float64 when magnitudes exceed this (see _shifted)
_PRECISE_ABOVE = 256.0
_CG_RTOL = {"float64": 1e-10, "float32": 1e-5}
_CG_MAX_ITER = 1000
_CG_DELAY = 4  # iterations of look-ahead in the CG error estimate

# auto uses the compiled kernel on CPU only where it measured faster than the torch path
# (benchmarks/bench_batch.py, part a: see benchmarks/results/bench_batch.txt).
_NATIVE_IS_FASTER = True

_sinkhorn_ext: ModuleType | None
try:
    _sinkhorn_ext = importlib.import_module(f"{__package__}._sinkhorn")
except ImportError:  # pragma: no cover - depends on the build
    _sinkhorn_ext = None


def native_sinkhorn_available() -> bool:
    """True when the compiled Sinkhorn kernel ``pidkit.kernels._sinkhorn`` imported."""
    return _sinkhorn_ext is not None


@dataclass(frozen=True)
class SinkhornInfo:
    """Diagnostics of one :func:`sinkhorn_projection` call.

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
        when it is built (it measured 1.4-4x faster per iteration than torch,
        ``benchmarks/bench_batch.py``) unless ``PIDKIT_KERNEL=python``; torch otherwise. The
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
    log-domain iterations in the forward; the backward divides by the row sums, so for such
    targets use float64.
    """
    torch = _torch()
    check_option("backend", backend, BACKENDS)
    max_iter = check_positive_int("max_iter", max_iter)
    _check_inputs(torch, logits, log_row, log_col)
    dtype_name = str(logits.dtype).removeprefix("torch.")
    tol = DEFAULT_TOL[dtype_name] if tol is None else check_positive_float("tol", tol)
    with torch.no_grad():  # one exp call for both sides (small transcendental calls are not free)
        r, c = torch.cat([log_row, log_col], dim=1).exp().split([log_row.shape[1], log_col.shape[1]], dim=1)
    _check_totals(r, c, tol, torch.finfo(logits.dtype).eps)
    used = _resolve_backend(backend, logits.device.type)
    holder: list[SinkhornInfo] = []
    log_q = _projection_function().apply(logits, log_row, log_col, (r, c, tol, max_iter, used, holder))
    info = holder[0]
    if not info.converged:
        warnings.warn(
            f"Sinkhorn projection did not converge: marginal error {info.marginal_error:.3g} > tol={tol:g} "
            f"after {info.iterations} iterations (max_iter={max_iter}). Raise max_iter, loosen tol, or "
            "use float64 if the error is at the float32 rounding floor.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return log_q, info


# ----------------------------------------------------------------------------------------------
# validation and dispatch


def _torch() -> ModuleType:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            "sinkhorn_projection needs PyTorch, which is not installed. Install it with "
            "`pip install pidkit[torch]` (or `pip install torch`)."
        ) from exc
    return torch


def _check_inputs(torch: ModuleType, logits: Any, log_row: Any, log_col: Any) -> None:
    for name, t in (("logits", logits), ("log_row", log_row), ("log_col", log_col)):
        if not isinstance(t, torch.Tensor):
            raise ShapeError(
                f"{name} must be a torch.Tensor; got {type(t).__name__}. Convert it with torch.as_tensor(...)."
            )
    if logits.ndim != 3:
        raise ShapeError(
            f"logits must have shape (Y, m, n) (labels, rows, columns); got {logits.ndim}-D shape "
            f"{tuple(logits.shape)}. Add a leading label axis, e.g. logits.unsqueeze(0), for a single label."
        )
    if logits.dtype not in (torch.float32, torch.float64):
        raise ShapeError(
            f"logits must be float32 or float64; got {logits.dtype}. Cast it, e.g. logits.float() or logits.double()."
        )
    n_y, m, n = logits.shape
    if min(n_y, m, n) == 0:
        raise ShapeError(f"logits has an empty axis (shape {tuple(logits.shape)}); expected Y, m, n >= 1.")
    for name, t, shape in (("log_row", log_row, (n_y, m)), ("log_col", log_col, (n_y, n))):
        if tuple(t.shape) != shape:
            raise ShapeError(
                f"{name} must have shape {shape} to match logits of shape {tuple(logits.shape)}; got {tuple(t.shape)}."
            )
        if t.dtype != logits.dtype:
            raise ShapeError(
                f"{name} must have the dtype of logits ({logits.dtype}); got {t.dtype}. Cast it with "
                f"{name}.to(logits.dtype)."
            )
        if t.device != logits.device:
            raise InputError(
                f"{name} must be on the device of logits ({logits.device}); got {t.device}. Move it with "
                f"{name}.to(logits.device)."
            )
    with torch.no_grad():
        # one reduction instead of an isfinite pass (NaN and inf propagate through the sum); count
        # exactly only when something is wrong
        bad = 0 if math.isfinite(float(logits.sum())) else int((~torch.isfinite(logits)).sum())
        if bad:
            raise NonFiniteInputError(
                f"logits contains {bad} NaN or infinite value(s); expected finite numbers. Check the encoders "
                "for overflow (e.g. scale the features) before projecting."
            )
        for name, t in (("log_row", log_row), ("log_col", log_col)):
            zero = int((t == -math.inf).sum())
            if zero:
                raise InvalidPMFError(
                    f"{name} holds {zero} entries equal to -inf (targets of 0); expected every target > 0. "
                    "Drop the empty rows/columns or floor the probabilities (e.g. clamp_min(1e-12)) and "
                    "renormalize."
                )
            bad = int((~torch.isfinite(t)).sum())
            if bad:
                raise NonFiniteInputError(
                    f"{name} contains {bad} NaN or +inf value(s); expected the finite log of positive targets."
                )


def _check_totals(r: Any, c: Any, tol: float, eps: float) -> None:
    """Row and column totals must agree within tol/2 plus the rounding of the targets' dtype."""
    rows, cols = r.double().sum(dim=1), c.double().sum(dim=1)
    gap = float((rows - cols).abs().sum())
    allowed = 0.5 * tol + 4 * eps * math.sqrt(r.shape[1] + c.shape[1]) * float(rows.sum())
    if gap > allowed:
        worst = int((rows - cols).abs().argmax())
        raise InvalidPMFError(
            f"Row and column targets must have equal totals for every label (sum_i r[y,i] = sum_j c[y,j]); "
            f"they differ by {gap:.3g} in total (label {worst}: rows {float(rows[worst]):.6g}, columns "
            f"{float(cols[worst]):.6g}), more than {allowed:.3g} (tol/2 plus rounding). Rescale one side so the totals "
            "match, e.g. log_col += log(row total / column total) per label."
        )


def _resolve_backend(backend: str, device: str) -> str:
    if backend == "torch":
        return "torch"
    if backend == "native":
        if device != "cpu":
            raise ParameterError(
                f"backend='native' runs on CPU only; the tensors are on {device}. Use backend='torch' or 'auto'."
            )
        if _sinkhorn_ext is None:
            raise MissingDependencyError(
                "backend='native' but the compiled kernel pidkit.kernels._sinkhorn is not available. Reinstall "
                "pidkit with a C++17 compiler and CMake (pip install -e .), or use backend='torch'."
            )
        return "native"
    env = (os.environ.get("PIDKIT_KERNEL") or "auto").strip().lower()
    if env == "python" or device != "cpu" or _sinkhorn_ext is None or not _NATIVE_IS_FASTER:
        return "torch"
    return "native"


# ----------------------------------------------------------------------------------------------
# autograd function (built on first use so that importing this module does not import torch)

_FUNCTION: Any = None


def _projection_function() -> Any:
    global _FUNCTION
    if _FUNCTION is None:
        torch = _torch()

        class _SinkhornProjection(torch.autograd.Function):
            @staticmethod
            def forward(ctx, logits, log_row, log_col, opts):  # type: ignore[override]
                r, c, tol, max_iter, backend, holder = opts
                with torch.no_grad():
                    log_q, kern, a, b, info = _forward(
                        torch, logits.detach(), log_row, log_col, r, c, tol, max_iter, backend
                    )
                holder.append(info)
                # all that backward keeps, whatever the iterations: q = diag(a) K diag(b), row sums r
                ctx.save_for_backward(kern, a, b, r)
                ctx.native = backend == "native"
                return log_q

            @staticmethod
            @torch.autograd.function.once_differentiable
            def backward(ctx, grad_log_q):  # type: ignore[override]
                kern, a, b, r = ctx.saved_tensors
                with torch.no_grad():
                    grad = _implicit_grad(torch, kern, a, b, r, grad_log_q, ctx.native)
                return grad, None, None, None

        _FUNCTION = _SinkhornProjection
    return _FUNCTION


# ----------------------------------------------------------------------------------------------
# forward


def _on_cpu(tensor) -> bool:
    """CPU-specific choices (per-label ``mv``, a convergence check every iteration) vs GPU ones."""
    return tensor.device.type == "cpu"


def _matvec(torch, kern, x):
    """``K x`` per label: (Y, m, n), (Y, n) -> (Y, m). On CPU one ``mv`` per label (a gemv; batched
    ``bmm`` with a single column is several times slower there)."""
    if _on_cpu(kern):
        return torch.stack([torch.mv(k, v) for k, v in zip(kern, x, strict=True)])
    return torch.bmm(kern, x.unsqueeze(2)).squeeze(2)


def _rmatvec(torch, kern, x):
    """``K^T x`` per label: (Y, m, n), (Y, m) -> (Y, n)."""
    if _on_cpu(kern):
        return torch.stack([v @ k for k, v in zip(kern, x, strict=True)])
    return torch.bmm(x.unsqueeze(1), kern).squeeze(1)


def _shifted(torch, logits, peak, alpha, beta, out=None):
    """``L + alpha 1^T + 1 beta^T`` in the dtype of ``L`` (``alpha, beta`` float64).

    Two broadcast adds in the working dtype. ``peak`` = max |row maximum of L|: the
    entries that matter have magnitude below ``peak + |alpha| + |beta|``; where that exceeds
    ``_PRECISE_ABOVE`` in float32 (rounding > ~1.5e-5 relative in ``exp``) the sum goes through
    float64.
    """
    dtype = logits.dtype
    big = peak + float(alpha.abs().max()) + float(beta.abs().max())
    if dtype == torch.float32 and big > _PRECISE_ABOVE:
        z = (logits.double() + alpha.unsqueeze(2) + beta.unsqueeze(1)).to(dtype)
        return z if out is None else out.copy_(z)
    shift_r, shift_c = alpha.to(dtype).unsqueeze(2), beta.to(dtype).unsqueeze(1)
    z = torch.add(logits, shift_r) if out is None else torch.add(logits, shift_r, out=out)
    return z.add_(shift_c)


def _native_shifted(torch, logits, alpha, beta, out=None, exp=False):
    """:func:`_shifted` (then ``exp`` when asked) in one pass of the compiled kernel (CPU; ``logits``
    C-contiguous).

    Sums in float64 whatever the dtype (as ``_shifted`` above ``_PRECISE_ABOVE``). float32 ``exp``
    is the kernel's AVX2 polynomial (<= ~1.3 ulp); float64 ``exp`` is torch's (vectorized, 4x
    faster than the kernel's scalar ``std::exp``).
    """
    out = torch.empty(logits.shape, dtype=logits.dtype) if out is None else out
    fused = exp and logits.dtype == torch.float32
    _sinkhorn_ext.shifted(  # type: ignore[union-attr]
        logits.numpy(), alpha.contiguous().numpy(), beta.contiguous().numpy(), out.numpy(), fused,
        torch.get_num_threads(),
    )
    return out.exp_() if exp and not fused else out


def _forward(torch, logits, log_row, log_col, r, c, tol, max_iter, backend):
    """Stabilized scaling Sinkhorn; returns ``(log_q, K, a, b, SinkhornInfo)`` with
    ``exp(log_q) = diag(a) K diag(b)`` (up to rounding).

    The potentials ``alpha, beta`` (float64) hold what was absorbed so far and
    ``K = exp(L + alpha 1^T + 1 beta^T)``; the iterations move the scalings ``a, b`` only.
    Full-size tensors are few and reused: allocating one costs as much as several passes on CPU.
    """
    dtype = logits.dtype
    tau = _TAU[str(dtype).removeprefix("torch.")]
    r, c = r.contiguous(), c.contiguous()  # slices of one tensor; a, b and the native kernel want dense
    # start without exp: every row of L + alpha peaks at log r_i; the first column update does the rest
    row_max = logits.amax(dim=2)
    peak = float(row_max.abs().max())
    alpha = (log_row - row_max).double()
    beta = torch.zeros_like(log_col, dtype=torch.float64)
    # targets near the underflow threshold cannot be scaled in linear domain: exact log-domain steps
    log_tiny = math.log(torch.finfo(dtype).tiny)
    log_domain = min(float(log_row.min()), float(log_col.min())) < log_tiny + 18.0
    iterate = _native_iterate if backend == "native" else _torch_iterate
    check_every = 1 if _on_cpu(logits) else 10  # a host sync per check on GPU
    kern = torch.empty(logits.shape, dtype=dtype, device=logits.device)  # dense even for strided logits
    done, err = 0, math.inf
    native = backend == "native"  # then also the full passes outside the iterations (K, log q)
    if native:  # the kernel reads L row by row: copy strided logits once, not at every rebuild of K
        logits = logits.contiguous()
    while not log_domain and done < max_iter:
        if native:
            _native_shifted(torch, logits, alpha, beta, out=kern, exp=True)
        else:
            _shifted(torch, logits, peak, alpha, beta, out=kern).exp_()
        a, b = torch.ones_like(r), torch.ones_like(c)
        steps, status, err = iterate(torch, kern, r, c, a, b, tol, max_iter - done, tau, check_every)
        done += steps
        log_ab = torch.cat([a, b], dim=1).log().double()  # one log call: each costs a parallel region
        alpha += log_ab[:, : a.shape[1]]
        beta += log_ab[:, a.shape[1] :]
        if status in ("converged", "max_iter"):
            break
        if status == "nonfinite":  # rebase with an exact log-domain row and column update
            z = _shifted(torch, logits, peak, alpha, beta)
            step = (log_row - torch.logsumexp(z, dim=2)).unsqueeze(2)
            beta += (log_col - torch.logsumexp(z.add_(step), dim=1)).double()
            alpha += step.squeeze(2).double()
            del z
            if steps == 0:  # scaling fails right after an exact step: stay in log domain
                log_domain = True
    if log_domain:
        log_q = _shifted(torch, logits, peak, alpha, beta)
        steps, err = _log_iterate(torch, log_q, log_row, log_col, c, tol, max_iter - done)
        done += steps
        kern = log_q.exp()
        a, b = torch.ones_like(r), torch.ones_like(c)
    else:
        log_q = _native_shifted(torch, logits, alpha, beta) if native else _shifted(torch, logits, peak, alpha, beta)
    info = SinkhornInfo(iterations=done, marginal_error=err, converged=err <= tol, backend=backend)
    return log_q, kern, a, b, info


def _log_iterate(torch, z, log_row, log_col, c, tol, max_iter):
    """Plain log-domain Sinkhorn iterations (logsumexp) in place on ``z``; ends after a row update.

    Returns ``(iterations, marginal error)``.
    """
    err = math.inf
    for it in range(1, max_iter + 1):
        z += (log_row - torch.logsumexp(z, dim=2)).unsqueeze(2)
        col = torch.logsumexp(z, dim=1)
        err = float((col.exp() - c).abs().sum())
        if err <= tol or it == max_iter:
            return it, err
        z += (log_col - col).unsqueeze(1)
    return max_iter, err


def _torch_iterate(torch, kern, r, c, a, b, tol, max_iter, tau, check_every):
    """Scaling iterations ``a = r / (K b)``, ``b = c / (K^T a)`` in place on ``a, b``.

    Returns ``(iterations, status, error)`` with status ``"converged"`` (error <= tol after the row
    update, ``a`` fresh, ``b`` not updated), ``"absorb"`` (a scaling left ``[e^-tau, e^tau]``),
    ``"nonfinite"`` (``a, b`` rolled back to the last good check) or ``"max_iter"`` (ends after a
    row update, like ``"converged"``); ``error`` is the last L1 column error measured.
    """
    good_a, good_b, good_it = a.clone(), b.clone(), 0
    err = math.inf
    lo, hi = math.exp(-tau), math.exp(tau)
    it = 0
    while it < max_iter:
        it += 1
        a.copy_(r / _matvec(torch, kern, b))
        t = _rmatvec(torch, kern, a)
        if it % check_every == 0 or it == max_iter:
            err = float((t * b - c).abs().sum())
            if not math.isfinite(err):
                a.copy_(good_a)
                b.copy_(good_b)
                return good_it, "nonfinite", err
            if err <= tol:
                return it, "converged", err
            if it == max_iter:
                return it, "max_iter", err
        b.copy_(c / t)
        if it % check_every == 0:
            (a_min, a_max), (b_min, b_max) = torch.aminmax(a), torch.aminmax(b)
            smallest, largest = min(float(a_min), float(b_min)), max(float(a_max), float(b_max))
            if not (math.isfinite(largest) and smallest > 0):
                a.copy_(good_a)
                b.copy_(good_b)
                return good_it, "nonfinite", math.nan
            if smallest < lo or largest > hi:
                return it, "absorb", err
            good_a.copy_(a)
            good_b.copy_(b)
            good_it = it
    return it, "max_iter", err


_NATIVE_STATUS = {0: "converged", 1: "absorb", 2: "nonfinite", 3: "max_iter"}


def _native_iterate(torch, kern, r, c, a, b, tol, max_iter, tau, check_every):
    """The same iterations as :func:`_torch_iterate`, in the compiled kernel (CPU, contiguous)."""
    steps, status, err = _sinkhorn_ext.scaling_iterations(  # type: ignore[union-attr]
        kern.numpy(),
        r.numpy(),
        c.numpy(),
        a.numpy(),
        b.numpy(),
        float(tol),
        int(max_iter),
        float(tau),
        torch.get_num_threads(),
    )
    return int(steps), _NATIVE_STATUS[int(status)], float(err)


# ----------------------------------------------------------------------------------------------
# backward


def _implicit_grad(torch, kern, a, b, r, grad, native=False):
    """``G - q * (u 1^T + 1 v^T)`` with ``[u; v]`` from the fixed-point system (module docstring).

    ``q = diag(a) K diag(b)`` is never formed: products with ``Q`` go through ``K``, and
    ``q * (u 1^T + 1 v^T) = K * ((a u) b^T + a (b v)^T)``. ``r`` = row sums of ``q``. The Schur
    system is solved in the variables ``w = sqrt(c) v``: with ``K^ = diag(a / sqrt r) K diag(b / sqrt c)``,
    ``diag(c)^-1/2 S diag(c)^-1/2 = I - K^T K^`` has its spectrum in [0, 1] and null vector
    ``sqrt(c)``, whatever the spread of the targets (float32 CG on the unscaled ``S`` stalls when
    the targets span many orders of magnitude, as classifier probabilities do).
    """
    c = b * _rmatvec(torch, kern, a)  # column sums of q (rows are exact: r)
    transposed = kern.shape[1] < kern.shape[2]  # solve on the smaller side
    if transposed:
        kern, grad, a, b, r, c = kern.transpose(1, 2), grad.transpose(1, 2), b, a, c, r
    # the compiled kernel's fused passes need C-contiguous tensors: K is (made so by the forward)
    # unless transposed; the incoming gradient usually is
    ext = _sinkhorn_ext if native and not transposed else None
    if ext is not None:
        grad = grad.contiguous()
        g_row, g_col = torch.empty_like(a), torch.empty_like(b)
        ext.row_col_sums(grad.numpy(), g_row.numpy(), g_col.numpy(), torch.get_num_threads())
    else:
        g_row, g_col = grad.sum(dim=2), grad.sum(dim=1)
    r_inv = torch.where(r > 0, r.reciprocal(), 0.0)  # float32 rows below ~1e-38 carry no mass
    rhs = g_col - b * _rmatvec(torch, kern, a * g_row * r_inv)
    roots = torch.cat([r_inv, c], dim=1).sqrt()  # one sqrt call: each costs a parallel region
    left, sqrt_c = a * roots[:, : a.shape[1]], roots[:, a.shape[1] :]
    c_inv_sqrt = torch.where(c > 0, sqrt_c.reciprocal(), 0.0)
    right = b * c_inv_sqrt
    null = sqrt_c * torch.rsqrt(c.sum(dim=1, keepdim=True))  # unit null vector of the scaled system
    f = rhs * c_inv_sqrt
    if kern.shape[2] <= _DIRECT_MAX_SIDE:
        w = _schur_direct(torch, kern, left, right, null, f)
    else:
        w = _schur_cg(torch, kern, left, right, null, f, ext)
    bv = right * w  # b * v
    u = (g_row - a * _matvec(torch, kern, bv)) * r_inv
    if ext is not None:  # one pass: read G and K, write the gradient
        out = torch.empty_like(grad)
        ext.assemble_grad(grad.numpy(), kern.numpy(), (a * u).contiguous().numpy(), b.contiguous().numpy(),
                          a.contiguous().numpy(), bv.contiguous().numpy(), out.numpy(), torch.get_num_threads())
        return out
    # one new full-size tensor (allocating one costs several passes on CPU), four passes over it
    out = torch.mul((a * u).unsqueeze(2), b.unsqueeze(1))
    out.addcmul_(a.unsqueeze(2), bv.unsqueeze(1)).mul_(kern)
    out = torch.sub(grad, out, out=out)
    return out.transpose(1, 2) if transposed else out


def _schur_direct(torch, kern, left, right, null, f):
    """Cholesky solve of ``(I - K^T K^ + null null^T) w = f`` in float64 (``f`` is ``⟂ null``)."""
    k_hat = kern.double() * left.double().unsqueeze(2) * right.double().unsqueeze(1)
    null64 = null.double()
    s_hat = torch.bmm(null64.unsqueeze(2), null64.unsqueeze(1)) - torch.bmm(k_hat.transpose(1, 2), k_hat)
    s_hat.diagonal(dim1=1, dim2=2).add_(1.0)
    chol, info = torch.linalg.cholesky_ex(s_hat)
    if bool((info != 0).any()):  # numerically singular beyond the null vector: CG copes
        return _schur_cg(torch, kern, left, right, null, f)
    return torch.cholesky_solve(f.double().unsqueeze(2), chol).squeeze(2).to(f.dtype)


def _schur_cg(torch, kern, left, right, null, f, ext=None):
    """Conjugate gradients on ``(I - K^T K^) w = f``, all labels in lockstep, kept ``⟂ null``.

    This is CG on ``S`` preconditioned by ``diag(c)`` (whose diagonal is ``c - sum_i q_ij^2 / r_i``;
    using that instead saves under 25% of the iterations in the hardest benchmark case, not worth
    its extra pass), computed in scaled variables.
    """
    rtol = _CG_RTOL[str(kern.dtype).removeprefix("torch.")]
    left2 = left * left

    if ext is not None:  # K^T (left2 * K v) in one pass of the compiled kernel instead of two
        kern_np, left2_np = kern.numpy(), left2.contiguous().numpy()
        h, t = torch.empty_like(left2), torch.empty_like(f)
        threads = torch.get_num_threads()

        def apply_s(x):
            ext.quad_pass(kern_np, (right * x).contiguous().numpy(), left2_np, h.numpy(), t.numpy(), threads)
            return x - right * t
    else:

        def apply_s(x):
            return x - right * _rmatvec(torch, kern, left2 * _matvec(torch, kern, right * x))

    def project(x):
        return x - (x * null).sum(dim=1, keepdim=True) * null

    check_every = 1 if _on_cpu(kern) else 5  # a host sync per check on GPU
    x = torch.zeros_like(f)
    res = project(f)
    rr = (res * res).sum(dim=1)
    p = res.clone()
    terms = []  # step_j * |res_j|^2: their sum over j >= k is the squared energy norm of the error at k
    for it in range(1, _CG_MAX_ITER + 1):
        sp = apply_s(p)
        psp = (p * sp).sum(dim=1)
        step = torch.where(psp > 0, rr / torch.where(psp > 0, psp, 1.0), 0.0)
        x += step.unsqueeze(1) * p
        terms.append(step * rr)
        res = project(res - step.unsqueeze(1) * sp)
        rr_new = (res * res).sum(dim=1)
        if it >= _CG_DELAY and it % check_every == 0:
            # Hestenes-Stiefel estimate (delay d) of the energy-norm error, relative to x^T S x ~ x^T f:
            # the residual alone is no guide here, S has eigenvalues near 0 for weakly tied columns
            err2 = torch.stack(terms[-_CG_DELAY:]).sum(dim=0)
            if bool((err2 <= rtol**2 * (x * f).sum(dim=1).abs()).all()):
                return x
        p = res + torch.where(rr > 0, rr_new / torch.where(rr > 0, rr, 1.0), 0.0).unsqueeze(1) * p
        rr = rr_new
    rel = float((err2 / (x * f).sum(dim=1).abs().clamp_min(torch.finfo(kern.dtype).tiny)).max()) ** 0.5
    warnings.warn(
        f"Sinkhorn backward: conjugate gradients stopped after {_CG_MAX_ITER} iterations at an estimated relative "
        f"error of {rel:.3g} (target {rtol:g}); the gradient is approximate. The coupling is nearly degenerate: use "
        "float64 logits or keep the logits' scale moderate.",
        ConvergenceWarning,
        stacklevel=4,
    )
    return x
