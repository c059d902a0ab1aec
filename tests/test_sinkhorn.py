"""Differentiable Sinkhorn projection of the BATCH estimator (pidkit.kernels.sinkhorn)."""

import subprocess
import sys
import warnings

import pytest

torch = pytest.importorskip("torch")

import pidkit.kernels._sinkhorn_native as sk_native  # noqa: E402
import pidkit.kernels._sinkhorn_torch as sk_torch  # noqa: E402
import pidkit.kernels._sinkhorn_tuning as sk_tuning  # noqa: E402
import pidkit.kernels.sinkhorn as sk  # noqa: E402
from pidkit.exceptions import (  # noqa: E402
    ConvergenceWarning,
    InputError,
    InvalidPMFError,
    NonFiniteInputError,
    ParameterError,
    ShapeError,
)
from pidkit.kernels.sinkhorn import SinkhornInfo, sinkhorn_projection  # noqa: E402

needs_native = pytest.mark.skipif(not sk.native_sinkhorn_available(), reason="compiled Sinkhorn kernel not built")


def problem(n_y=3, m=7, n=5, *, scale=1.0, dtype=torch.float64, seed=0, d=4):
    """Encoder-like logits and consistent targets: rows sum to the per-label mass of the columns."""
    g = torch.Generator().manual_seed(seed)
    f1 = torch.randn(n_y, m, d, generator=g, dtype=torch.float64)
    f2 = torch.randn(n_y, n, d, generator=g, dtype=torch.float64)
    logits = scale * f1 @ f2.transpose(1, 2) / d**0.5
    py = torch.rand(n_y, generator=g, dtype=torch.float64) + 0.5
    py /= py.sum()
    r = torch.rand(n_y, m, generator=g, dtype=torch.float64) + 0.1
    c = torch.rand(n_y, n, generator=g, dtype=torch.float64) + 0.1
    r *= (py / r.sum(1)).unsqueeze(1)
    c *= (py / c.sum(1)).unsqueeze(1)
    return logits.to(dtype), r.log().to(dtype), c.log().to(dtype)


def marginal_errors(log_q, log_row, log_col):
    q = log_q.detach().double().exp()
    rows = float((q.sum(2) - log_row.double().exp()).abs().sum())
    cols = float((q.sum(1) - log_col.double().exp()).abs().sum())
    return rows, cols


def reference_log_q(logits, log_row, log_col, iterations):
    """Plain log-domain Sinkhorn, unrolled for autograd; ends with a row update like ours."""
    z = logits
    for _ in range(iterations):
        z = z - torch.logsumexp(z, dim=2, keepdim=True) + log_row.unsqueeze(2)
        z = z - torch.logsumexp(z, dim=1, keepdim=True) + log_col.unsqueeze(1)
    return z - torch.logsumexp(z, dim=2, keepdim=True) + log_row.unsqueeze(2)


# ---------------------------------------------------------------------------------------------- forward


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(3, 7, 5), (1, 4, 9), (2, 16, 16)])
def test_marginals_met_at_tol(dtype, shape):
    logits, log_row, log_col = problem(*shape, scale=3.0, dtype=dtype)
    log_q, info = sinkhorn_projection(logits, log_row, log_col, backend="torch")
    tol = sk.DEFAULT_TOL[str(dtype).removeprefix("torch.")]
    assert isinstance(info, SinkhornInfo)
    assert info.converged and info.backend == "torch" and info.iterations >= 1
    assert log_q.dtype == dtype and log_q.shape == logits.shape
    rows, cols = marginal_errors(log_q, log_row, log_col)
    assert info.marginal_error <= tol
    assert cols <= 2 * tol  # the returned log_q, not only the iterate, meets the marginals
    assert rows <= 10 * torch.finfo(dtype).eps
    # log q = L + alpha 1^T + 1 beta^T: the double difference of log q - L vanishes
    d = (log_q - logits).double()
    assert torch.allclose(d - d[:, :1, :] - d[:, :, :1] + d[:, :1, :1], torch.zeros_like(d), atol=1e-4)


