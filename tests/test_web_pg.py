"""`bot.py serve` on a PostgreSQL archive: the product pages (home, search, a watch, its Atom
feed, a place, the map) show the same news items as on the SQLite copy of the same archive.
Datasette's table explorer (/archive) stays SQLite-only."""

from __future__ import annotations

import re

import feedparser
import pytest
from test_web import get, headlines
from webseed import seed_archive

PAGES = [
    "/",
    "/search?q=Aleppo",
    "/search?q=shelling+OR+convoy",
    '/search?q="aid+convoy"',
    "/search?q=place:Aleppo",
    "/search?q=weather&page=2",
    "/watch/Syria%20hotspots",
    "/watch/Mass%20graves",
    "/place/170063",
    "/map",
]
MAP_ROW = re.compile(r'<tr data-lat="[^"]+" data-lon="[^"]+" data-name="[^"]+" data-count="\d+"')


@pytest.fixture(scope="module")
def archives(tmp_path_factory, pg_server):
    from bench.pgschemas import temporary_schema

    lite = seed_archive(tmp_path_factory.mktemp("webpg") / "archive.db")
    with temporary_schema(pg_server) as url:
        seed_archive(url)  # type: ignore[arg-type]
        yield lite, url


@pytest.mark.parametrize("page", PAGES)
def test_page_shows_the_same_news_on_both_backends(archives, page: str) -> None:
    lite, pg = archives
    (a,) = get(lite, page)
    (b,) = get(pg, page)
    assert b.status_code == a.status_code == 200, b.text[-2000:]
    assert headlines(b.text) == headlines(a.text)
    assert MAP_ROW.findall(b.text) == MAP_ROW.findall(a.text)


def test_atom_feed_on_both_backends(archives) -> None:
    lite, pg = archives
    feeds = [
        feedparser.parse(get(db, "/watch/Syria%20hotspots/feed.atom")[0].content)
        for db in (lite, pg)
    ]
    assert [(e.title, e.link, e.id) for e in feeds[1].entries] == [
        (e.title, e.link, e.id) for e in feeds[0].entries
    ]
    assert len(feeds[1].entries) == 5


def test_the_table_explorer_is_sqlite_only(archives) -> None:
    _, pg = archives
    (r,) = get(pg, "/archive")
    assert r.status_code == 404
