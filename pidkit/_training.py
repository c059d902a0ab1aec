"""Pieces shared by pidkit's neural training loops: the BATCH estimator and the fusion-model zoo.

torch is imported only by :func:`require_torch`, so importing this module stays cheap.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._optional import import_optional
from .exceptions import MissingDependencyError, ParameterError, ShapeError

__all__ = [
    "require_torch",
    "resolve_device",
    "numeric_features",
    "stratified_split",
    "progress_bar",
    "check_fraction",
    "check_layer_widths",
    "check_non_negative",
]


def require_torch(what: str = "the 'batch' estimator", instead: str = "use estimator='cvx' on discretized data"):
    """Import torch, or raise :class:`MissingDependencyError` saying how to install it."""
    return import_optional("torch", what=what, package="PyTorch",
                           install="pip install 'pidkit[torch]' (or pip install torch)", instead=instead)


def resolve_device(torch, device: Any):
    """``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``, ``"cuda:<i>"`` or a torch.device."""
    if isinstance(device, torch.device):
        dev = device
    elif device == "auto":
        dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            dev = torch.device(device)
        except (RuntimeError, TypeError):
            raise ParameterError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:<index>'; got {device!r}.") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ParameterError(
            f"device={device!r} asks for CUDA, but torch.cuda.is_available() is False on this machine. "
            "Use device='auto' (CUDA when present, CPU otherwise) or device='cpu'."
        )
    if dev.type not in ("cpu", "cuda"):
        raise ParameterError(f"device must be a CPU or CUDA device; got {device!r}.")
    return dev


def numeric_features(a: np.ndarray, name: str, *, who: str, instead: str) -> np.ndarray:
    """(n, d) float64 features of an array from :func:`~pidkit._validation.as_samples`.

    Non-numeric modalities are refused, saying that ``who`` needs numbers and what to do
    ``instead``.
    """
    if a.dtype.kind not in "biuf":
        raise ShapeError(
            f"{name} has dtype {a.dtype}; {who} needs numeric features of shape (n, d). One-hot encode a "
            f"categorical {name} (e.g. sklearn.preprocessing.OneHotEncoder){instead}."
        )
    x = a.astype(np.float64)
    return x.reshape(-1, 1) if x.ndim == 1 else x


def stratified_split(codes: np.ndarray, val_frac: float, test_frac: float, rng: np.random.Generator):
    """Stratified train / validation / test indices (every class keeps >= 1 training sample)."""
    parts: tuple[list, list, list] = ([], [], [])
    for c in np.unique(codes):
        idx = rng.permutation(np.flatnonzero(codes == c))
        n_c = idx.size
        n_te = int(round(n_c * test_frac))
        n_va = int(round(n_c * val_frac))
        while n_te + n_va >= n_c and (n_te or n_va):
            if n_te >= n_va:
                n_te -= 1
            else:
                n_va -= 1
        parts[2].append(idx[:n_te])
        parts[1].append(idx[n_te : n_te + n_va])
        parts[0].append(idx[n_te + n_va :])
    return tuple(rng.permutation(np.concatenate(p)) for p in parts)


def progress_bar(enabled: bool, total: int, desc: str):
    """A tqdm bar when ``enabled`` (None otherwise); tqdm is needed only then."""
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError as exc:
        raise MissingDependencyError("progress=True needs tqdm: pip install tqdm (or progress=False).") from exc
    return tqdm(total=total, desc=desc, leave=False)


def check_fraction(name: str, value: Any) -> float:
    """A fraction strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not 0 < value < 1:
        raise ParameterError(f"{name} must be a fraction in (0, 1); got {value!r}.")
    return float(value)


def check_layer_widths(name: str, value: Any) -> tuple[int, ...]:
    """A tuple of positive ints (hidden layer widths; may be empty)."""
    try:
        widths = tuple(value)
    except TypeError:
        widths = None
    if widths is None or isinstance(value, str) or any(
        isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1 for h in widths
    ):
        raise ParameterError(f"{name} must be a tuple of positive ints (layer widths); got {value!r}.")
    return tuple(int(h) for h in widths)


def check_non_negative(name: str, value: Any) -> float:
    """A finite number >= 0."""
    v = float(value) if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        else math.nan
    if not (math.isfinite(v) and v >= 0):
        raise ParameterError(f"{name} must be a finite number >= 0; got {value!r}.")
    return v
