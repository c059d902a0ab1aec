"""Neural parts of the BATCH estimator (torch): classifiers, coupling encoders, targets, read-out.

Everything here works on one device and dtype chosen by
:class:`~pidkit.estimators.batch.BatchEstimator`; nothing here validates user input (the
estimator does) except the probabilities returned by user-supplied classifiers.

Notation: a minibatch holds m samples ``(x1_i, x2_i)``; K is the number of classes. Matrices of
log-probabilities have shape (m, K); couplings have shape (K, m, m) with ``q[y, i, j]`` the mass on
``(x1_i, x2_j, y)``. Information is computed in nats; the estimator converts.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..exceptions import ConvergenceWarning, InputError, SolverError

__all__ = [
    "MLP",
    "ClassifierReport",
    "LogProba",
    "fit_classifier",
    "wrap_user_classifier",
    "CouplingModel",
    "consistent_targets",
    "floor_log_proba",
    "coupling_information",
    "table_information",
]

#: Chunk size for evaluating networks on a whole split (bounds peak memory).
EVAL_CHUNK = 8192
#: Floor of every classifier probability: exact zeros of user classifiers, and the near-zeros of
#: confident ones (a temperature fitted on a separable validation split sharpens the logits up to
#: e^3 times, giving probabilities like e^-340). Minibatch targets p/m stay far inside the normal
#: range of float32 (~1e-38), so the Sinkhorn projection scales them in linear domain and its
#: backward never divides by a subnormal number. Moving mass ε = 1e-12 per class changes any
#: entropy by at most K·ε·(ln(1/ε) + 1) ≈ 3e-11·K nats per sample: nothing, for information.
PROBA_FLOOR = 1e-12


# ------------------------------------------------------------------------------------ networks
class MLP(nn.Module):
    """Standardize the input with fixed training statistics, then a ReLU perceptron.

    Standardizing inside the module lets every network take raw features, exactly as a
    user-supplied classifier does.
    """

    def __init__(self, d_in: int, d_out: int, hidden: tuple[int, ...], mean: torch.Tensor, std: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", mean.clone())
        self.register_buffer("std", std.clone())
        layers: list[nn.Module] = []
        d = d_in
        for h in hidden:
            layers += [nn.Linear(d, h), nn.ReLU()]
            d = h
        layers.append(nn.Linear(d, d_out))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x - self.mean) / self.std)


def feature_stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Column means and standard deviations (constant columns get std 1, not a division by 0)."""
    mean = x.mean(0)
    std = x.std(0, unbiased=False)
    return mean, torch.where(std > 0, std, torch.ones_like(std))


def _chunks(n: int, size: int = EVAL_CHUNK) -> Iterator[slice]:
    for s in range(0, n, size):
        yield slice(s, min(n, s + size))


# --------------------------------------------------------------------------------- classifiers
@dataclass(frozen=True)
class ClassifierReport:
    """What was done to obtain one of the three classifiers (stored in the diagnostics)."""

    source: str  # "trained" or "user"
    epochs: int
    val_nll_nats: float
    val_accuracy: float
    temperature: float
    floored: int = 0
    stacked_on: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


#: ``LogProba(*inputs) -> (b, K)`` log-probabilities of the classes, never -inf.
LogProba = Callable[..., torch.Tensor]


