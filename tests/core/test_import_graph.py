"""The house's floors, checked on the whole import graph of telnyx_nb: the static imports grimp finds (lazy ones in
functions included, as import-linter sees them) PLUS the imports made by name through ``importlib.import_module``,
which import-linter does not see. A literal argument is one edge; a computed one (``import_module(_EXPORTS[name])``)
counts an edge to every telnyx_nb module named by a string in that file, since any of them may be the one loaded.

The same rules are import-linter contracts in pyproject.toml (``make lint``); this test adds the by-name imports and
the module-level cycles.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import grimp

PACKAGE = "telnyx_nb"
ROOT = Path(__file__).resolve().parents[2] / PACKAGE

KNOWN_CYCLES: set[frozenset[str]] = set()  # none: a cycle that must stay would be named here, with its fix


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def by_name_imports(tree: ast.AST, modules: set[str]) -> set[str]:
    """Modules a file loads through ``importlib.import_module``: the literal ones, or, when any call's argument is
    computed, every module of the package the file names in a string."""
    found, computed = set(), False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name)):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            if name in ("import_module", "__import__") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.add(arg.value)
                else:
                    computed = True
    if computed:
        found |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in modules}
    return {m for m in found if m in modules}


@cache
def import_graph() -> dict[str, frozenset[str]]:
    """module -> the telnyx_nb modules it imports, statically or by name."""
    graph = grimp.build_graph(PACKAGE, cache_dir=None)
    modules = set(graph.modules)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in modules}
    for path in ROOT.rglob("*.py"):
        name = module_name(path)
        if name in modules:
            edges[name] |= by_name_imports(ast.parse(path.read_text(), str(path)), modules)
    return {m: frozenset(i - {m}) for m, i in edges.items()}


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def reachable(start: Iterable[str], graph: dict[str, frozenset[str]]) -> dict[str, str]:
    """Every module reachable from ``start``, each with the module that first reached it (to print the path)."""
    came_from, todo = {}, list(start)
    while todo:
        module = todo.pop()
        for imported in graph[module]:
            if imported not in came_from:
                came_from[imported] = module
                todo.append(imported)
    return came_from


def path_to(target: str, came_from: dict[str, str], sources: set[str]) -> str:
    chain = [target]
    while chain[-1] not in sources and chain[-1] in came_from and len(chain) < 50:
        chain.append(came_from[chain[-1]])
    return " -> ".join(reversed(chain))


def cycles(graph: dict[str, frozenset[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def arrows(source: str, forbidden: tuple[str, ...]) -> list[str]:
    """Each path by which a module of ``source`` reaches a module of ``forbidden``, directly or through others."""
    graph = import_graph()
    sources = {m for m in graph if within(m, source)}
    came_from = reachable(sources, graph)
    return sorted(path_to(m, came_from, sources) for m in came_from if any(within(m, f) for f in forbidden))


def test_the_graph_sees_imports_made_by_name():
    """The by-name edges exist (the lazy exports of the package), so the rules below judge them too."""
    graph = import_graph()
    assert "telnyx_nb.api.client" in graph["telnyx_nb"]  # _EXPORTS, loaded by importlib on first use
    assert "telnyx_nb.connection" in graph["telnyx_nb"]


def test_no_module_of_telnyx_nb_is_part_of_an_import_cycle():
    new = [sorted(c) for c in cycles(import_graph()) if c not in KNOWN_CYCLES]
    assert new == [], "import cycles (break each by moving the shared part below both)"


def test_core_imports_nothing_of_telnyx_nb_outside_core():
    graph = import_graph()
    up = sorted(f"{m} -> {i}" for m in graph if within(m, "telnyx_nb.core") for i in graph[m]
                if not within(i, "telnyx_nb.core"))
    assert up == [], "the bottom floor imports only itself"


def test_the_api_module_reaches_neither_the_sandbox_nor_the_testing_harness():
    assert arrows("telnyx_nb.api", ("telnyx_nb.sandbox", "telnyx_nb.testing")) == []


def test_the_sandbox_reaches_nothing_of_the_client_side():
    assert arrows("telnyx_nb.sandbox", ("telnyx_nb.api", "telnyx_nb.frames", "telnyx_nb.widgets", "telnyx_nb.audit",
                                        "telnyx_nb.connection")) == []


def test_the_sandbox_reaches_nothing_of_the_testing_harness():
    assert arrows("telnyx_nb.sandbox", ("telnyx_nb.testing",)) == []
