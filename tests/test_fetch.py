"""feeds.fetch against a real server on 127.0.0.1: statuses, redirects, caps, deadlines, faults."""

from __future__ import annotations

import asyncio
import gzip
import random
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from httpserver import LocalServer, Reply, Request

import models
import settings
from errors import BlockedAddressError, FetchError
from feeds.body import BodyDecoder
from feeds.fetch import PAGE_ACCEPT, make_client

FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"


def http(**kw: Any) -> settings.HttpSettings:
    """Fast settings for tests: loopback allowed (the guard has its own tests)."""
    return settings.HttpSettings(**{"timeout": 0.5, "allow_private_networks": True, **kw})


def fetch(url: str, config: settings.HttpSettings | None = None, **kw: Any) -> models.FetchResult:
    async def go() -> models.FetchResult:
        async with make_client(config or http()) as fetcher:
            return await fetcher.fetch(url, **kw)

    return asyncio.run(go())


def fetch_error(url: str, config: settings.HttpSettings | None = None, **kw: Any) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetch(url, config, **kw)
    return info.value


def test_200_then_304_with_validators(http_server: LocalServer) -> None:
    validators = {"ETag": '"v1"', "Last-Modified": "Wed, 13 Mar 2024 10:00:00 GMT"}

    def feed(req: Request) -> Reply:
        if req.headers.get("if-none-match") == '"v1"':
            return Reply(304)
        return Reply(200, FEED, {"Content-Type": "application/rss+xml", **validators})

    http_server.route("/feed", feed)
    first = fetch(http_server.url("/feed"))
    assert (first.status, first.content, first.content_type) == (200, FEED, "application/rss+xml")
    assert (first.etag, first.last_modified) == ('"v1"', validators["Last-Modified"])
    assert first.elapsed > 0

    second = fetch(http_server.url("/feed"), etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.content == b""
    assert second.etag == '"v1"'  # kept from the request when the 304 does not repeat it
    assert second.last_modified == validators["Last-Modified"]
    sent = http_server.requests[1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == validators["Last-Modified"]


def test_request_headers(http_server: LocalServer) -> None:
    http_server.route("/page", Reply(200, b"<html></html>"))
    fetch(http_server.url("/page"), http(user_agent="TestBot/1.0"), accept=PAGE_ACCEPT)
    sent = http_server.requests[0].headers
    assert sent["user-agent"] == "TestBot/1.0"
    assert sent["accept-encoding"] == "gzip, deflate"
    assert sent["accept"] == PAGE_ACCEPT
    assert "cookie" not in sent


def test_permanent_redirect_chain_records_permanent_url(http_server: LocalServer) -> None:
    http_server.route("/old", Reply(301, b"", {"Location": "/older"}))
    http_server.route("/older", Reply(308, b"", {"Location": http_server.url("/feed")}))
    http_server.route("/feed", Reply(200, FEED))
    result = fetch(http_server.url("/old"))
    assert result.url == result.permanent_url == http_server.url("/feed")
    assert result.content == FEED


def test_temporary_hop_means_no_permanent_url(http_server: LocalServer) -> None:
    http_server.route("/old", Reply(301, b"", {"Location": "/tmp"}))
    http_server.route("/tmp", Reply(302, b"", {"Location": "/feed"}))
    http_server.route("/feed", Reply(200, FEED))
    result = fetch(http_server.url("/old"))
    assert result.url == http_server.url("/feed")
    assert result.permanent_url is None


def test_no_redirect_no_permanent_url(http_server: LocalServer) -> None:
    http_server.route("/feed", Reply(200, FEED))
    assert fetch(http_server.url("/feed")).permanent_url is None


def test_redirect_loop(http_server: LocalServer) -> None:
    http_server.route("/a", Reply(302, b"", {"Location": "/b"}))
    http_server.route("/b", Reply(301, b"", {"Location": "/a"}))
    err = fetch_error(http_server.url("/a"), http(max_redirects=3))
    assert err.kind == "redirects"
    assert len(http_server.requests) == 4  # the first request + 3 hops


def test_redirect_without_location_is_an_error(http_server: LocalServer) -> None:
    http_server.route("/a", Reply(302, b""))
    assert fetch_error(http_server.url("/a")).kind == "http"


def test_410_gone(http_server: LocalServer) -> None:
    http_server.route("/feed", Reply(410, b"gone"))
    err = fetch_error(http_server.url("/feed"))
    assert (err.kind, err.status) == ("http", 410)
    assert "gone" in err.hint and "disabled" in err.hint
    assert str(err) == f"GET {http_server.url('/feed')}: HTTP 410 Gone"


def test_403_hints_at_the_user_agent(http_server: LocalServer) -> None:
    http_server.route("/feed", Reply(403, b"no bots"))
    err = fetch_error(http_server.url("/feed"))
    assert err.status == 403 and "user_agent" in err.hint
    assert "HTTP 403 Forbidden" in str(err)


def test_500(http_server: LocalServer) -> None:
    http_server.route("/feed", Reply(500, b"oops"))
    err = fetch_error(http_server.url("/feed"))
    assert (err.kind, err.status, err.retry_after) == ("http", 500, None)
    assert str(err).endswith("HTTP 500 Internal Server Error")


def test_429_retry_after_seconds(http_server: LocalServer) -> None:
    http_server.route("/feed", Reply(429, b"", {"Retry-After": "120"}))
    err = fetch_error(http_server.url("/feed"))
    assert (err.status, err.retry_after) == (429, 120.0)


def test_503_retry_after_http_date(http_server: LocalServer) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    http_server.route("/feed", Reply(503, b"", {"Retry-After": when}))
    err = fetch_error(http_server.url("/feed"))
    assert err.status == 503
    assert err.retry_after is not None and 3590 <= err.retry_after <= 3600


def test_slow_trickle_hits_the_total_deadline(http_server: LocalServer) -> None:
    http_server.route("/slow", Reply(200, (b"x" for _ in range(100)), chunk_delay=0.1))
    started = time.monotonic()
    err = fetch_error(http_server.url("/slow"), http(timeout=0.3))
    assert err.kind == "timeout"
    assert time.monotonic() - started < 2.5  # deadline 0.9 s, not 100 x 0.1 s


def test_silent_server_hits_the_read_timeout(http_server: LocalServer) -> None:
    http_server.route("/silent", Reply(200, b"late", delay=1.5))
    assert fetch_error(http_server.url("/silent"), http(timeout=0.3)).kind == "timeout"


def test_content_length_over_the_cap_is_refused_early(http_server: LocalServer) -> None:
    http_server.route("/big", Reply(200, b"x" * 2_000_000))
    err = fetch_error(http_server.url("/big"), http(max_bytes=1_000_000))
    assert err.kind == "too_large" and "Content-Length" in str(err)


def test_streamed_body_over_the_cap_is_cut_off(http_server: LocalServer) -> None:
    chunks = (b"y" * 65536 for _ in range(10_000))  # 655 MB if read to the end
    http_server.route("/endless", Reply(200, chunks))
    err = fetch_error(http_server.url("/endless"), http(max_bytes=1_000_000))
    assert err.kind == "too_large"


def test_gzip_bomb_is_cut_off(http_server: LocalServer) -> None:
    bomb = gzip.compress(b"\0" * 20_000_000, compresslevel=9)
    assert len(bomb) < 100_000
    http_server.route("/bomb", Reply(200, bomb, {"Content-Encoding": "gzip"}))
    err = fetch_error(http_server.url("/bomb"), http(max_bytes=1_000_000))
    assert err.kind == "too_large"


def test_decoder_output_is_bounded_per_call() -> None:
    bomb = gzip.compress(b"\0" * 20_000_000)
    assert len(BodyDecoder("gzip", "u").feed(bomb, 1000)) == 1001


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate from old servers
        ("identity", lambda b: b),
    ],
    ids=["gzip", "x-gzip", "deflate-zlib", "deflate-raw", "identity"],
)
def test_compressed_bodies_are_decoded(
    http_server: LocalServer, encoding: str, encode: Any
) -> None:
    http_server.route("/feed", Reply(200, encode(FEED * 50), {"Content-Encoding": encoding}))
    assert fetch(http_server.url("/feed")).content == FEED * 50


