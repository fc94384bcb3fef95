"""Feed rows: configuration synced from config.toml, and the scheduling/health state that
makes a restart resume exactly where it stopped. Storage decides what is due."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from errors import ErrorKind
from models import FeedState, Notice, PollFailure, PollSuccess
from settings import FeedSettings
from storage import leasebook
from storage.db import dialect, from_iso, iso, lock_keys, write
from storage.outbox import OWNER

_FIELDS = {f.name for f in dataclasses.fields(FeedState)}
_COLUMNS = _FIELDS - {"articles"}
_TIMES = (
    "next_check_at",
    "last_checked_at",
    "last_success_at",
    "failing_since",
    "retry_until",
    "lease_until",
)


def _row(row: dict[str, Any]) -> FeedState:
    """A feeds row -> FeedState: the only place that reads feed columns back into values."""
    data = {k: v for k, v in row.items() if k in _FIELDS}
    data["enabled"] = bool(data["enabled"])
    data["configured"] = bool(data.get("configured", 1))
    for key in _TIMES:
        data[key] = from_iso(data.get(key))
    data["next_check_at"] = data["next_check_at"] or datetime.min.replace(tzinfo=UTC)
    data["last_error_kind"] = _kind(data.get("last_error_kind"))
    return FeedState(**data)


def _kind(value: str | None) -> ErrorKind | None:
    try:
        return ErrorKind(value) if value else None
    except ValueError:  # a kind this version no longer knows
        return None


def _success_columns(ok: PollSuccess, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {
        "last_checked_at": iso(now),
        "last_success_at": iso(now),
        "last_status": ok.summary,
        "consecutive_errors": 0,
        "failing_since": None,
        "retry_until": None,
        "last_error": None,
        "last_error_kind": None,
        "last_http_status": None,
        "last_hint": None,
        "etag": ok.etag,
        "last_modified": ok.last_modified,
        **_plan_columns(ok),
    }
    if ok.moved_to:
        values["current_url"] = ok.moved_to
    if ok.changed:
        values.update(
            body_hash=ok.body_hash,
            guid_mode=ok.guid_mode,
            title=ok.title,
            ttl_minutes=ok.ttl_minutes,
        )
    return values


def _failure_columns(failed: PollFailure, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {
        "last_status": failed.summary,
        "last_error": failed.message,
        "last_error_kind": str(failed.kind),
        "last_http_status": failed.status,
        "last_hint": failed.hint,
        "next_check_at": iso(failed.plan.next_check_at),
        "retry_until": iso(failed.retry_until) if failed.retry_until else None,
        "interval_reason": failed.plan.reason,
    }
    if failed.gone:
        values.update(enabled=0, disabled_reason=f"410 Gone on {iso(now)}: the feed was removed")
    return values


def _plan_columns(ok: PollSuccess) -> dict[str, Any]:
    return {
        "next_check_at": iso(ok.plan.next_check_at),
        "interval_seconds": ok.plan.interval,
        "interval_reason": ok.plan.reason,
    }


class FeedStore:
    db: sqlite_utils.Database

    def sync_feeds(self, feeds: Sequence[FeedSettings], now: datetime) -> None:
        """Make the feeds table match the config: new feeds are due now, a changed URL resets
        the feed's HTTP cache state, feeds gone from the config stop being polled (their
        articles stay in the archive)."""
        stamp = iso(now)
        with write(self.db):
            lock_keys(self.db, ["newsbot:sync_feeds"])  # workers starting together
            existing = {r["name"]: r for r in self.db.query("SELECT * FROM feeds")}
            for f in feeds:
                old = existing.pop(f.name, None)
                if old is None:
                    self.db.execute(
                        "INSERT INTO feeds (name, url, current_url, enabled, next_check_at,"
                        " created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
                        [f.name, f.url, f.url, int(f.enabled), stamp, stamp],
                    )
                    continue
                changes: dict[str, Any] = {"configured": 1}
                if old["url"] != f.url:
                    changes.update(
                        url=f.url,
                        current_url=f.url,
                        etag=None,
                        last_modified=None,
                        body_hash=None,
                        next_check_at=stamp,
                        disabled_reason=None,
                    )
                if old["disabled_reason"] is None or "url" in changes:
                    changes["enabled"] = int(f.enabled)
                if any(old[k] != v for k, v in changes.items()):
                    self._update(old["id"], changes)
            for old in existing.values():
                self._update(old["id"], {"configured": 0, "enabled": 0})

    def feeds_due(self, now: datetime, limit: int | None = None) -> list[FeedState]:
        sql = (
            "SELECT * FROM feeds WHERE enabled = 1 AND configured = 1 AND next_check_at <= ?"
            " ORDER BY next_check_at"
        )
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [_row(r) for r in self.db.query(sql, [iso(now)])]

    def all_feeds(self, *, with_counts: bool = False) -> list[FeedState]:
        count = (
            "(SELECT count(*) FROM feed_entries fe WHERE fe.feed_id = feeds.id)"
            if with_counts
            else "0"
        )
        sql = f"SELECT feeds.*, {count} AS articles FROM feeds WHERE configured = 1 ORDER BY name"
        return [_row(r) for r in self.db.query(sql)]

    def feed(self, name: str) -> FeedState | None:
        rows = list(self.db.query("SELECT * FROM feeds WHERE name = ?", [name]))
        return _row(rows[0]) if rows else None

    def record_success(
        self,
        feed_id: int,
        now: datetime,
        outcome: PollSuccess,
        notices: Iterable[Notice | None] = (),
        *,
        leased: bool = False,
    ) -> bool:
        """A poll worked (200 or 304): store HTTP cache state and the next check; errors reset.
        Recovery / moved ``notices`` are queued in the same transaction. False: another worker
        took the feed over meanwhile, nothing was written. ``leased``: the caller polled
        under its lease (the poll loop): the poll counts only while the lease is still ours
        (released, it may be another worker's poll that ended it)."""
        columns = _success_columns(outcome, now)
        return self._record(feed_id, "polls = polls + 1", [], columns, notices, now, leased)

    def record_failure(
        self,
        feed_id: int,
        now: datetime,
        outcome: PollFailure,
        notices: Iterable[Notice | None] = (),
        *,
        leased: bool = False,
    ) -> bool:
        """A poll failed: count it, remember since when, store the backoff. Nothing already
        archived is touched. A failure notice is queued in the same transaction. False: as
        for record_success."""
        return self._record(
            feed_id,
            "consecutive_errors = consecutive_errors + 1,"
            " failing_since = coalesce(failing_since, ?), last_checked_at = ?",
            [iso(now), iso(now)],
            _failure_columns(outcome, now),
            notices,
            now,
            leased,
        )

    def _record(
        self,
        feed_id: int,
        counters: str,
        args: list[Any],
        values: dict[str, Any],
        notices: Iterable[Notice | None],
        now: datetime,
        leased: bool,
    ) -> bool:
        """One poll's result and the end of our lease on the feed (storage/claims.py), in ONE
        statement (a fleet records a poll per feed: one round trip, one commit); with the
        notices in one transaction when there are some. Nothing is written, and False comes
        back, when another worker holds the feed now (ours ran out: it polls it itself)."""
        bad = set(values) - _COLUMNS
        if bad:
            raise ValueError(f"unknown feed columns: {sorted(bad)}")
        cols = "".join(f", {k} = ?" for k in values)
        sql = (
            f"UPDATE feeds SET {counters}{cols}, lease_owner = NULL, lease_until = NULL"
            f" WHERE id = ? AND ({'' if leased else 'lease_owner IS NULL OR '}lease_owner = ?)"
            " RETURNING id"
        )
        params = [*args, *values.values(), feed_id, OWNER]
        queued = [n for n in notices if n is not None]
        if not queued and dialect(self.db) == "postgresql":
            done = bool(self.db.execute(sql, params).fetchall())  # autocommit: one transaction
        else:
            with write(self.db):
                done = bool(self.db.execute(sql, params).fetchall())
                if done:
                    self._notice(feed_id, queued, now)
        leasebook.ended([feed_id])
        return done

    def _update(self, feed_id: int, values: dict[str, Any]) -> None:
        """UPDATE feeds with known column names (plain SQL: this runs once per poll)."""
        bad = set(values) - _COLUMNS
        if bad:
            raise ValueError(f"unknown feed columns: {sorted(bad)}")
        cols = ", ".join(f"{k} = ?" for k in values)
        self.db.execute(f"UPDATE feeds SET {cols} WHERE id = ?", [*values.values(), feed_id])

    def _notice(self, feed_id: int, notices: Iterable[Notice | None], now: datetime) -> None:
        """Queue health notices and store the feed's notice state, in the caller's transaction."""
        for n in notices:
            if n is None:
                continue
            self.db.table("feeds").update(feed_id, {"notice_state": n.state})
            self.queue_notice(n.key, n.title, n.body, n.channels, now)  # type: ignore[attr-defined]
