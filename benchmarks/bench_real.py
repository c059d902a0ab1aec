"""Numbers you can trust on real data: the default ``pid.estimate`` on data nobody prepared for it.

Datasets (scikit-learn's bundled data, no download):

* ``digits``: 1,797 8x8 images, x1 = the top half (pixel columns 0-31), x2 = the bottom half (32-63),
  10 classes; pixels are integers 0-16.
* ``breast_cancer``: 569 tumours, x1 = features 0-14 (the ten "mean" features and the first five
  "error" features), x2 = features 15-29, 2 classes; unscaled (areas in the thousands next to
  smoothness around 0.1).
* ``wine``: 178 wines, x1 = features 0-6, x2 = features 7-12, 3 classes; unscaled.
* the ten interaction-suite presets (``pidkit.synthetic.suite_data``, 30,000 samples each, exact atoms known).

For each real dataset, the default estimate and, measured on it:

* the share of the held-out classifiers' I(X1;Y), I(X2;Y), I(X1,X2;Y) the estimate keeps (floor: 85%),
* whether every atom lies in the ranges the informations allow (its own, and the classifiers' within
  the check's margin),
* the same values as int64, float64, a CSV file and a Parquet file read by the command line's reader
  (identical atoms required), and z-scored features (within 0.1 bits required),
* wall time of each estimate.

For the presets: the default estimate's largest error against the exact atoms (floor: 0.03 bits).

    python benchmarks/bench_real.py                  # everything (about a minute on 2 cores)
    python benchmarks/bench_real.py --compare        # plus pid.compare_estimators on the three datasets (BATCH too)

Results: benchmarks/results/bench_real.txt (and bench_real_compare.txt with ``--compare``).
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn import datasets

import pidkit as pid
from pidkit._io import read_table
from pidkit.synthetic import SUITE_PRESETS, suite_data

ATOMS = ("R", "U1", "U2", "S")
RESULTS = Path(__file__).parent / "results"


def real_datasets() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, str]]:
    d = datasets.load_digits()
    b = datasets.load_breast_cancer()
    w = datasets.load_wine()
    return {
        "digits": (d.data[:, :32], d.data[:, 32:], d.target, "top 32 vs bottom 32 pixels"),
        "breast_cancer": (b.data[:, :15], b.data[:, 15:], b.target, "features 0-14 vs 15-29"),
        "wine": (w.data[:, :7], w.data[:, 7:], w.target, "features 0-6 vs 7-12"),
    }


def run(x1, x2, y, **kw):
    """The estimate, its wall time and the names of the pidkit warnings it raised."""
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pid.exceptions.PIDKitWarning)
        res = pid.estimate(x1, x2, y, **kw)
    names = sorted({w.category.__name__ for w in caught if issubclass(w.category, pid.exceptions.PIDKitWarning)})
    return res, time.perf_counter() - t0, names


def via_files(x1, x2, y, tmp: Path, name: str):
    """The same data written as CSV (integers stay integers) and Parquet (float64), read back by the CLI's reader."""
    import pandas as pd

    d1, d2 = x1.shape[1], x2.shape[1]
    frame = pd.DataFrame(np.hstack([x1, x2]), columns=[f"f{i}" for i in range(d1 + d2)])
    if np.all(frame.to_numpy() == np.round(frame.to_numpy())):
        frame = frame.astype(np.int64)
    frame["label"] = y
    out = {}
    for ext in ("csv", "parquet"):
        path = tmp / f"{name}.{ext}"
        if ext == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.astype({c: np.float64 for c in frame.columns if c != "label"}).to_parquet(path)
        table = read_table(path)
        out[ext] = (table.array(f"f0:f{d1 - 1}", "--x1"), table.array(f"f{d1}:f{d1 + d2 - 1}", "--x2"),
                    table.array("label", "--y"), str(table.array("f0", "f0").dtype))
    return out


