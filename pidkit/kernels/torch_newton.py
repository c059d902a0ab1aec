r"""Newton systems of the exact solver's interior-point loop, factored through torch (CPU or CUDA).

The NumPy twin (:mod:`pidkit.kernels.ipm`) forms the Newton matrix :math:`H` densely and factors it
with SciPy. :class:`TorchSchurNewton` solves the same systems the way the compiled kernel does
(``native/schur.hpp``), with every dense step in torch on one device, in float64:

* side A (eliminated) is the modality with more states (``n1 >= n2``: x1), side B (kept) the other;
  the gauge pins (one unknown per label) must lie on side B;
* node blocks :math:`D_u = \sum_{k \ni u} B_k` (``(nA, ny, ny)``, with
  :math:`B_k = \operatorname{diag}(s_k \pi_k) + c_k \pi_k \pi_k^\top`, :math:`c_k = s_k / z_k - s_k`)
  built with ``index_add`` and factored by one batched Cholesky :math:`D_u = L_u L_u^\top`;
* the Schur complement on side B's kept unknowns,
  :math:`S = H_{BB} - \sum_u X_u^\top X_u` with :math:`X_u = L_u^{-1} H_{AB}[u, :]`
  (batched triangular solves, then one matrix product per chunk of A nodes), and its Cholesky;
* :meth:`TorchSchurNewton.solve`: block back-substitution (A, then S, then A again).

Unknowns off the support (a zero marginal) are identity rows, as in the twin: their right-hand
side is zero and so is their step. Regularization adds ``prox * mean(diag)`` to every kept
unknown, with the mean over the kept unknowns of ``H``, and a per-unknown ``dreg`` (the twin's
mass-scaled rungs), like the twin.

On a CUDA device the Schur complement's construction and factorization -- the cost that dominates
tables like 1000 x 1000 x 10 -- run on the GPU; only right-hand sides and steps (vectors) cross
to the host. On the CPU this path is slower than the compiled kernel (no sparse Schur updates, no
mixed precision); it exists so that the same code runs on both.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._training import require_torch, resolve_device

__all__ = ["TorchSchurNewton", "torch_device", "b_side"]

#: bytes of one chunk of ``X = L_A^{-1} H_AB`` (A nodes x ny rows, all of side B's columns) held at a
#: time while ``S`` is accumulated; bounds the working memory beyond ``S`` itself.
_CHUNK_BYTES = 256 * 1024**2


def torch_device(device: Any = "auto"):
    """Import torch and resolve ``device`` (``"auto"``: CUDA when available, else CPU).

    Raises :class:`~pidkit.exceptions.MissingDependencyError` without torch and
    :class:`~pidkit.exceptions.ParameterError` for a device this machine does not have.
    Returns ``(torch, torch.device)``.
    """
    torch = require_torch("solver='torch'", instead="use solver='native' (the compiled kernel)")
    return torch, resolve_device(torch, device)


def b_side(n1: int, n2: int) -> int:
    """The modality kept in the Schur complement (1 or 2): the one with fewer states (x2 on ties)."""
    return 2 if n1 >= n2 else 1


class TorchSchurNewton:
    """Factor and solve the interior-point Newton systems by a Schur complement in torch.

    Parameters
    ----------
    n1, n2, ny : int
        Table shape.
    pair_x1, pair_x2 : int arrays of shape (m,)
        The pairs (x1, x2) of the pair-major support.
    supp : bool array of shape ((n1 + n2) * ny,)
        Unknowns ``(lam1, lam2)`` on the support (positive marginal).
    keep : bool array of shape ((n1 + n2) * ny,)
        Unknowns of the Newton system: everything but the gauge pins, which must be on-support
        unknowns of side B (:func:`b_side`).
    device : str or torch.device
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:<i>"``.

    Use: :meth:`set_point` once per interior-point iteration, then :meth:`factor` (possibly again
    with another ``prox``) and :meth:`solve` for each right-hand side.
    """

    def __init__(self, n1, n2, ny, pair_x1, pair_x2, supp, keep, *, device: Any = "cpu"):
        torch, dev = torch_device(device)
        self.torch, self.device = torch, dev
        self.n1, self.n2, self.ny = int(n1), int(n2), int(ny)
        self.nv = (self.n1 + self.n2) * self.ny
        n1ny = self.n1 * self.ny
        a_is_1 = b_side(self.n1, self.n2) == 2
        self.nA, self.nB = (self.n1, self.n2) if a_is_1 else (self.n2, self.n1)
        self.offA, self.offB = (0, n1ny) if a_is_1 else (n1ny, 0)
        supp = np.asarray(supp, dtype=bool)
        keep = np.asarray(keep, dtype=bool)
        if supp.shape != (self.nv,) or keep.shape != (self.nv,):
            raise ValueError(f"supp and keep must have shape ({self.nv},); got {supp.shape} and {keep.shape}.")
        nAy, nBy = self.nA * self.ny, self.nB * self.ny
        supp_a, keep_a = supp[self.offA:self.offA + nAy], keep[self.offA:self.offA + nAy]
        supp_b, keep_b = supp[self.offB:self.offB + nBy], keep[self.offB:self.offB + nBy]
        if not keep_a.all():
            raise ValueError(f"the gauge pins must be unknowns of x{b_side(self.n1, self.n2)} (side B of the Schur "
                             "complement); keep drops unknowns of the other side.")
        self.n_keep = int(keep.sum())
        self.n_off_b = int((~supp_b).sum())
        cols = np.flatnonzero(supp_b & keep_b)  # side B's unknowns in S, in (node, label) order like sidx
        self.NS = int(cols.size)
        sidx = np.full(nBy, -1, dtype=np.int64)
        sidx[cols] = np.arange(self.NS)
        i1 = np.asarray(pair_x1, dtype=np.int64)
        i2 = np.asarray(pair_x2, dtype=np.int64)
        pu, pv = (i1, i2) if a_is_1 else (i2, i1)
        order = np.argsort(pu, kind="stable")  # pairs grouped by A node, for chunks of A nodes
        aptr = np.zeros(self.nA + 1, dtype=np.int64)
        np.cumsum(np.bincount(pu, minlength=self.nA), out=aptr[1:])
        self._aptr = aptr
        t = self._t
        self.supp_a = t(supp_a.reshape(self.nA, self.ny))
        self.supp_b = t(supp_b.reshape(self.nB, self.ny))
        self.pu, self.pv, self.order = t(pu), t(pv), t(order)
        self.cols, self.sidx = t(cols), t(sidx.reshape(self.nB, self.ny))
        self.LA = self.LS = None

    def _t(self, x):
        """``x`` on the device: float arrays as float64, integer and bool arrays as they are."""
        x = np.asarray(x)
        dtype = self.torch.float64 if x.dtype.kind == "f" else None
        return self.torch.as_tensor(x, dtype=dtype, device=self.device)

    @property
    def name(self) -> str:
        """``"torch Schur, <device>"``, for diagnostics."""
        return f"torch Schur, {self.device}"

    def set_point(self, s, z, P) -> None:
        """The current iterate: multipliers ``s``, slacks ``z`` (m,) and label probabilities ``P`` (m, ny)."""
        s = np.asarray(s, dtype=np.float64)
        self.s, self.coef, self.P = self._t(s), self._t(s / np.asarray(z, dtype=np.float64) - s), self._t(P)
        self.LA = self.LS = None

    def _pair_blocks(self, ks=None):
        """``B_k = diag(s_k p_k) + coef_k p_k p_k^T`` of the pairs ``ks`` (all by default): (len, ny, ny)."""
        P, s, c = (self.P, self.s, self.coef) if ks is None else (self.P[ks], self.s[ks], self.coef[ks])
        Bk = c[:, None, None] * P[:, :, None] * P[:, None, :]
        return Bk + self.torch.diag_embed(s[:, None] * P)

    def _pair_apply(self, h, node):
        """``B_k h[node[k]]`` for every pair: (m, ny)."""
        hk = h[node]
        ph = (self.P * hk).sum(dim=1, keepdim=True)
        return self.coef[:, None] * self.P * ph + self.s[:, None] * self.P * hk

    def factor(self, prox: float = 0.0, dreg=None) -> bool:
        """Factor ``H + prox * mean(diag H) * I + diag(dreg)`` (on the kept unknowns; ``dreg``: NumPy,
        ``((n1 + n2) * ny,)``, or None); False when a Cholesky fails."""
        torch, ny, nA, nB, NS = self.torch, self.ny, self.nA, self.nB, self.NS
        f64, dev = torch.float64, self.device
        Bk = self._pair_blocks()
        DA = torch.zeros((nA, ny, ny), dtype=f64, device=dev).index_add_(0, self.pu, Bk)
        DB = torch.zeros((nB, ny, ny), dtype=f64, device=dev).index_add_(0, self.pv, Bk)
        del Bk
        DA += torch.diag_embed((~self.supp_a).to(f64))  # off-support unknowns: identity rows
        dB = DB.diagonal(dim1=1, dim2=2)
        trace = float(DA.diagonal(dim1=1, dim2=2).sum()) + float(dB[self.sidx >= 0].sum()) + self.n_off_b
        delta = prox * trace / max(self.n_keep, 1) if prox > 0 else 0.0
        if delta > 0:
            DA += delta * torch.eye(ny, dtype=f64, device=dev)
        if dreg is not None:
            dreg = self._t(np.asarray(dreg, dtype=np.float64))
            zero = torch.zeros((), dtype=f64, device=dev)
            dA = torch.where(self.supp_a, dreg[self.offA:self.offA + nA * ny].view(nA, ny), zero)
            DA += torch.diag_embed(dA)
        LA, info = torch.linalg.cholesky_ex(DA)
        if bool((info != 0).any()):
            return False
        S = torch.zeros((NS, NS), dtype=f64, device=dev)
        if NS > 0:
            rows = self.sidx[:, :, None].expand(nB, ny, ny)
            cols = self.sidx[:, None, :].expand(nB, ny, ny)
            inside = (rows >= 0) & (cols >= 0)
            S[rows[inside], cols[inside]] = DB[inside]
            if delta > 0:
                S.diagonal().add_(delta)
            if dreg is not None:  # kept B unknowns: S index sidx[v, y]
                dB_reg = dreg[self.offB:self.offB + nB * ny].view(nB, ny)
                kept = self.sidx >= 0
                S.diagonal().index_add_(0, self.sidx[kept], dB_reg[kept])
            chunk = max(1, _CHUNK_BYTES // max(8 * nB * ny * ny, 1))
            for u0 in range(0, nA, chunk):
                u1 = min(nA, u0 + chunk)
                ks = self.order[int(self._aptr[u0]):int(self._aptr[u1])]
                if ks.numel() == 0:
                    continue
                # H_AB rows of these A nodes, block (u, v) = B_k of the pair (u, v)
                HAB = torch.zeros((u1 - u0, nB, ny, ny), dtype=f64, device=dev)
                HAB[self.pu[ks] - u0, self.pv[ks]] = self._pair_blocks(ks)
                X = HAB.permute(0, 2, 1, 3).reshape(u1 - u0, ny, nB * ny)[:, :, self.cols]
                del HAB
                X = torch.linalg.solve_triangular(LA[u0:u1], X, upper=False).reshape(-1, NS)
                S.addmm_(X.T, X, alpha=-1.0)
                del X
            LS, info = torch.linalg.cholesky_ex(S)
            if int(info) != 0:
                return False
            self.LS = LS
        self.LA = LA
        return True

    def solve(self, rhs) -> np.ndarray:
        """Solve the factored system for ``rhs`` (NumPy, ``((n1 + n2) * ny,)``); zero on pins and off the support."""
        torch, ny, nA, nB = self.torch, self.ny, self.nA, self.nB
        if self.LA is None:
            raise RuntimeError("factor() must succeed before solve().")
        r = self._t(np.asarray(rhs, dtype=np.float64))
        zero = torch.zeros((), dtype=torch.float64, device=self.device)
        rA = torch.where(self.supp_a, r[self.offA:self.offA + nA * ny].view(nA, ny), zero)
        rB = r[self.offB:self.offB + nB * ny].view(nB, ny)
        hA = torch.cholesky_solve(rA[:, :, None], self.LA)[:, :, 0]
        dB = torch.zeros(nB * ny, dtype=torch.float64, device=self.device)
        if self.NS > 0:
            tB = torch.zeros((nB, ny), dtype=torch.float64, device=self.device).index_add_(
                0, self.pv, self._pair_apply(hA, self.pu))
            rS = (rB - tB).reshape(-1)[self.cols]
            dB[self.cols] = torch.cholesky_solve(rS[:, None], self.LS)[:, 0]
        dB = dB.view(nB, ny)
        tA = torch.zeros((nA, ny), dtype=torch.float64, device=self.device).index_add_(
            0, self.pu, self._pair_apply(dB, self.pv))
        dA = torch.cholesky_solve((rA - tA)[:, :, None], self.LA)[:, :, 0]
        dA = torch.where(self.supp_a, dA, zero)
        dx = np.zeros(self.nv)
        dx[self.offA:self.offA + nA * ny] = dA.reshape(-1).cpu().numpy()
        dx[self.offB:self.offB + nB * ny] = dB.reshape(-1).cpu().numpy()
        return dx
