"""Dispatch to the compiled Sinkhorn kernel ``pidkit.kernels._sinkhorn`` (C++, ``_sinkhorn.cpp``).

Thin wrappers, one per function of the extension: each hands the extension NumPy views
(``tensor.numpy()``, no copy) of C-contiguous CPU tensors and the thread count chosen by the
caller. This module does not import torch, so :func:`available` answers without it. The torch
twin of every pass is in :mod:`pidkit.kernels._sinkhorn_torch`; ``tests/test_sinkhorn.py``
compares the two.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["available", "scaling_iterations", "shifted", "row_col_sums", "quad_pass", "assemble_grad"]

ext: ModuleType | None
try:
    ext = importlib.import_module("pidkit.kernels._sinkhorn")
except ImportError:  # pragma: no cover - depends on the build
    ext = None

_STATUS = {0: "converged", 1: "absorb", 2: "nonfinite", 3: "max_iter"}


def available() -> bool:
    """True when the compiled Sinkhorn kernel ``pidkit.kernels._sinkhorn`` imported."""
    return ext is not None


def scaling_iterations(kern: Any, r: Any, c: Any, a: Any, b: Any, tol: float, max_iter: int, tau: float,
                       threads: int) -> tuple[int, str, float]:
    """The scaling iterations ``a = r / (K b)``, ``b = c / (K^T a)`` in place on ``a, b``, one pass
    over ``K`` each; returns ``(iterations, status, error)`` as ``_sinkhorn_torch.torch_iterate``."""
    steps, status, err = ext.scaling_iterations(  # type: ignore[union-attr]
        kern.numpy(), r.numpy(), c.numpy(), a.numpy(), b.numpy(), float(tol), int(max_iter), float(tau), threads
    )
    return int(steps), _STATUS[int(status)], float(err)


def shifted(logits: Any, alpha: Any, beta: Any, out: Any, exp: bool, threads: int) -> None:
    """``out = L + alpha 1^T + 1 beta^T`` (sums in float64), exponentiated when ``exp``, one pass."""
    ext.shifted(  # type: ignore[union-attr]
        logits.numpy(), alpha.contiguous().numpy(), beta.contiguous().numpy(), out.numpy(), exp, threads
    )


def row_col_sums(grad: Any, row: Any, col: Any, threads: int) -> None:
    """Row and column sums of ``grad`` (Y, m, n) into ``row`` (Y, m) and ``col`` (Y, n), one pass."""
    ext.row_col_sums(grad.numpy(), row.numpy(), col.numpy(), threads)  # type: ignore[union-attr]


def quad_pass(kern: Any, v: Any, w: Any, h: Any, t: Any, threads: int) -> None:
    """``h = w * (K v)`` and ``t = K^T h`` per label, one pass over ``K``."""
    ext.quad_pass(kern.numpy(), v.contiguous().numpy(), w.numpy(), h.numpy(), t.numpy(), threads)  # type: ignore[union-attr]


def assemble_grad(grad: Any, kern: Any, x: Any, b: Any, a: Any, z: Any, out: Any, threads: int) -> None:
    """``out = G - K * (x b^T + a z^T)`` per label, one pass."""
    ext.assemble_grad(  # type: ignore[union-attr]
        grad.numpy(), kern.numpy(), x.contiguous().numpy(), b.contiguous().numpy(), a.contiguous().numpy(),
        z.contiguous().numpy(), out.numpy(), threads,
    )