def _nll_acc(logp: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Mean NLL and accuracy against label codes (n,) or soft labels (n, K) (accuracy: argmax agreement)."""
    if y.numel() == 0:
        return float("nan"), float("nan")
    if y.is_floating_point():
        nll = -(y.to(logp.dtype) * logp).sum(1).mean().item()
        y = y.argmax(1)
    else:
        nll = F.nll_loss(logp, y).item()
    acc = (logp.argmax(1) == y).to(torch.float64).mean().item()
    return nll, acc


def _fit_temperature(logits: torch.Tensor, y: torch.Tensor) -> float:
    """Temperature T minimizing the validation NLL of ``softmax(logits / T)`` (T in [e^-3, e^3])."""
    from scipy.optimize import minimize_scalar

    if y.numel() == 0:
        return 1.0
    z = logits.detach().to(torch.float64)
    if y.is_floating_point():  # soft labels (a model's probabilities)
        y = y.to(torch.float64)

    def nll(log_t: float) -> float:
        return F.cross_entropy(z / math.exp(log_t), y).item()

    res = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded", options={"xatol": 1e-4})
    # keep T = 1 unless scaling clearly helps (avoids chasing noise on tiny validation sets)
    return math.exp(res.x) if res.fun < nll(0.0) - 1e-6 else 1.0


def fit_classifier(
    inputs_tr: tuple[torch.Tensor, ...],
    y_tr: torch.Tensor,
    inputs_va: tuple[torch.Tensor, ...],
    y_va: torch.Tensor,
    n_classes: int,
    *,
    hidden: tuple[int, ...],
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    patience: int,
    rng: np.random.Generator,
    on_epoch: Callable[[], None] | None = None,
    offset: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> tuple[LogProba, ClassifierReport]:
    """Train an MLP classifier on the concatenated inputs; early stopping; temperature scaling.

    ``offset`` (training, validation) are fixed logits added to the network's output — the
    stacking of the multimodal classifier on the unimodal ones. The network's last layer then
    starts at zero, so training starts from the offset model, and early stopping also considers
    that starting point: the result is never worse than the offset on the validation NLL. The
    returned function then takes the offset of the samples it scores (``offset=``).

    ``y_tr`` / ``y_va`` are label codes (n,) or soft labels (n, K): class probabilities in the
    networks' dtype (a model's predictive distribution, for model PID); cross-entropy takes either.
    Cross-entropy with Adam on minibatches; after each epoch the validation NLL is measured and
    the best weights are kept; training stops after ``patience`` epochs without improvement.
    A temperature fitted on the validation split then calibrates the probabilities, which
    matters here because the decomposition reads information from them, not just the argmax.
    """
    x_tr = torch.cat(inputs_tr, dim=1)
    x_va = torch.cat(inputs_va, dim=1)
    mean, std = feature_stats(x_tr)
    net = MLP(x_tr.shape[1], n_classes, hidden, mean, std).to(device=x_tr.device, dtype=x_tr.dtype)
    off_tr = off_va = None
    if offset is not None:
        off_tr, off_va = (o.to(device=x_tr.device, dtype=x_tr.dtype) for o in offset)
        nn.init.zeros_(net.net[-1].weight)
        nn.init.zeros_(net.net[-1].bias)
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
    n = x_tr.shape[0]
    bs = min(batch_size, n)

    def val_logits() -> torch.Tensor:
        if not x_va.shape[0]:
            return x_va.new_zeros((0, n_classes))
        with torch.no_grad():
            z = torch.cat([net(x_va[s]) for s in _chunks(x_va.shape[0])])
        return z if off_va is None else z + off_va

    best, best_state, bad, run = math.inf, copy.deepcopy(net.state_dict()), 0, 0
    if off_va is not None and y_va.numel():  # the starting point (the offset itself) is a candidate too
        net.eval()
        best = F.cross_entropy(val_logits(), y_va).item()
    for _ in range(epochs):
        run += 1
        net.train()
        perm = torch.from_numpy(rng.permutation(n)).to(x_tr.device)
        for s in range(0, n, bs):
            idx = perm[s : s + bs]
            logits = net(x_tr[idx]) if off_tr is None else net(x_tr[idx]) + off_tr[idx]
            loss = F.cross_entropy(logits, y_tr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        net.eval()
        if on_epoch is not None:
            on_epoch()
        if y_va.numel() == 0:  # no validation data: train for the full budget
            best_state = copy.deepcopy(net.state_dict())
            continue
        val = F.cross_entropy(val_logits(), y_va).item()
        if not math.isfinite(val):
            raise SolverError(
                f"classifier training diverged: validation loss {val} after {run} epoch(s). Expected finite losses; "
                "check the features for huge values (they are cast to the estimator's dtype) or lower lr."
            )
        if best == math.inf or val < best - 1e-4 * max(1.0, abs(best)):  # first epoch, or a real improvement
            best, best_state, bad = val, copy.deepcopy(net.state_dict()), 0
        else:
            bad += 1
            if bad >= patience:
                break
    net.load_state_dict(best_state)
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    z_va = val_logits()
    temp = _fit_temperature(z_va, y_va)
    nll, acc = _nll_acc(F.log_softmax(z_va / temp, dim=1), y_va)

    def log_proba(*inputs: torch.Tensor, offset: torch.Tensor | None = None) -> torch.Tensor:
        with torch.no_grad():
            x = torch.cat(inputs, dim=1)
            out = []
            for s in _chunks(x.shape[0]):
                z = net(x[s])
                if offset is not None:
                    z = z + offset[s].to(z.dtype)
                out.append(F.log_softmax(z / temp, dim=1))
            return torch.cat(out)

    return log_proba, ClassifierReport("trained", run, nll, acc, temp)


def wrap_user_classifier(
    fn: Any, name: str, n_classes: int, inputs_va: tuple[torch.Tensor, ...], y_va: torch.Tensor
) -> tuple[LogProba, ClassifierReport]:
    """Turn a user's probability function into a guarded :data:`LogProba`.

    Contract (documented in :class:`~pidkit.estimators.batch.BatchEstimator`): called with torch
    tensors of raw features on the estimator's device and dtype — ``fn(x1)``, ``fn(x2)`` or
    ``fn(x1, x2)`` — it returns class probabilities of shape (b, K) (tensor or array), columns in
    the order of the label codes. Checked on every call: shape, finiteness, range, rows summing to
    1 (within 1e-3; then renormalized). Exact zeros are raised to ``PROBA_FLOOR`` and counted.
    """
    if not callable(fn):
        raise InputError(
            f"classifiers[{name!r}] must be callable (a function or torch module); got {type(fn).__name__}."
        )
    floored = [0]

    def log_proba(*inputs: torch.Tensor) -> torch.Tensor:
        outs = []
        for s in _chunks(inputs[0].shape[0]):
            with torch.no_grad():
                p = fn(*(x[s] for x in inputs))
            p = torch.as_tensor(np.asarray(p) if not isinstance(p, torch.Tensor) else p)
            p = p.detach().to(device=inputs[0].device, dtype=torch.float64)
            b = inputs[0][s].shape[0]
            if p.shape != (b, n_classes):
                raise InputError(
                    f"classifiers[{name!r}] returned shape {tuple(p.shape)} for {b} samples; expected "
                    f"({b}, {n_classes}): one probability per class, columns in label-code order."
                )
            if not torch.isfinite(p).all() or (p < -1e-6).any() or (p > 1 + 1e-6).any():
                raise InputError(
                    f"classifiers[{name!r}] returned values outside [0, 1] or non-finite; expected class "
                    "probabilities (apply softmax to logits)."
                )
            rows = p.sum(1)
            if (rows - 1).abs().max().item() > 1e-3:
                raise InputError(
                    f"classifiers[{name!r}] returned rows summing to {rows.min().item():.4g}..{rows.max().item():.4g}; "
                    "expected probabilities summing to 1 per sample (apply softmax to logits)."
                )
            zero = p <= 0
            floored[0] += int(zero.sum().item())
            p = torch.where(zero, torch.full_like(p, PROBA_FLOOR), p.clamp(max=1.0))
            outs.append(torch.log(p / p.sum(1, keepdim=True)))
        return torch.cat(outs) if outs else inputs[0].new_zeros((0, n_classes), dtype=torch.float64)

    logp_va = log_proba(*inputs_va)
    nll, acc = _nll_acc(logp_va, y_va)
    report = ClassifierReport("user", 0, nll, acc, 1.0)

    log_proba.floored = floored  # type: ignore[attr-defined]  # read by the estimator for its notes
    return log_proba, report


# ----------------------------------------------------------------------------------- coupling
class CouplingModel(nn.Module):
    """Per-label encoders whose inner products give the logits of the coupling.

    ``logits(x1, x2)[y, i, j] = B·tanh(f1(x1_i)[y] · f2(x2_j)[y] / B)`` with ``f1, f2`` MLPs
    emitting a ``k``-dimensional embedding per class (rank-``k`` log-interactions per label) and
    ``B = max_logit``; the Sinkhorn projection then rescales them to match the marginals.
    """

    def __init__(
        self, d1: int, d2: int, n_classes: int, embed_dim: int, hidden: tuple[int, ...], stats1, stats2,
        max_logit: float,
    ):
        super().__init__()
        self.n_classes, self.embed_dim, self.max_logit = n_classes, embed_dim, max_logit
        self.f1 = MLP(d1, n_classes * embed_dim, hidden, *stats1)
        self.f2 = MLP(d2, n_classes * embed_dim, hidden, *stats2)

    def logits(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        """Double-centred logits (K, m, n).

        Adding ``s_i + t_j`` to a label's logits does not change its Sinkhorn projection, so the
        objective is flat along those directions and an adaptive optimizer would let them
        drift, slowing the projection down. Centring rows and columns removes them exactly.
        """
        a = self.f1(x1).view(x1.shape[0], self.n_classes, self.embed_dim).transpose(0, 1)
        b = self.f2(x2).view(x2.shape[0], self.n_classes, self.embed_dim).transpose(0, 1)
        a = a - a.mean(dim=1, keepdim=True)  # centring the embeddings centres the columns of a·bᵀ
        b = b - b.mean(dim=1, keepdim=True)  # ... and this the rows; together: double centring
        raw = torch.bmm(a, b.transpose(1, 2))
        # a soft bound: optima on the boundary of Δ_p (zero cells, e.g. AND) would otherwise drive
        # logits to -inf, where Sinkhorn converges sublinearly; e^(-2·max_logit) is a zero for
        # information purposes (a cell of that mass carries < 1e-6 bits)
        return self.max_logit * torch.tanh(raw / self.max_logit)


def floor_log_proba(logp: torch.Tensor, floor: float = PROBA_FLOOR) -> tuple[torch.Tensor, int]:
    """``log p`` with every probability below ``floor`` raised to it, rows renormalized; and how many were."""
    log_floor = math.log(floor)
    low = int((logp < log_floor).sum())
    if not low:
        return logp, 0
    out = logp.clamp_min(log_floor)
    return out - torch.logsumexp(out, dim=1, keepdim=True), low


def consistent_targets(logps: list[torch.Tensor], log_pi: torch.Tensor) -> list[torch.Tensor]:
    """Joint tables (sample, label) on a minibatch whose label marginals all equal ``π``.

    ``logps[k]`` (m, K) holds log p̂(y | sample i) from one classifier. Weighting every sample by
    1/m gives a joint table whose label marginal ``π̂_k`` is the classifier's average prediction on
    this batch; those averages differ slightly between classifiers, and then no coupling can match
    both pairwise marginals. Each table is moved to the common marginal ``π`` by its I-projection
    onto {label marginal = π}: column y is scaled by ``π_y / π̂_k(y)``. This is Bayes' rule with
    the batch's label prior replaced by ``π`` (a label-shift correction): it keeps every zero a
    zero, leaves p̂(y|i) unchanged where the classifier is sure, re-weights samples by
    ``Σ_y p̂(y|i) π_y/π̂_k(y)``, and has a closed form, so it never fails.

    Returns
    -------
    list of (m, K) float64 tensors
        Log-masses of the tables; total mass 1, column totals ``π`` to rounding.
    """
    out = []
    for lp in logps:
        t = lp.to(torch.float64) - math.log(lp.shape[0])
        out.append(t + (log_pi - torch.logsumexp(t, dim=0)))
    return out


def table_information(log_t: torch.Tensor) -> torch.Tensor:
    """I(I; Y) of a joint table given as log-masses (m, K) (nats; guarded: no log of zero)."""
    t = torch.exp(log_t)
    log_row = torch.logsumexp(log_t, dim=1, keepdim=True)
    log_col = torch.logsumexp(log_t, dim=0, keepdim=True)
    return (t * (log_t - log_row - log_col)).sum()


def coupling_information(log_q: torch.Tensor) -> torch.Tensor:
    """I_q(X1, X2; Y) of a coupling given as log-masses (K, m, n) (nats; differentiable).

    ``Σ q log q − Σ_ij q(i,j) log q(i,j) − Σ_y q(y) log q(y)``: one ``exp`` and sums of ``q``;
    only the first term touches every entry in log space (cheaper than two ``logsumexp`` over the
    (K, m, n) tensor: docs/dev-notes.md#batch-models). Marginal masses below the dtype's smallest normal
    number (entries that underflowed) contribute 0 and no gradient instead of ``0 · log 0``.
    """
    q = torch.exp(log_q)
    tiny = torch.finfo(q.dtype).tiny
    pair, label = q.sum(dim=0), q.sum(dim=(1, 2))  # q(i, j), q(y)
    return (q * log_q).sum() - (pair * pair.clamp_min(tiny).log()).sum() - (label * label.clamp_min(tiny).log()).sum()


def quiet_sinkhorn(sinkhorn: Callable, *args: Any, **kwargs: Any):
    """Call the Sinkhorn op with its non-convergence warning captured (the caller counts it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return sinkhorn(*args, **kwargs)


def newton_polish(
    logits: torch.Tensor, log_q: torch.Tensor, log_r: torch.Tensor, log_c: torch.Tensor, *, tol: float,
    max_steps: int = 30,
) -> tuple[torch.Tensor, float, int]:
    """Finish a Sinkhorn projection that stopped short by Newton steps on its dual (float64, no grad).

    Sinkhorn converges slowly when the projection sits near the boundary (a nearly-zero block that
    the marginals still need); the read-out needs the marginals met anyway, because the
    uniqueness atoms are differences of informations computed from them. Newton's method on
    ``F(α, β) = Σ_ij exp(L_ij + α_i + β_j) − r·α − c·β`` (per label) converges quadratically
    from the Sinkhorn iterate: the Hessian is the matrix of the implicit backward,
    ``[[diag(q1), Q], [Qᵀ, diag(qᵀ1)]]``, reduced to the column potentials by a Schur complement
    (made definite by fixing the gauge ``Σ dβ = 0``) and factored by Cholesky; each step is
    damped by backtracking on ``F``.

    Returns
    -------
    log_q : (K, m, n) float64 tensor
        Rows exact (a last row update), columns within ``tol`` (L1, summed over labels) unless
        ``max_steps`` ran out.
    marginal_error : float
        L1 column violation, the quantity :func:`~pidkit.kernels.sinkhorn.sinkhorn_projection`
        reports.
    steps : int
    """
    L = logits.to(torch.float64)
    lr, lc = log_r.to(torch.float64), log_c.to(torch.float64)
    r, c = torch.exp(lr), torch.exp(lc)
    d = log_q.to(torch.float64) - L  # = α_i + β_j
    alpha = d[:, :, 0].clone()
    beta = d[:, 0, :] - d[:, 0:1, 0]
    n = L.shape[2]
    ones = torch.ones(n, n, dtype=torch.float64, device=L.device)

    def dual(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:  # F per label
        return torch.exp(L + a[:, :, None] + b[:, None, :]).sum((1, 2)) - (r * a).sum(1) - (c * b).sum(1)

    def finish(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, float]:
        a = lr - torch.logsumexp(L + b[:, None, :], dim=2)  # rows exact
        lq = L + a[:, :, None] + b[:, None, :]
        return lq, (torch.exp(lq).sum(1) - c).abs().sum().item()

    f = dual(alpha, beta)
    steps = 0
    while True:
        lq, err = finish(alpha, beta)
        if err <= tol or steps == max_steps:
            return lq, err, steps
        q = torch.exp(L + alpha[:, :, None] + beta[:, None, :])
        qr, qc = q.sum(2), q.sum(1)
        gr, gc = qr - r, qc - c
        schur = torch.diag_embed(qc) - q.transpose(1, 2) @ (q / qr[:, :, None])
        schur = schur + qc.mean(1)[:, None, None] * ones / n  # gauge: S·1 = 0 and rhs ⊥ 1
        rhs = -gc + (q.transpose(1, 2) @ (gr / qr)[:, :, None])[:, :, 0]
        chol, info = torch.linalg.cholesky_ex(schur)
        if int(info.max()) != 0:
            return lq, err, steps
        db = torch.cholesky_solve(rhs[:, :, None], chol)[:, :, 0]
        da = (-gr - (q @ db[:, :, None])[:, :, 0]) / qr
        slope = (gr * da).sum(1) + (gc * db).sum(1)  # directional derivative per label (< 0)
        t = torch.ones_like(f)
        for _ in range(40):
            f_new = dual(alpha + t[:, None] * da, beta + t[:, None] * db)
            ok = f_new <= f + 1e-4 * t * slope
            if bool(ok.all()):
                break
            t = torch.where(ok, t, t / 2)
        alpha, beta, f = alpha + t[:, None] * da, beta + t[:, None] * db, f_new
        steps += 1
