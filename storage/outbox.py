"""The outbox: alert rows written in the same transaction as the matches that cause them,
sent by the delivery job, marked sent only after the channel accepted them.

States: pending -> sending (a lease, written before the send) -> sent | pending (retry with
backoff) | failed (permanent error or out of attempts; `alerts retry ID` re-queues it).
A crash after the send and before the mark leaves a 'sending' row whose lease expires: it is
sent again with the same id (email Message-ID, webhook Idempotency-Key), so receivers drop it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from models import Alert, Match, Place
from storage.db import dialect, from_iso, iso, write

LEASE = timedelta(seconds=30)  # renewed while a send runs (storage/claims.py)
OWNER = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _alive(owner: str) -> bool:
    """Is the process that took a lease still running? host:pid:token; a different token on
    our own pid is a dead predecessor (containers restart as pid 1). Other hosts: assume yes."""
    host, pid, token = (owner.split(":") + ["", ""])[:3]
    if host != socket.gethostname() or not pid.isdigit():
        return True
    if int(pid) == os.getpid():
        return owner == OWNER
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reclaim_dead(
    db: Any, table: str, where: str, assignments: str, values: Sequence[Any] = ()
) -> int:
    """``UPDATE table SET assignments`` on the rows (matching ``where``) whose lease owner is a
    process of this host that is gone; returns how many."""
    owners = db.execute(
        f"SELECT DISTINCT lease_owner FROM {table} WHERE {where} AND lease_owner IS NOT NULL"
    ).fetchall()
    dead = [o for (o,) in owners if o != OWNER and not _alive(o)]
    if not dead:
        return 0
    marks = ",".join("?" * len(dead))
    with write(db):
        cur = db.execute(
            f"UPDATE {table} SET {assignments} WHERE {where} AND lease_owner IN ({marks})",
            [*values, *dead],
        )
    return int(cur.rowcount)


def alert_id(watch: str, article_url: str, channel: str) -> str:
    """The idempotency key of one (watch, article, channel): stable across restarts and DBs."""
    raw = "\x1f".join((watch, article_url, channel)).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:32]


def _match(row: dict[str, Any]) -> Match:
    place = None
    if row["geonameid"] is not None:
        place = Place(
            row["geonameid"],
            row["place"],
            row["country_code"] or "",
            row["admin1"] or "",
            row["latitude"],
            row["longitude"],
        )
    return Match(
        watch=row["watch"],
        kind=row["kind"],
        term=row["term"],
        text=row["matched_text"],
        field=row["field"],
        start=row["start"],
        end=row["end"],
        snippet=row["snippet"],
        place=place,
    )


class OutboxStore:
    db: sqlite_utils.Database

    def due_alerts(self, now: datetime, limit: int = 100) -> list[Alert]:
        rows = self.db.query(
            "SELECT al.*, ar.link, ar.feed, ar.published, ar.title AS article_title"
            " FROM alerts al LEFT JOIN articles ar ON ar.id = al.article_id"
            " WHERE al.status IN ('pending', 'sending') AND al.next_attempt_at <= ?"
            " AND (al.kind != 'update' OR EXISTS (SELECT 1 FROM alerts p"
            "  WHERE p.id = al.thread_of AND p.status = 'sent'))"
            " ORDER BY al.next_attempt_at, al.created_at LIMIT ?",
            [iso(now), limit],
        )
        return [self._alert(r) for r in rows]

    def _alert(self, row: dict[str, Any]) -> Alert:
        matches: tuple[Match, ...] = ()
        if row["article_id"] is not None:
            matches = tuple(
                _match(m)
                for m in self.db.query(
                    "SELECT * FROM matches WHERE article_id = ? AND watch = ? ORDER BY field"
                    " = 'title' DESC, start",
                    [row["article_id"], row["watch"]],
                )
            )
        published = from_iso(row.get("published") or row["created_at"])
        return Alert(
            id=row["id"],
            watch=row["watch"],
            channel=row["channel"],
            article_id=row["article_id"] or 0,
            url=row.get("link") or "",
            title=row.get("article_title") or row["title"],
            feed=row.get("feed") or "",
            published=published,  # type: ignore[arg-type]
            matches=matches,
            kind=row["kind"],
            body=row["body"],
            attempts=row["attempts"],
            queued_at=from_iso(row["created_at"]),
            story_id=row.get("story_id"),
            thread_of=row.get("thread_of"),
            also=self._also(row),
        )

    def _also(self, row: dict[str, Any]) -> tuple[str, ...]:
        """The outlets of the story's later reports: an update's own article, or what was
        recorded on a first alert so far."""
        if row["kind"] == "update":
            return (row.get("feed") or "",)
        if row["kind"] != "match":
            return ()
        feeds = self.db.execute(
            "SELECT a.feed FROM alert_reports r JOIN articles a ON a.id = r.article_id"
            " WHERE r.alert_id = ? ORDER BY r.created_at, r.article_id",
            [row["id"]],
        ).fetchall()
        return tuple(dict.fromkeys(f[0] for f in feeds if f[0] != row.get("feed")))

    def _set(self, alert_ids: list[str], assignments: str, values: list[Any]) -> None:
        """One transaction: ``UPDATE alerts SET <assignments>`` for the ids."""
        with write(self.db):
            for start in range(0, len(alert_ids), 500):
                chunk = alert_ids[start : start + 500]
                self.db.execute(
                    f"UPDATE alerts SET {assignments} WHERE id IN ({','.join('?' * len(chunk))})",
                    [*values, *chunk],
                )

    def mark_sending(self, alert_ids: list[str], now: datetime) -> list[str]:
        """Claim alerts before sending them: a lease (status 'sending', owner, expiry) taken
        only on rows still due, so two workers, or a restart, never send one at once.
        Counts the attempt. Returns the ids this call claimed (the others: someone else's)."""
        lock = " FOR UPDATE SKIP LOCKED" if dialect(self.db) == "postgresql" else ""
        marks = ",".join("?" * len(alert_ids))
        with write(self.db):
            rows = self.db.execute(
                "UPDATE alerts SET status = 'sending', attempts = attempts + 1,"
                " next_attempt_at = ?, lease_owner = ? WHERE id IN (SELECT id FROM alerts"
                f" WHERE id IN ({marks}) AND status IN ('pending', 'sending')"
                f" AND next_attempt_at <= ?{lock}) RETURNING id",
                [iso(now + LEASE), OWNER, *alert_ids, iso(now)],
            ).fetchall()
        return [r[0] for r in rows]

    def reclaim_leases(self, now: datetime) -> int:
        """Leases held by a process that died (killed between send and mark) are due now,
        not when the lease runs out: they are resent at once with the same id."""
        return reclaim_dead(
            self.db, "alerts", "status = 'sending'", "next_attempt_at = ?", [iso(now)]
        )

    def mark_sent(self, alert_ids: list[str], now: datetime, receipt: str) -> None:
        self._set(
            alert_ids,
            "status = 'sent', sent_at = ?, receipt = ?, last_error = NULL",
            [iso(now), receipt[:500]],
        )

    def mark_retry(self, alert_ids: list[str], when: datetime, error: str) -> None:
        self._set(
            alert_ids,
            "status = 'pending', next_attempt_at = ?, last_error = ?",
            [iso(when), error[:500]],
        )

    def thread_spoke_at(self, first: str) -> datetime | None:
        """When a story's thread last sent a message: its first alert or a follow-up."""
        row = self.db.execute(
            "SELECT max(sent_at) FROM alerts WHERE status = 'sent'"
            " AND (id = ? OR (thread_of = ? AND kind = 'update'))",
            [first, first],
        ).fetchone()
        return from_iso(row[0]) if row and row[0] else None

    def defer(self, alert_ids: list[str], until: datetime) -> None:
        """Pending alerts wait until ``until`` (no attempt counted); one another worker has
        claimed meanwhile is left to it."""
        with write(self.db):
            for start in range(0, len(alert_ids), 500):
                chunk = alert_ids[start : start + 500]
                self.db.execute(
                    "UPDATE alerts SET next_attempt_at = ? WHERE status = 'pending'"
                    f" AND id IN ({','.join('?' * len(chunk))})",
                    [iso(until), *chunk],
                )

    def mark_failed(self, alert_ids: list[str], error: str) -> None:
        self._set(alert_ids, "status = 'failed', last_error = ?", [error[:500]])

    def list_alerts(self, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        where, args = ("WHERE status = ?", [status]) if status else ("", [])
        return list(
            self.db.query(
                f"SELECT id, status, watch, channel, title, attempts, next_attempt_at,"
                f" last_error, created_at, sent_at, lease_owner FROM alerts {where}"
                f" ORDER BY created_at DESC LIMIT ?",
                [*args, limit],
            )
        )

    def alert_counts(self) -> dict[str, int]:
        """Alerts in the outbox by status (pending, sending, sent, failed)."""
        rows = self.db.execute("SELECT status, count(*) FROM alerts GROUP BY status").fetchall()
        return {r[0]: int(r[1]) for r in rows}

    def retry_alert(self, alert_id_prefix: str, now: datetime) -> int:
        """Re-queue failed alerts whose id starts with the prefix ('all' for every one)."""
        with write(self.db):
            where = "status = 'failed'" + ("" if alert_id_prefix == "all" else " AND id LIKE ?")
            args = [] if alert_id_prefix == "all" else [alert_id_prefix + "%"]
            cur = self.db.execute(
                f"UPDATE alerts SET status = 'pending', attempts = 0, next_attempt_at = ?"
                f" WHERE {where}",
                [iso(now), *args],
            )
            return cur.rowcount

    def queue_notice(
        self, key: str, title: str, body: str, channels: list[str], now: datetime
    ) -> int:
        """A feed-health notice, through the same outbox (caller holds the transaction)."""
        queued = 0
        for channel in channels:
            cur = self.db.execute(
                "INSERT INTO alerts (id, kind, watch, channel, title, body, status,"
                " next_attempt_at, created_at) VALUES (?, 'notice', 'feed health', ?, ?, ?,"
                " 'pending', ?, ?) ON CONFLICT DO NOTHING",
                [alert_id("notice", key, channel), channel, title, body, iso(now), iso(now)],
            )
            queued += cur.rowcount
        return queued
