"""Matches recorded after an article was first completed: a watch run over the archive
(``add_matches``, the backfill) and an edited article matched again on what it says now
(``rematch``; ``rematch_pending`` finds the edits a crash kept from it). Mixed into the
archive; alerts are queued as on first completion (one per watch and story)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import sqlite_utils

from models import Article, Match
from storage.claims import NOT_POLLED_ELSEWHERE
from storage.db import STORIES_LOCK, iso, lock_keys, write
from storage.outbox import OWNER
from storage.story_alerts import StoryAlerts


class MatchLog(StoryAlerts):
    db: sqlite_utils.Database

    def _insert_matches(self, article_id: int, matches: Iterable[Match], now: datetime) -> None:
        for m in matches:
            p = m.place
            self.db.execute(
                "INSERT INTO matches (article_id, watch, kind, term, matched_text,"
                ' field, start, "end", snippet, geonameid, place, country_code, admin1,'
                " latitude, longitude, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT DO NOTHING",
                [
                    article_id,
                    m.watch,
                    m.kind,
                    m.term,
                    m.text,
                    m.field,
                    m.start,
                    m.end,
                    m.snippet,
                    p and p.geonameid,
                    p and p.name,
                    p and p.country_code,
                    p and p.admin1,
                    p and p.latitude,
                    p and p.longitude,
                    iso(now),
                ],
            )

    def add_matches(
        self,
        article: Article,
        matches: Sequence[Match],
        channels: dict[str, list[str]],
        now: datetime,
        *,
        alert: bool,
        threads: frozenset[str] = frozenset(),
    ) -> int:
        """Record matches of an archived article (a backfill); queue alerts only when asked."""
        with write(self.db):
            if alert:  # one alert per story: no story merges while deciding (PostgreSQL)
                lock_keys(self.db, [STORIES_LOCK])
            return self._record_matches(article, matches, channels, now, alert, threads)

    def _record_matches(
        self,
        article: Article,
        matches: Sequence[Match],
        channels: dict[str, list[str]],
        now: datetime,
        alert: bool,
        threads: frozenset[str],
    ) -> int:
        self._insert_matches(article.id, matches, now)
        if not alert:
            return 0
        return self._queue_alerts(article, {m.watch for m in matches}, channels, now, threads)

    def rematch(
        self,
        edited: Sequence[tuple[Article, Sequence[Match]]],
        channels: dict[str, list[str]],
        now: datetime,
        threads: frozenset[str] = frozenset(),
    ) -> int:
        """Archived articles whose headline or summary was edited, each with its matches on
        what it says now ("Blast reported in northern Syria" -> "Blast in Aleppo kills 12"):
        the watches an article fires now and did not before get their matches and alerts (the
        usual ids: once); nothing else changes. In the same transaction each is marked
        matched again, unless it was edited once more since it was read (``rematch_pending``:
        an edit a crash kept from being matched is matched on the next cycle). Returns the
        alerts queued."""
        queued = 0
        with write(self.db):
            lock_keys(self.db, [STORIES_LOCK])  # no story merges away while its alerts are queued
            for article, matches in edited:
                queued += self._rematch(article, matches, channels, now, threads)
        return queued

    def _rematch(
        self,
        article: Article,
        matches: Sequence[Match],
        channels: dict[str, list[str]],
        now: datetime,
        threads: frozenset[str],
    ) -> int:
        self.db.execute(
            "UPDATE articles SET rematch_due = 0 WHERE id = ? AND rematch_due != 0"
            " AND coalesce(title, '') = ? AND coalesce(summary, '') = ?",
            [article.id, article.title, article.summary],
        )
        row = self.db.execute(
            "SELECT processed, duplicate_of, alerting FROM articles WHERE id = ?", [article.id]
        ).fetchone()
        if row is None or not row[0] or row[1] is not None:
            return 0  # not done yet (it will be matched then), or a copy of another
        before = {
            r[0]
            for r in self.db.execute(
                "SELECT DISTINCT watch FROM matches WHERE article_id = ?", [article.id]
            ).fetchall()
        }
        fresh = [m for m in matches if m.watch not in before]
        if not fresh:
            return 0
        return self._record_matches(article, fresh, channels, now, bool(row[2]), threads)

    def rematch_pending(self, limit: int = 500) -> list[int]:
        """Edited articles not yet matched again (a crash came between saving the edit and
        matching it); not those of a feed another live worker is polling right now."""
        rows = self.db.execute(
            f"SELECT id FROM articles WHERE rematch_due = 1 AND {NOT_POLLED_ELSEWHERE}",
            [OWNER, iso(datetime.now(UTC)), limit],
        ).fetchall()
        return [int(r[0]) for r in rows]
