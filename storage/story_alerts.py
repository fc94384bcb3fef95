"""One alert per (watch, story, channel): the outbox side of stories.

The first article of a story that fires a watch queues the 'match' alert (its id is still
derived from (watch, article url, channel), so a crash and a resume write the same row). A
later article of the same story that fires the same watch queues no new 'match' alert (the
unique index ``alerts_one_per_story`` refuses it); it is recorded in ``alert_reports`` on the
first alert, and on channels with ``updates = "thread"`` an 'update' alert is queued, threaded
under the first one (``thread_of``), with its own stable id.
"""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from models import Article
from storage.db import iso
from storage.outbox import alert_id

_INSERT = (
    "INSERT INTO alerts (id, kind, watch, channel, article_id, title, status,"
    " next_attempt_at, created_at, story_id, thread_of) VALUES (?,?,?,?,?,?,'pending',?,?,?,?)"
    " ON CONFLICT DO NOTHING"
)


def update_id(watch: str, article_url: str, channel: str) -> str:
    """The idempotency key of a follow-up: one per (watch, later article, channel)."""
    return alert_id("update\x1f" + watch, article_url, channel)


class StoryAlerts:
    db: sqlite_utils.Database

    def _queue_alerts(
        self,
        article: Article,
        watches: set[str],
        channels: dict[str, list[str]],
        now: datetime,
        threads: frozenset[str] = frozenset(),
    ) -> int:
        """Queue what ``watches`` firing on ``article`` sends; returns the rows queued."""
        queued = 0
        url, story = self.db.execute(
            "SELECT url, story_id FROM articles WHERE id = ?", [article.id]
        ).fetchone()
        for watch in sorted(watches):
            for channel in channels.get(watch, []):
                aid = alert_id(watch, url, channel)
                row = [aid, "match", watch, channel, article.id, article.title]
                cur = self.db.execute(_INSERT, [*row, iso(now), iso(now), story, None])
                if cur.rowcount:
                    queued += 1
                    continue
                first = self._story_alert(watch, channel, story)
                if first is None or first == aid:
                    continue  # the same article again (a resumed or repeated run)
                queued += self._report(first, article, url, watch, channel, now, threads)
        return queued

    def _story_alert(self, watch: str, channel: str, story: int | None) -> str | None:
        if story is None:
            return None
        row = self.db.execute(
            "SELECT id FROM alerts WHERE watch = ? AND channel = ? AND story_id = ?"
            " AND kind = 'match'",
            [watch, channel, story],
        ).fetchone()
        return str(row[0]) if row else None

    def _report(
        self,
        first: str,
        article: Article,
        url: str,
        watch: str,
        channel: str,
        now: datetime,
        threads: frozenset[str],
    ) -> int:
        """Record a later report of the story on its first alert; a follow-up if threaded."""
        self.db.execute(
            "INSERT INTO alert_reports (alert_id, article_id, created_at)"
            " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [first, article.id, iso(now)],
        )
        if channel not in threads:
            return 0
        story = self.db.execute("SELECT story_id FROM alerts WHERE id = ?", [first]).fetchone()[0]
        row = [update_id(watch, url, channel), "update", watch, channel, article.id, article.title]
        cur = self.db.execute(_INSERT, [*row, iso(now), iso(now), story, first])
        return int(cur.rowcount)

    def alert_reports(self, alert_id_: str) -> list[int]:
        """The later articles recorded on an alert, in the order they came."""
        rows = self.db.execute(
            "SELECT article_id FROM alert_reports WHERE alert_id = ? ORDER BY created_at,"
            " article_id",
            [alert_id_],
        ).fetchall()
        return [int(r[0]) for r in rows]
