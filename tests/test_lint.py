"""Style rules that CI enforces: ruff lint on everything, mypy on the application."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = [
    "bot.py",
    "settings.py",
    "models.py",
    "errors.py",
    "redaction.py",
    "retry.py",
    "safetext.py",
    "cli",
    "service",
    "storage",
    "feeds",
    "matching",
    "notifiers",
    "web",
    "stories",
]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_ruff_lint_is_clean():
    r = _run("ruff", "check", "--quiet", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_format_owns_the_layout():
    r = _run("ruff", "format", "--check", "--quiet", ".")
    assert r.returncode == 0, "ruff format would change: " + r.stdout + r.stderr


def test_mypy_is_clean_on_the_app():
    r = _run("mypy", "--no-error-summary", *APP)
    assert r.returncode == 0, r.stdout + r.stderr
