"""How `bot.py feeds` explains a feed: status, schedule and why, and a hint per failure."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from models import FeedState

HINTS = {
    "dns": "the host name does not resolve: check the URL, or the site is gone",
    "connect": "the server refuses connections: it may be down; it is retried with backoff",
    "tls": "TLS/certificate problem on the site: it is retried; check the URL's scheme",
    "timeout": "the server is too slow or unreachable: retried with backoff",
    "too_large": "the response exceeds [http] max_bytes: is this really a feed?",
    "redirects": "too many redirects (a loop?): open the URL in a browser",
    "blocked": "the URL or a redirect points at a private address (SSRF guard)",
    "parse": "not a feed any more: the site changed; look for its new feed address",
}
STATUS_HINTS = {
    401: "the feed needs credentials",
    403: "403 looks like bot blocking: set [http] user_agent to something the site accepts",
    404: "the feed moved or was removed: find its new address and update config.toml",
    410: "410 Gone: the feed was removed and is disabled; delete it or change its url",
    429: "429: the site asked us to slow down; polling resumes after its Retry-After",
    503: "503: the site is overloaded or down; polling resumes after its Retry-After",
}


def hint(feed: FeedState) -> str:
    if feed.disabled_reason:
        return STATUS_HINTS[410] if "410" in feed.disabled_reason else feed.disabled_reason
    m = re.search(r"HTTP (\d{3})", feed.last_status or "")
    if m and int(m.group(1)) in STATUS_HINTS:
        return STATUS_HINTS[int(m.group(1))]
    if feed.last_error and "HTML page where a feed" in feed.last_error:
        return "HTML where a feed was: the site changed; look for its new feed address"
    if m and m.group(1).startswith("5"):
        return "server error on the site: retried with backoff"
    return HINTS.get(feed.last_error_kind or "", "retried with backoff")


def status(feed: FeedState) -> str:
    if not feed.enabled:
        return f"DISABLED: {feed.disabled_reason or 'in config'}"
    if feed.consecutive_errors:
        return f"FAILING: {feed.last_status or 'error'}"
    return feed.last_status or "not polled yet"


def schedule_text(feed: FeedState) -> str:
    if not feed.enabled:
        return "-"
    moved = f"; moved to {feed.current_url}" if feed.current_url != feed.url else ""
    reason = feed.interval_reason or "first poll"
    if "until" in reason:  # backoff / Retry-After already say when
        return reason + moved
    when = feed.next_check_at.replace("T", " ").rstrip("Z")[:16]
    return f"{when} UTC ({reason}){moved}"


def row(feed: FeedState) -> list[str]:
    return [
        feed.name,
        status(feed),
        (feed.last_success_at or "never").replace("T", " "),
        str(feed.consecutive_errors),
        schedule_text(feed),
        str(feed.articles),
    ]


def as_dict(feed: FeedState) -> dict[str, Any]:
    data = dataclasses.asdict(feed)
    data["status"] = status(feed)
    data["hint"] = hint(feed) if feed.consecutive_errors or not feed.enabled else None
    return data
