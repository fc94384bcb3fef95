"""Hostile feeds from a local server, each polled next to a good feed in ONE cycle: a 1 GB body,
a gzip bomb, a server trickling a byte a second, a redirect loop, invalid UTF-8, entity
expansion (billion laughs, quadratic blowup), external entities, deep nesting. Each must be
bounded in time and memory and reported on its own feed; the good feed archives its entries.
Then the whole feedparser test corpus (~2,100 documents) is polled in one cycle."""

from __future__ import annotations

import functools
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from faultkit import integrity, peak_rss_mb, reset_peak_rss, roomy_server, rss_mb
from feedfactory import rss
from httpserver import LocalServer, Reply

import settings as settings_mod
from service.wiring import run_once
from storage import Store

pytestmark = pytest.mark.fault

GB = 1 << 30
CHUNK = 1 << 16
TIMEOUT = 1.5  # seconds: read timeout; the whole fetch gets 3x this
MAX_BYTES = 2_000_000


@functools.cache
def gzip_bomb() -> bytes:
    """1 GiB of zeros, gzip-compressed (about 1 MB), built once."""
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 22)
    return b"".join(c.compress(zeros) for _ in range(GB // len(zeros))) + c.flush()


def one_gigabyte() -> Iterator[bytes]:
    """Lazily: 1 GiB of feed-looking bytes; stops when the client hangs up."""
    yield b'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>'
    filler = b"<!-- " + b"x" * (CHUNK - 9) + b" -->"
    for _ in range(GB // CHUNK):
        yield filler


def trickle() -> Iterator[bytes]:
    """A byte a second, at most a minute."""
    for b in b'<?xml version="1.0"?><rss version="2.0"><channel><title>slow</title>'[:60]:
        yield bytes([b])


LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol0 "lol">\n'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n' for i in range(1, 10))
    + ']>\n<rss version="2.0"><channel><title>&lol9;</title><link>http://example.org/</link>'
    "<item><title>Aleppo &lol9;</title><link>http://example.org/l</link>"
    "<description>&lol9;</description></item></channel></rss>"
).encode()

QUADRATIC = (
    f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "{"A" * 50_000}">]>\n'
    '<rss version="2.0"><channel><title>q</title><item><title>Aleppo</title>'
    "<link>http://example.org/q</link><description>" + "&a;" * 20_000 + "</description>"
    "</item></channel></rss>"
).encode()


def xxe(probe: str) -> bytes:
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY file SYSTEM "file:///etc/passwd">'
        f'<!ENTITY net SYSTEM "{probe}">]>\n<rss version="2.0"><channel><title>x</title>'
        "<item><title>Aleppo &file;</title><link>http://example.org/x</link>"
        "<description>&net; &file;</description></item></channel></rss>"
    ).encode()


BAD_UTF8 = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>bad \xff\xfe</title>'
    b"<item><guid>u1</guid><title>Aleppo \xc3\x28 caf\xe9</title><link>http://example.org/u1</link>"
    b"<description>broken \xed\xa0\x80 surrogate \xf8\x88\x80\x80\x80</description></item>"
    b"</channel></rss>"
)

DEEP = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>deep</title><item><title>Aleppo'
    b"</title><link>http://example.org/d</link><description>"
    + b"<div>" * 100_000
    + b"</div>" * 100_000
    + b"</description></item></channel></rss>"
)


def _routes(server: LocalServer) -> dict[str, Reply]:
    xml = {"Content-Type": "application/rss+xml"}
    return {
        "/huge.xml": Reply(200, one_gigabyte(), xml),
        "/huge-declared.xml": Reply(200, one_gigabyte(), {**xml, "Content-Length": str(GB)}),
        "/bomb.xml": Reply(200, gzip_bomb(), {**xml, "Content-Encoding": "gzip"}),
        "/trickle.xml": Reply(200, trickle(), xml, chunk_delay=1.0),
        "/loop-a.xml": Reply(302, b"", {"Location": "/loop-b.xml"}),
        "/loop-b.xml": Reply(302, b"", {"Location": "/loop-a.xml"}),
        "/bad-utf8.xml": Reply(200, BAD_UTF8, xml),
        "/laughs.xml": Reply(200, LAUGHS, xml),
        "/quadratic.xml": Reply(200, QUADRATIC, xml),
        "/xxe.xml": Reply(200, xxe(server.url("/xxe-probe")), xml),
        "/deep.xml": Reply(200, DEEP, xml),
    }


def _settings(tmp_path: Path, feeds: list[dict], **http: object) -> settings_mod.Settings:
    return settings_mod.from_dict(
        {
            "storage": {"path": str(tmp_path / "archive.db")},
            "http": {
                "timeout": TIMEOUT,
                "max_bytes": MAX_BYTES,
                "allow_private_networks": True,
                "concurrency": 20,
                "per_host": 20,
                **http,
            },
            "feeds": feeds,
            "watches": [{"name": "Aleppo", "keywords": ["Aleppo"]}],
            "notifiers": {"out": {"type": "jsonl", "path": str(tmp_path / "alerts.jsonl")}},
        },
        base_dir=str(tmp_path),
    )


