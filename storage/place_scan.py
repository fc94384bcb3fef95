"""``place:NAME`` for any gazetteer place, not only the watched ones.

``article_places`` holds what the archive's mentions resolved to, but only for the names some
watch or ``place:`` term used when the article was archived. For the rest, the place is
resolved at search time (``scan_place``):

  1. the full-text index picks the articles naming the place in any of its spellings and
     scripts (``matching.place_filter``: its names, case forms, Arabic proclitics), ANDed with
     the search's words and filters, newest first, at most ``SCAN_LIMIT`` of them;
  2. an article whose mentions of those names were resolved at archive time (it has an
     ``article_places`` row for one of the names' candidates) keeps that verdict;
  3. each other one is resolved as at archive time (its text, the feed's home region) and kept
     when a mention resolves to the place.

When more articles name the place than were examined, ``PlaceScan.note`` says so (narrow the
search with words or dates to reach older ones). The rows found are not written back: a
search reads only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from models import Place
from storage.db import article_of

SCAN_LIMIT = 500


@dataclass(frozen=True)
class PlaceScan:
    geonameid: int
    place: Place | None = None
    found: dict[int, tuple[str, int]] = field(default_factory=dict)  # article id -> (the
    # name as first written, mentions that resolved to the place)
    examined: int = 0
    capped: bool = False

    @property
    def note(self) -> str:
        if not self.capped or self.place is None:
            return ""
        return (
            f"place:{self.place.label}: resolved at search time in the newest {self.examined} articles"
            " naming it; add words or dates to reach older ones"
        )


Where = Callable[[str], tuple[str, list[Any]]]  # the search's other filters on a row id


def scan_place(
    db: sqlite_utils.Database,
    geonameid: int,
    words: str = "",
    where: Where = lambda row: ("", []),
    limit: int | None = None,
) -> PlaceScan:
    """Articles where a mention resolves to the place, found at search time (module
    docstring). ``where``: the search's other filters as checks on a row id column."""
    from matching.place_filter import place_filter

    pf = place_filter(geonameid)
    if pf is None or not pf.fts_query:
        return PlaceScan(geonameid)
    query = f"({pf.fts_query}) AND ({words})" if words else pf.fts_query
    limit = SCAN_LIMIT if limit is None else limit
    ids = _naming(db, query, where, limit + 1)
    homes: dict[str, dict[str, float]] = {}
    found: dict[int, tuple[str, int]] = {}
    for row in _articles(db, _unsettled(db, ids[:limit], pf.names)):
        feed = row["feed"]
        if feed not in homes:
            homes[feed] = home_regions(db, feed)
        hit = pf.check(article_of(row), homes[feed])
        if hit is not None:
            found[row["id"]] = hit
    return PlaceScan(geonameid, pf.place, found, len(ids[:limit]), len(ids) > limit)


def _naming(db: sqlite_utils.Database, query: str, where: Where, n: int) -> list[int]:
    """The ids of the n newest articles the full-text query matches (either backend)."""
    if getattr(db, "dialect", "sqlite") == "postgresql":
        from storage import pg_search

        sql, args = where("a.id")
        return [i for i, _ in pg_search.pick(db, query, sql, args, n, 0, "newest", n)]
    sql, args = where("articles_fts.rowid")
    rows = db.execute(
        f"SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?{sql}"
        " ORDER BY rowid DESC LIMIT ?",
        [query, *args, n],
    ).fetchall()
    return [r[0] for r in rows]


def _unsettled(db: sqlite_utils.Database, ids: list[int], names: frozenset[int]) -> list[int]:
    """The ids whose mentions of the names were not resolved at archive time."""
    if not ids or not names:
        return ids
    settled = {
        r[0]
        for r in db.execute(
            f"SELECT DISTINCT article_id FROM article_places WHERE article_id IN"
            f" ({','.join('?' * len(ids))}) AND geonameid IN ({','.join('?' * len(names))})",
            [*ids, *names],
        )
    }
    return [i for i in ids if i not in settled]


def home_regions(db: sqlite_utils.Database, feed: str) -> dict[str, float]:
    """A feed's learned home region counts ({} when unknown)."""
    row = db.execute("SELECT home_regions FROM feeds WHERE name = ?", [feed]).fetchone()
    try:
        data = json.loads(row[0]) if row and row[0] else {}
    except ValueError:
        return {}
    return {str(k): float(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _articles(db: sqlite_utils.Database, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    return list(
        db.query(
            f"SELECT * FROM articles WHERE id IN ({','.join('?' * len(ids))})"
            " AND duplicate_of IS NULL",
            ids,
        )
    )
