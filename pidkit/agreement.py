"""Agreement between a dataset's PID and a model's PID (thesis §3.3.4, eq. 3.6).

With the dataset's atoms normalized to shares, ``Î_D = I_D / Σ_I' I'_D``, the agreement of a
model ``f`` on interaction ``I`` is ``α_I = Î_D · I_f`` — how much of that interaction the model
captures, weighted by how much the dataset needs it — and the total is ``α = Σ_I α_I``. The
thesis reports α correlating with accuracy (ρ = 0.81) across its synthetic datasets.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

from .exceptions import DiscretizationMismatchWarning, InputError, ParameterError
from .result import ATOMS, PIDResult

__all__ = ["Agreement", "agreement"]


def _shares(res: PIDResult, who: str, notes: list[str]) -> dict[str, float]:
    """Atoms as fractions of their sum; negative (sampling-estimator) atoms count as 0, with a note."""
    neg = [a for a in ATOMS if getattr(res, a) < 0]
    if neg:
        notes.append(
            f"{who}: negative atom(s) {', '.join(f'{a}={getattr(res, a):.2g}' for a in neg)} counted as 0 in its shares"
        )
    vals = {a: max(getattr(res, a), 0.0) for a in ATOMS}
    total = sum(vals.values())
    if total <= 0:
        notes.append(f"{who} carries no information about its label: its shares are all 0")
        return dict.fromkeys(ATOMS, 0.0)
    return {a: v / total for a, v in vals.items()}


@dataclass(frozen=True)
class Agreement:
    """How well a model's PID matches what its dataset needs.

    Attributes
    ----------
    alpha : dict
        ``α_I = Î_D · I_f`` per atom, in ``units``.
    total : float
        ``α = Σ_I α_I``.
    similarity : float
        ``1 - ½ Σ_I |Î_D - Î_f|`` in [0, 1]: one minus the total-variation distance between the
        two normalized profiles — scale-free (a model that holds the dataset's mix of
        interactions scores 1 whatever its total information). ``Σ_I |Î_D - Î_f|`` is the
        thesis's dataset distance ``s`` applied to data and model. A profile without information
        (all atoms 0) matches only another such profile (similarity 1, else 0).
    data_shares, model_shares : dict
        ``Î_D`` and ``Î_f``.
    model_atoms : dict
        ``I_f`` per atom, in ``units``.
    units : str
    notes : tuple of str
    """

    alpha: dict
    total: float
    similarity: float
    data_shares: dict
    model_shares: dict
    model_atoms: dict
    units: str
    notes: tuple = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain Python types (JSON-serializable)."""
        return {
            "alpha": dict(self.alpha), "total": self.total, "similarity": self.similarity,
            "data_shares": dict(self.data_shares), "model_shares": dict(self.model_shares),
            "model_atoms": dict(self.model_atoms), "units": self.units, "notes": list(self.notes),
        }

    def to_pandas(self):
        """One row per atom: ``alpha``, ``data_share``, ``model_share``, ``model_value`` (requires pandas);
        ``total``, ``similarity`` and ``units`` are in the frame's ``attrs``."""
        import pandas as pd

        frame = pd.DataFrame({"alpha": self.alpha, "data_share": self.data_shares, "model_share": self.model_shares,
                              "model_value": self.model_atoms})
        frame.index.name = "atom"
        frame.attrs.update(total=self.total, similarity=self.similarity, units=self.units)
        return frame

    def plot(self, ax: Any = None, **kwargs: Any):
        """The dataset's and the model's normalized profiles side by side, α on the model's (plot_compare)."""
        from .plot import plot_compare

        kwargs.setdefault("title", f"profile similarity {self.similarity:.2f}")
        return plot_compare({"dataset": self.data_shares, "model": self.model_shares}, ax, shares=True,
                            agreement={"model": self.total}, **kwargs)

    def __str__(self) -> str:
        u = self.units
        lines = [
            f"PID agreement of a model with its dataset ({u})",
            f"{'atom':<5}{'data share':>12}{'model share':>13}{'model ' + u:>12}{'alpha':>10}",
        ]
        for a in ATOMS:
            lines.append(f"{a:<5}{self.data_shares[a]:12.3f}{self.model_shares[a]:13.3f}"
                         f"{self.model_atoms[a]:12.4f}{self.alpha[a]:10.4f}")
        lines.append(f"total alpha {self.total:.4f} {u}; profile similarity {self.similarity:.3f} (1 = same shares)")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    __repr__ = __str__


def agreement(data_pid: PIDResult, model_pid: PIDResult) -> Agreement:
    """Agreement scores between a dataset's PID and a model's PID.

    Parameters
    ----------
    data_pid : PIDResult
        The dataset's decomposition (e.g. ``pid.estimate(x1, x2, y, discretizer=disc)``).
    model_pid : PIDResult
        The model's (``pid.model_pid(model, x1, x2, discretizer=disc)``); converted to
        ``data_pid``'s units.

    Returns
    -------
    Agreement
        Per-atom ``α_I``, total ``α`` and the profile similarity, with a table ``repr``.

    Warns
    -----
    DiscretizationMismatchWarning
        Both results come from discretized tables, but from different Discretizers (their
        fingerprints differ): their cells mean different things, so the comparison is loose. Fit
        one Discretizer on the dataset and pass it to both calls.
    """
    for name, res in (("data_pid", data_pid), ("model_pid", model_pid)):
        if not isinstance(res, PIDResult):
            raise ParameterError(f"{name} must be a PIDResult (from pid.estimate / pid.model_pid); got "
                                 f"{type(res).__name__}.")
        bad = [a for a, v in res.atoms.items() if not math.isfinite(v)]
        if bad:
            raise InputError(f"{name} has non-finite atoms {bad}; agreement needs finite atoms. Recompute the "
                             "decomposition (a failed estimate, or a damaged file?).")
    model = model_pid.with_units(data_pid.units)
    notes: list[str] = []
    fp = [(r.diagnostics.discretization or {}).get("fingerprint") for r in (data_pid, model)]
    if all(fp) and fp[0] != fp[1]:
        warnings.warn(
            f"data_pid and model_pid were coded by different Discretizers (fingerprints {fp[0]} and {fp[1]}): their "
            "cells mean different things. Fit one Discretizer on the dataset (pid.estimate(..., discretizer=disc)) "
            "and pass the same disc to pid.model_pid.",
            DiscretizationMismatchWarning,
            stacklevel=2,
        )
        notes.append("dataset and model were coded by different Discretizers")
    if data_pid.estimator != model.estimator:
        notes.append(f"dataset estimated with {data_pid.estimator!r}, model with {model.estimator!r}")
    d_sh = _shares(data_pid, "dataset", notes)
    m_sh = _shares(model, "model", notes)
    atoms = {a: float(getattr(model, a)) for a in ATOMS}
    alpha = {a: d_sh[a] * atoms[a] for a in ATOMS}
    sim = 1.0 - 0.5 * sum(abs(d_sh[a] - m_sh[a]) for a in ATOMS)
    empty = [sum(sh.values()) == 0 for sh in (d_sh, m_sh)]
    if any(empty):  # an all-zero profile has no shares to compare: equal only to another empty one
        sim = 1.0 if all(empty) else 0.0
    return Agreement(alpha, float(sum(alpha.values())), float(sim), d_sh, m_sh, atoms, data_pid.units, tuple(notes))
