"""The deliver job: pending alerts from the outbox -> notifier.send -> marked sent.

Each alert is leased ('sending') before the send and marked only after the channel accepted
it. A failure is retried with exponential backoff (or the channel's Retry-After); a permanent
error, or running out of attempts, marks it failed: visible in `bot.py alerts`, re-queued by
`alerts retry`. One poison alert never blocks the others: it moves to the back of the queue.
A channel with a digest period collects its alerts and sends one message per period.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from errors import DeliveryError
from models import Alert
from settings import Settings
from storage import Store

log = logging.getLogger("newsbot.delivery")
BASE_BACKOFF = 30.0
MAX_BACKOFF = 3600.0


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int, retry_after: float | None = None) -> float:
    if retry_after:
        return min(retry_after, 86400.0)
    return min(BASE_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


def _digest_period(settings: Settings, alert: Alert) -> float | None:
    cfg = settings.notifiers.get(alert.channel)
    watch = next((w for w in settings.watches if w.name == alert.watch), None)
    return (watch.digest if watch else None) or (cfg.digest if cfg else None)


def deliver_due(
    store: Store, notifiers: Mapping[str, Any], settings: Settings,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC).replace(microsecond=0),
    *, limit: int = 200,
) -> DeliveryReport:  # fmt: skip
    """Send what is due now; never raises for what a channel answers."""
    report = DeliveryReport()
    now = clock()
    batches: dict[tuple[str, float], list[Alert]] = defaultdict(list)
    for alert in store.due_alerts(now, limit):
        period = _digest_period(settings, alert) if alert.kind == "match" else None
        if period:
            batches[(alert.channel, period)].append(alert)
            continue
        _send(store, notifiers, settings, [alert], None, clock, report)
    for (_channel, period), alerts in batches.items():
        if _digest_ready(store, alerts, period, now):
            _send(store, notifiers, settings, alerts, period, clock, report)
    return report


def _digest_ready(store: Store, alerts: list[Alert], period: float, now: datetime) -> bool:
    first = store.first_queued_at([a.id for a in alerts])
    return first is None or now - first >= timedelta(seconds=period)


def _send(
    store: Store, notifiers: Mapping[str, Any], settings: Settings, alerts: list[Alert],
    period: float | None, clock: Callable[[], datetime], report: DeliveryReport,
) -> None:  # fmt: skip
    ids = [a.id for a in alerts]
    channel = alerts[0].channel
    notifier = notifiers.get(channel)
    if notifier is None:
        store.mark_failed(ids, f"no channel named {channel!r} in the config")
        report.failed += len(ids)
        return
    store.mark_sending(ids, clock())
    try:
        if period:
            receipt = notifier.send_digest(alerts, _period_label(period))
        else:
            receipt = notifier.send(alerts[0])
    except DeliveryError as err:
        _failure(store, settings, alerts, err, clock(), report)
        return
    except Exception as err:  # a notifier bug must not stop delivery of the others
        log.exception("channel %r raised unexpectedly", channel)
        _failure(
            store, settings, alerts, DeliveryError(f"{type(err).__name__}: {err}"), clock(), report
        )
        return
    store.mark_sent(ids, clock(), str(receipt))
    report.sent += len(ids)
    for a in alerts:
        log.info("alert=%s channel=%r watch=%r sent: %s", a.id[:12], channel, a.watch, receipt)


def _failure(store: Store, settings: Settings, alerts: list[Alert], err: DeliveryError,
             now: datetime, report: DeliveryReport) -> None:  # fmt: skip
    cfg = settings.notifiers.get(alerts[0].channel)
    max_attempts = cfg.max_attempts if cfg else 1
    attempts = max(a.attempts for a in alerts) + 1
    ids = [a.id for a in alerts]
    message = err.render()
    report.errors.append(f"{alerts[0].channel}: {message}")
    if err.permanent or attempts >= max_attempts:
        store.mark_failed(ids, message)
        report.failed += len(ids)
        log.error("channel %r: %d alert(s) failed for good after %d attempts: %s",
                  alerts[0].channel, len(ids), attempts, message)  # fmt: skip
        return
    wait = backoff(attempts, err.retry_after)
    store.mark_retry(ids, now + timedelta(seconds=wait), message)
    report.retried += len(ids)
    log.warning("channel %r: attempt %d failed, retry in %.0fs: %s",
                alerts[0].channel, attempts, wait, message)  # fmt: skip


def _period_label(seconds: float) -> str:
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 60)}m"
