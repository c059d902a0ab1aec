"""The fusion zoo's networks (torch): per-modality encoders plus one fusion operator each.

Every network maps raw features to class logits and named auxiliary losses::

    logits, aux = net(x1, x2)       # logits (b, K); aux: {name: scalar tensor, already weighted}

The training loop (:mod:`pidkit.fusion.classifier`) minimises ``cross_entropy(logits, y) +
sum(aux.values())``, so a regulariser trains the encoders only if its tensor keeps its graph;
none is computed under ``no_grad`` or from detached tensors (the tests check the gradients).

Inputs are standardized inside the networks with the training split's statistics (the encoders
are :class:`~pidkit.estimators._batch_models.MLP`), so they take raw features.

Notation: ``d1, d2`` feature dimensions, ``K`` classes, ``h`` = ``embed_dim``, ``e_m`` the
embedding of modality m (its encoder's output, shape (b, h)).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..estimators._batch_models import MLP

__all__ = [
    "EarlyFusion",
    "AdditiveFusion",
    "AgreementFusion",
    "AlignmentFusion",
    "ElementwiseFusion",
    "TensorFusion",
    "LowRankTensorFusion",
    "MultiplicativeInteractions",
    "CrossAttentionFusion",
    "ReconstructionFusion",
    "LowerOrderFusion",
    "X1Only",
    "X2Only",
]

Stats = tuple[torch.Tensor, torch.Tensor]


def _head(d_in: int, hidden: int, n_classes: int) -> nn.Sequential:
    """A one-hidden-layer classifier on a fused representation."""
    return nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))


def _with_one(e: torch.Tensor) -> torch.Tensor:
    """``[e, 1]``: the constant that lets a product keep the unimodal terms."""
    return torch.cat([e, e.new_ones(e.shape[0], 1)], dim=1)


class _TwoEncoders(nn.Module):
    """Base: one MLP encoder per modality, ``x_m -> e_m`` in R^h."""

    def __init__(self, d1: int, d2: int, hidden: tuple[int, ...], embed_dim: int, stats1: Stats, stats2: Stats):
        super().__init__()
        self.enc1 = MLP(d1, embed_dim, hidden, *stats1)
        self.enc2 = MLP(d2, embed_dim, hidden, *stats2)

    def encode(self, x1: torch.Tensor, x2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.enc1(x1), self.enc2(x2)


class EarlyFusion(nn.Module):
    """Early fusion: one MLP on the concatenated features ``[x1, x2]``."""

    def __init__(self, d1, d2, n_classes, *, hidden, embed_dim, stats1, stats2):
        super().__init__()
        mean = torch.cat([stats1[0], stats2[0]])
        std = torch.cat([stats1[1], stats2[1]])
        self.net = MLP(d1 + d2, n_classes, (*hidden, embed_dim), mean, std)

    def forward(self, x1, x2):
        return self.net(torch.cat([x1, x2], dim=1)), {}


class AdditiveFusion(_TwoEncoders):
    """Additive late fusion: ``logits = g1(e1) + g2(e2)`` — a sum of unimodal classifiers."""

    def __init__(self, d1, d2, n_classes, *, hidden, embed_dim, stats1, stats2):
        super().__init__(d1, d2, hidden, embed_dim, stats1, stats2)
        self.out1 = nn.Sequential(nn.ReLU(), nn.Linear(embed_dim, n_classes))
        self.out2 = nn.Sequential(nn.ReLU(), nn.Linear(embed_dim, n_classes))

    def unimodal_logits(self, x1, x2):
        e1, e2 = self.encode(x1, x2)
        return self.out1(e1), self.out2(e2)

    def forward(self, x1, x2):
        l1, l2 = self.unimodal_logits(x1, x2)
        return l1 + l2, {}


class AgreementFusion(AdditiveFusion):
    """Additive fusion plus an agreement regulariser between the unimodal predictions.

    ``aux["agreement"] = reg_weight · ½ [KL(p1 ‖ p2) + KL(p2 ‖ p1)]`` with ``p_m = softmax(g_m(e_m))``,
    averaged over the batch: both branches are pulled towards predicting the same label (what
    redundant information supports). Gradients flow into both branches.
    """

    def __init__(self, d1, d2, n_classes, *, hidden, embed_dim, stats1, stats2, reg_weight):
        super().__init__(d1, d2, n_classes, hidden=hidden, embed_dim=embed_dim, stats1=stats1, stats2=stats2)
        self.reg_weight = reg_weight

    def forward(self, x1, x2):
        l1, l2 = self.unimodal_logits(x1, x2)
        lp1, lp2 = F.log_softmax(l1, dim=1), F.log_softmax(l2, dim=1)
        sym_kl = 0.5 * ((lp1.exp() * (lp1 - lp2)).sum(1) + (lp2.exp() * (lp2 - lp1)).sum(1)).mean()
        return l1 + l2, {"agreement": self.reg_weight * sym_kl}


class AlignmentFusion(_TwoEncoders):
    """Contrastive alignment of the unimodal embeddings plus a classifier on ``[e1, e2]``.

    ``aux["alignment"] = reg_weight · InfoNCE``: projections ``z_m = normalize(P_m e_m)`` and the
    symmetric cross-entropy of the batch's similarity matrix ``z1 z2ᵀ / temperature`` against the
    identity (CLIP-style): paired samples are pulled together, unpaired ones pushed apart.
    """

    def __init__(self, d1, d2, n_classes, *, hidden, embed_dim, stats1, stats2, reg_weight, temperature):
        super().__init__(d1, d2, hidden, embed_dim, stats1, stats2)
        self.proj1 = nn.Linear(embed_dim, embed_dim)
        self.proj2 = nn.Linear(embed_dim, embed_dim)
        self.head = _head(2 * embed_dim, embed_dim, n_classes)
        self.reg_weight, self.temperature = reg_weight, temperature

    def forward(self, x1, x2):
        e1, e2 = self.encode(x1, x2)
        logits = self.head(torch.cat([e1, e2], dim=1))
        if e1.shape[0] < 2:  # a single sample has no negatives to contrast with
            return logits, {"alignment": logits.new_zeros(())}
        z1 = F.normalize(self.proj1(e1), dim=1)
        z2 = F.normalize(self.proj2(e2), dim=1)
        sim = z1 @ z2.T / self.temperature
        target = torch.arange(sim.shape[0], device=sim.device)
        nce = 0.5 * (F.cross_entropy(sim, target) + F.cross_entropy(sim.T, target))
        return logits, {"alignment": self.reg_weight * nce}


class ElementwiseFusion(_TwoEncoders):
    """Element-wise (Hadamard) fusion: a classifier on ``e1 ⊙ e2``."""

    def __init__(self, d1, d2, n_classes, *, hidden, embed_dim, stats1, stats2):
        super().__init__(d1, d2, hidden, embed_dim, stats1, stats2)
        self.head = _head(embed_dim, embed_dim, n_classes)

    def forward(self, x1, x2):
        e1, e2 = self.encode(x1, x2)
        return self.head(e1 * e2), {}


class TensorFusion(_TwoEncoders):
    """Tensor fusion (Zadeh et al. 2017): a classifier on ``vec([e1, 1] ⊗ [e2, 1])``.

    The appended constant keeps ``e1``, ``e2`` and every product ``e1_i e2_j`` in the fused vector.
    """

    def __init__(self, d1, d2, n_classes, *, hidden, embed_dim, stats1, stats2):
        super().__init__(d1, d2, hidden, embed_dim, stats1, stats2)
        self.head = _head((embed_dim + 1) ** 2, embed_dim, n_classes)

    def fused(self, x1, x2):
        e1, e2 = self.encode(x1, x2)
        return torch.einsum("bi,bj->bij", _with_one(e1), _with_one(e2)).flatten(1), e1, e2

    def forward(self, x1, x2):
        t, _, _ = self.fused(x1, x2)
        return self.head(t), {}


class LowRankTensorFusion(_TwoEncoders):
    """Low-rank tensor fusion (Liu et al. 2018): the tensor product's weights in rank-``rank`` form.

    ``f = Σ_r (W1_r [e1, 1]) ⊙ (W2_r [e2, 1])`` (each ``W_m_r`` maps to R^h), then a classifier;
    the same function class as a tensor layer whose weight tensor has rank ``rank``.
    """

    def __init__(self, d1, d2, n_classes, *, hidden, embed_dim, stats1, stats2, rank):
        super().__init__(d1, d2, hidden, embed_dim, stats1, stats2)
        self.rank, self.embed_dim = rank, embed_dim
        self.fac1 = nn.Linear(embed_dim + 1, rank * embed_dim, bias=False)
        self.fac2 = nn.Linear(embed_dim + 1, rank * embed_dim, bias=False)
        self.head = _head(embed_dim, embed_dim, n_classes)

    def forward(self, x1, x2):
        e1, e2 = self.encode(x1, x2)
        a = self.fac1(_with_one(e1)).view(-1, self.rank, self.embed_dim)
        b = self.fac2(_with_one(e2)).view(-1, self.rank, self.embed_dim)
        return self.head((a * b).sum(1)), {}


class MultiplicativeInteractions(_TwoEncoders):
    """Multiplicative interactions (Jayakumar et al. 2020): ``f = e1ᵀ W e2 + U e1 + V e2 + b``.

    A bilinear layer (equivalently, a linear map of ``e1`` whose weights are generated from
    ``e2``), then a classifier.
    """

    def __init__(self, d1, d2, n_classes, *, hidden, embed_dim, stats1, stats2):
        super().__init__(d1, d2, hidden, embed_dim, stats1, stats2)
        self.bilinear = nn.Bilinear(embed_dim, embed_dim, embed_dim)
        self.lin1 = nn.Linear(embed_dim, embed_dim, bias=False)
        self.lin2 = nn.Linear(embed_dim, embed_dim, bias=False)
        self.out = nn.Sequential(nn.ReLU(), nn.Linear(embed_dim, n_classes))

    def forward(self, x1, x2):
        e1, e2 = self.encode(x1, x2)
        return self.out(self.bilinear(e1, e2) + self.lin1(e1) + self.lin2(e2)), {}


class _CrossBlock(nn.Module):
    """Queries from one modality attend to the other's tokens; residual, LayerNorm, feed-forward."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim))

    def forward(self, q, kv):
        a, _ = self.attn(q, kv, kv, need_weights=False)
        h = self.norm1(q + a)
        return self.norm2(h + self.ff(h))


