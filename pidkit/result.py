"""Result objects: the decomposition, its units and the evidence behind it."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np

from ._validation import check_keys, check_units
from .exceptions import ParameterError, ResultFormatError

__all__ = ["PIDResult", "Diagnostics", "Uncertainty", "InformationCheck", "ATOMS", "QUANTITIES"]

ATOMS = ("R", "U1", "U2", "S")
#: Every number a result reports: the atoms and the three mutual informations.
QUANTITIES = (*ATOMS, "total", "I1", "I2")
_ATOM_NAMES = {
    "R": "redundancy",
    "U1": "uniqueness of X1",
    "U2": "uniqueness of X2",
    "S": "synergy",
}


#: How :meth:`PIDResult.to_json` spells non-finite floats (strict JSON has no NaN or Infinity).
_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
#: Run-dependent fields that :meth:`PIDResult.__eq__` ignores (wall times, at any depth).
_TIMING_KEYS = frozenset({"time_s"})


def _encode_nonfinite(obj: Any) -> Any:
    """``obj`` with every NaN / ±inf float replaced by ``"NaN"`` / ``"Infinity"`` / ``"-Infinity"``."""
    if isinstance(obj, (float, np.floating)) and not math.isfinite(obj):
        return "NaN" if math.isnan(obj) else ("Infinity" if obj > 0 else "-Infinity")
    if isinstance(obj, Mapping):
        return {k: _encode_nonfinite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_encode_nonfinite(v) for v in obj]
    return obj


def _decode_nonfinite(obj: Any) -> Any:
    """Inverse of :func:`_encode_nonfinite` (notes, which are free text, are left alone)."""
    if isinstance(obj, str):
        return _NONFINITE.get(obj, obj)
    if isinstance(obj, Mapping):
        return {k: v if k == "notes" else _decode_nonfinite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_decode_nonfinite(v) for v in obj)
    return obj


def _without_timing(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {k: _without_timing(v) for k, v in obj.items() if k not in _TIMING_KEYS}
    if isinstance(obj, (list, tuple)):
        return [_without_timing(v) for v in obj]
    return obj


def fmt(value: float, spec: str) -> str:
    """``format(value, spec)`` without a minus sign on a printed zero ("-0.0000" reads as a negative atom)."""
    text = format(value, spec)
    stripped = text.replace("-", " ", 1) if text.strip().startswith("-") else text
    return stripped if float(stripped) == 0.0 else text


def _format_error(message: str) -> Exception:
    return ResultFormatError(message)


_FIX = "Pass the unmodified output of PIDResult.to_dict() / to_json()."


def _check_fields(what: str, d: Mapping, names: list[str], required: list[str]) -> None:
    check_keys(what, d, names, noun="field", required=required, hint=_FIX, error=ResultFormatError)


def _real(name: str, value: Any, *, optional: bool = False) -> float | None:
    """A real number (null reads as NaN unless ``optional``, where it stays None)."""
    if value is None:
        return None if optional else math.nan
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        return float(value)
    raise _format_error(
        f"field {name!r} must be a real number{' or null' if optional else ''}; got {value!r} "
        f"({type(value).__name__}). {_FIX}"
    )


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
class Uncertainty:
    """How much to trust every number of a :class:`PIDResult` (see :mod:`pidkit.uncertainty`).

    Attributes
    ----------
    level : float or None
        Confidence level of ``intervals`` (e.g. 0.95); None when only tests were run.
    method : str
        How the intervals were made: ``"bca"`` or ``"percentile"`` (nonparametric bootstrap of
        the samples), ``"bayes"`` (Dirichlet posterior over the table, equal-tailed credible
        intervals), ``"readout"`` (BATCH: t-intervals from the held-out read-out batches) or
        ``"retrain"`` (BATCH refitted on bootstrap resamples, percentile intervals).
    n_boot : int
        Replicates (bootstrap resamples, posterior draws or refits) behind the intervals.
    intervals : dict
        ``{quantity: (low, high)}`` for R, U1, U2, S, total, I1, I2 in the result's units.
    std : dict
        Standard error of each quantity (spread of the replicates).
    bias : dict
        Bootstrap estimate of each quantity's bias, mean(replicates) − estimate (empty if none).
    corrected : dict
        Bias-corrected values next to the raw ones, never replacing them: ``{"bootstrap": {...},
        "extrapolation": {...}, "miller_madow": {...}}`` — bootstrap (2·estimate − mean of the
        replicates), quadratic extrapolation of subsample estimates to infinite samples (Strong
        et al. 1998), and Miller–Madow (the mutual informations only).
    p_values : dict
        ``{test: p}`` of the significance tests that were run; ``tests`` states their nulls.
    tests : dict
        ``{test: null hypothesis, in words}``.
    notes : tuple of str
        What the intervals cover and any caveats (e.g. atoms at the boundary 0).
    """

    level: float | None
    method: str
    n_boot: int
    intervals: dict = field(default_factory=dict)
    std: dict = field(default_factory=dict)
    bias: dict = field(default_factory=dict)
    corrected: dict = field(default_factory=dict)
    p_values: dict = field(default_factory=dict)
    tests: dict = field(default_factory=dict)
    notes: tuple = ()

    def scaled(self, factor: float) -> Uncertainty:
        """The same in other units (informations multiplied by ``factor``; p-values unchanged)."""
        return replace(
            self,
            intervals={k: (lo * factor, hi * factor) for k, (lo, hi) in self.intervals.items()},
            std={k: v * factor for k, v in self.std.items()},
            bias={k: v * factor for k, v in self.bias.items()},
            corrected={m: {k: v * factor for k, v in d.items()} for m, d in self.corrected.items()},
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["intervals"] = {k: [float(lo), float(hi)] for k, (lo, hi) in self.intervals.items()}
        d["notes"] = list(self.notes)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Uncertainty:
        if not isinstance(d, Mapping):
            raise TypeError(f"expected an object, got {type(d).__name__}")
        _check_types("uncertainty.", d, _UNCERTAINTY_TYPES)
        d = dict(d)
        d["intervals"] = {k: (float(v[0]), float(v[1])) for k, v in d.get("intervals", {}).items()}
        d["notes"] = tuple(d.get("notes", ()))
        return cls(**d)


def _is_real(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _real_map(v: Any) -> bool:
    return isinstance(v, Mapping) and all(isinstance(k, str) and (x is None or _is_real(x)) for k, x in v.items())


def _pair_map(v: Any) -> bool:
    return isinstance(v, Mapping) and all(
        isinstance(k, str) and isinstance(x, (list, tuple)) and len(x) == 2 and all(_is_real(e) for e in x)
        for k, x in v.items())


#: What each serialized field may hold: (test, description). Fields not listed are checked elsewhere.
_SCHEMA: dict[str, tuple[Any, str]] = {
    "str": (lambda v: isinstance(v, str), "a string"),
    "int?": (lambda v: v is None or _is_int(v), "an integer or null"),
    "count": (lambda v: _is_int(v) and v >= 0, "an integer >= 0"),
    "real": (_is_real, "a number"),
    "real?": (lambda v: v is None or _is_real(v), "a number or null"),
    "bool": (lambda v: isinstance(v, (bool, np.bool_)), "true or false"),
    "dict": (lambda v: isinstance(v, Mapping), "an object"),
    "dict?": (lambda v: v is None or isinstance(v, Mapping), "an object or null"),
    "texts": (lambda v: isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v), "a list of strings"),
    "reals": (_real_map, "an object of numbers"),
    "reals2": (lambda v: isinstance(v, Mapping) and all(_real_map(x) for x in v.values()),
               "an object of objects of numbers"),
    "pairs": (_pair_map, "an object of [low, high] pairs"),
}


def _check_types(what: str, d: Mapping, kinds: dict[str, str]) -> None:
    """Refuse a field of the wrong type (a tampered file) before it is used."""
    for name, kind in kinds.items():
        if name in d:
            test, expected = _SCHEMA[kind]
            if not test(d[name]):
                raise _format_error(f"field '{what}{name}' must be {expected}; got {d[name]!r}"[:300] + f". {_FIX}")


_DIAGNOSTICS_TYPES = {"solver": "str", "status": "str", "iterations": "int?", "discretization": "dict?",
                      "notes": "texts"}
_UNCERTAINTY_TYPES = {"level": "real?", "method": "str", "n_boot": "count", "intervals": "pairs", "std": "reals",
                      "bias": "reals", "corrected": "reals2", "p_values": "reals", "tests": "dict", "notes": "texts"}
_CHECK_TYPES = {"estimate": "reals", "classifier": "reals", "kept": "reals", "ranges": "pairs", "reference": "reals",
                "reference_ranges": "pairs", "outside": "texts", "lossless": "bool", "threshold": "real",
                "overshoot": "real?", "margin": "real", "method": "str", "models": "dict", "time_s": "real",
                "notes": "texts"}


INFORMATIONS = ("I1", "I2", "total")
INFORMATION_LABELS = {"I1": "I(X1;Y)", "I2": "I(X2;Y)", "total": "I(X1,X2;Y)"}


@dataclass(frozen=True)
class InformationCheck:
    """How far a decomposition can be trusted from its informations alone (see :mod:`pidkit.trust`).

    Attributes
    ----------
    estimate : dict
        ``{"I1", "I2", "total"}``: the informations the decomposition is made of — for a table
        estimate the codes' plug-in informations corrected by Miller–Madow (the plug-in is biased
        upward), for BATCH its own.
    classifier : dict
        The same three from held-out classifiers on the raw modalities (lower bounds:
        H(Y) − cross-entropy on samples the classifier never saw). Empty when the codes are
        lossless (every modality categorical): nothing can be lost.
    kept : dict
        ``estimate / classifier`` per quantity (1.0 for a lossless code, NaN where the classifiers
        find under ``MIN_BITS``; can exceed 1, since the classifiers give lower bounds).
    ranges : dict
        ``{atom: (low, high)}``: where each atom must lie given the result's own I(X1;Y), I(X2;Y)
        and I(X1,X2;Y) — R in [max(0, I1 + I2 − I12), min(I1, I2)], S = R − (I1 + I2 − I12).
    reference : dict
        The best estimate of each information: the larger of ``estimate`` and ``classifier``
        (both are lower bounds of the data's information, up to the plug-in bias; empty when
        lossless).
    reference_ranges : dict
        The ranges from ``reference`` (empty when lossless): where the atoms must lie if the data
        hold the informations the best estimates find. Usually the classifiers' (they see the raw
        data); the estimate's own where the classifiers find less (weak classifiers, e.g. in many
        dimensions).
    outside : tuple of str
        Atoms farther than ``margin`` outside ``reference_ranges`` (``ranges`` when lossless).
    lossless : bool
    threshold : float
        Share of the classifiers' information below which the result warns (0.85).
    overshoot : float or None
        Share above which a model-based estimate (BATCH) warns (1.10; None for tables, whose codes
        cannot gain information).
    margin : float
        Distance outside a range that counts as outside, in the result's units.
    method : str
        The classifiers, folds and samples behind ``classifier``.
    models : dict
        Which classifier gave each bound, and every classifier's bound.
    time_s : float
    notes : tuple of str
    """

    estimate: dict
    classifier: dict
    kept: dict
    ranges: dict
    reference: dict = field(default_factory=dict)
    reference_ranges: dict = field(default_factory=dict)
    outside: tuple = ()
    lossless: bool = False
    threshold: float = 0.85
    overshoot: float | None = None
    margin: float = 0.0
    method: str = ""
    models: dict = field(default_factory=dict)
    time_s: float = 0.0
    notes: tuple = ()

    @property
    def low(self) -> tuple[str, ...]:
        """The informations kept below ``threshold``."""
        return tuple(q for q in INFORMATIONS if self.kept.get(q, math.nan) < self.threshold)

    @property
    def high(self) -> tuple[str, ...]:
        """The informations a model-based estimate finds above ``overshoot`` times the classifiers'."""
        if self.overshoot is None:
            return ()
        return tuple(q for q in INFORMATIONS if self.kept.get(q, math.nan) > self.overshoot)

    @property
    def badness(self) -> tuple[int, float]:
        """How badly the check went, to rank estimates: (failed checks — shares below ``threshold`` or above
        ``overshoot``, atoms out of range —, shortfall of the smallest share below 100%)."""
        worst = min((v for v in self.kept.values() if not math.isnan(v)), default=1.0)
        return (len(self.low) + len(self.high) + len(self.outside), max(0.0, 1.0 - worst))

    def kept_words(self) -> str:
        """The shares kept in words: "I(X1;Y) 90%, I(X2;Y) 91%, I(X1,X2;Y) 97%" (those measured)."""
        if self.lossless:
            return "all of it (lossless codes)"
        words = [f"{INFORMATION_LABELS[q]} {self.kept[q]:.0%}" for q in INFORMATIONS
                 if not math.isnan(self.kept.get(q, math.nan))]
        return ", ".join(words) or "an unmeasured share"

    def outside_words(self, res: Any) -> str:
        """The atoms of ``res`` out of range in words: "R = 0.750 outside [1.245, 1.346]" ("" if none)."""
        where = self.reference_ranges or self.ranges
        return ", ".join(f"{a} = {getattr(res, a):.3f} outside [{where[a][0]:.3f}, {where[a][1]:.3f}]"
                         for a in self.outside)

    def scaled(self, factor: float) -> InformationCheck:
        """The same in other units (informations multiplied by ``factor``; shares unchanged)."""
        def rng(d: dict) -> dict:
            return {k: (lo * factor, hi * factor) for k, (lo, hi) in d.items()}

        return replace(
            self, estimate={k: v * factor for k, v in self.estimate.items()},
            classifier={k: v * factor for k, v in self.classifier.items()},
            reference={k: v * factor for k, v in self.reference.items()}, ranges=rng(self.ranges),
            reference_ranges=rng(self.reference_ranges), margin=self.margin * factor,
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("ranges", "reference_ranges"):
            d[key] = {k: [float(lo), float(hi)] for k, (lo, hi) in getattr(self, key).items()}
        d["outside"], d["notes"] = list(self.outside), list(self.notes)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> InformationCheck:
        if not isinstance(d, Mapping):
            raise TypeError(f"expected an object, got {type(d).__name__}")
        _check_types("info_check.", d, _CHECK_TYPES)
        d = dict(d)
        for key in ("ranges", "reference_ranges"):
            d[key] = {k: (float(v[0]), float(v[1])) for k, v in d.get(key, {}).items()}
        d["outside"], d["notes"] = tuple(d.get("outside", ())), tuple(d.get("notes", ()))
        return cls(**d)

    def lines(self, units: str) -> list[str]:
        """The printed block of a :class:`PIDResult`."""
        if self.lossless:
            out = ["information kept: all of it — every modality is coded losslessly (one state per value)"]
        else:
            out = [f"information kept, against held-out classifiers ({self.method}):"]
            for q in INFORMATIONS:
                share = self.kept.get(q, math.nan)
                flag = "  < " + f"{self.threshold:.0%}" if share < self.threshold else (
                    "  > " + f"{self.overshoot:.0%}" if q in self.high else "")
                shown = "  n/a" if math.isnan(share) else f"{share:5.0%}"
                out.append(f"  {INFORMATION_LABELS[q]:<11} {self.estimate[q]:8.4f} of {self.classifier[q]:8.4f} {units}"
                           f"  {shown}{flag}")
        for label, rng in (("ranges from its informations", self.ranges),
                           ("ranges from the best found  ", self.reference_ranges)):
            if rng:
                out.append(f"{label}: " + ", ".join(f"{a} [{lo:.4f}, {hi:.4f}]" for a, (lo, hi) in rng.items()))
        if self.reference_ranges:
            out.append("  (the best found: for each information the larger of the estimate's and the classifiers')")
        if self.outside:
            out.append(f"outside its range by more than {self.margin:.3f} {units}: {', '.join(self.outside)}")
        return out


#: How far a serialized result may stray from the PID identities (in its units): absolute + relative.
IDENTITY_TOL = (1e-4, 1e-4)


def _check_identities(d: dict) -> None:
    """A serialized result must satisfy R + U1 = I1, R + U2 = I2, R + U1 + U2 + S = total, atoms >= -tol."""
    vals = {q: d[q] for q in QUANTITIES}
    if any(math.isnan(v) for v in vals.values()):
        return  # a null atom (an estimate that failed) reads as NaN: nothing to check
    scale = max(abs(vals["total"]), abs(vals["I1"]), abs(vals["I2"]), 1.0)
    tol = IDENTITY_TOL[0] + IDENTITY_TOL[1] * scale
    checks = (("R + U1 = I1", vals["R"] + vals["U1"], vals["I1"]), ("R + U2 = I2", vals["R"] + vals["U2"], vals["I2"]),
              ("R + U1 + U2 + S = total", vals["R"] + vals["U1"] + vals["U2"] + vals["S"], vals["total"]))
    for name, left, right in checks:
        if abs(left - right) > tol:
            raise _format_error(f"the serialized atoms break the PID identity {name} ({left:.6g} vs {right:.6g}); the "
                                f"file was changed or damaged. {_FIX}")
    low = min(vals[a] for a in ATOMS)
    if d.get("measure", "broja") != "ccs" and low < -max(1e-3, 0.01 * scale):
        raise _format_error(f"the serialized atoms include {low:.6g}; PID atoms are non-negative (up to solver "
                            f"tolerance). The file was changed or damaged. {_FIX}")


class TextReport:
    """Results that print as a report: ``repr`` and IPython's display show ``str(self)``."""

    def __repr__(self) -> str:
        return self.__str__()

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython
        printer.text(str(self))


@dataclass(frozen=True, repr=False)
class PIDResult(TextReport):
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
        Size of the two inputs and the number of label classes as the estimator saw them: the
        joint table's ``(|X1|, |X2|, |Y|)`` for the table estimators (``"cvx"``,
        :func:`pidkit.decompose`), the feature dimensions ``(d1, d2, |Y|)`` for ``"batch"``,
        which decomposes no table. Read :attr:`table_shape` or :attr:`feature_dims` for one
        meaning only.
    diagnostics : Diagnostics
        Solver, status, iterations, marginal violation, duality gap, time, discretization.
    uncertainty : Uncertainty or None
        Confidence intervals, standard errors, bias corrections and p-values when they were asked
        for (``pid.estimate(..., ci=0.95)``, ``n_perm=...``; :func:`pidkit.bootstrap`).
    info_check : InformationCheck or None
        How much of the information held-out classifiers find the estimate keeps, and the ranges
        its atoms must lie in given the informations alone (:func:`pidkit.estimate` on samples;
        None for a table, where there is nothing to compare with).
    measure : str
        The PID measure: ``"broja"`` (default), or a lattice measure ``"mmi"``, ``"imin"``, ``"ccs"``
        (:mod:`pidkit.measures`; atoms of ``"ccs"`` may be negative).
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
    uncertainty: Uncertainty | None = field(default=None, repr=False)
    info_check: InformationCheck | None = field(default=None, repr=False)
    measure: str = "broja"

    # ------------------------------------------------------------------ views
    @property
    def table_shape(self) -> tuple[int, int, int] | None:
        """``(|X1|, |X2|, |Y|)`` of the decomposed joint table; ``None`` for BATCH (no table)."""
        return None if self.estimator == "batch" else tuple(self.shape)

    @property
    def feature_dims(self) -> tuple[int, int] | None:
        """``(d1, d2)``, the feature dimensions BATCH's encoders read; ``None`` for table estimators."""
        return tuple(self.shape[:2]) if self.estimator == "batch" else None

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

    def ci(self, quantity: str) -> tuple[float, float]:
        """The confidence interval of ``quantity`` (an atom, ``"total"``, ``"I1"`` or ``"I2"``)."""
        if self.uncertainty is None or quantity not in self.uncertainty.intervals:
            if quantity not in QUANTITIES:
                raise ParameterError(f"quantity must be one of {list(QUANTITIES)}; got {quantity!r}.")
            raise ParameterError(
                "this result has no confidence intervals; ask for them with pid.estimate(..., ci=0.95) or "
                "pid.bootstrap(...)."
            )
        return self.uncertainty.intervals[quantity]

    @property
    def p_values(self) -> dict[str, float]:
        """p-values of the significance tests that were run (empty if none; see ``uncertainty.tests``)."""
        return {} if self.uncertainty is None else dict(self.uncertainty.p_values)

    def plot(self, ax: Any = None, **kwargs: Any):
        """Draw the decomposition (:func:`pidkit.plot.plot_pid`; returns the Axes)."""
        from .plot import plot_pid

        return plot_pid(self, ax, **kwargs)

    def intervals_excluding_estimate(self) -> tuple[str, ...]:
        """The quantities whose confidence interval does not contain the estimate itself.

        A bias-corrected interval (BCa far from the centre, or the basic interval ``2·estimate −
        quantiles``) can exclude a plug-in estimate that the sampling bias pushed aside; the
        printout and the plots show such intervals as computed and say so.
        """
        if self.uncertainty is None:
            return ()
        tol = 1e-12
        return tuple(q for q, (lo, hi) in self.uncertainty.intervals.items()
                     if not lo - tol <= getattr(self, q) <= hi + tol)

    def consistency_error(self) -> float:
        """Largest violation of the PID identities (in ``units``); ~0 for an exact solve."""
        return max(
            abs(self.R + self.U1 - self.I1),
            abs(self.R + self.U2 - self.I2),
            abs(self.R + self.U1 + self.U2 + self.S - self.total),
        )

    # ------------------------------------------------------------ conversions
    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dict, diagnostics included (non-finite floats stay floats; see :meth:`to_json`)."""
        nested = ("diagnostics", "uncertainty", "info_check")
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in nested}
        d["shape"] = list(self.shape)
        d["diagnostics"] = self.diagnostics.to_dict()
        d["uncertainty"] = None if self.uncertainty is None else self.uncertainty.to_dict()
        d["info_check"] = None if self.info_check is None else self.info_check.to_dict()
        return d

    def to_json(self, **kwargs: Any) -> str:
        """Serialize to a strict JSON string; :meth:`from_json` restores an equal result.

        Strict JSON has no NaN or Infinity (a BATCH result's spread over a single read-out batch is
        NaN), so non-finite floats are written as the strings ``"NaN"``, ``"Infinity"`` and
        ``"-Infinity"`` and read back as floats. ``kwargs`` go to :func:`json.dumps` (e.g. ``indent=2``).
        """
        return json.dumps(_encode_nonfinite(self.to_dict()), **{"allow_nan": False, **kwargs})

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PIDResult:
        """The result :meth:`to_dict` described (also accepts the parsed output of :meth:`to_json`).

        Raises :class:`~pidkit.exceptions.ResultFormatError`, naming the field, when a field is
        missing, unknown or of the wrong type. A null atom reads as NaN.
        """
        if not isinstance(d, Mapping):
            raise _format_error(
                f"PIDResult.from_dict expects a dict as written by PIDResult.to_dict(); got {type(d).__name__}. "
                f"{_FIX}"
            )
        try:
            d = _decode_nonfinite(dict(d))
        except RecursionError:
            raise _format_error(f"the serialized result is nested too deeply to be one. {_FIX}") from None
        names = [f.name for f in fields(cls)]
        _check_fields("the serialized result", d, names,
                      [n for n in names if n not in ("uncertainty", "info_check", "measure")])
        d.setdefault("measure", "broja")
        if d["measure"] not in ("broja", "mmi", "imin", "ccs"):
            raise _format_error(f"field 'measure' must be one of 'broja', 'mmi', 'imin', 'ccs'; got {d['measure']!r}. "
                                f"{_FIX}")
        for q in QUANTITIES:
            d[q] = _real(q, d[q])
            if math.isinf(d[q]):
                raise _format_error(f"field {q!r} is infinite; informations are finite. {_FIX}")
        _check_identities(d)
        if d["units"] not in ("bits", "nats"):
            raise _format_error(f"field 'units' must be 'bits' or 'nats'; got {d['units']!r}. {_FIX}")
        if not isinstance(d["estimator"], str):
            raise _format_error(f"field 'estimator' must be a string (e.g. 'cvx'); got {d['estimator']!r}. {_FIX}")
        n = d["n_samples"]
        if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0):
            raise _format_error(f"field 'n_samples' must be None or an integer >= 0; got {n!r}. {_FIX}")
        shape = d["shape"]
        if not (isinstance(shape, (list, tuple)) and len(shape) == 3
                and all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k > 0 for k in shape)):
            raise _format_error(f"field 'shape' must be 3 positive integers (|X1|, |X2|, |Y|); got {shape!r}. {_FIX}")
        d["shape"] = tuple(int(k) for k in shape)
        diag = d["diagnostics"]
        if not isinstance(diag, Mapping):
            raise _format_error(f"field 'diagnostics' must be a dict; got {type(diag).__name__}. {_FIX}")
        diag = dict(diag)
        diag_names = [f.name for f in fields(Diagnostics)]
        _check_fields("field 'diagnostics'", diag, diag_names, ["solver", "status"])
        _check_types("diagnostics.", diag, _DIAGNOSTICS_TYPES)
        for key in ("max_marginal_violation", "time_s"):
            if key in diag:
                diag[key] = _real(f"diagnostics.{key}", diag[key])
        if "duality_gap" in diag:
            diag["duality_gap"] = _real("diagnostics.duality_gap", diag["duality_gap"], optional=True)
        diag["notes"] = tuple(diag.get("notes", ()))
        d["diagnostics"] = Diagnostics(**diag)
        for key, kind in (("uncertainty", Uncertainty), ("info_check", InformationCheck)):
            if d.get(key) is not None:
                try:
                    d[key] = kind.from_dict(d[key])
                except ResultFormatError:
                    raise
                except (TypeError, ValueError, KeyError, IndexError) as err:
                    raise _format_error(f"field {key!r} is not a valid {kind.__name__} ({err}). {_FIX}") from None
        return cls(**d)

    @classmethod
    def from_json(cls, s: str) -> PIDResult:
        """The result :meth:`to_json` wrote (see :meth:`from_dict` for the checks)."""
        try:
            d = json.loads(s)
        except RecursionError:
            raise _format_error(f"PIDResult.from_json: the JSON is nested too deeply to be a result. {_FIX}") from None
        except (TypeError, ValueError) as err:
            raise _format_error(
                f"PIDResult.from_json expects a JSON string written by PIDResult.to_json(); could not parse "
                f"{str(s)[:40]!r} ({err}). {_FIX}"
            ) from None
        return cls.from_dict(d)

    def to_pandas(self):
        """The result as a one-row ``pandas.DataFrame`` (requires pandas).

        Columns: the atoms, ``total``, ``I1``, ``I2``, ``units``, ``estimator``, ``n_samples``, the table
        shape ``n_x1, n_x2, n_y``, the solver's evidence (``solver``, ``status``, ``iterations``,
        ``duality_gap``, ``max_marginal_violation``, ``time_s``) and, with intervals, ``ci_level``,
        ``ci_method`` and ``<atom>_low`` / ``<atom>_high`` / ``<atom>_std`` for each atom.
        """
        import pandas as pd

        d = self.diagnostics
        row: dict[str, Any] = {**self.atoms, "total": self.total, "I1": self.I1, "I2": self.I2, "units": self.units,
                               "estimator": self.estimator, "measure": self.measure, "n_samples": self.n_samples,
                               "n_x1": self.shape[0], "n_x2": self.shape[1], "n_y": self.shape[2],
                               "solver": d.solver, "status": d.status, "iterations": d.iterations,
                               "duality_gap": d.duality_gap, "max_marginal_violation": d.max_marginal_violation,
                               "time_s": d.time_s}
        u = self.uncertainty
        if u is not None:
            row.update(ci_level=u.level, ci_method=u.method)
            for name, (lo, hi) in u.intervals.items():
                row.update({f"{name}_low": lo, f"{name}_high": hi})
            row.update({f"{name}_std": v for name, v in u.std.items()})
        return pd.DataFrame([row])

    def with_units(self, units: str) -> PIDResult:
        """The same result expressed in ``"bits"`` or ``"nats"``."""
        factor = check_units(self.units) / check_units(units)
        if factor == 1.0:
            return self
        scaled = {k: getattr(self, k) * factor for k in QUANTITIES}
        gap = self.diagnostics.duality_gap
        std = self.diagnostics.atom_std
        diag = replace(
            self.diagnostics,
            duality_gap=None if gap is None else gap * factor,
            atom_std=None if std is None else {k: v * factor for k, v in std.items()},
        )
        unc = None if self.uncertainty is None else self.uncertainty.scaled(factor)
        check = None if self.info_check is None else self.info_check.scaled(factor)
        return replace(self, **scaled, units=units, diagnostics=diag, uncertainty=unc, info_check=check)

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
        total = self.total
        std = d.atom_std or {}
        unc = self.uncertainty
        cis = {} if unc is None else unc.intervals
        if self.estimator == "batch":
            what = f"features {self.shape[0]} + {self.shape[1]}, {self.shape[2]} classes"
        elif self.estimator in ("gaussian", "copula"):
            what = f"jointly Gaussian, dimensions {self.shape[0]} + {self.shape[1]} -> {self.shape[2]}"
        else:
            what = f"table {'x'.join(map(str, self.shape))}"
        header = f"{'atom':<4} {'meaning':<18} {self.units:>10} {'share':>8}"
        if std:
            header += "  ± std (batches)"
        if cis:
            header += f"  {f'{unc.level:.0%} CI ({unc.method})':>22}"
        width = max(44, len(header))
        lines = [
            "PID of I(X1,X2;Y) — " + ("" if self.measure == "broja" else f"measure {self.measure!r}, ")
            + f"estimator {self.estimator!r}, {what}"
            + (f", {self.n_samples} samples" if self.n_samples is not None else ""),
            "-" * width,
            header,
        ]

        excluded = self.intervals_excluding_estimate()

        def extra(key: str) -> str:
            out = ""
            if std:
                out += "  ± n/a" + " " * 9 if math.isnan(std.get(key, math.nan)) else f"  ± {std[key]:.4f}" + " " * 7
            if key in cis:
                lo, hi = cis[key]
                out += f"  [{fmt(lo, '9.5f')}, {fmt(hi, '9.5f')}]" + (" *" if key in excluded else "")
            return out

        for a in ATOMS:
            v = getattr(self, a)
            share = f"{(v / total if abs(v / total) >= 5e-4 else 0.0):8.1%}" if total > 0 else f"{'—':>8}"
            lines.append(f"{a:<4} {_ATOM_NAMES[a]:<18} {fmt(v, '10.6f')} {share}{extra(a)}")
        lines.append("-" * width)
        for key, label in (("total", "I(X1,X2;Y)"), ("I1", "I(X1;Y)"), ("I2", "I(X2;Y)")):
            lines.append(f"{label:<23} {getattr(self, key):10.6f} {'':>8}{extra(key)}")
        if unc is not None:
            if unc.std:
                lines.append("standard error: " + ", ".join(f"{k} {v:.4f}" for k, v in unc.std.items()))
            for method, vals in unc.corrected.items():
                lines.append(f"bias-corrected ({method}): " + ", ".join(f"{k} {v:.4f}" for k, v in vals.items()))
            for test, pval in unc.p_values.items():
                lines.append(f"test {test}: H0 {unc.tests.get(test, '?')}; p = {pval:.3g}")
            if excluded:
                lines.append(f"* the interval of {', '.join(excluded)} excludes the estimate: it is shown as computed. "
                             "Bias-corrected intervals move away from a plug-in estimate that the sampling "
                             "bias pushed up (or down); read the interval, not the estimate, for those.")
        if self.info_check is not None:
            lines += self.info_check.lines(self.units)
        gap = "n/a" if d.duality_gap is None else f"{d.duality_gap:.1e} {self.units}"
        lines.append(
            f"solver {d.solver} ({d.status}), {d.iterations if d.iterations is not None else '?'} it, "
            f"gap {gap}, marginal err {d.max_marginal_violation:.1e}, {d.time_s:.3g} s"
        )
        for note in d.notes + (() if unc is None else unc.notes):
            lines.append(f"note: {note}")
        return "\n".join(lines)

    def __eq__(self, other: object) -> bool:
        """Equal when everything but the wall times is equal.

        Compares the atoms, mutual informations, units, estimator, samples, shape, every
        diagnostic (solver, status, iterations, duality gap, marginal error, discretization,
        notes, spreads, details) and the uncertainty, exactly; ignores ``time_s`` at every depth
        (``diagnostics.time_s``, BATCH's ``details["time_s"]``), which differs between two runs of
        the same computation, so ``decompose(p) == decompose(p)``. NaN equals NaN here, so a
        result equals its :meth:`to_json` round trip. Use :meth:`isclose` to compare atoms within a
        tolerance.
        """
        if not isinstance(other, PIDResult):
            return NotImplemented
        mine, theirs = (_encode_nonfinite(_without_timing(r.to_dict())) for r in (self, other))
        return mine == theirs

    def __hash__(self) -> int:
        """Consistent with ``==``: hashes the quantities (NaN spelled as a string), units and estimator."""
        return hash((*_encode_nonfinite([getattr(self, q) for q in QUANTITIES]), self.units, self.estimator))

    def isclose(self, other: PIDResult, *, atol: float = 1e-9) -> bool:
        """True when all atoms agree within ``atol`` (after converting ``other`` to our units)."""
        o = other.with_units(self.units)
        return all(math.isclose(getattr(self, a), getattr(o, a), abs_tol=atol) for a in ATOMS)
