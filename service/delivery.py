"""The deliver job: pending alerts from the outbox -> notifier.send -> marked sent.

Each alert is leased ('sending') before the send and marked only after the channel accepted
it. A failure is retried with exponential backoff (or the channel's Retry-After); a permanent
error, or running out of attempts, marks it failed: visible in `bot.py alerts`, re-queued by
`alerts retry`. One poison alert never blocks the others: it moves to the back of the queue.
A digest (a period, or a cron schedule) collects a channel's alerts into one message; quiet
hours hold them and send what waited as one message; a per-channel rate limit folds what
exceeds it into one message.
"""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from errors import DeliveryError
from models import Alert
from settings import NotifierSettings, Settings, quiet_window
from storage import Store

log = logging.getLogger("newsbot.delivery")
_SENT: dict[str, deque[datetime]] = defaultdict(deque)  # per process: message times per channel
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


def _digest_period(
    settings: Settings, watches: Mapping[str, Any], alert: Alert
) -> float | str | None:
    if alert.kind != "match":
        return None
    cfg = settings.notifiers.get(alert.channel)
    watch = watches.get(alert.watch)
    return (watch.digest if watch else None) or (cfg.digest if cfg else None)


def in_quiet_hours(cfg: NotifierSettings | None, when: datetime | None) -> bool:
    """True when ``when`` falls in the channel's quiet hours (its own time zone)."""
    if cfg is None or not cfg.quiet_hours or when is None:
        return False
    start, end, zone = quiet_window(cfg.quiet_hours, cfg.timezone)
    local = when.astimezone(zone)
    minute = local.hour * 60 + local.minute
    return start <= minute < end if start <= end else (minute >= start or minute < end)


def _budget(cfg: NotifierSettings | None, channel: str, now: datetime) -> float:
    """Messages this channel may still send in the current minute."""
    if cfg is None or cfg.rate_limit is None:
        return float("inf")
    recent = _SENT[channel]
    while recent and recent[0] <= now - timedelta(minutes=1):
        recent.popleft()
    return max(cfg.rate_limit - len(recent), 0)


def deliver_due(
    store: Store,
    notifiers: Mapping[str, Any],
    settings: Settings,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC).replace(microsecond=0),
    *,
    limit: int = 200,
) -> DeliveryReport:
    """Send what is due now; never raises for what a channel answers."""
    report = DeliveryReport()
    now = clock()
    store.reclaim_leases(now)
    by_channel: dict[str, list[Alert]] = defaultdict(list)
    for alert in store.due_alerts(now, limit):
        by_channel[alert.channel].append(alert)
    watches = {w.name: w for w in settings.watches}
    for alerts in by_channel.values():
        _deliver_channel(store, notifiers, settings, watches, alerts, clock, report)
    return report


def deliver_all_due(
    store: Store, notifiers: Mapping[str, Any], settings: Settings
) -> DeliveryReport:
    """`once`: deliver passes until one sends nothing more (everything due goes out)."""
    total = DeliveryReport()
    while True:
        r = deliver_due(store, notifiers, settings)
        total.sent += r.sent
        total.retried += r.retried
        total.failed += r.failed
        total.errors += r.errors
        if r.sent + r.failed == 0:
            return total


def _deliver_channel(
    store: Store,
    notifiers: Mapping[str, Any],
    settings: Settings,
    watches: Mapping[str, Any],
    alerts: list[Alert],
    clock: Callable[[], datetime],
    report: DeliveryReport,
) -> None:
    """One channel's due alerts: quiet hours hold them, digests collect them, the rate limit
    folds what exceeds it (and what waited through quiet hours) into one message."""
    now = clock()
    cfg = settings.notifiers.get(alerts[0].channel)
    if in_quiet_hours(cfg, now):
        return
    batches: dict[float | str, list[Alert]] = defaultdict(list)
    immediate: list[Alert] = []
    for alert in alerts:
        period = _digest_period(settings, watches, alert)
        (batches[period] if period else immediate).append(alert)
    for period, group in batches.items():
        if _digest_ready(group, period, now, cfg.timezone if cfg else "UTC"):
            _send(store, notifiers, settings, group, _period_label(period), clock, report)
    waited = [a for a in immediate if in_quiet_hours(cfg, a.queued_at)]
    if len(waited) > 1:
        _send(store, notifiers, settings, waited, "quiet hours", clock, report)
        immediate = [a for a in immediate if a not in waited]
    budget = _budget(cfg, alerts[0].channel, now)
    if len(immediate) <= budget:
        for alert in immediate:
            _send(store, notifiers, settings, [alert], None, clock, report)
        return
    if budget < 1:
        return  # over the limit this minute: the alerts wait for the next one
    single = int(budget) - 1
    for alert in immediate[:single]:
        _send(store, notifiers, settings, [alert], None, clock, report)
    _send(store, notifiers, settings, immediate[single:], "rate limit", clock, report)


def _digest_ready(alerts: list[Alert], period: float | str, now: datetime, tz: str) -> bool:
    """A period has passed since the oldest alert was queued, or the cron schedule fired."""
    first = min((a.queued_at for a in alerts if a.queued_at), default=None)
    if first is None:
        return True
    if isinstance(period, str):
        trigger = CronTrigger.from_crontab(period, timezone=ZoneInfo(tz))
        fire = trigger.get_next_fire_time(None, first)
        return fire is not None and fire <= now
    return now - first >= timedelta(seconds=period)


def _send(
    store: Store,
    notifiers: Mapping[str, Any],
    settings: Settings,
    alerts: list[Alert],
    label: str | None,
    clock: Callable[[], datetime],
    report: DeliveryReport,
) -> None:
    ids = [a.id for a in alerts]
    channel = alerts[0].channel
    notifier = notifiers.get(channel)
    if notifier is None:
        store.mark_failed(ids, f"no channel named {channel!r} in the config")
        report.failed += len(ids)
        return
    store.mark_sending(ids, clock())
    try:
        receipt = notifier.send_digest(alerts, label) if label else notifier.send(alerts[0])
        _SENT[channel].append(clock())
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


def _failure(
    store: Store,
    settings: Settings,
    alerts: list[Alert],
    err: DeliveryError,
    now: datetime,
    report: DeliveryReport,
) -> None:
    cfg = settings.notifiers.get(alerts[0].channel)
    max_attempts = cfg.max_attempts if cfg else 1
    attempts = max(a.attempts for a in alerts) + 1
    ids = [a.id for a in alerts]
    message = err.render()
    report.errors.append(f"{alerts[0].channel}: {message}")
    if err.permanent or attempts >= max_attempts:
        store.mark_failed(ids, message)
        report.failed += len(ids)
        log.error(
            "channel %r: %d alert(s) failed for good after %d attempts: %s",
            alerts[0].channel,
            len(ids),
            attempts,
            message,
        )
        return
    wait = backoff(attempts, err.retry_after)
    store.mark_retry(ids, now + timedelta(seconds=wait), message)
    report.retried += len(ids)
    log.warning(
        "channel %r: attempt %d failed, retry in %.0fs: %s",
        alerts[0].channel,
        attempts,
        wait,
        message,
    )


def _period_label(seconds: float | str) -> str:
    if isinstance(seconds, str):
        return f"schedule {seconds}"
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 60)}m"
