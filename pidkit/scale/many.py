"""Many independent decompositions as tasks on a Dask cluster.

The tables of a stack are solved independently (one interior-point solve each), so a stack split
into chunks and solved on workers gives exactly the numbers of one local
:func:`~pidkit.decompose_many` call. Chunks are sized so that a task is worth scheduling: about
four per worker, and at least :data:`MIN_CELLS_PER_TASK` table cells each.

Plumbing below the estimators: the solver of a chunk is passed in (``solve``), so this module
imports no estimator.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ._dask import map_chunks

__all__ = ["chunk_bounds", "map_tables", "MIN_CELLS_PER_TASK", "TASKS_PER_WORKER"]

#: a task solves at least this many table cells (~10 ms of work): smaller ones cost more to schedule than to run
MIN_CELLS_PER_TASK = 20_000
#: chunks per worker (some slack for uneven tables and stragglers)
TASKS_PER_WORKER = 4


def n_workers(client: Any) -> int:
    try:
        return max(1, len(client.scheduler_info().get("workers", {})))
    except Exception:  # pragma: no cover - a client without scheduler info
        return 1


def chunk_bounds(
    n_items: int, cells_per_item: int, workers: int, chunk_size: int | None = None
) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` covering ``range(n_items)`` in chunks worth a task each."""
    if chunk_size is None:
        chunk_size = max(math.ceil(n_items / (TASKS_PER_WORKER * workers)),
                         math.ceil(MIN_CELLS_PER_TASK / max(cells_per_item, 1)))
    chunk_size = max(1, min(int(chunk_size), n_items))
    return [(s, min(s + chunk_size, n_items)) for s in range(0, n_items, chunk_size)]


def _solve_chunk(tables: np.ndarray, solve: Callable[..., dict], **kwargs: Any) -> dict:
    """One task: ``solve(tables, threads=..., **kwargs)`` in the worker's process, on the worker's threads."""
    try:
        from distributed import get_worker

        threads = get_worker().state.nthreads
    except (ImportError, ValueError, AttributeError):  # not on a worker (a local scheduler)
        threads = None
    return solve(tables, threads=threads, **kwargs)


def map_tables(client: Any, solve: Callable[..., dict], pmfs: np.ndarray, *, chunk_size: int | None = None,
               retries: int = 1, **kwargs: Any) -> dict[str, np.ndarray]:
    """``solve`` over validated pmfs (B, n1, n2, ny) in chunks on ``client``; its arrays for the whole stack.

    ``solve(tables, threads=..., **kwargs)`` returns a dict of arrays with one row per table (a
    module-level function: it travels to the workers by reference). The chunks are scattered to
    the workers first (the task graph stays small) and mapped.
    """
    cells = int(np.prod(pmfs.shape[1:]))
    bounds = chunk_bounds(pmfs.shape[0], cells, n_workers(client), chunk_size)
    parts = map_chunks(_solve_chunk, [pmfs[a:b] for a, b in bounds], client=client, retries=retries,
                       what=f"decompose_many of {pmfs.shape[0]} tables in {len(bounds)} tasks", solve=solve, **kwargs)
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
