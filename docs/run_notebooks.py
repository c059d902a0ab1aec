"""Run the notebooks once and keep the executed copies, with outputs, for the documentation site.

``notebooks/NN_name.ipynb`` is stored with its outputs stripped (jupytext, ``make notebooks``), so that it
diffs readably; the site shows the same notebooks *with* outputs. This script executes each one
(as ``tests/test_notebooks.py`` does, one thread per kernel, but with the inline figure backend) and writes the
result to ``docs/notebooks/NN_name.ipynb``. The site build (``make docs``) never executes a
notebook: it renders these copies. ``tests/test_docs.py`` fails when a copy's cells no longer
match its notebook — then rerun this script (``make docs-notebooks``, about two minutes on two cores).

    python docs/run_notebooks.py [NN_name ...]     # default: every notebook
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "notebooks"
TARGET = HERE / "notebooks"
#: Kernel time allowed per notebook, as in the test suite.
TIMEOUT_S = 180


def _progress(output) -> bool:
    """A progress bar's redraw (or tqdm's note that widgets are missing): noise on a static page."""
    if output.get("output_type") != "stream" or output.get("name") != "stderr":
        return False
    text = output.get("text", "")
    return text.startswith("\r") or not text.strip() or "TqdmWarning" in text


def run(path: Path) -> Path:
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=TIMEOUT_S, kernel_name="python3",
                                     resources={"metadata": {"path": str(SOURCE)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    if errors:
        raise RuntimeError(f"{path.name} raised: {errors[0].get('ename')}: {errors[0].get('evalue')}")
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # timestamps: every rerun would be a diff
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not _progress(o)]
    TARGET.mkdir(exist_ok=True)
    out = TARGET / path.name
    nbformat.write(nb, out)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="notebook stems (default: all)")
    args = ap.parse_args()
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    # figures shown by plt.show() are stored in the notebook as PNGs
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    paths = sorted(SOURCE.glob("[0-9][0-9]_*.ipynb"))
    if args.names:
        paths = [p for p in paths if p.stem in args.names]
    for path in paths:
        print(f"running {path.name} ...", flush=True)
        print(f"  wrote {run(path).relative_to(HERE.parent)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
