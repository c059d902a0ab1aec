"""The torch implementation of :func:`pidkit.kernels.sinkhorn.sinkhorn_projection`.

The one module of the projection that imports torch; :mod:`pidkit.kernels.sinkhorn` imports it on
first use. It holds the input checks on tensors, the autograd function, the forward (stabilized
scaling iterations with log-domain fallbacks) and the backward (implicit differentiation: a Schur
complement solved by Cholesky or conjugate gradients); the algorithm is described in the
docstring of :mod:`pidkit.kernels.sinkhorn`; the tuned constants are in
:mod:`pidkit.kernels._sinkhorn_tuning` (read from there at call time, so that benchmarks and tests
can change them). With ``backend="native"`` the full
passes go through :mod:`pidkit.kernels._sinkhorn_native` instead of torch ops.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import torch

from ..exceptions import ConvergenceWarning, InputError, InvalidPMFError, NonFiniteInputError, ShapeError
from . import _sinkhorn_native as compiled
from . import _sinkhorn_tuning as tuning

__all__ = ["check_inputs", "targets", "project", "torch_iterate", "native_iterate"]


def check_inputs(logits: Any, log_row: Any, log_col: Any) -> None:
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


def targets(log_row: Any, log_col: Any, tol: float) -> tuple[Any, Any]:
    """The targets ``r = exp(log_row)``, ``c = exp(log_col)``, checked to have equal totals per label."""
    with torch.no_grad():  # one exp call for both sides (small transcendental calls are not free)
        r, c = torch.cat([log_row, log_col], dim=1).exp().split([log_row.shape[1], log_col.shape[1]], dim=1)
    _check_totals(r, c, tol, torch.finfo(log_row.dtype).eps)
    return r, c


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




# ----------------------------------------------------------------------------------------------
# autograd function


def project(logits: Any, log_row: Any, log_col: Any, r: Any, c: Any, *, tol: float, max_iter: int,
            backend: str) -> tuple[Any, tuning.SinkhornInfo]:
    """``(log_q, info)`` for checked inputs; ``backend`` is ``"torch"`` or ``"native"`` (resolved)."""
    holder: list[tuning.SinkhornInfo] = []
    log_q = _SinkhornProjection.apply(logits, log_row, log_col, (r, c, tol, max_iter, backend, holder))
    return log_q, holder[0]


class _SinkhornProjection(torch.autograd.Function):
    @staticmethod
    def forward(ctx, logits, log_row, log_col, opts):  # type: ignore[override]
        r, c, tol, max_iter, backend, holder = opts
        with torch.no_grad():
            log_q, kern, a, b, info = _forward(logits.detach(), log_row, log_col, r, c, tol, max_iter, backend)
        holder.append(info)
        # all that backward keeps, whatever the iterations: q = diag(a) K diag(b), row sums r
        ctx.save_for_backward(kern, a, b, r)
        ctx.use_native = backend == "native"
        return log_q

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_log_q):  # type: ignore[override]
        kern, a, b, r = ctx.saved_tensors
        with torch.no_grad():
            grad = _implicit_grad(kern, a, b, r, grad_log_q, ctx.use_native)
        return grad, None, None, None


# ----------------------------------------------------------------------------------------------
# forward


def _on_cpu(tensor) -> bool:
    """CPU-specific choices (per-label ``mv``, a convergence check every iteration) vs GPU ones."""
    return tensor.device.type == "cpu"


def _matvec(kern, x):
    """``K x`` per label: (Y, m, n), (Y, n) -> (Y, m). On CPU one ``mv`` per label (a gemv; batched
    ``bmm`` with a single column is several times slower there)."""
    if _on_cpu(kern):
        return torch.stack([torch.mv(k, v) for k, v in zip(kern, x, strict=True)])
    return torch.bmm(kern, x.unsqueeze(2)).squeeze(2)


def _rmatvec(kern, x):
    """``K^T x`` per label: (Y, m, n), (Y, m) -> (Y, n)."""
    if _on_cpu(kern):
        return torch.stack([v @ k for k, v in zip(kern, x, strict=True)])
    return torch.bmm(x.unsqueeze(1), kern).squeeze(1)


def _shifted(logits, peak, alpha, beta, out=None):
    """``L + alpha 1^T + 1 beta^T`` in the dtype of ``L`` (``alpha, beta`` float64).

    Two broadcast adds in the working dtype. ``peak`` = max |row maximum of L|: the
    entries that matter have magnitude below ``peak + |alpha| + |beta|``; where that exceeds
    ``tuning.PRECISE_ABOVE`` in float32 (rounding > ~1.5e-5 relative in ``exp``) the sum goes through
    float64.
    """
    dtype = logits.dtype
    big = peak + float(alpha.abs().max()) + float(beta.abs().max())
    if dtype == torch.float32 and big > tuning.PRECISE_ABOVE:
        z = (logits.double() + alpha.unsqueeze(2) + beta.unsqueeze(1)).to(dtype)
        return z if out is None else out.copy_(z)
    shift_r, shift_c = alpha.to(dtype).unsqueeze(2), beta.to(dtype).unsqueeze(1)
    z = torch.add(logits, shift_r) if out is None else torch.add(logits, shift_r, out=out)
    return z.add_(shift_c)


def _native_shifted(logits, alpha, beta, out=None, exp=False):
    """:func:`_shifted` (then ``exp`` when asked) in one pass of the compiled kernel (CPU; ``logits``
    C-contiguous).

    Sums in float64 whatever the dtype (as ``_shifted`` above ``tuning.PRECISE_ABOVE``). float32 ``exp``
    is the kernel's AVX2 polynomial (<= ~1.3 ulp); float64 ``exp`` is torch's (vectorized, faster
    than the kernel's scalar ``std::exp``: docs/dev-notes.md#sinkhorn).
    """
    out = torch.empty(logits.shape, dtype=logits.dtype) if out is None else out
    fused = exp and logits.dtype == torch.float32
    compiled.shifted(logits, alpha, beta, out, fused, torch.get_num_threads())
    return out.exp_() if exp and not fused else out


def _forward(logits, log_row, log_col, r, c, tol, max_iter, backend):
    """Stabilized scaling Sinkhorn; returns ``(log_q, K, a, b, SinkhornInfo)`` with
    ``exp(log_q) = diag(a) K diag(b)`` (up to rounding).

    The potentials ``alpha, beta`` (float64) hold what was absorbed so far and
    ``K = exp(L + alpha 1^T + 1 beta^T)``; the iterations move the scalings ``a, b`` only.
    Full-size tensors are few and reused: allocating one costs as much as several passes on CPU.
    """
    dtype = logits.dtype
    tau = tuning.TAU[str(dtype).removeprefix("torch.")]
    r, c = r.contiguous(), c.contiguous()  # slices of one tensor; a, b and the native kernel want dense
    # start without exp: every row of L + alpha peaks at log r_i; the first column update does the rest
    row_max = logits.amax(dim=2)
    peak = float(row_max.abs().max())
    alpha = (log_row - row_max).double()
    beta = torch.zeros_like(log_col, dtype=torch.float64)
    # targets near the underflow threshold cannot be scaled in linear domain: exact log-domain steps
    log_tiny = math.log(torch.finfo(dtype).tiny)
    log_domain = min(float(log_row.min()), float(log_col.min())) < log_tiny + 18.0
    iterate = native_iterate if backend == "native" else torch_iterate
    check_every = 1 if _on_cpu(logits) else 10  # a host sync per check on GPU
    kern = torch.empty(logits.shape, dtype=dtype, device=logits.device)  # dense even for strided logits
    done, err = 0, math.inf
    use_native = backend == "native"  # then also the full passes outside the iterations (K, log q)
    if use_native:  # the kernel reads L row by row: copy strided logits once, not at every rebuild of K
        logits = logits.contiguous()
    while not log_domain and done < max_iter:
        if use_native:
            _native_shifted(logits, alpha, beta, out=kern, exp=True)
        else:
            _shifted(logits, peak, alpha, beta, out=kern).exp_()
        a, b = torch.ones_like(r), torch.ones_like(c)
        steps, status, err = iterate(kern, r, c, a, b, tol, max_iter - done, tau, check_every)
        done += steps
        log_ab = torch.cat([a, b], dim=1).log().double()  # one log call: each costs a parallel region
        alpha += log_ab[:, : a.shape[1]]
        beta += log_ab[:, a.shape[1] :]
        if status in ("converged", "max_iter"):
            break
        if status == "nonfinite":  # rebase with an exact log-domain row and column update
            z = _shifted(logits, peak, alpha, beta)
            step = (log_row - torch.logsumexp(z, dim=2)).unsqueeze(2)
            beta += (log_col - torch.logsumexp(z.add_(step), dim=1)).double()
            alpha += step.squeeze(2).double()
            del z
            if steps == 0:  # scaling fails right after an exact step: stay in log domain
                log_domain = True
    if log_domain:
        log_q = _shifted(logits, peak, alpha, beta)
        steps, err = _log_iterate(log_q, log_row, log_col, c, tol, max_iter - done)
        done += steps
        kern = log_q.exp()
        a, b = torch.ones_like(r), torch.ones_like(c)
    else:
        log_q = _native_shifted(logits, alpha, beta) if use_native else _shifted(logits, peak, alpha, beta)
    info = tuning.SinkhornInfo(iterations=done, marginal_error=err, converged=err <= tol, backend=backend)
    return log_q, kern, a, b, info


def _log_iterate(z, log_row, log_col, c, tol, max_iter):
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


def torch_iterate(kern, r, c, a, b, tol, max_iter, tau, check_every):
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
        a.copy_(r / _matvec(kern, b))
        t = _rmatvec(kern, a)
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


def native_iterate(kern, r, c, a, b, tol, max_iter, tau, check_every):
    """The same iterations as :func:`torch_iterate`, in the compiled kernel (CPU, contiguous)."""
    return compiled.scaling_iterations(kern, r, c, a, b, tol, max_iter, tau, torch.get_num_threads())


# ----------------------------------------------------------------------------------------------
# backward


def _no_mass(dtype) -> float:
    """Targets below ``finfo.tiny * e^(2 tau)`` (float32: 2.8e-21, float64: 1.2e-134) count as empty
    in the backward: with scalings within ``e^(+-tau)`` every factor it forms stays finite."""
    return torch.finfo(dtype).tiny * math.exp(2.0 * tuning.TAU[str(dtype).removeprefix("torch.")])


def _implicit_grad(kern, a, b, r, grad, use_native=False):
    """``G - q * (u 1^T + 1 v^T)`` with ``[u; v]`` from the fixed-point system (module docstring).

    ``q = diag(a) K diag(b)`` is never formed: products with ``Q`` go through ``K``, and
    ``q * (u 1^T + 1 v^T) = K * ((a u) b^T + a (b v)^T)``. ``r`` = row sums of ``q``. The Schur
    system is solved in the variables ``w = sqrt(c) v``: with ``K^ = diag(a / sqrt r) K diag(b / sqrt c)``,
    ``diag(c)^-1/2 S diag(c)^-1/2 = I - K^T K^`` has its spectrum in [0, 1] and null vector
    ``sqrt(c)``, whatever the spread of the targets (float32 CG on the unscaled ``S`` stalls when
    the targets span many orders of magnitude, as classifier probabilities do).
    """
    c = b * _rmatvec(kern, a)  # column sums of q (rows are exact: r)
    transposed = kern.shape[1] < kern.shape[2]  # solve on the smaller side
    if transposed:
        kern, grad, a, b, r, c = kern.transpose(1, 2), grad.transpose(1, 2), b, a, c, r
    # the compiled kernel's fused passes need C-contiguous tensors: K is (made so by the forward)
    # unless transposed; the incoming gradient usually is
    fused = use_native and not transposed
    if fused:
        grad = grad.contiguous()
        g_row, g_col = torch.empty_like(a), torch.empty_like(b)
        compiled.row_col_sums(grad, g_row, g_col, torch.get_num_threads())
    else:
        g_row, g_col = grad.sum(dim=2), grad.sum(dim=1)
    # rows and columns with less mass than this carry none as far as the solve is concerned: their
    # constraint is dropped (u_i = 0 / v_j = 0). A subnormal target's reciprocal is inf (the NaN
    # gradients of issue "BATCH diverges on separated clusters"), and with scalings up to e^tau the
    # factors a^2 / r below would overflow; dropped rows change S by at most their mass, below rounding
    no_mass = _no_mass(kern.dtype)
    r_inv = torch.where(r > no_mass, r.reciprocal(), 0.0)
    rhs = g_col - b * _rmatvec(kern, a * g_row * r_inv)
    roots = torch.cat([r_inv, c], dim=1).sqrt()  # one sqrt call: each costs a parallel region
    left, sqrt_c = a * roots[:, : a.shape[1]], roots[:, a.shape[1] :]
    sqrt_c = torch.where(c > no_mass, sqrt_c, 0.0)
    c_inv_sqrt = torch.where(c > no_mass, sqrt_c.reciprocal(), 0.0)
    right = b * c_inv_sqrt
    null = sqrt_c * torch.rsqrt(c.sum(dim=1, keepdim=True))  # unit null vector of the scaled system
    f = rhs * c_inv_sqrt
    if kern.shape[2] <= tuning.DIRECT_MAX_SIDE:
        w = _schur_direct(kern, left, right, null, f)
    else:
        w = _schur_cg(kern, left, right, null, f, fused)
    bv = right * w  # b * v
    u = (g_row - a * _matvec(kern, bv)) * r_inv
    if fused:  # one pass: read G and K, write the gradient
        out = torch.empty_like(grad)
        compiled.assemble_grad(grad, kern, a * u, b, a, bv, out, torch.get_num_threads())
        return out
    # one new full-size tensor (allocating one costs several passes on CPU), four passes over it
    out = torch.mul((a * u).unsqueeze(2), b.unsqueeze(1))
    out.addcmul_(a.unsqueeze(2), bv.unsqueeze(1)).mul_(kern)
    out = torch.sub(grad, out, out=out)
    return out.transpose(1, 2) if transposed else out


def _schur_direct(kern, left, right, null, f):
    """Cholesky solve of ``(I - K^T K^ + null null^T) w = f`` in float64 (``f`` is ``⟂ null``)."""
    k_hat = kern.double() * left.double().unsqueeze(2) * right.double().unsqueeze(1)
    null64 = null.double()
    s_hat = torch.bmm(null64.unsqueeze(2), null64.unsqueeze(1)) - torch.bmm(k_hat.transpose(1, 2), k_hat)
    s_hat.diagonal(dim1=1, dim2=2).add_(1.0)
    chol, info = torch.linalg.cholesky_ex(s_hat)
    if bool((info != 0).any()):  # numerically singular beyond the null vector: CG copes
        return _schur_cg(kern, left, right, null, f)
    return torch.cholesky_solve(f.double().unsqueeze(2), chol).squeeze(2).to(f.dtype)


def _schur_cg(kern, left, right, null, f, fused=False):
    """Conjugate gradients on ``(I - K^T K^) w = f``, all labels in lockstep, kept ``⟂ null``.

    This is CG on ``S`` preconditioned by ``diag(c)``, computed in scaled variables (the exact
    diagonal of ``S`` saves too few iterations for its extra pass: docs/dev-notes.md#sinkhorn).
    ``fused``: the products through the compiled kernel (``K`` C-contiguous).
    """
    rtol = tuning.CG_RTOL[str(kern.dtype).removeprefix("torch.")]
    left2 = left * left

    if fused:  # K^T (left2 * K v) in one pass of the compiled kernel instead of two
        left2_dense = left2.contiguous()
        h, t = torch.empty_like(left2), torch.empty_like(f)
        threads = torch.get_num_threads()

        def apply_s(x):
            compiled.quad_pass(kern, right * x, left2_dense, h, t, threads)
            return x - right * t
    else:

        def apply_s(x):
            return x - right * _rmatvec(kern, left2 * _matvec(kern, right * x))

    def remove_null(x):
        return x - (x * null).sum(dim=1, keepdim=True) * null

    check_every = 1 if _on_cpu(kern) else 5  # a host sync per check on GPU
    x = torch.zeros_like(f)
    res = remove_null(f)
    rr = (res * res).sum(dim=1)
    p = res.clone()
    terms = []  # step_j * |res_j|^2: their sum over j >= k is the squared energy norm of the error at k
    for it in range(1, tuning.CG_MAX_ITER + 1):
        sp = apply_s(p)
        psp = (p * sp).sum(dim=1)
        step = torch.where(psp > 0, rr / torch.where(psp > 0, psp, 1.0), 0.0)
        x += step.unsqueeze(1) * p
        terms.append(step * rr)
        res = remove_null(res - step.unsqueeze(1) * sp)
        rr_new = (res * res).sum(dim=1)
        if it >= tuning.CG_DELAY and it % check_every == 0:
            # Hestenes-Stiefel estimate (delay d) of the energy-norm error, relative to x^T S x ~ x^T f:
            # the residual alone is no guide here, S has eigenvalues near 0 for weakly tied columns
            err2 = torch.stack(terms[-tuning.CG_DELAY:]).sum(dim=0)
            if bool((err2 <= rtol**2 * (x * f).sum(dim=1).abs()).all()):
                return x
        p = res + torch.where(rr > 0, rr_new / torch.where(rr > 0, rr, 1.0), 0.0).unsqueeze(1) * p
        rr = rr_new
    rel = float((err2 / (x * f).sum(dim=1).abs().clamp_min(torch.finfo(kern.dtype).tiny)).max()) ** 0.5
    warnings.warn(
        f"Sinkhorn backward: conjugate gradients stopped after {tuning.CG_MAX_ITER} iterations at an estimated "
        f"relative error of {rel:.3g} (target {rtol:g}); the gradient is approximate. The coupling is nearly "
        "degenerate: use float64 logits or keep the logits' scale moderate.",
        ConvergenceWarning,
        stacklevel=4,
    )
    return x
