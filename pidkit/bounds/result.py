"""Result objects of the semi-supervised bounds: values, units and the evidence behind them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from ..exceptions import NotFittedError
from ..result import TextReport
from .accuracy import AccuracyBounds

__all__ = ["BoundsDiagnostics", "SynergyBounds", "SynergyBoundsStack"]


@dataclass(frozen=True)
class BoundsDiagnostics:
    """Evidence attached to a :class:`SynergyBounds` (entropies and informations in its units).

    Attributes
    ----------
    inconsistency : dict
        Total-variation distances between duplicated marginals of the *input* tables:
        ``tv_x1`` (p(x1) of p_x1y vs p_x1x2), ``tv_x2`` (p(x2) of p_x2y vs p_x1x2), ``tv_y``
        (p(y) of p_x1y vs p_x2y).
    max_inconsistency : float
        The refusal threshold that was in force.
    reconciled : bool
        Whether the tables were projected onto compatible ones before computing the bounds.
    reconciliation : dict or None
        Method, EM iterations, convergence and ``tv_change`` (how far each table moved).
    ipf_iterations, ipf_marginal_error, ipf_converged, ipf_tol :
        Iterative proportional fitting of the maximum-entropy joint (L1 marginal error).
    ipf_entropy_gap : float
        Slack of the certified maximum-entropy bound at the last iterate (S_R is at most this
        much below its exact value).
    min_cmi : float
        Certified lower bound on :math:`\\min_r I_r(X_1; X_2 \\mid Y)` used in S_R.
    mutual_info_x1x2 : float
        :math:`I(X_1; X_2)` of the paired table.
    h_min : float
        Lower bound on the entropy :math:`H(X_1, X_2, Y)` used in S_upper (largest meet entropy).
    h_min_pairing : str
        Which pairing of known marginals gave it.
    meet_entropies : dict
        Meet entropy of each pairing: ``"(x1,x2)|y"``, ``"(x1,y)|x2"``, ``"(x2,y)|x1"``.
    disagreement_source : str
        ``"empirical conditionals"`` or a description of the classifiers used.
    disagreement_tv : float
        Mean total variation :math:`E_{p(x_1,x_2)} TV(p(y|x_1), p(y|x_2))` (unitless).
    S_U_pinsker : float
        The weaker disagreement bound from Pinsker's inequality (kept for comparison).
    pid_solver, pid_duality_gap :
        Solver of R, U1, U2 and its certified gap (every atom is within it).
    shape : tuple
        ``(|X1|, |X2|, |Y|)``.
    n_samples : dict or None
        Samples in D1, D2, DM when estimated from samples.
    discretization : dict or None
        What the discretizers did (samples only).
    time_s : float
    notes : tuple of str
    """

    inconsistency: dict
    max_inconsistency: float
    reconciled: bool
    reconciliation: dict | None
    ipf_iterations: int
    ipf_marginal_error: float
    ipf_converged: bool
    ipf_tol: float
    ipf_entropy_gap: float
    min_cmi: float
    mutual_info_x1x2: float
    h_min: float
    h_min_pairing: str
    meet_entropies: dict
    disagreement_source: str
    disagreement_tv: float
    S_U_pinsker: float
    pid_solver: str
    pid_duality_gap: float | None
    shape: tuple
    n_samples: dict | None = None
    discretization: dict | None = None
    time_s: float = 0.0
    notes: tuple = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["shape"] = list(self.shape)
        d["notes"] = list(self.notes)
        return d


_ROWS = (
    ("R", "redundancy (exact)"),
    ("U1", "uniqueness of X1 (exact)"),
    ("U2", "uniqueness of X2 (exact)"),
    ("S_R", "synergy lower bound, redundancy"),
    ("S_U", "synergy lower bound, disagreement"),
    ("S_lower", "synergy lower bound = max(0,S_R,S_U)"),
    ("S_upper", "synergy upper bound (meet entropy)"),
    ("disagreement", "E d_Bhattacharyya(p(y|x1),p(y|x2))"),
)


@dataclass(frozen=True, repr=False)
class SynergyBounds(TextReport):
    """Bounds on synergy from p(x1,y), p(x2,y) and p(x1,x2), with the exact R, U1, U2.

    Attributes
    ----------
    R, U1, U2 : float
        Exact BROJA redundancy and uniquenesses (they only need p(x1,y) and p(x2,y)).
    S_R : float
        Lower bound via redundancy and modality dependence (may be negative).
    S_U : float
        Lower bound via modality disagreement (may be negative).
    S_lower : float
        ``max(0, S_R, S_U)``.
    S_upper : float
        Upper bound via the entropy of the majorization meet.
    disagreement : float
        :math:`E_{p(x_1,x_2)} D_B(p(y|x_1), p(y|x_2))`, Bhattacharyya distance, in ``units``.
    info_lower, info_upper : float
        Bounds on :math:`I(X_1,X_2;Y)`: ``R + U1 + U2 + S_lower`` and ``... + S_upper``.
    accuracy : AccuracyBounds
        Bounds on the Bayes-optimal multimodal accuracy (unpacks as ``lower, upper``).
    units : str
    diagnostics : BoundsDiagnostics
    discretizers : dict or None
        Fitted Discretizers used by :func:`estimate_synergy_bounds` (not serialized).
    """

    R: float
    U1: float
    U2: float
    S_R: float
    S_U: float
    S_lower: float
    S_upper: float
    disagreement: float
    info_lower: float
    info_upper: float
    accuracy: AccuracyBounds
    units: str
    diagnostics: BoundsDiagnostics = field(repr=False)
    discretizers: dict | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dict (JSON-serializable), diagnostics included, discretizers excluded."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("diagnostics", "discretizers",
                                                                                   "accuracy")}
        d["accuracy"] = self.accuracy.to_dict()
        d["diagnostics"] = self.diagnostics.to_dict()
        return d

    def to_pandas(self):
        """The bounds as a one-row ``pandas.DataFrame`` (requires pandas): R, U1, U2, the synergy bounds,
        the disagreement, the information bounds, ``accuracy_lower`` / ``accuracy_upper`` /
        ``accuracy_chance`` and ``units``."""
        import pandas as pd

        row = {f.name: getattr(self, f.name) for f in fields(self)
               if f.name not in ("diagnostics", "discretizers", "accuracy")}
        row.update(accuracy_lower=self.accuracy.lower, accuracy_upper=self.accuracy.upper,
                   accuracy_chance=self.accuracy.chance)
        return pd.DataFrame([row])

    def plot(self, ax: Any = None, **kwargs: Any):
        """Draw R, U1, U2, the interval of S and of the Bayes accuracy (:func:`pidkit.plot.plot_bounds`)."""
        from ..plot import plot_bounds

        return plot_bounds(self, ax, **kwargs)

    def transform(self, x1: Any = None, x2: Any = None, y: Any = None) -> tuple:
        """Code samples with the discretizers of :func:`estimate_synergy_bounds` (None passes through).

        Returns ``(c1, c2, cy)`` integer codes that index the tables behind these bounds, e.g. to
        build the labeled joint table ``pidkit.discretize.joint_counts(c1, c2, cy, diagnostics.shape)``.
        """
        if self.discretizers is None:
            raise NotFittedError(
                "These bounds were computed from tables, so there are no discretizers to code samples with; "
                "use pidkit.bounds.estimate_synergy_bounds on samples."
            )
        out = []
        for slot, data, i in (("x1", x1, 0), ("x2", x2, 1), ("y", y, 2)):
            out.append(None if data is None else self.discretizers[slot].transform(**{slot: data})[i])
        return tuple(out)

    def contains(self, S: float, *, atol: float = 1e-7) -> bool:
        """Whether ``S_lower - atol <= S <= S_upper + atol`` (``S`` in the same units)."""
        return self.S_lower - atol <= S <= self.S_upper + atol

    def __str__(self) -> str:
        d = self.diagnostics
        width = 62
        shape = "x".join(map(str, d.shape))
        lines = [f"Semi-supervised synergy bounds — tables {shape}, units {self.units}", "-" * width]
        for key, label in _ROWS:
            lines.append(f"{key:<13}{label:<39}{getattr(self, key):10.4f}")
        lines.append("-" * width)
        lines.append(f"S in [{self.S_lower:.4f}, {self.S_upper:.4f}] {self.units}; "
                     f"I(X1,X2;Y) in [{self.info_lower:.4f}, {self.info_upper:.4f}]")
        lines.append(f"Bayes accuracy in [{self.accuracy.lower:.4f}, {self.accuracy.upper:.4f}] "
                     f"(chance {self.accuracy.chance:.4f})")
        inc = d.inconsistency
        rec = "no"
        if d.reconciled and d.reconciliation is not None:
            ch = d.reconciliation["tv_change"]
            rec = f"yes, EM {d.reconciliation['iterations']} it, max table change {max(ch.values()):.2e}"
        lines.append(
            f"inconsistency TV x1 {inc['tv_x1']:.2e}, x2 {inc['tv_x2']:.2e}, y {inc['tv_y']:.2e} "
            f"(limit {d.max_inconsistency:g}); reconciled: {rec}"
        )
        lines.append(
            f"IPF {d.ipf_iterations} it, marginal err {d.ipf_marginal_error:.1e}, "
            f"{'converged' if d.ipf_converged else 'NOT converged'}; H_min from {d.h_min_pairing}; "
            f"PID gap {d.pid_duality_gap if d.pid_duality_gap is None else f'{d.pid_duality_gap:.1e}'}"
        )
        for note in d.notes:
            lines.append(f"note: {note}")
        return "\n".join(lines)



_STACK_ARRAYS = ("R", "U1", "U2", "S_R", "S_U", "S_lower", "S_upper", "disagreement", "info_lower", "info_upper",
                 "accuracy_lower", "accuracy_upper", "ipf_iterations", "ipf_marginal_error", "ipf_converged")


@dataclass(frozen=True)
class SynergyBoundsStack:
    """Bounds of B table triples as arrays of shape (B,); see :class:`SynergyBounds` for meanings."""

    R: np.ndarray
    U1: np.ndarray
    U2: np.ndarray
    S_R: np.ndarray
    S_U: np.ndarray
    S_lower: np.ndarray
    S_upper: np.ndarray
    disagreement: np.ndarray
    info_lower: np.ndarray
    info_upper: np.ndarray
    accuracy_lower: np.ndarray
    accuracy_upper: np.ndarray
    ipf_iterations: np.ndarray
    ipf_marginal_error: np.ndarray
    ipf_converged: np.ndarray
    units: str
    time_s: float

    def __len__(self) -> int:
        return int(self.R.shape[0])

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k).tolist() for k in _STACK_ARRAYS}
        d.update(units=self.units, time_s=self.time_s)
        return d

    def to_pandas(self):
        """One row per triple, one column per array (requires pandas); ``units`` in the frame's ``attrs``."""
        import pandas as pd

        frame = pd.DataFrame({k: getattr(self, k) for k in _STACK_ARRAYS})
        frame.attrs["units"] = self.units
        return frame

    def __repr__(self) -> str:
        return (
            f"SynergyBoundsStack({len(self)} triples, units={self.units!r}, mean S_lower "
            f"{float(self.S_lower.mean()):.4f}, mean S_upper {float(self.S_upper.mean()):.4f}, "
            f"IPF converged {int(self.ipf_converged.sum())}/{len(self)}, {self.time_s:.3g} s)"
        )
