"""Result objects: the decomposition, its units and the evidence behind it."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

__all__ = ["PIDResult", "Diagnostics", "ATOMS"]

ATOMS = ("R", "U1", "U2", "S")
_ATOM_NAMES = {
    "R": "redundancy",
    "U1": "uniqueness of X1",
    "U2": "uniqueness of X2",
    "S": "synergy",
}


@dataclass(frozen=True)
class Diagnostics:
    """Evidence attached to a :class:`PIDResult`.

    Attributes
    ----------
    solver : str
        Backend that produced the numbers (e.g. ``"cvxpy/CLARABEL"``).
    status : str
        Solver status (``"optimal"`` when converged).
    iterations : int or None
        Iterations the solver reported.
    max_marginal_violation : float
        Largest absolute difference between the pairwise marginals ``q(x1,y)``, ``q(x2,y)`` of
        the returned optimum and those of the data, after the final feasibility projection.
    duality_gap : float or None
        Certified bound on the suboptimality of ``I_q(X1,X2;Y)`` (in the result's units): the
        difference between the primal objective of a feasible ``q`` and the value of a feasible
        dual point. Every atom is within this amount of its exact value.
    time_s : float
        Wall time of the solve in seconds (excluding discretization).
    discretization : dict or None
        Summary of what the shared Discretizer did (``None`` when a table was given).
    notes : tuple of str
        Anything the user should know (degenerate labels, pruned cells, reconciled rounding).
    atom_std : dict or None
        Sampling estimators (``"batch"``): standard deviation of each atom (and of ``I1``, ``I2``,
        ``total``) across the held-out minibatches it was read from, in the result's units.
        ``None`` for the exact estimator, whose error bound is ``duality_gap``.
    details : dict or None
        Estimator-specific evidence in plain Python types (for ``"batch"``: device, data
        splits, classifier validation losses and temperatures, training steps, Sinkhorn
        iterations; see :class:`~pidkit.estimators.batch.BatchEstimator`).
    """

    solver: str
    status: str
    iterations: int | None = None
    max_marginal_violation: float = 0.0
    duality_gap: float | None = None
    time_s: float = 0.0
    discretization: dict | None = None
    notes: tuple[str, ...] = ()
    atom_std: dict | None = None
    details: dict | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["notes"] = list(self.notes)
        return d


@dataclass(frozen=True)
class PIDResult:
    """A partial information decomposition of ``I(X1, X2; Y)``.

    Attributes
    ----------
    R, U1, U2, S : float
        Redundancy, uniqueness of X1, uniqueness of X2 and synergy, in ``units``.
    total : float
        ``I(X1, X2; Y) = R + U1 + U2 + S``.
    I1, I2 : float
        ``I(X1; Y) = R + U1`` and ``I(X2; Y) = R + U2``.
    units : str
        ``"bits"`` or ``"nats"``.
    estimator : str
        Registry name of the estimator (``"cvx"``).
    n_samples : int or None
        Number of samples behind the table (``None`` when a pmf was decomposed).
    shape : tuple of int
        Shape ``(|X1|, |X2|, |Y|)`` of the joint table.
    diagnostics : Diagnostics
        Solver, status, iterations, marginal violation, duality gap, time, discretization.
    """

    R: float
    U1: float
    U2: float
    S: float
    total: float
    I1: float
    I2: float
    units: str
    estimator: str
    n_samples: int | None
    shape: tuple[int, ...]
    diagnostics: Diagnostics = field(repr=False)

    # ------------------------------------------------------------------ views
    @property
    def atoms(self) -> dict[str, float]:
        """The four atoms as a dict ``{"R": ..., "U1": ..., "U2": ..., "S": ...}``."""
        return {a: getattr(self, a) for a in ATOMS}

    @property
    def co_information(self) -> float:
        """``I(X1; X2; Y) = R - S``."""
        return self.R - self.S

    def normalized(self) -> dict[str, float]:
        """Atoms as fractions of ``total`` (all zeros when ``total`` is zero)."""
        if self.total <= 0:
            return {a: 0.0 for a in ATOMS}
        return {a: v / self.total for a, v in self.atoms.items()}

    def consistency_error(self) -> float:
        """Largest violation of the PID identities (in ``units``); ~0 for an exact solve."""
        return max(
            abs(self.R + self.U1 - self.I1),
            abs(self.R + self.U2 - self.I2),
            abs(self.R + self.U1 + self.U2 + self.S - self.total),
        )

    # ------------------------------------------------------------ conversions
    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dict (JSON-serializable), diagnostics included."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "diagnostics"}
        d["shape"] = list(self.shape)
        d["diagnostics"] = self.diagnostics.to_dict()
        return d

    def to_json(self, **kwargs: Any) -> str:
        """Serialize to a JSON string; :meth:`from_json` restores an equal result."""
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PIDResult:
        d = dict(d)
        diag = dict(d.pop("diagnostics"))
        diag["notes"] = tuple(diag.get("notes", ()))
        d["shape"] = tuple(d["shape"])
        return cls(**d, diagnostics=Diagnostics(**diag))

    @classmethod
    def from_json(cls, s: str) -> PIDResult:
        return cls.from_dict(json.loads(s))

    def to_pandas(self):  # pragma: no cover - optional dependency
        """The atoms as a one-row ``pandas.DataFrame`` (requires pandas)."""
        import pandas as pd

        return pd.DataFrame([{**self.atoms, "total": self.total, "units": self.units}])

    def with_units(self, units: str) -> PIDResult:
        """The same result expressed in ``"bits"`` or ``"nats"``."""
        from ._validation import check_units

        factor = check_units(self.units) / check_units(units)
        if factor == 1.0:
            return self
        scaled = {k: getattr(self, k) * factor for k in (*ATOMS, "total", "I1", "I2")}
        gap = self.diagnostics.duality_gap
        std = self.diagnostics.atom_std
        diag = replace(
            self.diagnostics,
            duality_gap=None if gap is None else gap * factor,
            atom_std=None if std is None else {k: v * factor for k, v in std.items()},
        )
        return replace(self, **scaled, units=units, diagnostics=diag)

    def describe(self) -> str:
        """One sentence that interprets the decomposition in plain words."""
        if self.total <= 1e-12:
            return "Neither modality, alone or together, carries information about the label."
        share = self.normalized()
        words = {
            "R": "redundant (both modalities carry it)",
            "U1": "unique to X1",
            "U2": "unique to X2",
            "S": "synergistic (visible only when both modalities are seen together)",
        }
        ranked = sorted(ATOMS, key=lambda a: -share[a])
        top = ranked[0]
        parts = [f"{share[top]:.0%} is {words[top]}"]
        for a in ranked[1:]:
            if share[a] >= 0.15:
                parts.append(f"{share[a]:.0%} is {words[a]}")
        return (
            f"Of the {self.total:.3g} {self.units} the modalities carry about the label, "
            + ", ".join(parts[:-1])
            + (" and " if len(parts) > 1 else "")
            + parts[-1]
            + "."
        )

    # ---------------------------------------------------------------- display
    def __str__(self) -> str:
        d = self.diagnostics
        rows = [(a, _ATOM_NAMES[a], getattr(self, a)) for a in ATOMS]
        total = self.total
        width = 44
        std = d.atom_std or {}
        if self.estimator == "batch":
            what = f"features {self.shape[0]} + {self.shape[1]}, {self.shape[2]} classes"
        else:
            what = f"table {'x'.join(map(str, self.shape))}"
        lines = [
            f"PID of I(X1,X2;Y) — estimator {self.estimator!r}, {what}"
            + (f", {self.n_samples} samples" if self.n_samples is not None else ""),
            "-" * width,
            f"{'atom':<4} {'meaning':<18} {self.units:>10} {'share':>8}" + ("  ± std (batches)" if std else ""),
        ]

        def spread(key: str) -> str:
            if key not in std:
                return ""
            return "  ± n/a" if math.isnan(std[key]) else f"  ± {std[key]:.4f}"

        for a, name, v in rows:
            share = f"{v / total:8.1%}" if total > 0 else f"{'—':>8}"
            lines.append(f"{a:<4} {name:<18} {v:10.6f} {share}{spread(a)}")
        lines.append("-" * width)
        lines.append(f"{'I(X1,X2;Y)':<23} {total:10.6f}{' ' * 9 if std else ''}{spread('total')}")
        lines.append(f"{'I(X1;Y)':<23} {self.I1:10.6f}{' ' * 9 if std else ''}{spread('I1')}")
        lines.append(f"{'I(X2;Y)':<23} {self.I2:10.6f}{' ' * 9 if std else ''}{spread('I2')}")
        gap = "n/a" if d.duality_gap is None else f"{d.duality_gap:.1e} {self.units}"
        lines.append(
            f"solver {d.solver} ({d.status}), {d.iterations if d.iterations is not None else '?'} it, "
            f"gap {gap}, marginal err {d.max_marginal_violation:.1e}, {d.time_s:.3g} s"
        )
        for note in d.notes:
            lines.append(f"note: {note}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.__str__()

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython
        printer.text(str(self))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PIDResult):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def isclose(self, other: PIDResult, *, atol: float = 1e-9) -> bool:
        """True when all atoms agree within ``atol`` (after converting ``other`` to our units)."""
        o = other.with_units(self.units)
        return all(math.isclose(getattr(self, a), getattr(o, a), abs_tol=atol) for a in ATOMS)
