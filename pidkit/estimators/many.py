"""``decompose_many``: exact PID of many small tables at once (bootstrap, sweeps, simulations)."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import check_bool, check_positive_float, check_positive_int, check_prob_table, check_units
from ..exceptions import ConvergenceWarning
from ..info import conditional_entropy, entropy, mutual_information
from ..kernels import get_kernel, kernel_name
from ._problem import broja_atoms
from .exact import DEFAULT_MAX_TABLE_BYTES, check_table_size
from .native_backend import n_threads

__all__ = ["decompose_many", "PIDBatchResult"]

_ARRAYS = ("R", "U1", "U2", "S", "total", "I1", "I2", "duality_gap", "iterations", "converged")


@dataclass(frozen=True)
class PIDBatchResult:
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
        Wall time of the whole batch.
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
        d = {k: getattr(self, k).tolist() for k in _ARRAYS}
        d.update(units=self.units, solver=self.solver, time_s=self.time_s)
        return d

    def to_pandas(self):  # pragma: no cover - optional dependency
        import pandas as pd

        return pd.DataFrame({k: getattr(self, k) for k in _ARRAYS})

    def __repr__(self) -> str:
        return (
            f"PIDBatchResult({len(self)} tables, units={self.units!r}, solver={self.solver!r}, "
            f"max gap {float(self.duality_gap.max(initial=0.0)):.1e}, all converged={bool(self.converged.all())}, "
            f"{self.time_s:.3g} s)"
        )


def _check_batch(p: Any, normalize: bool, max_table_bytes: int) -> np.ndarray:
    arr = np.asarray(p)
    if arr.ndim == 4:  # before the float64 copy of the validation
        check_table_size(arr.shape, max_table_bytes, what="the batch p")
    pmfs, _, _ = check_prob_table(
        arr,
        name="p",
        ndim=3,
        batch=True,
        axes="|X1|, |X2|, |Y|",
        ndim_message="For a single table use pidkit.decompose.",
        normalize=normalize,
        sum_fix="Pass normalize=True to rescale them.",
    )
    return pmfs


def decompose_many(
    p: Any,
    *,
    units: str = "bits",
    tol: float = 1e-8,
    max_iter: int = 200,
    normalize: bool = False,
    max_table_bytes: int = DEFAULT_MAX_TABLE_BYTES,
) -> PIDBatchResult:
    """Exact BROJA PID of a batch of tables of shape (B, |X1|, |X2|, |Y|).

    All tables are solved by the native interior-point kernel in one call (no Python loop per
    table; in parallel over tables on the compiled kernel), each to a certified duality gap
    ``tol`` (in ``units``). Meant for many small tables — bootstrap replicates, parameter sweeps;
    for one large table use :func:`pidkit.decompose`.

    The batch is validated as a whole before anything is solved: one invalid table (NaN, negative
    entries, a float table not summing to 1 without ``normalize``) refuses the whole batch with
    :class:`~pidkit.exceptions.InvalidPMFError` naming the first offending tables, and a batch whose
    float64 form exceeds ``max_table_bytes`` (default 2 GiB) is refused with
    :class:`~pidkit.exceptions.TableTooLargeError` before it is copied.

    Returns
    -------
    PIDBatchResult
        Arrays ``R, U1, U2, S, total, I1, I2, duality_gap, iterations, converged``.

    Raises
    ------
    InvalidPMFError
        Any one table invalid: the whole call is refused and no table is decomposed; the message
        names the offending table indices (up to five). Fix or drop those tables, or decompose
        them one by one with :func:`pidkit.decompose` to see each one's error.
    TableTooLargeError
        The batch's float64 form exceeds ``max_table_bytes``.

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
    tol_nats = check_positive_float("tol", tol) * scale
    max_iter = check_positive_int("max_iter", max_iter)
    pmfs = _check_batch(p, normalize, check_positive_int("max_table_bytes", max_table_bytes))
    name = kernel_name()
    t0 = time.perf_counter()
    out = get_kernel(name).ipm_solve_many(pmfs, tol_nats, max_iter, n_threads())
    elapsed = time.perf_counter() - t0
    f = np.asarray(out["primal"], dtype=np.float64)
    h_y = entropy(pmfs, 2, units="nats", batch_ndim=1)
    h_y1 = conditional_entropy(pmfs, 2, 0, units="nats", batch_ndim=1)
    h_y2 = conditional_entropy(pmfs, 2, 1, units="nats", batch_ndim=1)
    i12 = mutual_information(pmfs, (0, 1), 2, units="nats", batch_ndim=1)
    atoms = broja_atoms(h_y, h_y1, h_y2, i12, f)
    gap = np.maximum(np.asarray(out["gap"], dtype=np.float64), 0.0)
    converged = np.asarray(out["converged"], dtype=bool)
    if not converged.all():
        bad = np.flatnonzero(~converged)
        warnings.warn(
            f"{bad.size} of {len(f)} tables stopped above tol={tol:.1e} {units} (worst certified gap "
            f"{gap[bad].max() / scale:.2e} {units}, e.g. table {int(bad[0])}); their atoms are still within their "
            f"duality_gap. Raise max_iter (now {max_iter}) or tol.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return PIDBatchResult(
        **{k: v / scale for k, v in atoms.items()},
        duality_gap=gap / scale,
        iterations=np.asarray(out["iterations"], dtype=np.int64),
        converged=converged,
        units=units,
        solver=f"native/ipm ({'C++' if name == 'native' else 'NumPy twin'})",
        time_s=elapsed,
    )
