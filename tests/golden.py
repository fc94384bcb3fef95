"""Golden files: compared byte for byte. ``UPDATE_GOLDEN=1`` rewrites them AND fails the test,
so a rewrite is never silent: review the diff, then run again without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def check_golden(path: Path, got: str) -> None:
    if os.environ.get("UPDATE_GOLDEN") == "1":
        before = path.read_text(encoding="utf-8") if path.exists() else None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
        what = "unchanged" if before == got else "REWRITTEN"
        pytest.fail(f"UPDATE_GOLDEN=1: {path.name} {what}; review `git diff`, rerun without it")
    assert path.exists(), f"{path} missing: run with UPDATE_GOLDEN=1 and review it"
    assert got == path.read_text(encoding="utf-8"), f"{path.name} differs from the golden file"
