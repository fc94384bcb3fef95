from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from httpserver import LocalServer  # noqa: E402

# NEWSBOT_SHARED_DIR=/nonexistent runs the suite as a bare clone does (CI does it once).
SHARED = Path(os.environ.get("NEWSBOT_SHARED_DIR") or ROOT.parent / "shared")
# One gazetteer index for the whole session and its subprocesses, kept in the checkout's
# ignored .cache/ (built once, ~8 s), never in the user's home.
os.environ.setdefault("NEWSBOT_CACHE_DIR", str(ROOT / ".cache"))


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


@pytest.fixture(scope="session")
def gazetteer() -> object:
    """The gazetteer, loaded once per session from the index in NEWSBOT_CACHE_DIR."""
    from matching.places import Gazetteer

    return Gazetteer.load()


# PostgreSQL: tests run in their own schemas of the server at NEWSBOT_TEST_DATABASE_URL (CI's
# PostgreSQL 15), named for this session and dropped after, so parallel runs never collide.
PG_URL = os.environ.get("NEWSBOT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The server's URL, or a skip saying why (a bare clone without PostgreSQL passes)."""
    import psycopg

    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        pytest.skip(f"no PostgreSQL at NEWSBOT_TEST_DATABASE_URL={PG_URL}: {exc}".strip())
    yield PG_URL
    from storage.pg import close_pools

    close_pools()


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty schema for one test: its URL (search_path set in the URL)."""
    from bench.pgschemas import temporary_schema

    with temporary_schema(pg_server) as url:
        yield url