def test_matches_reference_solution():
    logits, log_row, log_col = problem(2, 6, 8, scale=2.0)
    log_q, _ = sinkhorn_projection(logits, log_row, log_col, tol=1e-13)
    assert torch.allclose(log_q, reference_log_q(logits, log_row, log_col, 400), atol=1e-9)


def test_info_is_frozen_and_prints():
    _, info = sinkhorn_projection(*problem())
    with pytest.raises(AttributeError):
        info.iterations = 3  # type: ignore[misc]
    assert "converged" in repr(info) and "marginal_error" in repr(info)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("backend", ["torch", pytest.param("native", marks=needs_native)])
def test_large_logits_are_robust(dtype, backend):
    logits, log_row, log_col = problem(2, 12, 10, scale=1.0, dtype=dtype)
    logits = logits / logits.abs().amax() * 1000.0  # |L| up to 1e3: exp overflows in any dtype
    log_q, info = sinkhorn_projection(logits, log_row, log_col, max_iter=20000, backend=backend)
    assert info.converged and info.backend == backend
    assert torch.isfinite(log_q).all()
    assert marginal_errors(log_q, log_row, log_col)[1] <= 2 * sk.DEFAULT_TOL[str(dtype).removeprefix("torch.")]


def with_tiny_target(log_t, y, i, value):
    """Set target [y, i] to exp(value), rescaling the others of label y to keep its total."""
    t = log_t.double().exp()
    total = t[y].sum()
    t[y, i] = 0.0
    t[y] *= (total - torch.tensor(value, dtype=torch.float64).exp()) / t[y].sum()
    out = t.log()
    out[y, i] = value
    return out.to(log_t.dtype)


def test_tiny_targets_float32():
    logits, log_row, log_col = problem(2, 6, 5, scale=2.0, dtype=torch.float32)
    # one row and one column with targets of 1e-25 (in float32's range: the scaling path) ...
    log_row = with_tiny_target(log_row, 0, 0, -57.5)
    log_col = with_tiny_target(log_col, 0, 0, -57.5)
    log_q, info = sinkhorn_projection(logits, log_row, log_col)
    assert info.converged and torch.isfinite(log_q).all()
    assert float(torch.logsumexp(log_q[0, 0].double(), 0)) == pytest.approx(-57.5, abs=1e-4)
    # ... and a target of e^-100, below float32's range: exact log-domain iterations
    log_row = with_tiny_target(log_row, 1, 2, -100.0)
    log_q, info = sinkhorn_projection(logits, log_row, log_col)
    assert info.converged and torch.isfinite(log_q).all()
    assert float(torch.logsumexp(log_q[1, 2].double(), 0)) == pytest.approx(-100.0, abs=1e-4)


def test_deterministic_and_input_unchanged():
    logits, log_row, log_col = problem(3, 20, 30, scale=4.0, dtype=torch.float32)
    copies = [t.clone() for t in (logits, log_row, log_col)]
    out1, info1 = sinkhorn_projection(logits, log_row, log_col)
    out2, info2 = sinkhorn_projection(logits, log_row, log_col)
    assert torch.equal(out1, out2) and info1 == info2
    for t, t0 in zip((logits, log_row, log_col), copies, strict=True):
        assert torch.equal(t, t0)


def test_non_convergence_warns_and_says_so():
    logits, log_row, log_col = problem(2, 30, 30, scale=8.0)
    with pytest.warns(ConvergenceWarning, match=r"marginal error .* after 3 iterations \(max_iter=3\)"):
        log_q, info = sinkhorn_projection(logits, log_row, log_col, max_iter=3)
    assert not info.converged and info.iterations == 3
    assert info.marginal_error > 1e-9
    assert torch.isfinite(log_q).all()


# ---------------------------------------------------------------------------------------------- backward


