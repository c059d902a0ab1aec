"""Reading data files for the command line: CSV, Parquet, ``.npz`` / ``.npy``, and column selection.

A file is read into named 1-D columns (numbers when every value parses as one, else strings)
plus *blocks*: a 2-D array in an ``.npz`` (or a ``.npy``) is a block whose name selects all its
columns ``name[0]``, ``name[1]``, ... A selection is a comma-separated list of

* a column or block name (``age``, ``pixels``), or a column's position, 0-based (``13``; a column
  named ``13`` takes precedence),
* a glob over column names (``px_*``, ``feat?``),
* a range of positions, 0-based and half-open (``0:32``), or of names, inclusive (``px_0:px_31``).

Missing values — an empty CSV field or one of :data:`MISSING` (any case), a Parquet null, a NaN
in an ``.npz`` / ``.npy`` — are never data: a selection that holds one is refused with the
column and row (:meth:`Table.array`), unless the caller drops the incomplete rows first
(:meth:`Table.complete_rows`, the command line's ``--dropna``).
"""

from __future__ import annotations

import csv
import fnmatch
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .exceptions import InputError, MissingDependencyError

__all__ = ["Table", "read_table", "read_count_table", "MISSING"]

#: CSV fields read as missing (compared after stripping blanks, in any case), besides the empty field.
MISSING = ("na", "n/a", "nan", "null", "none", "#n/a", "-nan")


class Table:
    """Named 1-D columns in file order, and named blocks of them."""

    def __init__(self, columns: dict[str, np.ndarray], blocks: dict[str, list[str]], source: str,
                 missing: dict[str, np.ndarray] | None = None, lines: np.ndarray | None = None):
        self.columns = columns
        self.blocks = blocks
        #: {column: bool mask of missing values}; columns without any are absent
        self.missing = {k: m for k, m in (missing or {}).items() if m.any()}
        for name, col in columns.items():  # NaN in numeric arrays (.npz / .npy) is missing too
            if col.dtype.kind == "f" and name not in self.missing and np.isnan(col).any():
                self.missing[name] = np.isnan(col)
        #: how to name row i in messages: its line in a text file (``lines[i]``), else ``row i``
        self.lines = lines
        self.names = list(columns)
        self.source = source
        #: {column: why it cannot be used} (e.g. a Parquet column of lists), refused only when selected
        self.unusable: dict[str, str] = {}
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise InputError(f"{source}: columns have different lengths {sorted(lengths)}; expected one row each.")
        self.n_rows = lengths.pop() if lengths else 0

    def _available(self) -> str:
        shown = ", ".join(self.names[:12]) + (f", ... ({len(self.names)} in all)" if len(self.names) > 12 else "")
        blocks = f"; blocks: {', '.join(self.blocks)}" if self.blocks else ""
        return f"columns: {shown}{blocks}"

    def resolve(self, spec: str, what: str) -> list[str]:
        """Column names selected by ``spec`` (see the module docstring), in order, without repeats."""
        out: list[str] = []
        for item in (s.strip() for s in spec.split(",")):
            if not item:
                continue
            if item in self.blocks:
                out += self.blocks[item]
            elif item in self.columns:
                out.append(item)
            elif any(c in item for c in "*?["):
                hits = [c for c in self.names if fnmatch.fnmatchcase(c, item)]
                if not hits:
                    raise InputError(
                        f"{what}: the pattern {item!r} matches no column of {self.source} ({self._available()})."
                    )
                out += hits
            elif ":" in item:
                out += self._range(item, what)
            elif item.lstrip("-").isdigit():  # a position, 0-based (a column named "13" was matched above)
                i = int(item)
                if not -len(self.names) <= i < len(self.names):
                    raise InputError(f"{what}: position {i} is outside the {len(self.names)} columns of "
                                     f"{self.source} (0-based).")
                out.append(self.names[i])
            else:
                raise InputError(f"{what}: no column {item!r} in {self.source} ({self._available()}).")
        if not out:
            raise InputError(f"{what}: the selection {spec!r} is empty; name at least one column.")
        return list(dict.fromkeys(out))

    def _range(self, item: str, what: str) -> list[str]:
        a, b = item.split(":", 1)
        if a in self.columns and b in self.columns:  # names, inclusive
            i, j = self.names.index(a), self.names.index(b)
            if j < i:
                raise InputError(f"{what}: the range {item!r} runs backwards ({b!r} comes before {a!r}).")
            return self.names[i : j + 1]
        try:
            i, j = int(a) if a else 0, int(b) if b else len(self.names)
        except ValueError:
            raise InputError(
                f"{what}: {item!r} is neither a column name nor a range; ranges are 0-based positions 'start:stop' "
                f"or inclusive names 'first:last' ({self._available()})."
            ) from None
        if not 0 <= i < j <= len(self.names):
            raise InputError(f"{what}: the range {item!r} is outside the {len(self.names)} columns of {self.source}.")
        return self.names[i:j]

    def _row(self, i: int) -> str:
        return f"line {int(self.lines[i])}" if self.lines is not None else f"row {i}"

    def complete_rows(self, specs: list[tuple[str, str]]) -> np.ndarray:
        """Mask of the rows with no missing value in any of the selected columns ``[(spec, what), ...]``."""
        n = len(next(iter(self.columns.values()))) if self.columns else 0
        keep = np.ones(n, dtype=bool)
        for spec, what in specs:
            for c in self.resolve(spec, what):
                if c in self.missing:
                    keep &= ~self.missing[c]
        return keep

    def array(self, spec: str, what: str, rows: np.ndarray | None = None) -> np.ndarray:
        """The selected columns as an (n,) array (one column) or (n, d) array (numeric columns).

        ``rows`` (a boolean mask) keeps only those rows. A missing value in the selection is refused
        with its column and row.
        """
        names = self.resolve(spec, what)
        for c in names:
            if c in self.unusable:
                raise InputError(f"{what}: {self.unusable[c]}")
            gaps = self.missing.get(c)
            if gaps is not None and rows is not None:
                gaps = gaps & rows
            if gaps is not None and gaps.any():
                where = np.flatnonzero(gaps)
                raise InputError(
                    f"{what}: column {c!r} of {self.source} has {where.size} missing value(s) (first at "
                    f"{self._row(int(where[0]))}); missing values are not data. Fill or remove them, or pass --dropna "
                    "to drop every row with a missing value in the selected columns."
                )
        cols = [self.columns[c] if rows is None else self.columns[c][rows] for c in names]
        if len(cols) == 1:
            return cols[0]
        if any(c.dtype.kind not in "biuf" for c in cols):
            text = [c for c, arr in zip(names, cols, strict=True) if arr.dtype.kind not in "biuf"]
            raise InputError(
                f"{what}: column(s) {text[:5]} are not numeric; several columns form one numeric feature matrix. "
                "Select a single text column (a categorical modality), or numeric ones."
            )
        return np.column_stack(cols)


