"""Lattice PIDs of three or more modalities from samples: each source coded by the shared Discretizer."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .._training import user_stacklevel
from .._validation import as_samples, check_same_length, check_units
from ..exceptions import InputError, ParameterError, PlugInBiasWarning

__all__ = ["estimate_sources"]


def _source_states(n: int, ny: int, n_sources: int, min_samples_per_cell: float) -> int:
    """States of each binned or clustered source under the joint-table budget of ``n_sources`` sources:
    ``k = floor((n / (min_samples_per_cell · |Y|)) ** (1 / n_sources))``, at least 2."""
    if min_samples_per_cell <= 0:
        return 32
    return max(2, math.floor((n / (min_samples_per_cell * ny)) ** (1.0 / n_sources) + 1e-9))


#: Default bootstrap replicates (I_ccs fits a maximum-entropy table per node and replicate: fewer).
DEFAULT_N_BOOT = {"mmi": 1000, "imin": 1000, "ccs": 200}


def lattice_intervals(counts: np.ndarray, measure: str, *, level: float, n_boot: int, random_state: Any,
                      units_scale: float) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals of every atom and of the total: ``n_boot`` resampled count tables
    (:func:`~pidkit.uncertainty.resampling.bootstrap_tables`, in chunks that bound memory), decomposed on the
    same codes, vectorized over the replicates."""
    from .._validation import seed_from
    from ..uncertainty.intervals import percentile_interval
    from ..uncertainty.resampling import bootstrap_tables, chunks
    from . import lattice, lattice_atoms

    lat = lattice(counts.ndim - 1)
    make = bootstrap_tables(counts, np.random.default_rng(seed_from(random_state)))
    n = float(counts.sum())
    atoms = np.empty((n_boot, lat.size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a replicate's IPF warning would repeat per chunk; the estimate warns once
        for start, stop in chunks(n_boot, counts.size):
            atoms[start:stop] = lattice_atoms(make(start, stop) / n, measure, lat)[1] / units_scale
    out = {name: percentile_interval(atoms[:, i], level) for i, name in enumerate(lat.names)}
    out["total"] = percentile_interval(atoms.sum(axis=1), level)
    return out


def estimate_sources(sources: Any, y: Any, *, measure: str, discretizer: Any, units: str, random_state: Any,
                     max_atoms: int, max_table_bytes: int | None = None, ci: float | None = None,
                     n_boot: int | None = None):
    """:func:`pidkit.estimate` for a list of sources (see there)."""
    from ..discretize import Discretizer
    from ..estimators.exact import DEFAULT_MAX_TABLE_BYTES, check_table_size
    from . import check_sources, decompose_measure

    scale = check_units(units)
    if not isinstance(sources, (list, tuple)) or len(sources) < 2:
        raise ParameterError(
            "estimate(sources, y, measure=...) expects a list of at least two modalities, one array per source; "
            f"got {type(sources).__name__}" + (f" of {len(sources)}" if isinstance(sources, (list, tuple)) else "")
            + ". For two modalities estimate(x1, x2, y) works too."
        )
    n_src = len(sources)
    check_sources(n_src, measure, max_atoms)
    if n_src == 2:
        raise ParameterError("a list of two sources: call pid.estimate(x1, x2, y, measure=...) (same answer, with its "
                             "intervals, tests and information check).")
    if ci is not None and not (isinstance(ci, (float, int)) and not isinstance(ci, bool) and 0 < ci < 1):
        raise ParameterError(f"ci must be a confidence level in (0, 1), e.g. 0.95; got {ci!r}.")
    if n_boot is not None and not (isinstance(n_boot, (int, np.integer)) and not isinstance(n_boot, bool)
                                   and 20 <= n_boot <= 100_000):
        raise ParameterError(f"n_boot must be an integer from 20 to 100,000; got {n_boot!r}.")
    arrays = [as_samples(s, f"sources[{i}]") for i, s in enumerate(sources)]
    ay = as_samples(y, "y")
    check_same_length(**{f"sources[{i}]": a for i, a in enumerate(arrays)}, y=ay)
    if discretizer is not None and (not isinstance(discretizer, Discretizer) or discretizer.is_fitted()):
        raise ParameterError(
            "with a list of sources, discretizer must be None or an unfitted pidkit.Discretizer (a template: each "
            f"source is coded by its own copy); got {discretizer!r}."
        )
    params = discretizer.get_params() if discretizer is not None else {"random_state": random_state}
    n = ay.shape[0]
    cy, _ = Discretizer(**params).encode_labels(ay)
    ny = int(cy.max()) + 1 if cy.size else 1
    if ny < 2:
        raise InputError("y takes a single value: there is nothing to decompose (every atom would be 0). Pass a "
                         "label with at least two classes.")
    msc = params.get("min_samples_per_cell", 5.0)
    k = _source_states(n, ny, n_src, msc)
    # "auto" states are chosen by held-out information for one modality; n sources share one table's budget
    per_source = {**params, **{key: k for key in ("n_bins", "n_clusters") if params.get(key, "auto") == "auto"}}
    codes, states, kinds = [], [], []
    for a in arrays:  # each source in both slots of its own Discretizer, with its share of the n-source table
        disc = Discretizer(**per_source)
        with warnings.catch_warnings():  # the (source, source, y) table is never decomposed
            warnings.simplefilter("ignore", PlugInBiasWarning)
            c, _, c_y = disc.fit_transform(a, a, ay)
        codes.append(c)
        states.append(int(disc.n_states_["x1"]))
        kinds.append(disc.kinds_["x1"])
        cy = c_y
    ny = int(cy.max()) + 1
    shape = (*states, ny)
    check_table_size(shape, max_table_bytes or DEFAULT_MAX_TABLE_BYTES, what=f"the joint table of {n_src} sources",
                     fix="Use fewer states per source (a Discretizer with smaller n_bins / n_clusters / max_categories)"
                     ", or fewer sources.")
    flat = np.ravel_multi_index((*codes, cy), shape)
    counts = np.bincount(flat, minlength=math.prod(shape)).astype(np.float64).reshape(shape)
    occupied = int(np.count_nonzero(counts))
    per_cell = n / occupied if occupied else 0.0
    if per_cell < msc:
        warnings.warn(
            f"Only {per_cell:.2f} samples per occupied cell of the joint table of {n_src} sources and y ({n} samples "
            f"in {occupied} occupied of {counts.size} cells; threshold min_samples_per_cell={msc}). Plug-in "
            "information is "
            f"biased upward by roughly cells/(2 n ln 2) = {occupied / (2 * n * math.log(2)):.3f} bits, most of it in "
            "the highest-order atoms. Use fewer bins or clusters (n_bins=, n_clusters=) or more samples.",
            PlugInBiasWarning, stacklevel=user_stacklevel(),
        )
    summary = {"kinds": {f"x{i + 1}": k for i, k in enumerate(kinds)},
               "n_states": {**{f"x{i + 1}": s for i, s in enumerate(states)}, "y": ny},
               "n_samples": n, "total_cells": int(counts.size), "occupied_cells": occupied,
               "samples_per_occupied_cell": per_cell}
    res = decompose_measure(counts / counts.sum(), measure=measure, units_scale=scale, units=units,
                            max_atoms=max_atoms, n_samples=n, discretization=summary)
    from dataclasses import replace

    notes = (*res.diagnostics.notes, "sources coded separately by the shared Discretizer: "
             + ", ".join(f"X{i + 1} {k} ({s} states)" for i, (k, s) in enumerate(zip(kinds, states, strict=True))))
    intervals = None
    if ci is not None:
        boots = DEFAULT_N_BOOT[measure] if n_boot is None else n_boot
        intervals = lattice_intervals(counts, measure, level=ci, n_boot=boots, random_state=random_state,
                                      units_scale=scale)
        notes += (f"intervals: percentiles of {boots} bootstrap resamples of the samples, decomposed on the same codes "
                  "(the sampling variability given the coding, not the choice of the coding)",)
    return replace(res, diagnostics=replace(res.diagnostics, notes=notes), intervals=intervals, ci_level=ci)