@pytest.mark.parametrize("shape", [(2, 6, 8), (2, 8, 6), (3, 5, 5)])
@pytest.mark.parametrize("solver", ["direct", "cg"])
def test_gradient_matches_unrolled_reference(shape, solver, monkeypatch):
    monkeypatch.setattr(sk_tuning, "DIRECT_MAX_SIDE", 10**9 if solver == "direct" else 0)
    logits, log_row, log_col = problem(*shape, scale=2.0, seed=1)
    weights = torch.randn(shape, generator=torch.Generator().manual_seed(5), dtype=torch.float64)

    def loss(log_q):  # touches q and log q, like an entropy would
        return (weights * log_q).sum() + (log_q.exp() * log_q).sum()

    ours_in = logits.clone().requires_grad_(True)
    log_q, _ = sinkhorn_projection(ours_in, log_row, log_col, tol=1e-13)
    (ours,) = torch.autograd.grad(loss(log_q), ours_in)
    ref_in = logits.clone().requires_grad_(True)
    (ref,) = torch.autograd.grad(loss(reference_log_q(ref_in, log_row, log_col, 400)), ref_in)
    assert torch.allclose(ours, ref, atol=1e-8, rtol=1e-6)


def test_gradcheck_tiny_float64():
    logits, log_row, log_col = problem(2, 3, 4, scale=1.5)
    logits.requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda x: sinkhorn_projection(x, log_row, log_col, tol=1e-14)[0], (logits,), eps=1e-6, atol=1e-7
    )


def test_float32_gradient_close_to_float64():
    logits, log_row, log_col = problem(2, 80, 90, scale=3.0, d=8)
    w = torch.randn(logits.shape, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    grads = []
    for dtype in (torch.float64, torch.float32):
        x = logits.to(dtype).requires_grad_(True)
        log_q, _ = sinkhorn_projection(x, log_row.to(dtype), log_col.to(dtype))
        (g,) = torch.autograd.grad((w.to(dtype) * log_q).sum(), x)
        grads.append(g.double())
    assert torch.allclose(grads[1], grads[0], atol=1e-3 * float(grads[0].abs().max()))


@pytest.mark.parametrize("solver", ["direct", "cg"])
def test_float32_backward_with_targets_over_many_orders(solver, monkeypatch):
    """Classifier probabilities span ~1e-18..1e-2: the float32 backward still converges (no warning)."""
    monkeypatch.setattr(sk_tuning, "DIRECT_MAX_SIDE", 10**9 if solver == "direct" else 0)
    logits, _, _ = problem(3, 150, 120, scale=2.0, d=8)
    g = torch.Generator().manual_seed(11)
    r = torch.exp(-40.0 * torch.rand(3, 150, generator=g, dtype=torch.float64))
    c = torch.exp(-40.0 * torch.rand(3, 120, generator=g, dtype=torch.float64))
    r /= r.sum()
    c *= (r.sum(1) / c.sum(1)).unsqueeze(1)
    w = torch.randn(logits.shape, generator=g, dtype=torch.float64)
    grads = []
    for dtype in (torch.float64, torch.float32):
        x = logits.to(dtype).requires_grad_(True)
        log_q, info = sinkhorn_projection(x, r.log().to(dtype), c.log().to(dtype))
        assert info.converged
        (grad,) = torch.autograd.grad((w.to(dtype) * log_q).sum(), x)
        grads.append(grad.double())
    assert torch.allclose(grads[1], grads[0], atol=1e-3 * float(grads[0].abs().max()))


def test_graph_memory_does_not_grow_with_iterations():
    """The autograd graph saves the same few tensors whether the forward ran 2 or 200 iterations."""
    logits, log_row, log_col = problem(2, 40, 40, scale=6.0)
    saved = {}
    for max_iter in (2, 200):
        sizes = []

        def pack(t, sizes=sizes):
            sizes.append(t.numel())
            return t

        x = logits.clone().requires_grad_(True)
        with warnings.catch_warnings(), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            warnings.simplefilter("ignore", ConvergenceWarning)
            log_q, info = sinkhorn_projection(x, log_row, log_col, max_iter=max_iter)
        saved[max_iter] = (info.iterations, sum(sizes), len(log_q.grad_fn.saved_tensors))
    assert saved[200][0] > 10 * saved[2][0]
    assert saved[2][1:] == saved[200][1:]
    assert saved[2][1] <= logits.numel() + 3 * 40 * 2  # K (q = diag(a) K diag(b)), a, b, r
    assert saved[2][2] == 4


def test_no_grad_input_gives_plain_tensor():
    log_q, _ = sinkhorn_projection(*problem())
    assert not log_q.requires_grad


# ---------------------------------------------------------------------------------------------- backends


@needs_native
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("scale", [1.0, 8.0])
def test_native_matches_torch(dtype, scale):
    logits, log_row, log_col = problem(3, 33, 17, scale=scale, dtype=dtype, seed=7)
    out_t, info_t = sinkhorn_projection(logits, log_row, log_col, backend="torch", max_iter=20000)
    out_n, info_n = sinkhorn_projection(logits, log_row, log_col, backend="native", max_iter=20000)
    assert info_n.backend == "native" and info_n.converged and info_t.converged
    big = 1e-3 if dtype == torch.float32 else 1e-7
    assert torch.allclose(out_n.exp(), out_t.exp(), atol=big * float(out_t.exp().max()))


@needs_native
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(2, 12, 9), (3, 70, 70), (2, 9, 12)])
def test_native_gradient_same_as_torch(dtype, shape):
    """The native backend's fused backward passes (row/column sums, one-pass CG product, one-pass
    assembly; the transposed (m < n) case goes through torch) give torch's gradient."""
    logits, log_row, log_col = problem(*shape, scale=2.0, dtype=dtype)
    weights = torch.randn(shape, generator=torch.Generator().manual_seed(3), dtype=dtype)
    grads = []
    for backend in ("torch", "native"):
        x = logits.clone().requires_grad_(True)
        log_q = sinkhorn_projection(x, log_row, log_col, backend=backend)[0]
        # a non-contiguous incoming gradient (through a transpose) must be handled too
        loss = (weights.transpose(1, 2).contiguous().transpose(1, 2) * log_q).sum() + (log_q.exp() * log_q).sum()
        (g,) = torch.autograd.grad(loss, x)
        grads.append(g)
    tol = 1e-4 if dtype == torch.float32 else 1e-8
    assert torch.allclose(grads[0], grads[1], atol=tol * float(grads[0].abs().max()))


