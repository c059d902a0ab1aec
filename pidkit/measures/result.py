"""The result of a lattice decomposition of three or more sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..exceptions import ParameterError
from ..result import Diagnostics, TextReport, fmt

__all__ = ["LatticePIDResult", "atom_meaning"]


def _sources(name: str) -> list[str]:
    """``"{1}{23}"`` → ``["1", "23"]``."""
    return [part for part in name.replace("}", "").split("{") if part]


def atom_meaning(name: str) -> str:
    """A short reading of a lattice atom: ``"{1}{23}"`` → ``"in X1 and in (X2,X3)"``."""
    parts = _sources(name)
    words = [f"X{p}" if len(p) == 1 else "(" + ",".join(f"X{c}" for c in p) + ")" for p in parts]
    listed = ", in ".join(words[:-1]) + " and in " + words[-1] if len(words) > 1 else words[0]
    if len(parts) == 1:
        return f"unique: only in {words[0]}" if len(parts[0]) == 1 else f"synergy: only in {words[0]} together"
    if all(len(p) == 1 for p in parts):
        return "redundant: in " + listed
    return "in " + listed


@dataclass(frozen=True, eq=False)
class LatticePIDResult(TextReport):
    """A partial information decomposition of ``I(X1, …, Xn; Y)`` on the redundancy lattice (n >= 3).

    Atoms are keyed by antichains in 1-based source notation: ``"{1}{2}{3}"`` (in every source),
    ``"{1}{2}"``, ``"{12}{13}"``, ``"{1}{23}"``, ``"{123}"`` (only in all sources together);
    collections in braces, sources increasing inside one, collections by size then lexicographically.

    Attributes
    ----------
    atoms : dict of str to float
        The partial information atoms (18 for 3 sources, 166 for 4), in a topological order of
        the lattice (bottom first); they sum to ``total``. Atoms of ``"ccs"`` may be negative.
    redundancy : dict of str to float
        The measure's redundancy ``I∩`` of every node; ``redundancy["{1}"] = I(X1; Y)``,
        ``redundancy["{12…n}"] = total``.
    total : float
        ``I(X1, …, Xn; Y)``.
    measure : str
        ``"mmi"``, ``"imin"`` or ``"ccs"``.
    units : str
    n_sources : int
    shape : tuple of int
        ``(|X1|, …, |Xn|, |Y|)``.
    n_samples : int or None
    diagnostics : Diagnostics
    intervals : dict of str to (float, float), or None
        Percentile bootstrap intervals of every atom and of ``"total"`` (samples with ``ci=``):
        resampled count tables decomposed on the same codes.
    ci_level : float or None
        Their level.
    """

    atoms: dict[str, float]
    redundancy: dict[str, float]
    total: float
    measure: str
    units: str
    n_sources: int
    shape: tuple[int, ...]
    n_samples: int | None = None
    diagnostics: Diagnostics = field(default_factory=lambda: Diagnostics(solver="closed-form", status="optimal"),
                                     repr=False)
    intervals: dict | None = field(default=None, repr=False)
    ci_level: float | None = None

    def ci(self, name: str) -> tuple[float, float]:
        """The interval of an atom (``"{1}{23}"``) or of ``"total"``."""
        if self.intervals is None:
            raise ParameterError("this result has no intervals; ask for them with "
                                 "pid.estimate([x1, x2, x3], y, measure=..., ci=0.95).")
        if name not in self.intervals:
            raise ParameterError(f"{name!r} is not an atom of this {self.n_sources}-source lattice (nor 'total').")
        return self.intervals[name]

    @property
    def informations(self) -> dict[str, float]:
        """``I(Xi; Y)`` of every source, keyed ``"X1"``, ``"X2"``, …"""
        return {f"X{i}": self.redundancy[f"{{{i}}}"] for i in range(1, self.n_sources + 1)}

    @staticmethod
    def order_of(name: str) -> int:
        """Order (degree) of an atom: the size of its smallest collection (how many sources must be
        seen together, at least, to get that information)."""
        return min(len(p) for p in _sources(name))

    def by_order(self) -> dict[int, float]:
        """Sum of the atoms of each order: 1 (available from single sources), 2, …, n."""
        out = dict.fromkeys(range(1, self.n_sources + 1), 0.0)
        for name, v in self.atoms.items():
            out[self.order_of(name)] += v
        return out

    def consistency_error(self) -> float:
        """Largest violation of the lattice identities: the atoms below each node sum to its redundancy
        (checked on the single sources and the top: ``Σ atoms = total``)."""
        from .lattice import lattice

        lat = lattice(self.n_sources)
        vals = [self.atoms[n] for n in lat.names]
        below = lat.below @ np.asarray(vals)
        red = np.asarray([self.redundancy[n] for n in lat.names])
        return float(np.abs(below - red).max())

    def table(self):
        """The atoms as a ``pandas.DataFrame``: ``atom``, ``order``, ``meaning``, ``value``, ``redundancy``
        (the node's I∩), ``share`` (of ``total``) and, with intervals, ``low`` / ``high``; in the
        lattice's order (bottom first)."""
        import pandas as pd

        rows = [{"atom": name, "order": self.order_of(name), "meaning": atom_meaning(name), "value": v,
                 "redundancy": self.redundancy[name], "share": v / self.total if self.total > 0 else 0.0}
                for name, v in self.atoms.items()]
        if self.intervals is not None:
            for row in rows:
                row["low"], row["high"] = self.intervals[row["atom"]]
        df = pd.DataFrame(rows)
        df.attrs.update(measure=self.measure, units=self.units, total=self.total, n_sources=self.n_sources)
        return df

    def to_pandas(self):
        """Same as :meth:`table`, plus ``measure`` and ``units`` columns."""
        df = self.table()
        df["measure"] = self.measure
        df["units"] = self.units
        return df

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dict (JSON-ready); :meth:`from_dict` restores an equal result."""
        from dataclasses import asdict

        d = {k: getattr(self, k) for k in ("atoms", "redundancy", "total", "measure", "units", "n_sources",
                                           "n_samples", "ci_level")}
        d["shape"] = list(self.shape)
        d["diagnostics"] = asdict(self.diagnostics)
        d["diagnostics"]["notes"] = list(self.diagnostics.notes)
        d["intervals"] = None if self.intervals is None else {k: list(v) for k, v in self.intervals.items()}
        return d

    def to_json(self, **kwargs: Any) -> str:
        import json

        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, d: Any) -> LatticePIDResult:
        """The result :meth:`to_dict` described; the lattice and its identities are checked."""
        from ..exceptions import ResultFormatError
        from .lattice import LATTICE_SIZES, lattice

        fix = "Write it with LatticePIDResult.to_dict() / to_json()."
        try:
            d = dict(d)
            n = int(d["n_sources"])
            if n not in LATTICE_SIZES or n < 2:
                raise ValueError(f"n_sources {n} is not 2..5")
            lat = lattice(n)
            atoms = {k: float(d["atoms"][k]) for k in lat.names}
            red = {k: float(d["redundancy"][k]) for k in lat.names}
            if len(d["atoms"]) != lat.size or len(d["redundancy"]) != lat.size:
                raise ValueError("atoms or redundancy hold names that are not nodes of the lattice")
            diag = Diagnostics(**{**d["diagnostics"], "notes": tuple(d["diagnostics"].get("notes", ()))})
            intervals = d.get("intervals")
            res = cls(atoms=atoms, redundancy=red, total=float(d["total"]), measure=str(d["measure"]),
                      units=str(d["units"]), n_sources=n, shape=tuple(int(k) for k in d["shape"]),
                      n_samples=d.get("n_samples"), diagnostics=diag,
                      intervals=None if intervals is None else {k: (float(a), float(b)) for k, (a, b) in
                                                                intervals.items()},
                      ci_level=d.get("ci_level"))
        except (KeyError, TypeError, ValueError) as err:
            raise ResultFormatError(f"not a serialized LatticePIDResult ({err}). {fix}") from None
        if res.consistency_error() > 1e-9 * max(1.0, abs(res.total)):
            raise ResultFormatError(f"the serialized atoms do not add up to the redundancies of their nodes; the file "
                                    f"was changed or damaged. {fix}")
        return res

    @classmethod
    def from_json(cls, s: str) -> LatticePIDResult:
        import json

        from ..exceptions import ResultFormatError

        try:
            return cls.from_dict(json.loads(s))
        except (TypeError, ValueError) as err:
            if isinstance(err, ResultFormatError):
                raise
            raise ResultFormatError(f"not a LatticePIDResult JSON string ({err}).") from None

    def with_units(self, units: str) -> LatticePIDResult:
        """The same result in ``"bits"`` or ``"nats"``."""
        from dataclasses import replace

        from .._validation import check_units

        f = check_units(self.units) / check_units(units)
        return replace(self, atoms={k: v * f for k, v in self.atoms.items()},
                       redundancy={k: v * f for k, v in self.redundancy.items()}, total=self.total * f, units=units,
                       intervals=None if self.intervals is None else {k: (a * f, b * f) for k, (a, b) in
                                                                      self.intervals.items()})

    def isclose(self, other: LatticePIDResult, *, atol: float = 1e-9) -> bool:
        """Same lattice and every atom within ``atol`` (after converting units)."""
        o = other.with_units(self.units)
        return o.atoms.keys() == self.atoms.keys() and all(
            abs(self.atoms[k] - o.atoms[k]) <= atol for k in self.atoms)

    def plot(self, ax: Any = None, *, kind: str = "atoms", **kwargs: Any):
        """Bar chart of the atoms grouped by order (``kind="atoms"``), of the sums by order
        (``"order"``), or the lattice's Hasse diagram with each node's atom (``"lattice"``, 3 sources)."""
        from .. import plot as _plot

        return _plot.plot_lattice(self, ax=ax, kind=kind, **kwargs)

    def __str__(self) -> str:
        width = max(len(n) for n in self.atoms) + 2
        d = self.diagnostics
        lines = [
            f"PID of I({','.join(f'X{i}' for i in range(1, self.n_sources + 1))};Y) — measure {self.measure!r}, "
            f"{len(self.atoms)} atoms, table {'x'.join(map(str, self.shape))}"
            + (f", {self.n_samples} samples" if self.n_samples is not None else ""),
            f"{'atom':<{width}} {'order':>5} {self.units:>10} {'share':>7}"
            + (f"  {f'{self.ci_level:.0%} CI':>21}" if self.intervals else "") + "  meaning",
        ]
        lines.append("-" * len(lines[-1]) + "-" * 30)
        for name, v in self.atoms.items():
            frac = v / self.total if self.total > 0 else 0.0
            share = f"{(frac if abs(frac) >= 5e-4 else 0.0):7.1%}" if self.total > 0 else f"{'—':>7}"
            ci = ""
            if self.intervals:
                lo, hi = self.intervals[name]
                ci = f"  [{fmt(lo, '9.5f')}, {fmt(hi, '9.5f')}]"
            lines.append(f"{name:<{width}} {self.order_of(name):>5} {fmt(v, '10.6f')} {share}{ci}  "
                         f"{atom_meaning(name)}")
        lines.append("-" * len(lines[1]) + "-" * 30)
        orders = ", ".join(f"order {k}: {fmt(v, '.4f').strip()}" for k, v in self.by_order().items())
        lines.append(f"{'total':<{width}} {'':>5} {self.total:10.6f}   ({orders})")
        lines.append("I(Xi;Y): " + ", ".join(f"{k} {v:.4f}" for k, v in self.informations.items()))
        viol = "" if not d.max_marginal_violation else f", marginal err {d.max_marginal_violation:.1e}"
        its = "" if d.iterations is None else f", {d.iterations} it"
        lines.append(f"solver {d.solver} ({d.status}){its}{viol}, {d.time_s:.3g} s")
        for note in d.notes:
            lines.append(f"note: {note}")
        return "\n".join(lines)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LatticePIDResult):
            return NotImplemented
        a, b = self.to_dict(), other.to_dict()
        a["diagnostics"].pop("time_s"), b["diagnostics"].pop("time_s")
        return a == b

    __hash__ = None  # type: ignore[assignment]
