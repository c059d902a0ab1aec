"""Build the model-selection catalog that ships with pidkit (``pidkit/data/catalog.json``).

Trains every fusion-zoo model, with three seeds, on each reference dataset of
``pidkit.selection.default_grid()`` — the ten thesis presets, a sweep over the R / U / S
simplex and the decision mixes at two total informations, each at two difficulty levels (2,000
training samples with noise 0.15; 500 with noise 0.35), six mixes with 6,000 training samples,
5,000 test samples each — and records per dataset its PID (exact, of the features, and
cvx-estimated), Bayes accuracy, and per model the test accuracies, model PID, α and size. The
fit times go to ``costs.json`` beside the catalog (they depend on the machine).

    python benchmarks/build_catalog.py                     # the shipped catalog (2 processes)
    python benchmarks/build_catalog.py --out /tmp/c.json   # elsewhere, e.g. to compare with the shipped one
    python benchmarks/build_catalog.py --datasets R-easy,S-hard --models early,tensor --out /tmp/small.json

Every fit runs on one torch thread per process, so the same command writes the same file on the
CPU (the file holds no timestamps; the build time is printed).
"""

from __future__ import annotations

import argparse
import sys
import time

from pidkit.selection.catalog import (
    DEFAULT_CATALOG,
    build_catalog,
    costs_path,
    default_grid,
    save_catalog,
    save_costs,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(DEFAULT_CATALOG), help=f"output file (default {DEFAULT_CATALOG})")
    ap.add_argument("--datasets", help="comma-separated names from the default grid (default: all)")
    ap.add_argument("--models", help="comma-separated zoo names (default: all)")
    ap.add_argument("--seeds", default="0,1,2", help="model seeds (default 0,1,2)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel processes (default 2)")
    ap.add_argument("--machine", help="how to name this machine in the costs file (default: from the platform)")
    args = ap.parse_args()
    grid = default_grid()
    if args.datasets:
        wanted = args.datasets.split(",")
        unknown = sorted(set(wanted) - {e["name"] for e in grid})
        if unknown:
            sys.exit(f"unknown dataset(s) {unknown}; the grid has {[e['name'] for e in grid]}")
        grid = [e for e in grid if e["name"] in wanted]
    models = args.models.split(",") if args.models else None
    seeds = tuple(int(s) for s in args.seeds.split(","))
    # the command recorded in the catalog names what decides its content (not --out, --jobs or --machine), so
    # the same content is written as the same bytes
    chosen = [f"--{k} {getattr(args, k)}" for k in ("datasets", "models") if getattr(args, k)]
    if args.seeds != "0,1,2":
        chosen.append(f"--seeds {args.seeds}")
    command = " ".join(["python benchmarks/build_catalog.py", *chosen])
    t0 = time.perf_counter()
    timings: dict = {}
    catalog = build_catalog(grid, models=models, seeds=seeds, n_jobs=args.jobs, command=command,
                            progress=True, timings=timings)
    path = save_catalog(catalog, args.out)
    costs = save_costs(timings, catalog, costs_path(args.out), machine=args.machine)
    elapsed = time.perf_counter() - t0
    print(f"wrote {path}: {len(catalog['datasets'])} datasets x {len(catalog['models'])} models x {len(seeds)} seeds "
          f"in {elapsed:.0f} s ({elapsed / 60:.1f} min); fit times in {costs}")


if __name__ == "__main__":
    main()
