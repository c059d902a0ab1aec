"""Kernels of the exact solver: a compiled C++ extension and its pure-NumPy twin.

``ipm_solve`` (one table in pair-major form, see :mod:`pidkit.kernels.support`) and
``ipm_solve_many`` (a stack of small dense tables) exist twice with the same contract:

* ``pidkit.kernels._native`` — C++ (nanobind), built by ``pip install`` through scikit-build-core
  and CMake; dense linear algebra through the BLAS/LAPACK that SciPy ships (handed over as
  function pointers at import), OpenMP over cells and over tables.
* :mod:`pidkit.kernels.ipm` — NumPy/SciPy, the reference the tests compare the native kernel
  against, and the fallback.

The environment variable ``PIDKIT_KERNEL`` selects: ``auto`` (default; native if the extension
imports, else the twin with a one-time :class:`~pidkit.exceptions.PIDKitWarning`), ``native``
(error if the extension is missing) or ``python``.
"""

from __future__ import annotations

import importlib
import os
import warnings
from types import ModuleType

from ..exceptions import ParameterError, PIDKitWarning
from . import ipm as _twin

__all__ = ["get_kernel", "kernel_name", "native_available", "KERNEL_ENV"]

KERNEL_ENV = "PIDKIT_KERNEL"
_CHOICES = ("auto", "native", "python")
_native: ModuleType | None = None
_native_error: str | None = None
_warned = False

try:  # importlib, not "from . import": the module attribute _native (None) would shadow the submodule
    _native = importlib.import_module(f"{__name__}._native")
except ImportError as exc:  # pragma: no cover - depends on the build
    _native = None
    _native_error = str(exc)
else:
    try:
        import scipy.linalg.cython_blas as _cblas
        import scipy.linalg.cython_lapack as _clapack

        _native.set_blas(
            _clapack.__pyx_capi__["dpotrf"],
            _clapack.__pyx_capi__["dpotrs"],
            _cblas.__pyx_capi__["dsyrk"],
            _cblas.__pyx_capi__["dtrsm"],
            _cblas.__pyx_capi__["dgemm"],
        )
    except (ImportError, KeyError, AttributeError):  # pragma: no cover - the kernel has its own routines
        pass


def native_available() -> bool:
    """True when the compiled extension imported."""
    return _native is not None and hasattr(_native, "ipm_solve")


def kernel_name(choice: str | None = None) -> str:
    """Resolve ``choice`` (default: ``$PIDKIT_KERNEL`` or ``"auto"``) to ``"native"`` or ``"python"``."""
    global _warned
    choice = (choice or os.environ.get(KERNEL_ENV) or "auto").strip().lower()
    if choice not in _CHOICES:
        raise ParameterError(f"{KERNEL_ENV} must be one of {list(_CHOICES)}; got {choice!r}.")
    if choice == "python":
        return "python"
    if native_available():
        return "native"
    if choice == "native":
        raise ImportError(
            f"{KERNEL_ENV}=native but the compiled extension pidkit.kernels._native is not available "
            f"({_native_error or 'built without ipm_solve'}). Reinstall pidkit with a C++17 compiler and CMake "
            f"(pip install -e .), or set {KERNEL_ENV}=python."
        )
    if not _warned:
        warnings.warn(
            "pidkit's compiled kernel is not available "
            f"({_native_error or 'built without ipm_solve'}); using the NumPy twin, which is slower. "
            f"Reinstall pidkit with a C++17 compiler and CMake to build it, or set {KERNEL_ENV}=python "
            "to silence this warning.",
            PIDKitWarning,
            stacklevel=3,
        )
        _warned = True
    return "python"


def get_kernel(choice: str | None = None) -> ModuleType:
    """The module providing ``ipm_solve`` / ``ipm_solve_many`` for ``choice``."""
    return _native if kernel_name(choice) == "native" else _twin  # type: ignore[return-value]
