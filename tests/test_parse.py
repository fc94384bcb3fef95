from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from errors import ParseError
from feeds.parse import parse_bytes

ROOT = Path(__file__).resolve().parent.parent

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><ttl>60</ttl>
<item><title>A &amp; B</title><link>http://x/a</link><guid>g1</guid>
<pubDate>Sat, 10 Dec 2016 12:00:00 +0200</pubDate><description>&lt;p&gt;Hello &lt;b&gt;world&lt;/b&gt;&lt;/p&gt;</description></item>
<item><title>No date</title><link>http://x/b</link></item></channel></rss>"""


def test_rss_entries_dates_and_text():
    feed = parse_bytes(RSS, "http://x/feed")
    assert feed.title == "T" and feed.ttl_minutes == 60
    a, b = feed.entries
    assert a.title == "A & B" and a.summary == "Hello world" and a.guid.endswith("g1")
    assert a.published is not None and a.published.isoformat() == "2016-12-10T10:00:00+00:00"
    assert b.published is None


def test_html_page_is_a_clear_error():
    with pytest.raises(ParseError, match="HTML page where a feed was expected"):
        parse_bytes(b"<!DOCTYPE html><html><body>hi</body></html>", "http://x/", "text/html")


def test_garbage_is_a_parse_error():
    with pytest.raises(ParseError, match="not a feed"):
        parse_bytes(b"\x00\x01 garbage", "http://x/")


def test_malformed_feed_still_yields_entries():
    broken = RSS.replace(b"</channel></rss>", b"<item><title>x &bogus; y</title></item>")
    feed = parse_bytes(broken, "http://x/feed")
    assert len(feed.entries) >= 2 and feed.warning


def test_sy_update_period():
    rdf = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    xmlns="http://purl.org/rss/1.0/" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
    <channel rdf:about="http://x/"><title>R</title><sy:updatePeriod>hourly</sy:updatePeriod>
    <sy:updateFrequency>2</sy:updateFrequency></channel>
    <item rdf:about="http://x/1"><title>One</title><link>http://x/1</link></item></rdf:RDF>"""
    feed = parse_bytes(rdf, "http://x/rdf")
    assert feed.ttl_minutes == 30 and feed.entries[0].link == "http://x/1"


def test_feedparser_corpus_never_crashes(shared_dir):
    files = sorted((shared_dir / "corpora" / "feedparser" / "tests").rglob("*.xml"))
    assert len(files) > 1000
    parsed = 0
    for path in files:
        try:
            parse_bytes(path.read_bytes(), str(path))
            parsed += 1
        except ParseError:
            pass
    assert parsed > 0.95 * len(files)


def test_errors_keep_their_hint_and_fields_across_processes():
    import pickle

    from errors import FetchError

    err = pickle.loads(pickle.dumps(ParseError("bad", hint="look elsewhere")))
    assert str(err) == "bad" and err.hint == "look elsewhere"
    fe = pickle.loads(pickle.dumps(FetchError("x", kind="http", status=429, retry_after=5.0)))
    assert (fe.kind, fe.status, fe.retry_after) == ("http", 429, 5.0)


def test_parse_async_uses_the_pool_and_reports_errors():
    import asyncio

    from feeds.parse import parse_async
    from models import FetchResult

    ok = asyncio.run(parse_async(FetchResult("http://x/feed", 200, RSS, {})))
    assert len(ok.entries) == 2
    page = FetchResult(
        "http://x/", 200, b"<!DOCTYPE html><html></html>", {"content-type": "text/html"}
    )
    with pytest.raises(ParseError) as exc:
        asyncio.run(parse_async(page))
    assert "site changed" in exc.value.hint


JSON_FEED = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "JSON Wire",
 "home_page_url": "https://wire.example/", "feed_url": "https://wire.example/feed.json",
 "items": [
  {"id": "1", "url": "/news/aleppo", "title": "Convoy reaches <b>Aleppo</b>",
   "content_html": "<p>Trucks arrived in <em>Aleppo</em>.</p>", "date_published": "2026-11-20T10:00:00Z",
   "authors": [{"name": "Rana"}]},
  {"id": "2", "external_url": "https://other.example/x", "content_text": "Plain text only",
   "date_modified": "2026-11-21T08:00:00+02:00"}
 ]}"""


def test_json_feed():
    feed = parse_bytes(JSON_FEED, "https://wire.example/feed.json", "application/feed+json")
    assert feed.title == "JSON Wire" and len(feed.entries) == 2
    a, b = feed.entries
    assert a.link == "https://wire.example/news/aleppo" and a.title == "Convoy reaches Aleppo"
    assert a.content == "Trucks arrived in Aleppo." and a.author == "Rana"
    assert a.published.isoformat() == "2026-11-20T10:00:00+00:00"
    assert b.link == "https://other.example/x" and b.published.hour == 6


@pytest.mark.parametrize(
    "body", [b'{"a": 1}', b"{not json", b"[1, 2]"], ids=["other", "bad", "list"]
)
def test_json_that_is_not_a_json_feed(body):
    with pytest.raises(ParseError, match="not a feed"):
        parse_bytes(body, "https://x/feed.json", "application/json")


def test_real_json_feeds_parse(shared_dir):
    root = shared_dir / "corpora"
    for path in [
        root / "feedparser/tests/json/example.json",
        root / "real-feeds/feedjira/spec/sample_feeds/json_feed.json",
        root / "real-feeds/fastfeedparser-benchmark_data/d4b7ab74da763119.xml",
    ]:
        feed = parse_bytes(path.read_bytes(), "https://example.org/feed.json")
        assert feed.entries and all(e.title or e.summary for e in feed.entries), path


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return "\nState:\tZ" in f.read()  # a zombie has exited; only its entry is left
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: no parser pool")
def test_a_killed_service_leaves_no_parser_process_behind():
    code = (
        "import os, time\n"
        "from feeds import parse\n"
        "pool = parse.worker_pool()\n"
        "pool.submit(os.getpid).result()\n"
        "print(' '.join(map(str, pool._processes)), flush=True)\n"
        "time.sleep(120)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NEWSBOT_PARSE_WORKERS"}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        workers = [int(p) for p in proc.stdout.readline().split()]
        assert workers and not any(_gone(p) for p in workers)
    finally:
        proc.kill()  # SIGKILL: no atexit, no pool shutdown
        proc.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not all(_gone(p) for p in workers):
        time.sleep(0.2)
    assert all(_gone(p) for p in workers), workers
