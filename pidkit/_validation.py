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
    in numeric data and object arrays whose entries are not scalars.
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
    return arr


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
        return arr.astype(np.int64)
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


def check_prob_table(
    p: Any,
    *,
    name: str,
    ndim: int,
    ndim_message: str,
    ndim_error: type[Exception] = InvalidPMFError,
    sum_tol: float = 1e-9,
    sum_fix: str = "Pass normalize=True to rescale it.",
    normalize: bool = False,
) -> tuple[np.ndarray, float, bool]:
    """Validate a table of probabilities or counts; return ``(pmf, total, is_counts)``.

    ``pmf`` is a float64 copy divided by its total (the input is never modified). Tables of
    non-negative integers summing to more than 1 are counts; a floating table must sum to 1 within
    ``sum_tol`` unless ``normalize``. ``ndim_message`` is appended to the error for a wrong rank.
    """
    normalize = check_bool("normalize", normalize)
    arr = np.asarray(p)
    if arr.dtype.kind not in "biuf":
        raise InvalidPMFError(f"{name} must be a numeric table of probabilities or counts; got dtype {arr.dtype}.")
    if arr.ndim != ndim:
        raise ndim_error(f"{name} must be a {ndim}-D table; got {arr.ndim}-D shape {arr.shape}. {ndim_message}")
    if arr.size == 0:
        raise InvalidPMFError(f"{name} is empty (shape {arr.shape}); every axis needs at least one state.")
    arr = arr.astype(np.float64, copy=True)
    if not np.isfinite(arr).all():
        raise InvalidPMFError(
            f"{name} contains {int((~np.isfinite(arr)).sum())} NaN or infinite entries; expected finite "
            "probabilities or counts. Remove or impute them first."
        )
    if (arr < 0).any():
        raise InvalidPMFError(
            f"{name} has {int((arr < 0).sum())} negative entries (min {arr.min():.3g}); probabilities and "
            "counts must be >= 0."
        )
    total = float(arr.sum())
    if total <= 0:
        raise InvalidPMFError(f"{name} sums to {total}; expected a positive total (a pmf or counts).")
    is_counts = bool(np.all(arr == np.round(arr))) and total > 1.0 + 1e-9
    if not (normalize or is_counts) and abs(total - 1.0) > sum_tol:
        raise InvalidPMFError(
            f"{name} sums to {total!r}, not 1 (tolerance {sum_tol:g}); expected a pmf or a table of integer "
            f"counts. {sum_fix}"
        )
    return arr / total, total, is_counts
