"""No import circles in the app: between its rooms (top-level modules and packages) and between
its modules. Imports inside functions count too: a lazy import is still a dependency.

Run as a script for the figures of the house (rooms, arrows, cycles):

    .venv/bin/python tests/test_imports.py [ROOT]
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_APP = {"tests", "examples", "deploy", "scripts", "docs"}

Graph = dict[str, set[str]]


def app_modules(root: Path) -> dict[str, Path]:
    """Dotted name -> file, for every module of the app (tests and examples excluded)."""
    found: dict[str, Path] = {}
    for path in sorted(root.glob("*.py")):
        found[path.stem] = path
    for init in sorted(root.glob("*/__init__.py")):
        if init.parent.name in NOT_APP or init.parent.name.startswith("."):
            continue
        for path in sorted(init.parent.rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _targets(node: ast.AST, here: str, known: dict[str, Path]) -> set[str]:
    """The app modules one import statement names (``from a import b``: a.b if a module)."""
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = here.split(".")[: -node.level] if node.level else []
            base = ".".join([*package, base] if base else package)
        names = [f"{base}.{alias.name}" for alias in node.names] + [base]
    hits = set()
    for name in names:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name:
            hits.add(name)
    return hits


def module_graph(root: Path = ROOT) -> Graph:
    known = app_modules(root)
    graph: Graph = {name: set() for name in known}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                graph[name] |= _targets(node, name, known) - {name}
    # a package's __init__ importing its own modules is not an arrow between modules
    return {
        m: {t for t in ts if not t.startswith(m + ".") and not m.startswith(t + ".")}
        for m, ts in graph.items()
    }


def room_graph(modules: Graph) -> Graph:
    rooms: Graph = defaultdict(set)
    for module, targets in modules.items():
        room = module.split(".")[0]
        rooms[room] |= {t.split(".")[0] for t in targets} - {room}
    return dict(rooms)


def cycles(graph: Graph) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
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


def test_no_cycle_between_rooms():
    assert cycles(room_graph(module_graph())) == []


def test_no_cycle_between_modules():
    assert cycles(module_graph()) == []


def test_the_cycle_finder_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert room_graph({"p.x": {"q.y"}, "q.y": {"p.z"}, "p.z": set()}) == {
        "p": {"q"},
        "q": {"p"},
    }


if __name__ == "__main__":
    root = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT
    modules = module_graph(root)
    rooms = room_graph(modules)
    print(f"rooms: {len(rooms)} ({', '.join(sorted(rooms))})")
    print(f"import arrows between rooms: {sum(len(t) for t in rooms.values())}")
    print(f"import arrows between modules: {sum(len(t) for t in modules.values())}")
    print(f"cycles between rooms: {cycles(rooms)}")
    print(f"cycles between modules: {cycles(modules)}")
