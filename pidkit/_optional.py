"""Optional dependencies (torch, dask, pyarrow): import them, or say exactly how to install them."""

from __future__ import annotations

import importlib
from types import ModuleType

from .exceptions import MissingDependencyError

__all__ = ["import_optional"]


def import_optional(*modules: str, what: str, package: str, install: str, instead: str) -> ModuleType:
    """Import ``modules`` (returning the first) or raise :class:`MissingDependencyError`.

    The message names the feature (``what``), the missing package, the install command and the
    alternative that needs no install (``instead``).
    """
    try:
        loaded = [importlib.import_module(name) for name in modules]
    except ImportError as exc:
        raise MissingDependencyError(
            f"{what} needs {package}, which is not installed ({exc}). Install it with {install}, or {instead}."
        ) from exc
    return loaded[0]
