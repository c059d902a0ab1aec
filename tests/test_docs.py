"""The documentation stays true: the examples in the docstrings run and print what they say (doctest),
the documentation site builds without a warning, and the notebooks it shows are current."""

from __future__ import annotations

import doctest
import importlib
import json
import os
import re
import shlex
import subprocess
import sys
import types
from pathlib import Path

import pytest

MODULES = [
    "pidkit.api",
    "pidkit.discretize",
    "pidkit.info",
    "pidkit.estimators.exact",
    "pidkit.estimators.many",
    "pidkit.estimators.gaussian",
    "pidkit.pairwise",
    "pidkit.bounds.accuracy",
    "pidkit.synthetic.suite",
    "pidkit.model_pid",
    "pidkit.fusion.classifier",
    "pidkit.fusion.late",
    "pidkit.selection.recommend",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name.startswith(("pidkit.fusion", "pidkit.selection")):
        torch = pytest.importorskip("torch")
        torch.set_num_threads(1)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples to run"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"


# ------------------------------------------------------------------------------ the documentation site
ROOT = Path(__file__).resolve().parent.parent


def _sphinx_options() -> list[str]:
    """The options ``make docs`` passes to Sphinx (read from the Makefile, so the two cannot drift)."""
    match = re.search(r"^SPHINXOPTS\s*:?=\s*(.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, "the Makefile defines no SPHINXOPTS"
    return shlex.split(match.group(1))


def test_docs_site_builds_without_warnings(tmp_path):
    """``make docs`` into a temporary folder: any Sphinx warning (a broken docstring, a missing page,
    a bad link target) fails, and every public name of ``pidkit.__all__`` has its documentation."""
    for module in ("sphinx", "numpydoc", "myst_nb", "pydata_sphinx_theme"):
        pytest.importorskip(module)
    pytest.importorskip("torch")  # pidkit.fusion is documented from its docstrings
    out = tmp_path / "html"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    proc = subprocess.run([sys.executable, "-m", "sphinx", *_sphinx_options(), "docs", str(out)], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, f"the documentation build failed or warned:\n{proc.stderr[-6000:]}"

    import pidkit

    for name in pidkit.__all__:
        if name == "__version__":
            continue
        page = out / "api" / f"pidkit.{name}.html"
        assert page.is_file(), f"no API page for pidkit.{name}"
        obj = getattr(pidkit, name)
        text = page.read_text()
        if not isinstance(obj, types.ModuleType):
            assert f'id="pidkit.{name}"' in text, f"pidkit.{name} is not documented on its page"
            continue
        top_level = {id(getattr(pidkit, n)) for n in pidkit.__all__ if n != "__version__"}
        for member in getattr(obj, "__all__", []):
            # a member that is also a top-level name is documented on that name's page
            if id(getattr(obj, member)) not in top_level:
                assert f'id="pidkit.{name}.{member}"' in text, f"pidkit.{name}.{member} is not documented"


def test_docs_notebooks_are_current():
    """The site shows ``docs/notebooks/*.ipynb``, executed copies of ``notebooks/*.ipynb``: each notebook has
    one, with the same cells. After editing a notebook: ``make notebooks docs-notebooks``."""
    sources = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sources
    stale = []
    for src in sources:
        copy = ROOT / "docs" / "notebooks" / src.name
        if not copy.is_file():
            stale.append(f"{src.name} (missing)")
            continue
        cells = [(c["cell_type"], "".join(c["source"])) for c in json.loads(src.read_text())["cells"]]
        shown = json.loads(copy.read_text())["cells"]
        if cells != [(c["cell_type"], "".join(c["source"])) for c in shown]:
            stale.append(src.name)
        elif not any(c.get("outputs") for c in shown if c["cell_type"] == "code"):
            stale.append(f"{src.name} (no outputs)")
    extra = {p.name for p in (ROOT / "docs" / "notebooks").glob("*.ipynb")} - {p.name for p in sources}
    stale += [f"{name} (no such notebook)" for name in sorted(extra)]
    assert not stale, f"docs/notebooks is out of date: {stale}; run `make docs-notebooks`"


# ------------------------------------------------------------------------------ code in the README and the pages
def _python_blocks(path: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", path.read_text(), re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("page", ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md")
                                                   if "_build" not in p.parts)])
def test_code_blocks_are_python(page):
    """Every ``python`` block of the README and the documentation pages is valid Python (most use names a
    reader brings, so they are compiled, not run)."""
    for i, block in enumerate(_python_blocks(ROOT / page)):
        compile(block, f"{page}, python block {i + 1}", "exec")


def test_readme_quick_start_runs():
    """The README's first example runs as written and gives the atoms its comments state."""
    block = _python_blocks(ROOT / "README.md")[0]
    namespace: dict = {}
    exec(compile(block.replace("res.plot()", "pass"), "README.md", "exec"), namespace)  # no figure in the tests
    res = namespace["res"]
    assert [round(v, 3) for v in (res.R, res.U1, res.U2, res.S)] == pytest.approx([0.311, 0.0, 0.0, 0.5], abs=2e-3)


def test_readme_links_point_to_files_in_the_repository():
    """The README's relative links (into docs/, read on the code host) lead to files that exist."""
    targets = re.findall(r"\]\((?!https?://)([^)#\s]+)(?:#[^)]*)?\)", (ROOT / "README.md").read_text())
    assert targets
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert not missing, f"README.md links to missing files: {missing}"
