"""The deliver job: pending alerts from the outbox -> notifier.send -> marked sent.

Each alert is leased ('sending') before the send and marked only after the channel accepted
it. A failure is retried with exponential backoff (or the channel's Retry-After); a permanent
error, or running out of attempts, marks it failed: visible in `bot.py alerts`, re-queued by
`alerts retry`. One poison alert never blocks the others: it moves to the back of the queue.
A digest (a period, or a cron schedule) collects a channel's alerts into one message; quiet
hours hold them and send what waited as one message; a per-channel rate limit folds what
exceeds it into one message. A story's follow-ups (``updates = "thread"``) go out at most once
per ``update_every`` after the thread's last message, every report that waited folded into
one.

    with Delivery.from_settings(settings) as delivery:   # builds (and closes) the channels
        report = delivery.due(store)                      # `once` calls delivery.all_due(store)

The object lives as long as the process's deliver job, so the rate-limit window does too.
"""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

import notifiers
import redaction
from errors import DeliveryError
from models import Alert
from notifiers import Notifier
from retry import backoff
from settings import NotifierSettings, Settings, quiet_window
from storage import Store

log = logging.getLogger("newsbot.delivery")
BASE_BACKOFF = 30.0
MAX_BACKOFF = 3600.0
RATE_WINDOW = timedelta(minutes=1)
DEFAULT_UPDATE_EVERY: float = NotifierSettings.model_fields["update_every"].default

Clock = Callable[[], datetime]
Period = float | str  # a digest period in seconds, or a cron schedule


def utc_second() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class DeliveryReport:
    sent: int = 0  # alerts the channels accepted
    retried: int = 0
    failed: int = 0
    messages: int = 0  # messages the channels accepted (a digest or a folded batch is one)
    errors: list[str] = field(default_factory=list)

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.messages += other.messages
        self.errors += other.errors


def in_quiet_hours(cfg: NotifierSettings | None, when: datetime | None) -> bool:
    """True when ``when`` falls in the channel's quiet hours (its own time zone)."""
    if cfg is None or not cfg.quiet_hours or when is None:
        return False
    start, end, zone = quiet_window(cfg.quiet_hours, cfg.timezone)
    local = when.astimezone(zone)
    minute = local.hour * 60 + local.minute
    return start <= minute < end if start <= end else (minute >= start or minute < end)


