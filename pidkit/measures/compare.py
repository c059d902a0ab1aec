"""One table or dataset decomposed by several measures, side by side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..exceptions import ParameterError
from ..result import ATOMS, TextReport, fmt
from .result import LatticePIDResult

__all__ = ["MeasureComparison", "compare_measures"]


@dataclass(frozen=True)
class MeasureComparison(TextReport):
    """Decompositions of the same table by several measures (:func:`compare_measures`).

    Attributes
    ----------
    results : dict of str to PIDResult
        One result per measure, in the order asked for.
    """

    results: dict

    @property
    def lattice(self) -> bool:
        """Whether the results are lattices of three or more sources (:class:`LatticePIDResult`)."""
        return isinstance(next(iter(self.results.values())), LatticePIDResult)

    def _atoms(self, r: Any) -> dict[str, float]:
        return r.atoms

    def table(self):
        """A ``pandas.DataFrame``: for two sources one row per measure (the atoms and ``total``, ``I1``,
        ``I2``); for a lattice one row per atom and a column per measure."""
        import pandas as pd

        if self.lattice:
            first = next(iter(self.results.values()))
            df = pd.DataFrame({m: r.atoms for m, r in self.results.items()})
            df.insert(0, "order", [first.order_of(k) for k in df.index])
            df.index.name = "atom"
            return df
        rows = [{"measure": m, **r.atoms, "total": r.total, "I1": r.I1, "I2": r.I2, "units": r.units}
                for m, r in self.results.items()]
        return pd.DataFrame(rows).set_index("measure")

    to_pandas = table

    def spread(self) -> dict[str, float]:
        """How far the measures disagree: max − min of each atom across them."""
        names = list(self._atoms(next(iter(self.results.values()))))
        vals = [self._atoms(r) for r in self.results.values()]
        return {a: max(v[a] for v in vals) - min(v[a] for v in vals) for a in names}

    def plot(self, ax: Any = None, **kwargs: Any):
        """Grouped bars, one group per measure (:func:`pidkit.plot.plot_compare`); for a lattice, the atoms
        on which the measures differ by more than 1e-9, one bar per measure."""
        if self.lattice:
            from ..plot import plot_lattice_measures

            return plot_lattice_measures(self, ax=ax, **kwargs)
        from ..plot import plot_compare

        return plot_compare(self.results, ax=ax, **{"title": "PID by measure", **kwargs})

    def __str__(self) -> str:
        first = next(iter(self.results.values()))
        if self.lattice:
            names = list(first.atoms)
            width = max(len(n) for n in names) + 2
            lines = [f"PID of I(X1..X{first.n_sources};Y) = {first.total:.6f} {first.units} by {len(self.results)} "
                     "measures", f"{'atom':<{width}}" + "".join(f"{m:>10}" for m in self.results) + f"{'spread':>10}"]
            lines.append("-" * len(lines[-1]))
            spread = self.spread()
            for a in names:
                lines.append(f"{a:<{width}}" + "".join(fmt(r.atoms[a], "10.6f") for r in self.results.values())
                             + f"{spread[a]:10.6f}")
            return "\n".join(lines)
        lines = [f"PID of I(X1,X2;Y) = {first.total:.6f} {first.units} by {len(self.results)} measures",
                 f"{'measure':<8} " + " ".join(f"{a:>10}" for a in ATOMS)]
        lines.append("-" * len(lines[-1]))
        for m, r in self.results.items():
            lines.append(f"{m:<8} " + " ".join(fmt(getattr(r, a), "10.6f") for a in ATOMS))
        lines.append("-" * len(lines[1]))
        sp = self.spread()
        lines.append(f"{'spread':<8} " + " ".join(f"{sp[a]:10.6f}" for a in ATOMS))
        lines.append(f"I(X1;Y) = {first.I1:.6f}, I(X2;Y) = {first.I2:.6f}: the measures agree on these and on the "
                     "total, and differ in how they split it")
        return "\n".join(lines)


def compare_measures(*data: Any, measures: tuple[str, ...] = ("broja", "mmi", "imin", "ccs"), units: str = "bits",
                     discretizer: Any = None, random_state: Any = None, **options: Any) -> MeasureComparison:
    """Decompose one table, or one two-source dataset, by several PID measures.

    Parameters
    ----------
    *data
        A joint table ``p`` of shape (|X1|, |X2|, |Y|) (probabilities or counts), or samples
        ``x1, x2, y`` (coded once by the shared :class:`~pidkit.Discretizer`, so every measure sees
        the same table). A table of three or four sources is compared by lattice measures
        (``measures=("mmi", "imin", "ccs")``; BROJA has no such decomposition).
    measures : sequence of str
        Any of ``"broja"``, ``"mmi"``, ``"imin"``, ``"ccs"`` (default all four).
    units : {"bits", "nats"}
    discretizer, random_state
        For samples: as in :func:`pidkit.estimate`.
    **options
        Passed to :func:`pidkit.decompose` (a table) or :func:`pidkit.estimate` (samples), e.g. ``ci=0.95``.

    Returns
    -------
    MeasureComparison
        ``.results`` (measure → :class:`~pidkit.PIDResult`), ``.table()``, ``.spread()``, ``.plot()``.

    Examples
    --------
    >>> import numpy as np, pidkit as pid
    >>> p = np.zeros((2, 2, 2)); p[0, 0, 0] = p[0, 1, 0] = p[1, 0, 0] = p[1, 1, 1] = 0.25  # AND
    >>> cmp = pid.compare_measures(p)
    >>> {m: round(r.R, 3) for m, r in cmp.results.items()}
    {'broja': 0.311, 'mmi': 0.311, 'imin': 0.311, 'ccs': 0.104}
    """
    from ..api import estimate
    from ..discretize import Discretizer
    from ..estimators.exact import decompose
    from . import check_measure

    if isinstance(measures, str) or not measures:
        raise ParameterError(f"measures must be a non-empty sequence of measure names; got {measures!r}.")
    names = [check_measure(m) for m in measures]
    if len(set(names)) != len(names):
        raise ParameterError(f"measures lists a measure twice: {names}.")
    if len(data) == 1:
        if discretizer is not None or random_state is not None:
            raise ParameterError("discretizer and random_state apply to samples (x1, x2, y), not to a table.")
        return MeasureComparison({m: decompose(data[0], measure=m, units=units, **options) for m in names})
    if len(data) != 3:
        raise ParameterError(f"compare_measures takes a table p, or samples x1, x2, y; got {len(data)} arguments.")
    x1, x2, y = data
    if discretizer is None:
        discretizer = Discretizer(random_state=0 if random_state is None else random_state)
    if not discretizer.is_fitted():
        discretizer = discretizer.fit(x1, x2, y)  # once: every measure decomposes the same codes
    out = {}
    for m in names:
        out[m] = estimate(x1, x2, y, estimator="cvx", measure=m, units=units, discretizer=discretizer,
                          random_state=random_state, **options)
    return MeasureComparison(out)
