"""Sphinx configuration of pidkit's documentation site (``make docs`` builds it into ``docs/_build``).

Pages are Markdown (MyST); the notebooks are rendered from ``docs/notebooks/`` with their stored
outputs and never executed here (``docs/run_notebooks.py`` makes those copies). The API reference
is written at build time from ``pidkit.__all__`` (:func:`write_api_pages`), so a name added to
``__all__`` — or to the ``__all__`` of a subpackage listed there — appears without editing a page.
"""

from __future__ import annotations

import inspect
import types
from pathlib import Path

import pidkit

HERE = Path(__file__).resolve().parent
API = HERE / "api"  # generated at every build, ignored by git

project = "pidkit"
author = "pidkit developers"
copyright = "pidkit developers, BSD-3-Clause"  # noqa: A001 (Sphinx's name)
release = pidkit.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
]

exclude_patterns = ["_build", "**.ipynb_checkpoints"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"

# The docstrings write the number of states of a variable as |X1|, |X2|, |Y| (e.g. a table of shape
# (|X1|, |X2|, |Y|)); in reStructuredText |name| is a substitution, so each stands for itself.
rst_prolog = "".join(f".. |{v}| replace:: \\|{v}\\|\n" for v in ("X1", "X2", "X3", "X4", "Xn", "Y"))

# -- notebooks: shown with the outputs stored in docs/notebooks, never executed by the build --
nb_execution_mode = "off"
nb_merge_streams = True

# -- MyST --
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# -- API reference --
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc "Parameters" sections carry the types
autosummary_generate = False  # the pages are written by write_api_pages
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()

# -- HTML --
html_theme = "pydata_sphinx_theme"
html_title = f"pidkit {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_static_path: list[str] = []
html_show_sourcelink = False


# ------------------------------------------------------------------------------------------ API pages
def _kind(obj) -> str:
    if isinstance(obj, types.ModuleType):
        return "module"
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if callable(obj):
        return "function"
    return "data"


def _directive(qualname: str, obj, index: bool = True) -> str:
    """The autodoc directive for one public name; ``index=False`` for a second home of an object
    already documented under its top-level name (e.g. ``pidkit.selection.ModelSelection``)."""
    kind = _kind(obj)
    options = "" if index else "   :no-index:\n"
    if kind == "class":
        return f".. autoclass:: {qualname}\n   :members:\n   :show-inheritance:\n{options}"
    if kind == "exception":
        return f".. autoexception:: {qualname}\n   :show-inheritance:\n{options}"
    if kind == "function":
        return f".. autofunction:: {qualname}\n{options}"
    return _data(qualname, obj, options)


def _data(qualname: str, obj, options: str) -> str:
    """A constant: its ``#:`` comment from the module that defines it (a re-export carries no docstring,
    and autodoc would show the docstring of the value's type instead), and its value when it is short."""
    value = repr(obj)
    if len(value) <= MAX_VALUE_CHARS and "\n" not in value:
        options += f"   :value: {value}\n"
    doc = _comment_doc(qualname, obj)
    body = "".join(f"   {line}\n" for line in doc)
    modname, name = qualname.rsplit(".", 1)
    return f".. py:data:: {name}\n   :module: {modname}\n{options}\n{body}"


def _comment_doc(qualname: str, obj) -> list[str]:
    """The ``#:`` comment above the assignment of ``qualname``'s object, searched in its module and, for a
    package, in the package's modules."""
    import importlib
    import pkgutil

    from sphinx.pycode import ModuleAnalyzer

    modname, name = qualname.rsplit(".", 1)
    module = importlib.import_module(modname)
    candidates = [modname]
    if hasattr(module, "__path__"):
        candidates += [m.name for m in pkgutil.walk_packages(module.__path__, modname + ".")]
    for candidate in candidates:
        try:
            found = importlib.import_module(candidate)
            docs = ModuleAnalyzer.for_module(candidate).find_attr_docs()
        except Exception:  # a module that needs an optional dependency, or has no source
            continue
        if ("", name) in docs and getattr(found, name, None) is obj:
            return list(docs[("", name)])
    return []


def _top_level(obj) -> bool:
    """Is this object also a top-level name of pidkit (documented on its own page)?"""
    return any(getattr(pidkit, n) is obj for n in pidkit.__all__ if n != "__version__")


def _title(text: str, char: str = "=") -> str:
    return f"{text}\n{char * len(text)}\n"


def _write(path: Path, text: str) -> None:
    # rewrite only what changed, so that an incremental build re-reads only those pages
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)


