"""What this process knows of its own feed leases: feed id -> the expiry it last wrote
(claimed, renewed or confirmed, while the row still named this process). No SQL here.

A lease this process wrote cannot be taken by another worker before it expires, so while
the expiry is comfortably ahead the work goes on without asking the database. A worker that
was held up (SIGSTOP, a frozen VM, a long GC pause) finds its expiries passed: it must ask
(storage.claims.confirm_lease) before fetching or recording, and drops the feed when another
worker took it meanwhile. Expiries are wall-clock times, as the other workers judge them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

MARGIN = timedelta(seconds=5)  # clock skew between workers, and time to act on the answer
_until: dict[int, datetime] = {}
_lock = threading.Lock()


def wrote(feed_ids: Iterable[int], until: datetime) -> None:
    with _lock:
        for i in feed_ids:
            _until[i] = until


def ended(feed_ids: Iterable[int]) -> None:
    with _lock:
        for i in feed_ids:
            _until.pop(i, None)


def ended_all() -> None:
    with _lock:
        _until.clear()


def fresh(feed_id: int, now: datetime) -> bool:
    """True when this process's lease on the feed surely still holds at ``now``."""
    with _lock:
        until = _until.get(feed_id)
    return until is not None and now < until - MARGIN
