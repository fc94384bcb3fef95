"""The archive cannot grow (disk full), simulated in ways that work as root (root ignores
chmod): ``RLIMIT_FSIZE`` on a `bot.py once` subprocess (writes past the limit fail with EFBIG,
SIGXFSZ ignored), and ``PRAGMA max_page_count`` on the service's own connections. The service
must report, not crash, keep everything already accepted, and finish the work once the disk
has room again."""

from __future__ import annotations

import logging
import os
import resource
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest
from faultkit import BOT, PYTHON, STORY, integrity, write_toml
from feedfactory import page, rss
from httpserver import LocalServer, Reply

import settings as settings_mod
import storage
from errors import StorageError
from service.scheduler import Service
from service.wiring import build_ruleset, run_once
from storage import Store
from storage.archive import ArchiveStore

pytestmark = pytest.mark.fault

LONG = [
    *STORY,
    *(f"Paragraph {i}: " + "the talks went on late into the night. " * 40 for i in range(30)),
]


def _site(server: LocalServer, n: int) -> list[str]:
    links = [server.url(f"/p/{i}.html") for i in range(n)]
    items = [(f"g{i}", f"Story {i}", links[i], f"Aleppo update {i}") for i in range(n)]
    server.route("/f.xml", Reply(200, rss(items), {"Content-Type": "application/rss+xml"}))
    for i in range(n):
        text = [f"Dispatch {i} from our correspondent, filed overnight.", *LONG]  # distinct
        server.route(
            f"/p/{i}.html",
            Reply(200, page(f"Story {i}", text), {"Content-Type": "text/html; charset=utf-8"}),
        )
    return links


def _data(tmp_path: Path, server: LocalServer) -> dict:
    return {
        "storage": {"path": str(tmp_path / "archive.db")},
        "http": {"timeout": "2s", "allow_private_networks": True},
        "feeds": [{"name": "wire", "url": server.url("/f.xml")}],
        "watches": [{"name": "Aleppo", "keywords": ["aleppo"]}],
        "notifiers": {"out": {"type": "jsonl", "path": str(tmp_path / "alerts.jsonl")}},
    }


def _counts(db: Path) -> tuple[int, int, int, int]:
    """(articles, processed, alerts, alerts sent)"""
    conn = sqlite3.connect(str(db))
    try:
        q = [
            "SELECT count(*) FROM articles",
            "SELECT count(*) FROM articles WHERE processed = 1",
            "SELECT count(*) FROM alerts",
            "SELECT count(*) FROM alerts WHERE status = 'sent'",
        ]
        return tuple(conn.execute(s).fetchone()[0] for s in q)  # type: ignore[return-value]
    finally:
        conn.close()


def _lines(tmp_path: Path) -> int:
    p = tmp_path / "alerts.jsonl"
    return len(p.read_text().splitlines()) if p.exists() else 0


def _once(cfg: Path, fsize: int | None = None) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run(
        [str(PYTHON), str(BOT), "--config", str(cfg), "once"],
        cwd=cfg.parent,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit if fsize is not None else None,
    )


@pytest.mark.parametrize("room", ["wal", "none"])
def test_disk_full_under_the_cli(tmp_path, http_server, room):
    """'wal': the WAL may grow to the archive's size (some writes fit, big ones fail);
    'none': not one byte can be written to any file."""
    _site(http_server, 3)
    cfg = write_toml(tmp_path / "config.toml", _data(tmp_path, http_server))
    first = _once(cfg)
    assert first.returncode == 0, first.stderr
    db = tmp_path / "archive.db"
    before = _counts(db)
    assert before == (3, 3, 3, 3) and _lines(tmp_path) == 3
    _site(http_server, 8)
    size = os.path.getsize(db) if room == "wal" else 0
    full = _once(cfg, fsize=size)
    print(f"room={room}: exit {full.returncode}\n{full.stdout}{full.stderr[-2000:]}")
    assert "Traceback" not in full.stderr
    assert full.returncode in (0, 2)  # 2: "the database is unusable", one line with a hint
    if full.returncode == 2:
        assert full.stderr.strip().splitlines()[-1].startswith("error: ")
    assert integrity(db) == "ok"
    during = _counts(db)
    assert during[0] >= 3 and during[3] >= 3  # nothing already accepted is lost
    again = _once(cfg)
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    assert _counts(db) == (8, 8, 8, 8)
    assert _lines(tmp_path) == 8