class CrossAttentionFusion(nn.Module):
    """Cross-modal transformer (MulT-style) over per-modality tokens.

    Each modality's features become ``n_tokens`` tokens of size h (an MLP to ``n_tokens · h``,
    plus a learned position embedding per token); one cross-attention block per direction
    (x1 tokens attend to x2 tokens and vice versa, ``n_heads`` heads), mean-pooled streams
    concatenated, then a classifier.
    """

    def __init__(self, d1, d2, n_classes, *, hidden, embed_dim, stats1, stats2, n_tokens, n_heads):
        super().__init__()
        self.n_tokens, self.embed_dim = n_tokens, embed_dim
        self.tok1 = MLP(d1, n_tokens * embed_dim, hidden, *stats1)
        self.tok2 = MLP(d2, n_tokens * embed_dim, hidden, *stats2)
        self.pos1 = nn.Parameter(0.02 * torch.randn(n_tokens, embed_dim))
        self.pos2 = nn.Parameter(0.02 * torch.randn(n_tokens, embed_dim))
        self.cross12 = _CrossBlock(embed_dim, n_heads)
        self.cross21 = _CrossBlock(embed_dim, n_heads)
        self.head = _head(2 * embed_dim, embed_dim, n_classes)

    def forward(self, x1, x2):
        t1 = self.tok1(x1).view(-1, self.n_tokens, self.embed_dim) + self.pos1
        t2 = self.tok2(x2).view(-1, self.n_tokens, self.embed_dim) + self.pos2
        h1 = self.cross12(t1, t2).mean(1)
        h2 = self.cross21(t2, t1).mean(1)
        return self.head(torch.cat([h1, h2], dim=1)), {}


