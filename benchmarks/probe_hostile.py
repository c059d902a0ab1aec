"""Hostile-input probe: throw malformed, extreme and adversarial inputs at pidkit and count how each case ends.

    python benchmarks/probe_hostile.py                       # every area (about 2.5 minutes on 2 cores)
    python benchmarks/probe_hostile.py --area cli_csv        # one area
    python benchmarks/probe_hostile.py --json probe.json     # also write every case's outcome as JSON
    python benchmarks/probe_hostile.py --list                # the areas and their cases, without running them

Every input is generated here (a temporary directory, fixed seeds; nothing is downloaded), so two runs
probe the same inputs.

A case PASSES when
* an API call raises a :class:`pidkit.exceptions.PIDKitError` subclass — or, for a case marked
  ``[valid input]`` (or ``[either]``: refusing and answering are both acceptable), returns a
  result whose numbers are finite and that prints, serializes and round-trips without error (a
  ``[valid input]`` refused with a pidkit error still passes, marked "refused valid input");
* a command-line call (``.venv/bin/pidkit``, run with ``--quiet``) exits with status 2 (input) or 1
  (computation) and prints exactly one non-empty line on stderr without "Traceback" (an argparse
  usage error counts if it exits with 2 without a traceback) — or, for a valid input, exits with 0
  and prints a result whose atoms are finite.

It FAILS on a foreign exception type (TypeError, ValueError, KeyError, AttributeError, MemoryError,
RecursionError, ...), a traceback, a silent number where an error is expected, non-finite numbers, a
hang beyond the per-case timeout (60 s; ``cli_options/json_fifo`` spends it when ``--json`` blocks on
a named pipe) or a crash. Exit status: 0 when every case passes, 1 otherwise.

How it runs: each area runs in a worker subprocess of this script (``--worker``) that reports each case
as one JSON line; a worker that crashes or stops answering is killed, the case it was on is recorded as a
crash / hang, and a fresh worker resumes at the next case. API calls in a worker are also bounded by
SIGALRM. The ``memory`` area's worker runs under a 2 GiB address-space limit (RLIMIT_AS), so a table
that is allocated instead of refused ends in a MemoryError, not in a swapping machine; every CLI
subprocess runs under a 6 GiB limit as a safety net.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PIDKIT = str(ROOT / ".venv" / "bin" / "pidkit")
PYTHON = sys.executable

AREAS = ("cli_csv", "cli_binary", "cli_options", "decompose", "estimate", "result_json", "api_misc", "measures",
         "memory")
AREA_HELP = {
    "cli_csv": "CSV files through `pidkit estimate/select/bounds` (gaps, BOM, NUL, encodings, ragged, separators)",
    "cli_binary": "Parquet / .npy / .npz files through `pidkit estimate/decompose` (nulls, nested, damaged, huge)",
    "cli_options": "bad output paths (--json/--plot) and bad numbers (--n-boot/--ci/--bins/...)",
    "decompose": "pid.decompose / decompose_many with bad tables and options",
    "estimate": "pid.estimate with bad samples and options",
    "result_json": "PIDResult.from_json / from_dict with tampered JSON",
    "api_misc": "select_models, agreement, pairwise(...).top(k), Discretizer parameters",
    "measures": "other measures and lattices: decompose(measure=), estimate([x1, x2, x3], y), compare_measures, "
                "LatticePIDResult JSON, pidkit --measure / --x3",
    "memory": "tables whose float64 form is huge, under a 2 GiB RLIMIT_AS",
}
CASE_TIMEOUT = 60.0
CLI_RLIMIT_AS = 6 * 2**30
MEMORY_RLIMIT_AS = 2 * 2**30
SEED = 20240611
ERROR, VALID, EITHER = "error", "valid", "either"
TAG = {ERROR: "", VALID: " [valid input]", EITHER: " [either]"}


def short(text: Any, n: int = 160) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= n else s[: n - 3] + "..."


class Case:
    """One hostile input: ``run()`` returns ``(passed, what happened)``."""

    def __init__(self, name: str, run: Callable[[], tuple[bool, str]], expect: str, desc: str):
        self.name, self.run, self.expect, self.desc = name, run, expect, desc


# ---------------------------------------------------------------------------------------------- outcomes
#: What is done with a returned object before it counts: [(label, function of the object), ...].
Post = list[tuple[str, Callable[[Any], Any]]] | None
USE_RESULT = [
    ("str(result)", str),
    ("result.to_json()", lambda r: r.to_json()),
    ("from_json(to_json()) round trip", lambda r: type(r).from_json(r.to_json())),
]


class _Timeout(BaseException):
    """Raised by SIGALRM in a worker when an API call runs past the per-case timeout."""


def _alarm(signum, frame):  # pragma: no cover - signal handler
    raise _Timeout()


def _finite_numbers(obj: Any) -> tuple[bool, str]:
    """Whether the numbers a returned object reports are finite, and a short summary of them."""
    import pidkit as pid
    from pidkit.estimators import PIDResultStack

    if isinstance(obj, pid.PIDResult):
        vals = {k: getattr(obj, k) for k in ("R", "U1", "U2", "S", "total", "I1", "I2")}
        ok = all(isinstance(v, (int, float)) and math.isfinite(v) for v in vals.values())
        return ok, "PIDResult " + " ".join(f"{k}={v:.4g}" for k, v in vals.items() if k in ("R", "U1", "U2", "S"))
    if isinstance(obj, PIDResultStack):
        arrs = [np.asarray(getattr(obj, k), dtype=float) for k in ("R", "U1", "U2", "S", "total", "I1", "I2")]
        ok = all(np.all(np.isfinite(a)) for a in arrs)
        return ok, f"PIDResultStack of {len(obj)} tables, S={np.round(arrs[3][:4], 4).tolist()}"
    if isinstance(obj, pid.Agreement):
        vals = [obj.total, obj.similarity, *obj.alpha.values()]
        ok = all(math.isfinite(float(v)) for v in vals)
        return ok, f"Agreement alpha={obj.total:.4g} similarity={obj.similarity:.4g}"
    if isinstance(obj, pid.ModelSelection):
        return True, f"ModelSelection recommended={obj.recommended!r}"
    if isinstance(obj, pid.Discretizer):
        return True, "a fitted Discretizer"
    if isinstance(obj, (list, tuple)):
        nums = [v for item in obj for v in (item if isinstance(item, tuple) else (item,)) if isinstance(v, float)]
        return all(math.isfinite(v) for v in nums), f"{type(obj).__name__} of {len(obj)}: {short(obj, 80)}"
    if isinstance(obj, np.ndarray):
        ok = obj.dtype.kind not in "fc" or bool(np.all(np.isfinite(obj)))
        return ok, f"array {obj.dtype} {obj.shape}"
    if hasattr(obj, "to_dict"):
        return True, f"{type(obj).__name__}"
    return True, f"{type(obj).__name__}: {short(repr(obj), 80)}"


def _where(exc: BaseException) -> str:
    """Where an exception came from: the innermost pidkit frame, and the innermost frame if it is elsewhere."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f"{os.sep}pidkit{os.sep}" in f.filename]
    spots = [f for f in (ours[-1] if ours else None, frames[-1] if frames else None) if f is not None]
    names = list(dict.fromkeys(f"{Path(f.filename).parent.name}/{Path(f.filename).name}:{f.lineno}" for f in spots))
    return "at " + " -> ".join(names) if names else "no traceback"


def run_api(fn: Callable[[], Any], expect: str, post: Post = None) -> tuple[bool, str]:
    """Call ``fn`` and classify how it ended (see the module docstring)."""
    from pidkit.exceptions import PIDKitError

    caught: list = []
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, CASE_TIMEOUT)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = fn()
            for label, use in post or ():  # use what came back the way a caller would (print it, serialize it)
                try:
                    use(out)
                except PIDKitError as exc:
                    return True, f"accepted, then {label} raised {type(exc).__name__}: {exc}"
                except _Timeout:
                    raise
                except Exception as exc:  # noqa: BLE001 - the point of the probe
                    return False, (
                        f"accepted without error, then {label} raised foreign {type(exc).__name__}: {exc} "
                        f"({_where(exc)})"
                    )
    except _Timeout:
        return False, f"hang: no answer within {CASE_TIMEOUT:.0f} s"
    except PIDKitError as exc:
        return True, f"{'refused valid input: ' if expect == VALID else ''}{type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - the point of the probe
        return False, f"foreign {type(exc).__name__}: {exc} ({_where(exc)})"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    ok, summary = _finite_numbers(out)
    nwarn = f" (+{len(caught)} warning(s))" if caught else ""
    if expect == ERROR:
        return False, f"no error: returned {summary}{nwarn}"
    if not ok:
        return False, f"returned non-finite numbers: {summary}{nwarn}"
    return True, f"{'valid input: ' if expect == VALID else 'accepted: '}returned {summary}{nwarn}"


def api_case(name: str, fn: Callable[[], Any], expect: str = ERROR, desc: str = "", post: Post = None) -> Case:
    return Case(name, lambda: run_api(fn, expect, post), expect, desc or name)


def _limit_as(nbytes: int):
    def apply():  # runs in the child between fork and exec
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (nbytes, nbytes))

    return apply


def _cli_env() -> dict:
    env = dict(os.environ)
    env.update(
        OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", PIDKIT_NUM_THREADS="1", MPLBACKEND="Agg", PYTHONWARNINGS="ignore"
    )
    return env


def _json_finite(stdout: str) -> tuple[bool, str]:
    """The atoms of a ``--json`` printout: finite? (a select printout has no atoms; its recommendation is shown)."""
    try:
        d = json.loads(stdout)
    except ValueError:
        return False, f"exit 0 but stdout is not JSON: {short(stdout, 80)!r}"
    if "recommended" in d:
        return True, f"recommended={d['recommended']!r}"
    atoms = {k: d.get(k) for k in ("R", "U1", "U2", "S") if k in d}
    if not atoms and isinstance(d.get("exact"), dict):
        atoms = {k: d["exact"].get(k) for k in ("R", "U1", "U2") if k in d["exact"]}
    if not atoms:
        return True, f"JSON with keys {sorted(d)[:8]}"
    ok = all(isinstance(v, (int, float)) and math.isfinite(v) for v in atoms.values())
    return ok, " ".join(f"{k}={v:.4g}" if isinstance(v, (int, float)) else f"{k}={v!r}" for k, v in atoms.items())


