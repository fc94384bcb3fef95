"""What the archive's pages show besides search results: the archive at a glance, the watches
that fired, the places they matched (for maps and place pages).

Articles themselves are listed by ``storage.search.search`` (one definition: an empty query
lists what the filters select, newest first).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from models import FeedState, Place
from storage.place_scan import scan_place

PLACES_SHOWN = 500  # markers on a map: the places with the most articles


@dataclass(frozen=True)
class Overview:
    """The archive at a glance (the home page)."""

    articles: int
    feeds: int
    matched_articles: int
    watches: int
    places: int
    alerts: dict[str, int]  # status -> count
    last_poll: str | None
    failing: list[FeedState]


@dataclass(frozen=True)
class QuietArticle:
    """An article that raised no alert of its own."""

    id: int
    copy: bool  # the same article as another (link, text or headline): alerted once
    reported_on: tuple[str, ...]  # watches whose alert for its story recorded it


@dataclass(frozen=True)
class WatchSummary:
    name: str
    articles: int
    last_match: str


@dataclass(frozen=True)
class PlaceSummary:
    """A place articles mention, with how many do."""

    place: Place
    articles: int

    @property
    def geonameid(self) -> int:
        return self.place.geonameid

    @property
    def label(self) -> str:
        return self.place.label if self.place.country_code else self.place.name


def _summary(row: Sequence[Any]) -> PlaceSummary:
    return PlaceSummary(Place(*row[:6]), row[6])


class BrowseStore:
    db: sqlite_utils.Database

    def overview(self) -> Overview:
        one = self._one
        return Overview(
            articles=one("SELECT count(*) FROM articles"),
            feeds=one("SELECT count(*) FROM feeds WHERE configured = 1"),
            matched_articles=one("SELECT count(DISTINCT article_id) FROM matches"),
            watches=one("SELECT count(DISTINCT watch) FROM matches"),
            places=one("SELECT count(DISTINCT geonameid) FROM article_places"),
            alerts=dict(
                self.db.execute(
                    "SELECT status, count(*) FROM alerts WHERE kind = 'match' GROUP BY status"
                ).fetchall()
            ),
            last_poll=self.db.execute(
                "SELECT max(last_checked_at) FROM feeds WHERE configured = 1"
            ).fetchone()[0],
            failing=[
                f
                for f in self.all_feeds()  # type: ignore[attr-defined]
                if f.consecutive_errors > 0 or (not f.enabled and f.disabled_reason)
            ],
        )

    def _one(self, sql: str) -> int:
        return int(self.db.execute(sql).fetchone()[0] or 0)

    def watch_summaries(self) -> list[WatchSummary]:
        """Every watch that fired, the most recent first."""
        rows = self.db.execute(
            "SELECT watch, count(DISTINCT article_id), max(created_at) FROM matches"
            " GROUP BY watch ORDER BY max(created_at) DESC, watch"
        ).fetchall()
        return [WatchSummary(*r) for r in rows]

    def watch_names(self) -> list[str]:
        """Every watch that fired (by index: no match row is read)."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT watch FROM matches ORDER BY watch")]

    def watch_summary(self, watch: str) -> WatchSummary | None:
        row = self.db.execute(
            "SELECT watch, count(DISTINCT article_id), max(created_at) FROM matches"
            " WHERE watch = ? GROUP BY watch",
            [watch],
        ).fetchone()
        return WatchSummary(*row) if row else None

    def place_summaries(
        self, *, watch: str | None = None, limit: int = PLACES_SHOWN
    ) -> list[PlaceSummary]:
        """The places articles mention most (article_places), or the places one watch
        matched (its matches), most articles first."""
        if watch:
            rows = self.db.execute(
                "SELECT geonameid, max(place), max(coalesce(country_code, '')),"
                " max(coalesce(admin1, '')), max(latitude), max(longitude),"
                " count(DISTINCT article_id) AS n FROM matches WHERE watch = ?"
                " AND geonameid IS NOT NULL AND latitude IS NOT NULL GROUP BY geonameid"
                " ORDER BY n DESC LIMIT ?",
                [watch, limit],
            ).fetchall()
            return [_summary(r) for r in rows]
        counts = self.db.execute(  # the index alone: no article_places row is read
            "SELECT geonameid, count(*) AS n FROM article_places GROUP BY geonameid"
            " ORDER BY n DESC LIMIT ?",
            [limit],
        ).fetchall()
        return [s for gid, n in counts if (s := self._place(gid, n)) and s.place.latitude]

    def place_summary(self, geonameid: int) -> PlaceSummary | None:
        """A place and how many articles mention it (None: none does), any gazetteer place:
        with the articles where it was resolved at search time (storage.place_scan; a count
        within the newest articles naming it)."""
        (n,) = self.db.execute(
            "SELECT count(*) FROM article_places WHERE geonameid = ?", [geonameid]
        ).fetchone()
        scan = scan_place(self.db, geonameid)
        n += len(scan.found)
        if not n:
            return None
        return self._place(geonameid, n) or (PlaceSummary(scan.place, n) if scan.place else None)

    def _place(self, geonameid: int, articles: int) -> PlaceSummary | None:
        row = self.db.execute(
            "SELECT geonameid, name, coalesce(country_code, ''), coalesce(admin1, ''),"
            " latitude, longitude FROM article_places WHERE geonameid = ? LIMIT 1",
            [geonameid],
        ).fetchone()
        return PlaceSummary(Place(*row), articles) if row else None

    def places_of(self, article_ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
        """Article id -> [(geonameid, place name)] its mentions resolved to, most mentioned
        first."""
        if not article_ids:
            return {}
        marks = ",".join("?" * len(article_ids))
        rows = self.db.execute(
            f"SELECT article_id, geonameid, name FROM article_places WHERE article_id IN"
            f" ({marks}) ORDER BY article_id, mentions DESC, name",
            list(article_ids),
        ).fetchall()
        out: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for article_id, geonameid, place in rows:
            out[article_id].append((geonameid, place))
        return dict(out)

    def watches_of(self, article_ids: Sequence[int]) -> dict[int, list[str]]:
        """Article id -> the watches that matched it."""
        if not article_ids:
            return {}
        marks = ",".join("?" * len(article_ids))
        rows = self.db.execute(
            f"SELECT DISTINCT article_id, watch FROM matches WHERE article_id IN ({marks})"
            " ORDER BY article_id, watch",
            list(article_ids),
        ).fetchall()
        out: dict[int, list[str]] = defaultdict(list)
        for article_id, watch in rows:
            out[article_id].append(watch)
        return dict(out)

    def quiet_articles(self) -> list[QuietArticle]:
        """Every article that raised no alert of its own, oldest first, with why not when the
        archive knows: a copy of another article, or a later report of a story already alerted
        (recorded on that alert): what the demo explains."""
        rows = self.db.execute(
            "SELECT a.id, a.duplicate_of IS NOT NULL FROM articles a WHERE NOT EXISTS"
            " (SELECT 1 FROM alerts al WHERE al.article_id = a.id) ORDER BY a.id"
        ).fetchall()
        reported: dict[int, set[str]] = defaultdict(set)
        for article_id, watch in self.db.execute(
            "SELECT DISTINCT r.article_id, al.watch FROM alert_reports r"
            " JOIN alerts al ON al.id = r.alert_id"
        ).fetchall():
            reported[article_id].add(watch)
        return [QuietArticle(int(i), bool(c), tuple(sorted(reported[i]))) for i, c in rows]

    def sample_location_match(self) -> dict[str, Any] | None:
        """One location match with its article's title, a non-literal one (an alias or another
        script) first: the match the demo explains."""
        rows = self.db.query(
            "SELECT m.*, a.title FROM matches m JOIN articles a ON a.id = m.article_id"
            " WHERE m.kind = 'location' ORDER BY (m.matched_text = m.term), m.id LIMIT 1"
        )
        return next(iter(rows), None)