class ReconstructionFusion(_TwoEncoders):
    """A joint representation that must also reconstruct both inputs (MFM-style auxiliary decoders).

    ``h = MLP([e1, e2])`` feeds a classifier and two decoders; ``aux["reconstruction"] =
    reg_weight · (MSE(dec1(h), x1_std) + MSE(dec2(h), x2_std))`` on standardized features, so
    the representation keeps what each modality holds, not only what the label needs now.
    """

    def __init__(self, d1, d2, n_classes, *, hidden, embed_dim, stats1, stats2, reg_weight):
        super().__init__(d1, d2, hidden, embed_dim, stats1, stats2)
        self.joint = nn.Sequential(nn.ReLU(), nn.Linear(2 * embed_dim, embed_dim), nn.ReLU())
        self.classify = nn.Linear(embed_dim, n_classes)
        width = hidden[-1] if hidden else embed_dim
        self.dec1 = nn.Sequential(nn.Linear(embed_dim, width), nn.ReLU(), nn.Linear(width, d1))
        self.dec2 = nn.Sequential(nn.Linear(embed_dim, width), nn.ReLU(), nn.Linear(width, d2))
        self.reg_weight = reg_weight

    def forward(self, x1, x2):
        e1, e2 = self.encode(x1, x2)
        h = self.joint(torch.cat([e1, e2], dim=1))
        target1 = (x1 - self.enc1.mean) / self.enc1.std
        target2 = (x2 - self.enc2.mean) / self.enc2.std
        rec = F.mse_loss(self.dec1(h), target1) + F.mse_loss(self.dec2(h), target2)
        return self.classify(h), {"reconstruction": self.reg_weight * rec}


