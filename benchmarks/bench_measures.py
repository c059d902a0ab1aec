"""Benchmark of the lattice measures (mmi, imin, ccs) against dit on the same tables, in the same run.

For each case a table is decomposed by ``pid.decompose(p, measure=...)`` (in this process, median
of ``--repeats``) and by dit's ``PID_MMI`` / ``PID_WB`` / ``PID_CCS`` (in a second interpreter that
has dit, ``--dit-python``: dit is no dependency of pidkit; its environment is pinned in
``benchmarks/requirements-dit.txt``). Printed per case: seconds of each, the ratio dit / pidkit,
and the largest difference of any atom (bits) between the two.

    python -m venv /tmp/ditenv && /tmp/ditenv/bin/pip install -r benchmarks/requirements-dit.txt
    python benchmarks/bench_measures.py --dit-python /tmp/ditenv/bin/python
    python benchmarks/bench_measures.py --no-dit            # pidkit's times only
"""

from __future__ import annotations

import argparse
import contextlib
import json
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _tee import Tee  # noqa: E402

#: The dit side: reads the tables, decomposes each by the named measure, writes atoms (bits) and seconds.
DIT_SCRIPT = r"""
import json, sys, time
import numpy as np
import dit
from dit.pid import PID_CCS, PID_MMI, PID_WB

CLASSES = {"mmi": PID_MMI, "imin": PID_WB, "ccs": PID_CCS}
data = np.load(sys.argv[1])
cases = json.loads(sys.argv[2])
out = {}
for key, measure in cases:
    p = data[key]
    n = p.ndim - 1
    idx = np.argwhere(p > 0)
    d = dit.Distribution([tuple(int(v) for v in row) for row in idx], [float(p[tuple(row)]) for row in idx])
    t0 = time.perf_counter()
    pid = CLASSES[measure](d, [[i] for i in range(n)], [n])
    atoms = {}
    for node in pid._lattice:
        name = "".join("{" + "".join(str(i + 1) for i in sorted(c)) + "}"
                       for c in sorted(node, key=lambda c: (len(c), sorted(c))))
        atoms[name] = float(pid.get_pi(node))
    out[key + "/" + measure] = {"seconds": time.perf_counter() - t0, "atoms": atoms}
print(json.dumps(out))
"""


def cases(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {}
    parity = np.zeros((2, 2, 2, 2))
    for a in range(2):
        for b in range(2):
            for c in range(2):
                parity[a, b, c, a ^ b ^ c] = 1 / 8
    out["parity 2x2x2x2"] = parity
    out["random 2x2x2 (2 sources)"] = rng.dirichlet(np.ones(8)).reshape(2, 2, 2)
    out["random 5x5x4 (2 sources)"] = rng.dirichlet(np.ones(100)).reshape(5, 5, 4)
    out["random 3x3x3x4 (3 sources)"] = rng.dirichlet(np.ones(108)).reshape(3, 3, 3, 4)
    out["random 3x3x3x3x4 (4 sources)"] = rng.dirichlet(np.ones(324)).reshape(3, 3, 3, 3, 4)
    return out


def time_pidkit(p: np.ndarray, measure: str, repeats: int) -> tuple[float, dict]:
    import warnings

    import pidkit as pid

    times = []
    for _ in range(repeats):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            res = pid.decompose(p, measure=measure)
            times.append(time.perf_counter() - t0)
    atoms = res.atoms
    if p.ndim == 3:
        atoms = {"{1}{2}": res.R, "{1}": res.U1, "{2}": res.U2, "{12}": res.S}
    return float(np.median(times)), atoms


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dit-python", default=None, help="an interpreter with dit (default: this one, if it has dit)")
    ap.add_argument("--no-dit", action="store_true", help="time pidkit only")
    ap.add_argument("--measures", nargs="+", default=["mmi", "imin", "ccs"])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--dit-timeout", type=float, default=1800.0, help="seconds for all of dit's cases")
    ap.add_argument("--skip-dit-ccs4", action="store_true", help="leave out dit's CCS on four sources (slow)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save", default="benchmarks/results/bench_measures.txt")
    args = ap.parse_args()
    tables = cases(args.seed)
    tee = Tee()
    with contextlib.redirect_stdout(tee):
        print(f"# python benchmarks/bench_measures.py {' '.join(sys.argv[1:])}")
        dit_out: dict = {}
        if not args.no_dit:
            exe = args.dit_python or sys.executable
            todo = [(k, m) for k in tables for m in args.measures
                    if not (args.skip_dit_ccs4 and m == "ccs" and tables[k].ndim == 5)]
            with tempfile.TemporaryDirectory() as tmp:
                path = pathlib.Path(tmp) / "tables.npz"
                np.savez(path, **tables)
                try:
                    run = subprocess.run([exe, "-c", DIT_SCRIPT, str(path), json.dumps(todo)], capture_output=True,
                                         text=True, timeout=args.dit_timeout)
                except subprocess.TimeoutExpired:
                    sys.exit(f"dit did not finish its cases within --dit-timeout={args.dit_timeout:g} s")
            if run.returncode != 0:
                sys.exit(f"the dit side failed ({exe}); make its environment with\n  python -m venv /tmp/ditenv && "
                         f"/tmp/ditenv/bin/pip install -r benchmarks/requirements-dit.txt\n{run.stderr[-2000:]}")
            dit_out = json.loads(run.stdout.strip().splitlines()[-1])
        print(f"{'table':<30} {'measure':<6} {'atoms':>5} {'pidkit s':>10} {'dit s':>10} {'dit/pidkit':>11} "
              f"{'max |diff| bits':>16}")
        for key, p in tables.items():
            for m in args.measures:
                secs, atoms = time_pidkit(p, m, args.repeats)
                d = dit_out.get(f"{key}/{m}")
                if d is None:
                    print(f"{key:<30} {m:<6} {len(atoms):>5} {secs:10.4f} {'—':>10} {'—':>11} {'—':>16}")
                    continue
                diff = max(abs(atoms[k] - d["atoms"][k]) for k in atoms)
                print(f"{key:<30} {m:<6} {len(atoms):>5} {secs:10.4f} {d['seconds']:10.3f} "
                      f"{d['seconds'] / secs:11.0f} {diff:16.1e}")
        print("pidkit: median of", args.repeats, "runs in this process; dit: one run each, in",
              args.dit_python or sys.executable)
        print("machine: 2 cores; atoms in bits")
    if args.save:
        pathlib.Path(args.save).write_text(tee.getvalue())


if __name__ == "__main__":
    main()
