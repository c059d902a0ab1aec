"""``decompose_many``: exact PID of many small tables at once (bootstrap, sweeps, simulations)."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import check_bool, check_positive_float, check_positive_int, check_prob_table, check_units
from ..exceptions import ConvergenceWarning, InvalidPMFError
from ..info import conditional_entropy, entropy, mutual_information
from ..kernels import get_kernel, kernel_name
from ..scale._dask import check_client
from ._problem import broja_atoms
from .exact import DEFAULT_MAX_TABLE_BYTES, DEFAULT_TOL, check_table_size, decompose
from .native_backend import default_threads

__all__ = ["decompose_many", "PIDResultStack", "STACK_ARRAYS"]

#: the per-table arrays of a :class:`PIDResultStack`
STACK_ARRAYS = ("R", "U1", "U2", "S", "total", "I1", "I2", "duality_gap", "iterations", "converged")


@dataclass(frozen=True)
class PIDResultStack:
    """Atoms of B tables as arrays of shape (B,).

    Attributes
    ----------
    R, U1, U2, S, total, I1, I2 : ndarray (B,)
        As in :class:`~pidkit.PIDResult`, in ``units``.
    duality_gap : ndarray (B,)
        Certified bound on each table's atom errors, in ``units``.
    iterations : ndarray of int (B,)
    converged : ndarray of bool (B,)
        Whether each table reached ``tol``.
    units : str
    solver : str
    time_s : float
        Wall time of the whole stack.
    """

    R: np.ndarray
    U1: np.ndarray
    U2: np.ndarray
    S: np.ndarray
    total: np.ndarray
    I1: np.ndarray
    I2: np.ndarray
    duality_gap: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    units: str
    solver: str
    time_s: float
    extra: dict = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return int(self.R.shape[0])

    @property
    def atoms(self) -> dict[str, np.ndarray]:
        return {"R": self.R, "U1": self.U1, "U2": self.U2, "S": self.S}

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k).tolist() for k in STACK_ARRAYS}
        d.update(units=self.units, solver=self.solver, time_s=self.time_s)
        return d

    def to_pandas(self):  # pragma: no cover - optional dependency
        import pandas as pd

        return pd.DataFrame({k: getattr(self, k) for k in STACK_ARRAYS})

    def __repr__(self) -> str:
        return (
            f"PIDResultStack({len(self)} tables, units={self.units!r}, solver={self.solver!r}, "
            f"max gap {float(self.duality_gap.max(initial=0.0)):.1e}, all converged={bool(self.converged.all())}, "
            f"{self.time_s:.3g} s)"
        )


def _check_stack(p: Any, normalize: bool, max_table_bytes: int) -> np.ndarray:
    try:
        arr = np.asarray(p)
    except ValueError:  # tables of different shapes
        raise InvalidPMFError("p is ragged (tables or rows of different shapes); expected one array of shape "
                              "(B, |X1|, |X2|, |Y|). Decompose tables of different shapes in separate calls.") from None
    if arr.ndim == 4:  # before the float64 copy of the validation
        check_table_size(arr.shape, max_table_bytes, what="the stack p")
    pmfs, _, _ = check_prob_table(
        arr,
        name="p",
        ndim=3,
        stacked=True,
        axes="|X1|, |X2|, |Y|",
        ndim_message="For a single table use pidkit.decompose.",
        normalize=normalize,
        sum_fix="Pass normalize=True to rescale them.",
    )
    return pmfs


def _solve(pmfs: np.ndarray, tol_nats: float, max_iter: int, threads: int | None = None) -> dict[str, np.ndarray]:
    """Atoms (nats), gaps, iterations and convergence of validated pmfs, solved in this process.

    A table whose solve within the stack stops above ``tol`` (rare: ~3 in 10,000 random 10x10x4 tables,
    ~0.06% of near-degenerate Dirichlet(0.05) 2x2x2 and 3x3x2 ones, where the interior-point steps
    cycle or an inactive pair must become active at the smallest mu; docs/dev-notes.md#ipm) is
    solved once more on its own by :func:`~pidkit.decompose` — with, on tables up to 20,000 cells,
    its Clarabel second opinion — and the smaller certified gap is kept.
    """
    out = get_kernel(kernel_name()).ipm_solve_many(pmfs, tol_nats, max_iter, threads or default_threads())
    f = np.asarray(out["primal"], dtype=np.float64)
    h_y = entropy(pmfs, 2, units="nats", stack_ndim=1)
    h_y1 = conditional_entropy(pmfs, 2, 0, units="nats", stack_ndim=1)
    h_y2 = conditional_entropy(pmfs, 2, 1, units="nats", stack_ndim=1)
    i12 = mutual_information(pmfs, (0, 1), 2, units="nats", stack_ndim=1)
    arrays = dict(broja_atoms(h_y, h_y1, h_y2, i12, f))
    arrays["duality_gap"] = np.maximum(np.asarray(out["gap"], dtype=np.float64), 0.0)
    arrays["iterations"] = np.asarray(out["iterations"], dtype=np.int64)
    arrays["converged"] = np.asarray(out["converged"], dtype=bool)
    for i in np.flatnonzero(~arrays["converged"]):
        _resolve_alone(pmfs[i], i, arrays, tol_nats, max_iter)
    return arrays


def _resolve_alone(pmf: np.ndarray, i: int, arrays: dict, tol_nats: float, max_iter: int) -> None:
    """Solve table ``i`` by itself; keep that result where its certified gap is smaller."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = decompose(pmf, units="nats", tol=tol_nats, max_iter=max_iter, normalize=True)
    gap = res.diagnostics.duality_gap
    if gap < arrays["duality_gap"][i]:
        for k in ("R", "U1", "U2", "S", "total", "I1", "I2"):
            arrays[k][i] = getattr(res, k)
        arrays["duality_gap"][i] = gap
        arrays["iterations"][i] += res.diagnostics.iterations or 0
        arrays["converged"][i] = gap <= tol_nats


def decompose_many(
    p: Any,
    *,
    units: str = "bits",
    tol: float | None = None,
    max_iter: int = 200,
    normalize: bool = False,
    max_table_bytes: int = DEFAULT_MAX_TABLE_BYTES,
    client: Any = None,
    chunk_size: int | None = None,
    retries: int = 1,
) -> PIDResultStack:
    """Exact BROJA PID of a stack of tables of shape (B, |X1|, |X2|, |Y|).

    All tables are solved by the native interior-point kernel in one call (no Python loop per
    table; in parallel over tables on the compiled kernel), each to a certified duality gap
    ``tol``. Meant for many small tables — bootstrap replicates, parameter sweeps; for one large
    table use :func:`pidkit.decompose`.

    The stack is validated as a whole before anything is solved: one invalid table (NaN, negative
    entries, a float table not summing to 1 without ``normalize``) refuses the whole stack with
    :class:`~pidkit.exceptions.InvalidPMFError` naming the first offending tables, and a stack whose
    float64 form exceeds ``max_table_bytes`` (default 2 GiB) is refused with
    :class:`~pidkit.exceptions.TableTooLargeError` before it is copied.

    Parameters
    ----------
    p : array (B, |X1|, |X2|, |Y|)
        Joint pmfs, or integer counts (normalized per table).
    units : {"bits", "nats"}
    tol : float, optional
        Target certified duality gap of every table, in ``units`` (default 1e-8 bits, as
        :func:`pidkit.decompose` with the native solver).
    max_iter : int
        Iteration budget per table.
    normalize : bool
        Rescale float tables that do not sum to 1 instead of raising.
    max_table_bytes : int
        See above.
    client : dask.distributed.Client, optional
        Solve chunks of the stack as tasks on this cluster (:mod:`pidkit.scale.many`); the tables
        are independent, so the numbers are identical to a local call. Default: this process.
    chunk_size : int, optional
        Tables per task with ``client`` (default: about four tasks per worker, at least 20,000
        table cells each).
    retries : int
        With ``client``: retries of a failed task before
        :class:`~pidkit.scale.DistributedComputeError` (nothing partial is returned).

    Returns
    -------
    PIDResultStack
        Arrays ``R, U1, U2, S, total, I1, I2, duality_gap, iterations, converged``.

    Raises
    ------
    InvalidPMFError
        Any one table invalid: the whole call is refused and no table is decomposed; the message
        names the offending table indices (up to five). Fix or drop those tables, or decompose
        them one by one with :func:`pidkit.decompose` to see each one's error.
    TableTooLargeError
        The stack's float64 form exceeds ``max_table_bytes``.

    Examples
    --------
    >>> import numpy as np, pidkit as pid
    >>> p = np.random.default_rng(0).dirichlet(np.ones(8), size=1000).reshape(1000, 2, 2, 2)
    >>> res = pid.decompose_many(p)
    >>> res.S.shape
    (1000,)
    """
    scale = check_units(units)
    normalize = check_bool("normalize", normalize)
    tol_nats = DEFAULT_TOL["native"] * np.log(2.0) if tol is None else check_positive_float("tol", tol) * scale
    max_iter = check_positive_int("max_iter", max_iter)
    client = check_client(client)
    pmfs = _check_stack(p, normalize, check_positive_int("max_table_bytes", max_table_bytes))
    name = kernel_name()
    t0 = time.perf_counter()
    if client is None:
        arrays = _solve(pmfs, tol_nats, max_iter)
    else:
        from ..scale.many import map_tables

        arrays = map_tables(client, _solve, pmfs, tol_nats=tol_nats, max_iter=max_iter, chunk_size=chunk_size,
                            retries=check_positive_int("retries", retries, minimum=0))
    elapsed = time.perf_counter() - t0
    gap, converged = arrays["duality_gap"], arrays["converged"]
    if not converged.all():
        bad = np.flatnonzero(~converged)
        warnings.warn(
            f"{bad.size} of {len(gap)} tables stopped above tol={tol_nats / scale:.1e} {units} (worst certified gap "
            f"{gap[bad].max() / scale:.2e} {units}, e.g. table {int(bad[0])}); their atoms are still within their "
            f"duality_gap. Raise max_iter (now {max_iter}) or tol.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return PIDResultStack(
        **{k: arrays[k] / scale for k in ("R", "U1", "U2", "S", "total", "I1", "I2", "duality_gap")},
        iterations=arrays["iterations"],
        converged=converged,
        units=units,
        solver=f"native/ipm ({'C++' if name == 'native' else 'NumPy twin'})",
        time_s=elapsed,
    )
