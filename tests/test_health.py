"""Broken-feed notices through the outbox to a real SMTP server, with an injected clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from feedfactory import rss
from httpserver import Reply

import settings
from service.delivery import Delivery
from service.wiring import build_ruleset, open_store, poll_cycle

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _settings(tmp_path, http_server, smtp_server):
    return settings.from_dict(
        {
            "storage": {"path": str(tmp_path / "a.db")},
            "http": {"timeout": "1s", "allow_private_networks": True},
            "health": {"after": "1h", "notify": ["mail"]},
            "feeds": [
                {"name": "Levant Wire", "url": http_server.url("/feed.xml"), "full_text": False}
            ],
            "notifiers": {
                "mail": {
                    "type": "email",
                    "host": "127.0.0.1",
                    "port": smtp_server.port,
                    "security": "none",
                    "to": ["analyst@example.org"],
                }
            },
        },
        base_dir=str(tmp_path),
    )


def _cycle(s, when):
    """A cycle and a delivery at time `when`, each on a fresh store (as after a restart)."""
    with open_store(s) as store:
        asyncio.run(poll_cycle(s, store, build_ruleset(s), everything=True, now=when))
        with Delivery.from_settings(s, clock=lambda: when) as d:
            d.due(store)


def test_one_notice_per_outage_and_one_recovery(tmp_path, http_server, smtp_server):
    s = _settings(tmp_path, http_server, smtp_server)
    http_server.route("/feed.xml", Reply(403, b"no bots"))
    _cycle(s, T0)
    _cycle(s, T0 + timedelta(minutes=30))
    assert smtp_server.inbox.messages == []  # two failures, not yet an hour
    _cycle(s, T0 + timedelta(minutes=61))  # third failure, over an hour: notice
    assert len(smtp_server.inbox.messages) == 1
    msg = smtp_server.inbox.messages[0]
    assert "Levant Wire" in str(msg["Subject"])
    body = msg.get_body(("plain",)).get_content()
    assert "403" in body and "user_agent" in body and "2026-11-25 09:00" in body
    for hours in (2, 5, 9):  # still broken, across "restarts": nothing more
        _cycle(s, T0 + timedelta(hours=hours))
    assert len(smtp_server.inbox.messages) == 1
    http_server.route(
        "/feed.xml",
        Reply(200, rss([("g", "t", "http://x/1", "d")]), {"Content-Type": "application/rss+xml"}),
    )
    _cycle(s, T0 + timedelta(hours=10))
    assert len(smtp_server.inbox.messages) == 2
    assert "recovered" in str(smtp_server.inbox.messages[1]["Subject"])
    _cycle(s, T0 + timedelta(hours=11))
    assert len(smtp_server.inbox.messages) == 2


def test_gone_feed_notifies_at_once_and_stops(tmp_path, http_server, smtp_server):
    s = _settings(tmp_path, http_server, smtp_server)
    http_server.route("/feed.xml", Reply(410, b"gone"))
    _cycle(s, T0)
    assert len(smtp_server.inbox.messages) == 1
    assert "410" in smtp_server.inbox.messages[0].get_body(("plain",)).get_content()
    _cycle(s, T0 + timedelta(hours=1))
    assert len(http_server.hits("/feed.xml")) == 1 and len(smtp_server.inbox.messages) == 1


def test_failing_feed_keeps_what_was_seen(tmp_path, http_server, smtp_server):
    s = _settings(tmp_path, http_server, smtp_server)
    http_server.route(
        "/feed.xml",
        Reply(200, rss([("g1", "t", "http://x/1", "d")]), {"Content-Type": "application/rss+xml"}),
    )
    _cycle(s, T0)
    http_server.route("/feed.xml", Reply(200, b"", {"Content-Type": "application/rss+xml"}))
    _cycle(s, T0 + timedelta(hours=1))  # empty body: a parse error, nothing forgotten
    http_server.route(
        "/feed.xml",
        Reply(200, rss([("g1", "t", "http://x/1", "d")]), {"Content-Type": "application/rss+xml"}),
    )
    _cycle(s, T0 + timedelta(hours=2))
    with open_store(s) as store:
        assert store.db["articles"].count == 1
        assert store.feed("Levant Wire").consecutive_errors == 0


def test_moved_feed_is_one_notice(tmp_path, http_server, smtp_server):
    s = _settings(tmp_path, http_server, smtp_server)
    http_server.route(
        "/new.xml",
        Reply(200, rss([("g", "t", "http://x/1", "d")]), {"Content-Type": "application/rss+xml"}),
    )
    http_server.route("/feed.xml", Reply(301, b"", {"Location": http_server.url("/new.xml")}))
    _cycle(s, T0)
    _cycle(s, T0 + timedelta(hours=1))
    assert len(smtp_server.inbox.messages) == 1
    body = smtp_server.inbox.messages[0].get_body(("plain",)).get_content()
    assert "moved permanently" in body and "/new.xml" in body
