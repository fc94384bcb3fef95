"""`bot.py serve`: the pages for reading news and Datasette's explorer, on a small seeded archive,
through Datasette's in-process client (no server, no browser; tests/test_web_browser.py drives
the real server in Chromium)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest
from markupsafe import escape
from webseed import ARABIC_TITLE, ARTICLES, NOW, WATCH, WATCHES, XSS, seed_archive

import web
from errors import ErrorKind, hint_for
from storage import Store
from storage.search import Hit, search
from web.atom import Found, feed_document

ROOT = Path(__file__).resolve().parent.parent
ALEPPO_URL = "/place/170063"
CONVOY_TITLES = {
    "Aid convoy reaches Aleppo",
    "UN convoy arrives in Aleppo after a long delay",
    "Food trucks reach Aleppo",
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_archive(tmp_path_factory.mktemp("web") / "archive.db")


def get(db: Path, *urls: str) -> list[httpx.Response]:
    """GET each URL from a fresh in-process Datasette over db, with the seed's watches."""
    ds = web.make_datasette(db, WATCHES)

    async def fetch() -> list[httpx.Response]:
        return [await ds.client.get(u) for u in urls]

    return asyncio.run(fetch())


def headlines(html: str) -> list[str]:
    """The headlines of the news items on a page, as the reader sees them (tags stripped)."""
    found = re.findall(r'<h3 class="headline">(.*?)</h3>', html, re.S)
    return [re.sub(r"<[^>]+>", "", h).replace("&lt;", "<").replace("&gt;", ">") for h in found]


def test_home_says_what_is_in_the_archive(archive: Path) -> None:
    (r,) = get(archive, "/")
    assert r.status_code == 200
    text = r.text
    assert f"<strong>{len(ARTICLES)}</strong> articles from <strong>4</strong> feeds" in text
    assert "2026-11-25 12:00 UTC" in text  # last poll
    failing = text.split('id="failing"')[1].split("</section>")[0]
    assert "Broken Feed" in failing and "HTTP 403 Forbidden" in failing
    assert str(escape(hint_for(ErrorKind.HTTP, 403))) in failing  # what to do about it
    assert "Example News" not in failing
    assert '<a href="/watch/Syria%20hotspots">Syria hotspots</a>' in text
    assert '<a href="/watch/Mass%20graves">Mass graves</a>' in text  # configured, quiet
    assert '<a href="/archive">Explore the data</a>' in text
    assert '<html lang="en">' in text
    assert "SELECT" not in text


def test_search_results_are_news_items_best_first(archive: Path) -> None:
    (r,) = get(archive, "/search?q=Aleppo")
    assert r.status_code == 200
    found = headlines(r.text)
    assert found[-1] == "Bread prices rise"  # Aleppo only in the body: ranked last
    assert len(found) == 4  # the convoy's three reports are one story: one item
    assert {"Shelling reported near Aleppo", f"{XSS} Aleppo market"} < set(found)
    assert len(set(found) & CONVOY_TITLES) == 1
    item = r.text.split('<li class="news-item">')[1:]
    shelling = next(i for i in item if "aleppo-1" in i)
    assert '<a href="http://news.example/aleppo-1" rel="noopener noreferrer">' in shelling
    assert "Shelling reported near <mark>Aleppo</mark>" in shelling
    assert '<span class="outlet">Example News</span>' in shelling
    assert '<time datetime="2026-11-25T12:00:00Z">2026-11-25 12:00 UTC</time>' in shelling
    assert f'<a href="{ALEPPO_URL}">Aleppo</a>' in shelling
    assert '<a href="/watch/Syria%20hotspots">Syria hotspots</a>' in shelling
    assert '<p class="snippet">' in shelling and "<mark>" in shelling.split("snippet")[1]
    for noise in ("score", "bm25", "SELECT", "Edit SQL"):
        assert noise not in r.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=Aleppo&feed=Levant+Wire", ["Aid convoy reaches Aleppo"]),
        (
            "q=Aleppo&watch=Syria+hotspots&feed=Example+News&order=newest",
            [
                "Shelling reported near Aleppo",
                f"{XSS} Aleppo market",
                "UN convoy arrives in Aleppo after a long delay",
            ],
        ),
        (
            "q=Aleppo&since=2026-11-25&until=2026-11-25&order=newest",
            [
                "Shelling reported near Aleppo",
                "Aid convoy reaches Aleppo",
                f"{XSS} Aleppo market",
                "Bread prices rise",
            ],
        ),
        ("q=Aleppo&until=2026-11-24", []),
        ("q=&place=Palmyra", ["Museum of Palmyra reopens its doors"]),
        ("q=museum+place:Tadmur", ["Museum of Palmyra reopens its doors"]),
        ("q=convoy&watch=Mass+graves", []),
        (
            "watch=Syria+hotspots&feed=Levant+Wire&order=newest",
            ["Aid convoy reaches Aleppo", ARABIC_TITLE, "Museum of Palmyra reopens its doors"],
        ),
    ],
    ids=[
        "feed",
        "watch+feed+newest",
        "date-range",
        "before-everything",
        "place-field",
        "words+place-term",
        "quiet-watch",
        "filters-without-words",
    ],
)
def test_search_filters(archive: Path, query: str, expected: list[str]) -> None:
    (r,) = get(archive, f"/search?{query}")
    assert r.status_code == 200
    assert headlines(r.text) == expected


