"""Leases: how several workers share one archive with the database as the only coordinator.

A worker claims a few due feeds at a time: one UPDATE sets ``lease_owner`` (host:pid:token,
new for every process start) and ``lease_until`` on rows picked by a sub-select that, on
PostgreSQL, skips rows another worker is claiming (``FOR UPDATE SKIP LOCKED``); SQLite's
single writer (BEGIN IMMEDIATE) makes the same statement atomic. A feed is claimable when it
is due and its lease is free or expired. Leases are short (FEED_LEASE) and renewed while the
work runs (``renew_leases``, from a keeper thread), released when the poll is recorded, and
expire by time: a killed worker's feeds go to another worker within a lease, whatever its
name. On the same host a dead owner's leases are freed at once (its pid is gone).

Lease times come from the worker's wall clock (run NTP on a fleet); the schedule's ``now``
can be a test's clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from models import FeedState
from storage import leasebook
from storage.db import dialect, iso, write
from storage.feeds import _row
from storage.outbox import LEASE as ALERT_LEASE
from storage.outbox import OWNER, reclaim_dead

FEED_LEASE = timedelta(seconds=20)
RENEW_EVERY = 5.0  # seconds: a lease is renewed several times before it could expire
EVERYTHING = "9999"  # `once`: every enabled feed is due

# An article none of whose feeds another live worker is polling right now (it is processing
# the article); parameters: OWNER, now, then the LIMIT.
NOT_POLLED_ELSEWHERE = (
    "NOT EXISTS (SELECT 1 FROM feed_entries fe JOIN feeds f ON f.id = fe.feed_id"
    " WHERE fe.article_id = articles.id AND f.lease_owner != ? AND f.lease_until > ?)"
    " ORDER BY id LIMIT ?"
)


def wall_clock() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class ClaimStore:
    db: Any
    last_takeovers: int = 0  # feeds the last claim took from another worker's expired lease

    def claim_feeds(
        self, due_by: str, limit: int, *, skip_ids: Sequence[int] = ()
    ) -> list[FeedState]:
        """Lease up to ``limit`` enabled feeds due by ``due_by`` (ISO text) that nobody holds;
        the oldest due first. ``skip_ids``: feeds this cycle already tried."""
        clock = wall_clock()
        lock = " FOR UPDATE SKIP LOCKED" if dialect(self.db) == "postgresql" else ""
        skip = f" AND id NOT IN ({','.join('?' * len(skip_ids))})" if skip_ids else ""
        # `previous`: on PostgreSQL a sub-select in RETURNING still sees the row before the
        # update, so it names the worker whose lease ran out (a takeover); SQLite shows the new
        # owner there, and its takeovers are the dead local owners reclaim_feed_leases frees.
        sql = (
            "UPDATE feeds SET lease_owner = ?, lease_until = ? WHERE id IN (SELECT id FROM feeds"
            " WHERE enabled = 1 AND configured = 1 AND next_check_at <= ?"
            f" AND (lease_until IS NULL OR lease_until <= ?){skip}"
            f" ORDER BY next_check_at LIMIT ?{lock}) RETURNING *,"
            " (SELECT b.lease_owner FROM feeds b WHERE b.id = feeds.id) AS previous"
        )
        args = [OWNER, iso(clock + FEED_LEASE), due_by, iso(clock), *skip_ids, limit]
        with write(self.db):
            rows = list(self.db.query(sql, args))
        leasebook.wrote([int(r["id"]) for r in rows], clock + FEED_LEASE)
        self.last_takeovers = sum(1 for r in rows if r["previous"] not in (None, OWNER))
        return sorted((_row(r) for r in rows), key=lambda f: (f.next_check_at, f.id))

    def count_due(self, now: datetime) -> int:
        """Enabled feeds due by ``now``, held or not (the feeds-due gauge)."""
        row = self.db.execute(
            "SELECT count(*) FROM feeds WHERE enabled = 1 AND configured = 1"
            " AND next_check_at <= ?",
            [iso(now)],
        ).fetchone()
        return int(row[0])

    def claim_due_feeds(self, now: datetime, limit: int) -> list[FeedState]:
        return self.claim_feeds(iso(now), limit)

    def release_feeds(self, feed_ids: Sequence[int]) -> None:
        """Give back leases we hold (a poll that could not be recorded): due again now."""
        if not feed_ids:
            return
        marks = ",".join("?" * len(feed_ids))
        with write(self.db):
            self.db.execute(
                "UPDATE feeds SET lease_owner = NULL, lease_until = NULL"
                f" WHERE lease_owner = ? AND id IN ({marks})",
                [OWNER, *feed_ids],
            )
        leasebook.ended(feed_ids)

    def lease_fresh(self, feed_id: int) -> bool:
        """Our lease on the feed surely holds now (no need to ask the database)."""
        return leasebook.fresh(feed_id, wall_clock())

    def confirm_lease(self, feed_id: int) -> bool:
        """Is the feed still ours? Then its lease is pushed back and True. False: another
        worker took it over (our lease had run out) and its poll is theirs."""
        clock = wall_clock()
        with write(self.db):
            rows = self.db.execute(
                "UPDATE feeds SET lease_until = ? WHERE id = ? AND lease_owner = ? RETURNING id",
                [iso(clock + FEED_LEASE), feed_id, OWNER],
            ).fetchall()
        if rows:
            leasebook.wrote([feed_id], clock + FEED_LEASE)
        else:
            leasebook.ended([feed_id])
        return bool(rows)

    def renew_leases(self) -> int:
        """Push back the expiry of every lease this process holds (feeds and alerts being
        sent); returns how many."""
        clock = wall_clock()
        with write(self.db):
            feeds = self.db.execute(
                "UPDATE feeds SET lease_until = ? WHERE lease_owner = ? RETURNING id",
                [iso(clock + FEED_LEASE), OWNER],
            ).fetchall()
            alerts = self.db.execute(
                "UPDATE alerts SET next_attempt_at = ? WHERE status = 'sending'"
                " AND lease_owner = ? AND next_attempt_at < ?",
                [iso(clock + ALERT_LEASE), OWNER, iso(clock + ALERT_LEASE)],
            ).rowcount
        leasebook.wrote([int(r[0]) for r in feeds], clock + FEED_LEASE)
        return len(feeds) + int(alerts)

    def release_all_feeds(self) -> None:
        """At a clean exit: our feed leases are free for the others at once."""
        with write(self.db):
            self.db.execute(
                "UPDATE feeds SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?",
                [OWNER],
            )
        leasebook.ended_all()

    def reclaim_feed_leases(self) -> int:
        """Free feed leases held by processes of this host that are gone."""
        return reclaim_dead(self.db, "feeds", "1 = 1", "lease_owner = NULL, lease_until = NULL")