#: Constants whose value prints longer than this are documented without it.
MAX_VALUE_CHARS = 160

GROUPS = [("function", "Functions"), ("class", "Classes"), ("module", "Subpackages and modules"),
          ("data", "Attributes")]
MODULE_GROUPS = [("function", "Functions"), ("class", "Classes"), ("exception", "Exceptions and warnings"),
                 ("data", "Constants"), ("module", "Modules")]


def write_api_pages(app=None) -> list[str]:
    """Write ``docs/api/``: an index of ``pidkit.__all__`` and one page per public name.

    A subpackage or module listed in ``pidkit.__all__`` gets one page documenting every name in its
    own ``__all__``. Returns the names of the pages written.
    """
    API.mkdir(exist_ok=True)
    names = [n for n in pidkit.__all__ if n != "__version__"]
    objects = {n: getattr(pidkit, n) for n in names}
    pages = []
    index = [_title("API reference"),
             "Every public name of pidkit: the names in ``pidkit.__all__``, generated from their docstrings. "
             "Subpackages and modules in that list document their own ``__all__``.\n",
             ".. currentmodule:: pidkit\n"]
    for kind, heading in GROUPS:
        members = [n for n in names if _kind(objects[n]) == kind]
        if not members:
            continue
        index.append(_title(heading, "-"))
        index.append(".. autosummary::\n\n" + "".join(f"   {n}\n" for n in members))
    index.append(_title("Version", "-"))
    index.append(".. data:: pidkit.__version__\n\n   The installed version of pidkit, as a string "
                 f"(this site: ``{pidkit.__version__}``).\n")
    index.append(".. toctree::\n   :hidden:\n\n" + "".join(f"   pidkit.{n}\n" for n in names))
    _write(API / "index.rst", "\n".join(index))
    for name in names:
        obj = objects[name]
        qualname = f"pidkit.{name}"
        if _kind(obj) == "module":
            body = [_title(f"``{qualname}``"), f".. automodule:: {qualname}\n   :no-members:\n",
                    f".. currentmodule:: {qualname}\n"]
            public = list(getattr(obj, "__all__", []))
            for kind, heading in MODULE_GROUPS:
                members = [m for m in public if _kind(getattr(obj, m)) == kind]
                if not members:
                    continue
                body.append(_title(heading, "-"))
                body.append(".. autosummary::\n\n" + "".join(f"   {m}\n" for m in members))
                body.extend(_directive(f"{qualname}.{m}", getattr(obj, m), index=not _top_level(getattr(obj, m)))
                            for m in members)
        else:
            body = [_title(f"``{qualname}``"), ".. currentmodule:: pidkit\n", _directive(qualname, obj)]
        _write(API / f"{qualname}.rst", "\n".join(body))
        pages.append(qualname)
    for stale in API.glob("*.rst"):
        if stale.stem != "index" and stale.stem not in pages:
            stale.unlink()
    return pages


def skip_foreign_members(app, what, name, obj, skip, options):
    """Leave out the methods scikit-learn attaches to every estimator class (``set_fit_request`` ...):
    they are scikit-learn's to document."""
    if getattr(obj, "__module__", None) and obj.__module__.split(".")[0] == "sklearn":
        return True
    return None


def setup(app):
    app.connect("builder-inited", write_api_pages)
    app.connect("autodoc-skip-member", skip_foreign_members)