def test_search_pages(archive: Path) -> None:
    first, second = get(
        archive, "/search?q=weather&order=newest", "/search?q=weather&order=newest&page=2"
    )
    assert len(headlines(first.text)) == 20 and len(headlines(second.text)) == 5
    assert not set(headlines(first.text)) & set(headlines(second.text))
    assert 'href="/search?q=weather&amp;order=newest&amp;page=2" rel="next"' in first.text
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text


def test_a_story_across_two_pages_is_listed_on_the_first_only(
    archive: Path, tmp_path: Path
) -> None:
    db = tmp_path / "paged.db"
    db.write_bytes(archive.read_bytes())
    url = "/search?q=weather&order=newest"
    with Store.open(db) as store:
        newest = [h.id for h in search(store.db, "weather", order="newest", limit=25)]
        assert len(newest) == 25
        top, late = newest[0], newest[22]  # page 1's first report, page 2's third
        store.regroup({late: top}, NOW)
        late_title = store.story(top).articles[0].title  # oldest first: the late report
    first, second = get(db, url, url + "&page=2")
    assert late_title not in headlines(second.text)  # its story is on page 1 already
    assert len(headlines(second.text)) == 4
    assert "+1 outlet" in first.text or "+1 report" in first.text


def test_place_term_finds_every_script(archive: Path) -> None:
    plain, as_place = get(archive, "/search?q=Aleppo", "/search?q=place:Aleppo")
    assert ARABIC_TITLE not in headlines(plain.text)  # the word is not in it...
    assert (
        '<a href="/search?q=place%3AAleppo">Aleppo, SY</a> (7 articles' in plain.text
    )  # 'Bakers in Aleppo': resolved at search time
    assert ARABIC_TITLE in headlines(as_place.text)  # ...the place is
    assert len(headlines(as_place.text)) == 5  # with "Bread prices rise": at search time
    assert "<mark>حلب</mark>" in as_place.text
    assert f'resolved to <a href="{ALEPPO_URL}">Aleppo, SY</a>' in as_place.text


def test_unknown_place_says_so(archive: Path) -> None:
    (r,) = get(archive, "/search?q=place:Atlantisxyz")
    assert r.status_code == 400
    error = r.text.split('<div class="error" role="alert">')[1].split("</div>")[0]
    assert "place:Atlantisxyz" in error and "Traceback" not in r.text


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("q=%22unclosed", "cannot parse the query"),
        ("q=AND", "cannot parse the query"),
        ("q=title:x:y", "cannot parse the query"),
        ("q=Aleppo&since=yesterday", "since: &#39;yesterday&#39; is not a date"),
        ("q=Aleppo&order=random", "order: &#39;random&#39; is not one of rank, newest"),
    ],
    ids=["unclosed-quote", "lone-operator", "column-filter", "bad-date", "bad-order"],
)
def test_bad_search_is_a_message_not_a_stack(archive: Path, query: str, said: str) -> None:
    (r,) = get(archive, f"/search?{query}")
    assert r.status_code == 400
    error = r.text.split('<div class="error" role="alert">')[1].split("</div>")[0]
    assert said in error
    for leak in ("Traceback", "sqlite", "OperationalError", "fts5", "SELECT"):
        assert leak not in r.text