class LowerOrderFusion(TensorFusion):
    """Tensor fusion plus explicit unimodal terms: ``logits = g(vec([e1,1] ⊗ [e2,1])) + g1(e1) + g2(e2)``."""

    def __init__(self, d1, d2, n_classes, *, hidden, embed_dim, stats1, stats2):
        super().__init__(d1, d2, n_classes, hidden=hidden, embed_dim=embed_dim, stats1=stats1, stats2=stats2)
        self.out1 = nn.Sequential(nn.ReLU(), nn.Linear(embed_dim, n_classes))
        self.out2 = nn.Sequential(nn.ReLU(), nn.Linear(embed_dim, n_classes))

    def forward(self, x1, x2):
        t, e1, e2 = self.fused(x1, x2)
        return self.head(t) + self.out1(e1) + self.out2(e2), {}


class _Unimodal(nn.Module):
    """One MLP on one modality's features; the other modality is ignored (it may be a placeholder)."""

    modality = 1

    def __init__(self, d1, d2, n_classes, *, hidden, embed_dim, stats1, stats2):
        super().__init__()
        d, stats = (d1, stats1) if self.modality == 1 else (d2, stats2)
        self.net = MLP(d, n_classes, (*hidden, embed_dim), *stats)

    def forward(self, x1, x2):
        return self.net(x1 if self.modality == 1 else x2), {}


class X1Only(_Unimodal):
    """A unimodal network on X1 alone: it reaches at most I(X1;Y) = R + U1."""

    modality = 1


class X2Only(_Unimodal):
    """A unimodal network on X2 alone: it reaches at most I(X2;Y) = R + U2."""

    modality = 2