@needs_native
def test_native_full_passes_match_numpy():
    np = pytest.importorskip("numpy")
    ext = sk_native.ext
    rng = np.random.default_rng(0)
    y, m, n = 3, 37, 29  # n not a multiple of the SIMD width
    L = rng.uniform(-95, 95, size=(y, m, n)).astype(np.float32)
    L[0, 0, :6] = [-87.2, -87.5, 88.7, 88.8, 0.0, -1e-30]
    zero_a, zero_b = np.zeros((y, m)), np.zeros((y, n))
    out = np.empty_like(L)
    ext.shifted(L, zero_a, zero_b, out, True, 1)
    exact = np.exp(L.astype(np.float64))
    normal = (exact > 1.2e-38) & (exact < 3.4e38)
    assert np.max(np.abs(out[normal] - exact[normal]) / exact[normal]) < 2.5e-7  # ~2 ulp
    assert np.all(out[exact < 1.1e-38] == 0.0) and np.all(np.isinf(out[exact > 3.41e38]))
    alpha, beta = rng.normal(size=(y, m)) * 50, rng.normal(size=(y, n)) * 50
    for dtype in (np.float32, np.float64):
        Ld = L.astype(dtype)
        out = np.empty_like(Ld)
        ext.shifted(Ld, alpha, beta, out, False, 2)
        ref = Ld.astype(np.float64) + alpha[:, :, None] + beta[:, None, :]
        assert np.allclose(out, ref, rtol=0, atol=4 * np.finfo(dtype).eps * np.abs(ref).max())
        K = rng.random((y, m, n)).astype(dtype)
        v, w = rng.random((y, n)).astype(dtype), rng.random((y, m)).astype(dtype)
        h, t = np.empty((y, m), dtype), np.empty((y, n), dtype)
        ext.quad_pass(K, v, w, h, t, 2)
        h_ref = w * np.einsum("yij,yj->yi", K, v)
        rtol = 1e-5 if dtype == np.float32 else 1e-12
        assert np.allclose(h, h_ref, rtol=rtol) and np.allclose(t, np.einsum("yij,yi->yj", K, h_ref), rtol=rtol)
        G = rng.normal(size=(y, m, n)).astype(dtype)
        row, col = np.empty((y, m), dtype), np.empty((y, n), dtype)
        ext.row_col_sums(G, row, col, 2)
        assert np.allclose(row, G.sum(2), atol=rtol * n) and np.allclose(col, G.sum(1), atol=rtol * m)
        x, a, b, z = w, w[::-1].copy(), v, v[::-1].copy()
        grad = np.empty_like(G)
        ext.assemble_grad(G, K, x, b, a, z, grad, 2)
        ref = G - K * (x[:, :, None] * b[:, None, :] + a[:, :, None] * z[:, None, :])
        assert np.allclose(grad, ref, rtol=rtol, atol=rtol)
    with pytest.raises(ValueError, match="expected"):
        ext.quad_pass(K, v[:, :-1].copy(), w, h, t, 1)


