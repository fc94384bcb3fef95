"""PostgreSQL search's bounded plan (storage/pg_search.py): the newest matches are found
walking the newest ids row by row, then in windows of older ids through the GIN index; they
must be exactly the newest matches an exhaustive scan finds, newest first. Phrases read at
most CHECKS rows for word positions: a phrase of common words stops there, a phrase of rare
words is found wherever it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models import Entry
from settings import FeedSettings
from storage import Store, pg_search

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
RARE = {3, 17, 18, 29, 44}  # article numbers (1-based ids) that say "quokka"
PHRASE = {5, 60}  # "red kite" as a phrase; every other article has both words apart


def _text(i: int) -> str:
    words = ["common", "kite" if i not in PHRASE else "", "red kite" if i in PHRASE else "red"]
    if i in RARE:
        words.append("quokka")
    if i % 3 == 0:
        words.append("third")
    return " ".join(w for w in words if w) + " filler words"


@pytest.fixture
def store(pg_url):
    s = Store.open(pg_url)
    s.sync_feeds([FeedSettings(url="http://a/f", name="A")], NOW)
    entries = [
        Entry(f"g{i}", f"http://a/{i}", f"Item {i}", "", NOW - timedelta(minutes=100 - i))
        for i in range(1, 81)
    ]
    ids = s.save_entries(s.feed("A"), entries, "guid", NOW)
    assert ids == list(range(1, 81))
    for aid in ids:
        s.complete_article(
            s.article(aid),
            text=_text(aid),
            text_status="x",
            meta={},
            matches=[],
            channels={},
            now=NOW,
        )
    yield s
    s.close()


def _exhaustive(store: Store, query: str, n: int) -> list[int]:
    rows = store.db.execute(
        "SELECT id FROM articles WHERE search @@ to_tsquery('newsbot', ?) ORDER BY id DESC LIMIT ?",
        [pg_search.to_tsquery(query), n],
    ).fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize(
    "query, n",
    [("quokka", 3), ("quokka", 10), ("common", 7), ("third", 12), ("third", 30), ("third", 99)],
)
def test_windows_find_the_newest_matches(store, monkeypatch, query, n):
    monkeypatch.setattr(pg_search, "WALK", 4)  # the walk, then windows of 16, 64... ids
    got = pg_search.newest(store.db, query, "", [], n)
    assert got == _exhaustive(store, query, n)
    assert len(got) == min(n, {"quokka": len(RARE), "common": 80, "third": 26}[query])


def test_a_phrase_of_common_words_stops_at_the_checks(store, monkeypatch):
    monkeypatch.setattr(pg_search, "WALK", 4)
    assert pg_search.newest(store.db, '"red kite"', "", [], 10) == [60, 5]
    monkeypatch.setattr(pg_search, "CHECKS", 30)  # both words in every row: ~30 rows read
    assert pg_search.newest(store.db, '"red kite"', "", [], 10) == [60]


def test_a_phrase_of_rare_words_is_found_however_old(store, monkeypatch):
    monkeypatch.setattr(pg_search, "WALK", 4)
    monkeypatch.setattr(pg_search, "CHECKS", 5)
    assert pg_search.newest(store.db, '"red quokka"', "", [], 10) == sorted(RARE, reverse=True)


def test_the_filters_apply_in_every_window(store, monkeypatch):
    monkeypatch.setattr(pg_search, "WALK", 4)
    where, args = " AND a.id % 2 = ?", [1]
    got = pg_search.newest(store.db, "third", where, args, 5)
    assert got == [75, 69, 63, 57, 51]
