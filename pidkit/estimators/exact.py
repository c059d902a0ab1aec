"""The exact ("cvx") estimator: BROJA PID of a discrete joint table.

Public entry points: :func:`decompose` for a joint pmf or count table, and the registered
estimator ``"cvx"`` that :func:`pidkit.estimate` uses after discretizing samples.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import warnings
from typing import Any

import numpy as np

from .._memory import MEMORY_CHECK_FLOOR, binding_memory_limit
from .._threads import check_threads
from .._validation import (
    check_bool,
    check_option,
    check_positive_float,
    check_positive_int,
    check_prob_table,
    check_units,
)
from ..discretize import joint_counts
from ..exceptions import ConvergenceWarning, InvalidPMFError, ParameterError, PIDKitError, TableTooLargeError
from ..kernels import native_available
from ..measures import LATTICE_SIZES, check_measure, check_sources, decompose_measure
from ..result import Diagnostics, PIDResult
from ._problem import BROJAProblem, check_pmf
from .cvxpy_backend import CVXPY_SOLVERS, solve_cvxpy
from .native_backend import ELIMINATIONS, plan_native, solve_native
from .registry import register_estimator

__all__ = ["decompose", "ExactEstimator", "SOLVERS", "DEFAULT_TOL", "DEFAULT_MAX_ITER"]

SOLVERS = ("auto", "native", *CVXPY_SOLVERS, "torch")
#: default target for the certified duality gap (bits, as documented) per backend. The native solver
#: stops on the certificate itself; the cvxpy solvers stop on their own relative criteria, which on
#: 50x50x10 tables certify about 1e-8 bits (benchmarks/bench_exact.py). Inside pidkit every tol is
#: in nats, like the solvers' objectives and certificates: a tol in the caller's units, or this
#: default, is converted once where it enters (:func:`_solver_settings`, ``decompose_many``).
DEFAULT_TOL = {"native": 1e-8, "torch": 1e-8, "clarabel": 1e-6, "ecos": 1e-6, "scs": 1e-5}
#: largest float64 joint table accepted by default (bytes).
DEFAULT_MAX_TABLE_BYTES = 2 * 1024**3
#: iteration budget of the native interior-point solver (typical solves need 5-30).
DEFAULT_MAX_ITER = 200
#: tolerance (nats) handed to each cvxpy solver; tighter makes SCS impractically slow.
_SOLVER_TOL = {"clarabel": 1e-10, "ecos": 1e-10, "scs": 1e-8}
#: support cells above which the cvxpy backend is refused (its memory grows ~1 kB per cell).
MAX_CVXPY_CELLS = 2_000_000
#: with solver="auto", tables up to this many support cells get a Clarabel second opinion when
#: the native solver misses its target (Clarabel needs ~1 s at 20x20x10 = 4,000 cells)
AUTO_SECOND_OPINION_CELLS = 20_000
#: with solver="auto", tables whose Schur complement has at least this many unknowns
#: (min(n1, n2) * ny) go to the torch Newton solver when torch sees a CUDA device. Unmeasured on a GPU
#: so far: a guess from the CPU cost of the dense factorization (~NS^3 / 3 flops), to be tuned
#: with benchmarks/bench_exact.py on a GPU machine.
AUTO_TORCH_MIN_SCHUR = 4000


def _resolve_solver(solver: str) -> str:
    check_option("solver", solver, SOLVERS)
    return "native" if solver == "auto" else solver


def _check_solver_device(backend: str, device: Any, elimination: str) -> None:
    """Validate ``device``: fully (torch installed, device present) for the torch solver, else its form."""
    if backend == "torch":
        from ..kernels.torch_newton import torch_device

        torch_device(device)
        if elimination == "labels":
            raise ParameterError(
                "elimination='labels' needs solver='native'; the torch solver eliminates by pairs. "
                "Use elimination='auto' or 'pairs' with solver='torch'."
            )
    elif isinstance(device, str):
        kind, _, index = device.partition(":")
        if not (device in ("auto", "cpu", "cuda") or (kind == "cuda" and index.isdigit())):
            raise ParameterError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:<index>'; got {device!r}.")
    elif type(device).__name__ != "device":
        raise ParameterError(f"device must be 'auto', 'cpu', 'cuda', 'cuda:<index>' or a torch.device; got {device!r}.")


def _auto_torch_device(prob: BROJAProblem, device: Any):
    """``solver="auto"``: the CUDA device to run the torch Newton solver on, or None (the C++ kernel).

    Torch is chosen only for Schur complements of at least :data:`AUTO_TORCH_MIN_SCHUR` unknowns, with
    torch installed and a CUDA device available (``device`` "auto" or a CUDA device), and not when the
    native label elimination applies. Looking for a GPU must not cost more than the solve: with
    ``device="auto"`` torch is asked only if it is already imported (importing it takes ~2 s); pass
    ``device="cuda"`` to import it.
    """
    n1, n2, ny = prob.shape
    if min(n1, n2) * ny < AUTO_TORCH_MIN_SCHUR or importlib.util.find_spec("torch") is None:
        return None
    # few pairs and many labels: the native label elimination beats any Schur complement, GPU or not
    if native_available() and plan_native(prob, max_bytes=2**62)[0] == "labels":
        return None
    if device == "auto" and "torch" not in sys.modules:
        return None
    from ..kernels.torch_newton import torch_device

    try:
        _, dev = torch_device(device)
    except PIDKitError:  # e.g. device="cuda" on a machine without one: "auto" stays on the C++ kernel
        return None
    if dev.type != "cuda":
        return None
    return dev


def _solver_settings(solver: str, tol: float | None, max_iter: int | None, units: str) -> tuple[str, float, int]:
    """Validate the solver options shared by :func:`decompose` and the ``"cvx"`` estimator.

    Returns the backend, the target gap in nats (pidkit's one internal unit of tol) and the native
    iteration budget.
    """
    scale = check_units(units)
    backend = _resolve_solver(solver)
    tol_nats = DEFAULT_TOL[backend] * np.log(2.0) if tol is None else check_positive_float("tol", tol) * scale
    iters = DEFAULT_MAX_ITER if max_iter is None else check_positive_int("max_iter", max_iter)
    return backend, tol_nats, iters


def decompose(
    p: Any,
    *,
    units: str = "bits",
    solver: str = "auto",
    tol: float | None = None,
    max_iter: int | None = None,
    normalize: bool = False,
    verbose: bool = False,
    max_table_bytes: int = DEFAULT_MAX_TABLE_BYTES,
    max_solver_bytes: int | None = None,
    elimination: str = "auto",
    device: Any = "auto",
    threads: int | str = "auto",
    measure: str = "broja",
    max_atoms: int = 166,
) -> PIDResult:
    r"""Partial information decomposition of a joint table: exact BROJA by default, or another measure.

    Solves :math:`\min_{q \in \Delta_p} I_q(X_1, X_2; Y)` over the distributions that share the
    pairwise marginals :math:`p(x_1, y)` and :math:`p(x_2, y)` with ``p`` and reads off

    .. math::

        U_1 = I_{q^*}(X_1; Y \mid X_2), \; U_2 = I_{q^*}(X_2; Y \mid X_1), \;
        R = I(X_1; Y) - U_1, \; S = I(X_1, X_2; Y) - I_{q^*}(X_1, X_2; Y).

    With ``measure="mmi"``, ``"imin"`` or ``"ccs"`` the redundancy-lattice measure of
    :mod:`pidkit.measures` replaces BROJA (same :class:`PIDResult`, ``result.measure`` says which;
    the solver options below then do not apply), and ``p`` may have three or four sources,
    shape (|X1|, |X2|, |X3|, |Y|) or (|X1|, |X2|, |X3|, |X4|, |Y|): the result is then a
    :class:`~pidkit.measures.LatticePIDResult` with 18 or 166 atoms keyed like ``"{1}{23}"``.

    Parameters
    ----------
    p : array of shape (|X1|, |X2|, |Y|)
        Joint probabilities, or non-negative integer counts (normalized automatically). Lattice
        measures accept (|X1|, …, |Xn|, |Y|) for n = 2 … 4 (5 with ``max_atoms=7579``).
    units : {"bits", "nats"}
    solver : {"auto", "native", "torch", "clarabel", "ecos", "scs"}
        Backend. ``"native"`` is pidkit's interior-point solver on the compiled kernel
        (:mod:`pidkit.kernels`). ``"torch"`` is the same interior-point method and certificate (the
        NumPy twin's loop) with its Newton systems factored by torch on ``device``: a Schur complement
        like the compiled kernel's, on the GPU when there is one (needs ``pip install 'pidkit[torch]'``;
        on a CPU it is slower than ``"native"``). ``"auto"`` picks ``"native"``, except for large
        tables (``min(n1, n2) * ny`` of at least ``AUTO_TORCH_MIN_SCHUR`` = 4000) when torch is
        installed and sees a CUDA device: then ``"torch"`` on that device. ``"clarabel"``,
        ``"ecos"`` and ``"scs"`` state the program in cvxpy and hand it to that conic solver.
    tol : float, optional
        Target for the certified duality gap, in ``units``. Every atom is within the reported
        gap of its exact value. A solve that ends above ``tol`` warns (:class:`ConvergenceWarning`)
        with the gap it reached. Defaults: 1e-8 bits for the native and torch solvers, 1e-6 bits for
        Clarabel and ECOS, 1e-5 for SCS.
    max_iter : int, optional
        Iteration budget of the native and torch solvers (default 200); the cvxpy solvers use their own.
    normalize : bool
        Rescale a floating table that does not sum to 1 instead of raising.
    verbose : bool
        Let the solver print its progress.
    max_table_bytes : int
        Refuse a table whose float64 form exceeds this many bytes (default 2 GiB), checked before
        any copy is made (validation briefly holds about three such copies).
    max_solver_bytes : int, optional
        Working-memory budget of the native solver (default: 3/4 of what the process may still
        allocate — physical memory, or less under ``ulimit -v`` / ``-d`` or a cgroup limit). Its
        need is estimated from the support before the solver allocates; above the budget,
        :class:`TableTooLargeError`.
    elimination : {"auto", "pairs", "labels"}
        How the native solver's Newton systems are eliminated. ``"auto"`` picks the cheaper by
        estimated cost: ``"pairs"`` (a Schur complement onto one modality's unknowns) for tables
        with many states per modality, ``"labels"`` (one small block per label plus a
        pairs x pairs capacitance matrix) for few (x1, x2) pairs and many labels, e.g. 3 x 3 x 100,000.
        The torch solver eliminates by pairs only.
    device : {"auto", "cpu", "cuda", "cuda:<index>"} or torch.device
        Where ``solver="torch"`` factors (``"auto"``: CUDA when ``torch.cuda.is_available()``, else
        the CPU), and where ``solver="auto"`` may send large tables (``"cpu"`` keeps them on the
        compiled kernel). Ignored by the other solvers.
    threads : int or "auto"
        Threads of the native solver (its OpenMP loops and the BLAS it factors with). ``"auto"``
        (default): one thread for tables whose factorization is small — up to ~100 x 100 x 10, where
        synchronizing threads costs more than they save, and where a second thread on a core that
        other processes use made solves 5-13x slower — and, for larger ones, the usable cores that
        other processes leave idle (measured over 50 ms). ``$PIDKIT_NUM_THREADS`` overrides
        ``"auto"``. The BLAS thread setting is restored after the solve.
    measure : {"broja", "mmi", "imin", "ccs"}
        The PID measure (see :mod:`pidkit.measures` and :func:`pidkit.compare_measures`).
        ``"broja"`` is defined for two sources only.
    max_atoms : int
        Refuse a lattice with more atoms than this (default 166, four sources; five sources have
        7,579 atoms: pass ``max_atoms=7579``).

    Returns
    -------
    PIDResult
        Atoms, ``total = I(X1,X2;Y)``, ``I1``, ``I2`` and diagnostics (solver, status,
        iterations, marginal violation, duality gap, time).

    Raises
    ------
    InvalidPMFError
        ``p`` is not a 3-D non-negative finite table summing to 1 (or counts).
    TableTooLargeError
        The table or the solver's working memory exceeds its budget (estimated before allocating).
    SolverError
        The solver failed or did not report an optimal status.
    MissingDependencyError
        ``solver="torch"`` without PyTorch installed.
    ParameterError
        An invalid option, e.g. ``device="cuda"`` on a machine where torch sees no CUDA device.

    Examples
    --------
    >>> import numpy as np, pidkit as pid
    >>> p = np.zeros((2, 2, 2))
    >>> for a in (0, 1):
    ...     for b in (0, 1):
    ...         p[a, b, a ^ b] = 0.25
    >>> round(pid.decompose(p).S, 6)
    1.0
    """
    measure = check_measure(measure)
    if measure != "broja":
        given = {k: v for k, v in dict(solver=solver != "auto", tol=tol is not None, max_iter=max_iter is not None,
                                       elimination=elimination != "auto", device=device != "auto",
                                       threads=threads != "auto", max_solver_bytes=max_solver_bytes is not None,
                                       verbose=verbose is not False).items() if v}
        if given:
            raise ParameterError(f"measure={measure!r} is computed without the BROJA solver, so its options "
                                 f"{sorted(given)} do not apply. Drop them, or use measure='broja'.")
    try:
        shape = np.shape(p)  # no copy of an array
    except ValueError:  # ragged nested lists: check_pmf says what is wrong
        shape = None
    if measure != "broja" or (shape is not None and len(shape) != 3):
        return _decompose_other(p, shape, measure=measure, units=units, normalize=normalize, max_atoms=max_atoms,
                                max_table_bytes=max_table_bytes)
    backend, target, iters = _solver_settings(solver, tol, max_iter, units)
    check_option("elimination", elimination, ELIMINATIONS)
    _check_solver_device(backend, device, elimination)
    verbose = check_bool("verbose", verbose)
    if max_solver_bytes is not None:
        check_positive_int("max_solver_bytes", max_solver_bytes)
    threads = check_threads(threads)
    if shape is not None:
        check_table_size(shape, check_positive_int("max_table_bytes", max_table_bytes), what="the table p")
    pmf = check_pmf(p, normalize=normalize)
    return _solve_table(
        pmf, units=units, backend=backend, tol_nats=target, max_iter=iters, auto=solver == "auto", verbose=verbose,
        max_solver_bytes=max_solver_bytes, elimination=elimination, device=device, threads=threads,
    )


def _decompose_other(p: Any, shape: tuple[int, ...] | None, *, measure: str, units: str, normalize: bool,
                     max_atoms: Any, max_table_bytes: int):
    """A lattice measure, or a table of other than two sources (refused for BROJA with the reason); ``shape``
    is ``np.shape(p)``, None for ragged nested lists."""
    scale = check_units(units)
    if shape is None or len(shape) < 3:
        check_pmf(p, normalize=normalize)  # says what a table must be
    check_sources(len(shape) - 1, measure, max_atoms, error=InvalidPMFError)
    check_table_size(shape, check_positive_int("max_table_bytes", max_table_bytes), what="the table p")
    pmf, _, _ = check_prob_table(
        p, name="p", ndim=len(shape), normalize=normalize,
        ndim_message="Expected a joint table of shape (|X1|, ..., |Xn|, |Y|).",
    )
    return decompose_measure(pmf, measure=measure, units_scale=scale, units=units, max_atoms=max_atoms)


def _solve_table(
    pmf: np.ndarray,
    *,
    units: str,
    backend: str,
    tol_nats: float,
    max_iter: int = DEFAULT_MAX_ITER,
    auto: bool = False,
    verbose: bool = False,
    n_samples: int | None = None,
    discretization: dict | None = None,
    estimator: str = "cvx",
    max_solver_bytes: int | None = None,
    elimination: str = "auto",
    device: Any = "auto",
    threads: int | str = "auto",
) -> PIDResult:
    scale = check_units(units)
    try:
        prob = BROJAProblem.from_pmf(pmf)
    except MemoryError as exc:  # the estimate of check_table_size missed (other allocations): a pidkit error
        raise TableTooLargeError(
            f"preparing this {' x '.join(map(str, pmf.shape))} table ran out of memory. Free memory, or use fewer "
            "states per modality or label."
        ) from exc
    notes = _pruning_notes(prob)
    n1, n2, ny = prob.shape
    t0 = time.perf_counter()
    if ny == 1 or n1 == 1 or n2 == 1:
        # Delta_p has a single element (q = p): nothing to optimize.
        q = prob.p_on_support()
        f_value = dual = prob.objective(q)
        if ny == 1:
            notes.append("the label takes a single value: I(X1,X2;Y) = 0, so every atom is 0")
        else:
            notes.append("a modality takes a single value: q* = p, no optimization needed")
        sol_name, status, iters, viol = "closed-form", "optimal", 0, 0.0
        elapsed = time.perf_counter() - t0
    else:
        if backend in ("native", "torch"):
            if backend == "torch":
                from ..kernels.torch_newton import torch_device

                dev = torch_device(device)[1]
            else:
                dev = _auto_torch_device(prob, device) if auto and elimination != "labels" else None
            sol = solve_native(prob, tol=tol_nats, max_iter=max_iter, elimination=elimination,
                               max_bytes=max_solver_bytes, torch_device=dev, threads=threads)
            if auto and sol.primal_value - sol.dual_value > tol_nats:
                sol = _second_opinion(prob, sol, notes)
        else:
            if prob.n_cells > MAX_CVXPY_CELLS:
                raise TableTooLargeError(
                    f"the table has {prob.n_cells:,} support cells; the cvxpy backend handles at most "
                    f"{MAX_CVXPY_CELLS:,}. Use solver='native', or fewer states (lower n_bins / n_clusters)."
                )
            sol = solve_cvxpy(prob, solver=backend, tol=_SOLVER_TOL[backend], verbose=verbose)
        f_value, dual = sol.primal_value, sol.dual_value
        sol_name, iters, viol, elapsed = sol.solver, sol.iterations, sol.max_marginal_violation, sol.time_s
        status = sol.status
    gap_nats = max(f_value - dual, 0.0)
    if not gap_nats <= tol_nats:
        status = f"{status}; gap_above_tol"
        knob = (
            f"raise max_iter (now {max_iter}) or tol"
            if backend in ("native", "torch")
            else "raise tol, or use solver='native' (certifies to 1e-8 bits)"
        )
        warnings.warn(
            f"{sol_name} stopped after {iters} iterations with a certified duality gap of {gap_nats / scale:.2e} "
            f"{units}, above tol={tol_nats / scale:.1e} {units}; every atom is still within that gap of its exact "
            "value. To reach "
            f"tol, {knob}.",
            ConvergenceWarning,
            stacklevel=3,
        )
    if ny == 1:
        atoms = dict.fromkeys(("R", "U1", "U2", "S", "total", "I1", "I2"), 0.0)
    else:
        atoms = prob.atoms_from_objective(f_value)
    diag = Diagnostics(
        solver=sol_name,
        status=status,
        iterations=iters,
        max_marginal_violation=viol,
        duality_gap=gap_nats / scale,
        time_s=elapsed,
        discretization=discretization,
        notes=tuple(notes),
    )
    return PIDResult(
        **{k: float(v) / scale for k, v in atoms.items()},
        units=units,
        estimator=estimator,
        n_samples=n_samples,
        shape=tuple(int(s) for s in pmf.shape),
        diagnostics=diag,
    )


def _second_opinion(prob: BROJAProblem, native, notes: list[str]):
    """``solver="auto"`` only: when the native solver misses its target, ask Clarabel as well.

    Both results carry certificates, so the one with the smaller certified gap is kept, and a
    note records what happened. Happens on pathological tables (probabilities ~1e-11 next to ~1).
    """
    if prob.n_cells > AUTO_SECOND_OPINION_CELLS:
        return native
    try:
        other = solve_cvxpy(prob, solver="clarabel", tol=_SOLVER_TOL["clarabel"])
    except PIDKitError:
        return native
    gap_native = (native.primal_value - native.dual_value) / np.log(2.0)
    gap_other = (other.primal_value - other.dual_value) / np.log(2.0)
    if gap_other < gap_native:
        notes.append(
            f"solver='auto': the native solver stopped at a certified gap of {gap_native:.1e} bits; "
            f"{other.solver} certified {gap_other:.1e} bits and its result is reported"
        )
        return other
    return native


def _pruning_notes(prob: BROJAProblem) -> list[str]:
    notes = []
    for name, kept, full in zip(("x1", "x2", "y"), prob.kept, prob.original_shape, strict=False):
        if kept.size < full:
            notes.append(f"{full - kept.size} state(s) of {name} with zero probability were ignored")
    return notes


@register_estimator("cvx")
class ExactEstimator:
    """Exact BROJA PID of the discretized joint table (``estimator="cvx"``).

    Samples go through the shared :class:`~pidkit.Discretizer`, are counted into a joint table
    of shape (|X1|, |X2|, |Y|), and the table is decomposed by :func:`decompose`.

    Parameters
    ----------
    solver : {"auto", "native", "clarabel", "ecos", "scs"}
    tol : float, optional
        Target certified duality gap in the result's units (see :func:`decompose`).
    max_iter : int, optional
        Iteration budget of the native solver.
    max_table_bytes : int
        Refuse joint tables whose dense float64 form would exceed this many bytes (default 2 GiB).
    max_solver_bytes : int, optional
        Working-memory budget of the native solver (see :func:`decompose`).
    elimination : {"auto", "pairs", "labels"}
        Elimination of the native solver's Newton systems (see :func:`decompose`).
    device : {"auto", "cpu", "cuda", "cuda:<index>"} or torch.device
        Device of ``solver="torch"`` (and of large tables under ``"auto"``, see :func:`decompose`).
    threads : int or "auto"
        Threads of the native solver (see :func:`decompose`).
    measure : {"broja", "mmi", "imin", "ccs"}
        The PID measure of the table (see :func:`decompose`); the solver options apply to ``"broja"`` only.
    """

    name = "cvx"

    def __init__(
        self,
        *,
        solver: str = "auto",
        tol: float | None = None,
        max_iter: int | None = None,
        max_table_bytes: int = DEFAULT_MAX_TABLE_BYTES,
        max_solver_bytes: int | None = None,
        elimination: str = "auto",
        device: Any = "auto",
        threads: int | str = "auto",
        measure: str = "broja",
    ):
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.max_table_bytes = max_table_bytes
        self.max_solver_bytes = max_solver_bytes
        self.elimination = elimination
        self.device = device
        self.threads = threads
        self.measure = measure

    def estimate(self, x1, x2, y, *, discretizer, units: str, random_state=None) -> PIDResult:
        return self.estimate_table(x1, x2, y, discretizer=discretizer, units=units, random_state=random_state)[0]

    def estimate_table(self, x1, x2, y, *, discretizer, units: str, random_state=None):
        """:meth:`estimate`, also returning the count table and the codes it decomposed.

        Returns ``(result, counts, (c1, c2, cy))``: the intervals and tests of :func:`pidkit.estimate`
        resample that table and those codes (the samples are coded once).
        """
        self.check_options(units)  # bad options fail before the data are coded
        if not discretizer.is_fitted():
            c1, c2, cy = discretizer.fit_transform(x1, x2, y)
            summary = discretizer.summary_
        else:
            c1, c2, cy = discretizer.transform(x1, x2, y)
            summary = discretizer.summarize(c1, c2, cy)
        shape = (discretizer.n_states_["x1"], discretizer.n_states_["x2"], discretizer.n_states_["y"])
        self.check_size(shape)
        counts = joint_counts(c1, c2, cy, shape)
        res = self.decompose_table(
            counts / counts.sum(), units=units, n_samples=int(len(cy)), discretization=summary.to_dict()
        )
        return res, counts, (c1, c2, cy)

    def check_options(self, units: str) -> None:
        """Validate every option (solver, tol, max_iter, sizes, elimination, device, threads) for ``units``."""
        backend = _solver_settings(self.solver, self.tol, self.max_iter, units)[0]
        check_positive_int("max_table_bytes", self.max_table_bytes)
        check_option("elimination", self.elimination, ELIMINATIONS)
        _check_solver_device(backend, self.device, self.elimination)
        if self.max_solver_bytes is not None:
            check_positive_int("max_solver_bytes", self.max_solver_bytes)
        check_threads(self.threads)
        check_measure(self.measure)

    def check_size(self, shape: tuple[int, int, int]) -> None:
        """Raise :class:`TableTooLargeError` if a table of ``shape`` exceeds ``max_table_bytes``."""
        check_table_size(shape, check_positive_int("max_table_bytes", self.max_table_bytes))

    def decompose_table(
        self, pmf: np.ndarray, *, units: str, n_samples: int | None = None, discretization: dict | None = None
    ) -> PIDResult:
        """Decompose a joint pmf built from samples (normalized, shape (|X1|, |X2|, |Y|)) with these options."""
        if self.measure != "broja":
            return decompose_measure(pmf, measure=self.measure, units_scale=check_units(units), units=units,
                                     max_atoms=LATTICE_SIZES[2], n_samples=n_samples, discretization=discretization,
                                     estimator=self.name)
        backend, tol_nats, iters = _solver_settings(self.solver, self.tol, self.max_iter, units)
        return _solve_table(
            pmf,
            units=units,
            backend=backend,
            tol_nats=tol_nats,
            max_iter=iters,
            auto=self.solver == "auto",
            n_samples=n_samples,
            discretization=discretization,
            estimator=self.name,
            max_solver_bytes=self.max_solver_bytes,
            elimination=self.elimination,
            device=self.device,
            threads=self.threads,
        )


#: float64 copies of a table that validation and the problem's setup hold at their peak (copies, support
#: coordinates, pair indices), checked against what the process may still allocate
TABLE_WORK_COPIES = 6


def check_table_size(shape: tuple[int, ...], max_bytes: int, *, what: str = "the discretized joint table",
                     fix: str | None = None) -> None:
    """Raise :class:`TableTooLargeError` before allocating a float64 table of ``shape`` above ``max_bytes``, or
    one whose validation would not fit in what the process may still allocate (:mod:`pidkit._memory`)."""
    cells = int(np.prod([int(s) for s in shape], dtype=np.float64))
    need = cells * 8
    if need > max_bytes:
        dims = " x ".join(str(int(s)) for s in shape)
        fix = fix or (
            "Use fewer states per modality: a Discretizer with smaller n_bins / n_clusters, or kind='binned' / "
            "'clustered' for a modality that was encoded as categorical."
            if what == "the discretized joint table"
            else "Merge or drop states (rows, columns, labels) first, or raise max_table_bytes if the machine has "
            "the memory (validation briefly holds about three float64 copies)."
        )
        raise TableTooLargeError(
            f"{what} has {dims} = {cells:,} cells ({need / 1024**3:.1f} GiB as float64), above "
            f"max_table_bytes={max_bytes:,}. {fix}"
        )
    if need * TABLE_WORK_COPIES <= MEMORY_CHECK_FLOOR:
        return
    room, limit = binding_memory_limit()
    if need * TABLE_WORK_COPIES > room:
        dims = " x ".join(str(int(s)) for s in shape)
        raise TableTooLargeError(
            f"{what} has {dims} = {cells:,} cells; validating and preparing it takes about "
            f"{need * TABLE_WORK_COPIES / 1024**3:.2f} GiB, more than this process may still allocate "
            f"({room / 1024**3:.2f} GiB under {limit}). {fix or 'Use fewer states, or run with more memory.'}"
        )
