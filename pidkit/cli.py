"""The ``pidkit`` command line (also ``python -m pidkit``).

::

    pidkit estimate data.csv --x1 'px_*' --x2 age,height --y label [--ci 0.95] [--json] [--plot pid.png]
    pidkit estimate data.csv --x1 'px_*' --x2 age,height --y label --compare
    pidkit decompose table.npy [--ci 0.95] [--json] [--plot pid.png]
    pidkit bounds --d1 a.csv --d2 b.csv --paired c.csv --x1 COLS --x2 COLS --y COL [--json] [--plot b.png]
    pidkit select data.csv --x1 COLS --x2 COLS --y COL [--tolerance 0.01] [--no-verify] [--json] [--plot s.png]
    pidkit demo
    pidkit --version

Files: CSV (header line), Parquet (with pyarrow), ``.npz`` (arrays by name; a 2-D array is a block
of columns), ``.npy``. Column selections (see :mod:`pidkit._io`): names, globs (``px_*``),
position ranges (``0:32``) or inclusive name ranges (``px_0:px_31``), comma-separated. ``--json``
prints the result as JSON (the schema of ``PIDResult.to_json``; ``--json PATH`` writes a file
instead). Errors print one line naming what was wrong and exit with 2 (bad input or option) or 1
(a failed computation). Long steps show a progress bar on a terminal; ``--quiet`` or a pipe keeps
them silent (``--quiet`` also hides warnings).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from typing import Any

__all__ = ["main"]


def _count(text: str) -> int:
    """A whole number written as an int or in scientific notation (``2000``, ``2e3``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not value.is_integer():
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return int(value)


class _Fail(Exception):
    """A command-line error with its exit status."""

    def __init__(self, message: str, status: int = 2):
        super().__init__(message)
        self.status = status


def _options(pairs: list[str] | None) -> dict[str, Any]:
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise _Fail(f"--option expects KEY=VALUE (e.g. -o batch_size=256); got {pair!r}.")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
        if isinstance(out[key], list):
            out[key] = tuple(out[key])
    return out


def _discretizer(args: argparse.Namespace):
    """A Discretizer with the ``--bins`` / ``--clusters`` asked for, or None (the default front end)."""
    import pidkit as pid

    kw = {}
    if args.bins is not None:
        kw["n_bins"] = args.bins
    if args.clusters is not None:
        kw["n_clusters"] = args.clusters
    kw.update(_label_options(args))
    return pid.Discretizer(random_state=args.random_state, **kw) if kw else None


def _label_options(args: argparse.Namespace) -> dict[str, Any]:
    """The Discretizer options of ``--y-bins`` / ``--y-categorical``."""
    if args.y_bins is not None and args.y_categorical:
        raise _Fail("--y-bins bins a numeric label and --y-categorical keeps every value as a class; pass one.")
    if args.y_bins is not None:
        return {"y_bins": args.y_bins}
    return {"kind": {"y": "categorical"}} if args.y_categorical else {}


def _emit(args: argparse.Namespace, text: str, payload: dict[str, Any]) -> None:
    """The table on stdout, or JSON (stdout with ``--json``, a file with ``--json PATH``)."""
    if args.json == "-":
        sys.stdout.write(json.dumps(payload, indent=1) + "\n")
        return
    if args.json:
        try:
            with open(args.json, "w") as fh:
                json.dump(payload, fh, indent=1)
        except OSError as exc:  # e.g. the disk filled up during the computation
            raise _Fail(f"--json {args.json} could not be written ({exc.strerror or exc}).", status=1) from None
    if not (args.quiet and args.json):
        sys.stdout.write(text + "\n")


def _save_plot(args: argparse.Namespace, draw) -> None:
    if not args.plot:
        return
    import matplotlib

    matplotlib.use("Agg")
    axes = draw()
    fig = (axes[0] if hasattr(axes, "__len__") else axes).figure
    try:
        fig.savefig(args.plot, dpi=130, bbox_inches="tight")
    except OSError as exc:
        raise _Fail(f"--plot {args.plot} could not be written ({exc.strerror or exc}).", status=1) from None
    if not args.quiet and args.json != "-":
        sys.stderr.write(f"pidkit: figure written to {args.plot}\n")


# ----------------------------------------------------------------------------------- commands
def _selected(args: argparse.Namespace, table: Any, specs: list[tuple[str, str]]) -> list[Any]:
    """The selected columns of ``table``; with ``--dropna``, only the rows where none of them is missing."""
    rows = None
    if getattr(args, "dropna", False):
        keep = table.complete_rows(specs)
        dropped = int((~keep).sum())
        if dropped == keep.size and dropped:
            raise _Fail(f"{table.source}: every one of its {dropped} rows has a missing value in the selected columns.")
        if dropped:
            rows = keep
            if not args.quiet:
                sys.stderr.write(f"pidkit: --dropna dropped {dropped} of {keep.size} rows of {table.source} with a "
                                 "missing value in the selected columns\n")
    return [table.array(spec, what, rows) for spec, what in specs]


def _estimate(args: argparse.Namespace) -> int:
    import pidkit as pid
    from pidkit._io import read_table

    table = read_table(args.file)
    extra = [(spec, f"--x{i}") for i, spec in ((3, args.x3), (4, args.x4)) if spec is not None]
    if args.x4 is not None and args.x3 is None:
        raise _Fail("--x4 needs --x3 (sources are numbered in order).")
    if extra:
        return _estimate_sources(args, table, extra)
    x1, x2, y = _selected(args, table, [(args.x1, "--x1"), (args.x2, "--x2"), (args.y, "--y")])
    if y.ndim != 1 and args.estimator not in ("gaussian", "copula"):
        raise _Fail(f"--y selects {y.shape[1]} columns; the label must be one column (a vector target needs "
                    "--estimator gaussian or copula).")
    options = _options(args.option)
    info_check = {"fast": True, "thorough": "thorough", "off": False}[args.info_check]
    if args.quiet and args.estimator in ("auto", "batch") and "progress" not in options:
        options["progress"] = False  # BATCH shows bars on a terminal by default (progress="auto"); --quiet: none
    if args.compare:
        return _compare(args, x1, x2, y, options, info_check)
    res = pid.estimate(
        x1, x2, y, estimator=args.estimator, discretizer=_discretizer(args), units=args.units,
        random_state=args.random_state, ci=args.ci, n_boot=args.n_boot, ci_method=args.ci_method, n_perm=args.n_perm,
        info_check=info_check, measure=args.measure, tests=_tests(args), **options,
    )
    _emit(args, str(res), res.to_dict())
    _save_plot(args, lambda: res.plot())
    return 0


def _tests(args: argparse.Namespace) -> tuple[str, ...] | None:
    """The permutation tests of ``--n-perm``: all of them for BROJA; with another measure those that test
    informations (total, x1, x2), since the synergy test draws from the BROJA optimum."""
    if not args.n_perm or args.measure == "broja":
        return None
    return ("total", "x1", "x2")


def _estimate_sources(args: argparse.Namespace, table: Any, extra: list[tuple[str, str]]) -> int:
    """``pidkit estimate`` with ``--x3`` (and ``--x4``): a lattice PID of three or four sources."""
    import pidkit as pid

    if args.measure == "broja":
        raise _Fail("three or four sources need a lattice measure: --measure imin, mmi or ccs (there is no agreed "
                    "BROJA decomposition of more than two sources).")
    if args.compare or args.n_perm or args.ci_method or args.option or args.estimator not in ("auto", "cvx"):
        raise _Fail("with --x3 / --x4 the sources' discretized table is decomposed by --measure; --compare, --n-perm, "
                    "--ci-method, -o and other estimators are for two modalities.")
    cols = _selected(args, table, [(args.x1, "--x1"), (args.x2, "--x2"), *extra, (args.y, "--y")])
    res = pid.estimate(cols[:-1], cols[-1], measure=args.measure, discretizer=_discretizer(args), units=args.units,
                       random_state=args.random_state, ci=args.ci, n_boot=args.n_boot)
    _emit(args, str(res), res.to_dict())
    _save_plot(args, lambda: res.plot())
    return 0


def _compare(args: argparse.Namespace, x1: Any, x2: Any, y: Any, options: dict[str, Any], info_check: Any) -> int:
    """``pidkit estimate --compare``: :func:`pidkit.compare_estimators` on the selected columns."""
    import pidkit as pid

    if args.bins is not None or args.clusters is not None:
        raise _Fail("--compare tries its own codings (the automatic one, fewer and more states, the other family); "
                    "drop --bins / --clusters.")
    if args.n_perm or args.ci_method or args.n_boot:
        raise _Fail("--compare gives every estimate its default intervals (--ci); drop --n-perm, --ci-method and "
                    "--n-boot.")
    from pidkit.api import _split_options

    split = _split_options(options)  # each estimator's own options (an unknown one: an error)
    cmp = pid.compare_estimators(
        x1, x2, y, estimators=("cvx", "batch") if args.estimator == "auto" else (args.estimator,),
        ci=0.95 if args.ci is None else args.ci, units=args.units, random_state=args.random_state,
        info_check=info_check, discretizer_options=_label_options(args) or None,
        batch_options=split["batch"], **split["cvx"],
    )
    payload = {"best": cmp.best, "verdict": cmp.verdict, "skipped": cmp.skipped, "seconds": cmp.seconds,
               "warnings": {k: list(v) for k, v in cmp.warnings.items()},
               "results": {k: r.to_dict() for k, r in cmp.results.items()}}
    _emit(args, str(cmp), payload)
    _save_plot(args, lambda: cmp.plot())
    return 0


def _decompose(args: argparse.Namespace) -> int:
    import numpy as np

    import pidkit as pid
    from pidkit._io import read_count_table

    table = read_count_table(args.table)
    arr = np.asarray(table)
    counts = arr.dtype.kind in "biu" or (
        arr.dtype.kind == "f" and bool(np.all(np.isfinite(arr))) and bool(np.all(arr == np.round(arr)))
    )
    total = float(np.sum(arr)) if arr.dtype.kind in "biuf" else float("nan")
    if not counts and np.isfinite(total) and not np.isclose(total, 1.0, rtol=0, atol=1e-9) and not args.normalize:
        raise _Fail(f"{args.table} sums to {total:.6g}: neither probabilities (summing to 1) nor counts (non-negative "
                    "integers). Pass --normalize to rescale it, or check the file.")
    if args.normalize and not counts and np.isfinite(total) and total > 0:
        table = arr / total  # both paths below then see probabilities
    if np.ndim(table) != 3:
        if args.ci is not None or args.n_perm:
            raise _Fail("--ci and --n-perm resample a table of two sources; for three or four give the samples to "
                        "'pidkit estimate --x3 ... --measure ... --ci'.")
        res = pid.decompose(table, units=args.units, measure=args.measure)
    elif args.ci is not None or args.n_perm:
        res = pid.bootstrap(table, ci=args.ci if args.ci is not None else 0.95, n_boot=args.n_boot,
                            ci_method=args.ci_method, n_perm=args.n_perm, units=args.units,
                            random_state=args.random_state, measure=args.measure, tests=_tests(args))
    else:
        res = pid.decompose(table, units=args.units)
    _emit(args, str(res), res.to_dict())
    _save_plot(args, lambda: res.plot())
    return 0


def _bounds(args: argparse.Namespace) -> int:
    from pidkit._io import read_table
    from pidkit.bounds import estimate_synergy_bounds

    d1, d2, dm = read_table(args.d1), read_table(args.d2), read_table(args.paired)
    x1, y1 = _selected(args, d1, [(args.x1, "--x1 (in --d1)"), (args.y, "--y (in --d1)")])
    x2, y2 = _selected(args, d2, [(args.x2, "--x2 (in --d2)"), (args.y, "--y (in --d2)")])
    p1, p2 = _selected(args, dm, [(args.x1, "--x1 (in --paired)"), (args.x2, "--x2 (in --paired)")])
    res = estimate_synergy_bounds(x1, y1, x2, y2, p1, p2, random_state=args.random_state, units=args.units)
    _emit(args, str(res), res.to_dict())
    _save_plot(args, lambda: res.plot())
    return 0


def _select(args: argparse.Namespace) -> int:
    import pidkit as pid
    from pidkit._io import read_table

    table = read_table(args.file)
    x1, x2, y = _selected(args, table, [(args.x1, "--x1"), (args.x2, "--x2"), (args.y, "--y")])
    if not 0 <= args.tolerance < 1:
        raise _Fail(f"--tolerance must be a fraction in [0, 1) of the best accuracy (0.01 = 1%); got {args.tolerance}.")
    sel = pid.select_models(x1, x2, y, discretizer=_discretizer(args), random_state=args.random_state,
                            units=args.units, tolerance=args.tolerance, verify=not args.no_verify)
    text = str(sel) + f"\nhighest expected accuracy: {', '.join(sel.top(args.k))}"
    _emit(args, text, sel.to_dict())
    _save_plot(args, lambda: sel.plot(k=args.k))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(args)


# ------------------------------------------------------------------------------------ parser
def _parser() -> argparse.ArgumentParser:
    from importlib.metadata import PackageNotFoundError, version

    try:
        ver = version("pidkit")
    except PackageNotFoundError:  # pragma: no cover - source tree
        ver = "0+unknown"
    parser = argparse.ArgumentParser(
        prog="pidkit", description="Partial information decomposition of what two modalities say about a label.",
        epilog="Column selections: names, globs ('px_*'), positions '0:32' or inclusive names 'px_0:px_31', "
               "comma-separated. See 'pidkit COMMAND --help'.",
    )
    parser.add_argument("--version", action="version", version=f"pidkit {ver}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def outputs(p: argparse.ArgumentParser) -> None:
        p.add_argument("--units", choices=("bits", "nats"), default="bits")
        p.add_argument("--json", nargs="?", const="-", metavar="PATH",
                       help="print JSON instead of the table (or write it to PATH)")
        p.add_argument("--plot", metavar="PNG", help="save a figure of the result")
        p.add_argument("--random-state", type=int, default=0, help="seed of every random step (default 0)")
        p.add_argument("--quiet", action="store_true", help="no progress bars, warnings or messages on stderr")

    def columns(p: argparse.ArgumentParser) -> None:
        p.add_argument("--x1", required=True, metavar="COLS", help="columns of modality 1")
        p.add_argument("--x2", required=True, metavar="COLS", help="columns of modality 2")
        p.add_argument("--y", required=True, metavar="COL", help="the label column")
        p.add_argument("--dropna", action="store_true",
                       help="drop the rows with a missing value (empty, NA, NaN, null) in the selected columns, and "
                            "say how many (without it, a missing value is an error)")

    def coding(p: argparse.ArgumentParser) -> None:
        p.add_argument("--bins", type=int, help="bins per 1-D continuous modality (default: the sample-size rule)")
        p.add_argument("--clusters", type=int, help="k-means clusters per multi-column modality (default: auto)")
        p.add_argument("--y-bins", type=int, help="bin a continuous label into this many bins (never done silently)")
        p.add_argument("--y-categorical", action="store_true",
                       help="the label's numbers are class codes: keep every value as a class (a numeric label with "
                            "more than 32 values is otherwise refused as continuous)")

    def uncertainty(p: argparse.ArgumentParser) -> None:
        p.add_argument("--ci", type=float, metavar="LEVEL", help="confidence intervals at this level, e.g. 0.95")
        p.add_argument("--ci-method", help="bca (default), percentile, bayes; BATCH: readout, retrain; gaussian / "
                                           "copula: resample (default), parametric")
        p.add_argument("--n-boot", type=_count, help="replicates behind the intervals")
        p.add_argument("--n-perm", type=_count, default=0,
                       help="permutations per significance test (0: none); with a --measure other than broja the "
                            "total, x1 and x2 tests (the synergy test is BROJA's)")

    est = sub.add_parser("estimate", help="PID of the columns of a data file")
    est.add_argument("file", help=".csv, .parquet, .npz or .npy")
    columns(est)
    est.add_argument("--estimator", choices=("auto", "cvx", "batch", "gaussian", "copula"), default="auto",
                     help="gaussian: the exact Gaussian PID of the columns' covariance (continuous or vector target); "
                          "copula: the same of their normal scores (ranks)")
    est.add_argument("--x3", metavar="COLS", help="columns of a third modality (needs --measure imin, mmi or ccs)")
    est.add_argument("--x4", metavar="COLS", help="columns of a fourth modality")
    est.add_argument("--measure", choices=("broja", "mmi", "imin", "ccs"), default="broja",
                     help="the PID measure of the discretized table (default broja; three or four sources need a "
                          "lattice measure)")
    est.add_argument("--compare", action="store_true",
                     help="run the applicable estimators and codings side by side, with the information each keeps, "
                          "intervals and ranges, and say which to believe (pid.compare_estimators)")
    est.add_argument("--info-check", choices=("fast", "thorough", "off"), default="fast",
                     help="held-out classifiers that measure the information kept: fast (logistic regression and "
                          "nearest neighbours, default), thorough (plus gradient boosting), off")
    coding(est)
    uncertainty(est)
    est.add_argument("-o", "--option", action="append", metavar="KEY=VALUE",
                     help="an estimator option, e.g. -o solver=clarabel or -o batch_size=256 (repeatable)")
    outputs(est)
    est.set_defaults(func=_estimate)

    dec = sub.add_parser("decompose", help="exact PID of a joint table (probabilities or counts) in a .npy")
    dec.add_argument("table", help=".npy (or one-array .npz) of shape (|X1|, |X2|, |Y|); with --measure imin, mmi "
                                   "or ccs also (|X1|, |X2|, |X3|[, |X4|], |Y|)")
    dec.add_argument("--measure", choices=("broja", "mmi", "imin", "ccs"), default="broja",
                     help="the PID measure (default broja, the exact solver)")
    dec.add_argument("--normalize", action="store_true",
                     help="rescale a table of probabilities that does not sum to 1 (default: refuse it; counts are "
                          "always accepted)")
    uncertainty(dec)
    outputs(dec)
    dec.set_defaults(func=_decompose)

    bnd = sub.add_parser("bounds", help="synergy and accuracy bounds from unpaired labels and unlabeled pairs")
    bnd.add_argument("--d1", required=True, metavar="FILE", help="labeled modality 1: the --x1 and --y columns")
    bnd.add_argument("--d2", required=True, metavar="FILE", help="labeled modality 2: the --x2 and --y columns")
    bnd.add_argument("--paired", required=True, metavar="FILE", help="unlabeled pairs: the --x1 and --x2 columns")
    columns(bnd)
    outputs(bnd)
    bnd.set_defaults(func=_bounds)

    sel = sub.add_parser("select", help="which modalities and which kind of fusion the data need, from their PID")
    sel.add_argument("file", help=".csv, .parquet, .npz or .npy")
    columns(sel)
    sel.add_argument("--tolerance", type=float, default=0.01,
                     help="accuracy (fraction of the best) you would give up for a cheaper model (default 0.01)")
    sel.add_argument("-k", type=int, default=3, help="also list the k candidates of highest expected accuracy")
    sel.add_argument("--no-verify", action="store_true",
                     help="do not check a recommendation that cannot reach every atom on held-out samples (by "
                          "default it and a joint model are fitted on 80%% of the rows and scored on the rest)")
    coding(sel)
    outputs(sel)
    sel.set_defaults(func=_select)

    demo = sub.add_parser("demo", help="decompose bitwise gates, samples, the digits dataset and two models")
    demo.add_argument("--seed", type=int, default=0, help="random_state for sampling and clustering")
    demo.add_argument("--clusters", type=int, default=10, help="k-means clusters per image half in the contrast")
    demo.add_argument("--no-batch", dest="batch", action="store_false",
                      help="decompose the digits with the exact estimator only (no BATCH fallback; no PyTorch needed)")
    demo.add_argument("--no-models", dest="models", action="store_false",
                      help="skip the model PID section (needs PyTorch)")
    demo.set_defaults(func=_demo)
    return parser


#: Figure formats ``--plot`` writes (matplotlib's Agg and vector backends).
PLOT_FORMATS = (".png", ".pdf", ".svg", ".jpg", ".jpeg", ".eps", ".ps", ".tif", ".tiff", ".webp")


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse an output path that cannot be written — before the computation, not after it."""
    from pathlib import Path

    for flag, value in (("--json", getattr(args, "json", None)), ("--plot", getattr(args, "plot", None))):
        if not value or value == "-":
            continue
        path = Path(value)
        if any(len(os.fsencode(part)) > 255 for part in path.parts):  # stat() itself fails on such names
            raise _Fail(f"{flag}: a name in the path is longer than 255 bytes, more than file systems take.")
        if path.is_dir():
            raise _Fail(f"{flag} {value} is a directory; expected a file path to write.")
        target = path.resolve()  # a symlink is checked where it points
        if target.exists() and not target.is_file():  # a FIFO blocks, a device (/dev/full) fails at the write
            raise _Fail(f"{flag} {value} is not a regular file; expected a file path to write.")
        parent = target.parent
        if not parent.is_dir():
            raise _Fail(f"{flag} {value}: the directory {parent} does not exist; create it or write elsewhere.")
        if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise _Fail(f"{flag} {value} cannot be written (permission denied); choose a writable path.")
        if flag == "--plot" and path.suffix.lower() not in PLOT_FORMATS:
            raise _Fail(f"--plot {value}: unknown figure format {path.suffix or '(none)'!r}; expected one of "
                        f"{', '.join(PLOT_FORMATS)}.")


def main(argv: list[str] | None = None) -> int:
    from .exceptions import PIDKitError

    args = _parser().parse_args(argv)
    with warnings.catch_warnings():
        if getattr(args, "quiet", False):
            warnings.simplefilter("ignore")

        def one_line(message, category, filename, lineno, line=None):  # no path, no source line
            return f"pidkit {args.command}: warning: {category.__name__}: {' '.join(str(message).split())}\n"

        saved, warnings.formatwarning = warnings.formatwarning, one_line  # recorders (pytest) are unaffected
        try:
            _check_outputs(args)
            return args.func(args)
        except _Fail as exc:
            sys.stderr.write(f"pidkit {args.command}: error: {exc}\n")
            return exc.status
        except PIDKitError as exc:
            status = 2 if isinstance(exc, (ValueError, ImportError)) else 1
            sys.stderr.write(f"pidkit {args.command}: error: {exc}\n")
            return status
        finally:
            warnings.formatwarning = saved


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