_MISSING_SET = frozenset(("", *MISSING))


def _is_number(v: str) -> bool:
    if "_" in v:  # float() reads "1_0" as 10: a label, not a number
        return False
    try:
        float(v)
    except ValueError:
        return False
    return True


def _csv_rows(path: Path):
    """(reader, header, rows): the file's dialect sniffed, ``rows`` yields (line, fields) lazily.

    NUL bytes are refused with their line (Python's csv module would keep them inside values, which
    turns a numeric column into text categories).
    """
    fh = path.open(newline="", encoding="utf-8-sig")  # -sig: Excel's BOM is not part of the first name
    sample = fh.read(4096)
    fh.seek(0)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel

    def lines():
        for number, line in enumerate(fh, start=1):
            if "\0" in line:
                raise InputError(f"{path}: line {number} contains a NUL byte; expected text. Is it a binary file?")
            yield line

    reader = csv.reader(lines(), dialect)
    return fh, reader


def _read_csv(path: Path) -> Table:
    """Stream the file twice: first to type each column (numeric when every present value parses as a
    number), then to fill compact arrays — about 9 bytes per numeric value and 5 per text value plus
    each distinct text once, instead of a list of Python strings per row (16x the file size)."""
    fh, reader = _csv_rows(path)
    with fh:
        header = next(reader, None)
        if header is None:
            raise InputError(f"{path} is empty; expected a header line of column names and one row per sample.")
        if len(set(header)) != len(header):
            raise InputError(f"{path}: the header repeats column names; expected unique names.")
        width = len(header)
        numeric = [True] * width
        n_rows = 0
        for row in reader:
            if not row:
                continue
            if len(row) != width:
                raise InputError(f"{path}: line {reader.line_num} has a different number of fields than the header "
                                 f"({width}).")
            n_rows += 1
            for j, v in enumerate(row):
                if numeric[j] and v.strip().lower() not in _MISSING_SET and not _is_number(v):
                    numeric[j] = False
    values = [np.empty(n_rows) if num else np.empty(n_rows, dtype=np.int32) for num in numeric]
    gaps = [np.zeros(n_rows, dtype=bool) for _ in range(width)]
    lines = np.empty(n_rows, dtype=np.int64)
    levels: list[dict[str, int]] = [{} for _ in range(width)]
    fh, reader = _csv_rows(path)
    with fh:
        next(reader)
        i = 0
        for row in reader:
            if not row:
                continue
            if i >= n_rows or len(row) != width:
                raise InputError(f"{path} changed while it was read; read it again.")
            lines[i] = reader.line_num
            for j, v in enumerate(row):
                missing = v.strip().lower() in _MISSING_SET
                gaps[j][i] = missing
                if numeric[j]:
                    values[j][i] = np.nan if missing else float(v)
                else:
                    values[j][i] = levels[j].setdefault(v, len(levels[j]))
            i += 1
    if i != n_rows:
        raise InputError(f"{path} changed while it was read; read it again.")
    cols = {}
    for j, name in enumerate(header):
        arr = values[j]
        if numeric[j]:
            present = arr[~gaps[j]]
            if not gaps[j].any() and np.all(np.isfinite(present)) and np.all(present == np.round(present)) \
                    and np.abs(present).max(initial=0) < 2**53:
                arr = arr.astype(np.int64)
        else:
            arr = np.asarray(list(levels[j]))[arr] if n_rows else np.asarray([], dtype=str)
        cols[name] = arr
    return Table(cols, {}, str(path), dict(zip(header, gaps, strict=True)), lines=lines)