def in_ranges(res) -> tuple[bool, bool, float]:
    """Atoms inside the result's own ranges; inside the reference ones (within the margin); the largest distance out."""
    c = res.info_check
    own = all(lo - 1e-7 <= getattr(res, a) <= hi + 1e-7 for a, (lo, hi) in c.ranges.items())
    far = 0.0
    for a, (lo, hi) in c.reference_ranges.items():
        far = max(far, lo - getattr(res, a), getattr(res, a) - hi)
    return own, not c.outside, far


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--compare", action="store_true", help="also run pid.compare_estimators (with BATCH)")
    ap.add_argument("--no-presets", dest="presets", action="store_false")
    args = ap.parse_args()
    lines: list[str] = []

    def out(s: str = "") -> None:
        print(s, flush=True)
        lines.append(s)

    out(f"pidkit {pid.__version__}, Python {platform.python_version()}, {platform.machine()}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; atoms in bits; the default pid.estimate")
    ok = True
    out("\n(a) real data: the default estimate, the information it keeps, its ranges")
    head = (f"{'dataset':<14}{'n':>6}{'est':>6}{'table':>10}{'R':>8}{'U1':>8}{'U2':>8}{'S':>8}  "
            f"{'kept I1':>8}{'kept I2':>8}{'kept I12':>9}  ranges (own/clf, dist)   s    warnings")
    out(head)
    out("-" * len(head))
    data = real_datasets()
    results = {}
    for name, (x1, x2, y, split) in data.items():
        res, secs, warned = run(x1, x2, y)
        results[name] = res
        c = res.info_check
        own, clf, far = in_ranges(res)
        table = "x".join(map(str, res.shape)) if res.estimator != "batch" else "-"
        kept = [c.kept[q] for q in ("I1", "I2", "total")]
        ok &= min(kept) >= 0.85 and own and clf
        out(f"{name:<14}{len(y):>6}{res.estimator:>6}{table:>10}" + "".join(f"{getattr(res, a):8.3f}" for a in ATOMS)
            + f"  {kept[0]:8.0%}{kept[1]:8.0%}{kept[2]:9.0%}  {'in' if own else 'OUT'}/{'in' if clf else 'OUT'} "
            f"{max(far, 0.0):5.3f}   {secs:6.1f}  {', '.join(warned) or '-'}")
        out(f"{'':<14}split: {split}; classifiers: I1 {c.classifier['I1']:.3f}, I2 {c.classifier['I2']:.3f}, "
            f"I12 {c.classifier['total']:.3f}; reference range of R [{c.reference_ranges['R'][0]:.3f}, "
            f"{c.reference_ranges['R'][1]:.3f}], margin {c.margin:.3f}")
        out(f"{'':<14}{res.diagnostics.notes[0]}")
        out(f"{'':<14}{res.diagnostics.notes[1]}")

    out("\n(b) the same values in other dtypes and files, and in other units (z-scored)")
    head = f"{'dataset':<14}{'as':<24}{'max |atom - default|':>22}{'estimator':>11}{'s':>7}"
    out(head)
    out("-" * len(head))
    with tempfile.TemporaryDirectory() as tmp:
        for name, (x1, x2, y, _) in data.items():
            base = results[name]
            variants = {}
            if np.all(x1 == np.round(x1)) and np.all(x2 == np.round(x2)):
                variants["int64 arrays"] = (x1.astype(np.int64), x2.astype(np.int64), y)
            variants["float64 arrays"] = (x1.astype(np.float64), x2.astype(np.float64), y.astype(np.float64))
            for ext, (f1, f2, fy, dtype) in via_files(x1, x2, y, Path(tmp), name).items():
                variants[f"{ext} file ({dtype})"] = (f1, f2, fy)
            z = [(a - a.mean(0)) / np.where(a.std(0) > 0, a.std(0), 1.0) for a in (x1, x2)]
            variants["z-scored features"] = (z[0], z[1], y)
            for label, (v1, v2, vy) in variants.items():
                res, secs, _ = run(v1, v2, vy)
                diff = max(abs(getattr(res, a) - getattr(base, a)) for a in ATOMS)
                limit = 0.1 if label.startswith("z-scored") else 0.0
                ok &= diff <= limit and res.estimator == base.estimator
                out(f"{name:<14}{label:<24}{diff:22.2e}{res.estimator:>11}{secs:7.1f}")

    if args.presets:
        out("\n(c) the interaction-suite presets (30,000 samples, exact atoms known): the default estimate")
        head = (f"{'preset':<8}{'exact R U1 U2 S':>30}{'estimate R U1 U2 S':>34}{'max err':>9}{'min kept':>9}"
                f"{'est':>6}{'states':>9}{'s':>7}")
        out(head)
        out("-" * len(head))
        worst = 0.0
        for name in SUITE_PRESETS:
            d = suite_data(name)
            res, secs, _ = run(*d)
            err = max(abs(getattr(res, a) - d.spec.atoms[a]) for a in ATOMS)
            worst = max(worst, err)
            kept = min((v for v in res.info_check.kept.values() if not math.isnan(v)), default=math.nan)
            states = "x".join(map(str, res.shape[:2])) if res.estimator != "batch" else "-"
            out(f"{name:<8}" + "".join(f"{d.spec.atoms[a]:7.3f}" for a in ATOMS) + "   "
                + "".join(f"{getattr(res, a):8.3f}" for a in ATOMS)
                + f"{err:9.4f}{kept:9.0%}{res.estimator:>6}{states:>9}{secs:7.1f}")
        ok &= worst <= 0.03
        out(f"largest error over the presets: {worst:.4f} bits (floor 0.03)")

    out(f"\nall floors met: {ok}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_real.txt").write_text("$ python benchmarks/bench_real.py\n" + "\n".join(lines) + "\n")

    if args.compare:
        text = []
        for name, (x1, x2, y, split) in data.items():
            t0 = time.perf_counter()
            cmp = pid.compare_estimators(x1, x2, y)
            block = f"== {name} ({split}), {time.perf_counter() - t0:.0f} s\n{cmp}"
            print(block, flush=True)
            text.append(block)
        (RESULTS / "bench_real_compare.txt").write_text("$ python benchmarks/bench_real.py --compare\n"
                                                         + "\n\n".join(text) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
