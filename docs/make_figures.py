"""Render the figures of the README and the documentation site into ``docs/figures/`` (run by ``make figures``).

Every figure is made by pidkit's own plotting functions from seeded data, so a change to the plots
or to the numbers shows up as a changed PNG in review. Takes a few seconds on one core.

    python docs/make_figures.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import pidkit as pid  # noqa: E402
from pidkit.synthetic import gate_pmf  # noqa: E402

HERE = Path(__file__).resolve().parent
# No timestamp or version in the PNG, so regenerating unchanged figures gives the same bytes.
PNG_METADATA = {"Software": None}


def quickstart(out: Path) -> Path:
    """The quick start's AND gate with 95% intervals, next to the exact PID of six gates."""
    rng = np.random.default_rng(0)
    x1 = rng.integers(0, 2, 100_000)
    x2 = rng.integers(0, 2, 100_000)
    res = pid.estimate(x1, x2, x1 & x2, ci=0.95, n_boot=500, random_state=0)

    gates = {name: pid.decompose(gate_pmf(name)) for name in ("xor", "and", "sum", "copy", "rdn", "unq")}
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), width_ratios=(1.25, 2.2), layout="constrained")
    pid.plot.plot_pid(res, ax=left, title="AND gate, 100,000 samples (95% CI)")
    pid.plot.plot_compare(gates, ax=right, title="exact PID of the logic gates (uniform inputs)")
    path = out / "quickstart.png"
    fig.savefig(path, dpi=110, metadata=PNG_METADATA)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "figures", help="directory for the PNGs")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for make in (quickstart,):
        print("wrote", make(args.out))


if __name__ == "__main__":
    main()