def _read_parquet(path: Path) -> Table:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise MissingDependencyError(
            f"reading {path} needs pyarrow, which is not installed: pip install pyarrow (or convert the file to CSV)."
        ) from exc
    names = pq.read_schema(path).names
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise InputError(f"{path}: the columns {twice} appear more than once; expected unique names.")
    table = pq.read_table(path)
    cols, missing, unusable = {}, {}, {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        kind = col.type
        if pa.types.is_dictionary(kind):
            col = col.cast(kind.value_type)
            kind = col.type
        if pa.types.is_nested(kind):  # refused when selected, not when merely present
            unusable[name] = (f"column {name!r} of {path} holds {kind} values (several per row); expected one number "
                              "or label per row. Expand it into one column per element first.")
            cols[name] = np.zeros(len(col), dtype=np.int8)
            missing[name] = np.zeros(len(col), dtype=bool)
            continue
        gaps = col.is_null().to_numpy(zero_copy_only=False).astype(bool)
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind) \
                or pa.types.is_decimal(kind):
            arr = col.to_numpy(zero_copy_only=False)
            if gaps.any() or arr.dtype.kind not in "biuf":
                arr = np.where(gaps, np.nan, np.where(gaps, 0, arr).astype(np.float64))
            elif arr.dtype.kind == "b":
                arr = arr.astype(np.int64)
            if arr.dtype.kind == "f":
                gaps |= np.isnan(arr)
        else:
            text = col.cast(pa.string()).fill_null("")
            arr = np.asarray(text.to_numpy(zero_copy_only=False), dtype=str)
        cols[name] = arr
        missing[name] = gaps
    table = Table(cols, {}, str(path), missing)
    table.unusable = unusable
    return table


def _blocks_from_arrays(arrays: dict[str, np.ndarray], source: str) -> Table:
    cols, blocks = {}, {}
    for key, arr in arrays.items():
        arr = np.asarray(arr)
        if arr.ndim == 1:
            cols[key] = arr
        elif arr.ndim == 2:
            names = [f"{key}[{j}]" for j in range(arr.shape[1])]
            cols.update({n: arr[:, j] for j, n in enumerate(names)})
            blocks[key] = names
        else:
            raise InputError(f"{source}: array {key!r} has {arr.ndim} dimensions; expected 1-D columns or 2-D blocks.")
    return Table(cols, blocks, source)


#: Largest array a ``.npy`` / ``.npz`` member may declare (its header is read before any allocation).
MAX_ARRAY_BYTES = 8 * 2**30


