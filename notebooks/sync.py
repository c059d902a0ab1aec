"""Build the ``.ipynb`` notebooks from their percent-format ``.py`` sources (the files to edit).

Each ``NN_name.py`` here is a notebook written as a script: ``# %%`` starts a code cell,
``# %% [markdown]`` a markdown cell (its lines without the leading ``# ``). The ``.ipynb`` next to
it is generated, outputs stripped, so both diff readably; the test suite runs the ``.ipynb`` files
and checks they match their sources.

    python notebooks/sync.py            # (re)write every .ipynb
    python notebooks/sync.py --check    # exit 1 if an .ipynb is missing or out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def sources() -> list[Path]:
    return sorted(p for p in HERE.glob("[0-9][0-9]_*.py"))


def to_notebook(text: str) -> dict:
    cells, kind, lines = [], None, []

    def flush() -> None:
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if kind is None or not lines:
            return
        if kind == "markdown":
            body = [ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in lines]
            cells.append({"cell_type": "markdown", "metadata": {}, "source": _join(body)})
        else:
            cells.append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                          "source": _join(lines)})

    for line in text.splitlines():
        if line.startswith("# %%"):
            flush()
            kind, lines = ("markdown" if "[markdown]" in line else "code"), []
        else:
            lines.append(line)
    flush()
    return {"cells": cells, "metadata": METADATA, "nbformat": 4, "nbformat_minor": 5}


def _join(lines: list[str]) -> list[str]:
    return [ln + "\n" for ln in lines[:-1]] + lines[-1:]


def render(source: Path) -> str:
    nb = to_notebook(source.read_text())
    for i, cell in enumerate(nb["cells"]):
        cell["id"] = f"{source.stem}-{i}"
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="only check that every .ipynb matches its source")
    args = ap.parse_args()
    stale = []
    for src in sources():
        target = src.with_suffix(".ipynb")
        text = render(src)
        if args.check:
            if not target.is_file() or target.read_text() != text:
                stale.append(target.name)
        else:
            target.write_text(text)
    if stale:
        print(f"out of date: {', '.join(stale)}; run python notebooks/sync.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