class Delivery:
    """The deliver job: owns its channels, its clock and each channel's rate-limit window
    (messages sent in the last minute, kept for as long as the object lives)."""

    def __init__(
        self,
        channels: Mapping[str, Notifier],
        configs: Mapping[str, NotifierSettings],
        digests: Mapping[str, Period | None],
        *,
        clock: Clock = utc_second,
        owns_channels: bool = False,
    ) -> None:
        self.channels = dict(channels)
        self.clock = clock
        self._configs = configs
        self._digests = digests  # watch name -> its digest
        self._owns_channels = owns_channels
        self._sent: dict[str, deque[datetime]] = defaultdict(deque)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        channels: Mapping[str, Notifier] | None = None,
        *,
        clock: Clock = utc_second,
    ) -> Delivery:
        """Channels built from ``[notifiers]`` (and closed by :meth:`close`) unless given."""
        built = notifiers.build_all(settings) if channels is None else channels
        digests = {w.name: w.digest for w in settings.watches}
        return cls(built, settings.notifiers, digests, clock=clock, owns_channels=channels is None)

    def __enter__(self) -> Delivery:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the channels this object built."""
        if self._owns_channels:
            for channel in self.channels.values():
                channel.close()

    def due(self, store: Store, *, limit: int = 200) -> DeliveryReport:
        """Send what is due now; never raises for what a channel answers."""
        report = DeliveryReport()
        now = self.clock()
        store.reclaim_leases(now)
        by_channel: dict[str, list[Alert]] = defaultdict(list)
        for alert in store.due_alerts(now, limit):
            by_channel[alert.channel].append(alert)
        for alerts in by_channel.values():
            self._deliver_channel(store, alerts, report)
        return report

    def all_due(self, store: Store) -> DeliveryReport:
        """`once`: deliver passes until one sends nothing more (everything due goes out)."""
        total = DeliveryReport()
        while True:
            report = self.due(store)
            total.add(report)
            if report.sent + report.failed == 0:
                return total

    def _deliver_channel(self, store: Store, alerts: list[Alert], report: DeliveryReport) -> None:
        """One channel's due alerts: quiet hours hold them, digests collect them, the rate limit
        folds what exceeds it (and what waited through quiet hours) into one message."""
        now = self.clock()
        cfg = self._configs.get(alerts[0].channel)
        if in_quiet_hours(cfg, now):
            return
        batches: dict[Period, list[Alert]] = defaultdict(list)
        immediate: list[Alert] = []
        for alert in alerts:
            period = self._digest_period(alert)
            (batches[period] if period else immediate).append(alert)
        for period, group in batches.items():
            if _digest_ready(group, period, now, cfg.timezone if cfg else "UTC"):
                self._send(store, group, _period_label(period), report)
        waited = [a for a in immediate if in_quiet_hours(cfg, a.queued_at)]
        if len(waited) > 1:
            self._send(store, waited, "quiet hours", report)
            immediate = [a for a in immediate if a not in waited]
        for first, follow_ups in _updates_by_thread(immediate).items():
            held = _held_until(store, cfg, first, now)
            if held is not None:  # the thread spoke lately: these wait, folded into the next
                store.defer([a.id for a in follow_ups], held)
                continue
            self._send(store, follow_ups, None, report, message=_folded(follow_ups))
        immediate = [a for a in immediate if a.kind != "update"]
        budget = self._budget(cfg, alerts[0].channel, now)
        if len(immediate) <= budget:
            for alert in immediate:
                self._send(store, [alert], None, report)
            return
        if budget < 1:
            return  # over the limit this minute: the alerts wait for the next one
        single = int(budget) - 1
        for alert in immediate[:single]:
            self._send(store, [alert], None, report)
        self._send(store, immediate[single:], "rate limit", report)

    def _digest_period(self, alert: Alert) -> Period | None:
        if alert.kind == "notice":
            return None
        cfg = self._configs.get(alert.channel)
        return self._digests.get(alert.watch) or (cfg.digest if cfg else None)

    def _budget(self, cfg: NotifierSettings | None, channel: str, now: datetime) -> float:
        """Messages this channel may still send in the current minute."""
        if cfg is None or cfg.rate_limit is None:
            return float("inf")
        recent = self._sent[channel]
        while recent and recent[0] <= now - RATE_WINDOW:
            recent.popleft()
        return max(cfg.rate_limit - len(recent), 0)

    def _send(
        self,
        store: Store,
        alerts: list[Alert],
        label: str | None,
        report: DeliveryReport,
        *,
        message: Alert | None = None,
    ) -> None:
        """Send ``alerts`` as one message: a digest when ``label`` is set, else the first
        alert (or ``message``, the follow-ups of one story folded into one)."""
        ids = [a.id for a in alerts]
        channel = alerts[0].channel
        notifier = self.channels.get(channel)
        if notifier is None:
            store.mark_failed(ids, f"no channel named {channel!r} in the config")
            report.failed += len(ids)
            return
        claimed = set(store.mark_sending(ids, self.clock()))
        if len(claimed) < len(ids):  # another worker took some (or sent them) meanwhile
            alerts = [a for a in alerts if a.id in claimed]
            ids = [a.id for a in alerts]
            if not alerts:
                return
        try:
            single = message or alerts[0]
            receipt = notifier.send_digest(alerts, label) if label else notifier.send(single)
            self._sent[channel].append(self.clock())
        except DeliveryError as err:
            self._failure(store, alerts, err, report)
            return
        except Exception as err:  # a notifier bug must not stop delivery of the others
            log.exception("channel %r raised unexpectedly", channel)
            self._failure(store, alerts, DeliveryError(f"{type(err).__name__}: {err}"), report)
            return
        store.mark_sent(ids, self.clock(), redaction.scrub(str(receipt)))
        report.sent += len(ids)
        report.messages += 1
        for a in alerts:
            log.info("alert=%s channel=%r watch=%r sent: %s", a.id[:12], channel, a.watch, receipt)

    def _failure(
        self, store: Store, alerts: list[Alert], err: DeliveryError, report: DeliveryReport
    ) -> None:
        channel = alerts[0].channel
        cfg = self._configs.get(channel)
        max_attempts = cfg.max_attempts if cfg else 1
        attempts = max(a.attempts for a in alerts) + 1
        ids = [a.id for a in alerts]
        message = redaction.scrub(err.render())  # stored, logged and served: no tokens
        report.errors.append(f"{channel}: {message}")
        if err.permanent or attempts >= max_attempts:
            store.mark_failed(ids, message)
            report.failed += len(ids)
            log.error(
                "channel %r: %d alert(s) failed for good after %d attempts: %s",
                channel,
                len(ids),
                attempts,
                message,
            )
            return
        wait = backoff(attempts, BASE_BACKOFF, MAX_BACKOFF, err.retry_after)
        store.mark_retry(ids, self.clock() + timedelta(seconds=wait), message)
        report.retried += len(ids)
        log.warning(
            "channel %r: attempt %d failed, retry in %.0fs: %s", channel, attempts, wait, message
        )


def _updates_by_thread(alerts: list[Alert]) -> dict[str, list[Alert]]:
    """Follow-ups waiting to be sent, by the first alert of their story."""
    out: dict[str, list[Alert]] = defaultdict(list)
    for a in alerts:
        if a.kind == "update" and a.thread_of:
            out[a.thread_of].append(a)
    return out


def _held_until(
    store: Store, cfg: NotifierSettings | None, first: str, now: datetime
) -> datetime | None:
    """When a story's follow-ups may go out, if not now: ``update_every`` after the thread
    last sent a message (a story reported by fifty outlets is not fifty e-mails)."""
    every = timedelta(seconds=cfg.update_every if cfg else DEFAULT_UPDATE_EVERY)
    spoke = store.thread_spoke_at(first) if every else None
    return spoke + every if spoke is not None and now < spoke + every else None


def _folded(updates: list[Alert]) -> Alert:
    """One follow-up naming every outlet that reported the story since the last one."""
    outlets = tuple(dict.fromkeys(o for a in updates for o in (a.feed, *a.also) if o))
    return replace(updates[0], also=outlets)


def _digest_ready(alerts: list[Alert], period: Period, now: datetime, tz: str) -> bool:
    """A period has passed since the oldest alert was queued, or the cron schedule fired."""
    first = min((a.queued_at for a in alerts if a.queued_at), default=None)
    if first is None:
        return True
    if isinstance(period, str):
        trigger = CronTrigger.from_crontab(period, timezone=ZoneInfo(tz))
        fire = trigger.get_next_fire_time(None, first)
        return fire is not None and fire <= now
    return now - first >= timedelta(seconds=period)


def _period_label(seconds: Period) -> str:
    if isinstance(seconds, str):
        return f"schedule {seconds}"
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 60)}m"
