"""The webhook channel against the real local HTTP server (tests/httpserver.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket

import pytest
from httpserver import LocalServer, Reply
from test_notifiers_fixtures import match_alert, notice_alert

import notifiers
import settings
from errors import DeliveryError

SECRET = "hook-secret-value-42"


def hook(url: str, **kw: object) -> notifiers.Notifier:
    opts = {"url": url, "secret": SECRET, "timeout": 5, **kw}
    return notifiers.build("hook", settings.NotifierSettings(type="webhook", **opts))


def test_posts_signed_json(http_server: LocalServer) -> None:
    http_server.route("/in", Reply(204))
    n = hook(http_server.url("/in"), headers={"Authorization": "Bearer abc"})
    assert n.send(match_alert("a-1")) == "HTTP 204"
    n.close()
    [req] = http_server.hits("/in")
    assert req.method == "POST"
    assert req.headers["content-type"] == "application/json"
    assert req.headers["authorization"] == "Bearer abc"
    assert req.headers["idempotency-key"] == "a-1"
    expected = hmac.new(SECRET.encode(), req.body, hashlib.sha256).hexdigest()
    assert req.headers["x-newsbot-signature"] == f"sha256={expected}"
    data = json.loads(req.body)
    for key in ("alert_id", "watch", "url", "title", "feed", "published", "matches", "locations"):
        assert key in data
    assert data["title"] == match_alert().title


def test_resend_is_byte_identical(http_server: LocalServer) -> None:
    http_server.route("/in", Reply(200))
    n = hook(http_server.url("/in"))
    n.send(match_alert("a-1"))
    n.send(match_alert("a-1"))
    first, second = http_server.hits("/in")
    assert first.body == second.body
    assert first.headers["x-newsbot-signature"] == second.headers["x-newsbot-signature"]


def test_no_secret_no_signature(http_server: LocalServer) -> None:
    http_server.route("/in", Reply(200))
    hook(http_server.url("/in"), secret=None).send(notice_alert())
    [req] = http_server.hits("/in")
    assert "x-newsbot-signature" not in req.headers
    assert json.loads(req.body)["kind"] == "notice"


def test_digest_is_one_post(http_server: LocalServer) -> None:
    http_server.route("/in", Reply(200))
    hook(http_server.url("/in")).send_digest([match_alert("a-1"), match_alert("a-2")], "1h")
    [req] = http_server.hits("/in")
    data = json.loads(req.body)
    assert data["kind"] == "digest" and [a["alert_id"] for a in data["alerts"]] == ["a-1", "a-2"]
    assert len(req.headers["idempotency-key"]) == 64


@pytest.mark.parametrize(
    "status, headers, permanent, after",
    [
        (500, {}, False, None),
        (502, {}, False, None),
        (408, {}, False, None),
        (429, {"Retry-After": "30"}, False, 30.0),
        (503, {"Retry-After": "120"}, False, 120.0),
        (400, {}, True, None),
        (401, {}, True, None),
        (404, {}, True, None),
        (301, {"Location": "http://127.0.0.1:1/elsewhere"}, True, None),
    ],
    ids=["500", "502", "408", "429", "503", "400", "401", "404", "301"],
)
def test_status_mapping(
    http_server: LocalServer, status: int, headers: dict, permanent: bool, after: float | None
) -> None:
    http_server.route("/in", Reply(status, b"nope " + SECRET.encode(), headers))
    with pytest.raises(DeliveryError) as err:
        hook(http_server.url("/in")).send(match_alert())
    assert err.value.permanent is permanent
    assert err.value.retry_after == after
    assert f"HTTP {status}" in str(err.value)
    assert SECRET not in err.value.render()
    assert len(http_server.hits("/in")) == 1  # redirects are not followed


def test_connection_refused_is_retryable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DeliveryError) as err:
        hook(f"http://user:pw-in-url@127.0.0.1:{port}/in?token=t0ps3cret").send(match_alert())
    assert not err.value.permanent
    assert "pw-in-url" not in err.value.render() and "t0ps3cret" not in err.value.render()


def test_timeout_is_retryable(http_server: LocalServer) -> None:
    http_server.route("/slow", Reply(200, delay=2))
    with pytest.raises(DeliveryError) as err:
        hook(http_server.url("/slow"), timeout=0.3).send(match_alert())
    assert not err.value.permanent and "timed out" in str(err.value)
