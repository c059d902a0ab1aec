"""The ten suite presets against the estimators: stated PID, latent table, features, ``estimate``.

For every preset of ``pidkit.synthetic.SUITE_PRESETS`` (its default size and fixed seed):

* the stated atoms next to ``decompose`` of the latent table (largest difference, certified gap);
* the features' own PID (``spec.feature_pid``, grids of 128 cells per noisy coordinate) and their
  Bayes accuracy, i.e. what the embedding noise costs;
* ``pid.estimate`` with the defaults (``estimator="auto"``: which one it chose) and with
  ``estimator="cvx"``: atoms, largest error against the stated atoms, time.

    python benchmarks/bench_suite.py                 # all ten presets (BATCH takes most of the time)
    python benchmarks/bench_suite.py --no-auto       # the exact parts and cvx only (seconds)
"""

from __future__ import annotations

import argparse
import time
import warnings

import pidkit as pid
from pidkit.synthetic import SUITE_PRESETS, suite_data

ATOMS = ("R", "U1", "U2", "S")


def fmt(res) -> str:
    return " ".join(f"{getattr(res, a):7.3f}" for a in ATOMS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--presets", default=",".join(SUITE_PRESETS))
    ap.add_argument("--n", type=int, default=None, help="samples per preset (default: the preset's)")
    ap.add_argument("--no-auto", dest="auto", action="store_false", help="skip the default (auto) estimate")
    args = ap.parse_args()
    print(f"pidkit {pid.__version__}; atoms R U1 U2 S in bits; errors = max over atoms of |estimate - stated|\n")
    print(f"{'preset':<7}{'what':<20}{'R':>7} {'U1':>7} {'U2':>7} {'S':>7}{'max err':>9}{'time s':>8}  notes")
    worst = {"latent": 0.0, "features": 0.0, "auto": 0.0, "cvx": 0.0}
    for name in args.presets.split(","):
        data = suite_data(name, n=args.n)
        stated = data.spec.atoms
        print(f"{name:<7}{'stated':<20}" + " ".join(f"{stated[a]:7.3f}" for a in ATOMS)
              + f"{'':>17}  n={len(data)}, {data.spec.n_classes} classes, Bayes accuracy {data.bayes_accuracy:.4f}")

        def row(label, res, elapsed, note="", key=None, stated=stated):
            err = max(abs(getattr(res, a) - stated[a]) for a in ATOMS)
            if key:
                worst[key] = max(worst[key], err)
            print(f"{'':<7}{label:<20}{fmt(res)}{err:9.4f}{elapsed:8.1f}  {note}")

        t0 = time.perf_counter()
        lat = data.pid
        row("decompose(latent)", lat, time.perf_counter() - t0, f"gap {lat.diagnostics.duality_gap:.1e}", "latent")
        t0 = time.perf_counter()
        feat = data.spec.feature_pid()
        row("features (grid)", feat, time.perf_counter() - t0,
            f"feature Bayes accuracy {data.spec.feature_bayes_accuracy():.4f}", "features")
        runs = (("auto",) if args.auto else ()) + ("cvx",)
        for est in runs:
            t0 = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                res = pid.estimate(*data, estimator=est, random_state=0)
            kinds = sorted({w.category.__name__ for w in caught})
            shape = "x".join(map(str, res.shape))
            note = f"chose {res.estimator!r}, shape {shape}" + (f"; warned {', '.join(kinds)}" if kinds else "")
            row(f"estimate({est})", res, time.perf_counter() - t0, note, est)
    print("\nlargest error over the presets: " + ", ".join(f"{k} {v:.4f}" for k, v in worst.items()))


if __name__ == "__main__":
    main()