def test_gpu_code_paths_on_cpu(monkeypatch):
    """The GPU choices (batched bmm, a convergence check every 10 iterations) give the same answer."""
    logits, log_row, log_col = problem(3, 70, 90, scale=3.0)
    w = torch.randn(logits.shape, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    results = []
    for gpu_style in (False, True):
        if gpu_style:
            monkeypatch.setattr(sk_torch, "_on_cpu", lambda t: False)
        x = logits.clone().requires_grad_(True)
        log_q, info = sinkhorn_projection(x, log_row, log_col, backend="torch")
        (g,) = torch.autograd.grad((w * log_q).sum(), x)
        results.append((log_q.detach(), g, info))
    (q0, g0, i0), (q1, g1, i1) = results
    assert i0.converged and i1.converged and i1.iterations % 10 == 0 and i1.iterations >= i0.iterations
    assert torch.allclose(q0.exp(), q1.exp(), atol=1e-9) and torch.allclose(g0, g1, atol=1e-7)


@pytest.mark.parametrize("backend", ["torch", pytest.param("native", marks=needs_native)])
def test_strided_logits(backend):
    logits, log_row, log_col = problem(2, 9, 9, scale=2.0, dtype=torch.float32)
    view = logits.transpose(1, 2)  # not contiguous
    out, info = sinkhorn_projection(view, log_row, log_col, backend=backend)
    ref, _ = sinkhorn_projection(view.contiguous(), log_row, log_col, backend=backend)
    assert info.converged and torch.allclose(out, ref, atol=1e-6)


def test_environment_forces_torch(monkeypatch):
    monkeypatch.setenv("PIDKIT_KERNEL", "python")
    assert sinkhorn_projection(*problem())[1].backend == "torch"


def test_native_backend_errors_when_unavailable(monkeypatch):
    monkeypatch.setattr(sk_native, "ext", None)
    with pytest.raises(ImportError, match="backend='torch'"):
        sinkhorn_projection(*problem(), backend="native")
    assert sinkhorn_projection(*problem())[1].backend == "torch"  # auto falls back quietly


def test_import_pidkit_does_not_import_torch():
    code = "import sys, pidkit, pidkit.kernels.sinkhorn; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------------------------- bad input


def test_bad_inputs_raise_specific_errors():
    logits, log_row, log_col = problem(2, 4, 3)
    cases = [
        ((logits.numpy(), log_row, log_col), {}, ShapeError, "must be a torch.Tensor"),
        ((logits[0], log_row, log_col), {}, ShapeError, r"shape \(Y, m, n\).*unsqueeze"),
        ((logits, log_row[:, :3], log_col), {}, ShapeError, r"log_row must have shape \(2, 4\)"),
        ((logits, log_row, log_col.T), {}, ShapeError, r"log_col must have shape \(2, 3\)"),
        ((logits.half(), log_row.half(), log_col.half()), {}, ShapeError, "float32 or float64"),
        ((logits.long(), log_row, log_col), {}, ShapeError, "float32 or float64"),
        ((logits, log_row.float(), log_col), {}, ShapeError, "dtype of logits"),
        ((logits, log_row, log_col), {"backend": "cuda"}, ParameterError, "backend must be one of"),
        ((logits, log_row, log_col), {"tol": 0.0}, ParameterError, "tol must be"),
        ((logits, log_row, log_col), {"max_iter": 0}, ParameterError, "max_iter must be"),
    ]
    bad = logits.clone()
    bad[1, 2, 0] = float("nan")
    cases.append(((bad, log_row, log_col), {}, NonFiniteInputError, "logits contains 1 NaN"))
    bad = logits.clone()
    bad[0, 0, 0] = float("inf")
    cases.append(((bad, log_row, log_col), {}, NonFiniteInputError, "logits contains 1 NaN or infinite"))
    zero = log_col.clone()
    zero[1, 1] = -float("inf")
    cases.append(((logits, log_row, zero), {}, InvalidPMFError, "targets of 0.*every target > 0"))
    nan = log_row.clone()
    nan[0, 1] = float("nan")
    cases.append(((logits, nan, log_col), {}, NonFiniteInputError, "log_row contains 1 NaN"))
    cases.append(((logits, log_row, log_col + 0.1), {}, InvalidPMFError, "equal totals.*Rescale one side"))
    for args, kwargs, error, match in cases:
        with pytest.raises(error, match=match):
            sinkhorn_projection(*args, **kwargs)


def test_inconsistency_within_tolerance_is_accepted():
    logits, log_row, log_col = problem(2, 4, 3)
    log_q, info = sinkhorn_projection(logits, log_row, log_col + 1e-11, tol=1e-9)
    assert info.converged


def test_device_mismatch_is_input_error():
    logits, log_row, log_col = problem()
    with pytest.raises(InputError, match="device"):
        sinkhorn_projection(logits, log_row.to("meta"), log_col)


def test_native_on_cuda_is_refused():
    if not torch.cuda.is_available():
        with pytest.raises(ParameterError, match="CPU only"):
            sk._resolve_backend("native", "cuda")
    else:  # pragma: no cover - GPU machines only
        logits, log_row, log_col = (t.cuda() for t in problem())
        with pytest.raises(ParameterError, match="CPU only"):
            sinkhorn_projection(logits, log_row, log_col, backend="native")


@needs_native
def test_native_threaded_passes_match_single_thread():
    """Passes over >= 2M entries split across threads; same numbers (to rounding) as one thread."""
    np = pytest.importorskip("numpy")
    ext = sk_native.ext
    rng = np.random.default_rng(1)
    y, m, n = 2, 1100, 1000
    K = rng.random((y, m, n)).astype(np.float32)
    v, w = rng.random((y, n)).astype(np.float32), rng.random((y, m)).astype(np.float32)
    alpha, beta = rng.normal(size=(y, m)), rng.normal(size=(y, n))
    outs = []
    for threads in (1, 2):
        h, t = np.empty((y, m), np.float32), np.empty((y, n), np.float32)
        ext.quad_pass(K, v, w, h, t, threads)
        row, col = np.empty((y, m), np.float32), np.empty((y, n), np.float32)
        ext.row_col_sums(K, row, col, threads)
        e = np.empty_like(K)
        ext.shifted(K, alpha, beta, e, True, threads)
        g = np.empty_like(K)
        ext.assemble_grad(K, e, w, v, w, v, g, threads)
        a, b = np.ones((y, m), np.float32), np.ones((y, n), np.float32)
        ext.scaling_iterations(e, w / w.sum(1, keepdims=True), v / v.sum(1, keepdims=True), a, b, 1e-6, 50, 20.0,
                               threads)
        outs.append((h, t, row, col, e, g, a, b))
    for one, two in zip(*outs, strict=True):
        assert np.allclose(one, two, rtol=1e-5, atol=1e-6 * np.abs(one).max())


def test_torch_and_native_iteration_loops_agree():
    """The two scaling loops benchmarks/bench_batch.py times against each other reach the same scalings."""
    from pidkit.kernels import _sinkhorn_torch as skt

    kern = torch.rand(2, 6, 6, generator=torch.Generator().manual_seed(1), dtype=torch.float64) + 0.5
    r = torch.full((2, 6), 1.0 / 12, dtype=torch.float64)
    loops = [skt.torch_iterate] + ([skt.native_iterate] if sk.native_sinkhorn_available() else [])
    outs = []
    for loop in loops:
        a, b = torch.ones_like(r), torch.ones_like(r)
        steps, status, err = loop(kern, r, r, a, b, 1e-12, 200, 200.0, 1)
        assert status == "converged" and err <= 1e-12 and steps > 1
        outs.append(a)
    assert torch.allclose(outs[0], outs[-1], rtol=1e-10)
