"""How `bot.py feeds` explains a feed: status, schedule and why, and the failure's one hint
(stored with the failure; the table in errors.py for rows written before hints were stored)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from errors import hint_for
from models import FeedState


def hint(feed: FeedState) -> str:
    if feed.last_hint:
        return feed.last_hint
    if feed.last_error_kind:
        return hint_for(feed.last_error_kind, feed.last_http_status)
    return feed.disabled_reason or "retried with backoff"


def status(feed: FeedState) -> str:
    if not feed.enabled:
        return f"DISABLED: {feed.disabled_reason or 'in config'}"
    if feed.consecutive_errors:
        return f"FAILING: {feed.last_status or 'error'}"
    return feed.last_status or "not polled yet"


def _when(dt: datetime | None, never: str = "never") -> str:
    return f"{dt:%Y-%m-%d %H:%M} UTC" if dt else never


def holder(feed: FeedState) -> str | None:
    """The worker polling the feed right now (its lease has not run out), or None."""
    if feed.lease_owner and feed.lease_until and feed.lease_until > datetime.now(UTC):
        return feed.lease_owner
    return None


def schedule_text(feed: FeedState) -> str:
    if not feed.enabled:
        return "-"
    if held := holder(feed):
        return f"polling now: {held}"
    moved = f"; moved to {feed.current_url}" if feed.current_url != feed.url else ""
    reason = feed.interval_reason or "first poll"
    if "until" in reason:  # backoff / Retry-After already say when
        return reason + moved
    return f"{_when(feed.next_check_at)} ({reason}){moved}"


def row(feed: FeedState) -> list[str]:
    return [
        feed.name,
        status(feed),
        _when(feed.last_success_at),
        str(feed.consecutive_errors),
        schedule_text(feed),
        str(feed.articles),
    ]


def as_dict(feed: FeedState) -> dict[str, Any]:
    """JSON-ready: times as ISO 8601 UTC strings, the error kind as its name."""
    data = {k: _json(v) for k, v in dataclasses.asdict(feed).items()}
    data["status"] = status(feed)
    data["held_by"] = holder(feed)
    data["hint"] = hint(feed) if feed.consecutive_errors or not feed.enabled else None
    return data


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%dT%H:%M:%SZ}"
    if isinstance(value, Enum):
        return value.value
    return value
