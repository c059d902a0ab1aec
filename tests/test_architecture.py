"""The package's import graph: no cycles between pidkit's modules.

The graph is read from the source with ``ast`` (nothing is imported): every ``import`` and
``from ... import`` of a pidkit module, relative or absolute, at module level or inside a function
(a lazy import still couples the two modules). ``from package import name`` is an edge to the
submodule ``package.name`` when there is one, else to the package. The one exception allowed:
lazy imports of :mod:`pidkit.plot` (matplotlib) inside functions, such as the ``.plot()`` methods
of the results that :mod:`pidkit.plot` draws.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pidkit

ROOT = Path(pidkit.__file__).resolve().parent
#: (importer, imported) edges that may close a cycle: function-level imports of pidkit.plot
ALLOWED_LAZY = {"pidkit.plot"}


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (path, is_pkg)
    return out


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_pkg: bool, modules: dict) -> list[str]:
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        if node.level:
            base = module.split(".") if is_pkg else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            target = ".".join([*base, *([node.module] if node.module else [])])
        else:
            target = node.module or ""
        names = [f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target for a in node.names]
    out = []
    for name in names:
        if name.split(".")[0] != "pidkit":
            continue
        while name not in modules and "." in name:  # pidkit.x.attr -> pidkit.x
            name = name.rsplit(".", 1)[0]
        out.append(name)
    return out


def import_graph() -> dict[str, set[tuple[str, bool]]]:
    """``{module: {(imported module, imported inside a function), ...}}`` for every module of pidkit."""
    modules = _modules()
    graph: dict[str, set[tuple[str, bool]]] = {}
    for module, (path, is_pkg) in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges = set()
        todo: list[tuple[ast.AST, bool]] = [(tree, False)]
        while todo:
            node, lazy = todo.pop()
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges.update((t, lazy) for t in _targets(node, module, is_pkg, modules) if t != module)
            inside = lazy or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            todo.extend((child, inside) for child in ast.iter_child_nodes(node))
        graph[module] = edges
    return graph


def cycles(graph: dict[str, set[tuple[str, bool]]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    adj = {m: sorted({t for t, _ in e}) for m, e in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out = []
    for root in sorted(adj):
        if root in index:
            continue
        work = [(root, iter(adj[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(adj[w])))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def test_the_graph_sees_module_and_function_level_imports():
    graph = import_graph()
    assert ("pidkit.result", False) in graph["pidkit.api"]  # from .result import PIDResult
    assert ("pidkit.plot", True) in graph["pidkit.result"]  # the lazy import of .plot()
    assert ("pidkit.scale.many", True) in graph["pidkit.estimators.many"]  # from ..scale.many import ... in a function
    assert ("pidkit.selection", False) in graph["pidkit"]  # from . import ..., selection, ...
    assert cycles({"a": {("b", True)}, "b": {("c", False)}, "c": {("a", False)}, "d": set()}) == [["a", "b", "c"]]


def test_no_import_cycles_in_pidkit():
    graph = import_graph()
    allowed = {m: {(t, lazy) for t, lazy in e if not (lazy and t in ALLOWED_LAZY)} for m, e in graph.items()}
    found = cycles(allowed)
    detail = "; ".join(
        " + ".join(f"{m} -> {t}{' (in a function)' if lazy else ''}" for m in comp for t, lazy in sorted(allowed[m])
                   if t in comp)
        for comp in found
    )
    assert not found, f"import cycles in pidkit: {detail}"


def test_plot_is_only_imported_lazily():
    """matplotlib stays out of ``import pidkit``: no module imports pidkit.plot at module level."""
    graph = import_graph()
    eager = sorted(m for m, e in graph.items() if ("pidkit.plot", False) in e)
    assert not eager, f"pidkit.plot imported at module level by {eager}"


def test_unknown_keys_have_one_check():
    """Unknown keys, options and fields are refused by pidkit._validation.check_keys, not by hand."""
    import re

    pattern = re.compile(r"(unknown|extra)\w* = sorted\(.*set\(")
    hand_written = [f"{p.relative_to(ROOT.parent)}:{i}" for p in ROOT.rglob("*.py") if p.name != "_validation.py"
                    for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert not hand_written, f"hand-written unknown-key checks (use check_keys): {hand_written}"


def test_scale_plumbing_sits_below_the_estimators():
    """pidkit.scale's Dask plumbing imports no estimator (a chunk's solver is passed in); its front end may."""
    graph = import_graph()
    plumbing = ("pidkit.scale._dask", "pidkit.scale.counts", "pidkit.scale.moments", "pidkit.scale.many")
    above = ("pidkit.estimators", "pidkit.api", "pidkit.scale.estimate")
    up = {m: sorted(t for t, _ in graph[m] if t.startswith(above)) for m in plumbing}
    assert not any(up.values()), up
    assert any(t.startswith("pidkit.estimators") for t, _ in graph["pidkit.scale.estimate"])