def _good(server: LocalServer) -> dict:
    items = [
        (f"ok-{i}", f"Aleppo story {i}", f"http://example.org/ok/{i}", "teaser") for i in range(3)
    ]
    server.route("/good.xml", Reply(200, rss(items), {"Content-Type": "application/rss+xml"}))
    return {"name": "good", "url": server.url("/good.xml"), "full_text": False}


EXPECT_FAILED = {
    "huge": "exceeds [http] max_bytes",
    "huge-declared": "Content-Length",
    "bomb": "exceeds [http] max_bytes",
    "trickle": "no complete answer within",
    "loop-a": "redirects",
}


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with roomy_server() as s:
        yield s


def test_hostile_feeds_are_bounded_and_reported_per_feed(tmp_path, server):
    http_server = server
    routes = _routes(http_server)
    for path, reply in routes.items():
        http_server.route(path, reply)
    names = [p.strip("/").removesuffix(".xml") for p in routes if p != "/loop-b.xml"]
    feeds = [_good(http_server)] + [
        {"name": n, "url": http_server.url(f"/{n}.xml"), "full_text": False} for n in names
    ]
    cfg = _settings(tmp_path, feeds)
    exact = reset_peak_rss()
    base = rss_mb() if exact else peak_rss_mb()
    started = time.monotonic()
    report, _sent = run_once(cfg)
    elapsed = time.monotonic() - started
    growth = peak_rss_mb() - base
    by_feed = {f.feed: f for f in report.feeds}
    for f in report.feeds:
        print(f"{f.feed:14s} {f.status[:60]:60s} new={f.new} {(f.error or '')[:110]}")
    print(f"cycle {elapsed:.1f}s, peak RSS growth {growth:.0f} MB ({'exact' if exact else 'HWM'})")

    assert set(by_feed) == {"good", *names}, "every feed is reported"
    assert elapsed < 3 * TIMEOUT + 10
    assert growth < 300
    assert by_feed["good"].new == 3 and not by_feed["good"].error
    for name, words in EXPECT_FAILED.items():
        assert by_feed[name].error and words in by_feed[name].error, (name, by_feed[name])
    for name in ("bad-utf8", "laughs", "quadratic", "xxe", "deep"):
        f = by_feed[name]
        assert f.error or f.status.startswith("200 ok"), (name, f)
    assert not http_server.hits("/xxe-probe"), "an external entity was fetched"
    with Store.open(cfg.db_path) as store:
        texts = [" ".join(r) for r in store.db.execute("SELECT title, summary, text FROM articles")]
        longest = max(len(t) for t in texts)
    assert not any("root:x:0:0" in t for t in texts), "an external entity read a local file"
    print(f"longest stored article: {longest} characters")
    assert longest < 5 * MAX_BYTES, "an entity expanded past the body cap"
    assert integrity(cfg.db_path) == "ok"


def test_whole_feedparser_corpus_in_one_cycle(tmp_path, server, shared_dir):
    http_server = server
    root = shared_dir / "corpora" / "feedparser" / "tests"
    if not root.is_dir():
        pytest.skip("the feedparser corpus is absent")
    files = sorted(p for p in root.rglob("*") if p.is_file())
    feeds = [_good(http_server)]
    for p in files:
        rel = p.relative_to(root).as_posix()
        http_server.route(
            f"/c/{rel}", Reply(200, p.read_bytes(), {"Content-Type": "application/xml"})
        )
        feeds.append({"name": rel, "url": http_server.url(f"/c/{rel}"), "full_text": False})
    cfg = _settings(tmp_path, feeds, timeout=10)
    started = time.monotonic()
    report, sent = run_once(cfg)
    elapsed = time.monotonic() - started
    by_feed = {f.feed: f for f in report.feeds}
    failed = Counter((f.error or "").split(": ", 1)[-1][:40] for f in report.failed)
    print(
        f"{len(files)} corpus feeds in {elapsed:.1f}s: {len(report.feeds) - len(report.failed)} ok,"
        f" {len(report.failed)} failed, {report.new} new articles, {sent.sent} alerts sent"
    )
    for reason, n in failed.most_common(8):
        print(f"  {n:4d} x {reason}")
    assert len(by_feed) == len(files) + 1, "every feed is reported"
    assert by_feed["good"].new == 3 and not by_feed["good"].error
    for f in report.failed:
        assert f.error and "Traceback" not in f.error
        assert "fetch" not in f.error.lower() or "GET" in f.error
    assert all(f.error or f.status.startswith(("200 ok", "200 unchanged")) for f in report.feeds)
    assert integrity(cfg.db_path) == "ok"
    assert elapsed < 90
