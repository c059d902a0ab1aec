"""Dask as an optional dependency: detection of dask collections, imports with install hints, and
running a task graph on a given ``Client`` or locally."""

from __future__ import annotations

from typing import Any

from .._optional import import_optional
from ..exceptions import ParameterError, PIDKitError

__all__ = ["is_dask_collection", "require_dask", "check_client", "compute", "map_chunks", "DistributedComputeError"]

INSTALL = "pip install 'pidkit[dask]'"


class DistributedComputeError(PIDKitError, RuntimeError):
    """A task of a distributed computation failed after its retries; nothing partial was returned."""


def is_dask_collection(x: Any) -> bool:
    """True for dask arrays, DataFrames, Series, bags and delayed objects (duck-typed: no import)."""
    return callable(getattr(x, "__dask_graph__", None)) and not isinstance(x, type)


def require_dask(what: str, *, distributed: bool = False):
    """Import dask (and ``distributed``), or raise :class:`MissingDependencyError` with the install command."""
    return import_optional("dask", "dask.array", *(("distributed",) if distributed else ()), what=what,
                           package="Dask's distributed scheduler" if distributed else "Dask",
                           install=f"{INSTALL} (dask[array,dataframe] and distributed)",
                           instead="pass in-memory NumPy arrays")


def check_client(client: Any) -> Any:
    """``None`` (run locally) or a ``distributed.Client``; anything else is a :class:`ParameterError`."""
    if client is None:
        return None
    require_dask("client=", distributed=True)
    from distributed import Client

    if not isinstance(client, Client):
        raise ParameterError(
            f"client must be None (run in this process) or a dask.distributed.Client; got {type(client).__name__}. "
            "Create one with Client(LocalCluster(n_workers=2)) or Client('scheduler-address:8786')."
        )
    if client.status not in ("running", "connecting"):
        raise ParameterError(f"client is {client.status!r}, not running; create a new Client.")
    return client


def _failed(what: str, retries: int, exc: Exception) -> DistributedComputeError:
    return DistributedComputeError(
        f"{what} failed on the cluster after {retries} retries per task: {type(exc).__name__}: {exc}. No partial "
        "result was used. Check the workers' logs; raise retries= for flaky workers."
    )


def map_chunks(func: Any, chunks: list, *, client: Any, retries: int, what: str, **kwargs: Any) -> list:
    """``[func(chunk, **kwargs) for chunk in chunks]`` on ``client``: data scattered first, then mapped.

    Retries and failures as :func:`compute`; on failure every future is cancelled.
    """
    futures = []
    try:
        data = client.scatter(chunks)
        futures = client.map(func, data, retries=retries, pure=False, **kwargs)
        return client.gather(futures)
    except PIDKitError:
        raise
    except Exception as exc:
        client.cancel(futures)
        raise _failed(what, retries, exc) from exc


def compute(objs: list, *, client: Any, retries: int, what: str) -> list:
    """Compute dask objects (delayed or futures-producing) on ``client`` (or the local scheduler).

    Every task is retried ``retries`` times (a worker lost mid-run, a transient failure) before
    the whole computation fails with :class:`DistributedComputeError`: the caller never sees a
    partial result.
    """
    dask = require_dask(what)
    try:
        if client is None:
            return list(dask.compute(*objs, scheduler="threads"))
        futures = client.compute(objs, retries=retries)
        try:
            return client.gather(futures)
        except BaseException:
            client.cancel(futures)  # nothing of a failed run keeps worker memory
            raise
    except PIDKitError:
        raise
    except Exception as exc:  # a failed task, a killed worker beyond its retries, a lost scheduler
        raise _failed(what, retries, exc) from exc