def test_watch_page(archive: Path) -> None:
    (r,) = get(archive, "/watch/Syria%20hotspots")
    assert r.status_code == 200
    assert "<h1>Watch: Syria hotspots</h1>" in r.text
    definition = r.text.split('class="definition"')[1].split("</dl>")[0]
    assert "shelling" in definition
    assert f'<a href="{ALEPPO_URL}">Aleppo, SY</a> (geonames:170063' in definition
    assert "Palmyra, Syria →" in definition and "/place/163808" in definition
    assert headlines(r.text)[0] == "Shelling reported near Aleppo"
    assert ARABIC_TITLE in headlines(r.text)
    assert '<a href="/watch/Syria%20hotspots/feed.atom">Atom feed</a>' in r.text
    assert 'type="application/atom+xml" title="newsbot: Syria hotspots"' in r.text
    assert re.search(
        r'<tr data-lat="36.20124" data-lon="37.16117" data-name="Aleppo, SY" '
        r'data-count="6" data-href="/place/170063">',
        r.text,
    )


def test_a_story_is_one_item_with_its_other_outlets(archive: Path) -> None:
    search_page, watch_page = get(archive, "/search?q=convoy", "/watch/Syria%20hotspots")
    for page in (search_page, watch_page):
        convoy = [h for h in headlines(page.text) if h in CONVOY_TITLES]
        assert len(convoy) == 1, convoy
    item = next(i for i in search_page.text.split('<li class="news-item">') if "+2 outlets" in i)
    link = re.search(
        r'<a class="story" href="(/story/\d+)" title="also: ([^"]+)">\+2 outlets</a>', item
    )
    assert link, item
    (story,) = get(archive, link.group(1))
    assert story.status_code == 200
    assert "3 reports from 3 outlets (Daily Star, Example News, Levant Wire)" in story.text
    assert sorted(headlines(story.text)) == sorted(CONVOY_TITLES)
    assert '<a href="/watch/Syria%20hotspots">Syria hotspots</a>' in story.text
    (missing,) = get(archive, "/story/999999")
    assert missing.status_code == 404


def test_the_link_of_a_merged_story_leads_to_the_story_it_went_into(
    archive: Path, tmp_path: Path
) -> None:
    """A story merged into another (a later report bridged them) keeps its address: links
    sent in alerts before the merge still lead to the story, which now has its reports."""
    import shutil

    from storage.db import write

    copy = tmp_path / "archive.db"
    shutil.copy(archive, copy)
    store = Store.open(copy)
    (convoy, _), (other, _) = store.db.execute(
        "SELECT id, size FROM stories ORDER BY size DESC, id LIMIT 2"
    ).fetchall()
    with write(store.db):
        store.merge_story(other, convoy, datetime.now(UTC))
    store.close()
    ds = web.make_datasette(copy, WATCHES)
    gone, live = asyncio.run(_fetch(ds, f"/story/{other}", f"/story/{convoy}"))
    assert gone.status_code == 301 and gone.headers["location"] == f"/story/{convoy}"
    assert live.status_code == 200 and "4 reports from" in live.text


async def _fetch(ds: Any, *urls: str) -> list[httpx.Response]:
    return [await ds.client.get(u) for u in urls]


def test_quiet_and_unknown_watches(archive: Path) -> None:
    quiet, unknown = get(archive, "/watch/Mass%20graves", "/watch/No%20such%20watch")
    assert quiet.status_code == 200 and "Nothing matched yet." in quiet.text
    assert "mass grave" in quiet.text
    assert unknown.status_code == 404 and "No watch is called “No such watch”" in unknown.text


