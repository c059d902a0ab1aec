"""Pieces shared by pidkit's neural training loops: the BATCH estimator and the fusion-model zoo.

torch is imported only by :func:`require_torch`, so importing this module stays cheap.
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys
import time
from typing import Any

import numpy as np

from ._optional import import_optional
from ._threads import free_cores, stamp, usable_cores
from .exceptions import MissingDependencyError, ParameterError, ShapeError

__all__ = [
    "require_torch",
    "resolve_device",
    "numeric_features",
    "stratified_split",
    "progress_bar",
    "resolve_progress",
    "ThreadBudget",
    "TORCH_AUTO_THREADS",
    "user_stacklevel",
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


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning raised by the caller point at the first frame outside pidkit.

    Counted, not hard-coded, so that a refactoring of the public functions' call chain (or a call
    through ``model_pid``) does not move the warning into pidkit's own files.
    """
    frame = sys._getframe(1)  # the function that will call warnings.warn: stacklevel 1
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where stderr is not a TTY but tqdm.auto draws a widget)."""
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    try:
        ip = shell.get_ipython()
    except Exception:  # noqa: BLE001 - any failure means: not a notebook we can draw in
        return False
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def _interactive() -> bool:
    try:
        return bool(sys.stderr is not None and sys.stderr.isatty())
    except (AttributeError, ValueError):  # a replaced or closed stderr
        return False


def resolve_progress(value: Any, name: str = "progress") -> bool:
    """Validate a ``progress`` option (True, False or "auto") and decide whether bars are shown.

    ``"auto"``: bars when stderr is a terminal or the code runs in a Jupyter kernel, and tqdm is
    installed (without tqdm, ``"auto"`` shows nothing; ``True`` raises). Never on a pipe, a file
    or a test runner's captured stderr.
    """
    if isinstance(value, str) and value == "auto":
        if not (_interactive() or _in_notebook()):
            return False
        return importlib.util.find_spec("tqdm") is not None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ParameterError(
        f"{name} must be True, False or 'auto' (bars on a terminal or in a notebook); got {value!r}. "
        f"Pass {name}=False to silence the bars."
    )


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


# ------------------------------------------------------------------------------------ threads
#: what ``threads="auto"`` means for torch's training loops (in the error of a bad value)
TORCH_AUTO_THREADS = "torch's thread count, lowered while other processes keep cores busy"


class ThreadBudget:
    """torch's intra-op threads for one fit: fixed, or ``"auto"`` — never more than the idle cores.

    Why: on a machine where other processes keep cores busy, every parallel region of torch (and of
    the compiled Sinkhorn kernel) waits for its descheduled threads, a scheduler time slice each:
    on 2 cores with one busy core, 2 threads made BATCH fits 10-15x slower than 1 thread (tiny
    networks and Sinkhorn iterations are thousands of short parallel regions). ``"auto"`` keeps
    torch's setting (``torch.get_num_threads()``) as the ceiling and measures, from the machine's
    CPU counters (``/proc/stat``; Linux), how many cores *other* processes used since the last
    :meth:`update` (this process's own CPU time is taken out); the threads are set to the cores
    left, at least 1. :meth:`update` runs between phases and epochs. The previous setting is
    restored on exit. Without ``/proc/stat`` (macOS, Windows) ``"auto"`` keeps torch's setting.
    """

    def __init__(self, torch, setting: int | str):
        self.torch = torch
        self.setting = setting
        self.saved = torch.get_num_threads()
        self.ceiling = self.saved if setting == "auto" else int(setting)
        self.cores = usable_cores()
        self.history: list[int] = []
        self._mark: tuple[float, float, float, float] | None = None

    def _stamp(self) -> tuple[float, float, float, float] | None:
        return stamp()

    def __enter__(self) -> ThreadBudget:
        if self.setting != "auto":
            self._set(self.ceiling)
        elif self.ceiling > 1:
            self._mark = self._stamp()
            if self._mark is not None:
                time.sleep(0.05)  # a first window in which this process is idle
                self.update()
        return self

    def update(self) -> int:
        """Re-measure the other processes' load since the last call and set the threads; returns them."""
        if self.setting != "auto" or self.ceiling <= 1 or self._mark is None:
            return self.torch.get_num_threads()
        now = self._stamp()
        if now is None:
            return self.torch.get_num_threads()
        free = free_cores(self._mark, now, self.cores)
        if free is None:
            return self.torch.get_num_threads()
        self._mark = now
        self._set(max(1, min(self.ceiling, int(math.floor(free + 0.25)))))
        return self.torch.get_num_threads()

    def _set(self, n: int) -> None:
        if self.torch.get_num_threads() != n:
            self.torch.set_num_threads(n)
        if not self.history or self.history[-1] != n:
            self.history.append(n)

    def __exit__(self, *exc: Any) -> None:
        if self.torch.get_num_threads() != self.saved:
            self.torch.set_num_threads(self.saved)
