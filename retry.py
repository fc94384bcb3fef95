"""How long to wait before trying again, for every part that retries: a feed fetch and its
schedule, a webhook reply, the delivery of an alert.

- :func:`retry_after`: a ``Retry-After`` header (delta-seconds or HTTP-date) -> seconds from now,
  clamped to 0..24 h; None when absent or unusable.
- :func:`backoff`: exponential, ``base`` doubled per consecutive failure (1 = first), capped;
  a server's Retry-After wins when there is one (capped at 24 h as well).
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime

MAX_RETRY_AFTER = 24 * 3600.0

__all__ = ["MAX_RETRY_AFTER", "backoff", "retry_after"]


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After (delta seconds or HTTP-date) -> seconds from ``now``, within 0..24 h."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        now = now or datetime.now(UTC)
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def backoff(failures: int, base: float, cap: float, retry_after: float | None = None) -> float:
    """Seconds to wait after the ``failures``-th failure in a row; Retry-After wins."""
    if retry_after:
        return min(retry_after, MAX_RETRY_AFTER)
    return min(base * 2 ** max(failures - 1, 0), cap)