def _check_npy_header(fh: Any, source: str, file_size: int | None) -> None:
    """Read a .npy header and refuse an array that is too large, of Python objects, or larger than
    the bytes the file holds after its header (``file_size``, when known)."""
    fmt = np.lib.format
    version = fmt.read_magic(fh)
    if version == (1, 0):
        shape, _, dtype = fmt.read_array_header_1_0(fh)
    elif version == (2, 0):
        shape, _, dtype = fmt.read_array_header_2_0(fh)
    else:  # version 3.0 (utf-8 field names) has no public reader
        shape, _, dtype = fmt._read_array_header(fh, version)
    if dtype.hasobject:
        raise InputError(f"{source} holds Python objects (dtype {dtype}); expected numbers or text. Save it with a "
                         "numeric dtype.")
    size = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if size > MAX_ARRAY_BYTES:
        raise InputError(f"{source} declares an array of shape {shape} ({size / 2**30:,.1f} GiB), more than "
                         f"{MAX_ARRAY_BYTES / 2**30:.0f} GiB; refusing to load it.")
    if file_size is not None and size > file_size - fh.tell():
        raise InputError(f"{source} declares {size:,} bytes of data but holds {file_size - fh.tell():,}: the file is "
                         "truncated or damaged.")


def _load_npy(p: Path) -> np.ndarray:
    with p.open("rb") as fh:
        _check_npy_header(fh, str(p), p.stat().st_size)
    return np.load(p, allow_pickle=False)


def _load_npz(p: Path) -> dict[str, np.ndarray]:
    with zipfile.ZipFile(p) as zf:
        for info in zf.infolist():
            if info.file_size > MAX_ARRAY_BYTES + 2**20:
                raise InputError(f"{p}: member {info.filename!r} unpacks to {info.file_size / 2**30:,.1f} GiB, more "
                                 f"than {MAX_ARRAY_BYTES / 2**30:.0f} GiB; refusing to load it.")
            with zf.open(info) as fh:
                _check_npy_header(fh, f"{p}:{info.filename}", info.file_size)
    with np.load(p, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def read_table(path: str | Path) -> Table:
    """Read a CSV (header line; comma, semicolon or tab separated), Parquet, ``.npz`` or ``.npy`` file.

    Unreadable, damaged or oversized files raise :class:`~pidkit.exceptions.InputError` naming the
    file and what is wrong (never a bare decoding, zip or NumPy error).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"no file {p}; expected a .csv, .parquet, .npz or .npy file.")
    return _guarded(p, _read_table)


def _guarded(p: Path, read: Any) -> Any:
    """``read(p)``, with the failures of damaged or unreadable files turned into one-line InputErrors."""
    try:
        return read(p)
    except InputError:
        raise
    except MissingDependencyError:
        raise
    except UnicodeDecodeError as exc:
        raise InputError(f"{p} is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 CSV.") from None
    except csv.Error as exc:
        raise InputError(f"{p} is not a readable CSV ({exc}).") from None
    except PermissionError:
        raise InputError(f"{p} cannot be read (permission denied).") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:  # damaged .npy / .npz / Parquet
        first = (str(exc).strip().splitlines() or [""])[0]  # pyarrow's messages run over several lines
        raise InputError(f"{p} could not be read as {p.suffix or 'a data file'}: {type(exc).__name__}: {first}"[:400]
                         + ". Check the file.") from None


def _read_table(p: Path) -> Table:
    suffix = p.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return _read_csv(p)
    if suffix in (".parquet", ".pq"):
        return _read_parquet(p)
    if suffix == ".npz":
        return _blocks_from_arrays(_load_npz(p), str(p))
    if suffix == ".npy":
        arr = _load_npy(p)
        if arr.ndim == 1:
            return Table({"0": arr}, {}, str(p))
        if arr.ndim == 2:  # columns named by position
            return Table({str(j): arr[:, j] for j in range(arr.shape[1])}, {}, str(p))
        raise InputError(f"{p}: a .npy of data must be 1-D or 2-D (one row per sample); got shape {arr.shape}.")
    raise InputError(f"{p}: unknown file type {suffix!r}; expected .csv, .parquet, .npz or .npy.")


def read_count_table(path: str | Path) -> np.ndarray:
    """A joint table (|X1|, |X2|, |Y|) of probabilities or counts from ``.npy`` (or the one array of an ``.npz``).

    Damaged, hostile or oversized files get the same one-line InputErrors as :func:`read_table`.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"no file {p}; expected a .npy holding a 3-D table.")
    suffix = p.suffix.lower()
    if suffix not in (".npy", ".npz"):
        raise InputError(f"{p}: expected a .npy (or single-array .npz) holding a table of shape (|X1|, |X2|, |Y|).")
    if suffix == ".npy":
        return _guarded(p, _load_npy)
    arrays = _guarded(p, _load_npz)
    if len(arrays) != 1:
        raise InputError(f"{p} holds {len(arrays)} arrays ({list(arrays)}); expected exactly one 3-D table.")
    return next(iter(arrays.values()))
