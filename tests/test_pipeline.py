"""The real poller against a real HTTP server on 127.0.0.1: `once` end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from feedfactory import atom, page, rdf, rss
from httpserver import Reply

import settings
from errors import ErrorKind
from service.wiring import run_once
from storage import Store

STORY = [
    "A convoy of forty trucks left the border crossing at dawn, officials said.",
    "Drivers described long waits at checkpoints along the highway north.",
    "The United Nations said the aid would reach families in Aleppo by Friday.",
]


def _cfg(tmp_path, server, feeds, watches=(), **extra):
    data = {
        "storage": {"path": str(tmp_path / "archive.db")},
        "http": {"timeout": "1s", "allow_private_networks": True},
        "feeds": feeds,
        "watches": list(watches),
        "notifiers": {"out": {"type": "jsonl", "path": str(tmp_path / "alerts.jsonl")}},
        **extra,
    }
    return settings.from_dict(data, base_dir=str(tmp_path))


def _alerts(tmp_path):
    p = tmp_path / "alerts.jsonl"
    return [json.loads(line) for line in p.read_text().splitlines()] if p.exists() else []


def _site(server, n=3, fmt=rss, path="/feed.xml", prefix="a", etag='"v1"'):
    items = [
        (f"{prefix}-{i}", f"{prefix} story {i}", server.url(f"/{prefix}/{i}.html"), f"teaser {i}")
        for i in range(n)
    ]
    body = fmt(items)

    def handler(req):
        if req.headers.get("if-none-match") == etag:
            return Reply(304, b"", {"ETag": etag})
        return Reply(200, body, {"Content-Type": "application/xml", "ETag": etag})

    server.route(path, handler)
    for i in range(n):
        server.route(
            f"/{prefix}/{i}.html",
            Reply(
                200,
                page(f"{prefix} story {i}", STORY),
                {"Content-Type": "text/html; charset=utf-8"},
            ),
        )
    return items


def test_once_archives_each_article_once_then_gets_304(tmp_path, http_server):
    _site(http_server, 3, rss, "/rss.xml", "r")
    _site(http_server, 2, atom, "/atom.xml", "t")
    _site(http_server, 2, rdf, "/rdf.xml", "d")
    cfg = _cfg(
        tmp_path,
        http_server,
        [
            {"name": "RSS", "url": http_server.url("/rss.xml")},
            {"name": "Atom", "url": http_server.url("/atom.xml")},
            {"name": "RDF", "url": http_server.url("/rdf.xml")},
        ],
        watches=[{"name": "Aleppo", "keywords": ["Aleppo"]}],
    )
    report, sent = run_once(cfg)
    assert report.new == 7 and not report.failed
    assert sent.sent == 7  # the story text names Aleppo only in its last paragraph
    with Store.open(cfg.db_path) as store:
        assert store.db["articles"].count == 7
        statuses = {r[0] for r in store.db.execute("SELECT text_status FROM articles")}
        assert statuses == {"extracted"}
    report, sent = run_once(cfg)
    assert report.new == 0 and sent.sent == 0
    assert all(f.status.startswith("304") for f in report.feeds)
    assert http_server.hits("/rss.xml")[-1].headers.get("if-none-match") == '"v1"'
    assert len(_alerts(tmp_path)) == 7


def test_hostile_feeds_are_reported_per_feed(tmp_path, http_server):
    _site(http_server, 2, rss, "/good.xml", "g")
    http_server.route("/500.xml", Reply(500, b"oops"))
    http_server.route("/410.xml", Reply(410, b"gone"))
    http_server.route("/slow.xml", Reply(200, b"<rss>", delay=5))
    http_server.route(
        "/html.xml",
        Reply(200, b"<!DOCTYPE html><html><body>x</body></html>", {"Content-Type": "text/html"}),
    )
    http_server.route("/broken.xml", Reply(200, b"<rss version='2.0'><channel><item><title>a"))
    http_server.route("/big.xml", Reply(200, b"<rss>" + b" " * 3_000_000))
    names = ["500", "410", "slow", "html", "broken", "big"]
    feeds = [{"name": n, "url": http_server.url(f"/{n}.xml")} for n in names]
    cfg = _cfg(
        tmp_path,
        http_server,
        [{"name": "good", "url": http_server.url("/good.xml")}, *feeds],
        http={"timeout": "0.5s", "max_bytes": 1_000_000, "allow_private_networks": True},
    )
    report, _ = run_once(cfg)
    failed = {f.feed: f.error for f in report.failed}
    assert set(failed) >= {"500", "410", "slow", "html", "big"}
    assert "HTML page" in failed["html"]
    assert report.new >= 2
    with Store.open(cfg.db_path) as store:
        assert store.feed("410").enabled is False
        assert "410" in store.feed("410").disabled_reason
        assert store.feed("500").consecutive_errors == 1
        assert store.feed("good").consecutive_errors == 0
    # 410 is not polled again; the others are
    report, _ = run_once(cfg)
    assert "410" not in {f.feed for f in report.feeds}


def test_retry_after_sets_next_check(tmp_path, http_server):
    http_server.route("/busy.xml", Reply(429, b"slow down", {"Retry-After": "1800"}))
    cfg = _cfg(tmp_path, http_server, [{"name": "busy", "url": http_server.url("/busy.xml")}])
    before = datetime.now(UTC)
    run_once(cfg)
    with Store.open(cfg.db_path) as store:
        feed = store.feed("busy")
    assert timedelta(minutes=29) < feed.next_check_at - before < timedelta(minutes=31)
    assert feed.retry_until == feed.next_check_at
    assert (feed.last_http_status, feed.last_error_kind) == (429, ErrorKind.HTTP)
    assert "Retry-After" in feed.interval_reason


def test_permanent_redirect_updates_url(tmp_path, http_server):
    _site(http_server, 1, rss, "/new.xml", "n")
    http_server.route("/old.xml", Reply(301, b"", {"Location": http_server.url("/new.xml")}))
    cfg = _cfg(tmp_path, http_server, [{"name": "moved", "url": http_server.url("/old.xml")}])
    report, _ = run_once(cfg)
    assert report.new == 1
    with Store.open(cfg.db_path) as store:
        assert store.feed("moved").current_url == http_server.url("/new.xml")
    run_once(cfg)
    assert len(http_server.hits("/old.xml")) == 1


def test_backlog_archive_then_alert_on_new(tmp_path, http_server):
    items = _site(http_server, 2, rss, "/f.xml", "b", etag='"1"')
    cfg = _cfg(
        tmp_path,
        http_server,
        [{"name": "f", "url": http_server.url("/f.xml"), "backlog": "archive"}],
        watches=[{"name": "Aleppo", "keywords": ["Aleppo"]}],
    )
    report, sent = run_once(cfg)
    assert report.new == 2 and sent.sent == 0
    new_items = [*items, ("b-9", "b story 9", http_server.url("/b/0.html?x=9"), "teaser")]
    http_server.route("/f.xml", Reply(200, rss(new_items), {"Content-Type": "application/xml"}))
    http_server.route(
        "/b/0.html?x=9", Reply(200, page("nine", STORY), {"Content-Type": "text/html"})
    )
    report, sent = run_once(cfg)
    assert report.new == 1 and sent.sent == 1


def test_unprocessed_articles_are_resumed(tmp_path, http_server):
    """A crash between saving entries and processing them loses no alert."""
    items = _site(http_server, 1, rss, "/f.xml", "c")
    cfg = _cfg(
        tmp_path,
        http_server,
        [{"name": "f", "url": http_server.url("/f.xml")}],
        watches=[{"name": "Aleppo", "keywords": ["Aleppo"]}],
    )
    from feeds.parse import parse_bytes

    with Store.open(cfg.db_path) as store:
        store.sync_feeds(cfg.feeds, datetime.now(UTC))
        entries = parse_bytes(rss(items), http_server.url("/f.xml")).entries
        store.save_entries(store.feed("f"), entries, "guid", datetime.now(UTC))  # then "crash"
    report, sent = run_once(cfg)
    assert report.resumed == 1 and sent.sent == 1
    assert _alerts(tmp_path)[0]["watch"] == "Aleppo"


def test_jsonl_contract_and_no_resend(tmp_path, http_server):
    _site(http_server, 1, rss, "/f.xml", "j")
    cfg = _cfg(
        tmp_path,
        http_server,
        [{"name": "Wire", "url": http_server.url("/f.xml")}],
        watches=[{"name": "Aleppo", "keywords": ["Aleppo"]}],
    )
    run_once(cfg)
    run_once(cfg)
    (alert,) = _alerts(tmp_path)
    for key in ("alert_id", "watch", "url", "title", "feed", "published", "matches", "locations"):
        assert key in alert
    assert alert["url"] == http_server.url("/j/0.html") and alert["feed"] == "Wire"
    assert alert["matches"][0]["text"] == "Aleppo"


@pytest.mark.parametrize("fmt", [rss, atom, rdf], ids=["rss", "atom", "rdf"])
def test_feed_formats(tmp_path, http_server, fmt):
    _site(http_server, 2, fmt, "/f.xml", "x")
    cfg = _cfg(
        tmp_path, http_server, [{"name": "f", "url": http_server.url("/f.xml"), "full_text": False}]
    )
    report, _ = run_once(cfg)
    assert report.new == 2
    assert not http_server.hits("/x/0.html")  # full_text off: pages are not fetched


LOCAL_STORY = [
    "PARIS, Tenn. — The Henry County Commission met on Tuesday evening.",
    "Commissioners in Paris approved a new budget for the county's roads.",
    "Tennessee transportation officials will review the plan next month.",
]


def test_feed_learns_its_home_region_and_places_are_stored(tmp_path, http_server):
    """The pipeline stores what each article's mentions resolved to and the feed's home
    region counts, in the article's transaction; the next poll reads them as a prior."""
    items = [
        (f"p-{i}", f"Paris council news {i}", http_server.url(f"/p/{i}.html"), "teaser")
        for i in range(6)
    ]
    http_server.route("/local.xml", Reply(200, rss(items), {"Content-Type": "application/xml"}))
    for i in range(6):
        http_server.route(
            f"/p/{i}.html",
            Reply(200, page(f"Paris council news {i}", LOCAL_STORY), {"Content-Type": "text/html"}),
        )
    cfg = _cfg(
        tmp_path,
        http_server,
        [{"name": "Post-Intelligencer", "url": http_server.url("/local.xml")}],
        watches=[{"name": "Paris TN", "locations": ["Paris, US-TN"]}],
    )
    report, _ = run_once(cfg)
    assert report.new == 6 and not report.failed
    with Store.open(cfg.db_path) as store:
        home = store.feed_home_regions("Post-Intelligencer")
        assert home == {"US-TN": pytest.approx(sum(0.98**k for k in range(6)), abs=0.01)}
        rows = store.articles_for_place(_paris_tn())
        assert len(rows) == 6 and all(r["written"] in ("PARIS", "Paris") for r in rows)
    assert {a["watch"] for a in _alerts(tmp_path)} == {"Paris TN"}


def _paris_tn() -> int:
    from matching.places import Gazetteer

    return Gazetteer.load().resolve("Paris, US-TN").geonameid
