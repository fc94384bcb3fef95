"""A worker stopped while it holds the fleet's stories lock (SIGSTOP, a frozen VM) does not
freeze the others: they wait for the lock with their event loop running (their other
feeds, leases and deliveries go on), then complete their articles once it is free.
PostgreSQL only: on SQLite one process writes at a time anyway."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from feedfactory import page, rss
from httpserver import Reply
from loopwatch import longest_stall

import settings
from service.keeper import LeaseKeeper
from service.wiring import open_store, poll_cycle

HELD = 2.0  # seconds the stopped worker holds the lock


def _feed(http_server: Any, items: list[tuple[str, str, datetime]]) -> None:
    dated = [(g, t, http_server.url(f"/{g}.html"), "", when) for g, t, when in items]
    http_server.route("/feed.xml", Reply(200, rss(dated), {"Content-Type": "application/rss+xml"}))
    for g, t, _ in items:
        html = page(t, [f"{t}. Officials in Aleppo said so on Tuesday.", "More followed."])
        http_server.route(f"/{g}.html", Reply(200, html, {"Content-Type": "text/html"}))


def _settings(tmp_path: Path, http_server: Any, pg_url: str) -> settings.Settings:
    return settings.from_dict(
        {
            "storage": {"url": pg_url},
            "http": {"allow_private_networks": True, "timeout": "5s"},
            "feeds": [{"name": "wire", "url": http_server.url("/feed.xml")}],
            "watches": [{"name": "Aleppo", "keywords": ["Aleppo"]}],
            "notifiers": {"file": {"type": "jsonl", "path": str(tmp_path / "alerts.jsonl")}},
        },
        base_dir=str(tmp_path),
    )


def _hold_stories_lock(pg_url: str) -> psycopg.Connection[Any]:
    """Another worker's session, inside a transaction holding the lock, and stopped."""
    conn = psycopg.connect(pg_url)
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('stories', 0))")
    return conn


def _cycle_beside_a_stopped_worker(s: settings.Settings, pg_url: str) -> tuple[Any, float]:
    """One poll cycle while another session holds the stories lock for ``HELD`` seconds
    (released from a thread: a frozen event loop could not release it); the cycle's
    report and the longest the event loop went without running a ticking task."""
    from stories import embed

    embed.encode(["warm up"])  # the model's one-off load is another pause
    holder = _hold_stories_lock(pg_url)
    timer = threading.Timer(HELD, holder.rollback)

    async def main() -> tuple[Any, float]:
        with open_store(s) as store, LeaseKeeper(s.database):
            timer.start()
            return await longest_stall(poll_cycle(s, store, None, everything=True))

    try:
        return asyncio.run(main())
    finally:
        timer.join()
        holder.close()


def _alerts(tmp_path: Path) -> list[str]:
    path = tmp_path / "alerts.jsonl"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def test_a_first_poll_waits_for_the_lock_without_freezing_its_loop(
    tmp_path: Path, http_server: Any, pg_url: str
) -> None:
    """A feed's first poll (completed through the cycle's backlog)."""
    now = datetime.now(UTC)
    _feed(http_server, [("a1", "Shelling resumes in Aleppo", now - timedelta(hours=3))])
    s = _settings(tmp_path, http_server, pg_url)
    started = time.monotonic()
    report, gap = _cycle_beside_a_stopped_worker(s, pg_url)
    assert report.new == 1
    assert time.monotonic() - started >= HELD  # it did wait for the lock
    assert gap < HELD / 2, f"the event loop stood still {gap:.2f} s"
    with open_store(s) as store:
        assert (
            store.db.execute("SELECT count(*) FROM articles WHERE processed = 1").fetchone()[0] == 1
        )


def test_fresh_articles_wait_for_the_lock_without_freezing_their_loop(
    tmp_path: Path, http_server: Any, pg_url: str
) -> None:
    """A known feed's fresh articles (completed as soon as read)."""
    now = datetime.now(UTC)
    first = [("a1", "Shelling resumes in Aleppo", now - timedelta(hours=3))]
    _feed(http_server, first)
    s = _settings(tmp_path, http_server, pg_url)
    with open_store(s) as store, LeaseKeeper(s.database):
        assert asyncio.run(poll_cycle(s, store, None, everything=True)).new == 1
    _feed(http_server, [*first, ("a2", "Aid convoy reaches Aleppo", now - timedelta(minutes=5))])
    report, gap = _cycle_beside_a_stopped_worker(s, pg_url)
    assert report.new == 1
    assert gap < HELD / 2, f"the event loop stood still {gap:.2f} s"
    with open_store(s) as store:
        rows = store.db.execute("SELECT count(*) FROM articles WHERE processed = 1").fetchone()
    assert rows[0] == 2


def test_the_look_at_the_lock_sees_it_held_and_takes_nothing(pg_url: str) -> None:
    from storage import Store

    store = Store.open(pg_url)
    try:
        assert store.stories_free()
        holder = _hold_stories_lock(pg_url)
        assert not store.stories_free()
        holder.rollback()
        assert store.stories_free()
        other = _hold_stories_lock(pg_url)  # the look left nothing held behind it
        other.close()
        holder.close()
    finally:
        store.close()


def test_on_sqlite_the_lock_is_always_free(tmp_path: Path) -> None:
    from storage import Store

    with Store.open(tmp_path / "a.db") as store:
        assert store.stories_free()


pytestmark = pytest.mark.timeout(120)
