"""Broken-feed notices: one when a feed has failed for ``[health] after`` and at least three
polls in a row (or at once for a 410), one "recovered" when it works again. The notice is
queued in the outbox in the same transaction as the feed's state change, so it is sent once
per outage, across restarts. Pure: builds the Notice, storage writes it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from errors import NewsbotError
from models import FeedState
from settings import Settings
from storage.db import from_iso

MIN_FAILURES = 3
log = logging.getLogger("newsbot.health")


@dataclass(frozen=True)
class Notice:
    key: str  # unique per outage and kind: the outbox id derives from it
    title: str
    body: str
    channels: list[str]
    state: str  # the feed's notice_state after this notice


def failure_notice(
    settings: Settings, feed: FeedState, err: NewsbotError, now: datetime, *, gone: bool = False
) -> Notice | None:
    """The notice due after this failure, or None (not yet, or already sent this outage)."""
    if feed.notice_state != "ok":
        return None
    since = from_iso(feed.failing_since) or now
    long_enough = (now - since).total_seconds() >= settings.health.after
    if not gone and not (feed.consecutive_errors >= MIN_FAILURES and long_enough):
        return None
    what = (
        "was removed (410 Gone) and is no longer polled"
        if gone
        else (f"has failed since {since:%Y-%m-%d %H:%M} UTC ({feed.consecutive_errors} polls)")
    )
    title = f"{feed.name} {what.split(' (')[0] if gone else 'is failing'}"
    body = f"{feed.name} {what}: {err.render()}\nURL: {feed.current_url}"
    log.warning("feed=%r notice: %s", feed.name, body.splitlines()[0])
    return Notice(
        f"{feed.name}|failed|{feed.failing_since}",
        title,
        body,
        list(settings.health.notify),
        "notified",
    )


def recovery_notice(settings: Settings, feed: FeedState, now: datetime) -> Notice | None:
    """After an outage that was notified, one "recovered" notice."""
    if feed.notice_state != "notified":
        return None
    body = f"{feed.name} works again (failing since {feed.failing_since}, recovered {now:%Y-%m-%d %H:%M} UTC)."
    log.info("feed=%r recovered", feed.name)
    return Notice(
        f"{feed.name}|recovered|{feed.failing_since}",
        f"{feed.name} recovered",
        body,
        list(settings.health.notify),
        "ok",
    )


def moved_notice(settings: Settings, feed: FeedState, new_url: str) -> Notice:
    """A permanent redirect moved the feed: one notice per new address (update config.toml)."""
    body = (
        f"{feed.name} moved permanently (301/308) from {feed.current_url} to {new_url}; "
        f"newsbot follows it. Update its url in config.toml to silence the redirect."
    )
    log.warning("feed=%r moved to %s", feed.name, new_url)
    return Notice(
        f"{feed.name}|moved|{new_url}",
        f"{feed.name} moved",
        body,
        list(settings.health.notify),
        feed.notice_state,
    )
