"""Alerts end to end: a poll on a local site -> a real SMTP server, a webhook endpoint and an
Apprise json:// target; exactly once per (watch, article, channel) across runs; digests."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

from feedfactory import page, rss
from httpserver import Reply

import settings
from service.delivery import Delivery
from service.wiring import open_store, run_once

STORY = [
    "Relief agencies said on Monday that the convoy had been waiting for nine days.",
    "Negotiators agreed on a route that avoids the most damaged districts of the city.",
    "By Tuesday evening the trucks were unloading in eastern Aleppo, witnesses said.",
]


EVENTS = [
    "reaches the old city",
    "turned back at a checkpoint",
    "hit by shelling at night",
    "delayed by a sandstorm",
    "brings insulin to hospitals",
    "drivers go on strike",
]


def _site(server, n):
    """``n`` reports of distinct events (one story each), titles 'Convoy story i ...'."""
    items = [
        (f"g{i}", f"Convoy story {i} {EVENTS[i]} <b>&", server.url(f"/s/{i}.html"), "teaser")
        for i in range(n)
    ]
    server.route("/feed.xml", Reply(200, rss(items), {"Content-Type": "application/rss+xml"}))
    for i in range(n):
        server.route(
            f"/s/{i}.html",
            Reply(200, page(f"Convoy story {i}", STORY), {"Content-Type": "text/html"}),
        )


def _settings(tmp_path, http_server, smtp_server, **watch):
    return settings.from_dict(
        {
            "storage": {"path": str(tmp_path / "a.db")},
            "http": {"allow_private_networks": True, "timeout": "2s"},
            "feeds": [{"name": "Wire", "url": http_server.url("/feed.xml")}],
            "watches": [{"name": "Aleppo watch", "locations": ["Aleppo"], **watch}],
            "notifiers": {
                "mail": {
                    "type": "email",
                    "host": "127.0.0.1",
                    "port": smtp_server.port,
                    "security": "none",
                    "to": ["analyst@example.org"],
                },
                "hook": {"type": "webhook", "url": http_server.url("/hook"), "secret": "k3y"},
                "chat": {
                    "type": "apprise",
                    "urls": [http_server.url("/chat").replace("http", "json", 1)],
                },
            },
        },
        base_dir=str(tmp_path),
    )


def _deliver_at(s, store, when):
    """One deliver pass with the clock at ``when`` (channels built from the settings)."""
    with Delivery.from_settings(s, clock=lambda: when) as d:
        return d.due(store)


def test_alerts_reach_every_channel_once(tmp_path, http_server, smtp_server):
    _site(http_server, 2)
    http_server.route("/hook", Reply(204))
    http_server.route("/chat", Reply(200, b"{}"))
    s = _settings(tmp_path, http_server, smtp_server)
    report, sent = run_once(s)
    assert report.alerts == 6 and sent.sent == 6
    run_once(s)  # nothing new, nothing resent
    assert len(smtp_server.inbox.messages) == 2
    hooks = http_server.hits("/hook")
    assert len(hooks) == 2 and len(http_server.hits("/chat")) == 2
    body = hooks[0].body
    sig = hmac.new(b"k3y", body, hashlib.sha256).hexdigest()
    assert hooks[0].headers["x-newsbot-signature"] == f"sha256={sig}"
    payload = json.loads(body)
    assert payload["watch"] == "Aleppo watch" and payload["locations"][0]["geonameid"] == 170063
    msg = smtp_server.inbox.messages[0]
    html = msg.get_body(("html",)).get_content()
    assert "Convoy story" in html and " &amp;</title>" in html and "<b>" not in html
    assert "<mark>Aleppo</mark>" in html


def test_webhook_down_then_up_delivers_late_once(tmp_path, http_server, smtp_server):
    _site(http_server, 1)
    state = {"up": False}
    http_server.route("/hook", lambda req: Reply(204) if state["up"] else Reply(503, b"down"))
    http_server.route("/chat", Reply(200, b"{}"))
    s = _settings(tmp_path, http_server, smtp_server)
    _, sent = run_once(s)
    assert sent.retried == 1 and sent.sent == 2
    state["up"] = True
    with open_store(s) as store:
        later = datetime.now(UTC) + timedelta(minutes=5)
        report = _deliver_at(s, store, later)
        again = _deliver_at(s, store, later + timedelta(hours=1))
    assert report.sent == 1 and again.sent == 0
    assert [r.headers.get("idempotency-key") for r in http_server.hits("/hook")].count(None) == 0
    assert len({r.headers["idempotency-key"] for r in http_server.hits("/hook")}) == 1


def test_digest_groups_alerts_into_one_message(tmp_path, http_server, smtp_server):
    _site(http_server, 3)
    http_server.route("/hook", Reply(204))
    http_server.route("/chat", Reply(200, b"{}"))
    s = _settings(tmp_path, http_server, smtp_server, digest="1h", notify=["mail"])
    _, sent = run_once(s)
    assert sent.sent == 0 and smtp_server.inbox.messages == []  # waiting for the period
    with open_store(s) as store:
        report = _deliver_at(s, store, datetime.now(UTC) + timedelta(hours=1, minutes=1))
    assert report.sent == 3 and len(smtp_server.inbox.messages) == 1
    text = smtp_server.inbox.messages[0].get_body(("plain",)).get_content()
    assert all(f"Convoy story {i}" in text for i in range(3))


def _jsonl_settings(tmp_path, http_server, **channel):
    return settings.from_dict(
        {
            "storage": {"path": str(tmp_path / "a.db")},
            "http": {"allow_private_networks": True, "timeout": "2s"},
            "feeds": [{"name": "Wire", "url": http_server.url("/feed.xml")}],
            "watches": [{"name": "Aleppo watch", "keywords": ["Aleppo"]}],
            "notifiers": {"out": {"type": "jsonl", "path": "out.jsonl", **channel}},
        },
        base_dir=str(tmp_path),
    )


def _lines(tmp_path):
    p = tmp_path / "out.jsonl"
    return [json.loads(x) for x in p.read_text().splitlines()] if p.exists() else []


def test_rate_limit_folds_the_rest_into_one_message(tmp_path, http_server):
    _site(http_server, 6)
    s = _jsonl_settings(tmp_path, http_server, rate_limit=3)
    _, sent = run_once(s)
    assert sent.sent == 6
    # 2 single messages + 1 folded message carrying the other 4 alerts
    assert len({a["alert_id"] for a in _lines(tmp_path)}) == 6
    assert sent.messages == 3


def test_quiet_hours_hold_alerts_then_send_them_as_one(tmp_path, http_server):
    _site(http_server, 3)
    now = datetime.now(UTC)
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    s = _jsonl_settings(
        tmp_path, http_server, timezone="UTC", quiet_hours=f"{start:%H:%M}-{end:%H:%M}"
    )
    _, sent = run_once(s)
    assert sent.sent == 0 and _lines(tmp_path) == []
    with open_store(s) as store:
        report = _deliver_at(s, store, end + timedelta(minutes=2))
    assert report.sent == 3 and report.messages == 1
    assert len(_lines(tmp_path)) == 3


def test_cron_digest_fires_on_its_schedule(tmp_path, http_server):
    _site(http_server, 2)
    s = _jsonl_settings(tmp_path, http_server, digest="0 8 * * *")
    _, sent = run_once(s)
    assert sent.sent == 0
    now = datetime.now(UTC)
    next_eight = (now + timedelta(days=1)).replace(hour=8, minute=0, second=5, microsecond=0)
    if now.hour < 8:
        next_eight -= timedelta(days=1)
    with open_store(s) as store:
        early = _deliver_at(s, store, next_eight - timedelta(minutes=1))
        on_time = _deliver_at(s, store, next_eight)
    assert early.sent == 0 and on_time.sent == 2
    assert len(_lines(tmp_path)) == 2