def test_atom_feed_of_a_watch(archive: Path) -> None:
    (r,) = get(archive, "/watch/Syria%20hotspots/feed.atom")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(r.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == f"newsbot: {WATCH}"
    assert feed.feed.id.startswith("urn:uuid:") and feed.feed.updated == "2026-11-25T12:00:00Z"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"].endswith("/watch/Syria%20hotspots/feed.atom")
    assert links["alternate"].endswith("/watch/Syria%20hotspots")
    assert len(feed.entries) == 5
    assert len({e.id for e in feed.entries}) == 5 and all(
        e.id.startswith("urn:uuid:") for e in feed.entries
    )
    assert [e.updated for e in feed.entries] == sorted(
        (e.updated for e in feed.entries), reverse=True
    )
    first = feed.entries[0]
    assert (
        first.title == "Shelling reported near Aleppo"
        and first.link == "http://news.example/aleppo-1"
    )
    assert "Example News" in first.summary and "Aleppo" in first.summary
    titles = {e.title for e in feed.entries}
    assert f"{XSS} Aleppo market" in titles and ARABIC_TITLE in titles  # text, escaped in XML
    (convoy,) = [e for e in feed.entries if e.title in CONVOY_TITLES]  # one entry per story
    assert "Also reported by:" in convoy.summary
    assert b"<script>" not in r.content


def test_atom_ids_are_stable(archive: Path) -> None:
    a, b = get(archive, "/watch/Syria%20hotspots/feed.atom", "/watch/Syria%20hotspots/feed.atom")
    assert [e.id for e in feedparser.parse(a.content).entries] == [
        e.id for e in feedparser.parse(b.content).entries
    ]


def test_atom_feed_without_matches_is_empty_and_valid(archive: Path) -> None:
    (r,) = get(archive, "/watch/Mass%20graves/feed.atom")
    feed = feedparser.parse(r.content)
    assert not feed.bozo and feed.version == "atom10"
    assert feed.feed.title == "newsbot: Mass graves" and feed.entries == []
    assert feed.feed.updated and "1970" not in feed.feed.updated


def test_atom_feed_drops_what_xml_cannot_carry(tmp_path: Path) -> None:
    hit = Hit(
        1,
        "Bad\x00 title\x1b",
        "http://x.example/1",
        "Feed\x07",
        "2026-11-25T12:00:00Z",
        "snip\x0cpet",
        WATCH,
        "",
        0.0,
    )
    body = feed_document(WATCH, Found([hit], {}, {}, {}), "http://127.0.0.1", NOW)
    feed = feedparser.parse(body)
    assert not feed.bozo and feed.entries[0].title == "Bad title"


def test_place_page(archive: Path) -> None:
    page, unknown = get(archive, ALEPPO_URL, "/place/999")
    assert page.status_code == 200 and "<h1>Aleppo, SY</h1>" in page.text
    assert len(headlines(page.text)) == 5 and ARABIC_TITLE in headlines(page.text)
    assert "data-map" in page.text and 'data-href="/place/170063"' in page.text
    assert unknown.status_code == 404


def test_map_page_lists_places_without_raw_json(archive: Path) -> None:
    (r,) = get(archive, "/map")
    assert r.status_code == 200
    rows = re.findall(
        r'<tr data-lat="([^"]+)" data-lon="([^"]+)" data-name="([^"]+)" '
        r'data-count="(\d+)" data-href="([^"]+)">',
        r.text,
    )
    assert rows == [
        ("36.20124", "37.16117", "Aleppo, SY", "6", "/place/170063"),
        ("34.5624", "38.28402", "Tadmur, SY", "1", "/place/163808"),
    ]
    assert 'data-tiles="/-/tiles/basemap/{z}/{x}/{y}.png"' in r.text
    assert "popup" not in r.text and "openstreetmap.org" not in r.text


def test_old_urls_redirect(archive: Path) -> None:
    responses = get(
        archive,
        "/archive/search?q=Aleppo&watch=",
        "/archive/matches_for_watch?watch=Syria+hotspots",
        "/archive/watch_feed.atom?watch=Syria+hotspots&_feed_title=x",
        "/archive/map?watch=Syria+hotspots",
        "/archive/watches",
    )
    assert [(r.status_code, r.headers["location"]) for r in responses] == [
        (301, "/search?q=Aleppo"),
        (301, "/watch/Syria%20hotspots"),
        (301, "/watch/Syria%20hotspots/feed.atom"),
        (301, "/map?watch=Syria+hotspots"),
        (301, "/"),
    ]


def test_script_title_is_escaped_on_every_page(archive: Path) -> None:
    pages = get(
        archive,
        "/search?q=market",
        "/watch/Syria%20hotspots",
        ALEPPO_URL,
        "/archive/articles",
        "/archive/articles/3",
        "/archive/matches",
    )
    for page in pages:
        assert page.status_code == 200
        assert XSS not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_explorer_tables_link_watches_to_their_pages(archive: Path) -> None:
    (r,) = get(archive, "/archive/matches")
    assert '<a href="/watch/Syria%20hotspots">Syria hotspots</a>' in r.text


def test_basemap_tile_is_served_locally(archive: Path) -> None:
    (r,) = get(archive, "/-/tiles/basemap/0/0/0.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG")


def test_facets_by_watch_place_feed_and_day(archive: Path) -> None:
    matches, articles = get(archive, "/archive/matches.json", "/archive/articles.json")
    facets = matches.json()["facet_results"]
    assert {"watch", "place", "created_at"} <= set(facets)
    assert facets["watch"]["results"][0]["value"] == WATCH
    assert {"feed", "published"} <= set(articles.json()["facet_results"])


def _inline_scripts(html: str) -> list[tuple[str, str]]:
    """(attributes, body) of every <script> without src."""
    found = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    return [(attrs, body) for attrs, body in found if "src=" not in attrs]


CSP_PAGES = [
    "/",
    "/search?q=x",
    "/watch/Syria%20hotspots",
    ALEPPO_URL,
    "/map",
    "/story/2",
    "/archive/matches",
]


def test_csp_allows_only_nonced_or_known_inline_scripts(archive: Path) -> None:
    for page in get(archive, *CSP_PAGES):
        assert page.status_code == 200, page.url
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
    a, b = get(archive, "/map", "/map")
    assert a.headers["content-security-policy"] != b.headers["content-security-policy"]


def test_archive_is_read_only(archive: Path) -> None:
    (r,) = get(archive, "/archive.json?sql=DELETE+FROM+articles")
    assert r.status_code in (400, 403)
    with Store.open(archive, readonly=True) as store:
        assert store.db["articles"].count == len(ARTICLES)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path) -> tuple[subprocess.Popen[str], str]:
    """`web.serve` (with the seed's watches) in a subprocess on a free local port; returns it
    and the URL it printed."""
    code = (
        "import sys, web, webseed; "
        f"sys.exit(web.serve({str(db)!r}, port={_free_port()}, watches=webseed.WATCHES))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])},
    )
    line = proc.stdout.readline() if proc.stdout else ""
    url = re.search(r"http://\S+", line)
    assert url, f"serve printed {line!r}; stderr: {proc.stderr.read() if proc.stderr else ''}"
    base = url.group(0).rstrip("/")
    for _ in range(100):
        try:
            httpx.get(f"{base}/-/versions.json", timeout=1)
            return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("serve did not answer")