def test_concatenated_gzip_members(http_server: LocalServer) -> None:
    body = gzip.compress(b"one ") + gzip.compress(b"two")
    http_server.route("/feed", Reply(200, body, {"Content-Encoding": "gzip"}))
    assert fetch(http_server.url("/feed")).content == b"one two"


@pytest.mark.parametrize(
    "body",
    [b"this is not gzip at all", gzip.compress(random.Random(1).randbytes(5000))[:200]],
    ids=["garbage", "truncated"],
)
def test_invalid_gzip_is_a_protocol_error(http_server: LocalServer, body: bytes) -> None:
    http_server.route("/feed", Reply(200, body, {"Content-Encoding": "gzip"}))
    err = fetch_error(http_server.url("/feed"))
    assert err.kind == "protocol" and "gzip" in str(err)


def test_unrequested_encoding_is_a_protocol_error(http_server: LocalServer) -> None:
    http_server.route("/feed", Reply(200, b"\x1b\x00", {"Content-Encoding": "br"}))
    assert fetch_error(http_server.url("/feed")).kind == "protocol"


def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    err = fetch_error(f"http://127.0.0.1:{port}/feed")
    assert err.kind == "connect" and f"127.0.0.1:{port}" in str(err)


def test_tls_to_a_plain_http_server_is_a_tls_error(http_server: LocalServer) -> None:
    http_server.route("/", Reply(200, b"plain"))
    url = f"https://127.0.0.1:{http_server.port}/"
    assert fetch_error(url).kind == "tls"


