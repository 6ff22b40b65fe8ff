"""The oversight package's layout holds: no import cycles between its modules (function-level
imports included, which hide a cycle from a plain import), and its sub-packages import one way
only — reading → table, rules → table, report → rules and reading; records and text below all.

The graph is read from the source with ``ast`` (every ``import`` and ``from … import``
anywhere in a module) and each edge is checked against the modules ``importlib`` really finds.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
from pathlib import Path

import trustlpr.oversight as oversight

PACKAGE = oversight.__name__
LAYERS = {  # sub-package → what it may import (besides itself)
    "records": set(),
    "text": set(),
    "table": {"records", "text"},
    "reading": {"table", "records", "text"},
    "rules": {"table", "records", "text"},
    "plate": {"table", "records", "text"},
    "access": {"rules", "table", "records", "text"},
    "report": {"access", "plate", "rules", "reading", "table", "records", "text"},
}


def _modules() -> dict[str, Path]:
    found = {PACKAGE: Path(oversight.__file__)}
    for info in pkgutil.walk_packages(oversight.__path__, PACKAGE + "."):
        spec = importlib.util.find_spec(info.name)
        assert spec is not None and spec.origin is not None, info.name
        found[info.name] = Path(spec.origin)
    return found


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if node.level > 1:
        base = base[: -(node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    """Project modules ``module`` imports, each with the packages importing it runs.

    A package above ``module`` is an edge only when named explicitly (``from .. import X``
    runs the package's ``__init__``, a real cycle); running it on the way to a sibling is
    what every sub-module does and is not counted."""
    named: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, path.name == "__init__.py", node)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                named.add(sub if sub in known else base)
    edges = set()
    for target in named:
        parts = target.split(".")
        prefixes = [".".join(parts[:k]) for k in range(len(parts), 0, -1)]
        first = True
        for name in prefixes:
            if name not in known:
                continue
            above = module.startswith(name + ".")
            if name != module and (first or not above):
                edges.add(name)
            first = False
    return edges


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {m: _imports(m, p, known) for m, p in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _layer(module: str) -> str | None:
    rest = module.removeprefix(PACKAGE + ".")
    return None if module == PACKAGE else rest.split(".")[0]


def test_the_graph_sees_the_modules_and_their_imports() -> None:
    graph = _graph()
    assert len(graph) >= 30  # every module, sub-packages included
    assert f"{PACKAGE}.table.columns" in graph[f"{PACKAGE}.rules.context"]
    # a function-level import is an edge too (the cycle the old layout hid that way)
    assert f"{PACKAGE}.report" in graph[PACKAGE]


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_sub_packages_import_downward_only() -> None:
    wrong = []
    for module, targets in _graph().items():
        layer = _layer(module)
        if layer is None:
            continue
        assert layer in LAYERS, f"{module}: a new sub-package needs its place in LAYERS"
        for target in targets:
            other = _layer(target)
            if other is None or (
                other != layer and other not in LAYERS[layer]
            ):  # the package itself: a sub-module importing it runs everything
                wrong.append((module, target))
    assert wrong == []


def test_every_module_imports() -> None:
    for name in _modules():
        importlib.import_module(name)
