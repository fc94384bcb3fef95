"""Broken-feed notices: one when a feed has failed for ``[health] after`` and at least three
polls in a row (or at once for a 410), one "recovered" when it works again. The notice is
queued in the outbox in the same transaction as the feed's state change, so it is sent once
per outage, across restarts. Pure: builds the Notice, storage writes it."""

from __future__ import annotations

import logging
from datetime import datetime

from models import FeedState, Notice, PollFailure
from settings import Settings

MIN_FAILURES = 3
log = logging.getLogger("newsbot.health")


def failure_notice(
    settings: Settings, feed: FeedState, failure: PollFailure, now: datetime
) -> Notice | None:
    """The notice due after this failure, or None (not yet, or already sent this outage).
    ``feed`` is the state after the failure (errors counted, failing_since set)."""
    if feed.notice_state != "ok":
        return None
    gone = failure.gone
    since = feed.failing_since or now
    long_enough = (now - since).total_seconds() >= settings.health.after
    if not gone and not (feed.consecutive_errors >= MIN_FAILURES and long_enough):
        return None
    what = (
        "was removed (410 Gone) and is no longer polled"
        if gone
        else (f"has failed since {since:%Y-%m-%d %H:%M} UTC ({feed.consecutive_errors} polls)")
    )
    title = f"{feed.name} {what.split(' (')[0] if gone else 'is failing'}"
    body = f"{feed.name} {what}: {failure.render()}\nURL: {feed.current_url}"
    log.warning("feed=%r notice: %s", feed.name, body.splitlines()[0])
    return Notice(
        f"{feed.name}|failed|{_stamp(feed.failing_since)}",
        title,
        body,
        list(settings.health.notify),
        "notified",
    )


def recovery_notice(settings: Settings, feed: FeedState, now: datetime) -> Notice | None:
    """After an outage that was notified, one "recovered" notice."""
    if feed.notice_state != "notified":
        return None
    since = feed.failing_since
    failing = f"failing since {since:%Y-%m-%d %H:%M} UTC, " if since else ""
    body = f"{feed.name} works again ({failing}recovered {now:%Y-%m-%d %H:%M} UTC)."
    log.info("feed=%r recovered", feed.name)
    return Notice(
        f"{feed.name}|recovered|{_stamp(feed.failing_since)}",
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


def _stamp(when: datetime | None) -> str:
    """The outage's start in a notice key (the outbox id derives from it: keep it stable)."""
    return f"{when:%Y-%m-%dT%H:%M:%SZ}" if when else "None"