def run_cli(
    argv: list[str], expect: str, cwd: Path, check_file: Path | None = None, timeout: float = CASE_TIMEOUT
) -> tuple[bool, str]:
    """Run ``pidkit ARGV --quiet`` and classify how it ended."""
    cmd = [PIDKIT, *argv]
    if argv and argv[0] in ("estimate", "decompose", "bounds", "select") and "--quiet" not in argv:
        cmd.append("--quiet")
    try:
        p = subprocess.run(
            cmd,
            capture_output=True,
            timeout=timeout,
            cwd=cwd,
            env=_cli_env(),
            preexec_fn=_limit_as(CLI_RLIMIT_AS),
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return False, f"hang: still running after {timeout:.0f} s (killed)"
    err = p.stderr.decode("utf-8", "replace").replace(str(cwd.parent), "<tmp>")
    out = p.stdout.decode("utf-8", "replace")
    lines = [ln for ln in err.splitlines() if ln.strip()]
    if p.returncode < 0:
        return False, f"crash: killed by signal {-p.returncode}; stderr: {short(err[-300:], 100)}"
    if "Traceback" in err:
        last = lines[-1] if lines else ""
        ours = re.findall(r'File "[^"]*?[/\\](pidkit[/\\][^"]+)", line (\d+)', err)
        where = f" (at {ours[-1][0]}:{ours[-1][1]})" if ours else ""
        return False, f"traceback (exit {p.returncode}): {last}{where}"
    if p.returncode == 2 and lines and lines[0].startswith("usage: pidkit") and ": error: " in lines[-1]:
        return True, f"exit 2 (argparse usage error): {lines[-1]}"
    if p.returncode in (1, 2):
        if len(lines) != 1:
            return False, f"exit {p.returncode} with {len(lines)} stderr lines: {short(' | '.join(lines), 140)}"
        return True, f"{'refused valid input: ' if expect == VALID else ''}exit {p.returncode}: {lines[0]}"
    if p.returncode != 0:
        return False, f"exit {p.returncode}: {short(err, 120)}"
    if expect == ERROR:
        return False, f"no error: exit 0, stdout {short(out, 100)!r}"
    if check_file is not None:
        if not check_file.is_file():
            return False, f"exit 0 but {check_file.name} was not written"
        out = check_file.read_text() if check_file.suffix == ".json" else "{}"
    ok, summary = _json_finite(out) if out.strip().startswith("{") else (True, short(out, 80))
    if not ok:
        return False, f"exit 0 with non-finite result: {summary}"
    return True, f"{'valid input: ' if expect == VALID else 'accepted: '}exit 0, {summary}"


# ----------------------------------------------------------------------------------------- test data
def base_frame(n: int = 240, seed: int = SEED) -> dict[str, np.ndarray]:
    """A small, valid dataset: two 3-state modalities, two continuous columns, a text column, a binary label."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 3, n)
    b = rng.integers(0, 3, n)
    noise = rng.random(n) < 0.1
    y = ((a + b) % 2) ^ noise
    c = np.round(a + rng.normal(0, 0.7, n), 4)
    d = np.round(b + rng.normal(0, 0.7, n), 4)
    t = np.array(["red", "green", "blue"])[rng.integers(0, 3, n)]
    return {"a": a, "b": b, "c": c, "d": d, "t": t, "y": y.astype(int)}


def csv_text(cols: dict[str, np.ndarray], sep: str = ",", names: list[str] | None = None) -> str:
    names = names or list(cols)
    lines = [sep.join(names)]
    for i in range(len(next(iter(cols.values())))):
        lines.append(sep.join(str(cols[k][i]) for k in cols))
    return "\n".join(lines) + "\n"


def with_cell(cols: dict[str, np.ndarray], col: str, row: int, value: str) -> dict[str, np.ndarray]:
    out = {k: v.astype(object) for k, v in cols.items()}
    out[col][row] = value
    return out


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def est_argv(path: Path | str, x1: str = "a", x2: str = "b", y: str = "y", *extra: str) -> list[str]:
    return ["estimate", str(path), "--x1", x1, "--x2", x2, "--y", y, "--json", *extra]


def npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    return buf.getvalue()


def npy_header_only(shape: tuple, descr: str = "<f8", payload: bytes = b"\0" * 64) -> bytes:
    """A .npy whose header declares ``shape`` but which holds only ``payload`` after it."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue() + payload  # write_array_header_1_0 writes the magic string too


def npz_bytes(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for key, arr in arrays.items():
            zf.writestr(f"{key}.npy", npy_bytes(arr))
    return buf.getvalue()


def xor_table() -> np.ndarray:
    p = np.zeros((2, 2, 2))
    for i in range(2):
        for j in range(2):
            p[i, j, i ^ j] = 0.25
    return p


# ----------------------------------------------------------------------------------------- area: cli_csv
def cases_cli_csv(tmp: Path) -> list[Case]:
    d = tmp / "cli_csv"
    base = base_frame()
    good = csv_text(base)
    rng = np.random.default_rng(SEED + 1)
    cases: list[Case] = []

    def add(name, data, argv_fn, expect=ERROR, desc="", suffix=".csv"):
        def run():
            path = write(d / f"{name}{suffix}", data) if data is not None else d / f"{name}{suffix}"
            return run_cli(argv_fn(path), expect, d)

        cases.append(Case(name, run, expect, desc or name))

    est = lambda x1="a", x2="b", y="y", *extra: lambda p: est_argv(p, x1, x2, y, *extra)  # noqa: E731
    add(
        "empty_cell",
        csv_text(with_cell(base, "a", 5, "")),
        est(),
        desc="estimate: x1 column 'a' has an empty field on data row 6",
    )
    add("NA_cell", csv_text(with_cell(base, "b", 17, "NA")), est(), desc="estimate: x2 column 'b' holds 'NA' on row 18")
    add(
        "NaN_cell_float",
        csv_text(with_cell(base, "c", 3, "NaN")),
        est("c", "d"),
        desc="estimate --x1 c --x2 d: continuous column 'c' holds 'NaN'",
    )
    add("null_label", csv_text(with_cell(base, "y", 40, "null")), est(), desc="estimate: label column 'y' holds 'null'")
    add(
        "hash_NA_label",
        csv_text(with_cell(base, "y", 0, "#N/A")),
        est(),
        desc="estimate: label 'y' holds Excel's '#N/A'",
    )
    add(
        "inf_cell",
        csv_text(with_cell(base, "c", 9, "inf")),
        est("c", "d"),
        desc="estimate --x1 c: column 'c' holds 'inf'",
    )
    add(
        "overflow_1e999",
        csv_text(with_cell(base, "d", 2, "1e999")),
        est("c", "d"),
        desc="estimate --x2 d: column 'd' holds '1e999' (parses to +inf)",
    )
    add(
        "utf8_bom",
        ("\ufeff" + good).encode("utf-8"),
        est(),
        VALID,
        desc="estimate: UTF-8 BOM before the header; --x1 a names the first column",
    )
    add("nul_byte", good.replace("\n1,", "\n1\0,", 1).encode(), est(), desc="estimate: a NUL byte inside a data field")
    add(
        "latin1_bytes",
        good.encode().replace(b"red", b"r\xe9d", 3),
        est(x1="t"),
        desc="estimate --x1 t: Latin-1 byte 0xE9 in text values (not UTF-8)",
    )
    lines = good.splitlines()
    add(
        "ragged_long",
        "\n".join(lines[:8] + [lines[8] + ",7"] + lines[9:]) + "\n",
        est(),
        desc="estimate: data line 9 has one field more than the header",
    )
    add(
        "ragged_short",
        "\n".join(lines[:8] + [lines[8].rsplit(",", 1)[0]] + lines[9:]) + "\n",
        est(),
        desc="estimate: data line 9 has one field fewer than the header",
    )
    add("duplicate_header", good.replace("a,b,c", "a,b,a", 1), est(), desc="estimate: header 'a,b,a,d,t,y'")
    add("header_only", lines[0] + "\n", est(), desc="estimate: header line, no data rows")
    add("empty_file", b"", est(), desc="estimate: a 0-byte .csv")
    huge = with_cell(base, "t", 4, "x" * 300_000)
    add(
        "huge_field_unselected",
        csv_text(huge),
        est(),
        EITHER,
        desc="estimate --x1 a --x2 b: a 300,000-character field in the unselected column 't'",
    )
    quoted = {k: v.astype(object) for k, v in base.items()}
    quoted["y"] = np.where(base["y"] == 1, '"one\nline"', '"zero, or\nnone"')
    add(
        "quoted_newline_labels",
        csv_text(quoted),
        est(),
        VALID,
        desc="estimate: label values are quoted and hold newlines/commas",
    )
    add("semicolon_sep", csv_text(base, sep=";"), est(), VALID, desc="estimate: ';'-separated file")
    add("tab_sep", csv_text(base, sep="\t"), est(), VALID, desc="estimate: tab-separated .tsv", suffix=".tsv")
    add("cr_only_newlines", good.replace("\n", "\r"), est(), EITHER, desc="estimate: classic-Mac '\\r' line ends")
    add("utf16_file", good.encode("utf-16"), est(), desc="estimate: the file saved as UTF-16 (with its BOM)")
    add(
        "plus_nan_cell",
        csv_text(with_cell(base, "c", 12, "+nan")),
        est("c", "d"),
        desc="estimate --x1 c: column 'c' holds '+nan' (float() reads NaN; not in the missing-value list)",
    )
    add(
        "underscore_numbers",
        csv_text(with_cell(base, "y", 1, "1_0")),
        est(),
        EITHER,
        desc="estimate: label 'y' holds '1_0' (Python's float() reads it as 10)",
    )
    add("text_in_feature_block", good, est("a,t"), desc="estimate --x1 a,t: a text column in a multi-column modality")
    add("missing_column", good, est("zzz"), desc="estimate --x1 zzz: no such column")
    add(
        "binary_garbage",
        rng.integers(0, 256, 4096, dtype=np.uint8).tobytes(),
        est(),
        desc="estimate: 4 KiB of random bytes named .csv",
    )
    gaps = with_cell(base, "a", 0, "")
    for i in range(len(base["a"])):
        gaps["a"][i] = ""
    add(
        "dropna_every_row",
        csv_text(gaps),
        lambda p: est_argv(p, "a", "b", "y", "--dropna"),
        desc="estimate --dropna: every row of 'a' is empty",
    )
    cont = dict(base)
    cont["y"] = np.round(rng.normal(size=len(base["a"])), 5)
    # a continuous float label beside numeric modalities goes to the copula estimator under "auto" (and says so);
    # the discretized path refuses it
    add("continuous_label", csv_text(cont), est(), expect=VALID,
        desc="estimate: label 'y' is a continuous float column (auto: the copula PID)")
    add("continuous_label_cvx", csv_text(cont), est("a", "b", "y", "--estimator", "cvx"),
        desc="estimate --estimator cvx: label 'y' is a continuous float column")
    add("directory_as_file", None, lambda p: est_argv(d, "a", "b", "y"), desc="estimate on a directory path")
    add("nonexistent_file", None, est(), desc="estimate on a path that does not exist")
    return cases


# -------------------------------------------------------------------------------------- area: cli_binary
def _parquet(path: Path, table) -> None:
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def cases_cli_binary(tmp: Path) -> list[Case]:
    import pyarrow as pa

    d = tmp / "cli_binary"
    base = base_frame()
    n = len(base["a"])
    cases: list[Case] = []

    def pq_case(name, make_table, x1="a", x2="b", y="y", expect=ERROR, desc=""):
        def run():
            path = d / f"{name}.parquet"
            _parquet(path, make_table())
            return run_cli(est_argv(path, x1, x2, y), expect, d)

        cases.append(Case(name, run, expect, desc))

    def arrays(**over):
        cols = {k: pa.array(v) for k, v in base.items()}
        cols.update(over)
        return pa.table(cols)

    a_null = [None if i == 7 else int(v) for i, v in enumerate(base["a"])]
    pq_case(
        "pq_null_int", lambda: arrays(a=pa.array(a_null, pa.int64())), desc="parquet: int column 'a' (x1) has a null"
    )
    y_text = ["pos" if v else "neg" for v in base["y"]]
    y_null = [None if i == 3 else v for i, v in enumerate(y_text)]
    pq_case("pq_null_label", lambda: arrays(y=pa.array(y_null, pa.string())), desc="parquet: string label with a null")
    c_nan = base["c"].copy()
    c_nan[11] = np.nan
    pq_case(
        "pq_nan_float",
        lambda: arrays(c=pa.array(c_nan)),
        "c",
        "d",
        desc="parquet: float column 'c' holds NaN (not null)",
    )
    lists = pa.array([[int(v), 1] for v in base["a"]], pa.list_(pa.int64()))
    pq_case("pq_list_selected", lambda: arrays(a=lists), desc="parquet: x1 'a' is a list<int64> column")
    pq_case(
        "pq_list_unselected",
        lambda: arrays(l=lists),
        expect=VALID,
        desc="parquet: an unselected list<int64> column 'l' beside valid a, b, y",
    )
    struct = pa.array([{"u": int(v), "v": 1.0} for v in base["a"]])
    pq_case("pq_struct_selected", lambda: arrays(a=struct), desc="parquet: x1 'a' is a struct column")
    pq_case(
        "pq_dictionary",
        lambda: arrays(t=pa.array(base["t"]).dictionary_encode()),
        "t",
        "b",
        expect=VALID,
        desc="parquet: x1 't' is a dictionary-encoded string column",
    )
    pq_case(
        "pq_bool_label", lambda: arrays(y=pa.array(base["y"].astype(bool))), expect=VALID, desc="parquet: bool label"
    )
    yb = [None if i == 5 else bool(v) for i, v in enumerate(base["y"])]
    pq_case("pq_bool_label_null", lambda: arrays(y=pa.array(yb, pa.bool_())), desc="parquet: bool label with a null")
    pq_case(
        "pq_all_null_column", lambda: arrays(a=pa.nulls(n)), desc="parquet: x1 'a' is an all-null (type null) column"
    )
    pq_case(
        "pq_duplicate_names",
        lambda: pa.Table.from_arrays(
            [pa.array(base["a"]), pa.array(base["b"]), pa.array(base["b"] * 0 + 1), pa.array(base["y"])],
            names=["a", "b", "b", "y"],
        ),
        desc="parquet: two columns named 'b' (the second constant); --x2 b is ambiguous",
    )

    def damaged():
        good = d / "good_for_damage.parquet"
        _parquet(good, arrays())
        raw = good.read_bytes()
        return raw[: len(raw) // 2]

    def file_case(name, make_bytes, suffix, argv_fn, expect=ERROR, desc=""):
        def run():
            path = write(d / f"{name}{suffix}", make_bytes())
            return run_cli(argv_fn(path), expect, d)

        cases.append(Case(name, run, expect, desc))

    file_case(
        "pq_truncated", damaged, ".parquet", lambda p: est_argv(p), desc="parquet: the first half of a valid file"
    )
    mat = np.column_stack([base["a"], base["b"], base["y"]])
    file_case(
        "npy_valid_control",
        lambda: npy_bytes(mat),
        ".npy",
        lambda p: est_argv(p, "0", "1", "2"),
        VALID,
        desc="npy: (240, 3) int array, columns 0 1 2",
    )
    file_case(
        "npy_truncated",
        lambda: npy_bytes(mat)[:-100],
        ".npy",
        lambda p: est_argv(p, "0", "1", "2"),
        desc="npy: valid file minus its last 100 bytes",
    )
    obj = np.empty((n, 3), dtype=object)
    obj[:] = mat
    file_case(
        "npy_object",
        lambda: npy_bytes(obj),
        ".npy",
        lambda p: est_argv(p, "0", "1", "2"),
        desc="npy: dtype=object (pickled)",
    )
    file_case(
        "npy_3d",
        lambda: npy_bytes(np.zeros((10, 3, 2))),
        ".npy",
        lambda p: est_argv(p, "0", "1", "2"),
        desc="npy: 3-D data array",
    )
    file_case(
        "npy_empty",
        lambda: npy_bytes(np.zeros((0, 3))),
        ".npy",
        lambda p: est_argv(p, "0", "1", "2"),
        desc="npy: shape (0, 3)",
    )
    file_case(
        "npy_huge_header",
        lambda: npy_header_only((10**6, 10**6)),
        ".npy",
        lambda p: est_argv(p, "0", "1", "2"),
        desc="npy: header declares (1e6, 1e6) float64 (8 TB); 64 bytes of data",
    )
    mat_nan = mat.astype(float)
    mat_nan[4, 0] = np.nan
    file_case(
        "npy_nan", lambda: npy_bytes(mat_nan), ".npy", lambda p: est_argv(p, "0", "1", "2"), desc="npy: NaN in column 0"
    )
    file_case(
        "npz_truncated",
        lambda: npz_bytes(a=base["a"], b=base["b"], y=base["y"])[:-60],
        ".npz",
        lambda p: est_argv(p),
        desc="npz: valid archive minus its last 60 bytes (central directory)",
    )
    file_case(
        "npz_object_member",
        lambda: npz_bytes(a=base["a"].astype(object), b=base["b"], y=base["y"]),
        ".npz",
        lambda p: est_argv(p),
        desc="npz: member 'a' is dtype=object",
    )
    file_case("npz_no_members", lambda: npz_bytes(), ".npz", lambda p: est_argv(p), desc="npz: an empty archive")
    file_case(
        "npz_3d_member",
        lambda: npz_bytes(a=np.zeros((n, 2, 2)), b=base["b"], y=base["y"]),
        ".npz",
        lambda p: est_argv(p),
        desc="npz: member 'a' is 3-D",
    )
    # pidkit decompose reads a count table
    dec = lambda p: ["decompose", str(p), "--json"]  # noqa: E731
    file_case(
        "dec_npy_valid_control", lambda: npy_bytes(xor_table()), ".npy", dec, VALID, desc="decompose: the XOR table"
    )
    file_case(
        "dec_npy_truncated",
        lambda: npy_bytes(np.ones((4, 4, 3)))[:-40],
        ".npy",
        dec,
        desc="decompose: (4,4,3) table minus its last 40 bytes",
    )
    file_case(
        "dec_npy_object",
        lambda: npy_bytes(xor_table().astype(object)),
        ".npy",
        dec,
        desc="decompose: dtype=object table",
    )
    file_case("dec_npy_2d", lambda: npy_bytes(np.full((2, 2), 0.25)), ".npy", dec, desc="decompose: 2-D table")
    file_case("dec_npy_empty", lambda: npy_bytes(np.zeros((0, 2, 2))), ".npy", dec, desc="decompose: shape (0, 2, 2)")
    bad = xor_table()
    bad[0, 0, 0] = np.nan
    file_case("dec_npy_nan", lambda: npy_bytes(bad), ".npy", dec, desc="decompose: table with a NaN")
    file_case(
        "dec_npy_huge_header",
        lambda: npy_header_only((4000, 4000, 4000)),
        ".npy",
        dec,
        desc="decompose: header declares (4000,4000,4000) float64 (512 GB); 64 bytes of data",
    )
    file_case(
        "dec_npz_damaged",
        lambda: npz_bytes(p=xor_table())[:-60],
        ".npz",
        dec,
        desc="decompose: single-array .npz minus its last 60 bytes",
    )
    file_case(
        "dec_npy_str",
        lambda: npy_bytes(np.array([[["a", "b"], ["c", "d"]]] * 2)),
        ".npy",
        dec,
        desc="decompose: (2,2,2) table of strings",
    )
    return cases


# ------------------------------------------------------------------------------------- area: cli_options
def cases_cli_options(tmp: Path) -> list[Case]:
    d = tmp / "cli_options"
    d.mkdir(parents=True, exist_ok=True)
    base = base_frame()
    data = write(d / "data.csv", csv_text(base))
    table = d / "xor.npy"
    np.save(table, xor_table())
    cases: list[Case] = []

    def add(name, argv, expect=ERROR, desc="", setup=None, check_file=None):
        def run():
            if setup is not None:
                setup()
            return run_cli(argv, expect, d, check_file=check_file)

        cases.append(Case(name, run, expect, desc or " ".join(argv[2:])))

    def est(*extra, x1="a", x2="b"):
        out = ["estimate", str(data), "--x1", x1, "--x2", x2, "--y", "y", *extra]
        return out if "--json" in extra else [*out, "--json"]

    # output paths
    add(
        "json_missing_dir",
        est("--json", str(d / "nope" / "out.json")),
        desc="--json into a directory that does not exist",
    )
    add("json_is_directory", est("--json", str(d)), desc="--json naming an existing directory")
    add(
        "json_parent_is_file", est("--json", str(data / "out.json")), desc="--json data.csv/out.json (parent is a file)"
    )
    add("json_dev_full", est("--json", "/dev/full"), desc="--json /dev/full (every write fails with ENOSPC)")
    dangling = d / "dangling.json"

    def mk_dangling():
        if not dangling.is_symlink():
            os.symlink(d / "no_such_dir" / "x.json", dangling)

    add(
        "json_dangling_symlink",
        est("--json", str(dangling)),
        setup=mk_dangling,
        desc="--json dangling.json, a symlink to no_such_dir/x.json",
    )
    add(
        "json_name_too_long",
        est("--json", str(d / ("x" * 300 + ".json"))),
        desc="--json with a 305-character file name",
    )
    fifo = d / "fifo.json"

    def mk_fifo():
        if not fifo.exists():
            os.mkfifo(fifo)

    add(
        "json_fifo",
        est("--json", str(fifo)),
        setup=mk_fifo,
        desc="--json fifo.json, a named pipe nobody reads (open() blocks)",
    )
    add("plot_unknown_format", est("--plot", str(d / "fig.xyz")), desc="--plot fig.xyz")
    add("plot_missing_dir", est("--plot", str(d / "nope" / "fig.png")), desc="--plot into a missing directory")
    full_png = d / "full.png"

    def mk_full():
        if not full_png.is_symlink():
            os.symlink("/dev/full", full_png)

    add("plot_dev_full", est("--plot", str(full_png)), setup=mk_full, desc="--plot full.png, a symlink to /dev/full")
    add("plot_no_suffix", est("--plot", str(d / "figure")), desc="--plot without a file suffix")
    # numbers
    add("n_boot_zero", est("--ci", "0.95", "--n-boot", "0"), desc="--ci 0.95 --n-boot 0")
    add("n_boot_negative", est("--ci", "0.95", "--n-boot", "-5"), desc="--ci 0.95 --n-boot -5")
    add("n_boot_fraction", est("--ci", "0.95", "--n-boot", "2.5"), desc="--n-boot 2.5 (argparse)")
    add("n_boot_huge", est("--ci", "0.95", "--n-boot", "1e15"), desc="--ci 0.95 --n-boot 1e15")
    add("ci_above_one", est("--ci", "1.5"), desc="--ci 1.5")
    add("ci_zero", est("--ci", "0"), desc="--ci 0")
    add("ci_nan", est("--ci", "nan"), desc="--ci nan")
    add("ci_negative", est("--ci", "-0.5"), desc="--ci -0.5")
    add("bins_zero", est("--bins", "0", x1="c", x2="d"), desc="--x1 c --x2 d --bins 0")
    add("bins_negative", est("--bins", "-3", x1="c", x2="d"), desc="--x1 c --x2 d --bins -3")
    add(
        "bins_huge",
        est("--bins", "1000000000", x1="c", x2="d"),
        EITHER,
        desc="--x1 c --x2 d --bins 1000000000 (240 samples)",
    )
    add("clusters_zero", est("--clusters", "0", x1="c,d", x2="b"), desc="--x1 c,d --clusters 0")
    add(
        "clusters_huge",
        est("--clusters", "100000", x1="c,d", x2="b"),
        EITHER,
        desc="--x1 c,d --clusters 100000 (240 samples)",
    )
    add(
        "y_bins_one",
        ["estimate", str(data), "--x1", "a", "--x2", "b", "--y", "c", "--y-bins", "1", "--json"],
        desc="--y c (continuous) --y-bins 1",
    )
    add("y_bins_and_categorical", est("--y-bins", "3", "--y-categorical"), desc="--y-bins 3 --y-categorical")
    add("random_state_negative", est("--random-state", "-1"), EITHER, desc="--random-state -1")
    add("random_state_2e80", est("--random-state", str(2**80)), EITHER, desc="--random-state 2**80")
    add("n_perm_negative", est("--n-perm", "-10"), desc="--n-perm -10")
    add("option_unknown", est("-o", "frobnicate=1"), desc="-o frobnicate=1")
    add("option_tol_negative", est("-o", "tol=-1"), desc="-o tol=-1")
    add("option_max_iter_zero", est("-o", "max_iter=0"), desc="-o max_iter=0")
    add("option_no_equals", est("-o", "tol"), desc="-o tol (no '=')")
    add("units_unknown", est("--units", "furlongs"), desc="--units furlongs (argparse)")
    add("decompose_ci_two", ["decompose", str(table), "--ci", "2"], desc="decompose xor.npy --ci 2")
    sel = ["select", str(data), "--x1", "a", "--x2", "b", "--y", "y"]
    add("select_tolerance_1.5", [*sel, "--tolerance", "1.5"], desc="select --tolerance 1.5")
    add("select_tolerance_nan", [*sel, "--tolerance", "nan"], desc="select --tolerance nan")
    add("select_k_negative", [*sel, "-k", "-2", "--json"], desc="select -k -2")
    # bounds: three files
    d1 = write(d / "d1.csv", csv_text({"a": base["a"], "y": base["y"]}))
    d2 = write(d / "d2.csv", csv_text({"b": base["b"], "y": base["y"]}))
    paired = write(d / "paired.csv", csv_text({"a": base["a"], "b": base["b"]}))
    d2_noy = write(d / "d2_noy.csv", csv_text({"b": base["b"]}))
    paired_na = write(d / "paired_na.csv", csv_text(with_cell({"a": base["a"], "b": base["b"]}, "b", 3, "NA")))

    def bnd(a, b, c):
        files = ["--d1", str(a), "--d2", str(b), "--paired", str(c)]
        return ["bounds", *files, "--x1", "a", "--x2", "b", "--y", "y", "--json"]

    add("bounds_valid_control", bnd(d1, d2, paired), VALID, desc="bounds with three valid files")
    add("bounds_d2_lacks_label", bnd(d1, d2_noy, paired), desc="bounds: --d2 file has no 'y' column")
    add("bounds_paired_NA", bnd(d1, d2, paired_na), desc="bounds: --paired file holds 'NA'")
    add("bounds_paired_is_d1", bnd(d1, d2, d1), desc="bounds: --paired d1.csv (it lacks 'b')")
    return cases


# --------------------------------------------------------------------------------------- area: decompose
def cases_decompose(tmp: Path) -> list[Case]:
    import pidkit as pid

    p = xor_table()
    cases: list[Case] = []

    def add(name, fn, expect=ERROR, desc=""):
        cases.append(api_case(name, fn, expect, desc))

    def bad(**kw):
        return lambda: pid.decompose(p, **kw)

    with_nan = p.copy()
    with_nan[0, 1, 1] = np.nan
    add("nan_cell", lambda: pid.decompose(with_nan), desc="decompose(xor with p[0,1,1]=NaN)")
    with_inf = p.copy()
    with_inf[1, 0, 1] = np.inf
    add("inf_cell", lambda: pid.decompose(with_inf), desc="decompose(xor with p[1,0,1]=inf)")
    neg = p.copy()
    neg[0, 0, 0], neg[0, 0, 1] = 0.35, -0.1
    add("negative_cell", lambda: pid.decompose(neg), desc="decompose(xor with a -0.1 cell; sums to 1)")
    add(
        "ragged_nested_list",
        lambda: pid.decompose([[[0.25, 0.25]], [[0.25], [0.25]]]),
        desc="decompose([[[.25,.25]],[[.25],[.25]]])",
    )
    add("two_dims", lambda: pid.decompose(np.full((2, 2), 0.25)), desc="decompose(2x2 table)")
    add("four_dims", lambda: pid.decompose(np.full((2, 2, 2, 2), 1 / 16)), desc="decompose(2x2x2x2 table)")
    add("scalar", lambda: pid.decompose(1.0), desc="decompose(1.0)")
    add("all_zeros", lambda: pid.decompose(np.zeros((2, 2, 2))), desc="decompose(zeros((2,2,2)))")
    add("sum_half", lambda: pid.decompose(p / 2), desc="decompose(xor / 2): probabilities summing to 0.5")
    add(
        "sum_half_normalize",
        lambda: pid.decompose(p / 2, normalize=True),
        VALID,
        desc="decompose(xor / 2, normalize=True)",
    )
    add("zero_size_dim", lambda: pid.decompose(np.zeros((0, 2, 2))), desc="decompose(zeros((0,2,2)))")
    add("single_cell", lambda: pid.decompose(np.ones((1, 1, 1))), VALID, desc="decompose(ones((1,1,1)))")
    add("bool_dtype", lambda: pid.decompose(p > 0), EITHER, desc="decompose(xor > 0): bool table (counts 0/1)")
    add("str_dtype", lambda: pid.decompose(np.full((2, 2, 2), "0.125")), desc="decompose(full((2,2,2), '0.125'))")
    add(
        "object_with_None",
        lambda: pid.decompose(np.array([[[0.25, None], [0.25, 0]], [[0, 0.25], [0.25, 0]]], dtype=object)),
        desc="decompose(object table with a None)",
    )
    add("complex_dtype", lambda: pid.decompose(p.astype(complex)), desc="decompose(xor as complex128)")
    big = np.full((2, 2, 2), 2**62, dtype=np.int64)

    def int_overflow():
        res = pid.decompose(big)  # the total of 8 * 2**62 wraps around in int64
        ref = pid.decompose(np.ones((2, 2, 2)))
        if not res.isclose(ref, atol=1e-6):
            raise AssertionError(f"int64 counts of 2**62 give {res.atoms}, the same table as ones gives {ref.atoms}")
        return res

    add(
        "int64_sum_overflow",
        int_overflow,
        EITHER,
        desc="decompose(full((2,2,2), 2**62, int64)): the total overflows int64",
    )
    add(
        "counts_1e308",
        lambda: pid.decompose(np.full((2, 2, 2), 1e308)),
        EITHER,
        desc="decompose(full((2,2,2), 1e308)): sum overflows float64",
    )
    add(
        "subnormal_mass",
        lambda: pid.decompose(np.where(p > 0, 1e-320, 0.0)),
        EITHER,
        desc="decompose(xor cells = 1e-320)",
    )
    add("max_iter_zero", bad(max_iter=0), desc="decompose(xor, max_iter=0)")
    add("max_iter_negative", bad(max_iter=-5), desc="decompose(xor, max_iter=-5)")
    add("max_iter_float", bad(max_iter=2.5), desc="decompose(xor, max_iter=2.5)")
    add("max_iter_str", bad(max_iter="10"), desc="decompose(xor, max_iter='10')")
    add("tol_negative", bad(tol=-1e-6), desc="decompose(xor, tol=-1e-6)")
    add("tol_nan", bad(tol=float("nan")), desc="decompose(xor, tol=nan)")
    add("tol_zero", bad(tol=0.0), EITHER, desc="decompose(xor, tol=0.0)")
    add("threads_zero", bad(threads=0), desc="decompose(xor, threads=0)")
    add("threads_str", bad(threads="many"), desc="decompose(xor, threads='many')")
    add("threads_huge", bad(threads=10**6), EITHER, desc="decompose(xor, threads=10**6)")
    add("units_foo", bad(units="foo"), desc="decompose(xor, units='foo')")
    add("solver_bogus", bad(solver="bogus"), desc="decompose(xor, solver='bogus')")
    add("elimination_bogus", bad(elimination="rows"), desc="decompose(xor, elimination='rows')")
    batch = np.stack([p, p, p])
    batch_nan = batch.copy()
    batch_nan[1, 0, 0, 0] = np.nan
    add("many_nan_in_one", lambda: pid.decompose_many(batch_nan), desc="decompose_many(3 xor tables, one with a NaN)")
    add("many_3d", lambda: pid.decompose_many(p), desc="decompose_many(one 3-D table)")
    add(
        "many_empty_batch",
        lambda: pid.decompose_many(np.zeros((0, 2, 2, 2))),
        EITHER,
        desc="decompose_many(zeros((0,2,2,2)))",
    )
    add("many_max_iter_zero", lambda: pid.decompose_many(batch, max_iter=0), desc="decompose_many(batch, max_iter=0)")
    add("many_tol_nan", lambda: pid.decompose_many(batch, tol=float("nan")), desc="decompose_many(batch, tol=nan)")
    add(
        "many_ragged",
        lambda: pid.decompose_many([p, np.full((3, 2, 2), 1 / 12)]),
        desc="decompose_many([2x2x2, 3x2x2])",
    )
    add("many_str", lambda: pid.decompose_many(np.full((2, 2, 2, 2), "x")), desc="decompose_many(str batch)")
    return cases


# ---------------------------------------------------------------------------------------- area: estimate
def cases_estimate(tmp: Path) -> list[Case]:
    import pandas as pd

    import pidkit as pid

    base = base_frame(200)
    x1, x2, y = base["a"], base["b"], base["y"]
    c = base["c"]
    cases: list[Case] = []

    def add(name, fn, expect=ERROR, desc=""):
        cases.append(api_case(name, fn, expect, desc, post=USE_RESULT))

    est = pid.estimate
    add("length_mismatch", lambda: est(x1, x2[:-1], y), desc="estimate(x1[200], x2[199], y[200])")
    add("all_empty", lambda: est([], [], []), desc="estimate([], [], [])")
    add(
        "single_class_label",
        lambda: est(x1, x2, np.zeros_like(y)),
        VALID,
        desc="estimate(x1, x2, zeros): constant label (documented: all atoms 0)",
    )
    add("continuous_label", lambda: est(x1, x2, c), expect=VALID,
        desc="estimate(x1, x2, y=continuous floats): auto takes the copula PID")
    add("continuous_label_cvx", lambda: est(x1, x2, c, estimator="cvx"),
        desc="estimate(x1, x2, y=continuous floats, estimator='cvx')")
    x1n = c.copy()
    x1n[3] = np.nan
    add("nan_in_x1", lambda: est(x1n, x2, y), desc="estimate(x1 float with one NaN, x2, y)")
    x2i = base["d"].copy()
    x2i[8] = np.inf
    add("inf_in_x2", lambda: est(x1, x2i, y), desc="estimate(x1, x2 float with one inf, y)")
    yn = y.astype(object)
    yn[5] = None
    add("None_in_object_label", lambda: est(x1, x2, yn), desc="estimate(x1, x2, y object with a None)")
    x1o = x1.astype(object)
    x1o[9] = None
    add("None_in_object_x1", lambda: est(x1o, x2, y), desc="estimate(x1 object with a None, x2, y)")
    mixed = x1.astype(object)
    mixed[::7] = "seven"
    add(
        "str_mixed_with_numbers",
        lambda: est(mixed, x2, y),
        EITHER,
        desc="estimate(x1 object: ints with every 7th value 'seven', x2, y)",
    )
    add("three_dim_x1", lambda: est(np.zeros((200, 2, 2)), x2, y), desc="estimate(x1 of shape (200,2,2), x2, y)")
    add("two_dim_label", lambda: est(x1, x2, np.column_stack([y, y])), desc="estimate(x1, x2, y of shape (200,2))")
    add("scalar_x1", lambda: est(3, x2, y), desc="estimate(3, x2, y)")
    add("ragged_list_x1", lambda: est([[1, 2], [3]] * 100, x2, y), desc="estimate(x1=[[1,2],[3]]*100, x2, y)")
    add(
        "nan_label_float",
        lambda: est(x1, x2, np.where(np.arange(200) == 4, np.nan, y.astype(float))),
        desc="estimate(x1, x2, y float 0/1 with one NaN)",
    )
    add(
        "pandas_NA_Int64",
        lambda: est(pd.array([*x1[:-1], None], dtype="Int64"), x2, y),
        desc="estimate(x1 = pandas Int64 array ending in <NA>, x2, y)",
    )
    add(
        "pandas_categorical_nan",
        lambda: est(pd.Categorical([*base["t"][:-1], None]), x2, y),
        desc="estimate(x1 = pd.Categorical with a NaN, x2, y)",
    )
    add("complex_x1", lambda: est(x1 + 1j, x2, y), desc="estimate(x1 + 1j, x2, y)")
    add(
        "dicts_x1",
        lambda: est(np.array([{"k": int(v)} for v in x1], dtype=object), x2, y),
        desc="estimate(x1 = object array of dicts, x2, y)",
    )
    add(
        "discretizer_n_bins_zero",
        lambda: est(c, x2, y, discretizer=pid.Discretizer(n_bins=0)),
        desc="estimate(c, x2, y, discretizer=Discretizer(n_bins=0))",
    )
    add(
        "option_n_bins_zero",
        lambda: est(c, x2, y, n_bins=0),
        desc="estimate(c, x2, y, n_bins=0)  (not an estimate() option)",
    )
    add(
        "discretizer_wrong_type",
        lambda: est(x1, x2, y, discretizer="quantile"),
        desc="estimate(..., discretizer='quantile')",
    )
    add(
        "discretizer_class",
        lambda: est(x1, x2, y, discretizer=pid.Discretizer),
        desc="estimate(..., discretizer=pid.Discretizer) (the class)",
    )
    add("units_foo", lambda: est(x1, x2, y, units="foo"), desc="estimate(..., units='foo')")
    add("ci_1.5", lambda: est(x1, x2, y, ci=1.5), desc="estimate(..., ci=1.5)")
    add("ci_nan", lambda: est(x1, x2, y, ci=float("nan")), desc="estimate(..., ci=nan)")
    add("random_state_str", lambda: est(x1, x2, y, random_state="x"), desc="estimate(..., random_state='x')")
    add("random_state_negative", lambda: est(c, x2, y, random_state=-1), desc="estimate(c, x2, y, random_state=-1)")
    add("random_state_float", lambda: est(c, x2, y, random_state=1.5), desc="estimate(c, x2, y, random_state=1.5)")
    add("n_boot_negative", lambda: est(x1, x2, y, ci=0.9, n_boot=-1), desc="estimate(..., ci=0.9, n_boot=-1)")
    add("n_perm_negative", lambda: est(x1, x2, y, n_perm=-3), desc="estimate(..., n_perm=-3)")
    add(
        "ci_method_bogus",
        lambda: est(x1, x2, y, ci=0.9, ci_method="jackknife"),
        desc="estimate(..., ci=0.9, ci_method='jackknife')",
    )
    add("estimator_bogus", lambda: est(x1, x2, y, estimator="magic"), desc="estimate(..., estimator='magic')")
    add("info_check_bogus", lambda: est(x1, x2, y, info_check="maybe"), desc="estimate(..., info_check='maybe')")
    add(
        "tests_bogus",
        lambda: est(x1, x2, y, n_perm=10, tests=["nonsense"]),
        desc="estimate(..., n_perm=10, tests=['nonsense'])",
    )
    rng = np.random.default_rng(SEED + 2)
    spread = rng.permutation(np.concatenate([np.linspace(-1.7e308, -1e300, 100), np.linspace(1e300, 1.7e308, 100)]))
    assert np.all(np.isfinite(spread))  # every value finite; only their range (max - min) overflows
    add(
        "extreme_floats_x1",
        lambda: est(spread, x2, y),
        EITHER,
        desc="estimate(x1 = 200 finite floats, 100 in [-1.7e308, -1e300] and 100 in [1e300, 1.7e308] (max - min "
        "overflows), x2, y)",
    )
    add(
        "subnormal_floats_x1",
        lambda: est(rng.random(200) * 1e-310, x2, y),
        EITHER,
        desc="estimate(x1 = 200 distinct subnormal floats below 1e-310, x2, y)",
    )
    add(
        "huge_2d_x1",
        lambda: est(np.column_stack([c, base["d"]]) * 1e307, x2, y),
        EITHER,
        desc="estimate(x1 = (200,2) continuous columns scaled by 1e307 (variance overflows), x2, y)",
    )
    add(
        "constant_column_2d",
        lambda: est(np.column_stack([c, np.zeros(200)]), x2, y),
        EITHER,
        desc="estimate(x1 = (200,2) with one constant column (zero variance), x2, y)",
    )
    add("zero_features", lambda: est(np.zeros((200, 0)), x2, y), desc="estimate(x1 of shape (200, 0), x2, y)")
    nan_obj = c.astype(object)
    nan_obj[6] = float("nan")
    add(
        "nan_in_object_floats",
        lambda: est(nan_obj, x2, y),
        desc="estimate(x1 object array of floats with a float('nan'), x2, y)",
    )
    add(
        "python_bigints_x1",
        lambda: est(np.array([2**70 + int(v) for v in x1], dtype=object), x2, y),
        EITHER,
        desc="estimate(x1 = object array of ints around 2**70, x2, y)",
    )
    add(
        "datetime64_x1",
        lambda: est(np.datetime64("2024-01-01") + x1.astype("timedelta64[D]"), x2, y),
        EITHER,
        desc="estimate(x1 = datetime64[D] array, x2, y)",
    )
    add(
        "bytes_label",
        lambda: est(x1, x2, np.array([b"yes" if v else b"no" for v in y])),
        EITHER,
        desc="estimate(x1, x2, y = bytes labels b'yes'/b'no')",
    )
    return cases


# ------------------------------------------------------------------------------------- area: result_json
def cases_result_json(tmp: Path) -> list[Case]:
    import pidkit as pid

    base = base_frame(200)
    res = pid.estimate(base["c"], base["b"], base["y"], random_state=0, ci=0.9, n_boot=50)
    good = json.loads(res.to_json())
    cases: list[Case] = []

    def add(name, fn, expect=ERROR, desc=""):
        cases.append(
            api_case(name, fn, expect, desc, post=[*USE_RESULT, ("result.describe()", lambda r: r.describe())])
        )

    def tampered(**changes):
        d = json.loads(json.dumps(good))
        for key, value in changes.items():
            target = d
            *path, last = key.split("__")
            for part in path:
                target = target[part]
            if value is _DELETE:
                del target[last]
            else:
                target[last] = value
        return d

    from_dict, from_json = pid.PIDResult.from_dict, pid.PIDResult.from_json
    add("roundtrip_control", lambda: from_json(json.dumps(good)), VALID, desc="from_json(res.to_json())")
    add("not_json", lambda: from_json("{R: 0.5,"), desc="from_json('{R: 0.5,')")
    add("json_none", lambda: from_json(None), desc="from_json(None)")
    add("json_list", lambda: from_json("[1, 2, 3]"), desc="from_json('[1, 2, 3]')")
    add("bytes_not_utf8", lambda: from_json(b"\xff\xfe{\x00"), desc="from_json(b'\\xff\\xfe{\\x00')")
    add(
        "deeply_nested", lambda: from_json("[" * 100_000 + "]" * 100_000), desc="from_json('[' * 100000 + ']' * 100000)"
    )
    deep = json.dumps(good)[:-1] + ', "extra": ' + "[" * 50_000 + "]" * 50_000 + "}"
    add(
        "deeply_nested_field",
        lambda: from_json(deep),
        desc="from_json(valid result + field 'extra' nested 50,000 deep)",
    )
    add("identity_broken", lambda: from_dict(tampered(R=good["R"] + 0.2)), desc="from_dict(R raised by 0.2 bits)")
    add("atom_Infinity", lambda: from_json(json.dumps(tampered(S="Infinity"))), desc='from_json({... "S": "Infinity"})')
    add("atom_string", lambda: from_dict(tampered(U1="0.0")), desc="from_dict(U1='0.0')")
    add("atom_bool", lambda: from_dict(tampered(U2=True)), desc="from_dict(U2=True)")
    add("atom_list", lambda: from_dict(tampered(R=[0.1])), desc="from_dict(R=[0.1])")
    neg = tampered(R=good["R"] - 0.5, U1=good["U1"] + 0.5, U2=good["U2"] + 0.5, S=good["S"] - 0.5)
    add(
        "negative_atoms_consistent",
        lambda: from_dict(neg),
        desc="from_dict(R-0.5, U1+0.5, U2+0.5, S-0.5: identities hold)",
    )
    add("missing_S", lambda: from_dict(tampered(S=_DELETE)), desc="from_dict(without 'S')")
    add("unknown_field", lambda: from_dict(tampered(bonus=1)), desc="from_dict(with field 'bonus')")
    add("not_a_dict", lambda: from_dict([("R", 0.1)]), desc="from_dict([('R', 0.1)])")
    # one tampered field each: (case name, the change as tampered() keywords, description)
    for name, change, desc in (
        ("units_furlongs", {"units": "furlongs"}, "units='furlongs'"),
        ("units_list", {"units": ["bits"]}, "units=['bits']"),
        ("n_samples_negative", {"n_samples": -3}, "n_samples=-3"),
        ("n_samples_float", {"n_samples": 1.5}, "n_samples=1.5"),
        ("shape_two", {"shape": [2, 2]}, "shape=[2, 2]"),
        ("shape_bool", {"shape": [True, 2, 2]}, "shape=[true, 2, 2]"),
        ("diagnostics_string", {"diagnostics": "ok"}, "diagnostics='ok'"),
        ("diagnostics_no_solver", {"diagnostics__solver": _DELETE}, "diagnostics without 'solver'"),
        ("diagnostics_notes_int", {"diagnostics__notes": 5}, "diagnostics.notes=5"),
        ("diagnostics_gap_str", {"diagnostics__duality_gap": "tiny"}, "diagnostics.duality_gap='tiny'"),
        ("diagnostics_iterations_str", {"diagnostics__iterations": "many"}, "diagnostics.iterations='many'"),
        ("diagnostics_discretization_str", {"diagnostics__discretization": "binned"},
         "diagnostics.discretization='binned'"),
        ("uncertainty_string", {"uncertainty": "wide"}, "uncertainty='wide'"),
        ("uncertainty_null_bound", {"uncertainty__intervals__R": [None, 1.0]}, "uncertainty.intervals.R=[null, 1.0]"),
        ("uncertainty_interval_scalar", {"uncertainty__intervals__S": 0.3}, "uncertainty.intervals.S=0.3"),
        ("uncertainty_level_str", {"uncertainty__level": "high"}, "uncertainty.level='high'"),
        ("uncertainty_std_list", {"uncertainty__std": [1, 2]}, "uncertainty.std=[1, 2]"),
        ("info_check_empty", {"info_check": {}}, "info_check={}"),
        ("info_check_kept_str", {"info_check__kept": "most"}, "info_check.kept='most'"),
        ("info_check_ranges_short", {"info_check__ranges__R": [0.1]}, "info_check.ranges.R=[0.1]"),
    ):
        add(name, lambda change=change: from_dict(tampered(**change)), desc=f"from_dict({desc})")
    return cases


class _Delete:
    pass


_DELETE = _Delete()


# ---------------------------------------------------------------------------------------- area: api_misc
def cases_api_misc(tmp: Path) -> list[Case]:
    import pidkit as pid

    base = base_frame(200)
    x1, x2, y, c, dcol = base["a"], base["b"], base["y"], base["c"], base["d"]
    res = pid.estimate(x1, x2, y, random_state=0)
    const = pid.estimate(x1, x2, np.zeros_like(y), random_state=0)
    nan_res = pid.PIDResult.from_dict({**json.loads(res.to_json()), **{k: None for k in ("R", "U1", "U2", "S")}})
    rng = np.random.default_rng(SEED + 3)
    X = np.column_stack([x1, x2, rng.integers(0, 3, 200), rng.integers(0, 4, 200)])
    pw = pid.pairwise(X, y, random_state=0)
    cases: list[Case] = []

    def add(name, fn, expect=ERROR, desc=""):
        cases.append(api_case(name, fn, expect, desc, post=[("str(result)", str)]))

    def disc(**kw):
        return lambda: pid.Discretizer(**kw).fit(c, dcol, y)

    add("disc_n_bins_zero", disc(n_bins=0), desc="Discretizer(n_bins=0).fit(c, d, y)")
    add("disc_n_bins_negative", disc(n_bins=-4), desc="Discretizer(n_bins=-4).fit(...)")
    add("disc_n_bins_str", disc(n_bins="lots"), desc="Discretizer(n_bins='lots').fit(...)")
    add("disc_n_bins_float", disc(n_bins=2.5), desc="Discretizer(n_bins=2.5).fit(...)")
    add("disc_strategy_bogus", disc(strategy="median"), desc="Discretizer(strategy='median').fit(...)")
    add("disc_kind_bogus", disc(kind="fuzzy"), desc="Discretizer(kind='fuzzy').fit(...)")
    add("disc_kind_bad_key", disc(kind={"x3": "binned"}), desc="Discretizer(kind={'x3': 'binned'}).fit(...)")
    add(
        "disc_n_clusters_zero",
        lambda: pid.Discretizer(n_clusters=0).fit(np.column_stack([c, dcol]), x2, y),
        desc="Discretizer(n_clusters=0).fit((200,2) floats, x2, y)",
    )
    add(
        "disc_n_clusters_huge",
        lambda: pid.Discretizer(n_clusters=10_000).fit(np.column_stack([c, dcol]), x2, y),
        EITHER,
        desc="Discretizer(n_clusters=10000).fit((200,2) floats, x2, y)",
    )
    add("disc_max_categories_zero", disc(max_categories=0), desc="Discretizer(max_categories=0).fit(...)")
    add(
        "disc_min_samples_negative", disc(min_samples_per_cell=-1), desc="Discretizer(min_samples_per_cell=-1).fit(...)"
    )
    add(
        "disc_y_bins_one", lambda: pid.Discretizer(y_bins=1).fit(x1, x2, c), desc="Discretizer(y_bins=1).fit(x1, x2, c)"
    )
    add(
        "disc_pca_negative",
        lambda: pid.Discretizer(pca_components=-2).fit(np.column_stack([c, dcol]), x2, y),
        desc="Discretizer(pca_components=-2).fit((200,2), x2, y)",
    )
    add("disc_random_state_str", disc(random_state="seed"), desc="Discretizer(random_state='seed').fit(...)")
    add("disc_n_bins_bool", disc(n_bins=True), desc="Discretizer(n_bins=True).fit(...)")
    add(
        "disc_standardize_str",
        lambda: pid.Discretizer(standardize="no").fit(np.column_stack([c, dcol]), x2, y),
        desc="Discretizer(standardize='no').fit((200,2), x2, y)",
    )
    add("disc_kind_y_binned", disc(kind={"y": "binned"}), desc="Discretizer(kind={'y': 'binned'}).fit(...)")
    add(
        "disc_transform_unfitted",
        lambda: pid.Discretizer().transform(x1, x2, y),
        desc="Discretizer().transform(...) before fit",
    )
    fitted = pid.Discretizer(kind="categorical").fit(x1, x2, y)
    add(
        "disc_unknown_category",
        lambda: fitted.transform(x1 + 10, x2, y),
        desc="Discretizer(kind='categorical').fit(x1, x2, y).transform(x1 + 10, x2, y)",
    )
    add("select_tolerance_1.5", lambda: pid.select_models(res, tolerance=1.5), desc="select_models(res, tolerance=1.5)")
    add(
        "select_tolerance_nan",
        lambda: pid.select_models(res, tolerance=float("nan")),
        desc="select_models(res, tolerance=nan)",
    )
    add("select_neighbors_zero", lambda: pid.select_models(res, neighbors=0), desc="select_models(res, neighbors=0)")
    add(
        "select_prior_weight_negative",
        lambda: pid.select_models(res, prior_weight=-1),
        desc="select_models(res, prior_weight=-1)",
    )
    add(
        "select_candidates_unknown",
        lambda: pid.select_models(res, candidates=["telepathy"]),
        desc="select_models(res, candidates=['telepathy'])",
    )
    add(
        "select_catalog_missing",
        lambda: pid.select_models(res, catalog=str(tmp / "no_catalog.json")),
        desc="select_models(res, catalog='<tmp>/no_catalog.json')",
    )
    garbage = write(tmp / "api_misc" / "garbage_catalog.json", '{"schema": "nope", "datasets": 7}')
    add(
        "select_catalog_garbage",
        lambda: pid.select_models(res, catalog=str(garbage)),
        desc="select_models(res, catalog=file holding {'schema': 'nope', 'datasets': 7})",
    )
    add(
        "select_distance_bogus",
        lambda: pid.select_models(res, distance="manhattan"),
        desc="select_models(res, distance='manhattan')",
    )
    add("select_nan_result", lambda: pid.select_models(nan_res), desc="select_models(PIDResult with null (NaN) atoms)")
    add("select_string", lambda: pid.select_models("data.csv"), desc="select_models('data.csv')")
    add("agreement_none", lambda: pid.agreement(None, res), desc="agreement(None, res)")
    add("agreement_nan", lambda: pid.agreement(res, nan_res), desc="agreement(res, PIDResult with NaN atoms)")
    add(
        "agreement_zero_total",
        lambda: pid.agreement(const, const),
        EITHER,
        desc="agreement(r, r) with r of a constant label (all atoms 0)",
    )
    add("top_negative", lambda: pw.top(-1), desc="pairwise(X, y).top(-1)")
    add("top_str", lambda: pw.top("3"), desc="pairwise(X, y).top('3')")
    add("top_float", lambda: pw.top(2.0), desc="pairwise(X, y).top(2.0)")
    add("top_by_bogus", lambda: pw.top(3, by="Q"), desc="pairwise(X, y).top(3, by='Q')")
    add("top_huge", lambda: pw.top(10**9), VALID, desc="pairwise(X, y).top(10**9): all 6 pairs")
    add("pairwise_one_column", lambda: pid.pairwise(X[:, :1], y), desc="pairwise(X[:, :1], y)")
    add("pairwise_bad_pair", lambda: pid.pairwise(X, y, pairs=[(0, 99)]), desc="pairwise(X, y, pairs=[(0, 99)])")
    add("pairwise_self_pair", lambda: pid.pairwise(X, y, pairs=[(1, 1)]), EITHER, desc="pairwise(X, y, pairs=[(1, 1)])")
    add("pairwise_nan", lambda: pid.pairwise(np.where(X == 2, np.nan, X), y), desc="pairwise(X with NaN, y)")
    add(
        "pairwise_dict_ragged",
        lambda: pid.pairwise({"u": x1, "v": x2[:-5], "w": c}, y),
        desc="pairwise({'u': 200 rows, 'v': 195 rows, 'w': 200 rows}, y)",
    )
    add(
        "pairwise_dataframe_dup_columns",
        lambda: pid.pairwise(__import__("pandas").DataFrame(X[:, :3], columns=["f", "f", "g"]), y),
        EITHER,
        desc="pairwise(DataFrame with columns ['f', 'f', 'g'], y)",
    )
    add(
        "select_single_class",
        lambda: pid.select_models(x1, x2, np.zeros_like(y), random_state=0),
        EITHER,
        desc="select_models(x1, x2, constant y)",
    )
    add("pairwise_label_length", lambda: pid.pairwise(X, y[:-3]), desc="pairwise(X[200], y[197])")
    return cases


# ------------------------------------------------------------------------------------------ area: memory
def cases_memory(tmp: Path) -> list[Case]:
    import pidkit as pid

    cases: list[Case] = []

    def add(name, fn, expect=ERROR, desc=""):
        cases.append(api_case(name, fn, expect, desc))

    add(
        "broadcast_20GB",
        lambda: pid.decompose(np.broadcast_to(np.float64(1.0), (5000, 5000, 100))),
        desc="decompose(broadcast_to(1.0, (5000,5000,100))): 20 GB as float64, 8 bytes in memory",
    )
    add(
        "uint8_3GB_as_float64",
        lambda: pid.decompose(np.ones((2000, 2000, 100), dtype=np.uint8)),
        desc="decompose(ones((2000,2000,100), uint8)): 400 MB held, 3.2 GB as float64",
    )
    add(
        "float32_broadcast_8GB",
        lambda: pid.decompose(np.broadcast_to(np.float32(1.0), (10000, 10000, 10))),
        desc="decompose(broadcast_to(float32 1.0, (10000,10000,10))): 8 GB as float64",
    )
    add(
        "validation_room",
        lambda: pid.decompose(np.ones((6000, 6000, 4), dtype=np.uint8)),
        desc="decompose(ones((6000,6000,4), uint8)): 144 MB held, 1.15 GB as float64 (< max_table_bytes), "
        "solver far larger",
    )
    add(
        "many_broadcast_4GB",
        lambda: pid.decompose_many(np.broadcast_to(np.float64(1.0), (10000, 50, 50, 20))),
        desc="decompose_many(broadcast_to(1.0, (10000,50,50,20))): 4 GB as float64",
    )
    add(
        "max_table_bytes_tiny",
        lambda: pid.decompose(np.ones((10, 10, 10)), max_table_bytes=1000),
        desc="decompose(ones((10,10,10)), max_table_bytes=1000)",
    )
    add(
        "max_table_bytes_negative",
        lambda: pid.decompose(xor_table(), max_table_bytes=-5),
        desc="decompose(xor, max_table_bytes=-5)",
    )
    add(
        "max_table_bytes_str",
        lambda: pid.decompose(xor_table(), max_table_bytes="2GB"),
        desc="decompose(xor, max_table_bytes='2GB')",
    )
    n = 60_000
    labels = np.arange(n).astype(str)
    rng = np.random.default_rng(SEED + 4)
    y = rng.integers(0, 2, n)
    add(
        "estimate_60k_categories",
        lambda: pid.estimate(
            labels, labels[::-1].copy(), y, info_check=False, discretizer=pid.Discretizer(kind="categorical")
        ),
        desc="estimate(60,000 distinct strings, 60,000 distinct strings, binary y, kind='categorical'): 57 GB table",
    )
    add(
        "estimate_60k_strings_default",
        lambda: pid.estimate(labels, labels[::-1].copy(), y, info_check=False),
        desc="estimate(60,000 distinct strings, 60,000 distinct strings, binary y): strings are categorical by default",
    )
    xs = rng.normal(size=500)
    add(
        "discretizer_n_bins_1e9",
        lambda: pid.estimate(
            xs,
            rng.normal(size=500),
            rng.integers(0, 2, 500),
            info_check=False,
            discretizer=pid.Discretizer(n_bins=10**9),
        ),
        desc="estimate(500 normal floats x2, binary y, Discretizer(n_bins=10**9))",
    )
    add(
        "bounds_60k_categories",
        lambda: pid.bounds.estimate_synergy_bounds(labels, y, labels, y, labels, labels[::-1].copy()),
        desc="bounds.estimate_synergy_bounds(x1=y1-data of 60,000 distinct strings, ..., paired 60,000 x 60,000)",
    )
    add(
        "pairwise_60k_categories",
        lambda: pid.pairwise({"u": labels, "v": labels[::-1].copy()}, y),
        desc="pairwise({'u': 60,000 distinct strings, 'v': 60,000 distinct strings}, binary y): a 53.6 GiB table",
    )
    add(
        "model_pid_60k_categories",
        lambda: pid.model_pid(
            np.full((n, 2), 0.5), labels, labels[::-1].copy(), discretizer=pid.Discretizer(kind="categorical")
        ),
        desc="model_pid(probabilities (60000, 2) of 0.5, 60,000 distinct strings x2, kind='categorical')",
    )
    add(
        "estimate_ci_n_boot_huge",
        lambda: pid.estimate(
            rng.integers(0, 3, 300),
            rng.integers(0, 3, 300),
            rng.integers(0, 2, 300),
            ci=0.95,
            n_boot=10**9,
            info_check=False,
        ),
        desc="estimate(3x3x2 data, ci=0.95, n_boot=10**9)",
    )
    return cases


# ------------------------------------------------------------------------------------------ area: measures
def cases_measures(tmp: Path) -> list[Case]:
    import pidkit as pid

    d = tmp / "measures"
    d.mkdir(parents=True, exist_ok=True)
    base = base_frame()
    a, b, c, y = base["a"], base["b"], base["c"], base["y"]
    data = write(d / "data.csv", csv_text(base))
    p4 = np.random.default_rng(SEED).dirichlet(np.ones(16)).reshape(2, 2, 2, 2)
    np.save(d / "p4.npy", p4)
    cases: list[Case] = []

    def add(name, fn, expect=ERROR, desc=""):
        cases.append(api_case(name, fn, expect, desc))

    def cli(name, argv, expect=ERROR, desc=""):
        cases.append(Case(name, lambda: run_cli(argv, expect, d), expect, desc or " ".join(argv)))

    nan4 = p4.copy()
    nan4[0, 0, 0, 0] = np.nan
    neg4 = p4.copy()
    neg4[0, 0, 0, 0], neg4[0, 0, 0, 1] = -0.05, p4[0, 0, 0, 1] + p4[0, 0, 0, 0] + 0.05
    tampered = pid.decompose(p4, measure="imin").to_dict()
    tampered["atoms"]["{123}"] += 0.3
    add("unknown_measure", lambda: pid.decompose(xor_table(), measure="dep"), desc="decompose(xor, measure='dep')")
    add("measure_none", lambda: pid.decompose(xor_table(), measure=None), desc="decompose(xor, measure=None)")
    add("five_sources_default", lambda: pid.decompose(np.full((2,) * 6, 1 / 64), measure="imin"),
        desc="decompose(2^5 x 2 table, measure='imin') without max_atoms")
    add("solver_option_ignored", lambda: pid.decompose(xor_table(), measure="imin", solver="ecos"),
        desc="decompose(xor, measure='imin', solver='ecos')")
    add("lattice_nan", lambda: pid.decompose(nan4, measure="ccs"), desc="decompose(2x2x2x2 with a NaN, 'ccs')")
    add("lattice_negative", lambda: pid.decompose(neg4, measure="mmi"), desc="decompose(2x2x2x2 with -0.05, 'mmi')")
    add("lattice_max_atoms_bool", lambda: pid.decompose(p4, measure="imin", max_atoms=True),
        desc="decompose(p4, max_atoms=True)")
    add("sources_broja", lambda: pid.estimate([a, b, c], y), desc="estimate([a, b, c], y) (BROJA)")
    add("sources_one", lambda: pid.estimate([a], y, measure="imin"), desc="estimate([a], y, measure='imin')")
    add("sources_length", lambda: pid.estimate([a, b, c[:-1]], y, measure="imin"),
        desc="estimate([a, b, c[:-1]], y, 'imin')")
    add("sources_nan", lambda: pid.estimate([a, b, np.where(a == 0, np.nan, c)], y, measure="imin"),
        desc="estimate([a, b, c with NaN], y, 'imin')")
    add("sources_single_class", lambda: pid.estimate([a, b, c], np.zeros_like(y), measure="mmi"),
        desc="estimate([a, b, c], zeros, 'mmi')")
    add("sources_ci", lambda: pid.estimate([a, b, c], y, measure="mmi", ci=1.5), desc="estimate([...], ci=1.5)")
    add("sources_tests", lambda: pid.estimate([a, b, c], y, measure="mmi", n_perm=10),
        desc="estimate([...], n_perm=10)")
    add("measure_batch", lambda: pid.estimate(a, b, y, measure="imin", estimator="batch"),
        desc="estimate(a, b, y, measure='imin', estimator='batch')")
    add("measure_synergy_test", lambda: pid.estimate(a, b, y, measure="ccs", n_perm=10),
        desc="estimate(a, b, y, measure='ccs', n_perm=10): the synergy test is BROJA's")
    add("compare_string", lambda: pid.compare_measures(xor_table(), measures="imin"),
        desc="compare_measures(xor, measures='imin')")
    add("lattice_json_tampered", lambda: pid.LatticePIDResult.from_dict(tampered),
        desc="LatticePIDResult.from_dict(atom {123} raised by 0.3)")
    add("lattice_json_garbage", lambda: pid.LatticePIDResult.from_json("[1, 2]"),
        desc="LatticePIDResult.from_json('[1, 2]')")
    cli("cli_x3_broja", ["estimate", str(data), "--x1", "a", "--x2", "b", "--x3", "c", "--y", "y"],
        desc="pidkit estimate --x3 without --measure")
    cli("cli_x4_without_x3", ["estimate", str(data), "--x1", "a", "--x2", "b", "--x4", "c", "--y", "y",
                              "--measure", "imin"], desc="pidkit estimate --x4 without --x3")
    cli("cli_decompose_lattice_ci", ["decompose", str(d / "p4.npy"), "--measure", "imin", "--ci", "0.9"],
        desc="pidkit decompose p4.npy --measure imin --ci 0.9")
    cli("cli_decompose_lattice", ["decompose", str(d / "p4.npy"), "--measure", "imin", "--json"], expect=VALID,
        desc="pidkit decompose p4.npy --measure imin --json (valid)")
    return cases


BUILDERS = {
    "cli_csv": cases_cli_csv,
    "cli_binary": cases_cli_binary,
    "cli_options": cases_cli_options,
    "decompose": cases_decompose,
    "estimate": cases_estimate,
    "result_json": cases_result_json,
    "api_misc": cases_api_misc,
    "measures": cases_measures,
    "memory": cases_memory,
}


# ------------------------------------------------------------------------------------------ worker side
def worker(area: str, start: int, tmp: Path) -> int:
    """Run the cases of ``area`` from index ``start``; one JSON line per event on stdout."""
    if area == "memory":
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_RLIMIT_AS, MEMORY_RLIMIT_AS))
    warnings.simplefilter("ignore")
    cases = BUILDERS[area](tmp)
    out = sys.stdout
    for i in range(start, len(cases)):
        case = cases[i]
        out.write(json.dumps({"event": "start", "i": i, "name": case.name}) + "\n")
        out.flush()
        t0 = time.perf_counter()
        try:
            passed, what = case.run()
        except BaseException as exc:  # noqa: BLE001 - a bug of the probe itself, reported as such
            passed, what = False, f"PROBE ERROR {type(exc).__name__}: {exc}"
        out.write(
            json.dumps(
                {
                    "event": "done",
                    "i": i,
                    "name": case.name,
                    "passed": bool(passed),
                    "what": what,
                    "expect": case.expect,
                    "desc": case.desc,
                    "seconds": round(time.perf_counter() - t0, 2),
                }
            )
            + "\n"
        )
        out.flush()
    out.write(json.dumps({"event": "end", "n": len(cases)}) + "\n")
    out.flush()
    return 0


# ------------------------------------------------------------------------------------------ parent side
def _reader(stream, q: queue.Queue) -> None:
    for line in iter(stream.readline, b""):
        q.put(line)
    q.put(None)


def run_area(area: str, tmp: Path, results: list[dict], case_timeout: float) -> None:
    """Run every case of ``area`` in worker processes, restarting after a crash or a hang."""
    start = 0
    while True:
        log = tmp / f"worker_{area}_{start}.stderr"
        env = dict(
            os.environ,
            OMP_NUM_THREADS="1",
            OPENBLAS_NUM_THREADS="1",
            PIDKIT_NUM_THREADS="1",
            MPLBACKEND="Agg",
            PYTHONWARNINGS="ignore",
        )
        with log.open("wb") as err:
            proc = subprocess.Popen(
                [PYTHON, str(Path(__file__).resolve()), "--worker", area, "--start", str(start), "--tmp", str(tmp)],
                stdout=subprocess.PIPE,
                stderr=err,
                env=env,
                cwd=tmp,
            )
        q: queue.Queue = queue.Queue()
        threading.Thread(target=_reader, args=(proc.stdout, q), daemon=True).start()
        current, finished = None, False
        # building the cases (imports, a few fits) gets its own allowance, then each case its timeout + margin
        deadline = time.monotonic() + 120
        while True:
            try:
                line = q.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = "TIMEOUT"
            if line == "TIMEOUT" or (line is None):
                if line == "TIMEOUT":
                    proc.kill()
                proc.wait()
                tail = log.read_text(errors="replace").strip().splitlines()[-3:]
                if current is None:
                    results.append(
                        record(
                            area,
                            f"<worker start @{start}>",
                            False,
                            f"worker failed before its first case (exit {proc.returncode}): "
                            f"{short(' | '.join(tail), 120)}",
                            ERROR,
                            "probe worker",
                        )
                    )
                    return
                how = (
                    f"hang: no answer within {case_timeout + 30:.0f} s (worker killed)"
                    if line == "TIMEOUT"
                    else f"crash: the worker died (exit {proc.returncode}) during the case; stderr: "
                    f"{short(' | '.join(tail), 110) or '(none)'}"
                )
                results.append(record(area, current[1], False, how, ERROR, current[1]))
                emit(results[-1])
                start = current[0] + 1
                break
            msg = json.loads(line)
            if msg["event"] == "start":
                current = (msg["i"], msg["name"])
                deadline = time.monotonic() + case_timeout + 30
            elif msg["event"] == "done":
                results.append(
                    record(area, msg["name"], msg["passed"], msg["what"], msg["expect"], msg["desc"], msg["seconds"])
                )
                emit(results[-1])
                current = None
            elif msg["event"] == "end":
                finished = True
                proc.wait()
                break
        if finished:
            return


def record(area, name, passed, what, expect, desc, seconds=None) -> dict:
    return {
        "area": area,
        "case": name,
        "status": "PASS" if passed else "FAIL",
        "what": what,
        "expect": expect,
        "input": desc,
        "seconds": seconds,
    }


def emit(r: dict) -> None:
    head = f"{r['area']:<12} {r['case'] + TAG.get(r['expect'], ''):<44} {r['status']}  "
    print(head + short(r["what"], 160), flush=True)


def summary(results: list[dict], areas: list[str]) -> str:
    rows = [f"{'area':<12} {'tried':>5} {'passed':>6} {'failed':>6}"]
    for area in areas:
        rs = [r for r in results if r["area"] == area]
        ok = sum(r["status"] == "PASS" for r in rs)
        rows.append(f"{area:<12} {len(rs):>5} {ok:>6} {len(rs) - ok:>6}")
    ok = sum(r["status"] == "PASS" for r in results)
    rows.append(f"{'total':<12} {len(results):>5} {ok:>6} {len(results) - ok:>6}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    global CASE_TIMEOUT
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--area", choices=AREAS, action="append", help="run this area only (repeatable)")
    ap.add_argument("--json", metavar="PATH", help="write every case's outcome to PATH")
    ap.add_argument("--timeout", type=float, default=CASE_TIMEOUT, help="per-case timeout in seconds (default 60)")
    ap.add_argument("--list", action="store_true", help="list the areas and cases without running them")
    ap.add_argument("--worker", choices=AREAS, help=argparse.SUPPRESS)
    ap.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--tmp", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    CASE_TIMEOUT = args.timeout
    if args.worker:
        return worker(args.worker, args.start, Path(args.tmp))
    areas = list(dict.fromkeys(args.area or AREAS))
    with tempfile.TemporaryDirectory(prefix="pidkit_probe_") as tmpdir:
        tmp = Path(tmpdir)
        if args.list:
            for area in areas:
                print(f"{area}: {AREA_HELP[area]}")
                for case in BUILDERS[area](tmp):
                    print(f"  {case.name}{TAG[case.expect]}: {case.desc}")
            return 0
        results: list[dict] = []
        t0 = time.perf_counter()
        print(f"pidkit hostile-input probe: {PIDKIT}; areas {', '.join(areas)}; per-case timeout {CASE_TIMEOUT:.0f} s")
        for area in areas:
            run_area(area, tmp, results, CASE_TIMEOUT)
        elapsed = time.perf_counter() - t0
    print()
    print(summary(results, areas))
    print(f"({elapsed:.0f} s)")
    fails = [r for r in results if r["status"] == "FAIL"]
    if fails:
        print("\nFAIL details:")
        for r in fails:
            print(f"- {r['area']}/{r['case']}: input: {r['input']}\n    -> {short(r['what'], 600)}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"elapsed_s": round(elapsed, 1), "timeout_s": CASE_TIMEOUT, "areas": areas, "results": results},
                indent=1,
            )
        )
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
