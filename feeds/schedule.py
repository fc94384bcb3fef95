"""When to poll a feed next. Pure functions: values in, a Plan out; the clock and the random
source are passed in, so tests assert schedules without sleeping.

- fixed: a feed with ``interval = "15m"`` is polled every 15 minutes (+- jitter).
- auto (no interval, or "auto"): one week / items published in the last week, clamped to
  ``[polling] min_interval .. max_interval``, never sooner than the feed asks (``<ttl>``,
  ``sy:updatePeriod``, ``Cache-Control: max-age``, ``Expires``; each capped at max_interval).
- failure: exponential backoff from min_interval, doubling per consecutive error, capped at
  max_interval; ``Retry-After`` (429/503) wins while it lasts, capped at 24 h.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from models import Plan
from retry import backoff
from settings import FeedSettings, PollingSettings

WEEK = 7 * 86400.0
_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)", re.I)


def _jitter(seconds: float, fraction: float, rng: random.Random) -> float:
    """Spread polls of one host apart, but never later than the interval: only earlier."""
    return seconds * (1 - rng.uniform(0, fraction)) if fraction else seconds


def server_hint(headers: Mapping[str, str], now: datetime) -> tuple[float, str] | None:
    """Seconds the server asks us to wait (Cache-Control max-age, else Expires)."""
    cc = headers.get("cache-control", "")
    if m := _MAX_AGE.search(cc):
        return float(m.group(1)), f"Cache-Control max-age={m.group(1)}"
    if exp := headers.get("expires"):
        try:
            when = parsedate_to_datetime(exp)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is not None and when > now:
            return (when - now).total_seconds(), f"Expires {exp}"
    return None


def auto_interval(
    published: Sequence[datetime], now: datetime, polling: PollingSettings
) -> tuple[float, str]:
    """One week / items published in the last week. A feed that shows fewer than a week of
    items (a wire service's last 50) is measured over the span it does show."""
    week_ago = now - timedelta(seconds=WEEK)
    recent = [d for d in published if week_ago <= d <= now]
    if not recent:
        seconds = polling.max_interval
    else:
        truncated = all(d >= week_ago for d in published)
        window = (now - min(recent)).total_seconds() if truncated else WEEK
        seconds = max(window, 3600.0) / len(recent)
    seconds = min(max(seconds, polling.min_interval), polling.max_interval)
    per_week = (
        len(recent)
        if not recent or not truncated
        else round(len(recent) * WEEK / max(window, 3600.0))
    )
    return seconds, f"auto: {per_week} items/week -> {_human(seconds)}"


def after_success(
    feed: FeedSettings,
    polling: PollingSettings,
    now: datetime,
    rng: random.Random,
    *,
    published: Sequence[datetime] | None,
    ttl_minutes: int | None,
    headers: Mapping[str, str],
    previous: tuple[float | None, str | None] = (None, None),
) -> Plan:
    """The next check after a poll that worked (``published`` is None on a 304)."""
    if feed.interval is not None:
        seconds, reason = feed.interval, f"fixed {_human(feed.interval)}"
    elif published is None and previous[0]:
        seconds, reason = previous[0], previous[1] or "auto"
    else:
        seconds, reason = auto_interval(published or [], now, polling)
        floors = []
        if ttl_minutes:
            floors.append((ttl_minutes * 60.0, f"ttl {ttl_minutes}"))
        if hint := server_hint(headers, now):
            floors.append(hint)
        for floor, why in floors:
            floor = min(floor, polling.max_interval)
            if floor > seconds:
                seconds, reason = floor, why
    wait = _jitter(seconds, polling.jitter, rng)
    return Plan(now + timedelta(seconds=wait), seconds, reason)


def after_failure(
    polling: PollingSettings,
    now: datetime,
    rng: random.Random,
    *,
    errors: int,
    retry_after: float | None = None,
) -> Plan:
    """Backoff after the ``errors``-th consecutive failure (1 = first)."""
    seconds = backoff(errors, polling.min_interval, polling.max_interval, retry_after)
    if retry_after:
        when = now + timedelta(seconds=seconds)
        return Plan(when, seconds, f"Retry-After until {when:%Y-%m-%d %H:%M} UTC")
    when = now + timedelta(seconds=_jitter(seconds, polling.jitter, rng))
    return Plan(when, seconds, f"backing off until {when:%H:%M} UTC after {errors} errors")


def _human(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size < 1:
            return f"{int(seconds // size)}{unit}"
    if seconds >= 60:
        return f"{seconds / 60:.0f}m"
    return f"{seconds:.0f}s"
