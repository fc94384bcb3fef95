from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from httpserver import LocalServer  # noqa: E402

SHARED = ROOT.parent / "shared"


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    server = LocalServer().start()
    yield server
    server.stop()


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is absent (corpora and fixtures live there)")
    return SHARED


@pytest.fixture
def smtp_server() -> Iterator[object]:
    from smtpserver import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()
