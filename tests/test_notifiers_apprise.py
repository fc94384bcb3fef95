"""The apprise channel against the real local HTTP server (json://, ntfy://, mmost://)."""

from __future__ import annotations

import json

import pytest
from httpserver import LocalServer, Reply
from test_notifiers_fixtures import HOSTILE_TITLE, match_alert, notice_alert

import notifiers
import settings
from errors import DeliveryError

LINK = "https://news.example.org/world/aleppo-shelling?id=7&src=rss"
ESCAPED = r"Aleppo &lt;script\>alert\(1\)&lt;/script\> \*bold\* \[x\]\(http://evil\)"


def chat(*urls: str) -> notifiers.Notifier:
    return notifiers.build("chat", settings.NotifierSettings(type="apprise", urls=list(urls)))


def test_json_target_gets_escaped_title_and_link(http_server: LocalServer) -> None:
    http_server.route("/hook", Reply(200, b"ok"))
    receipt = chat(f"json://127.0.0.1:{http_server.port}/hook").send(match_alert())
    assert receipt == "1 target(s) notified: JSON (127.0.0.1)"
    [req] = http_server.hits("/hook")
    data = json.loads(req.body)
    assert f"[{ESCAPED}]({LINK})" in data["message"]
    assert "<script>" not in data["message"]
    assert data["title"] == f"[Syria hotspots] {HOSTILE_TITLE}"  # a plain-text title slot


def test_ntfy_and_mattermost_targets(http_server: LocalServer) -> None:
    for path in ("/", "/hooks/tok3nvalue"):
        http_server.route(path, Reply(200, b"{}", {"Content-Type": "application/json"}))
    n = chat(
        f"ntfy://127.0.0.1:{http_server.port}/alerts",
        f"mmost://127.0.0.1:{http_server.port}/tok3nvalue",
    )
    n.send(match_alert())
    ntfy = json.loads(http_server.hits("/")[0].body)
    mm = json.loads(http_server.hits("/hooks/tok3nvalue")[0].body)
    assert ntfy["topic"] == "alerts" and LINK in ntfy["message"]
    assert ESCAPED in mm["text"] and LINK in mm["text"]
    assert "[x](http://evil)" not in mm["text"]  # Mattermost renders Markdown: no live link


def test_long_alert_is_cut_with_the_link_kept(http_server: LocalServer) -> None:
    http_server.route("/hooks/tok3nvalue", Reply(200, b"{}"))
    n = chat(f"mmost://127.0.0.1:{http_server.port}/tok3nvalue")
    n.send(match_alert(title="Very long headline " * 400))
    bodies = [json.loads(r.body)["text"] for r in http_server.hits("/hooks/tok3nvalue")]
    assert LINK in bodies[0]
    assert all(len(b) <= 4000 for b in bodies)


def test_failure_is_retryable_and_hides_tokens(http_server: LocalServer) -> None:
    http_server.route("/hooks/s3cr3ttoken", Reply(500, b"boom"))
    n = chat(f"mmost://127.0.0.1:{http_server.port}/s3cr3ttoken")
    with pytest.raises(DeliveryError) as err:
        n.send(notice_alert())
    assert not err.value.permanent
    assert "Mattermost (127.0.0.1)" in str(err.value)
    assert "s3cr3ttoken" not in err.value.render()


def test_partial_failure_does_not_resend_to_delivered_targets(http_server: LocalServer) -> None:
    http_server.route("/ok", Reply(200, b"ok"))
    http_server.route("/flaky", Reply(503, b"busy"))
    n = chat(
        f"json://127.0.0.1:{http_server.port}/ok", f"json://127.0.0.1:{http_server.port}/flaky"
    )
    with pytest.raises(DeliveryError) as err:
        n.send(match_alert("a-1"))
    assert "1 of 2 targets failed" in str(err.value)
    http_server.route("/flaky", Reply(200, b"ok"))
    n.send(match_alert("a-1"))
    assert len(http_server.hits("/ok")) == 1
    assert len(http_server.hits("/flaky")) == 2


def test_digest(http_server: LocalServer) -> None:
    http_server.route("/hook", Reply(200, b"ok"))
    chat(f"json://127.0.0.1:{http_server.port}/hook").send_digest(
        [match_alert("a-1"), notice_alert("n-1")], "1h"
    )
    data = json.loads(http_server.hits("/hook")[0].body)
    assert data["title"] == "[newsbot] digest (1h): 2 alerts, 2 watches"
    assert "**feed notices**" in data["message"]
