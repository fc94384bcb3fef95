"""storage/ is the only place that speaks SQL to the archive (DESIGN.md): a string literal
that starts like a statement anywhere else in the application is a leak. The gazetteer's own
cache (matching/gazindex.py, matching/places.py) is its own file, not the archive."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_APP = {"storage", "tests", "bench", "scripts", ".venv", "deploy", "examples", "docs"}
GAZETTEER = {"matching/gazindex.py", "matching/places.py"}
# Upper-case keywords, as every statement here is written; prose ("Drop the members") is not.
STATEMENT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|WITH)\s")


def _app_modules() -> list[Path]:
    return [
        p
        for p in ROOT.rglob("*.py")
        if p.relative_to(ROOT).parts[0] not in NOT_APP
        and p.relative_to(ROOT).as_posix() not in GAZETTEER
    ]


def _statements(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:40]!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and STATEMENT.match(node.value)
    ]


def test_the_pattern_sees_a_statement() -> None:
    assert STATEMENT.match("SELECT a.id FROM articles a")
    assert STATEMENT.match("  SELECT 1")
    assert not STATEMENT.match("Drop the members published before the window")


def test_no_archive_sql_outside_storage() -> None:
    modules = _app_modules()
    assert len(modules) > 40, "the scan must see the application"
    leaks = [s for p in modules for s in _statements(p)]
    assert not leaks, "SQL outside storage/:\n" + "\n".join(leaks)
