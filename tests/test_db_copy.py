"""`bot.py db copy`: SQLite -> PostgreSQL -> SQLite keeps every row and id; counts are
verified; a non-empty destination is refused; search works on the copy."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from errors import StorageError
from models import Entry, Match, Place
from settings import FeedSettings
from storage import Store
from storage.copy import copy_archive, count, tables
from storage.search import search

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _seed(path: Path) -> None:
    with Store.open(path) as s:
        s.sync_feeds([FeedSettings(url="http://a/f", name="A")], NOW)
        headline = "Rebels and government agree ceasefire around the city tonight"
        entries = [
            Entry(f"g{i}", f"http://a/{i}", f"{headline}" if i < 2 else f"Story {i}", "s", NOW)
            for i in range(30)
        ]
        ids = s.save_entries(s.feed("A"), entries, "guid", NOW)
        place = Place(170063, "Aleppo", "SY", "09", 36.2, 37.1)
        for aid in ids:
            m = Match("W", "location", "Aleppo", "Aleppo", "title", 0, 6, "Aleppo", place)
            s.complete_article(
                s.article(aid),
                text="Aleppo news",
                text_status="x",
                meta={},
                matches=[m],
                channels={"W": ["mail"]},
                now=NOW,
            )


def _dump(store: Store) -> dict[str, list[tuple]]:
    out = {}
    for t in tables(store):
        if t == "feeds":
            cols = "id, name, url, polls, next_check_at"
        elif t == "articles":
            cols = "id, url, title, duplicate_of, published, processed"
        else:
            cols = "*"
        out[t] = sorted(tuple(r) for r in store.db.execute(f"SELECT {cols} FROM {t}").fetchall())
    return out


def test_round_trip_keeps_rows_and_ids(tmp_path, pg_url):
    _seed(tmp_path / "a.db")
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bot.py"),
            "db",
            "copy",
            "--from",
            str(tmp_path / "a.db"),
            "--to",
            pg_url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "articles: 30" in done.stdout and "verified" in done.stdout
    with Store.open(tmp_path / "a.db") as lite, Store.open(pg_url) as pg:
        assert count(pg, "articles") == 30 and count(pg, "alerts") == 29  # one duplicate
        assert [h.id for h in search(pg.db, "story")] and search(pg.db, "ceasefire")
        with Store.open(tmp_path / "back.db") as back:
            copy_archive(pg, back)
            assert _dump(back) == _dump(lite)
        # the identity counters moved past the copied ids: a new article gets a fresh id
        new = pg.save_entries(
            pg.feed("A"), [Entry("new", "http://a/new", "New", "", NOW)], "guid", NOW
        )
        assert new == [31]


def test_a_destination_with_rows_is_refused(tmp_path, pg_url):
    _seed(tmp_path / "a.db")
    with Store.open(tmp_path / "a.db") as lite, Store.open(pg_url) as pg:
        copy_archive(lite, pg)
        with pytest.raises(StorageError, match="not empty"):
            copy_archive(lite, pg)


def _indexes(store: Store) -> list[tuple[str, str]]:
    return sorted(
        tuple(r)
        for r in store.db.execute(
            "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
        ).fetchall()
    )


def test_indexes_dropped_for_the_load_are_all_built_again(tmp_path, pg_url):
    """The copy drops the secondary indexes (the GIN one of search too) while it loads a table;
    the copy has every index a migrated, empty archive has, with the same definition."""
    _seed(tmp_path / "a.db")
    with Store.open(pg_url) as pg:
        before = _indexes(pg)
    assert any("gin (search)" in d for _, d in before)
    with Store.open(tmp_path / "a.db") as lite, Store.open(pg_url) as pg:
        copy_archive(lite, pg)
        assert _indexes(pg) == before
        assert [h.id for h in search(pg.db, "ceasefire")]