def test_blocked_address_is_a_fetch_error() -> None:
    err = fetch_error("http://127.0.0.1:1/", http(allow_private_networks=False))
    assert isinstance(err, BlockedAddressError) and err.kind == "blocked"


def test_per_host_limit(http_server: LocalServer) -> None:
    state = {"now": 0, "max": 0}
    lock = threading.Lock()

    def slow(req: Request) -> Reply:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.1)
        with lock:
            state["now"] -= 1
        return Reply(200, b"ok")

    http_server.route("/p", slow)

    async def go(config: settings.HttpSettings) -> None:
        async with make_client(config) as fetcher:
            await asyncio.gather(*(fetcher.fetch(http_server.url("/p")) for _ in range(4)))

    asyncio.run(go(http(per_host=1, timeout=2)))
    assert state["max"] == 1
    state["max"] = 0
    asyncio.run(go(http(per_host=4, concurrency=2, timeout=2)))
    assert state["max"] == 2


@contextmanager
def raw_server(payload: bytes, reset: bool = False) -> Iterator[str]:
    """A TCP server on 127.0.0.1 that answers every connection with ``payload`` bytes."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(payload)
                if reset:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/feed"
    finally:
        sock.close()


HOSTILE = [
    ("garbage-status-line", b"HELLO THERE\r\n\r\n", False),
    ("empty-reply", b"", False),
    ("bad-chunked", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nabc\r\n", False),
    ("short-body", b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", False),
    ("reset-mid-body", b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 1000, True),
    ("bad-content-length", b"HTTP/1.1 200 OK\r\nContent-Length: lots\r\n\r\nx", False),
    ("header-without-colon", b"HTTP/1.1 200 OK\r\nBroken header\r\n\r\n", False),
    ("binary-status", b"HTTP/1.1 2\xff\xfe OK\r\n\r\n", False),
    ("status-999", b"HTTP/1.1 999 Whatever\r\nContent-Length: 0\r\n\r\n", False),
    (
        "bad-location",
        b"HTTP/1.1 302 Found\r\nLocation: http://[oops\r\nContent-Length: 0\r\n\r\n",
        False,
    ),
]


@pytest.mark.parametrize(
    ("payload", "reset"), [(p, r) for _, p, r in HOSTILE], ids=[i for i, _, _ in HOSTILE]
)
def test_hostile_servers_give_only_fetch_errors(payload: bytes, reset: bool) -> None:
    with raw_server(payload, reset) as url:
        err = fetch_error(url)
    assert url in str(err)
