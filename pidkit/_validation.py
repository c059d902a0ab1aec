"""Input checks shared by every public entry point.

All error text about bad arguments is produced here, so the same mistake gets the same message
everywhere. Each message says what was expected, what was received and what to do.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .exceptions import (
    EmptyInputError,
    InvalidPMFError,
    LengthMismatchError,
    NonFiniteInputError,
    ParameterError,
    ShapeError,
)

UNITS = {"bits": math.log(2.0), "nats": 1.0}


def check_units(units: str) -> float:
    """Return the divisor that converts nats to ``units``."""
    if units not in UNITS:
        raise ParameterError(
            f"units must be one of {sorted(UNITS)}; got {units!r}. "
            "Use units='bits' (default) or units='nats'."
        )
    return UNITS[units]


def check_keys(
    what: str,
    given: Iterable[Any],
    allowed: Iterable[Any],
    *,
    noun: str = "key",
    required: Iterable[Any] = (),
    hint: str = "",
    error: type[Exception] = ParameterError,
) -> None:
    """Refuse names in ``given`` (a dict's keys, options, fields) that ``allowed`` lacks.

    The one check of unknown keys: the message names the unknown ones (sorted), the allowed ones
    (in their order) and, with ``required``, the missing ones —
    ``"{what} does not take {noun}(s) [...]; its {noun}s are [...]. {hint}"``. Raises ``error``
    (:class:`ParameterError` by default).
    """
    allowed = list(allowed)
    keys = list(given)
    unknown = sorted(str(k) for k in keys if k not in allowed)
    missing = [k for k in required if k not in keys]
    if not unknown and not missing:
        return
    parts = ([f"lacks {noun}(s) {missing}"] if missing else []) + (
        [f"does not take {noun}(s) {unknown}"] if unknown else [])
    optional = [k for k in allowed if k not in list(required)] if missing else None
    raise error(f"{what} {' and '.join(parts)}; its {noun}s are {allowed}"
                + (f" (optional: {optional})" if optional is not None else "") + "." + (f" {hint}" if hint else ""))


def check_option(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Raise :class:`ParameterError` unless ``value`` is one of ``allowed``."""
    allowed = list(allowed)
    if value not in allowed:
        raise ParameterError(f"{name} must be one of {allowed}; got {value!r}.")
    return value


def check_positive_int(name: str, value: Any, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, raising unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is True or False (not a truthy string or number)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ParameterError(
            f"{name} must be True or False; got {value!r} ({type(value).__name__}). Pass {name}=True or {name}=False."
        )
    return bool(value)


def is_real_number(value: Any) -> bool:
    """True for ints and floats (Python or NumPy), False for bools, strings and everything else."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def check_positive_float(name: str, value: Any) -> float:
    """Return ``value`` as a float, raising unless it is a real number (not a bool or string), finite and > 0."""
    out = float(value) if is_real_number(value) else float("nan")
    if not (math.isfinite(out) and out > 0):
        raise ParameterError(
            f"{name} must be a finite number > 0 (a real number, not a bool or string); got {value!r} "
            f"({type(value).__name__}). Pass a positive int or float."
        )
    return out


def seed_from(random_state: Any) -> int | None:
    """Turn ``random_state`` (None, int, numpy Generator or RandomState) into an int seed.

    scikit-learn estimators take an int; deriving one from a Generator keeps every random step
    flowing from the single ``random_state`` the user passed.
    """
    if random_state is None:
        return None
    if isinstance(random_state, (bool, np.bool_)):
        raise ParameterError(f"random_state must be None, an int or a numpy Generator; got {random_state!r}.")
    if isinstance(random_state, (int, np.integer)):
        if random_state < 0:
            raise ParameterError(f"random_state must be a non-negative int; got {random_state!r}.")
        return int(random_state) % (2**32)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**32 - 1))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**32 - 1))
    raise ParameterError(
        f"random_state must be None, an int or a numpy Generator; got {type(random_state).__name__}."
    )


def _is_pandas(obj: Any) -> bool:
    mod = type(obj).__module__
    return mod.startswith("pandas")


def is_label_dtype(arr: np.ndarray) -> bool:
    """True for dtypes that can only be categorical: bool, strings, bytes, objects."""
    return arr.dtype.kind in "bOUSV" or arr.dtype == np.bool_


def as_samples(x: Any, name: str) -> np.ndarray:
    """Convert one modality or label to a NumPy array of shape (n,) or (n, d).

    Accepts NumPy arrays, lists, tuples, pandas Series / DataFrames (categoricals become their
    values) and torch tensors (moved to CPU). Raises for 0-D or >2-D input, empty input, NaN/inf
    in numeric data and object arrays whose entries are not scalars. Returns a C-contiguous array.
    """
    if x is None:
        raise ShapeError(f"{name} is None; expected an array-like of shape (n,) or (n, d).")
    if _is_pandas(x):
        if hasattr(x, "dtypes") and hasattr(x, "columns"):  # DataFrame
            arr = x.to_numpy()
        else:  # Series, Categorical, Index
            arr = np.asarray(x.astype(object) if str(getattr(x, "dtype", "")) == "category" else x)
            if arr.dtype.kind == "O":
                arr = _narrow_object(arr)
    elif type(x).__module__.startswith("torch"):
        arr = x.detach().cpu().numpy()
    else:
        try:
            arr = np.asarray(x)
        except ValueError as err:  # NumPy refuses sequences of rows of different lengths
            raise ShapeError(_ragged_message(x, name)) from err
    if arr.ndim == 0:
        raise ShapeError(
            f"{name} must be an array of shape (n,) or (n, d); got a scalar ({arr!r}). "
            "Pass one value per sample."
        )
    if arr.ndim > 2:
        raise ShapeError(
            f"{name} must have shape (n,) or (n, d); got {arr.ndim}-D shape {arr.shape}. "
            f"Flatten the feature axes first, e.g. {name}.reshape(len({name}), -1)."
        )
    if arr.shape[0] == 0:
        raise EmptyInputError(f"{name} is empty (shape {arr.shape}); expected at least one sample.")
    if arr.ndim == 2 and arr.shape[1] == 0:
        raise EmptyInputError(f"{name} has shape {arr.shape}: samples with zero features. Expected (n, d) with d >= 1.")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.dtype.kind == "O":
        arr = _narrow_object(arr)
    if arr.dtype.kind == "O":
        for i, v in enumerate(arr.ravel()):
            if v is None or (isinstance(v, float) and not math.isfinite(v)):
                raise NonFiniteInputError(
                    f"{name} has a missing value ({v!r}) at flat position {i}; expected a value for every "
                    "sample. Drop or fill the missing entries first."
                )
            if not _is_scalar_label(v):
                raise ShapeError(
                    f"{name} is an object array whose entries are not labels (found a "
                    f"{type(v).__name__}); expected numbers or labels (str, int, bool). "
                    "Convert it to a numeric array of shape (n, d) or to one label per sample."
                )
    if arr.dtype.kind == "c":
        raise ShapeError(f"{name} is complex-valued; expected real numbers or labels.")
    if arr.dtype.kind == "f":
        finite = np.isfinite(arr)
        if not finite.all():
            idx = np.argwhere(~finite)[0]
            raise NonFiniteInputError(
                f"{name} contains {int((~finite).sum())} NaN or infinite value(s) "
                f"(first at index {tuple(int(i) for i in idx)}); expected finite numbers. "
                "Drop or impute these samples before estimating."
            )
        if arr.size and float(np.max(np.abs(arr))) > MAX_ABS_FEATURE:
            raise NonFiniteInputError(
                f"{name} has values up to {float(np.max(np.abs(arr))):.3g} in magnitude; above {MAX_ABS_FEATURE:.0e} "
                "their squares (scaling, distances) overflow float64. Rescale it (e.g. divide by its largest "
                "magnitude, or take a logarithm) first."
            )
    # one memory layout whatever the source (a DataFrame's values are column-major): sums and
    # fits over the same values then give the same floating-point results
    return np.ascontiguousarray(arr)


def _ragged_message(x: Any, name: str) -> str:
    try:
        lengths = sorted({len(row) if hasattr(row, "__len__") and not isinstance(row, (str, bytes)) else 1
                          for row in x})
    except TypeError:
        lengths = []
    seen = f" (row lengths {lengths})" if lengths else ""
    return (
        f"{name} is a ragged sequence{seen}; expected an array-like of shape (n,) or (n, d), the same number "
        "of features in every row. Pad or trim the rows to one length, or pass one label per sample."
    )


#: Largest magnitude of a float feature: squares and sums of squares (standardizing, k-means, logistic
#: regression) stay finite in float64 below about 1e154.
MAX_ABS_FEATURE = 1e150


def _is_scalar_label(v: Any) -> bool:
    return isinstance(v, (str, bytes, bool, int, float, np.generic))


def _narrow_object(arr: np.ndarray) -> np.ndarray:
    """Give object arrays of plain numbers or strings a concrete dtype when that is lossless."""
    flat = arr.ravel()
    if all(isinstance(v, str) for v in flat):
        return arr.astype(str)
    if all(isinstance(v, (bool, np.bool_)) for v in flat):
        return arr.astype(bool)
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in flat):
        try:
            return arr.astype(np.int64)
        except OverflowError:  # integers beyond 64 bits: exact only as labels, i.e. text
            return arr.astype(str)
    if all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)) for v in flat):
        return arr.astype(np.float64)
    return arr


def check_same_length(**arrays: np.ndarray) -> int:
    """Return the common number of samples, raising if the arrays disagree."""
    lengths = {k: len(v) for k, v in arrays.items() if v is not None}
    if len(set(lengths.values())) > 1:
        desc = ", ".join(f"{k} has {n}" for k, n in lengths.items())
        raise LengthMismatchError(
            f"Expected one row per sample in every input, but {desc} rows. "
            "Pass aligned arrays (row i of each input describes the same sample)."
        )
    return next(iter(lengths.values()))


#: default tolerance on the total of a floating probability table (pidkit.decompose, decompose_many)
PMF_SUM_TOL = 1e-9
#: a table of integers is read as counts only when its total exceeds 1 by more than this
_COUNTS_MIN_EXCESS = 1e-9


def check_prob_table(
    p: Any,
    *,
    name: str,
    ndim: int,
    stacked: bool = False,
    axes: str | None = None,
    ndim_message: str = "",
    ndim_error: type[Exception] = InvalidPMFError,
    empty_error: type[Exception] = InvalidPMFError,
    sum_tol: float = PMF_SUM_TOL,
    counts: bool = True,
    normalize: bool = False,
    sum_fix: str = "Pass normalize=True to rescale it.",
) -> tuple[np.ndarray, Any, Any]:
    """Validate a probability or count table, or a stack of them; return ``(pmf, total, is_counts)``.

    The one validator of probability tables: every public entry point that takes a pmf calls it.

    Parameters
    ----------
    p : array-like
        One table with ``ndim`` axes, or (``stacked=True``) B tables stacked on a leading axis.
    name : str
        How the error messages call the argument.
    ndim : int
        Rank of one table (the stack axis excluded).
    stacked : bool
        ``p`` holds B tables; checks report the offending table indices (up to five) and the
        returned ``total`` and ``is_counts`` are arrays of shape (B,).
    axes : str, optional
        The table axes for messages, e.g. ``"|X1|, |X2|, |Y|"`` (stack rank errors say
        ``shape (B, axes)``).
    ndim_message : str
        Appended to the error for a wrong rank (what to pass instead).
    ndim_error, empty_error : exception classes
        Raised for a wrong rank and for an empty array; every other problem raises
        :class:`InvalidPMFError`.
    sum_tol : float
        A floating table must sum to 1 within this (unless ``normalize`` or it holds counts).
    counts : bool
        Whether tables of non-negative integers summing to more than 1 are accepted as counts.
    normalize : bool
        Accept any positive total (the table is rescaled).
    sum_fix : str
        Appended to the error for a total off 1 (what to do).

    Returns
    -------
    pmf : ndarray
        A float64 copy (C-ordered for a stack) divided by its total(s); the input is never modified.
    total : float or ndarray (B,)
    is_counts : bool or ndarray of bool (B,)
    """
    normalize = check_bool("normalize", normalize)
    what = "stack of tables" if stacked else "table"
    try:
        arr = np.asarray(p)
    except ValueError:  # ragged nested lists
        raise InvalidPMFError(f"{name} is ragged (rows of different lengths); expected a rectangular {what} of "
                              "numbers, e.g. a NumPy array of shape (|X1|, |X2|, |Y|).") from None
    kinds = "probabilities or counts" if counts else "probabilities"
    if arr.dtype.kind not in "biuf":
        raise InvalidPMFError(f"{name} must be a numeric {what} of {kinds}; got dtype {arr.dtype}.")
    if arr.ndim != ndim + stacked:
        if stacked:
            raise ndim_error(
                f"{name} must have shape (B, {axes}) for a stack of tables; got {arr.ndim}-D shape {arr.shape}. "
                f"{ndim_message}"
            )
        raise ndim_error(f"{name} must be a {ndim}-D table; got {arr.ndim}-D shape {arr.shape}. {ndim_message}")
    if arr.size == 0:
        raise empty_error(
            f"{name} is empty (shape {arr.shape}); "
            + ("expected at least one table with non-empty axes." if stacked
               else "every axis needs at least one state.")
        )
    # the stack goes to the kernels as one C-ordered block; one table keeps its layout (its sums, hence its
    # atoms to the last bit, follow the layout)
    arr = np.array(arr, dtype=np.float64, order="C" if stacked else "K")
    table_axes = tuple(range(stacked, arr.ndim))

    def where(bad: np.ndarray, stack_verb: str, verb: str) -> str:
        """Subject of a message about the entries flagged in ``bad``: which tables, or how many entries."""
        if stacked:
            return f"{name}: tables {np.flatnonzero(bad.any(axis=table_axes))[:5].tolist()} {stack_verb}"
        return f"{name} {verb} {int(bad.sum())}"

    bad = ~np.isfinite(arr)
    if bad.any():
        raise InvalidPMFError(
            f"{where(bad, 'contain', 'contains')} NaN or infinite entries; expected finite {kinds}. Remove or impute "
            "them first."
        )
    bad = arr < 0
    if bad.any():
        raise InvalidPMFError(
            f"{where(bad, 'have', 'has')} negative entries (min {arr.min():.3g}); {kinds} must be non-negative (>= 0)."
        )
    del bad
    total = arr.sum(axis=table_axes)
    if not np.isfinite(total).all():
        where = f"{name}: tables {np.flatnonzero(~np.isfinite(total))[:5].tolist()} sum" if stacked else f"{name} sums"
        raise InvalidPMFError(
            f"{where} to more than float64 holds (largest entry {float(arr.max()):.3g}); expected {kinds}. Divide the "
            "table by its largest entry first."
        )
    if (total <= 0).any():
        where = f"{name}: tables {np.flatnonzero(total <= 0)[:5].tolist()} sum" if stacked else f"{name} sums"
        raise InvalidPMFError(
            f"{where} to {float(total.min())}; expected a positive total ({'a pmf or counts' if counts else 'a pmf'})."
        )
    if counts:
        is_counts = (arr == np.round(arr)).all(axis=table_axes) & (total > 1.0 + _COUNTS_MIN_EXCESS)
    else:
        is_counts = np.zeros(total.shape, dtype=bool)
    off = ~is_counts & (np.abs(total - 1.0) > sum_tol)
    if off.any() and not normalize:
        i = int(np.flatnonzero(off)[0]) if stacked else 0
        t = float(total[i]) if stacked else float(total)
        where = f"{name}: table {i}" if stacked else name
        expected = "a pmf or a table of integer counts" if counts else "a pmf"
        more = f" ({int(off.sum())} of {off.size} tables are off.)" if stacked else ""
        raise InvalidPMFError(
            f"{where} sums to {t!r}, not 1 (tolerance {sum_tol:g}); expected {expected}. {sum_fix}{more}"
        )
    if stacked:
        return arr / total.reshape((-1,) + (1,) * ndim), total, is_counts
    return arr / float(total), float(total), bool(is_counts)