def stop_server(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=10)
    for stream in (proc.stdout, proc.stderr):
        if stream:
            stream.close()
    return code


def test_serve_prints_its_url_binds_locally_and_exits_0_on_ctrl_c(archive: Path) -> None:
    proc, base = start_server(archive)
    try:
        assert base.startswith("http://127.0.0.1:")
        r = httpx.get(f"{base}/search?q=Aleppo", timeout=5)
        assert len(headlines(r.text)) == 4 and "content-security-policy" in r.headers
    finally:
        assert stop_server(proc) == 0


def test_readme_shows_the_screenshots() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("web-search.png", "web-watch.png", "web-map.png"):
        assert f"(docs/{name})" in readme
        assert (ROOT / "docs" / name).read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("small_set", [0, 20_000], ids=["walk-the-dates", "sort-the-set"])
def test_listing_a_place_or_watch_either_way(
    archive: Path, monkeypatch: pytest.MonkeyPatch, small_set: int
) -> None:
    """A place or watch with many articles walks the date index, one with few sorts its set:
    the same articles in the same order."""
    import storage.search

    monkeypatch.setattr(storage.search, "SMALL_SET", small_set)
    with Store.open(archive, readonly=True) as store:
        by_place = storage.search.search(store.db, "", places=[170063], limit=3, offset=1)
        by_watch = storage.search.search(store.db, "", watch=WATCH, order="newest", limit=10)
    assert [h.title for h in by_place] == [
        "Aid convoy reaches Aleppo",
        f"{XSS} Aleppo market",
        ARABIC_TITLE,
    ]
    assert [h.title for h in by_watch][:2] == [
        "Shelling reported near Aleppo",
        "Aid convoy reaches Aleppo",
    ]
    assert len(by_watch) == 7


def test_a_watch_named_with_a_comma_is_one_link() -> None:
    from web.items import items

    hit = Hit(1, "Shelling", "http://x.example/1", "Feed", "2026-11-25T12:00:00Z", "", "", "", 0.0)
    listed = items([hit], "", {}, None, {1: ["Syria, north", "Aleppo"]})
    assert [name for name, _url in listed[0].watches] == ["Syria, north", "Aleppo"]
    assert listed[0].watches[0][1].endswith("/watch/Syria%2C%20north")
