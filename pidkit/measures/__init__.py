"""Partial information decompositions by other measures, and of three or four sources.

BROJA (:func:`pidkit.decompose`'s default) is defined for two sources. This package adds the
redundancy-lattice measures (Williams & Beer 2010), for two sources and for more:

* ``"mmi"`` — minimum mutual information (:mod:`pidkit.measures.mmi`);
* ``"imin"`` — Williams and Beer's I_min (:mod:`pidkit.measures.imin`);
* ``"ccs"`` — Ince's common change in surprisal (:mod:`pidkit.measures.ccs`).

Each measure is one short module with a ``redundancy(p, lattice)`` function that returns the
redundancy of every lattice node for a stack of tables; :mod:`pidkit.measures.lattice` builds the
lattice and turns redundancies into atoms by Möbius inversion. :func:`decompose_measure` is the
dispatcher behind ``pid.decompose(p, measure=...)``; :func:`compare_measures` puts the measures
side by side.

Why no BROJA for three sources: the BROJA program fixes the pairwise marginals (Xi, Y) and reads
unique information off the optimum, which defines U1, U2, R and S for two sources only; the
proposed n-source extensions do not define every lattice atom (or lose non-negativity or the
identities), and none is agreed on. For three or more modalities use a lattice measure here, or
the BROJA PID of every pair of modalities (:func:`pidkit.pairwise`).
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from .._training import user_stacklevel
from ..exceptions import ConvergenceWarning, ParameterError
from ..result import Diagnostics, PIDResult
from . import ccs, imin, mmi
from .lattice import LATTICE_SIZES, Lattice, lattice
from .result import LatticePIDResult, atom_meaning

__all__ = [
    "MEASURES",
    "LATTICE_MEASURES",
    "decompose_measure",
    "lattice_atoms",
    "two_source_quantities",
    "LatticePIDResult",
    "Lattice",
    "lattice",
    "atom_meaning",
    "DEFAULT_MAX_ATOMS",
]

#: The lattice measures, by name: each module has ``NAME``, ``TITLE`` and ``redundancy(p, lattice)``.
LATTICE_MEASURES = {m.NAME: m for m in (mmi, imin, ccs)}
#: Every measure :func:`pidkit.decompose` accepts (``"broja"`` is the exact two-source solver).
MEASURES = ("broja", *LATTICE_MEASURES)
#: Lattices above this many atoms (five sources: 7,579) are refused unless ``max_atoms`` is raised.
DEFAULT_MAX_ATOMS = 166


def check_measure(measure: Any) -> str:
    if not isinstance(measure, str) or measure not in MEASURES:
        raise ParameterError(f"measure must be one of {list(MEASURES)}; got {measure!r}.")
    return measure


def check_sources(n: int, measure: str, max_atoms: Any, *, error: type[Exception] = ParameterError) -> None:
    """Refuse BROJA above two sources, more than five sources, and lattices above ``max_atoms`` (with ``error``
    for the BROJA case: :class:`InvalidPMFError` for a table)."""
    if measure == "broja" and n > 2:
        raise error(
            f"measure='broja' is defined for two sources; this table has {n}. There is no agreed BROJA "
            "decomposition of three or more sources: use a lattice measure (measure='imin', 'mmi' or 'ccs'), or "
            "the BROJA PID of every pair of modalities with pid.pairwise. (A stack of 3-D tables goes to "
            "pid.decompose_many.)"
        )
    if n > 5:
        raise ParameterError(
            f"lattice decompositions go up to 5 sources; this table has {n} (the lattice of 6 sources has "
            "7,828,352 atoms). Merge sources, or decompose subsets of them."
        )
    size = LATTICE_SIZES[n]
    if not (isinstance(max_atoms, (int, np.integer)) and not isinstance(max_atoms, bool) and max_atoms > 0):
        raise ParameterError(f"max_atoms must be a positive integer; got {max_atoms!r}.")
    if size > max_atoms:
        raise ParameterError(
            f"the lattice of {n} sources has {size:,} atoms, above max_atoms={max_atoms}; pass max_atoms={size} to "
            "compute it anyway (seconds to minutes, and a table nobody reads whole), or decompose subsets of the "
            "sources."
        )


def lattice_atoms(p: np.ndarray, measure: str, lat: Lattice) -> tuple[np.ndarray, np.ndarray, dict]:
    """Redundancies and atoms (nats) of a stack of pmfs ``p`` (B, |X1|, …, |Xn|, |Y|): two (B, nodes) arrays."""
    red, info = LATTICE_MEASURES[measure].redundancy(p, lat)
    return red, lat.invert(red), info


def two_source_quantities(red: np.ndarray, atoms: np.ndarray) -> dict[str, np.ndarray]:
    """The quantities of a :class:`~pidkit.PIDResult` (R, U1, U2, S, total, I1, I2) from the two-source lattice's
    redundancies and atoms (arrays of shape (..., 4)): R = ``{1}{2}``, U1 = ``{1}``, U2 = ``{2}``, S = ``{12}``;
    I1, I2 and the total are the redundancies of ``{1}``, ``{2}`` and ``{12}``."""
    lat = lattice(2)
    out = {q: atoms[..., lat.index(node)] for q, node in (("R", "{1}{2}"), ("U1", "{1}"), ("U2", "{2}"), ("S", "{12}"))}
    out.update({q: red[..., lat.index(node)] for q, node in (("total", "{12}"), ("I1", "{1}"), ("I2", "{2}"))})
    return out


def _diagnostics(info: dict, elapsed: float, measure: str, notes: list[str]) -> Diagnostics:
    viol = float(info.get("max_marginal_violation", 0.0))
    status = "optimal"
    if measure == "ccs" and viol > ccs.IPF_TOL:
        status = "max_iter"
        warnings.warn(
            f"I_ccs: the maximum-entropy fit (IPF, {ccs.NEWTON_MAX_ITER} Newton steps on the dual, then up to "
            f"{ccs.IPF_MAX_ITER} IPF sweeps on its support) stopped with its marginals {viol:.1e} from the data's "
            f"(target {ccs.IPF_TOL:.0e}); the redundancies are approximate to about that much. Tables with many "
            "near-zero cells converge slowly: merge rare states.",
            ConvergenceWarning,
            stacklevel=user_stacklevel(),
        )
    if measure != "ccs":
        notes = [*notes, f"{LATTICE_MEASURES[measure].TITLE}: closed form, exact up to rounding"]
    return Diagnostics(solver=info["solver"], status=status, iterations=info.get("iterations", 0),
                       max_marginal_violation=viol, duality_gap=None, time_s=elapsed, notes=tuple(notes))


def decompose_measure(pmf: np.ndarray, *, measure: str, units_scale: float, units: str, max_atoms: int,
                      n_samples: int | None = None, discretization: dict | None = None,
                      estimator: str = "cvx") -> PIDResult | LatticePIDResult:
    """Decompose one validated pmf (|X1|, …, |Xn|, |Y|) by a lattice measure.

    Two sources give a :class:`~pidkit.PIDResult` (R = ``{1}{2}``, U1 = ``{1}``, U2 = ``{2}``,
    S = ``{12}``); three or more a :class:`LatticePIDResult`.
    """
    n = pmf.ndim - 1
    check_sources(n, measure, max_atoms)
    lat = lattice(n)
    t0 = time.perf_counter()
    red, atoms, info = lattice_atoms(pmf[None], measure, lat)
    elapsed = time.perf_counter() - t0
    red, atoms = red[0] / units_scale, atoms[0] / units_scale
    diag = _diagnostics(info, elapsed, measure, [])
    if discretization is not None:
        diag = Diagnostics(**{**diag.__dict__, "discretization": discretization})
    if n == 2:
        values = {q: float(v) for q, v in two_source_quantities(red, atoms).items()}
        return PIDResult(**values, units=units, estimator=estimator, n_samples=n_samples, shape=tuple(pmf.shape),
                         diagnostics=diag, measure=measure)
    return LatticePIDResult(
        atoms={k: float(v) for k, v in zip(lat.names, atoms, strict=True)},
        redundancy={k: float(v) for k, v in zip(lat.names, red, strict=True)},
        total=float(red[-1]), measure=measure, units=units, n_sources=n, shape=tuple(pmf.shape),
        n_samples=n_samples, diagnostics=diag,
    )