@pytest.fixture
def page_cap(monkeypatch):
    """``cap["pages"]``: extra pages each new connection may add (None: no limit)."""
    cap: dict[str, int | None] = {"pages": None}
    real = storage.connect

    def connect(path, *, readonly=False):  # noqa: ANN001, ANN202
        db = real(path, readonly=readonly)
        if cap["pages"] is not None:
            used = db.conn.execute("PRAGMA page_count").fetchone()[0]
            db.conn.execute(f"PRAGMA max_page_count = {used + cap['pages']}")
        return db

    monkeypatch.setattr(storage, "connect", connect)
    return cap


def _make_due(db: Path) -> None:
    conn = sqlite3.connect(str(db))
    conn.execute("UPDATE feeds SET next_check_at = ''")
    conn.commit()
    conn.close()


def test_service_tick_on_a_full_disk_reports_and_resumes(tmp_path, http_server, page_cap, caplog):
    _site(http_server, 2)
    cfg = settings_mod.from_dict(_data(tmp_path, http_server), base_dir=str(tmp_path))
    run_once(cfg)
    db = cfg.db_path
    assert _counts(db) == (2, 2, 2, 2)
    _site(http_server, 5)
    _make_due(db)
    with Store.open(db) as store:
        store.db.execute("VACUUM")  # no free pages left to reuse
    page_cap["pages"] = 0
    service = Service(cfg, build_ruleset(cfg))
    try:
        with caplog.at_level(logging.INFO):
            service.tick()  # must not raise
            service.deliver()
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert any("full" in e for e in errors), errors
        articles, *rest = _counts(db)
        assert articles >= 2 and rest == [2, 2, 2]  # what was accepted before is all there
        page_cap["pages"] = None
        _make_due(db)
        service.tick()
        service.deliver()
    finally:
        service.delivery.close()
    assert _counts(db) == (5, 5, 5, 5)
    assert _lines(tmp_path) == 5
    assert integrity(db) == "ok"


def test_disk_full_between_saving_entries_and_processing(
    tmp_path, http_server, monkeypatch, caplog
):
    """The disk fills up right after a poll's entries were saved: each article's one
    transaction (text + matches + alerts) fails; the articles stay unprocessed and the next
    cycle, with room again, resumes them and sends their alerts."""
    _site(http_server, 2)
    cfg = settings_mod.from_dict(_data(tmp_path, http_server), base_dir=str(tmp_path))
    run_once(cfg)
    _site(http_server, 5)
    real = ArchiveStore.save_entries

    def then_full(self, *args, **kw):  # noqa: ANN001, ANN202
        new = real(self, *args, **kw)
        used = self.db.conn.execute("PRAGMA page_count").fetchone()[0]
        self.db.conn.execute(f"PRAGMA max_page_count = {used}")
        return new

    monkeypatch.setattr(ArchiveStore, "save_entries", then_full)
    with caplog.at_level(logging.ERROR):
        report, sent = run_once(cfg)
    assert report.new == 3 and report.alerts == 0 and sent.sent == 0
    # NOTE: the feed itself is reported ok (its row update needs no new page); only the log
    # says that 3 articles could not be stored
    assert any(
        "3 articles not stored, retried next cycle" in r.getMessage() for r in caplog.records
    )
    assert _counts(cfg.db_path) == (5, 2, 2, 2)
    monkeypatch.setattr(ArchiveStore, "save_entries", real)
    report, sent = run_once(cfg)
    assert report.resumed == 3 and not report.failed and sent.sent == 3
    assert _counts(cfg.db_path) == (5, 5, 5, 5)
    assert _lines(tmp_path) == 5


def test_storage_error_while_recording_a_feed_failure_stays_on_that_feed(
    tmp_path, http_server, monkeypatch
):
    _site(http_server, 2)
    http_server.route("/down.xml", Reply(500, b"oops"))
    data = _data(tmp_path, http_server)
    data["feeds"].append({"name": "down", "url": http_server.url("/down.xml")})
    cfg = settings_mod.from_dict(data, base_dir=str(tmp_path))

    def disk_error(self, *args, **kw):  # noqa: ANN001, ANN202
        raise StorageError("write failed and was rolled back: disk I/O error")

    monkeypatch.setattr(Store, "record_failure", disk_error)
    report, sent = run_once(cfg)
    by_feed = {f.feed: f for f in report.feeds}
    assert set(by_feed) == {"wire", "down"}
    assert by_feed["wire"].new == 2 and sent.sent == 2
    assert "disk I/O error" in (by_feed["down"].error or "")
