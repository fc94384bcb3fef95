"""`bot.py serve`: newsbot's Datasette pages on a small seeded archive, through Datasette's
in-process client (no server, no browser)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

TESTS = Path(__file__).resolve().parent


import web  # noqa: E402
from models import Entry, Match, Place  # noqa: E402
from settings import FeedSettings  # noqa: E402
from storage import Store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
WATCH = "Syria hotspots"
ALEPPO = Place(170063, "Aleppo", "SY", "09", 36.20124, 37.16117)
XSS = "<script>alert(1)</script>"
# (link, title, summary, place matched in the title or None)
ARTICLES = [
    (
        "http://news.example/aleppo-1",
        "Shelling reported near Aleppo",
        "Residents said the shelling went on all night.",
        ALEPPO,
    ),
    (
        "http://news.example/aleppo-2",
        "Aid convoy reaches Aleppo",
        "A convoy with food reached the city on Tuesday.",
        ALEPPO,
    ),
    ("http://news.example/xss", f"{XSS} Aleppo market", "A market reopened <b>today</b>.", ALEPPO),
    (
        "http://news.example/prices",
        "Bread prices rise",
        "Bakers in Aleppo and Homs raised prices again.",
        None,
    ),
] + [
    (f"http://news.example/weather-{i}", f"Weather in Berlin, day {i}", "Rain all week.", None)
    for i in range(6)
]


def seed_archive(path: Path) -> Path:
    """An archive with one feed, ten articles and three Aleppo matches of WATCH."""
    store = Store.open(path)
    try:
        store.sync_feeds([FeedSettings(url="http://news.example/feed", name="Example News")], NOW)
        entries = [
            Entry(
                guid=link,
                link=link,
                title=title,
                summary=summary,
                published=NOW - timedelta(hours=i),
            )
            for i, (link, title, summary, _) in enumerate(ARTICLES)
        ]
        ids = store.save_entries(store.feed("Example News"), entries, "guid", NOW)
        for aid, (_, title, summary, place) in zip(ids, ARTICLES, strict=True):
            start = title.find("Aleppo")
            matches = (
                [
                    Match(
                        WATCH,
                        "location",
                        "Aleppo",
                        "Aleppo",
                        "title",
                        start,
                        start + 6,
                        title,
                        place,
                    )
                ]
                if place
                else []
            )
            store.complete_article(
                store.article(aid),
                text=f"{summary} More text.",
                text_status="extracted",
                meta={},
                matches=matches,
                channels={},
                now=NOW,
            )
    finally:
        store.close()
    return path


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return seed_archive(tmp_path / "archive.db")


def get(db: Path, *urls: str) -> list[httpx.Response]:
    """GET each URL from a fresh in-process Datasette over db."""
    ds = web.make_datasette(db)

    async def fetch() -> list[httpx.Response]:
        return [await ds.client.get(u) for u in urls]

    return asyncio.run(fetch())


def rows(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return response.json()


def test_search_json_is_ranked_and_marked(archive: Path) -> None:
    (r,) = get(archive, "/archive/search.json?q=Aleppo&_shape=array")
    hits = rows(r)
    assert len(hits) == 4
    assert hits[-1]["link"] == "http://news.example/prices"  # only in the body: ranked last
    assert [h["score"] for h in hits] == sorted(h["score"] for h in hits)
    assert all("\x02Aleppo\x03" in h["snippet"] for h in hits)
    assert "\x02Aleppo\x03" in hits[0]["title"]


def test_search_filters(archive: Path) -> None:
    by_watch, by_feed, later, blank = get(
        archive,
        f"/archive/search.json?q=Aleppo&watch={WATCH}&_shape=array",
        "/archive/search.json?q=Aleppo&feed=Nope&_shape=array",
        "/archive/search.json?q=Aleppo&since=2026-11-25T11:30:00Z&_shape=array",
        "/archive/search.json?q=&_shape=array",
    )
    assert len(rows(by_watch)) == 3
    assert rows(by_feed) == []
    assert [h["link"] for h in rows(later)] == ["http://news.example/aleppo-1"]
    assert rows(blank) == []


def test_search_page_escapes_content_and_marks_hits(archive: Path) -> None:
    (r,) = get(archive, "/archive/search?q=market")
    assert r.status_code == 200
    assert XSS not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Aleppo <mark>market</mark>" in r.text
    assert "<title>Search · newsbot</title>" in r.text


def test_script_title_is_escaped_on_every_page(archive: Path) -> None:
    pages = get(
        archive,
        f"/archive/matches_for_watch?watch={WATCH}",
        "/archive/articles",
        "/archive/articles/3",
        "/archive/matches",
    )
    for page in pages:
        assert page.status_code == 200
        assert XSS not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_watch_page_lists_its_matches_and_links_its_feed(archive: Path) -> None:
    page, data = get(
        archive,
        f"/archive/matches_for_watch?watch={WATCH}",
        f"/archive/matches_for_watch.json?watch={WATCH}&_shape=array",
    )
    assert [m["title"] for m in rows(data)] == [
        "Shelling reported near Aleppo",
        "Aid convoy reaches Aleppo",
        f"{XSS} Aleppo market",
    ]
    assert "Shelling reported near Aleppo" in page.text
    assert "/archive/watch_feed.atom?watch=Syria%20hotspots" in page.text


def test_watches_link_to_their_pages(archive: Path) -> None:
    page, data = get(archive, "/archive/watches", "/archive/watches.json?_shape=array")
    assert rows(data)[0]["watch"] == WATCH and rows(data)[0]["articles"] == 3
    assert (
        '<a href="/archive/matches_for_watch?watch=Syria+hotspots">Syria hotspots</a>' in page.text
    )


ATOM = "{http://www.w3.org/2005/Atom}"


def test_atom_feed_of_a_watch(archive: Path) -> None:
    (r,) = get(archive, f"/archive/watch_feed.atom?watch={WATCH}&_feed_title=newsbot: {WATCH}")
    assert r.status_code == 200 and "xml" in r.headers["content-type"]
    feed = ET.fromstring(r.content)
    assert feed.findtext(f"{ATOM}title") == f"newsbot: {WATCH}"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 3
    titles = {e.findtext(f"{ATOM}title") for e in entries}
    assert f"{XSS} Aleppo market" in titles  # plain text in XML: the reader escapes it
    for e in entries:
        content = e.findtext(f"{ATOM}content") or ""
        assert "<script" not in content and "<strong>Aleppo</strong>" in content
        assert e.find(f"{ATOM}link").get("href", "").startswith("http://news.example/")


def test_atom_feed_of_a_watch_without_matches_is_valid(archive: Path) -> None:
    (r,) = get(archive, "/archive/watch_feed.atom?watch=Nothing+yet")
    assert r.status_code == 200
    (entry,) = ET.fromstring(r.content).findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "No matches yet for Nothing yet"


def test_map_query_and_local_tile_layer(archive: Path) -> None:
    data, page = get(archive, "/archive/map.json?_shape=array", "/archive/map")
    (place,) = rows(data)
    assert (place["place"], place["latitude"], place["longitude"]) == ("Aleppo", 36.20124, 37.16117)
    assert json.loads(place["popup"])["link"] == "/archive/matches?geonameid=170063"
    assert "datasette-cluster-map.js" in page.text
    assert '"/-/tiles/basemap/{z}/{x}/{y}.png"' in page.text
    assert "openstreetmap.org" not in page.text


def test_basemap_tile_is_served_locally(archive: Path) -> None:
    (r,) = get(archive, "/-/tiles/basemap/0/0/0.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG")


def test_facets_by_watch_place_feed_and_day(archive: Path) -> None:
    matches, articles = get(archive, "/archive/matches.json", "/archive/articles.json")
    facets = rows(matches)["facet_results"]
    assert {"watch", "place", "created_at"} <= set(facets)
    assert facets["watch"]["results"][0]["value"] == WATCH
    assert {"feed", "published"} <= set(rows(articles)["facet_results"])


def _inline_scripts(html: str) -> list[tuple[str, str]]:
    """(attributes, body) of every <script> without src."""
    found = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    return [(attrs, body) for attrs, body in found if "src=" not in attrs]


def test_csp_allows_only_nonced_or_known_inline_scripts(archive: Path) -> None:
    for page in get(archive, "/archive/map", "/archive/matches", "/archive/search?q=x", "/"):
        policy = page.headers["content-security-policy"]
        assert (
            "script-src 'self' 'nonce-" in policy
            and "unsafe-inline' " not in policy.split("style-src")[0]
        )
        assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
        nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
        for attrs, body in _inline_scripts(page.text):
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            assert f'nonce="{nonce}"' in attrs or f"'sha256-{digest}'" in policy, body[:80]
        assert page.headers["x-content-type-options"] == "nosniff"


def test_nonce_changes_per_response(archive: Path) -> None:
    a, b = get(archive, "/archive/map", "/archive/map")
    assert a.headers["content-security-policy"] != b.headers["content-security-policy"]


def test_archive_is_read_only(archive: Path) -> None:
    (r,) = get(archive, "/archive.json?sql=DELETE+FROM+articles")
    assert r.status_code == 400
    with Store.open(archive, readonly=True) as store:
        assert store.db["articles"].count == len(ARTICLES)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path) -> tuple[subprocess.Popen[str], str]:
    """`web.serve` in a subprocess on a free local port; returns it and the URL it printed."""
    code = f"import sys, web; sys.exit(web.serve({str(db)!r}, port={_free_port()}))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    line = proc.stdout.readline() if proc.stdout else ""
    url = re.search(r"http://\S+", line)
    assert url, f"serve printed {line!r}; stderr: {proc.stderr.read() if proc.stderr else ''}"
    base = url.group(0).rsplit("/", 1)[0]
    for _ in range(100):
        try:
            httpx.get(f"{base}/-/versions.json", timeout=1)
            return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("serve did not answer")


def test_serve_prints_its_url_binds_locally_and_exits_0_on_ctrl_c(archive: Path) -> None:
    proc, base = start_server(archive)
    try:
        assert base.startswith("http://127.0.0.1:")
        r = httpx.get(f"{base}/archive/search.json?q=Aleppo&_shape=array", timeout=5)
        assert len(r.json()) == 4 and "content-security-policy" in r.headers
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
