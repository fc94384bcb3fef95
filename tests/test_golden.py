"""UPDATE_GOLDEN=1 rewrites a golden file and fails, so a rewrite is never silent."""

from __future__ import annotations

import pytest
from golden import check_golden


def test_golden_compares_exactly(tmp_path, monkeypatch):
    monkeypatch.delenv("UPDATE_GOLDEN", raising=False)
    path = tmp_path / "g.txt"
    path.write_text("same\n", encoding="utf-8")
    check_golden(path, "same\n")
    with pytest.raises(AssertionError, match="differs"):
        check_golden(path, "other\n")
    with pytest.raises(AssertionError, match="missing"):
        check_golden(tmp_path / "absent.txt", "x")


@pytest.mark.parametrize("before", ["old\n", None], ids=["changed", "new-file"])
def test_update_golden_rewrites_then_fails(tmp_path, monkeypatch, before):
    monkeypatch.setenv("UPDATE_GOLDEN", "1")
    path = tmp_path / "g.txt"
    if before is not None:
        path.write_text(before, encoding="utf-8")
    with pytest.raises(pytest.fail.Exception, match="REWRITTEN"):
        check_golden(path, "new\n")
    assert path.read_text(encoding="utf-8") == "new\n"
    with pytest.raises(pytest.fail.Exception, match="unchanged"):  # fails even when equal
        check_golden(path, "new\n")
