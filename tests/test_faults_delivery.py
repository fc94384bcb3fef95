"""Channels that fail: SMTP down then up, a webhook answering 503 then 200, 500 forever, poison
alerts. Delivery backoff is real time (30 s, doubling), so these tests drive
a ``Delivery`` whose clock jumps instead of sleeping."""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from faultkit import Receiver, free_port, news_site, queue_alerts
from httpserver import LocalServer, Reply

import models
import settings as settings_mod
from errors import DeliveryError
from service.delivery import MAX_BACKOFF, Delivery, DeliveryReport
from storage import Store
from storage.db import from_iso, write

pytestmark = pytest.mark.fault


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK queued"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def _settings(
    tmp_path: Path, server: LocalServer, notifiers_cfg: dict[str, Any], titles: list[str]
) -> settings_mod.Settings:
    news_site(server, "/feed.xml", "n", titles)
    return settings_mod.from_dict(
        {
            "storage": {"path": str(tmp_path / "archive.db")},
            "http": {"timeout": "2s", "allow_private_networks": True},
            "feeds": [{"name": "wire", "url": server.url("/feed.xml"), "full_text": False}],
            "watches": [{"name": "Aleppo", "keywords": ["Aleppo"]}],
            "notifiers": notifiers_cfg,
        },
        base_dir=str(tmp_path),
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Driver:
    """deliver_due with an injected clock; the channels are built from the settings unless given."""

    def __init__(self, settings: settings_mod.Settings, channels: dict[str, Any] | None = None):
        self.settings = settings
        self.store = Store.open(settings.db_path)
        self.t0 = self.now = _now()
        self.delivery = Delivery.from_settings(settings, channels, clock=lambda: self.now)

    def at(self, seconds: float, **kw: Any) -> DeliveryReport:
        self.now = self.t0 + timedelta(seconds=seconds)
        return self.delivery.due(self.store, **kw)

    def alerts(self, status: str | None = None, channel: str | None = None) -> list[dict]:
        rows = self.store.list_alerts(status, limit=1000)
        return [r for r in rows if channel is None or r["channel"] == channel]

    def next_at(self, channel: str) -> set[float]:
        return {
            (from_iso(r["next_attempt_at"]) - self.t0).total_seconds()
            for r in self.alerts("pending", channel)
        }

    def close(self) -> None:
        self.delivery.close()
        self.store.close()


def test_smtp_and_webhook_down_then_back(tmp_path, http_server, receiver):
    port = free_port()
    up = {"hook": False}
    receiver.script = lambda n, key: Reply(200, b"ok") if up["hook"] else Reply(503, b"busy")
    cfg = _settings(
        tmp_path,
        http_server,
        {
            "mail": {
                "type": "email",
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "from": "bot@news.example",
                "to": ["desk@news.example"],
                "timeout": "2s",
            },
            "hook": {"type": "webhook", "url": receiver.url, "timeout": "2s"},
        },
        [f"Report {i}" for i in range(4)],
    )
    assert queue_alerts(cfg).alerts == 8
    inbox, controller = Inbox(), None
    d = Driver(cfg)
    try:
        # attempt 1 at t0, 2 at +30 s, 3 at +90 s: every one fails (nothing listens on the
        # SMTP port, the webhook answers 503 without Retry-After)
        timeline = [(0, 30), (29, None), (30, 90), (89, None), (90, 210)]
        for at, next_due in timeline:
            rep = d.at(at)
            if next_due is None:
                assert (rep.sent, rep.retried, rep.failed) == (0, 0, 0), f"t+{at}: not due yet"
                continue
            assert (rep.sent, rep.retried, rep.failed) == (0, 8, 0), rep.errors
            assert d.next_at("mail") == d.next_at("hook") == {next_due}
        assert {r["attempts"] for r in d.alerts()} == {3}
        assert "refused" in " ".join(rep.errors).lower() or "mail" in " ".join(rep.errors)
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        up["hook"] = True
        assert d.at(209).sent == 0
        rep = d.at(210)
        assert (rep.sent, rep.retried, rep.failed) == (8, 0, 0), rep.errors
        for later in (300, 4000, 90000):  # nothing is sent twice
            assert d.at(later).sent == 0
        ids = {r["id"] for r in d.alerts("sent", "mail")}
        hook_ids = {r["id"] for r in d.alerts("sent", "hook")}
    finally:
        d.close()
        if controller is not None:
            controller.stop()
    assert len(ids) == 4 and len(hook_ids) == 4
    mids = Counter(m["Message-ID"] for m in inbox.messages)
    assert len(inbox.messages) == 4 and max(mids.values()) == 1
    assert {m["X-Newsbot-Alert-Id"] for m in inbox.messages} == ids
    assert receiver.counts() == Counter(dict.fromkeys(hook_ids, 1))
    assert len(receiver.deliveries) == 4 * 3 + 4  # three 503s each, then one 200 each


def test_webhook_retry_after_is_honoured(tmp_path, http_server, receiver):
    receiver.script = lambda n, key: (
        Reply(503, b"later", {"Retry-After": "120"}) if n < 2 else Reply(200)
    )
    cfg = _settings(
        tmp_path, http_server, {"hook": {"type": "webhook", "url": receiver.url}}, ["One", "Two"]
    )
    queue_alerts(cfg)
    d = Driver(cfg)
    try:
        assert d.at(0).retried == 2
        assert d.next_at("hook") == {120}
        assert d.at(119).sent == 0
        assert d.at(120).sent == 2
    finally:
        d.close()
    assert sorted(receiver.counts().values()) == [1, 1]


def test_500_forever_is_marked_failed_and_can_be_requeued(tmp_path, http_server, receiver):
    broken = {"on": True}
    receiver.script = lambda n, key: Reply(500, b"boom") if broken["on"] else Reply(200)
    cfg = _settings(
        tmp_path,
        http_server,
        {"hook": {"type": "webhook", "url": receiver.url, "max_attempts": 3}},
        ["Alpha", "Beta", "Gamma"],
    )
    queue_alerts(cfg)
    d = Driver(cfg)
    try:
        t = 0.0
        for _ in range(10):  # bounded: 3 attempts are expected
            d.at(t)
            t += MAX_BACKOFF + 1
        failed = d.alerts("failed")
        assert len(failed) == 3 and not d.alerts("pending")
        assert {r["attempts"] for r in failed} == {3}
        assert all("HTTP 500" in r["last_error"] for r in failed)
        assert Counter(x.key for x in receiver.deliveries) == Counter({r["id"]: 3 for r in failed})
        assert d.at(t + 86400).sent == 0  # failed alerts are not retried on their own
        broken["on"] = False
        first = failed[0]["id"]
        assert d.store.retry_alert(first[:10], d.t0 + timedelta(seconds=t)) == 1
        requeued = d.alerts("pending")
        assert [r["id"] for r in requeued] == [first] and requeued[0]["attempts"] == 0
        assert d.at(t).sent == 1
        assert d.store.retry_alert("all", d.t0 + timedelta(seconds=t)) == 2
        assert d.at(t).sent == 2
        assert len(d.alerts("sent")) == 3
    finally:
        d.close()
    assert sorted(receiver.counts().values()) == [1, 1, 1]


class Picky:
    """A channel that refuses some alerts: permanently, or with an unexpected exception."""

    name = "out"

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.tries: Counter[str] = Counter()

    def send(self, alert: models.Alert) -> str:
        self.tries[alert.title] += 1
        if "POISON" in alert.title:
            raise DeliveryError("the channel refuses this alert for good", permanent=True)
        if "BUGGY" in alert.title:
            raise RuntimeError("a notifier bug")
        self.sent.append(alert.title)
        return "ok"

    def send_digest(self, alerts: Any, period: str) -> str:
        raise AssertionError("no digest configured")

    def close(self) -> None:
        pass


def test_poison_alerts_do_not_block_the_queue(tmp_path, http_server):
    titles = ["POISON first", "BUGGY second", *[f"Good {i}" for i in range(5)]]
    cfg = _settings(tmp_path, http_server, {"out": {"type": "console"}}, titles)
    queue_alerts(cfg)
    picky = Picky()
    d = Driver(cfg, channels={"out": picky})
    try:
        # one alert per call: a poison alert retried ahead of the others would starve them
        for _ in range(10):
            d.at(0, limit=1)
        assert sorted(picky.sent) == [f"Good {i}" for i in range(5)]
        assert picky.tries["POISON first"] == 1  # dead-lettered at once, never retried
        (dead,) = d.alerts("failed")
        assert dead["title"] == "POISON first" and "for good" in dead["last_error"]
        (buggy,) = d.alerts("pending")
        assert buggy["title"] == "BUGGY second" and "RuntimeError" in buggy["last_error"]
        assert (from_iso(buggy["next_attempt_at"]) - d.t0).total_seconds() == 30
    finally:
        d.close()


def test_crlf_title_over_email_is_one_header(tmp_path, http_server):
    """A CR/LF in a title (here a feed-health notice written to the outbox) must not break the
    Subject header nor block the alerts queued behind it."""
    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    cfg = _settings(
        tmp_path,
        http_server,
        {
            "mail": {
                "type": "email",
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "from": "bot@news.example",
                "to": ["desk@news.example"],
                "timeout": "2s",
            },
        },
        ["One", "Two"],
    )
    queue_alerts(cfg)
    try:
        with Store.open(cfg.db_path) as store, write(store.db):
            store.queue_notice(
                "k",
                "Feed down\r\nBcc: victim@evil.example",
                "body\r\nline",
                ["mail"],
                _now() - timedelta(seconds=5),
            )
        d = Driver(cfg)
        try:
            rep = d.at(0)
        finally:
            d.close()
    finally:
        controller.stop()
    assert (rep.sent, rep.failed, rep.retried) == (3, 0, 0), rep.errors
    subjects = [str(m["Subject"]) for m in inbox.messages]
    assert not any("\r" in s or "\n" in s for s in subjects)
    assert all(m["Bcc"] is None for m in inbox.messages)


def test_once_delivers_every_queued_alert(tmp_path, http_server):
    cfg = _settings(
        tmp_path,
        http_server,
        {"out": {"type": "jsonl", "path": str(tmp_path / "alerts.jsonl")}},
        [f"Report {i}" for i in range(250)],
    )
    from service.wiring import run_once

    report, sent = run_once(cfg)
    assert report.alerts == 250
    assert sent.sent == 250
